//! Rootless mode: `judge run` by an unprivileged user (a uid the test picks that no account
//! owns, no supplementary group) judges in user namespaces of its own. Without a delegated
//! cgroup it falls back to rlimits with one clear warning; inside a delegated cgroup v2
//! subtree (made by the test, as systemd's `Delegate=yes` makes one) it measures and caps
//! memory with cgroups. The second part needs a cgroup v2 host: it runs in the cgroup v2 guest
//! (`cgroup_v2_guest.rs`), and says so and passes where the host is cgroup v1.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{problem, root, text};

/// An unprivileged uid (and gid) no account or group owns (`getent`), outside the sandbox's
/// host ids.
/// Each test takes its own range, so that tests running at once do not share a user.
fn unused_id(from: u32) -> u32 {
    let known = |db: &str, id: u32| {
        Command::new("getent")
            .args([db, &id.to_string()])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(true)
    };
    (from..from + 300)
        .find(|&id| !known("passwd", id) && !known("group", id))
        .expect("a free uid")
}

fn submission(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testcases")
        .join(path)
        .canonicalize()
        .unwrap()
}

/// A cgroup of its own for one command under `subtree`, delegated to `id` as systemd
/// delegates a scope (`systemd-run --user --scope -p Delegate=yes`): the user owns the
/// directory and the files that let it make children, move its processes between them and
/// give controllers to them.
fn delegated_scope(subtree: &Path, id: u32) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scope = subtree.join(format!("scope-{n}"));
    std::fs::create_dir(&scope).unwrap();
    for file in [
        "",
        "cgroup.procs",
        "cgroup.subtree_control",
        "cgroup.threads",
    ] {
        std::os::unix::fs::chown(scope.join(file), Some(id), Some(id)).unwrap();
    }
    scope
}

/// `judge run SOURCE --tests different --json ARGS` as `id`, first moved (as root, before
/// giving up root) into a delegated scope of its own under `subtree` when given.
fn run_as(id: u32, subtree: Option<&Path>, source: &Path, args: &[&str]) -> Output {
    let tests = problem("different");
    let mut line = format!(
        "exec setpriv --reuid={id} --regid={id} --clear-groups --inh-caps=-all \
         env -i PATH=/usr/bin:/bin TMPDIR=/tmp {judge} run {source} --tests {tests} --json \
         --no-cache",
        judge = env!("CARGO_BIN_EXE_judge"),
        source = source.display(),
        tests = tests.display(),
    );
    for arg in args {
        line += &format!(" {arg}");
    }
    if let Some(subtree) = subtree {
        let scope = delegated_scope(subtree, id);
        line = format!("echo $$ > {}/cgroup.procs && {line}", scope.display());
    }
    Command::new("/bin/sh")
        .args(["-c", &line])
        .output()
        .expect("run sh")
}

fn verdict(out: &Output) -> (String, serde_json::Value) {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {} stderr {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    (doc["verdict"].as_str().unwrap_or("").to_owned(), doc)
}

fn warnings(out: &Output) -> String {
    text(&out.stderr)
}

/// Judge the confined probe (AC only while confined) and a spinner.
fn judge_as(id: u32, subtree: Option<&Path>) -> Vec<Output> {
    let confined = run_as(id, subtree, &submission("rootless/confined.c"), &[]);
    let (v, doc) = verdict(&confined);
    assert_eq!(v, "AC", "{doc}\n{}", warnings(&confined));
    let spin = submission("problems/different/submissions/time_limit_exceeded/spin.c");
    let spun = run_as(id, subtree, &spin, &["--time-limit", "0.5"]);
    let (v, doc) = verdict(&spun);
    assert_eq!(v, "TLE", "{doc}\n{}", warnings(&spun));
    vec![confined, spun]
}

#[test]
fn an_unprivileged_user_judges_without_cgroups_with_one_warning() {
    if !root() {
        return;
    }
    let id = unused_id(61_000);
    for out in judge_as(id, None) {
        let err = warnings(&out);
        assert!(err.contains("rootless: programs run as your uid"), "{err}");
        assert!(
            err.contains("cgroups are unavailable") && err.contains("delegated"),
            "{err}"
        );
    }
    // Nothing of it is left: its directories went with it.
    let base = std::env::temp_dir().join(format!("judge-{id}"));
    let left: Vec<_> = std::fs::read_dir(&base)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left in {}: {left:?}", base.display());
}

/// The cgroup v2 mount, when this host has one with the memory controller at its root.
fn cgroup_v2() -> Option<PathBuf> {
    let root = PathBuf::from("/sys/fs/cgroup");
    let controllers = std::fs::read_to_string(root.join("cgroup.controllers")).ok()?;
    controllers
        .split_whitespace()
        .any(|c| c == "memory")
        .then_some(root)
}

#[test]
fn in_a_delegated_cgroup_v2_subtree_an_unprivileged_user_gets_cgroups() {
    if !root() {
        return;
    }
    let Some(root_cgroup) = cgroup_v2() else {
        if std::env::var_os("JUDGE_IN_GUEST").is_some() {
            panic!("the cgroup v2 guest has no memory controller at its root");
        }
        eprintln!(
            "this host has no cgroup v2 memory controller: the delegated case runs in the \
             cgroup v2 guest"
        );
        return;
    };
    let id = unused_id(61_300);
    // The controllers, down to a subtree whose scopes are delegated to the user.
    let subtree = root_cgroup.join(format!("judge-rootless-{}", std::process::id()));
    let controllers = "+memory +pids +cpu +cpuset";
    std::fs::write(root_cgroup.join("cgroup.subtree_control"), controllers).unwrap();
    std::fs::create_dir(&subtree).unwrap();
    std::fs::write(subtree.join("cgroup.subtree_control"), controllers).unwrap();
    let outs = judge_as(id, Some(&subtree));
    // A hog of 1 GiB under a 64 MiB limit: the cgroup stops it, and says MLE.
    let hog = submission("problems/different/submissions/memory_limit_exceeded/hog.c");
    let hogged = run_as(id, Some(&subtree), &hog, &["--memory-limit", "64"]);
    let (v, doc) = verdict(&hogged);
    assert_eq!(v, "MLE", "{doc}\n{}", warnings(&hogged));
    for out in outs.iter().chain([&hogged]) {
        let err = warnings(out);
        assert!(err.contains("rootless"), "{err}");
        assert!(!err.contains("cgroups are unavailable"), "{err}");
    }
    // The cgroup let the hog fill its 64 MiB before stopping it (an address-space rlimit would
    // have failed its malloc at once), and measured it.
    let (_, doc) = verdict(&hogged);
    let peak = doc["tests"][0]["memory_kib"].as_u64().unwrap_or(0);
    assert!(peak >= 60 << 10, "{doc}");
    let (_, doc) = verdict(&outs[0]);
    assert!(doc["memory_kib"].as_u64().unwrap_or(0) > 0, "{doc}");
    // No process of any run is left in the subtree once judge has exited.
    let mut running = Vec::new();
    procs_in(&subtree, &mut running);
    let _ = remove_cgroup_tree(&subtree);
    assert!(running.is_empty(), "processes left: {running:?}");
}

/// Every pid in the cgroups of the tree at `dir`.
fn procs_in(dir: &Path, out: &mut Vec<String>) {
    if let Ok(procs) = std::fs::read_to_string(dir.join("cgroup.procs")) {
        out.extend(procs.lines().map(|l| format!("{} {l}", dir.display())));
    }
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            procs_in(&entry.path(), out);
        }
    }
}

fn remove_cgroup_tree(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        if entry.path().is_dir() {
            remove_cgroup_tree(&entry.path())?;
        }
    }
    std::fs::remove_dir(dir)
}

#[test]
fn judge_bench_measures_the_rootless_sandbox() {
    if !root() {
        return;
    }
    let id = unused_id(61_600);
    let line = format!(
        "exec setpriv --reuid={id} --regid={id} --clear-groups --inh-caps=-all env -i \
         PATH=/usr/bin:/bin TMPDIR=/tmp {judge} bench --rounds 1 --runs 3 --tests 20 --json",
        judge = env!("CARGO_BIN_EXE_judge"),
    );
    let out = Command::new("/bin/sh")
        .args(["-c", &line])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    let layers: Vec<&str> = doc["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["layer"].as_str().unwrap())
        .collect();
    assert_eq!(
        layers,
        [
            "bare fork+exec+wait",
            "rootless: full fresh sandbox",
            "rootless: fresh sandbox on a pool worker"
        ],
        "{doc}"
    );
    for t in doc["throughput"].as_array().unwrap() {
        assert!(t["runs_per_second"].as_f64().unwrap() > 0.0, "{doc}");
        assert_eq!(t["reused_environments"], false, "{doc}");
    }
}

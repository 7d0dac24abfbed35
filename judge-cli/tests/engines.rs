//! Engines on one host: a killed engine leaves nothing running and its traces go at the next
//! start; engines in different PID namespaces judge at the same time without touching each
//! other's runs.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{root, text};
use serde_json::Value;

/// The tests look at every engine and sandboxed process of the host: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Processes of the sandbox's host users (programs, and each sandbox's PID 1, of every set).
fn sandboxed() -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(status) = std::fs::read_to_string(entry.path().join("status")) {
            let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap_or("");
            let first = uid
                .split_whitespace()
                .nth(1)
                .and_then(|u| u.parse::<u32>().ok());
            // 60000 to 60127: programs and namespace roots of every set of host ids.
            if first.is_some_and(|u| (60000..60128).contains(&u)) {
                found.push(format!("{}: {uid}", entry.file_name().to_string_lossy()));
            }
        }
    }
    found
}

/// The engines' bases of host directories.
fn bases() -> BTreeSet<String> {
    let root = std::env::temp_dir().join("judge");
    std::fs::read_dir(root)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every directory named `name` in the cgroup hierarchies, a few levels down.
fn cgroup_dirs(name: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, name: &str, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if entry.file_name().to_string_lossy() == name {
                out.push(entry.path());
            } else if depth > 0 {
                walk(&entry.path(), depth - 1, name, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new("/sys/fs/cgroup"), 4, name, &mut out);
    out
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A flat problem of `tests` A+B tests, and an accepted and a spinning submission.
fn problem(dir: &Path, tests: usize) -> (PathBuf, PathBuf, PathBuf) {
    let data = dir.join("ab");
    std::fs::create_dir(&data).unwrap();
    for i in 1..=tests {
        std::fs::write(data.join(format!("{i}.in")), format!("{i} {}\n", 2 * i)).unwrap();
        std::fs::write(data.join(format!("{i}.ans")), format!("{}\n", 3 * i)).unwrap();
    }
    let ab = dir.join("ab.c");
    std::fs::write(
        &ab,
        "#include <stdio.h>\nint main(void) { long a, b; scanf(\"%ld %ld\", &a, &b); \
         printf(\"%ld\\n\", a + b); return 0; }\n",
    )
    .unwrap();
    let spin = dir.join("spin.c");
    std::fs::write(&spin, "int main(void) { for (;;) {} }\n").unwrap();
    (data, ab, spin)
}

#[test]
fn a_killed_engine_leaves_nothing_running_and_the_next_start_removes_its_traces() {
    if !root() {
        return;
    }
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (data, ab, spin) = problem(dir.path(), 3);
    for fresh in [false, true] {
        let before = bases();
        let mut args = vec![
            "batch".to_owned(),
            "--problem".to_owned(),
            data.display().to_string(),
            "--time-limit".to_owned(),
            "20".to_owned(),
            "--jobs".to_owned(),
            "2".to_owned(),
        ];
        if fresh {
            args.push("--fresh".to_owned());
        }
        for _ in 0..3 {
            args.push(spin.display().to_string());
        }
        let mut engine = Command::new(env!("CARGO_BIN_EXE_judge"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until("two spinning runs", Duration::from_secs(30), || {
            sandboxed().len() >= 2
        });
        let ours: BTreeSet<String> = bases().difference(&before).cloned().collect();
        assert_eq!(ours.len(), 1, "{ours:?}");
        let id = ours.into_iter().next().unwrap();
        let groups = cgroup_dirs(&format!("judge-{id}"));
        assert!(!groups.is_empty(), "the engine's cgroups were not found");
        engine.kill().unwrap();
        engine.wait().unwrap();
        // Nothing of its runs survives it: not the programs, not their PID 1s.
        wait_until("the sandboxes to end", Duration::from_secs(3), || {
            sandboxed().is_empty()
        });
        // The next engine's start removes its cgroups and directories.
        let out = common::judge(&[
            "run",
            ab.to_str().unwrap(),
            "--tests",
            data.to_str().unwrap(),
            "--fresh",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            !bases().contains(&id),
            "the killed engine's directories survived"
        );
        for group in &groups {
            assert!(!group.exists(), "{} survived", group.display());
        }
        assert!(sandboxed().is_empty(), "{:?}", sandboxed());
    }
}

#[test]
fn engines_in_different_pid_namespaces_judge_two_hundred_runs_each_at_once() {
    if !root() {
        return;
    }
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (data, ab, _) = problem(dir.path(), 200);
    let run_args = vec![
        "run".to_owned(),
        ab.display().to_string(),
        "--tests".to_owned(),
        data.display().to_string(),
        "--all".to_owned(),
        "--json".to_owned(),
        "--jobs".to_owned(),
        "1".to_owned(),
    ];
    let spawn = |namespace: bool| {
        let mut cmd = if namespace {
            let mut c = Command::new("unshare");
            c.args(["--pid", "--fork", "--mount-proc"])
                .arg(env!("CARGO_BIN_EXE_judge"));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_judge"))
        };
        cmd.args(&run_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // One engine in our PID namespace; while it judges, two more start in PID namespaces of
    // their own, one after the other: each start sweeps, and must see the others alive.
    let first = spawn(false);
    wait_until("the first engine's runs", Duration::from_secs(30), || {
        !sandboxed().is_empty()
    });
    let second = spawn(true);
    std::thread::sleep(Duration::from_millis(300));
    let third = spawn(true);
    for (name, child) in [("first", first), ("second", second), ("third", third)] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}\n{}",
            text(&out.stderr),
            text(&out.stdout)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let tests = report["tests"].as_array().unwrap();
        assert_eq!(tests.len(), 200, "{name}");
        let wrong: Vec<&Value> = tests.iter().filter(|t| t["verdict"] != "AC").collect();
        assert!(wrong.is_empty(), "{name}: {wrong:?}");
    }
}

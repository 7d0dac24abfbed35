//! The sandbox, cgroup, limits, reuse and pool tests, and `judge serve`'s go-judge API, again
//! on a real cgroup v2 kernel.
//!
//! This machine has cgroup v1; production hosts are mostly cgroup v2 on Linux 5.15 to 6.x.
//! Debian's kernel (`linux-image-amd64`) booted with virtme-ng under QEMU's software emulation
//! (`--disable-kvm`: KVM guests hang on these machines) over this machine's own filesystem gives
//! cgroup2 with every controller, the engine at the root of it. The test binaries that cargo
//! built for this run (beside this one) and the `judge` binary run there as they are, with
//! `CI=true`, so that a test that cannot run fails; a few `judge run` examples go with them.
//! The guest writes each binary's output and exit status to a shared directory.
//!
//! Without qemu-system-x86, a kernel in /boot or virtme-ng (`.ci/run` installs all three), this
//! test skips with a note, except with `CI=true`, where it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The test binaries to run in the guest, by the name cargo gives them.
const SUITES: &[&str] = &[
    "judge_engine",
    "env_reuse",
    "limits",
    "sandbox_isolation",
    "sandbox_lifecycle",
    "pool",
    "soak",
    "network",
    "sync_hook",
    "credentials",
    "ptrace",
    "rootless",
    "root_image",
    "run_rootfs",
    "serve_gojudge",
];

/// Tests left out in the guest, by suite, and why: software emulation is about 40 times
/// slower, and these carry limits written for real hardware.
const GUEST_SKIPS: &[(&str, &str, &str)] = &[(
    "serve_gojudge",
    "the_documented_compile_then_run_example_works_verbatim",
    "the example gives g++ 10 s of CPU, less than an emulated g++ takes",
)];

fn skip(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the cgroup v2 guest cannot run with CI=true: {why}");
    }
    eprintln!("skipped: {why}");
}

fn vng() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/opt/vng-venv/bin")])
        .map(|dir| dir.join("vng"))
        .find(|p| p.is_file())
}

/// The newest kernel image in /boot (or the one `JUDGE_GUEST_KERNEL` names).
fn kernel() -> Option<PathBuf> {
    if let Some(k) = std::env::var_os("JUDGE_GUEST_KERNEL") {
        return Some(PathBuf::from(k));
    }
    std::fs::read_dir("/boot")
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

/// The newest `<name>-<hash>` executable beside this test binary: the one this build made.
fn suite(deps: &Path, name: &str) -> Option<PathBuf> {
    let prefix = format!("{name}-");
    std::fs::read_dir(deps)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.strip_prefix(&prefix).is_some_and(|hash| {
                    hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
                })
            })
        })
        .filter(|p| {
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(p).unwrap().permissions())
                & 0o111
                != 0
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

#[test]
fn the_sandbox_and_cgroup_suites_pass_on_a_cgroup_v2_kernel() {
    if std::env::var_os("JUDGE_IN_GUEST").is_some() || !common::root() {
        return;
    }
    let (Some(vng), Some(kernel)) = (vng(), kernel()) else {
        return skip("virtme-ng (vng) or a kernel in /boot is missing");
    };
    if Command::new("qemu-system-x86_64")
        .arg("--version")
        .output()
        .is_err()
    {
        return skip("qemu-system-x86_64 is missing");
    }
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let suites: Vec<(&str, PathBuf)> = SUITES
        .iter()
        .map(|name| {
            let path = suite(&deps, name)
                .unwrap_or_else(|| panic!("no test binary {name} in {}", deps.display()));
            (*name, path)
        })
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let judge = env!("CARGO_BIN_EXE_judge");
    let shared = tempfile::tempdir().unwrap();
    let out = shared.path();
    // The guest's root filesystem is the host's over 9p, where the guest's permission checks
    // do not hold: a file only root may read is readable to any uid there, sandbox or not.
    // Only then is the test that /etc/shadow stays unreadable left out.
    let mut script = format!(
        "cd {root}\nexport CI=true JUDGE_IN_GUEST=1 JUDGE_SOAK_RUNS=1000 RUST_BACKTRACE=1\n\
         echo \"$(uname -r) $(cat /sys/fs/cgroup/cgroup.controllers)\" > {out}/kernel\n\
         SKIP=\n\
         if setpriv --reuid=60000 --regid=60000 --clear-groups cat /etc/shadow > /dev/null 2>&1\n\
         then SKIP='--skip cannot_read_etc_shadow'; echo \"/etc/shadow is readable to uid 60000 \
         outside any sandbox: cannot_read_etc_shadow left out\" > {out}/notes; fi\n",
        root = root.display(),
        out = out.display()
    );
    for (name, path) in &suites {
        let mut skips = String::new();
        for (suite, test, why) in GUEST_SKIPS {
            if suite == name {
                assert!(
                    !why.contains('\''),
                    "the reason is quoted in the guest's shell"
                );
                skips += &format!(" --skip {test}");
                script += &format!(
                    "echo '{suite}: {test} left out: {why}' >> {}/notes\n",
                    out.display()
                );
            }
        }
        script += &format!(
            "timeout 1200 {} --test-threads=2 $SKIP{skips} > {out}/{name}.log 2>&1; \
             echo \"{name} $?\" >> {out}/results\n",
            path.display(),
            out = out.display()
        );
    }
    let different = root.join("testcases/problems/different");
    for (name, submission, verdict) in [
        ("run-accepted", "accepted/different.cpp", "AC"),
        ("run-tle", "time_limit_exceeded/spin.cpp", "TLE"),
    ] {
        script += &format!(
            "timeout 600 {judge} run {sub} --tests {problem} --json > {out}/{name}.log 2>&1; \
             grep -m1 '\"verdict\"' {out}/{name}.log | grep -q '\"{verdict}\"'; \
             echo \"{name} $?\" >> {out}/results\n",
            sub = different.join("submissions").join(submission).display(),
            problem = different.display(),
            out = out.display()
        );
    }
    script += &format!("echo done >> {}/results\n", out.display());
    std::fs::write(out.join("guest.sh"), script).unwrap();
    let started = Instant::now();
    // vng runs its sibling tools (virtme-run) by name.
    let mut path = vec![vng.parent().unwrap().to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let status = Command::new(&vng)
        .env("PATH", std::env::join_paths(path).unwrap())
        .arg("--run")
        .arg(&kernel)
        .args(["--disable-kvm", "--memory", "4G", "--cpus", "2", "--rwdir"])
        .arg(out)
        .arg("--exec")
        .arg(format!("sh {}/guest.sh", out.display()))
        .output()
        .expect("run vng");
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default();
    let results = read("results");
    eprintln!(
        "guest {} ({:?}):\n{results}{}",
        read("kernel").trim(),
        started.elapsed(),
        read("notes")
    );
    assert!(
        results.lines().last() == Some("done"),
        "the guest did not finish: {}\n{}",
        String::from_utf8_lossy(&status.stderr),
        String::from_utf8_lossy(&status.stdout)
    );
    assert!(
        read("kernel").contains("memory") && read("kernel").contains("pids"),
        "not a cgroup v2 kernel with the memory and pids controllers: {}",
        read("kernel")
    );
    let failed: Vec<String> = results
        .lines()
        .filter(|l| *l != "done" && !l.ends_with(" 0"))
        .map(|l| {
            let name = l.split_whitespace().next().unwrap_or("");
            let log = read(&format!("{name}.log"));
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("{l}:\n{}", tail.join("\n"))
        })
        .collect();
    assert!(
        failed.is_empty(),
        "failed in the guest:\n{}",
        failed.join("\n\n")
    );
}

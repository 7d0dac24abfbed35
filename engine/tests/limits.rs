//! Limits and accounting through the run's cgroup, with calibrated and hostile programs from
//! `testcases/limits/`. Each test fails if the property it names breaks.

mod common;

use std::time::Duration;

use common::{command, compile, processes_with, root, run};
use judge_engine::sandbox::{LimitHit, Limits, RunResult, Sandbox, SandboxConfig, Stdio};
use judge_engine::verdict::{classify, Outcome};

const MIB: u64 = 1 << 20;

fn program(name: &str) -> String {
    compile(&format!("limits/{name}.c"), true)
}

fn assert_within(measured: f64, expected: f64, tolerance: f64, what: &str) {
    let error = (measured - expected).abs() / expected;
    assert!(
        error <= tolerance,
        "{what}: measured {measured}, expected {expected} within {}%",
        tolerance * 100.0
    );
}

#[test]
fn the_sandbox_has_cgroups_here() {
    if !root() {
        return;
    }
    assert!(
        common::sandbox().has_cgroups(),
        "{:?}",
        common::sandbox().warnings()
    );
}

#[test]
fn touching_1_gib_under_256_mib_is_mle_and_stays_under_the_limit() {
    if !root() {
        return;
    }
    let mut cmd = command(&program("touch_memory"));
    cmd.arg("1024");
    let limits = Limits {
        memory: Some(256 * MIB),
        wall_time: Duration::from_secs(10),
        ..Limits::default()
    };
    cmd.limits(limits.clone());
    let out = run(cmd);
    assert!(out.result.oom_killed, "{:?}", out.result);
    assert_eq!(classify(&out.result, &limits, None), Outcome::MemoryLimit);
    assert!(out.result.memory <= 256 * MIB, "{:?}", out.result);
    assert_eq!(out.stdout, "", "the program must not have finished");
    // The engine's host is unaffected: it still allocates and runs programs.
    let again = run(command(&compile("hostname.c", false)));
    assert!(again.result.success());
}

#[test]
fn four_threads_spinning_half_a_second_each_report_two_seconds() {
    if !root() {
        return;
    }
    let mut cmd = command(&program("spin_threads"));
    cmd.args(["4", "500"]);
    let out = run(cmd);
    assert_eq!(out.stdout.trim(), "spun 4 x 500 ms", "{:?}", out.result);
    assert_within(
        out.result.cpu_time.as_secs_f64(),
        2.0,
        0.05,
        "cpu time of 4 threads",
    );
}

#[test]
fn a_child_process_cpu_time_counts() {
    if !root() {
        return;
    }
    let mut cmd = command(&program("spin_child"));
    cmd.arg("300");
    let out = run(cmd);
    // What the two processes used, as the kernel told them: the spin, the fork and the exit.
    let used: f64 = out
        .stdout
        .trim()
        .strip_prefix("child done cpu_ms ")
        .unwrap_or_else(|| panic!("{}", out.stdout))
        .parse()
        .unwrap();
    assert!(used >= 300.0, "{used}");
    assert_within(
        out.result.cpu_time.as_secs_f64() * 1e3,
        used,
        0.05,
        "cpu time with a child",
    );
}

#[test]
fn a_calibrated_300_ms_of_cpu_is_reported_within_5_percent() {
    if !root() {
        return;
    }
    let mut cmd = command(&program("burn_cpu"));
    cmd.arg("300");
    let out = run(cmd);
    let own: f64 = out
        .stdout
        .trim()
        .strip_prefix("cpu_ms ")
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert_within(
        out.result.cpu_time.as_secs_f64() * 1e3,
        own,
        0.05,
        "cpu time vs the program's own clock",
    );
    // At least the 300 ms burnt in main: what came before (exec; under the guest's emulation
    // about 30 ms) is the process's too, and in its own clock.
    let reported = out.result.cpu_time.as_secs_f64();
    assert!(
        reported >= 0.3 * 0.95,
        "cpu time {reported} s for 0.3 s of work"
    );
}

#[test]
fn touching_100_mib_is_reported_within_5_percent() {
    if !root() {
        return;
    }
    let mut cmd = command(&program("touch_memory"));
    cmd.arg("100");
    let out = run(cmd);
    assert_eq!(out.stdout.trim(), "touched 100");
    assert_within(
        out.result.memory as f64,
        (100 * MIB) as f64,
        0.05,
        "memory peak",
    );
}

#[test]
fn a_fork_bomb_is_bounded_by_the_process_cap_and_leaves_nothing() {
    if !root() {
        return;
    }
    let marker = format!("forkbomb-{}", std::process::id());
    let mut cmd = command(&program("fork_bomb"));
    cmd.arg0(&marker);
    cmd.limits(Limits {
        processes: Some(32),
        wall_time: Duration::from_secs(5),
        ..Limits::default()
    });
    let out = run(cmd);
    let line = out.stdout.trim();
    let made: u64 = line
        .strip_prefix("forked ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected output {line:?} {:?}", out.result));
    assert!(line.ends_with("then EAGAIN"), "{line}");
    assert!(made < 32, "{made} forks under a cap of 32");
    assert_eq!(processes_with(&marker), Vec::<u32>::new(), "bomb survivors");
}

#[test]
fn a_spinner_that_ignores_sigxcpu_is_killed_at_its_cpu_limit() {
    if !root() {
        return;
    }
    let mut cmd = command(&program("spin_ignore_signals"));
    let limits = Limits {
        cpu_time: Some(Duration::from_millis(500)),
        wall_time: Duration::from_secs(5),
        ..Limits::default()
    };
    cmd.limits(limits.clone());
    let out = run(cmd);
    assert_eq!(
        out.result.killed_by,
        Some(LimitHit::CpuTime),
        "{:?}",
        out.result
    );
    assert_eq!(classify(&out.result, &limits, None), Outcome::TimeLimit);
    assert!(
        out.result.cpu_time >= Duration::from_millis(500),
        "{:?}",
        out.result
    );
    // Killed by the timer, long before the wall limit.
    assert!(
        out.result.wall_time < Duration::from_secs(4),
        "{:?}",
        out.result
    );
}

#[test]
fn a_daemonized_grandchild_is_killed_when_the_run_ends() {
    if !root() {
        return;
    }
    let marker = format!("daemon-{}", std::process::id());
    let mut cmd = command(&program("daemonize"));
    cmd.arg0(&marker);
    let out = run(cmd);
    assert_eq!(out.stdout.trim(), "daemonized");
    assert!(out.result.success());
    assert_eq!(
        processes_with(&marker),
        Vec::<u32>::new(),
        "the daemon survived"
    );
}

/// The engine's own cgroup directories, where run cgroups are created.
fn own_cgroup_dirs() -> Vec<std::path::PathBuf> {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let mut dirs = Vec::new();
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
        let path = path.trim_start_matches('/');
        for ctl in ["memory", "pids", "cpuacct"] {
            if controllers.split(',').any(|c| c == ctl) {
                dirs.push(std::path::Path::new("/sys/fs/cgroup").join(ctl).join(path));
            }
        }
        if controllers.is_empty()
            && std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
        {
            dirs.push(std::path::Path::new("/sys/fs/cgroup").join(path));
        }
    }
    dirs
}

#[test]
fn a_gone_engines_cgroups_are_removed_at_start_up_and_a_live_ones_kept() {
    if !root() {
        return;
    }
    // Two engine groups with a run each: one whose engine is gone (nobody holds its lock), one
    // whose engine lives on in another process (flock(1) holds the lock, from whatever PID
    // namespace: a lock is not a pid).
    let id = |n: u64| {
        format!(
            "judge-{:016x}",
            0x5eed_0000_0000_0000u64 + n + std::process::id() as u64
        )
    };
    let (gone, live) = (id(1), id(2));
    let mut holders = Vec::new();
    let mut stale = Vec::new();
    let mut kept = Vec::new();
    for dir in own_cgroup_dirs() {
        for (name, list) in [(&gone, &mut stale), (&live, &mut kept)] {
            let run = dir.join(name).join("run-1");
            std::fs::create_dir_all(&run).unwrap();
            list.push(run);
        }
        holders.push(
            std::process::Command::new("unshare")
                .args(["--pid", "--fork", "flock", "-o"])
                .arg(dir.join(&live))
                .args(["sleep", "60"])
                .spawn()
                .unwrap(),
        );
    }
    assert!(!stale.is_empty());
    // Wait until each live group is locked.
    for run in &kept {
        let group = run.parent().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while judge_engine::lock::lock_dir(group, false)
            .unwrap()
            .is_some()
        {
            assert!(std::time::Instant::now() < deadline, "never locked");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let sandbox = Sandbox::new(SandboxConfig::default()).unwrap();
    assert!(sandbox.has_cgroups());
    for dir in &stale {
        assert!(!dir.exists(), "{} survived start-up", dir.display());
        assert!(!dir.parent().unwrap().exists(), "its group survived");
    }
    for dir in &kept {
        assert!(
            dir.exists(),
            "{} of a live engine was removed",
            dir.display()
        );
    }
    for mut holder in holders {
        holder.kill().unwrap();
        holder.wait().unwrap();
    }
    for dir in &kept {
        std::fs::remove_dir(dir).unwrap();
        std::fs::remove_dir(dir.parent().unwrap()).unwrap();
    }
}

#[test]
fn without_cgroups_the_sandbox_still_runs_and_says_what_is_lost() {
    if !root() {
        return;
    }
    let sandbox = Sandbox::new(SandboxConfig {
        cgroup: None,
        ..SandboxConfig::default()
    })
    .unwrap();
    assert!(!sandbox.has_cgroups());
    assert_eq!(sandbox.warnings().len(), 1);
    assert!(
        sandbox.warnings()[0].contains("memory"),
        "{:?}",
        sandbox.warnings()
    );
    let mut cmd = command(&program("burn_cpu"));
    cmd.arg("100");
    let mut out = tempfile::tempfile().unwrap();
    cmd.stdout(out.try_clone().unwrap());
    let result = sandbox.run(cmd).unwrap();
    assert!(result.success());
    assert!(result.cpu_time >= Duration::from_millis(100), "{result:?}");
    let mut text = String::new();
    std::io::Seek::rewind(&mut out).unwrap();
    std::io::Read::read_to_string(&mut out, &mut text).unwrap();
    assert!(text.starts_with("cpu_ms "));
}

/// Run `fill_disk` with a 1 MiB output limit and its stdout on the host's disk; the disk blocks
/// the stdout file took, and what the program reported.
fn fill_disk(env: Option<&mut judge_engine::sandbox::Env>) -> (u64, String) {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stdout");
    let out = std::fs::File::create(&path).unwrap();
    let mut err = tempfile::tempfile().unwrap();
    let mut cmd = match env {
        Some(_) => judge_engine::sandbox::Command::new(compile("sandbox/fill_disk.c", false)),
        None => command(&compile("sandbox/fill_disk.c", false)),
    };
    cmd.stdout(out).stderr(err.try_clone().unwrap());
    cmd.limits_mut().output = Some(MIB);
    let result = match env {
        Some(env) => env.run(cmd).unwrap(),
        None => common::sandbox().run(cmd).unwrap(),
    };
    assert!(result.success(), "{result:?}");
    let mut report = String::new();
    std::io::Seek::rewind(&mut err).unwrap();
    std::io::Read::read_to_string(&mut err, &mut report).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert!(meta.len() <= MIB, "{} bytes", meta.len());
    (meta.blocks() * 512, report)
}

#[test]
fn output_cannot_take_more_host_disk_than_the_output_limit() {
    if !root() {
        return;
    }
    let mut env = judge_engine::sandbox::Env::new(common::sandbox(), common::layout()).unwrap();
    for (disk, report) in [fill_disk(None), fill_disk(Some(&mut env))] {
        // A file of the limit's size takes at most a block more than that.
        assert!(disk <= MIB + 4096, "{disk} bytes of disk: {report}");
        for line in [
            "keep_size EOPNOTSUPP",
            "punch_hole EOPNOTSUPP",
            "zero_range EOPNOTSUPP",
            "grow EFBIG",
            "ftruncate EFBIG",
            "pwrite EFBIG",
        ] {
            assert!(report.contains(line), "{line} missing from {report}");
        }
        assert!(report.contains(&format!("written {MIB}")), "{report}");
    }
}

/// Run `flood_stderr` writing `bytes` to a captured stderr under a 1 MiB output limit: the
/// result, and what it printed on stdout.
fn flood_stderr(env: Option<&mut judge_engine::sandbox::Env>, bytes: u64) -> (RunResult, String) {
    let program = compile("sandbox/flood_stderr.c", false);
    let mut cmd = match env {
        Some(_) => judge_engine::sandbox::Command::new(program),
        None => command(&program),
    };
    let mut out = tempfile::tempfile().unwrap();
    cmd.arg(bytes.to_string())
        .stdout(out.try_clone().unwrap())
        .stderr(Stdio::capture(4096));
    cmd.limits_mut().output = Some(MIB);
    let result = match env {
        Some(env) => env.run(cmd).unwrap(),
        None => common::sandbox().run(cmd).unwrap(),
    };
    let mut report = String::new();
    std::io::Seek::rewind(&mut out).unwrap();
    std::io::Read::read_to_string(&mut out, &mut report).unwrap();
    (result, report)
}

#[test]
fn captured_stderr_keeps_its_ends_takes_no_disk_and_counts_against_the_output_limit() {
    if !root() {
        return;
    }
    let mut env = judge_engine::sandbox::Env::new(common::sandbox(), common::layout()).unwrap();
    for reused in [false, true] {
        let env = reused.then_some(&mut env);
        let (result, report) = flood_stderr(env, 700 << 10);
        assert!(result.success(), "{result:?} {report}");
        for attempt in ["fallocate", "ftruncate", "lseek"] {
            let line = report.lines().find(|l| l.starts_with(attempt));
            assert!(
                line.is_some_and(|l| !l.ends_with(" ok")),
                "{attempt} on a captured stderr: {report}"
            );
        }
        let captured = result.captured.expect("stderr was captured");
        assert_eq!(captured.total, 700 << 10, "reused: {reused}");
        assert_eq!(captured.head.len() + captured.tail.len(), 4096);
        assert!(captured.head.starts_with(b"BEGIN\nxxx"), "{captured:?}");
        assert!(captured.tail.ends_with(b"xxx\nEND"), "{captured:?}");
        assert!(captured.text().contains("bytes not kept"));
    }
    for reused in [false, true] {
        let env = reused.then_some(&mut env);
        let (result, report) = flood_stderr(env, 64 * MIB);
        assert_eq!(
            result.killed_by,
            Some(LimitHit::Output),
            "{result:?} {report}"
        );
        let captured = result.captured.clone().expect("stderr was captured");
        assert!(
            captured.total > MIB && captured.total < 64 * MIB,
            "{captured:?}"
        );
        let limits = Limits {
            output: Some(MIB),
            ..Limits::default()
        };
        assert_eq!(classify(&result, &limits, Some(0)), Outcome::OutputLimit);
    }
    // The environment serves the next run as usual.
    let (result, _) = flood_stderr(Some(&mut env), 100);
    assert!(result.success(), "{result:?}");
    assert_eq!(result.captured.unwrap().total, 100);
}

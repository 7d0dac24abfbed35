//! Tests against the real kernel, named `root_*`: they need root and a usable cgroup hierarchy
//! (v1 or v2; they only use the trait). Without either they skip with a message, except with
//! `CI=true`, where they fail instead. Each starts processes that wait on stdin, so they can be
//! attached before they do anything, and stays well under a second.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::detect::{detect_host, Host, HostFacts};
use super::{detect, CgroupConfig, CgroupLimits, Cgroups, Detected, Layout};
use crate::lock::EngineId;

fn real_host() -> Option<Host> {
    let skip = |why: String| {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("root test cannot run with CI=true: {why}");
        }
        eprintln!("skipping root test: {why}");
        None
    };
    if !nix::unistd::geteuid().is_root() {
        return skip("not running as root".into());
    }
    match HostFacts::read_system(EngineId::random().unwrap())
        .and_then(|f| detect_host(&f, &CgroupConfig::default()))
    {
        Ok(host) => Some(host),
        Err(e) => skip(format!("cgroups unavailable: {e}")),
    }
}

impl Host {
    fn cgroups(&self) -> &dyn Cgroups {
        match self {
            Host::V1(host) => host,
            Host::V2(host) => host,
        }
    }
}

/// `sh -c script` that first waits for a line on stdin.
fn held_shell(script: &str) -> Child {
    Command::new("sh")
        .args(["-c", &format!("read go; {script}")])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap()
}

fn release(child: &mut Child) {
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    // A guard against a hang, not a measurement: an emulated guest on a busy host is slow.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn root_detect_finds_the_layout_of_sys_fs_cgroup() {
    let Some(_) = real_host() else { return };
    let id = EngineId::random().unwrap();
    let Detected::Available(host) = detect(&CgroupConfig::default(), &id) else {
        panic!("detect() disagrees with detect_host()")
    };
    let unified = nix::sys::statfs::statfs("/sys/fs/cgroup")
        .is_ok_and(|fs| fs.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC);
    let memory_v1 = std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.contains(" - cgroup ") && l.split(',').any(|o| o == "memory"));
    let expected = if !unified && memory_v1 {
        Layout::V1
    } else {
        Layout::V2
    };
    assert_eq!(host.layout(), expected);
}

#[test]
fn root_run_is_limited_accounted_killed_and_removed() {
    let Some(host) = real_host() else { return };
    let host = host.into_shared();
    let limits = CgroupLimits {
        memory_bytes: Some(64 << 20),
        pids: Some(32),
        ..Default::default()
    };
    let run = host.create(&limits).unwrap();
    let paths = run.paths();
    assert!(paths.iter().all(|p| p.is_dir()));

    let mut child =
        held_shell("i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 5 & exec sleep 5");
    run.attach(child.id() as i32).unwrap();
    assert_eq!(run.procs().unwrap(), vec![child.id() as i32]);
    release(&mut child);
    // The shell counts, forks one sleep and becomes the other: two processes, all in the run.
    wait_for("two sleeps", || run.procs().unwrap().len() == 2);
    let used = run.cpu_usage().unwrap();
    assert!(used >= Duration::from_millis(1), "{used:?}");
    assert!(used < Duration::from_secs(2), "{used:?}");
    let peak = run.memory_peak().unwrap();
    if host.layout() == Layout::V1 {
        assert!(peak.is_some_and(|p| p > 0), "{peak:?}");
    }
    assert_eq!(run.oom_kills().unwrap(), 0);

    run.kill_all().unwrap();
    // Removal must not wait for the engine to reap its child: a zombie is no longer in the run.
    run.remove().unwrap();
    for path in &paths {
        assert!(!path.exists(), "{} left behind", path.display());
    }
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
}

#[test]
fn root_kill_all_ends_forking_processes_that_ignore_signals() {
    let Some(host) = real_host() else { return };
    let host = host.into_shared();
    let limits = CgroupLimits {
        pids: Some(16),
        ..Default::default()
    };
    let run = host.create(&limits).unwrap();
    let mut child = held_shell("trap '' HUP INT TERM; while :; do sleep 10 & done");
    run.attach(child.id() as i32).unwrap();
    release(&mut child);
    wait_for("the cgroup to fill up", || run.procs().unwrap().len() >= 8);
    let start = Instant::now();
    run.kill_all().unwrap();
    run.remove().unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(600),
        "{:?}",
        start.elapsed()
    );
    child.wait().unwrap();
}

#[test]
fn root_memory_limit_is_enforced_and_oom_kill_counted() {
    let Some(host) = real_host() else { return };
    let host = host.into_shared();
    let limit = 16 << 20;
    let limits = CgroupLimits {
        memory_bytes: Some(limit),
        pids: Some(8),
        ..Default::default()
    };
    let run = host.create(&limits).unwrap();
    // tail must hold a line without newline in memory until the end: 64 MiB of it.
    let mut child = held_shell("head -c 67108864 /dev/zero | tail > /dev/null");
    run.attach(child.id() as i32).unwrap();
    release(&mut child);
    // An OOM victim can sit in D state waiting for a lock that a sibling holds while it retries
    // its own charge; only the kernel's OOM reaper frees it, after 2 s. The engine must not wait
    // for that: seeing the OOM kill, it kills the rest, which lets everything exit at once.
    wait_for("an OOM kill", || run.oom_kills().unwrap() >= 1);
    let start = Instant::now();
    run.kill_all().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "{status:?}");
    if let Some(peak) = run.memory_peak().unwrap() {
        assert!(
            peak > limit / 2 && peak <= limit,
            "peak {peak} vs limit {limit}"
        );
    }
    run.remove().unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn root_a_gone_engines_group_is_swept_and_a_live_ones_kept() {
    let Some(live) = real_host() else { return };
    let ours = live.cgroups().create(&Default::default()).unwrap();
    // Another engine makes a run, puts a process in it and "crashes": its run is never removed,
    // its group's lock goes with the host.
    let gone = real_host().unwrap();
    let stale = gone.cgroups().create(&Default::default()).unwrap();
    let stale_paths = stale.paths();
    let mut child = held_shell("exec sleep 10");
    stale.attach(child.id() as i32).unwrap();
    std::mem::forget(stale);
    drop(gone);
    assert!(stale_paths.iter().all(|p| p.is_dir()));

    // The next engine's start sweeps it; the live engine's run is left alone. Other tests'
    // engines start at the same time: one may have locked part of the gone group (it sweeps
    // that part itself, a moment later), or a process one of them is forking may hold the gone
    // engine's lock until it execs. So engines start until one finds nothing left, for a while.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let next = real_host().unwrap();
        let sweep = next.cgroups().sweep().clone();
        let left: Vec<&PathBuf> = stale_paths
            .iter()
            .filter(|p| p.exists() || p.parent().unwrap().exists())
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "left behind: {left:?}; the last start's sweep: {sweep:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    assert!(ours.paths().iter().all(|p| p.is_dir()));
    ours.remove().unwrap();
}

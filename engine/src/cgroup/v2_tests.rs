//! Tests of the v2 run cgroup against a fake cgroupfs (see `fake`).

use super::*;
use crate::cgroup::fake::{self, populate, FakeV2, V2_FILES};
use crate::cgroup::CpuQuota;

fn all_enabled(fake: &FakeV2) -> V2Host {
    let parent = fake.cgroup("/svc");
    V2Host::new(
        parent,
        &[Ctl::Memory, Ctl::Pids, Ctl::Cpu, Ctl::Cpuset],
        Group::none(),
    )
}

/// A run whose directory has the kernel's files, and whose drop kills nothing.
fn run_with(host: &V2Host, files: &[(&str, &str)]) -> V2Run {
    let mut run = host.make_run("judge-run").unwrap();
    populate(&run.dir, files);
    run.removed = true;
    run
}

fn run(host: &V2Host) -> V2Run {
    run_with(host, &V2_FILES)
}

fn file(run: &V2Run, name: &str) -> String {
    fake::read(run.dir.join(name))
}

fn limits() -> CgroupLimits {
    CgroupLimits {
        memory_bytes: Some(1 << 20),
        pids: Some(16),
        cpu_quota: Some(CpuQuota {
            quota: Duration::from_millis(50),
            period: Duration::from_millis(100),
        }),
        cpuset: Some("0".into()),
    }
}

#[test]
fn limits_are_written_with_swap_off() {
    let fake = FakeV2::new();
    let run = run(&all_enabled(&fake));
    run.apply(&limits(), true).unwrap();
    assert_eq!(file(&run, "memory.max"), "1048576");
    assert_eq!(file(&run, "memory.swap.max"), "0");
    assert_eq!(file(&run, "pids.max"), "16");
    assert_eq!(file(&run, "cpu.max"), "50000 100000");
    assert_eq!(file(&run, "cpuset.cpus"), "0");
}

#[test]
fn none_resets_limits_when_reapplied() {
    let fake = FakeV2::new();
    let run = run(&all_enabled(&fake));
    run.apply(&limits(), true).unwrap();
    run.limit(&CgroupLimits::default()).unwrap();
    assert_eq!(file(&run, "memory.max"), "max");
    assert_eq!(file(&run, "memory.swap.max"), "max");
    assert_eq!(file(&run, "pids.max"), "max");
    assert_eq!(file(&run, "cpu.max"), "max 100000");
    assert_eq!(file(&run, "cpuset.cpus"), "\n");
}

#[test]
fn fresh_run_with_no_limits_writes_nothing() {
    let fake = FakeV2::new();
    let run = run(&all_enabled(&fake));
    run.apply(&CgroupLimits::default(), true).unwrap();
    for (name, content) in V2_FILES {
        assert_eq!(file(&run, name), content, "{name}");
    }
}

#[test]
fn without_swap_accounting_swap_max_is_not_created() {
    let fake = FakeV2::new();
    let files: Vec<_> = V2_FILES
        .into_iter()
        .filter(|(name, _)| *name != "memory.swap.max")
        .collect();
    let run = run_with(&all_enabled(&fake), &files);
    run.apply(&limits(), true).unwrap();
    assert_eq!(file(&run, "memory.max"), "1048576");
    assert!(!run.dir.join("memory.swap.max").exists());
}

#[test]
fn cpu_quota_without_the_cpu_controller_names_subtree_control() {
    let fake = FakeV2::new();
    let host = V2Host::new(
        fake.cgroup("/svc"),
        &[Ctl::Memory, Ctl::Pids],
        Group::none(),
    );
    let run = run(&host);
    let err = run.apply(&limits(), true).unwrap_err();
    assert!(
        matches!(&err, CgroupError::ControllerMissing { controller: "cpu", path }
            if path.ends_with("svc/cgroup.subtree_control")),
        "{err}"
    );
}

#[test]
fn create_names_runs_uniquely_under_the_parent() {
    let fake = FakeV2::new();
    let host = all_enabled(&fake);
    let a = host.create(&Default::default()).unwrap();
    let b = host.create(&Default::default()).unwrap();
    assert_ne!(a.name(), b.name());
    assert!(a.name().starts_with("run-"), "{}", a.name());
    assert_eq!(a.paths(), vec![fake.root().join("svc").join(a.name())]);
    assert!(a.paths()[0].is_dir());
}

#[test]
fn attach_writes_the_tgid_to_cgroup_procs() {
    let fake = FakeV2::new();
    let run = run(&all_enabled(&fake));
    run.attach(4242).unwrap();
    assert_eq!(file(&run, "cgroup.procs"), "4242");
    assert_eq!(run.procs().unwrap(), vec![4242]);
    assert!(!run.dir.join("cgroup.threads").exists());
}

#[test]
fn clone_into_fd_is_the_run_directory() {
    let fake = FakeV2::new();
    let run = run(&all_enabled(&fake));
    let fd = run.clone_into_fd().expect("v2 has an fd");
    assert!(same_file(fd, &run.dir));
}

#[test]
fn cpu_usage_is_usage_usec_of_cpu_stat() {
    let fake = FakeV2::new();
    let run = run(&all_enabled(&fake));
    std::fs::write(
        run.dir.join("cpu.stat"),
        "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\n",
    )
    .unwrap();
    assert_eq!(run.cpu_usage().unwrap(), Duration::from_micros(1500));
}

#[test]
fn memory_peak_is_none_without_the_file_never_zero() {
    let fake = FakeV2::new();
    let run = run(&all_enabled(&fake));
    std::fs::write(run.dir.join("memory.peak"), "7340032\n").unwrap();
    assert_eq!(run.memory_peak().unwrap(), Some(7_340_032));
    std::fs::remove_file(run.dir.join("memory.peak")).unwrap();
    assert_eq!(run.memory_peak().unwrap(), None);
}

#[test]
fn oom_kills_come_from_memory_events_not_local() {
    let fake = FakeV2::new();
    let run = run(&all_enabled(&fake));
    std::fs::write(
        run.dir.join("memory.events"),
        "low 0\nhigh 5\nmax 9\noom 3\noom_kill 2\noom_group_kill 1\n",
    )
    .unwrap();
    std::fs::write(run.dir.join("memory.events.local"), "oom_kill 0\n").unwrap();
    assert_eq!(run.oom_kills().unwrap(), 2);
}

#[test]
fn kill_all_uses_cgroup_kill_when_present() {
    let fake = FakeV2::new();
    let run = run(&all_enabled(&fake));
    run.kill_all().unwrap();
    assert_eq!(file(&run, "cgroup.kill"), "1");
    assert_eq!(file(&run, "cgroup.freeze"), "0\n", "no freezer needed");
}

/// The kernel's files minus cgroup.kill (Linux < 5.14), with a process listed so that the
/// freezer is needed. The pid is above PID_MAX_LIMIT (2^22): a SIGKILL to it fails with ESRCH.
fn without_kill() -> Vec<(&'static str, &'static str)> {
    V2_FILES
        .into_iter()
        .filter(|(name, _)| !["cgroup.kill", "cgroup.procs"].contains(name))
        .chain([("cgroup.procs", "5000000\n")])
        .collect()
}

#[test]
fn kill_all_without_cgroup_kill_freezes_and_thaws() {
    let fake = FakeV2::new();
    let mut files = without_kill();
    files.retain(|(name, _)| *name != "cgroup.events");
    files.push(("cgroup.events", "populated 0\nfrozen 1\n"));
    let run = run_with(&all_enabled(&fake), &files);
    run.kill_all().unwrap();
    assert_eq!(file(&run, "cgroup.freeze"), "0");
    assert!(!run.dir.join("cgroup.kill").exists());
}

#[test]
fn kill_fallback_consults_cgroup_events_and_still_thaws_on_error() {
    let fake = FakeV2::new();
    let mut files = without_kill();
    files.retain(|(name, _)| *name != "cgroup.events");
    files.push(("cgroup.events", "populated 1\n"));
    let run = run_with(&all_enabled(&fake), &files);
    let err = run.kill_all().unwrap_err();
    assert!(
        matches!(&err, CgroupError::MissingKey { key: "frozen", path } if path.ends_with("cgroup.events")),
        "{err}"
    );
    assert_eq!(file(&run, "cgroup.freeze"), "0");
}

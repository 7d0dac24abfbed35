//! Tests of the v1 run cgroup against a fake cgroupfs (see `fake`).

use super::*;
use crate::cgroup::detect::{detect_host, Host};
use crate::cgroup::fake::{self, populate, v1_files, FakeV1};
use crate::cgroup::naming::group_name;
use crate::cgroup::{CgroupConfig, CpuQuota};
use crate::lock::{lock_dir, EngineId};

fn host(fake: &FakeV1) -> V1Host {
    match detect_host(&fake.prepared_facts(), &CgroupConfig::default()).unwrap() {
        Host::V1(host) => host,
        other => panic!("expected v1, got {other:?}"),
    }
}

/// Above the kernel's PID_MAX_LIMIT (2^22): a SIGKILL to it can only fail with ESRCH.
const IMPOSSIBLE_PID: i32 = 5_000_000;

const ALL_RUN_CTLS: [Ctl; 6] = [
    Ctl::Memory,
    Ctl::CpuAcct,
    Ctl::Pids,
    Ctl::Freezer,
    Ctl::Cpu,
    Ctl::Cpuset,
];

impl V1Run {
    /// Give the run's directories the files the kernel would have made, and keep its drop from
    /// killing the made-up pids tests write.
    fn populate_and_disarm(&mut self) {
        for (ctl, dir) in &self.dirs {
            populate(dir, &v1_files(*ctl));
        }
        self.removed = true;
    }

    fn file(&self, ctl: Ctl, name: &str) -> String {
        fake::read(self.dir(ctl).unwrap().join(name))
    }
}

fn full_run(fake: &FakeV1) -> V1Run {
    let mut run = host(fake).make_run("judge-run", &ALL_RUN_CTLS).unwrap();
    run.populate_and_disarm();
    run
}

fn limits() -> CgroupLimits {
    CgroupLimits {
        memory_bytes: Some(1 << 20),
        pids: Some(16),
        cpu_quota: Some(CpuQuota {
            quota: Duration::from_millis(50),
            period: Duration::from_millis(100),
        }),
        cpuset: Some("1".into()),
    }
}

#[test]
fn memory_limit_goes_first_on_a_fresh_cgroup_and_when_lowering() {
    assert_eq!(
        memory_order(Some(1 << 20), u64::MAX),
        [MemFile::Limit, MemFile::MemSw]
    );
    assert_eq!(
        memory_order(Some(1 << 20), 2 << 20),
        [MemFile::Limit, MemFile::MemSw]
    );
    assert_eq!(
        memory_order(Some(1 << 20), 1 << 20),
        [MemFile::Limit, MemFile::MemSw]
    );
}

#[test]
fn memsw_goes_first_when_raising_or_unlimiting() {
    assert_eq!(
        memory_order(Some(2 << 20), 1 << 20),
        [MemFile::MemSw, MemFile::Limit]
    );
    assert_eq!(
        memory_order(None, 1 << 20),
        [MemFile::MemSw, MemFile::Limit]
    );
}

#[test]
fn create_makes_required_hierarchies_only_with_a_unique_run_name() {
    let fake = FakeV1::new();
    let host = host(&fake);
    let a = host.create(&Default::default()).unwrap();
    let b = host.create(&Default::default()).unwrap();
    assert_ne!(a.name(), b.name());
    assert!(a.name().starts_with("run-"), "{}", a.name());
    for ctl in REQUIRED {
        assert!(fake.group(ctl).join(a.name()).is_dir(), "{}", ctl.name());
    }
    for ctl in [Ctl::Cpu, Ctl::Cpuset] {
        assert!(!fake.group(ctl).join(a.name()).exists(), "{}", ctl.name());
    }
    assert_eq!(a.paths().len(), 4);
}

#[test]
fn cpuset_gets_the_parents_cpus_and_mems_before_anything_else() {
    let fake = FakeV1::new();
    let run = host(&fake).make_run("judge-run", &ALL_RUN_CTLS).unwrap();
    assert_eq!(run.file(Ctl::Cpuset, "cpuset.mems"), "0");
    assert_eq!(run.file(Ctl::Cpuset, "cpuset.cpus"), "0-1");
    let mut run = run;
    run.populate_and_disarm();
}

#[test]
fn limits_are_written_with_memsw_equal_to_memory() {
    let fake = FakeV1::new();
    let run = full_run(&fake);
    run.apply(&limits(), true).unwrap();
    assert_eq!(run.file(Ctl::Memory, "memory.limit_in_bytes"), "1048576");
    assert_eq!(
        run.file(Ctl::Memory, "memory.memsw.limit_in_bytes"),
        "1048576"
    );
    assert_eq!(run.file(Ctl::Pids, "pids.max"), "16");
    assert_eq!(run.file(Ctl::Cpu, "cpu.cfs_period_us"), "100000");
    assert_eq!(run.file(Ctl::Cpu, "cpu.cfs_quota_us"), "50000");
    assert_eq!(run.file(Ctl::Cpuset, "cpuset.cpus"), "1");
    assert_eq!(run.file(Ctl::Cpuset, "cpuset.mems"), "0");
}

#[test]
fn raising_an_existing_limit_reads_memsw_and_sets_both() {
    let fake = FakeV1::new();
    let run = full_run(&fake);
    run.apply(&limits(), true).unwrap();
    let higher = CgroupLimits {
        memory_bytes: Some(2 << 20),
        ..limits()
    };
    run.limit(&higher).unwrap();
    assert_eq!(run.file(Ctl::Memory, "memory.limit_in_bytes"), "2097152");
    assert_eq!(
        run.file(Ctl::Memory, "memory.memsw.limit_in_bytes"),
        "2097152"
    );
}

#[test]
fn none_resets_limits_when_reapplied() {
    let fake = FakeV1::new();
    let run = full_run(&fake);
    run.apply(&limits(), true).unwrap();
    run.limit(&CgroupLimits::default()).unwrap();
    assert_eq!(run.file(Ctl::Memory, "memory.limit_in_bytes"), "-1");
    assert_eq!(run.file(Ctl::Memory, "memory.memsw.limit_in_bytes"), "-1");
    assert_eq!(run.file(Ctl::Pids, "pids.max"), "max");
    assert_eq!(run.file(Ctl::Cpu, "cpu.cfs_quota_us"), "-1");
    assert_eq!(run.file(Ctl::Cpuset, "cpuset.cpus"), "0-1");
}

#[test]
fn without_swap_accounting_only_the_memory_limit_is_set() {
    let fake = FakeV1::new();
    std::fs::remove_file(fake.mount(Ctl::Memory).join("memory.memsw.limit_in_bytes")).unwrap();
    let host = host(&fake);
    assert!(!host.memsw);
    let mut run = host.make_run("judge-run", &REQUIRED).unwrap();
    run.removed = true;
    populate(
        run.dir(Ctl::Memory).unwrap(),
        &[("memory.limit_in_bytes", "-1\n")],
    );
    run.apply(&limits_without_cpu(), true).unwrap();
    assert_eq!(run.file(Ctl::Memory, "memory.limit_in_bytes"), "1048576");
    assert!(!run
        .dir(Ctl::Memory)
        .unwrap()
        .join("memory.memsw.limit_in_bytes")
        .exists());
}

fn limits_without_cpu() -> CgroupLimits {
    CgroupLimits {
        memory_bytes: Some(1 << 20),
        ..Default::default()
    }
}

#[test]
fn cpu_limits_on_a_run_created_without_them_are_refused() {
    let fake = FakeV1::new();
    let mut run = host(&fake).make_run("judge-run", &REQUIRED).unwrap();
    run.populate_and_disarm();
    let err = run.limit(&limits()).unwrap_err();
    assert!(
        matches!(
            &err,
            CgroupError::RunLacksController {
                controller: "cpu",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn attach_writes_the_tgid_to_every_hierarchy() {
    let fake = FakeV1::new();
    let run = full_run(&fake);
    run.attach(4242).unwrap();
    for ctl in ALL_RUN_CTLS {
        assert_eq!(run.file(ctl, "cgroup.procs"), "4242", "{}", ctl.name());
        assert_eq!(
            run.file(ctl, "tasks"),
            "",
            "{}: tasks is per thread",
            ctl.name()
        );
    }
    assert_eq!(run.procs().unwrap(), vec![4242]);
}

#[test]
fn attach_rejects_non_pids() {
    let fake = FakeV1::new();
    let run = full_run(&fake);
    assert!(matches!(
        run.attach(0),
        Err(CgroupError::InvalidPid { pid: 0 })
    ));
}

#[test]
fn no_clone_into_fd_on_v1() {
    let fake = FakeV1::new();
    assert!(full_run(&fake).clone_into_fd().is_none());
}

#[test]
fn cpu_usage_is_cpuacct_usage_in_nanoseconds() {
    let fake = FakeV1::new();
    let run = full_run(&fake);
    std::fs::write(
        run.dir(Ctl::CpuAcct).unwrap().join("cpuacct.usage"),
        "123456789\n",
    )
    .unwrap();
    assert_eq!(run.cpu_usage().unwrap(), Duration::from_nanos(123_456_789));
}

#[test]
fn memory_peak_is_max_usage_and_none_without_the_file() {
    let fake = FakeV1::new();
    let run = full_run(&fake);
    let file = run
        .dir(Ctl::Memory)
        .unwrap()
        .join("memory.max_usage_in_bytes");
    std::fs::write(&file, "5242880\n").unwrap();
    assert_eq!(run.memory_peak().unwrap(), Some(5_242_880));
    std::fs::remove_file(&file).unwrap();
    assert_eq!(run.memory_peak().unwrap(), None);
}

#[test]
fn oom_kills_come_from_oom_control() {
    let fake = FakeV1::new();
    let run = full_run(&fake);
    let file = run.dir(Ctl::Memory).unwrap().join("memory.oom_control");
    std::fs::write(&file, "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n").unwrap();
    assert_eq!(run.oom_kills().unwrap(), 4);
}

#[test]
fn kill_all_freezes_and_thaws() {
    let fake = FakeV1::new();
    let run = full_run(&fake);
    let procs = run.dir(Ctl::Freezer).unwrap().join("cgroup.procs");
    std::fs::write(procs, format!("{IMPOSSIBLE_PID}\n")).unwrap();
    run.kill_all().unwrap();
    // The fake kernel keeps what was written last: the thaw.
    assert_eq!(run.file(Ctl::Freezer, "freezer.state"), "THAWED");
}

#[test]
fn kill_all_of_an_empty_run_does_not_freeze() {
    let fake = FakeV1::new();
    let run = full_run(&fake);
    run.kill_all().unwrap();
    assert_eq!(run.file(Ctl::Freezer, "freezer.state"), "THAWED\n");
}

#[test]
fn groups_of_gone_engines_are_swept_in_every_hierarchy_and_live_ones_kept() {
    let fake = FakeV1::new();
    let gone = EngineId::random().unwrap();
    let alive = EngineId::random().unwrap();
    let mut alive_locks = Vec::new();
    for ctl in REQUIRED {
        for id in [&gone, &alive] {
            let run = fake.mount(ctl).join(group_name(id)).join("run-7");
            populate(&run, &v1_files(ctl));
        }
        alive_locks.push(
            lock_dir(&fake.mount(ctl).join(group_name(&alive)), false)
                .unwrap()
                .unwrap(),
        );
    }
    // A crash during creation can leave a group in some hierarchies only.
    let partial = EngineId::random().unwrap();
    std::fs::create_dir(fake.mount(Ctl::Memory).join(group_name(&partial))).unwrap();
    let host = host(&fake);
    // The fake's run directories hold files, so their rmdir fails: the sweep tried the gone
    // engine's runs (and says so), removed the empty partial group, and left the live one alone.
    let sweep = host.sweep.clone();
    let run = fake
        .mount(Ctl::Memory)
        .join(group_name(&gone))
        .join("run-7");
    let run = run.display().to_string();
    assert!(
        sweep.errors.iter().any(|e| e.contains(&run)),
        "{run} not tried: {sweep:?}"
    );
    for ctl in REQUIRED {
        assert!(fake
            .mount(ctl)
            .join(group_name(&alive))
            .join("run-7")
            .is_dir());
    }
    assert!(
        sweep.errors.iter().all(|e| !e.contains(alive.as_str())),
        "{sweep:?}"
    );
    assert!(!fake.mount(Ctl::Memory).join(group_name(&partial)).exists());
    assert!(sweep
        .removed
        .contains(&fake.mount(Ctl::Memory).join(group_name(&partial))));
}

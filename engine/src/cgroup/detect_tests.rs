//! Tests of layout detection against fake cgroupfs trees (see `fake`).

use super::*;
use crate::cgroup::fake::{self, FakeV1, FakeV2};
use crate::cgroup::{unavailable_warning, Layout};

/// The cgroup lines of this project's v1 build machine.
const HYBRID_MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

fn no_parent() -> CgroupConfig {
    CgroupConfig::default()
}

#[test]
fn mountinfo_keeps_cgroup_mounts_with_options() {
    let mounts = parse_mountinfo(HYBRID_MOUNTINFO);
    assert_eq!(mounts.len(), 4, "tmpfs is skipped");
    assert_eq!(mounts[1].point, Path::new("/sys/fs/cgroup/memory"));
    assert_eq!(mounts[1].root, "/");
    assert!(mounts[1].has(Ctl::Memory));
    assert!(!mounts[0].has(Ctl::CpuAcct), "cpu is not cpuacct");
    assert_eq!(mounts[3].fstype, "cgroup2");
    assert!(
        !mounts[3].has(Ctl::Memory),
        "cgroup2 is never a v1 hierarchy"
    );
}

#[test]
fn mountinfo_with_optional_fields_and_escapes() {
    let line = "35 24 0:30 /docker/abc /sys/fs/my\\040cgroup ro,nosuid shared:9 master:2 - \
                cgroup cgroup rw,cpu,cpuacct\n";
    let mounts = parse_mountinfo(line);
    assert_eq!(mounts[0].point, Path::new("/sys/fs/my cgroup"));
    assert_eq!(mounts[0].root, "/docker/abc");
    assert!(mounts[0].is_read_only());
    assert!(mounts[0].has(Ctl::Cpu) && mounts[0].has(Ctl::CpuAcct));
}

#[test]
fn proc_cgroup_maps_each_controller() {
    let own = parse_proc_cgroup(
        "9:name=systemd:/\n4:memory:/process_api/d05b\n2:cpu,cpuacct:/x\n0::/user.slice\n",
    );
    assert_eq!(own.v1["memory"], "/process_api/d05b");
    assert_eq!(own.v1["cpu"], "/x");
    assert_eq!(own.v1["cpuacct"], "/x");
    assert_eq!(own.unified.as_deref(), Some("/user.slice"));
}

#[test]
fn proc_cgroup_path_may_contain_colons() {
    let own = parse_proc_cgroup("0::/a:b\n");
    assert_eq!(own.unified.as_deref(), Some("/a:b"));
}

#[test]
fn own_cgroup_is_found_through_the_mount_root() {
    let mount = Mount {
        root: "/docker/abc".into(),
        point: PathBuf::from("/sys/fs/cgroup/memory"),
        options: vec![],
        fstype: "cgroup".into(),
    };
    assert_eq!(
        locate(&mount, "/docker/abc/sub").unwrap(),
        Path::new("/sys/fs/cgroup/memory/sub")
    );
    assert_eq!(
        locate(&mount, "/docker/abc").unwrap(),
        Path::new("/sys/fs/cgroup/memory")
    );
    let err = locate(&mount, "/docker/other").unwrap_err();
    assert!(matches!(err, CgroupError::OutsideMount { .. }), "{err}");
}

#[test]
fn configured_parent_stays_inside_the_mount() {
    let mount = parse_mountinfo(HYBRID_MOUNTINFO).remove(1);
    let dir = configured(&mount, Path::new("/judge/runs")).unwrap();
    assert_eq!(dir, Path::new("/sys/fs/cgroup/memory/judge/runs"));
    let err = configured(&mount, Path::new("/judge/../..")).unwrap_err();
    assert!(matches!(err, CgroupError::InvalidParent { .. }), "{err}");
}

#[test]
fn hybrid_with_empty_unified_is_v1_under_the_engines_own_cgroups() {
    let fake = FakeV1::new().own(Ctl::Memory, "/process_api/d05b");
    let host = detect_host(&fake.prepared_facts(), &no_parent()).unwrap();
    let Host::V1(host) = host else {
        panic!("expected v1, got {host:?}")
    };
    assert_eq!(host.layout(), Layout::V1);
    let run = host.create(&Default::default()).unwrap();
    let memory_dir = fake.group(Ctl::Memory).join(run.name());
    assert!(memory_dir.is_dir(), "{}", memory_dir.display());
    assert!(memory_dir.starts_with(fake.mount(Ctl::Memory).join("process_api/d05b")));
    assert!(fake.group(Ctl::Pids).join(run.name()).is_dir());
}

#[test]
fn unified_root_is_v2() {
    let fake = FakeV2::new();
    fake.group_in("/");
    let host = detect_host(&fake.facts(), &no_parent()).unwrap();
    assert!(matches!(host, Host::V2(_)), "{host:?}");
    assert_eq!(host.into_shared().layout(), Layout::V2);
    // The true root may hold processes and still delegate: no leaf, controllers enabled.
    assert!(!fake.root().join("judge-engine").exists());
    assert_eq!(
        fake::read(fake.root().join("cgroup.subtree_control")),
        "+memory +pids +cpu +cpuset"
    );
}

#[test]
fn v2_engine_moves_into_a_leaf_before_enabling_controllers() {
    let me = std::process::id();
    let fake = FakeV2::new().own("/svc", &[me as i32]);
    fake.cgroup("/svc/judge-engine");
    let group = fake.group_in("/svc");
    let host = detect_host(&fake.facts(), &no_parent()).unwrap();
    let Host::V2(host) = host else {
        panic!("expected v2")
    };
    assert_eq!(host.parent(), group);
    assert_eq!(
        fake::read(fake.root().join("svc/judge-engine/cgroup.procs")),
        me.to_string()
    );
    assert_eq!(
        fake::read(group.join("cgroup.subtree_control")),
        "+memory +pids +cpu +cpuset"
    );
    assert_eq!(
        fake::read(fake.root().join("svc/cgroup.subtree_control")),
        "+memory +pids +cpu +cpuset"
    );
}

#[test]
fn v2_engine_already_in_its_leaf_uses_the_leafs_parent() {
    let fake = FakeV2::new().own("/svc/judge-engine", &[]);
    fake.cgroup("/svc");
    let group = fake.group_in("/svc");
    let Host::V2(host) = detect_host(&fake.facts(), &no_parent()).unwrap() else {
        panic!("expected v2")
    };
    assert_eq!(host.parent(), group);
}

#[test]
fn v2_controllers_already_enabled_are_not_rewritten() {
    let fake = FakeV2::new().own("/svc", &[]);
    let subtree = fake.root().join("svc/cgroup.subtree_control");
    std::fs::write(&subtree, "cpuset cpu memory pids\n").unwrap();
    fake.group_in("/svc");
    detect_host(&fake.facts(), &no_parent()).unwrap();
    assert_eq!(fake::read(&subtree), "cpuset cpu memory pids\n");
}

#[test]
fn v2_only_available_controllers_are_enabled() {
    let fake = FakeV2::new().own("/svc", &[]);
    std::fs::write(
        fake.root().join("svc/cgroup.controllers"),
        "memory io pids\n",
    )
    .unwrap();
    fake.group_in("/svc");
    let Host::V2(host) = detect_host(&fake.facts(), &no_parent()).unwrap() else {
        panic!("expected v2")
    };
    assert_eq!(
        fake::read(fake.root().join("svc/cgroup.subtree_control")),
        "+memory +pids"
    );
    let limits = crate::cgroup::CgroupLimits {
        cpuset: Some("0".into()),
        ..Default::default()
    };
    let err = host.create(&limits).unwrap_err();
    assert!(err.to_string().contains("cpuset"), "{err}");
}

#[test]
fn v2_without_memory_controller_is_unavailable() {
    let fake = FakeV2::new();
    std::fs::write(fake.root().join("cgroup.controllers"), "cpu io pids\n").unwrap();
    let err = detect_host(&fake.facts(), &no_parent()).unwrap_err();
    assert!(
        matches!(&err, CgroupError::ControllerMissing { controller: "memory", path }
            if path.ends_with("cgroup.controllers")),
        "{err}"
    );
}

#[test]
fn hybrid_without_v1_memory_falls_to_the_empty_unified_and_is_unavailable() {
    let fake = FakeV1::new().without(Ctl::Memory);
    let err = detect_host(&fake.facts(), &no_parent()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("memory"), "{text}");
    assert!(text.contains("unified"), "{text}");
}

#[test]
fn v1_without_freezer_is_unavailable() {
    let fake = FakeV1::new().without(Ctl::Freezer);
    let err = detect_host(&fake.facts(), &no_parent()).unwrap_err();
    assert!(
        matches!(
            err,
            CgroupError::NotMounted {
                controller: "freezer"
            }
        ),
        "{err}"
    );
}

#[test]
fn v1_without_cpu_still_works_for_runs_without_quota() {
    let fake = FakeV1::new().without(Ctl::Cpu);
    let host = detect_host(&fake.prepared_facts(), &no_parent())
        .unwrap()
        .into_shared();
    assert!(host.create(&Default::default()).is_ok());
    let limits = crate::cgroup::CgroupLimits {
        cpu_quota: Some(crate::cgroup::CpuQuota {
            quota: std::time::Duration::from_millis(50),
            period: std::time::Duration::from_millis(100),
        }),
        ..Default::default()
    };
    let err = host.create(&limits).unwrap_err();
    assert!(
        matches!(err, CgroupError::NotMounted { controller: "cpu" }),
        "{err}"
    );
}

#[test]
fn read_only_mount_is_unavailable() {
    let fake = FakeV1::new();
    let err = detect_host(&fake.facts_with("ro,relatime"), &no_parent()).unwrap_err();
    assert!(matches!(err, CgroupError::ReadOnly { .. }), "{err}");
}

#[test]
fn unwritable_parent_is_unavailable_with_path_and_errno() {
    // The engine's memory cgroup does not exist: the group's mkdir fails as it would without
    // access.
    let fake = FakeV1::new();
    let mut facts = fake.prepared_facts();
    facts.self_cgroup = facts.self_cgroup.replace(":memory:/", ":memory:/gone");
    let err = detect_host(&facts, &no_parent()).unwrap_err();
    let warning = unavailable_warning(&err);
    let gone = fake.mount(Ctl::Memory).join("gone");
    assert!(warning.contains(&gone.display().to_string()), "{warning}");
    assert!(warning.contains("ENOENT"), "{warning}");
}

#[test]
fn parent_that_is_a_file_is_unavailable() {
    let fake = FakeV2::new();
    std::fs::write(fake.root().join("judge"), "").unwrap();
    let config = CgroupConfig {
        parent: Some("/judge".into()),
    };
    let err = detect_host(&fake.facts(), &config).unwrap_err();
    assert!(err.to_string().contains("judge"), "{err}");
}

#[test]
fn configured_v1_parent_is_created_in_every_hierarchy_with_cpuset_seeded() {
    let fake = FakeV1::new();
    let config = CgroupConfig {
        parent: Some("/judge".into()),
    };
    let host = detect_host(&fake.facts(), &config).unwrap().into_shared();
    for ctl in Ctl::ALL {
        assert!(fake.mount(ctl).join("judge").is_dir(), "{}", ctl.name());
    }
    let cpuset = fake.mount(Ctl::Cpuset).join("judge");
    assert_eq!(fake::read(cpuset.join("cpuset.mems")), "0");
    assert_eq!(fake::read(cpuset.join("cpuset.cpus")), "0-1");
    let run = host.create(&Default::default()).unwrap();
    assert!(fake
        .group_in(Ctl::Freezer, "/judge")
        .join(run.name())
        .is_dir());
}

#[test]
fn probes_leave_nothing_behind_but_the_group() {
    let fake = FakeV2::new();
    let group = fake.group_in("/");
    let host = detect_host(&fake.facts(), &no_parent()).unwrap();
    let dirs = |dir: &Path| -> Vec<_> {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.path())
            .collect()
    };
    assert_eq!(dirs(fake.root()), vec![group.clone()]);
    assert!(dirs(&group).is_empty(), "{:?}", dirs(&group));
    drop(host);
}

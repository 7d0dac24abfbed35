//! Credentials: the host ids of sandboxed programs are settings, each pool worker runs as host
//! ids of its own (so runs on two workers could not signal, trace or read each other even if
//! they saw each other), every id of every set is checked against the host's accounts at start,
//! and a command may choose the ids its program sees.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::root;
use judge_engine::hostdir::Cap;
use judge_engine::pool::{Pool, PoolConfig};
use judge_engine::sandbox::{
    system_mounts, Command, Layout, Mount, Network, Sandbox, SandboxConfig, SandboxError,
    SpecError, Stdio, SyscallFilter,
};

const MARKER: &str = "judge-credentials-probe";

/// The host's view of a process: its real uid and its parent.
fn host_ids(pid: u32) -> Option<(u32, u32, u32)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u32>().ok())
    };
    Some((field("Uid:")?, field("Gid:")?, field("PPid:")?))
}

/// Run, on each of two workers at once, a shell that writes its ids and a file into the
/// worker's writable `/w` and sleeps; watch the host's processes meanwhile. Returns, per
/// worker, what the program said and the host owner of its file; and the host uid of every
/// probe process seen, with the uid of its parent.
/// Per worker: what its program said and the host owner of the file it wrote.
type Said = Vec<(String, (u32, u32))>;

fn two_workers_at_once(reuse: bool) -> (Said, BTreeMap<u32, u32>) {
    let pool = common::pool(2, reuse);
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let watching = watching.clone();
        std::thread::spawn(move || {
            let mut seen = BTreeMap::new();
            while watching.load(Ordering::Relaxed) {
                for pid in common::processes_with(MARKER) {
                    if let Some((uid, _, ppid)) = host_ids(pid) {
                        if let Some((parent, _, _)) = host_ids(ppid) {
                            seen.insert(uid, parent);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            seen
        })
    };
    // Both jobs wait for each other, so that each worker holds one.
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let tickets: Vec<_> = (0..2)
        .map(|_| {
            let barrier = barrier.clone();
            pool.submit(move |worker| {
                barrier.wait();
                let w = worker.scratch_work(Cap::bytes(1 << 20)).unwrap();
                let mut mounts = system_mounts();
                mounts.push(Mount::writable(&w, "/w"));
                let layout = Layout {
                    mounts,
                    tmp_size: 1 << 20,
                    cpus: None,
                    syscalls: SyscallFilter::base(),
                    network: Network::None,
                };
                let out = tempfile::NamedTempFile::new().unwrap();
                let mut cmd = Command::new("/bin/sh");
                cmd.args([
                    "-c",
                    "echo $(id -u) $(id -g); echo x > /w/made; sleep 1",
                    MARKER,
                ])
                .stdout(Stdio::from(out.reopen().unwrap()));
                let result = worker.run(layout, cmd).unwrap();
                assert!(result.success(), "{result:?}");
                let said = std::fs::read_to_string(out.path()).unwrap();
                let meta = std::fs::metadata(w.join("made")).unwrap();
                worker.release_scratch().unwrap();
                (said, (meta.uid(), meta.gid()))
            })
        })
        .collect();
    let results: Vec<_> = tickets.into_iter().map(|t| t.wait()).collect();
    watching.store(false, Ordering::Relaxed);
    let seen = watcher.join().unwrap();
    (results, seen)
}

fn check_two_workers(reuse: bool) {
    let base = common::sandbox().config().clone();
    let (results, seen) = two_workers_at_once(reuse);
    let expected: BTreeSet<u32> = [1, 2].map(|k| base.for_slot(k).host_uid).into();
    // Files the programs wrote belong to their worker's host ids, one set per worker.
    let owners: BTreeSet<u32> = results.iter().map(|(_, (uid, _))| *uid).collect();
    assert_eq!(owners, expected, "{results:?}");
    for (_, (uid, gid)) in &results {
        assert_eq!(gid - base.host_gid, uid - base.host_uid, "{results:?}");
    }
    // The programs see the same inside ids on every worker.
    for (said, _) in &results {
        assert_eq!(
            said.trim(),
            format!("{} {}", base.inside_uid, base.inside_gid),
            "{results:?}"
        );
    }
    // On the host, while both ran: two probes, each with its worker's uid; not the ids of runs
    // beside the workers (set 0), nor the engine's.
    let uids: BTreeSet<u32> = seen.keys().copied().collect();
    assert_eq!(uids, expected, "probes seen on the host: {seen:?}");
    assert!(!uids.contains(&base.host_uid), "{seen:?}");
    // The program's parent is its sandbox's init: its worker's namespace root, another id.
    for (uid, parent) in &seen {
        assert_eq!(*parent, uid + 1, "{seen:?}");
    }
}

#[test]
fn each_worker_of_a_reusing_pool_runs_as_host_ids_of_its_own() {
    if !root() {
        return;
    }
    check_two_workers(true);
}

#[test]
fn each_worker_of_a_fresh_pool_runs_as_host_ids_of_its_own() {
    if !root() {
        return;
    }
    check_two_workers(false);
}

#[test]
fn a_pool_needs_a_set_of_host_ids_per_worker_and_one_more() {
    if !root() {
        return;
    }
    let sandbox = Sandbox::new(SandboxConfig {
        slots: 3,
        cgroup: None,
        ..SandboxConfig::default()
    })
    .unwrap();
    let sandbox = Arc::new(sandbox);
    let config = |workers| PoolConfig {
        workers,
        reuse: false,
        queue: 4,
        cpus: None,
    };
    let err = Pool::new(sandbox.clone(), config(3)).unwrap_err();
    assert!(err.to_string().contains("4 sets of host ids"), "{err}");
    let pool = Pool::new(sandbox, config(2)).unwrap();
    assert_eq!(pool.workers(), 2);
}

/// An account of this host with a uid the sets can reach: (uid, name).
fn some_account() -> (u32, String) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    passwd
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((f.get(2)?.parse::<u32>().ok()?, f[0].to_owned()))
        })
        .filter(|(uid, _)| (1000..4_000_000_000).contains(uid))
        // The highest (nobody's, on Debian): no other account sits just below it.
        .max()
        .expect("an account with a uid of at least 1000 (nobody, or a user)")
}

#[test]
fn every_host_id_of_every_set_is_checked_against_the_hosts_accounts() {
    if !root() {
        return;
    }
    let (uid, name) = some_account();
    // Only the last of 8 sets reaches the account's uid (as a namespace root).
    let config = SandboxConfig {
        host_uid: uid - 15,
        init_host_uid: uid - 14,
        host_gid: 3_000_000_000,
        init_host_gid: 3_000_000_001,
        slots: 8,
        cgroup: None,
        ..SandboxConfig::default()
    };
    assert_eq!(config.for_slot(7).init_host_uid, uid);
    match Sandbox::new(config.clone()) {
        Err(SandboxError::HostAccount {
            kind: "uid",
            id,
            name: found,
        }) => {
            assert_eq!((id, found), (uid, name));
        }
        other => panic!("{other:?}"),
    }
    // One set fewer misses it.
    let fewer = Sandbox::new(SandboxConfig { slots: 7, ..config }).unwrap();
    assert_eq!(fewer.config().slots, 7);
}

#[test]
fn sets_of_host_ids_may_not_overlap_nor_run_out() {
    if !root() {
        return;
    }
    // The program's uid of set 1 would be the namespace root's of set 0.
    let overlapping = SandboxConfig {
        init_host_uid: 60002,
        init_host_gid: 60003,
        slots: 2,
        cgroup: None,
        ..SandboxConfig::default()
    };
    assert!(
        matches!(Sandbox::new(overlapping), Err(SandboxError::HostId(60002))),
        "overlapping sets accepted"
    );
    for slots in [0, judge_engine::sandbox::MAX_SLOTS + 1] {
        let config = SandboxConfig {
            slots,
            cgroup: None,
            ..SandboxConfig::default()
        };
        assert!(matches!(Sandbox::new(config), Err(SandboxError::Slots(_))));
    }
    let top = SandboxConfig {
        host_uid: u32::MAX - 10,
        init_host_uid: u32::MAX - 9,
        slots: 8,
        cgroup: None,
        ..SandboxConfig::default()
    };
    assert!(matches!(Sandbox::new(top), Err(SandboxError::HostId(_))));
}

#[test]
fn a_command_may_choose_the_ids_its_program_sees() {
    if !root() {
        return;
    }
    let script = "echo $(id -u) $(id -g); echo x > /w/made";
    let dir = common::sandbox()
        .dirs()
        .sandbox_dir("w", None)
        .expect("a writable directory");
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", script])
        .mounts(system_mounts())
        .mount(Mount::writable(dir.path(), "/w"))
        .inside_ids(4242, 4343);
    let out = common::run(cmd);
    assert!(out.result.success(), "{out:?}");
    assert_eq!(out.stdout.trim(), "4242 4343");
    // The host ids stay the engine's.
    let config = common::sandbox().config();
    let meta = std::fs::metadata(dir.path().join("made")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (config.host_uid, config.host_gid));
    // Root inside is the namespace's init's, never the program's.
    let mut cmd = Command::new("/bin/true");
    cmd.mounts(system_mounts()).inside_ids(0, 1000);
    assert!(matches!(
        common::sandbox().run(cmd),
        Err(SandboxError::Spec(SpecError::InsideRoot))
    ));
}

#[test]
fn a_reusing_worker_runs_a_command_with_its_own_inside_ids_fresh() {
    if !root() {
        return;
    }
    let pool = common::pool(1, true);
    let mut said = Vec::new();
    for ids in [None, Some((777, 778)), None] {
        let out = pool
            .submit(move |worker| {
                let out = tempfile::NamedTempFile::new().unwrap();
                let mut cmd = Command::new("/bin/sh");
                cmd.args(["-c", "echo $(id -u) $(id -g)"])
                    .stdout(Stdio::from(out.reopen().unwrap()));
                if let Some((uid, gid)) = ids {
                    cmd.inside_ids(uid, gid);
                }
                let result = worker.run(common::layout(), cmd).unwrap();
                assert!(result.success(), "{result:?}");
                std::fs::read_to_string(out.path()).unwrap()
            })
            .wait();
        said.push(out.trim().to_owned());
    }
    let config = common::sandbox().config();
    let default = format!("{} {}", config.inside_uid, config.inside_gid);
    assert_eq!(said, [default.clone(), "777 778".to_owned(), default]);
    let stats = pool.stats();
    assert_eq!(stats.envs_built, 1, "{stats:?}");
    assert_eq!(stats.envs_reused, 1, "{stats:?}");
}

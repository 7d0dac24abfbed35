//! The worker pool: CPU pinning, back-pressure under a long queue, and a clean exit.

mod common;

use std::collections::BTreeSet;

use common::{compile, layout, root};
use judge_engine::sandbox::{Command, Stdio};

/// The tests look at every process, cgroup and directory of the engine: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn sandboxed_processes() -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(status) = std::fs::read_to_string(entry.path().join("status")) {
            if common::sandbox_uid(&status) {
                found.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    found
}

/// Run cgroups of this test's engine: the directories in its group, in the memory hierarchy
/// (v1) or the unified one (v2).
fn own_cgroups() -> Vec<String> {
    let group = format!("judge-{}", common::sandbox().id());
    let mut found = Vec::new();
    for root in ["/sys/fs/cgroup/memory", "/sys/fs/cgroup"] {
        for entry in walkdir(std::path::Path::new(root), 4) {
            if entry
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n.to_string_lossy() == group)
            {
                found.push(entry.display().to_string());
            }
        }
    }
    found
}

fn walkdir(dir: &std::path::Path, depth: usize) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if depth == 0 {
        return out;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.push(path.clone());
                out.extend(walkdir(&path, depth - 1));
            }
        }
    }
    out
}

fn worker_dirs() -> BTreeSet<String> {
    std::fs::read_dir(common::sandbox().dirs().base())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("worker"))
        .collect()
}

#[test]
fn a_worker_pins_its_runs_to_its_cpu_and_the_program_cannot_widen_it() {
    if !root() {
        return;
    }
    let _alone = alone();
    let program = compile("affinity.c", false);
    for reuse in [true, false] {
        let pool = common::pool(1, reuse);
        let program = program.clone();
        let out = pool
            .submit(move |worker| {
                let mut file = tempfile::tempfile().unwrap();
                let mut cmd = Command::new(&program);
                cmd.stdout(Stdio::from(file.try_clone().unwrap()));
                let result = worker.run(layout(), cmd).unwrap();
                let mut text = String::new();
                std::io::Seek::rewind(&mut file).unwrap();
                std::io::Read::read_to_string(&mut file, &mut text).unwrap();
                (result, text, worker.cpu())
            })
            .wait();
        assert!(out.0.success(), "{:?}", out.0);
        assert!(out.2.is_some());
        assert_eq!(out.1.trim(), "cpus=1", "reuse={reuse}");
    }
}

#[test]
fn two_thousand_queued_runs_keep_memory_bounded_and_leave_nothing_behind() {
    if !root() {
        return;
    }
    let _alone = alone();
    let before_dirs = worker_dirs();
    let pool = common::pool(2, true);
    // Warm up: environments built, allocator pools filled.
    for _ in 0..20 {
        pool.submit(|w| {
            w.run(layout(), Command::new("/bin/true"))
                .unwrap()
                .success()
        })
        .wait();
    }
    let rss0 = rss_kib();
    let ok = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        // The producer queues all 2,000 at once; the consumer waits for them as they come.
        let (tx, rx) = crossbeam_channel::unbounded();
        s.spawn(|| {
            for _ in 0..2000 {
                let ticket = pool.submit(|w| {
                    w.run(layout(), Command::new("/bin/true"))
                        .unwrap()
                        .success()
                });
                tx.send(ticket).unwrap();
            }
            drop(tx);
        });
        for ticket in rx {
            if ticket.wait() {
                ok.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    assert_eq!(ok.into_inner(), 2000);
    let (_, peak) = pool.queued();
    assert!(peak <= 4, "the queue held {peak} jobs for a capacity of 4");
    assert!(peak >= 1, "the producer never got ahead of the workers");
    let grown = rss_kib().saturating_sub(rss0);
    assert!(
        grown < 16 << 10,
        "memory grew by {grown} KiB over 2,000 runs"
    );
    assert!(
        !own_cgroups().is_empty(),
        "the check would not see the pool's cgroups"
    );
    assert!(
        !worker_dirs().is_empty(),
        "the check would not see the pool's directories"
    );
    drop(pool);
    assert_eq!(
        sandboxed_processes(),
        Vec::<String>::new(),
        "processes left"
    );
    assert_eq!(own_cgroups(), Vec::<String>::new(), "cgroups left");
    assert_eq!(worker_dirs(), before_dirs, "worker directories left");
}

#[test]
fn staging_copies_a_link_the_compiler_left_as_a_link_never_what_it_points_to() {
    if !root() {
        return;
    }
    let _alone = alone();
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "HOST SECRET").unwrap();
    let built = common::sandbox().dirs().sandbox_dir("work", None).unwrap();
    std::os::unix::fs::symlink(secret.path(), built.path().join("main")).unwrap();
    std::fs::write(built.path().join("data"), "ok").unwrap();
    let pool = common::pool(1, true);
    let source = built.path().to_path_buf();
    let staged = pool
        .submit(move |w| {
            let dir = w
                .stage(judge_engine::pool::stage_key(), &source)
                .unwrap()
                .to_owned();
            let link = std::fs::symlink_metadata(dir.join("main")).unwrap();
            let data = std::fs::read_to_string(dir.join("data")).unwrap();
            (link.file_type().is_symlink(), data)
        })
        .wait();
    assert_eq!(staged, (true, "ok".to_owned()));
}

/// Host pids of the environments' spares: the sandbox init's user (worker 0's, 60003), a child
/// of an init (whose own parent is this process).
fn spares() -> Vec<i32> {
    let field = |status: &str, key: &str| -> Option<String> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.split_whitespace().next().unwrap_or("").to_owned())
    };
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let init = common::sandbox()
            .config()
            .for_slot(1)
            .init_host_uid
            .to_string();
        if field(&status, "Uid:").as_deref() == Some(init.as_str())
            && field(&status, "PPid:").as_deref() != Some(me.as_str())
        {
            found.push(pid);
        }
    }
    found
}

#[test]
fn a_run_whose_spare_was_killed_or_stopped_from_outside_still_gets_its_result() {
    if !root() {
        return;
    }
    let _alone = alone();
    let pool = common::pool(1, true);
    let run = |pool: &judge_engine::pool::Pool| {
        pool.submit(|w| {
            let mut cmd = Command::new("/bin/echo");
            cmd.arg("fine");
            let mut out = tempfile::tempfile().unwrap();
            cmd.stdout(Stdio::from(out.try_clone().unwrap()));
            let result = w.run(layout(), cmd).map(|r| r.success());
            let mut text = String::new();
            std::io::Seek::rewind(&mut out).unwrap();
            std::io::Read::read_to_string(&mut out, &mut text).unwrap();
            (result.map_err(|e| e.to_string()), text)
        })
        .wait()
    };
    assert_eq!(run(&pool), (Ok(true), "fine\n".to_owned()));
    for signal in [libc::SIGKILL, libc::SIGSTOP] {
        // Let the init finish its clean-up and fork the next spares.
        std::thread::sleep(std::time::Duration::from_millis(200));
        let victims = spares();
        assert!(!victims.is_empty(), "no spare found");
        for pid in victims {
            // SAFETY: signalling a process of our own sandbox.
            unsafe { libc::kill(pid, signal) };
        }
        assert_eq!(
            run(&pool),
            (Ok(true), "fine\n".to_owned()),
            "after {signal}"
        );
    }
}

#[test]
fn try_submit_never_blocks_refuses_past_the_queue_and_hands_each_result_over() {
    if !root() {
        return;
    }
    let _alone = alone();
    // One worker, a queue of 2: hold the worker, fill the queue, and one more is refused.
    let pool = common::pool(1, true);
    let (release, held) = crossbeam_channel::bounded::<()>(0);
    let (results, done) = crossbeam_channel::unbounded();
    let started = std::time::Instant::now();
    let hold = results.clone();
    assert!(pool.try_submit(
        move |_| held.recv().is_ok(),
        move |r| hold.send(r.unwrap()).unwrap()
    ));
    // Until the worker has taken the first job, the queue may hold it too.
    while pool.queued().0 > 0 {
        std::thread::yield_now();
    }
    let mut queued = 0;
    let mut refused = 0;
    for _ in 0..5 {
        let results = results.clone();
        let run = |w: &mut judge_engine::pool::Worker| {
            w.run(layout(), Command::new("/bin/true"))
                .unwrap()
                .success()
        };
        match pool.try_submit(run, move |r| results.send(r.unwrap()).unwrap()) {
            true => queued += 1,
            false => refused += 1,
        }
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "it blocked"
    );
    assert_eq!((queued, refused), (2, 3));
    release.send(()).unwrap();
    let got: Vec<bool> = (0..3).map(|_| done.recv().unwrap()).collect();
    assert_eq!(got, [true, true, true]);
    // The counters saw two runs, one environment built and reused once.
    let stats = pool.stats();
    assert_eq!(stats.runs, 2);
    assert_eq!((stats.envs_built, stats.envs_reused), (1, 1));
    assert_eq!(stats.env_failures + stats.cgroup_errors, 0);
}

//! A soak: 10,000 runs on two workers with reused environments, a mix of correct, failing and
//! hostile programs. Every verdict must be the expected one (the hostile programs' neighbours
//! included), and afterwards no process, mount, cgroup, descriptor or directory of the runs may
//! be left. Alone in its test binary, so that nothing else is counted.

mod common;

use std::time::Duration;

use common::{compile, layout, root};
use judge_engine::sandbox::{Command, Limits, RunResult, Stdio};
use judge_engine::verdict::{classify, Outcome, RuntimeError};

/// 10,000, unless `JUDGE_SOAK_RUNS` says otherwise (the cgroup v2 guest, under emulation,
/// makes 1,000).
fn runs() -> usize {
    std::env::var("JUDGE_SOAK_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000)
}

/// One kind of run: what it runs, its limits, and what must come out.
struct Kind {
    program: String,
    args: Vec<&'static str>,
    limits: Limits,
    expect: Expect,
}

enum Expect {
    /// A normal end with this output.
    Output(&'static str),
    /// A normal end whose output ends with this.
    EndsWith(&'static str),
    Outcome(Outcome),
}

fn kinds() -> Vec<(usize, usize, Kind)> {
    let c = |name: &str| compile(name, true);
    let limits = |cpu_ms: u64, memory_mib: u64, processes: u64| Limits {
        cpu_time: Some(Duration::from_millis(cpu_ms)),
        wall_time: Duration::from_secs(5),
        memory: Some(memory_mib << 20),
        output: Some(1 << 20),
        processes: Some(processes),
        ..Limits::default()
    };
    let normal = limits(1000, 64, 1);
    let kind = |program: String, args: Vec<&'static str>, limits: &Limits, expect| Kind {
        program,
        args,
        limits: limits.clone(),
        expect,
    };
    // (every, offset, kind): run i is of the first kind with i % every == offset.
    vec![
        (
            500,
            7,
            kind(
                c("limits/fork_bomb.c"),
                vec![],
                &limits(2000, 64, 16),
                Expect::EndsWith("then EAGAIN"),
            ),
        ),
        (
            100,
            3,
            kind(
                c("limits/spin_ignore_signals.c"),
                vec![],
                &limits(50, 64, 1),
                Expect::Outcome(Outcome::TimeLimit),
            ),
        ),
        (
            100,
            5,
            kind(
                c("limits/touch_memory.c"),
                vec!["64"],
                &limits(1000, 32, 1),
                Expect::Outcome(Outcome::MemoryLimit),
            ),
        ),
        (
            50,
            11,
            kind(
                c("neighbours.c"),
                vec![],
                &normal,
                Expect::Output("signal 0 stop 0 prlimit 0 affinity 0 kill 0\n"),
            ),
        ),
        (
            50,
            13,
            kind(
                c("plant.c"),
                vec!["process"],
                &limits(1000, 64, 4),
                Expect::Output("planted\n"),
            ),
        ),
        (
            50,
            14,
            kind(
                c("plant.c"),
                vec!["files"],
                &normal,
                Expect::Output("planted\n"),
            ),
        ),
        (
            50,
            15,
            kind(
                c("plant.c"),
                vec!["ipc"],
                &normal,
                Expect::Output("planted\n"),
            ),
        ),
        (
            50,
            16,
            kind(
                c("plant.c"),
                vec!["cycle"],
                &normal,
                Expect::Output("planted\n"),
            ),
        ),
        (
            50,
            17,
            kind(
                c("plant.c"),
                vec!["tmpmode"],
                &normal,
                Expect::Output("chmod refused times refused touch ok dir ok\n"),
            ),
        ),
        (
            50,
            18,
            kind(
                c("plant.c"),
                vec!["socket"],
                &limits(1000, 64, 4),
                Expect::Output("planted\n"),
            ),
        ),
        (
            25,
            1,
            kind(
                c("look.c"),
                vec!["process"],
                &normal,
                Expect::Output("clean\n"),
            ),
        ),
        (
            25,
            2,
            kind(
                c("look.c"),
                vec!["files"],
                &normal,
                Expect::Output("clean\n"),
            ),
        ),
        (
            25,
            4,
            kind(c("look.c"), vec!["ipc"], &normal, Expect::Output("clean\n")),
        ),
        (
            25,
            6,
            kind(
                c("look.c"),
                vec!["socket"],
                &normal,
                Expect::Output("clean\n"),
            ),
        ),
        (
            25,
            8,
            kind(
                c("look.c"),
                vec!["cycle"],
                &normal,
                Expect::Output("clean\n"),
            ),
        ),
        (
            25,
            9,
            kind(
                c("look.c"),
                vec!["tmpmode"],
                &normal,
                Expect::Output("mode 1777 uid 0 gid 0 entries 0 times recent\n"),
            ),
        ),
        (
            10,
            0,
            kind(
                c("plant.c"),
                vec![],
                &normal,
                Expect::Outcome(Outcome::RuntimeError(RuntimeError::ExitCode(2))),
            ),
        ),
        (
            1,
            0,
            kind(
                c("hello.c"),
                vec![],
                &normal,
                Expect::Output("hello from c\n"),
            ),
        ),
    ]
}

/// Run `kind` on `worker`; what is wrong with its result, if anything.
fn check(worker: &mut judge_engine::pool::Worker, kind: &Kind) -> Result<(), String> {
    let mut out = tempfile::tempfile().unwrap();
    let mut cmd = Command::new(&kind.program);
    cmd.args(&kind.args)
        .current_dir("/work")
        .limits(kind.limits.clone())
        .stdout(Stdio::from(out.try_clone().unwrap()));
    let result: RunResult = worker.run(layout(), cmd).map_err(|e| format!("IE: {e}"))?;
    let mut text = String::new();
    std::io::Seek::rewind(&mut out).unwrap();
    std::io::Read::read_to_string(&mut out, &mut text).unwrap();
    let outcome = classify(&result, &kind.limits, Some(text.len() as u64));
    let ok = match &kind.expect {
        Expect::Output(want) => outcome == Outcome::Normal && text == *want,
        Expect::EndsWith(end) => outcome == Outcome::Normal && text.trim_end().ends_with(end),
        Expect::Outcome(want) => outcome == *want,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{outcome:?} {text:?} {result:?}"))
    }
}

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn sandboxed() -> Vec<String> {
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

/// The run cgroups in this engine's group, in any hierarchy.
fn run_cgroups() -> Vec<std::path::PathBuf> {
    let group = format!("judge-{}", common::sandbox().id());
    let mut found = Vec::new();
    let mut stack = vec![(std::path::PathBuf::from("/sys/fs/cgroup"), 0)];
    while let Some((dir, depth)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if entry.file_name().to_string_lossy() == group {
                found.extend(
                    std::fs::read_dir(entry.path())
                        .unwrap()
                        .flatten()
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .map(|e| e.path()),
                );
            } else if depth < 4 {
                stack.push((entry.path(), depth + 1));
            }
        }
    }
    found
}

#[test]
fn ten_thousand_mixed_runs_on_two_workers_every_verdict_right_and_nothing_left() {
    if !root() {
        return;
    }
    let kinds = std::sync::Arc::new(kinds());
    let mounts = || {
        std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .lines()
            .count()
    };
    // The engine's own locks and directories exist before the baseline.
    let base = common::sandbox().dirs().base().to_str().unwrap().to_owned();
    let (fds0, mounts0, base0) = (count("/proc/self/fd"), mounts(), count(&base));
    let pool = common::pool(2, true);
    let runs = runs();
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..runs {
                let kinds = kinds.clone();
                let ticket = pool.submit(move |w| {
                    let (_, _, kind) = kinds
                        .iter()
                        .find(|(every, offset, _)| i % every == *offset)
                        .unwrap();
                    check(w, kind)
                        .map_err(|e| format!("run {i} {} {:?}: {e}", kind.program, kind.args))
                });
                tx.send(ticket).unwrap();
            }
            drop(tx);
        });
        let mut failures = Vec::new();
        for ticket in rx {
            if let Err(e) = ticket.wait() {
                failures.push(e);
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {runs} runs went wrong, first: {:#?}",
            failures.len(),
            &failures[..failures.len().min(5)]
        );
    });
    assert!(
        !run_cgroups().is_empty(),
        "the check would not see the pool's cgroups"
    );
    drop(pool);
    assert_eq!(sandboxed(), Vec::<String>::new(), "processes left");
    assert_eq!(
        run_cgroups(),
        Vec::<std::path::PathBuf>::new(),
        "cgroups left"
    );
    assert_eq!(mounts(), mounts0, "mounts left");
    assert_eq!(count("/proc/self/fd"), fds0, "descriptors left");
    assert_eq!(count(&base), base0, "directories left");
}

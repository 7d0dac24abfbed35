//! Every language profile judged on A+B: `testcases/languages/<profile>/<verdict>.<ext>` must
//! get the verdict its name says (`isolated` reads /etc/shadow and connects to a listener on
//! the host's 127.0.0.1, answering right only if both fail: AC), with a time and memory that
//! fit the verdict. A profile whose toolchain is missing fails the test under `CI=true`
//! (`.ci/run` installs them) and is skipped, said on stderr, otherwise.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{root, testcases};
use judge_engine::judge::{Options, Problem, Report};
use judge_engine::profile::ProfileSet;
use judge_engine::testset;
use judge_engine::verdict::Verdict;

/// The host port the `isolated` programs try; bound here while they run.
const HOST_PORT: u16 = 47999;

/// Every program's time limit: the slowest runtime's MLE program (Bash reading 400 MB into a
/// variable) needs about 1.1 s of CPU to pass 256 MiB.
const TIME_LIMIT: Duration = Duration::from_secs(2);

fn expected(stem: &str) -> Verdict {
    match stem {
        "accepted" | "isolated" => Verdict::AC,
        "wrong_answer" => Verdict::WA,
        "run_time_error" => Verdict::RE,
        "time_limit_exceeded" => Verdict::TLE,
        "memory_limit_exceeded" => Verdict::MLE,
        "compile_error" | "not_installed" => Verdict::CE,
        other => panic!("testcases/languages: {other} names no verdict"),
    }
}

fn programs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

/// What is wrong with `report` for a program expected to get `want`, if anything.
fn misfit(want: Verdict, report: &Report, memory_limit: u64) -> Option<String> {
    if report.verdict != want {
        let why = report
            .tests
            .iter()
            .find(|t| t.verdict != Verdict::AC)
            .map(|t| t.message.clone())
            .unwrap_or_else(|| report.compile.message.clone());
        return Some(format!("expected {want}, got {} ({why})", report.verdict));
    }
    match want {
        Verdict::AC | Verdict::WA | Verdict::RE => {
            (report.time >= TIME_LIMIT).then(|| format!("{want} at {:?}", report.time))
        }
        // A TLE under the CPU limit is the wall limit's: every test's wall clock is the CPU
        // limit plus a second, which a busy machine (a JVM compiling beside it) can pass.
        Verdict::TLE => {
            let wall = report
                .tests
                .iter()
                .map(|t| t.wall_time)
                .max()
                .unwrap_or_default();
            (report.time < TIME_LIMIT && wall < TIME_LIMIT)
                .then(|| format!("TLE at {:?} of CPU and {wall:?} of wall", report.time))
        }
        // The runtime's own limit (V8, PyPy) may stop it a little before the cgroup's.
        Verdict::MLE => (report.memory < memory_limit / 2)
            .then(|| format!("MLE at {} bytes of {memory_limit}", report.memory)),
        _ => None,
    }
}

#[test]
fn every_profile_gets_each_verdict_on_a_plus_b() {
    if !root() {
        return;
    }
    let ci = std::env::var("CI").as_deref() == Ok("true");
    // Held for the whole test: on the host, a connect to it would succeed.
    let _listener = TcpListener::bind(("127.0.0.1", HOST_PORT));
    let profiles = ProfileSet::builtin().unwrap();
    let sandbox = common::sandbox();
    let pool = common::pool(2, true);
    let tests = testset::discover(&testcases().join("problems/aplusb/tests")).unwrap();
    let problem = Arc::new(Problem::prepare(sandbox, &profiles, tests).unwrap());
    let options = Options {
        time_limit: Some(TIME_LIMIT),
        ..Options::default()
    };
    let memory_limit = problem.limits(&options).unwrap().memory;
    let mut jobs = Vec::new();
    let mut languages = Vec::new();
    for dir in programs(&testcases().join("languages")) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let profile = profiles
            .get(&name)
            .unwrap_or_else(|| panic!("testcases/languages/{name}: no profile {name}"));
        let is_python2 = name == "python2";
        if let Some(why) = profile.not_installed().filter(|_| !is_python2) {
            assert!(!ci, "{why}: .ci/run must install it");
            eprintln!("skipped {name}: {why}");
            continue;
        }
        languages.push(name.clone());
        for file in programs(&dir) {
            jobs.push((name.clone(), file));
        }
    }
    let jobs = Mutex::new(jobs);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some((name, file)) = jobs.lock().unwrap().pop() else {
                    break;
                };
                let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
                let want = expected(&stem);
                // Chosen as `judge run` would: the extension, or the `#!` line.
                let profile = profiles.for_path(&file, None).unwrap();
                assert_eq!(profile.name(), name, "{}", file.display());
                let report = problem
                    .judge(&pool, profile, &file, &options, &|_| {})
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                if let Some(why) = misfit(want, &report, memory_limit) {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("{}: {why}", file.display()));
                }
                if stem == "not_installed" {
                    assert!(
                        report
                            .compile
                            .message
                            .contains("python2 is not installed on this host"),
                        "{}",
                        report.compile.message
                    );
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{failures:#?}");
    // Every profile has its programs here, but those `testcases/problems/different` judges in
    // every verdict already (engine/tests/judge_testcases.rs).
    for profile in profiles.iter() {
        let elsewhere = ["build-run", "c", "cpp", "cpp20", "java", "python3", "rust"];
        let name = profile.name();
        assert!(
            elsewhere.contains(&name) || testcases().join("languages").join(name).is_dir(),
            "profile {name} has no testcases/languages/{name}"
        );
        assert!(
            elsewhere.contains(&name) || languages.iter().any(|l| l == name) || !ci,
            "profile {name} was not judged"
        );
    }
}

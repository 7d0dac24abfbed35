//! Every submission under `testcases/problems/*/submissions/<expected>/` is judged and must get
//! the verdict its folder names, in every shipped language. On a scored problem, `accepted`
//! also means the full score, and `partially_accepted` means accepted with less.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use common::{root, testcases};
use judge_engine::judge::{Options, Problem};
use judge_engine::profile::ProfileSet;
use judge_engine::testset;
use judge_engine::verdict::Verdict;

/// What a folder expects of a submission's score on a scored problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Score {
    Any,
    Full,
    Partial,
}

fn expected(folder: &str) -> (Verdict, Score) {
    let score = match folder {
        "accepted" => Score::Full,
        "partially_accepted" => Score::Partial,
        _ => Score::Any,
    };
    let verdict = match folder {
        "accepted" | "partially_accepted" => Verdict::AC,
        "wrong_answer" => Verdict::WA,
        "time_limit_exceeded" => Verdict::TLE,
        "memory_limit_exceeded" => Verdict::MLE,
        "output_limit_exceeded" => Verdict::OLE,
        "run_time_error" => Verdict::RE,
        "compile_error" => Verdict::CE,
        other => panic!("unknown submissions folder {other}"),
    };
    (verdict, score)
}

/// The tests of a problem: the package itself, or its flat `tests/` directory.
fn tests_dir(problem: &Path) -> PathBuf {
    if problem.join("problem.yaml").exists() {
        problem.to_owned()
    } else {
        problem.join("tests")
    }
}

fn submissions(problem: &Path) -> Vec<(PathBuf, (Verdict, Score))> {
    let mut out = Vec::new();
    for folder in std::fs::read_dir(problem.join("submissions"))
        .unwrap()
        .flatten()
    {
        let verdict = expected(&folder.file_name().to_string_lossy());
        for file in std::fs::read_dir(folder.path()).unwrap().flatten() {
            out.push((file.path(), verdict));
        }
    }
    out.sort();
    out
}

#[test]
fn every_submission_gets_the_verdict_of_its_folder() {
    if !root() {
        return;
    }
    let sandbox = common::sandbox();
    let pool = common::pool(2, true);
    let profiles = ProfileSet::builtin().unwrap();
    let mut problems: Vec<PathBuf> = std::fs::read_dir(testcases().join("problems"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        // `misplaced` puts a correct submission under wrong_answer/ on purpose, for the tests of
        // `judge verify`; a package with a `submissions.yaml` (entry points, per-test
        // requirements) is judged by `judge verify`, which reads that file, in
        // judge-cli/tests/verify.rs.
        .filter(|p| {
            p.is_dir()
                && !p.ends_with("misplaced")
                && !p.join("submissions/submissions.yaml").exists()
        })
        .collect();
    problems.sort();
    assert!(problems.len() >= 3);
    let mut jobs = Vec::new();
    for dir in &problems {
        let tests = testset::discover(&tests_dir(dir)).unwrap();
        let problem = Problem::prepare(sandbox, &profiles, tests)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let problem = std::sync::Arc::new(problem);
        for (source, verdict) in submissions(dir) {
            jobs.push((problem.clone(), source, verdict));
        }
    }
    let jobs = Mutex::new(jobs);
    let failures = Mutex::new(Vec::new());
    let seen = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some((problem, source, (want, want_score))) = jobs.lock().unwrap().pop() else {
                    break;
                };
                // A directory is one submission of several files; one whose language cannot
                // be told is a compile error.
                let report = match profiles.for_path(&source, None) {
                    Ok(profile) => {
                        seen.lock().unwrap().push((profile.name().to_owned(), want));
                        problem.judge(&pool, profile, &source, &example_submission(), &|_| {})
                    }
                    Err(e) if e.is_submission_fault() => {
                        problem.compile_error(&example_submission(), e.to_string())
                    }
                    Err(e) => panic!("{}: {e}", source.display()),
                }
                .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
                let max = problem
                    .tests()
                    .scoring
                    .as_ref()
                    .and_then(|s| s.root.rule.max_score);
                let score_ok = match (want_score, report.score, max) {
                    (Score::Full, Some(score), Some(max)) => score == max,
                    (Score::Partial, Some(score), Some(max)) => score < max,
                    (Score::Partial, None, _) => false,
                    _ => true,
                };
                if !score_ok {
                    failures.lock().unwrap().push(format!(
                        "{}: expected a {want_score:?} score of {max:?}, got {:?}",
                        source.display(),
                        report.score
                    ));
                }
                if report.verdict != want {
                    let detail = report
                        .tests
                        .iter()
                        .find(|t| t.verdict != judge_engine::verdict::Verdict::AC)
                        .map(|t| format!("{} {} {}", t.name, t.verdict, t.message))
                        .unwrap_or_else(|| report.compile.message.clone());
                    failures.lock().unwrap().push(format!(
                        "{}: expected {want}, got {} ({detail})",
                        source.display(),
                        report.verdict
                    ));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every verdict in every shipped language was exercised.
    let seen = seen.into_inner().unwrap();
    assert!(
        seen.contains(&("build-run".to_owned(), Verdict::AC)),
        "no build-run directory expected to get AC"
    );
    for lang in ["c", "cpp", "python3", "java", "rust"] {
        for verdict in [
            Verdict::AC,
            Verdict::WA,
            Verdict::TLE,
            Verdict::MLE,
            Verdict::OLE,
            Verdict::RE,
            Verdict::CE,
        ] {
            assert!(
                seen.contains(&(lang.to_owned(), verdict)),
                "no {lang} submission expected to get {verdict}"
            );
        }
    }
}

/// The package's own submissions are example submissions: its constants apply to them.
fn example_submission() -> Options {
    Options {
        constants: true,
        ..Options::default()
    }
}

//! `judge verify PROBLEM_DIR`: check a problem package against its own submissions, in the real
//! sandbox: every file under `submissions/<folder>/` must get the verdict its folder names.
//!
//! In order:
//! 1. read the package's tests (as `judge run --tests` does);
//! 2. map each folder of `submissions/` to its expected verdict ([`FOLDERS`]); an unknown folder
//!    is an error naming it, before anything is judged; files directly in `submissions/` are
//!    skipped with a warning; each folder's files are collected as `judge batch` collects a
//!    directory (recursively, hidden files skipped);
//! 3. judge them all ([`crate::batch::judge_all`]);
//! 4. report each submission whose verdict differs from its folder's, and each accepted one
//!    whose max CPU time is above half the time limit it ran under (fragile: a slower judge
//!    machine could fail it); on a scored problem, an `accepted` submission must also get the
//!    full score and a `partially_accepted` one (accepted) less than that;
//! 5. a summary per folder; the verdict `AC` (exit status 0) when everything matched, `WA` (exit
//!    status 1) otherwise; fragile submissions alone are a warning.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use judge_engine::judge::{JudgeError, Problem, Report};
use judge_engine::testset::{self, natural_cmp};
use judge_engine::verdict::Verdict;

use crate::args::VerifyArgs;
use crate::batch::{judge_all, Job, Progress};
use crate::output::Paint;
use crate::report::points;
use crate::submissions;
use crate::{setup, Done, Failure};

/// The folders of `submissions/` and the verdict each expects (the problemtools names).
pub const FOLDERS: [(&str, Verdict); 8] = [
    ("accepted", Verdict::AC),
    ("partially_accepted", Verdict::AC),
    ("wrong_answer", Verdict::WA),
    ("time_limit_exceeded", Verdict::TLE),
    ("run_time_error", Verdict::RE),
    ("memory_limit_exceeded", Verdict::MLE),
    ("output_limit_exceeded", Verdict::OLE),
    ("compile_error", Verdict::CE),
];

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("problem {problem}: no submissions/ directory to verify")]
    NoSubmissionsDir { problem: PathBuf },
    #[error(
        "submissions folder {path}: {name:?} names no verdict; use one of accepted, \
         wrong_answer, time_limit_exceeded, run_time_error, memory_limit_exceeded, \
         output_limit_exceeded, compile_error, or partially_accepted on a scored problem"
    )]
    UnknownFolder { path: PathBuf, name: String },
    #[error(
        "submissions folder {path}: partially_accepted is for scored problems, and this one is \
         pass-fail (add \"type: scoring\" to problem.yaml, or move its submissions)"
    )]
    PartialOnPassFail { path: PathBuf },
    #[error("problem {problem}: no submission in any folder of submissions/")]
    NoSubmissions { problem: PathBuf },
    #[error("cannot list {path}: {source}")]
    List { path: PathBuf, source: io::Error },
}

/// The verdict a folder of `submissions/` expects.
pub fn expected_verdict(folder: &str) -> Option<Verdict> {
    FOLDERS.iter().find(|(f, _)| *f == folder).map(|(_, v)| *v)
}

/// What a folder expects of a scored submission's score.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Score {
    /// Any score (or a pass-fail problem).
    Any,
    /// The problem's maximum (`accepted`).
    Full,
    /// Less than the maximum (`partially_accepted`).
    Partial,
}

/// A submission and what its folder expects.
struct Case {
    path: PathBuf,
    folder: String,
    expected: Verdict,
    score: Score,
}

/// The package's submissions, folder by folder in natural order; `scored` for a scored problem.
fn cases(problem: &Path, scored: bool) -> Result<Vec<Case>, Failure> {
    let dir = problem.join("submissions");
    if !dir.is_dir() {
        return Err(VerifyError::NoSubmissionsDir {
            problem: problem.to_owned(),
        }
        .into());
    }
    let list = |source| VerifyError::List {
        path: dir.clone(),
        source,
    };
    let mut entries = Vec::new();
    for entry in fs::read_dir(&dir).map_err(list)? {
        let entry = entry.map_err(list)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            entries.push((name, entry.path()));
        }
    }
    entries.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    let mut cases = Vec::new();
    for (name, path) in entries {
        if !path.is_dir() {
            eprintln!(
                "judge: warning: {}: not in a verdict folder, not judged",
                path.display()
            );
            continue;
        }
        let expected = expected_verdict(&name).ok_or_else(|| VerifyError::UnknownFolder {
            path: path.clone(),
            name: name.clone(),
        })?;
        let score = match name.as_str() {
            "partially_accepted" if !scored => {
                return Err(VerifyError::PartialOnPassFail { path }.into())
            }
            "partially_accepted" => Score::Partial,
            "accepted" if scored => Score::Full,
            _ => Score::Any,
        };
        for s in submissions::collect(std::slice::from_ref(&path))? {
            cases.push(Case {
                path: s.path,
                folder: name.clone(),
                expected,
                score,
            });
        }
    }
    if cases.is_empty() {
        return Err(VerifyError::NoSubmissions {
            problem: problem.to_owned(),
        }
        .into());
    }
    Ok(cases)
}

/// How a submission's result compares with its folder.
#[derive(Clone, Debug, PartialEq)]
enum Finding {
    Matches,
    /// Accepted, with a max CPU time above half the limit it ran under.
    Fragile {
        time: Duration,
        limit: Duration,
    },
    Differs {
        got: Verdict,
        why: String,
    },
    /// The verdict matched, the score did not.
    WrongScore {
        score: f64,
        max: Option<f64>,
    },
}

/// `time` and `limit` only matter for an accepted submission.
fn assess(expected: Verdict, got: Verdict, time: Duration, limit: Duration, why: &str) -> Finding {
    if got != expected {
        Finding::Differs {
            got,
            why: why.to_owned(),
        }
    } else if got == Verdict::AC && time * 2 > limit {
        Finding::Fragile { time, limit }
    } else {
        Finding::Matches
    }
}

/// Whether `score` is what `want` asks of a problem whose maximum is `max` (unknown: any score
/// is full). Scores are text-file numbers and sums of them, hence the tolerance.
fn score_matches(want: Score, score: Option<f64>, max: Option<f64>) -> bool {
    let full = |s: f64| max.map_or(true, |m| s >= m - 1e-6);
    match (want, score) {
        (Score::Any, _) => true,
        (Score::Full, Some(s)) => full(s),
        (Score::Partial, Some(s)) => !full(s),
        (_, None) => false,
    }
}

/// Why a report has its verdict, in one line: the failing test and its message.
fn why(report: &Report) -> String {
    if !report.compile.ok {
        return first_line(&report.compile.message);
    }
    match report.tests.iter().find(|t| t.verdict != Verdict::AC) {
        Some(t) => format!("test {}: {}", t.name, first_line(&t.message)),
        None => String::new(),
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim().chars().take(100).collect()
}

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// Judge the package's submissions; `Verdict::AC` when each got its folder's verdict, else
/// `Verdict::WA` (exit status 1).
pub fn run(args: &VerifyArgs) -> Result<Done, Failure> {
    crate::require_root()?;
    let tests = testset::discover(&args.problem)?;
    let scored = tests.scoring.is_some();
    let max_score = tests.scoring.as_ref().and_then(|s| s.root.rule.max_score);
    let cases = cases(&args.problem, scored)?;
    let profiles = setup::profiles(&args.judge)?;
    let sandbox = setup::sandbox()?;
    let mut problem = Problem::prepare(&sandbox, &profiles, tests)?;
    if let Some(checker) = &args.judge.checker {
        problem.use_checker(checker)?;
    }
    let problem = std::sync::Arc::new(problem);
    let pool = setup::pool(sandbox, &args.judge)?;
    let options = setup::options(&args.judge, false);
    let limit = problem.limits(&options)?.time;
    let mut findings: Vec<Option<Finding>> = vec![None; cases.len()];
    let mut jobs = Vec::new();
    let mut job_of = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        match profiles.for_source(&case.path, None) {
            Ok(profile) => {
                jobs.push(Job {
                    source: &case.path,
                    profile,
                });
                job_of.push(index);
            }
            Err(e) => {
                findings[index] = Some(assess(
                    case.expected,
                    Verdict::IE,
                    Duration::ZERO,
                    limit,
                    &e.to_string(),
                ));
            }
        }
    }
    let progress = Progress::new(jobs.len());
    let judged: Mutex<Vec<(usize, Result<Report, JudgeError>)>> = Mutex::new(Vec::new());
    judge_all(
        &pool,
        &problem,
        &jobs,
        &options,
        &|_, event| progress.event(&event),
        &|job, result| {
            progress.submission_done();
            judged
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((job, result));
            std::ops::ControlFlow::Continue(())
        },
    );
    progress.finish();
    for (job, result) in judged.into_inner().unwrap_or_else(|p| p.into_inner()) {
        let index = job_of[job];
        let expected = cases[index].expected;
        findings[index] = Some(match result {
            Ok(report) => {
                let factor = jobs[job].profile.run().limits().time_factor;
                let finding = assess(
                    expected,
                    report.verdict,
                    report.time,
                    judge_engine::limits::run_time(report.limits.time, factor),
                    &why(&report),
                );
                match finding {
                    Finding::Differs { .. } => finding,
                    _ if !score_matches(cases[index].score, report.score, max_score) => {
                        Finding::WrongScore {
                            score: report.score.unwrap_or_default(),
                            max: max_score,
                        }
                    }
                    _ => finding,
                }
            }
            Err(e) => assess(expected, Verdict::IE, Duration::ZERO, limit, &e.to_string()),
        });
    }
    let findings: Vec<Finding> = findings.into_iter().flatten().collect();
    let text = summary(&cases, &findings, &Paint::stdout());
    print!("{text}");
    let differ = findings
        .iter()
        .any(|f| matches!(f, Finding::Differs { .. } | Finding::WrongScore { .. }));
    Ok(Done::Verified(!differ))
}

/// The differences, the fragile submissions, a line per folder, and the conclusion.
fn summary(cases: &[Case], findings: &[Finding], paint: &Paint) -> String {
    let mut out = String::new();
    let mut folders: BTreeMap<usize, (&str, Verdict, usize, usize)> = BTreeMap::new();
    let (mut differ, mut fragile) = (0, 0);
    for (case, finding) in cases.iter().zip(findings) {
        let order = FOLDERS
            .iter()
            .position(|(f, _)| *f == case.folder)
            .unwrap_or(FOLDERS.len());
        let entry = folders
            .entry(order)
            .or_insert((&case.folder, case.expected, 0, 0));
        entry.2 += 1;
        match finding {
            Finding::Differs { got, why } => {
                differ += 1;
                let why = if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({why})")
                };
                out.push_str(&format!(
                    "{}: expected {}, got {}{why}\n",
                    case.path.display(),
                    case.expected,
                    got,
                ));
            }
            Finding::WrongScore { score, max } => {
                differ += 1;
                let want = match case.score {
                    Score::Partial => "less than the full score",
                    _ => "the full score",
                };
                let of = max
                    .map(|m| format!(" of {}", points(m)))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{}: expected {} with {want}, got {}{of}\n",
                    case.path.display(),
                    case.expected,
                    points(*score),
                ));
            }
            Finding::Fragile { time, limit } => {
                fragile += 1;
                entry.3 += 1;
                out.push_str(&format!(
                    "{}: fragile: max CPU time {} is above half the time limit of {}\n",
                    case.path.display(),
                    seconds(*time),
                    seconds(*limit),
                ));
            }
            Finding::Matches => entry.3 += 1,
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&paint.dim(&format!(
        "{:<22} {:<8} {:>11} {:>11}\n",
        "folder", "expected", "submissions", "as expected"
    )));
    for (folder, expected, total, matched) in folders.values() {
        let expected = match *folder {
            "partially_accepted" => "partial",
            _ => expected.code(),
        };
        out.push_str(&format!(
            "{folder:<22} {expected:<8} {total:>11} {matched:>11}\n"
        ));
    }
    let total = cases.len();
    let scored = cases.iter().any(|c| c.score != Score::Any);
    let what = if scored {
        "verdict or score"
    } else {
        "verdict"
    };
    out.push_str(&if differ == 0 {
        format!("verify: all {total} submissions got their folder's verdict")
    } else {
        format!("verify: {differ} of {total} submissions got another {what} than their folder's")
    });
    if fragile > 0 {
        out.push_str(&format!(
            "; {fragile} accepted submissions are fragile (above half the time limit)"
        ));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;

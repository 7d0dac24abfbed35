//! `judge verify PROBLEM_DIR`: check a problem package against its own submissions, in the real
//! sandbox: every file under `submissions/<folder>/` must get the verdict its folder names.
//!
//! In order:
//! 1. read the package's tests (as `judge run --tests` does);
//! 2. map each folder of `submissions/` to its expected verdict ([`cases::FOLDERS`]); in a folder
//!    without one (`mixed/`), DOMjudge's `@EXPECTED_RESULTS@:` tag of each source says what
//!    it expects (in a folder with one, the tag must include it); `rejected/` and
//!    `brute_force/` have the package format's requirements instead; an untagged submission
//!    in an unknown folder is an error naming it, before anything is judged; files directly
//!    in `submissions/` are skipped with a warning; each file or directory in a folder is one
//!    submission; what `submissions/submissions.yaml` and DOMjudge's `submissions.json`
//!    declare (language, entry point, permitted and required test verdicts, see
//!    `expectations`) is read for each;
//! 3. judge them all ([`crate::batch::judge_all`]) under the time limit of `--time-limit`,
//!    the package, or derived from the accepted submissions, judged first (see [`run`]);
//! 4. report each submission whose verdict differs from its folder's, and each accepted one
//!    whose max CPU time is above half the time limit it ran under (fragile: a slower judge
//!    machine could fail it); on a scored problem, an `accepted` submission must also get the
//!    full score and a `partially_accepted` one (accepted) less than that;
//! 5. a summary per folder; the verdict `AC` (exit status 0) when everything matched, `WA` (exit
//!    status 1) otherwise; fragile submissions alone are a warning.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use judge_engine::judge::{JudgeError, Options, Problem, Report};
use judge_engine::profile::Profile;
use judge_engine::testset;
use judge_engine::verdict::Verdict;

use crate::args::VerifyArgs;
use crate::batch::{judge_all, Job, Progress};
use crate::output::Paint;
use crate::report::points;
use crate::{setup, Done, Failure};
use cases::{cases, Case, Score};
use expectations::{Declared, Outcome};
use summary::{json, summary};

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
    /// TLE as expected, but `got` at the limit × the margin (`high`): not far enough over.
    TooClose {
        got: Verdict,
        high: Duration,
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

/// The per-test CPU limit accepted submissions run under while a time limit is derived from
/// them (problemtools' bound, five minutes).
const DERIVE_CAP: Duration = Duration::from_secs(300);

/// Where the time limit came from.
#[derive(Clone, Debug, PartialEq)]
enum Chosen {
    Flag,
    Package,
    /// From the slowest run that bounds it below (`slowest`, by `by`, in the folder
    /// `folder`), normalised by its profile's time factor, × `multiplier`, rounded up to
    /// `resolution` seconds.
    Derived {
        slowest: Duration,
        by: PathBuf,
        folder: String,
        multiplier: f64,
        resolution: f64,
    },
    /// Nothing to derive it from: the default, and why.
    Default(String),
}

/// The time limit the submissions were judged under, and the margin a too-slow one must keep.
#[derive(Clone, Debug, PartialEq)]
struct Timing {
    limit: Duration,
    chosen: Chosen,
    /// `time_limit_to_tle`: a time_limit_exceeded submission must still be TLE at limit × this.
    margin: f64,
}

impl Timing {
    fn describe(&self) -> String {
        let limit = seconds(self.limit);
        match &self.chosen {
            Chosen::Flag => format!("time limit {limit} (--time-limit)"),
            Chosen::Package => format!("time limit {limit} (the package's)"),
            Chosen::Derived {
                slowest,
                by,
                folder,
                multiplier,
                resolution,
            } => format!(
                "time limit {limit}, derived: slowest {folder} run {} ({}) × {multiplier}, \
                 rounded up to a multiple of {resolution} s",
                seconds(*slowest),
                by.display()
            ),
            Chosen::Default(why) => format!("time limit {limit} (the default: {why})"),
        }
    }
}

/// Judge the cases `which` (each with its profile) under `time_limit`, on the pool.
fn judge_cases(
    pool: &judge_engine::pool::Pool,
    problem: &std::sync::Arc<Problem>,
    cases: &[Case],
    profiles: &[Option<&Profile>],
    which: &[usize],
    options: &Options,
    progress: &Progress,
) -> Vec<(usize, Result<Report, JudgeError>)> {
    // Each job's case: those with a profile.
    let index: Vec<usize> = which
        .iter()
        .copied()
        .filter(|&i| profiles[i].is_some())
        .collect();
    let jobs: Vec<Job> = index
        .iter()
        .filter_map(|&i| {
            profiles[i].map(|profile| Job {
                source: &cases[i].path,
                profile,
                entry_point: cases[i].declared.entrypoint.as_deref(),
                // Requirements on every test's verdict need every test run.
                run_all: !cases[i].declared.rules.is_empty(),
            })
        })
        .collect();
    let judged: Mutex<Vec<(usize, Result<Report, JudgeError>)>> = Mutex::new(Vec::new());
    judge_all(
        pool,
        problem,
        &jobs,
        options,
        &|_, event| progress.event(&event),
        &|job, result| {
            progress.submission_done();
            judged
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((index[job], result));
            std::ops::ControlFlow::Continue(())
        },
    );
    judged.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// Whether a submission bounds the time limit from below: under the package format's
/// requirements (a `submissions.yaml`), one with a requirement that permits no TLE
/// (`accepted`, `wrong_answer`, `run_time_error` by default) or `use_for_time_limit: lower`;
/// otherwise, as problemtools derives it, an `accepted` one. `use_for_time_limit: false`
/// opts out.
fn bounds_below(case: &Case) -> bool {
    let declared = &case.declared;
    if declared.not_for_time_limit {
        return false;
    }
    if declared.by_rules {
        declared.lower_bound
            || declared
                .rules
                .iter()
                .any(|r| !r.permitted.contains(&expectations::Code::Tle))
    } else {
        case.folder == "accepted"
    }
}

/// The time a lower-bounding run gives: an accepted submission's max CPU time; under the
/// format's requirements, any submission's slowest test that was not TLE; as if its
/// profile's time factor were 1.
fn lower_bound_time(case: &Case, report: &Report, profile: &Profile) -> Option<Duration> {
    let time = if case.declared.by_rules {
        report
            .tests
            .iter()
            .filter(|t| t.verdict != Verdict::TLE && t.verdict != Verdict::IE)
            .map(|t| t.time)
            .max()?
    } else if report.verdict == Verdict::AC {
        report.time
    } else {
        return None;
    };
    let factor = profile.run().limits().time_factor;
    Some(if factor > 0.0 && factor.is_finite() {
        Duration::try_from_secs_f64(time.as_secs_f64() / factor).unwrap_or(time)
    } else {
        time
    })
}

/// Judge the package's submissions; `Verdict::AC` when each got its folder's verdict, else
/// `Verdict::WA` (exit status 1).
///
/// The time limit is `--time-limit`, else the package's; a package without one gets it
/// derived as problemtools does: its `accepted` submissions run first (under [`DERIVE_CAP`]),
/// and the slowest accepted run × `ac_to_time_limit`, rounded up to `time_resolution`, is the
/// limit every other submission runs under (and `judge run` later uses, see
/// [`crate::time_cache`]). A `time_limit_exceeded` submission that is TLE runs once more at
/// the limit × `time_limit_to_tle`: if it is not TLE there too, it is too close to the limit.
pub fn run(args: &VerifyArgs) -> Result<Done, Failure> {
    let tests = testset::discover(&args.problem)?;
    for note in &tests.notes {
        eprintln!("judge: note: {note}");
    }
    let scored = tests.scoring.is_some();
    let max_score = tests.scoring.as_ref().and_then(|s| s.root.rule.max_score);
    let package = tests.limits.clone();
    // The 2025-09 format defines its folders' requirements for every package.
    let format_rules = tests
        .format_version
        .as_deref()
        .is_some_and(|v| v.starts_with("2025-09"));
    let cases = cases(&args.problem, scored, format_rules)?;
    let profile_set = setup::profiles(&args.judge)?;
    let sandbox = setup::sandbox(&args.judge)?;
    let mut problem = Problem::prepare(&sandbox, &profile_set, tests)?;
    if let Some(checker) = &args.judge.checker {
        problem.use_checker(checker)?;
    }
    let problem = std::sync::Arc::new(problem);
    let pool = setup::pool(sandbox, &args.judge)?;
    let input_report = if args.no_input_validation {
        None
    } else {
        Some(inputs::validate(
            &args.problem,
            problem.tests(),
            pool.sandbox(),
            &profile_set,
        )?)
    };
    // The package's example submissions: its constants are replaced in them.
    let options = Options {
        constants: true,
        ..setup::options(&args.judge, false)?
    };
    // Checks the flags' bounds before anything runs.
    problem.limits(&options)?;
    let mut profiles: Vec<Option<&Profile>> = Vec::new();
    // Not judged: why, and the verdict that is (CE when the submission is at fault).
    let mut unjudgeable: BTreeMap<usize, (Verdict, String)> = BTreeMap::new();
    for (index, case) in cases.iter().enumerate() {
        match profile_set.for_path(&case.path, case.declared.language.as_deref()) {
            Ok(profile) => profiles.push(Some(profile)),
            Err(e) => {
                profiles.push(None);
                let verdict = if e.is_submission_fault() {
                    Verdict::CE
                } else {
                    Verdict::IE
                };
                unjudgeable.insert(index, (verdict, e.to_string()));
            }
        }
    }
    let progress = Progress::new(cases.len() - unjudgeable.len());
    let at = |limit: Duration| Options {
        time_limit: Some(limit),
        ..options.clone()
    };
    let mut reports: BTreeMap<usize, Result<Report, JudgeError>> = BTreeMap::new();
    let declared = match (args.judge.time_limit, package.time_limit) {
        (Some(t), _) => Some((t, Chosen::Flag)),
        (None, Some(t)) => Some((t, Chosen::Package)),
        (None, None) => None,
    };
    let timing = match declared {
        Some((limit, chosen)) => Timing {
            limit,
            chosen,
            margin: package.time_safety_margin,
        },
        None => {
            let lower: Vec<usize> = (0..cases.len())
                .filter(|&i| bounds_below(&cases[i]))
                .collect();
            progress.add(
                lower
                    .iter()
                    .filter(|&&i| cases[i].folder != "accepted")
                    .count(),
            );
            let judged = judge_cases(
                &pool,
                &problem,
                &cases,
                &profiles,
                &lower,
                &at(DERIVE_CAP),
                &progress,
            );
            let slowest = judged
                .iter()
                .filter_map(|(i, r)| {
                    let report = r.as_ref().ok()?;
                    Some((lower_bound_time(&cases[*i], report, profiles[*i]?)?, *i))
                })
                .max();
            // An accepted run stands; any other is judged again under the limit.
            reports.extend(
                judged
                    .into_iter()
                    .filter(|(i, _)| cases[*i].folder == "accepted"),
            );
            let (limit, chosen) = match slowest {
                Some((slowest, i)) => {
                    let limit = judge_engine::limits::derived_time_limit(
                        slowest,
                        package.time_multiplier,
                        package.time_resolution,
                    );
                    if let Err(e) = crate::time_cache::store(&args.problem, limit) {
                        eprintln!(
                            "judge: warning: cannot keep the derived time limit for judge run: \
                             {e}"
                        );
                    }
                    let chosen = Chosen::Derived {
                        slowest,
                        by: cases[i].path.clone(),
                        folder: cases[i].folder.clone(),
                        multiplier: package.time_multiplier,
                        resolution: package.time_resolution,
                    };
                    (limit, chosen)
                }
                None => (
                    judge_engine::limits::DEFAULT_TIME_LIMIT,
                    Chosen::Default(
                        "the package declares no time limit and no accepted submission was \
                         accepted to derive one from"
                            .to_owned(),
                    ),
                ),
            };
            Timing {
                limit,
                chosen,
                margin: package.time_safety_margin,
            }
        }
    };
    let rest: Vec<usize> = (0..cases.len())
        .filter(|i| !reports.contains_key(i))
        .collect();
    reports.extend(judge_cases(
        &pool,
        &problem,
        &cases,
        &profiles,
        &rest,
        &at(timing.limit),
        &progress,
    ));
    // Too slow, but by enough? Once more at the limit × the margin.
    let too_slow: Vec<usize> = reports
        .iter()
        .filter(|(i, r)| {
            cases[**i].expected == Some(Verdict::TLE)
                && matches!(r, Ok(report) if report.verdict == Verdict::TLE)
        })
        .map(|(i, _)| *i)
        .collect();
    progress.add(too_slow.len());
    let high = judge_engine::limits::run_time(timing.limit, timing.margin);
    // The question is one of CPU time: a wall limit that waiting for a core cannot reach.
    let high_options = Options {
        wall_limit: options.wall_limit.or(Some(
            judge_engine::limits::run_time(high, 3.0).max(high + Duration::from_secs(1)),
        )),
        ..at(high)
    };
    let at_high: BTreeMap<usize, Verdict> = judge_cases(
        &pool,
        &problem,
        &cases,
        &profiles,
        &too_slow,
        &high_options,
        &progress,
    )
    .into_iter()
    .filter_map(|(i, r)| r.ok().map(|report| (i, report.verdict)))
    .collect();
    progress.finish();

    let mut results = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let result = match (reports.remove(&index), unjudgeable.remove(&index)) {
            (Some(Ok(report)), _) => {
                let factor = profiles[index].map_or(1.0, |p| p.run().limits().time_factor);
                let limit = judge_engine::limits::run_time(timing.limit, factor);
                // Under requirements on test verdicts, those decide; an AC may still be fragile.
                let expecting = if case.declared.by_rules && !case.tagged {
                    report.verdict
                } else {
                    case.expecting(report.verdict)
                };
                let mut finding =
                    assess(expecting, report.verdict, report.time, limit, &why(&report));
                let broken = requirement_broken(&case.declared, &report);
                if let Some(why) =
                    broken.filter(|_| matches!(finding, Finding::Matches | Finding::Fragile { .. }))
                {
                    finding = Finding::Differs {
                        got: report.verdict,
                        why,
                    };
                }
                let verdict_matches = matches!(finding, Finding::Matches | Finding::Fragile { .. });
                if verdict_matches && !score_matches(case.score, report.score, max_score) {
                    finding = Finding::WrongScore {
                        score: report.score.unwrap_or_default(),
                        max: max_score,
                    };
                } else if let Some(&got) = at_high.get(&index).filter(|v| **v != Verdict::TLE) {
                    finding = Finding::TooClose { got, high };
                }
                Judged {
                    verdict: report.verdict,
                    time: report.time,
                    score: report.score,
                    finding,
                }
            }
            (Some(Err(e)), _) => judged_as(case, Verdict::IE, &e.to_string(), timing.limit),
            (None, Some((verdict, why))) => judged_as(case, verdict, &why, timing.limit),
            (None, None) => judged_as(case, Verdict::IE, "not judged", timing.limit),
        };
        results.push(result);
    }
    let findings: Vec<Finding> = results.iter().map(|r| r.finding.clone()).collect();
    if args.json {
        println!(
            "{}",
            json(
                &args.problem,
                &timing,
                &cases,
                &results,
                input_report.as_ref()
            )
        );
    } else {
        if let Some(report) = &input_report {
            print!("{}", report.describe());
        }
        println!("{}", timing.describe());
        print!("{}", summary(&cases, &findings, &Paint::stdout()));
    }
    let differ = findings
        .iter()
        .any(|f| matches!(f, Finding::Differs { .. } | Finding::WrongScore { .. }))
        || input_report.as_ref().is_some_and(|r| !r.ok());
    Ok(Done::Verified(!differ))
}

/// Why `report` breaks a requirement of `submissions.yaml` or of its folder, if it does.
fn requirement_broken(declared: &Declared, report: &Report) -> Option<String> {
    if !declared.rules.is_empty() && report.verdict == Verdict::CE {
        // No test ran: no requirement on test verdicts can hold.
        return Some("it does not compile".to_owned());
    }
    let tests: Vec<Outcome> = report
        .tests
        .iter()
        .map(|t| Outcome {
            name: &t.name,
            verdict: t.verdict,
            message: &t.message,
        })
        .collect();
    if let Some(why) = declared.rules.iter().find_map(|r| r.broken(&tests)) {
        return Some(why);
    }
    let (low, high, pattern) = declared.score.as_ref()?;
    match report.score {
        None => Some(format!(
            "{} {pattern}: a score is required, and this problem gives none",
            expectations::FILE
        )),
        Some(score) if score < *low || score > *high => Some(format!(
            "{} {pattern}: score {} is not in [{}, {}]",
            expectations::FILE,
            points(score),
            points(*low),
            points(*high)
        )),
        Some(_) => None,
    }
}

/// One submission's result, as verify reports it.
struct Judged {
    verdict: Verdict,
    time: Duration,
    score: Option<f64>,
    finding: Finding,
}

/// A submission that did not run: `verdict` (IE, or CE for one at fault) because of `why`.
fn judged_as(case: &Case, verdict: Verdict, why: &str, limit: Duration) -> Judged {
    Judged {
        verdict,
        time: Duration::ZERO,
        score: None,
        finding: assess(case.expecting(verdict), verdict, Duration::ZERO, limit, why),
    }
}

mod cases;
mod expectations;
mod inputs;
mod summary;

#[cfg(test)]
mod tests;

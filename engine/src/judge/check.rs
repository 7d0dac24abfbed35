//! Checking a test's output: with a built-in checker, or with the package's output validators
//! run in the sandbox (all of them must accept).
//!
//! A validator sees the test's input and answer (and, for testlib, the output) as read-only
//! files under `/judge`, and a writable `/judge/feedback/` for Kattis feedback files. Its
//! answer is an exit code; anything else it does (crash, other code, time out) is the
//! problem's fault: IE, never the submission's.
//!
//! On a scored problem a validator may also give the test a score: a Kattis validator that
//! accepts writes `score.txt` (the score) or `score_multiplier.txt` (a fraction of the test's
//! maximum) to its feedback directory, when the package says `validation: custom score`; a
//! testlib checker exits 7 with `points VALUE [message]` on stderr (testlib's `quitp`).

use std::fs::File;
use std::path::Path;

use super::compile::{BuiltValidator, Protocol};
use super::step::{self, Step};
use super::JudgeError;
use crate::checker::{check_files, Checker, Difference};
use crate::pool::Worker;
use crate::profile::WORK_DIR;
use crate::sandbox::{ExitStatus, Limits, Mount, RunResult, Stdio};
use crate::testset::TestCase;
use crate::verdict::Verdict;

/// Feedback a report keeps from a validator.
const FEEDBACK_CAP: usize = 4 << 10;

/// How a test's output is checked.
#[derive(Debug)]
pub(crate) enum Checking {
    /// One built-in checker per test (flags can differ by test group).
    Builtin(Vec<Checker>),
    /// Output validator programs.
    Validators {
        validators: Vec<BuiltValidator>,
        limits: Limits,
        /// For a scored problem: the scores validators may give.
        points: Option<Box<Points>>,
    },
    /// An interactor that talks to the program while it runs (see `interact`).
    Interactive {
        interactor: BuiltValidator,
        limits: Limits,
        /// For a scored problem: the scores the interactor may give.
        points: Option<Box<Points>>,
    },
}

/// What validators may say about scores on a scored problem.
#[derive(Debug)]
pub(crate) struct Points {
    /// Kattis validators' `score.txt` and `score_multiplier.txt` count
    /// (`validation: custom score`).
    pub score_files: bool,
    /// Per test, what `score_multiplier.txt` multiplies; `None` for a test without one.
    pub bases: Vec<Option<f64>>,
}

/// The checker's word on one output.
#[derive(Debug)]
pub(crate) struct Checked {
    pub verdict: Verdict,
    pub message: String,
    pub diff: Option<Difference>,
    /// The score a validator gave an accepted output, if it gave one.
    pub score: Option<f64>,
}

impl Checking {
    /// The limits of the package's validators or interactor, if it has them.
    pub fn validator_limits(&self) -> Option<&Limits> {
        match self {
            Checking::Builtin(_) => None,
            Checking::Validators { limits, .. } | Checking::Interactive { limits, .. } => {
                Some(limits)
            }
        }
    }

    /// Check `output` for `test` (the `index`th test), whose program read `input` (the test's,
    /// or a later pass's). Validators write to `feedback` when given (a multi-pass test keeps
    /// one across its passes), else each to a fresh directory.
    pub fn check(
        &self,
        worker: &mut Worker,
        at: &Pass<'_>,
        output: &Path,
        scratch: &Path,
    ) -> Result<Checked, JudgeError> {
        let Pass {
            index,
            test,
            input,
            feedback,
        } = *at;
        match self {
            Checking::Builtin(checkers) => {
                let outcome = check_files(&checkers[index], output, &test.answer)?;
                Ok(Checked {
                    verdict: if outcome.accepted {
                        Verdict::AC
                    } else {
                        Verdict::WA
                    },
                    message: outcome.message,
                    diff: outcome.diff,
                    score: None,
                })
            }
            Checking::Validators {
                validators,
                limits,
                points,
            } => {
                let mut last: Option<Checked> = None;
                for (n, validator) in validators.iter().enumerate() {
                    let run = Run {
                        test,
                        input,
                        output,
                        scratch,
                        index,
                        n,
                        feedback,
                    };
                    let mut checked =
                        run_validator(worker, validator, limits, points.as_deref(), &run)?;
                    if checked.verdict != Verdict::AC {
                        return Ok(checked);
                    }
                    // The first validator to give a score gives the test's.
                    checked.score = last.and_then(|l| l.score).or(checked.score);
                    last = Some(checked);
                }
                Ok(last.unwrap_or(Checked {
                    verdict: Verdict::IE,
                    message: "the package has no output validator".to_owned(),
                    diff: None,
                    score: None,
                }))
            }
            // The interactor judged while the program ran: there is no output to check.
            Checking::Interactive { .. } => Ok(Checked {
                verdict: Verdict::IE,
                message: "an interactive test has no output to check".to_owned(),
                diff: None,
                score: None,
            }),
        }
    }
}

/// The cap of a validator's feedback directory: its output limit.
pub(crate) fn feedback_cap(limits: &Limits) -> crate::hostdir::Cap {
    crate::hostdir::Cap::bytes(limits.output.unwrap_or(8 << 20))
}

/// Which run of a test a check is for: the `index`th test, the input its program read (the
/// test's, or a later pass's), and the feedback directory kept across passes, if any.
#[derive(Clone, Copy)]
pub(crate) struct Pass<'a> {
    pub index: usize,
    pub test: &'a TestCase,
    pub input: &'a Path,
    pub feedback: Option<&'a Path>,
}

/// One validator run: the test, the output, where streams go, and which validator it is.
struct Run<'a> {
    test: &'a TestCase,
    input: &'a Path,
    output: &'a Path,
    scratch: &'a Path,
    index: usize,
    n: usize,
    feedback: Option<&'a Path>,
}

/// How a validator meets the program's output.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Meets<'a> {
    /// After the run: the output file (Kattis: on stdin; testlib: as `/judge/output`).
    Output(&'a Path),
    /// During the run, through its stdin and stdout (an interactor); testlib interactors write
    /// their own output file into the feedback directory.
    Interactor,
}

/// The sandbox step of a validator for `test`: its argv, its mounts (`input`, the test's
/// input or a later pass's, and the test's answer under `/judge`, the writable feedback
/// directory `feedback`) and its limits.
pub(crate) fn validator_step(
    validator: &BuiltValidator,
    limits: &Limits,
    test: &TestCase,
    input: &Path,
    feedback: &Path,
    meets: Meets<'_>,
) -> Result<Step, JudgeError> {
    // Mount sources must be absolute; a tests directory given as a relative path is not.
    let absolute = |path: &Path| {
        std::path::absolute(path).map_err(|e| JudgeError::io("resolve the path of", path, e))
    };
    let mut step = Step::new(
        validator.argv.clone(),
        validator.env.clone(),
        &validator.mounts,
        limits.clone(),
        validator.syscalls.clone(),
    )
    .mount(Mount::read_only(validator.dir.path(), WORK_DIR))
    .mount(Mount::read_only(absolute(input)?, "/judge/input"))
    .mount(Mount::read_only(absolute(&test.answer)?, "/judge/answer"))
    .mount(Mount::writable(feedback, "/judge/feedback"));
    let args: &[&str] = match (validator.protocol, meets) {
        (Protocol::Kattis, _) => &["/judge/input", "/judge/answer", "/judge/feedback/"],
        (Protocol::Testlib, Meets::Output(output)) => {
            step = step.mount(Mount::read_only(output, "/judge/output"));
            &["/judge/input", "/judge/output", "/judge/answer"]
        }
        (Protocol::Testlib, Meets::Interactor) => {
            &["/judge/input", "/judge/feedback/output", "/judge/answer"]
        }
    };
    step.argv.extend(args.iter().map(|s| s.to_string()));
    if validator.protocol == Protocol::Kattis {
        step.argv.extend(test.validator_flags.iter().cloned());
    }
    Ok(step)
}

fn run_validator(
    worker: &mut Worker,
    validator: &BuiltValidator,
    limits: &Limits,
    points: Option<&Points>,
    run: &Run,
) -> Result<Checked, JudgeError> {
    let Run {
        test,
        input,
        output,
        scratch,
        index,
        n,
        feedback: kept,
    } = *run;
    let fresh;
    let feedback = match kept {
        Some(kept) => kept,
        None => {
            fresh = step::sandbox_dir(worker.sandbox(), "feedback", Some(feedback_cap(limits)))?;
            fresh.path()
        }
    };
    let step = validator_step(
        validator,
        limits,
        test,
        input,
        feedback,
        Meets::Output(output),
    )?;
    let stdin = match validator.protocol {
        Protocol::Kattis => {
            Stdio::from(File::open(output).map_err(|e| JudgeError::io("open", output, e))?)
        }
        Protocol::Testlib => Stdio::Null,
    };
    let out_path = step::scratch_file(scratch, index, &format!("validator{n}.out"));
    let err_path = step::scratch_file(scratch, index, &format!("validator{n}.err"));
    let command = step.command(stdin, step::capture(&out_path)?, step::capture(&err_path)?);
    let result = worker.run_fresh(command)?;
    Ok(judgement(
        &Judged {
            validator,
            role: "output validator",
            result: &result,
            feedback,
            stderr: &err_path,
        },
        points,
        index,
    ))
}

/// A validator's (or interactor's) finished run.
pub(crate) struct Judged<'a> {
    pub validator: &'a BuiltValidator,
    /// What to call it in messages.
    pub role: &'a str,
    pub result: &'a RunResult,
    pub feedback: &'a Path,
    /// The file its stderr went to.
    pub stderr: &'a Path,
}

/// What a validator's (or interactor's) run says about the `index`th test: its exit code read
/// by its protocol, with its feedback as the message and, on a scored problem, its score.
/// Anything but a known code is IE.
pub(crate) fn judgement(run: &Judged<'_>, points: Option<&Points>, index: usize) -> Checked {
    let Judged {
        validator,
        role,
        result,
        feedback,
        stderr,
    } = *run;
    let name = validator.path.display();
    let feedback_text = |file: &str| step::read_written(feedback, file, FEEDBACK_CAP);
    let stderr = step::read_capped(stderr, FEEDBACK_CAP);
    let mut score = None;
    let (verdict, message) = match (validator.protocol, result.status, result.killed_by) {
        (_, _, Some(hit)) => (
            Verdict::IE,
            format!("{role} {name} was killed for its {hit:?} limit"),
        ),
        (Protocol::Kattis, ExitStatus::Exited(42), None) => {
            let base = points
                .as_ref()
                .filter(|p| p.score_files)
                .map(|p| p.bases.get(index).copied().flatten());
            match base.map(|base| score_files(feedback, base)) {
                Some(Err(why)) => (Verdict::IE, format!("{role} {name}: {why}")),
                Some(Ok(given)) => {
                    score = given;
                    (Verdict::AC, feedback_text("judgemessage.txt"))
                }
                None => (Verdict::AC, feedback_text("judgemessage.txt")),
            }
        }
        (Protocol::Kattis, ExitStatus::Exited(43), None) => {
            (Verdict::WA, feedback_text("judgemessage.txt"))
        }
        (Protocol::Testlib, ExitStatus::Exited(0), None) => (Verdict::AC, stderr),
        (Protocol::Testlib, ExitStatus::Exited(1 | 2), None) => (Verdict::WA, stderr),
        (Protocol::Testlib, ExitStatus::Exited(3), None) => (
            Verdict::IE,
            format!("testlib {role} {name} reported a judge failure: {stderr}"),
        ),
        (Protocol::Testlib, ExitStatus::Exited(7), None) => match (points, testlib_points(&stderr))
        {
            (None, _) => (
                Verdict::IE,
                format!(
                    "testlib {role} {name} gave points (exit code 7), but the problem is not \
                     scored: {stderr}"
                ),
            ),
            (Some(_), Some((value, message))) => {
                score = Some(value);
                (Verdict::AC, message)
            }
            (Some(_), None) => (
                Verdict::IE,
                format!(
                    "testlib {role} {name} exited 7 (points) without \"points VALUE\" on \
                     stderr: {stderr}"
                ),
            ),
        },
        (_, status, None) => (
            Verdict::IE,
            format!(
                "{role} {name} ended with {status:?}: {stderr}{}",
                feedback_text("judgemessage.txt")
            ),
        ),
    };
    Checked {
        verdict,
        message: message.trim().to_owned(),
        diff: None,
        score,
    }
}

/// The score a Kattis validator left in its feedback directory: `score.txt`, or
/// `score_multiplier.txt` times `base`; `Ok(None)` when it left neither.
fn score_files(dir: &Path, base: Option<f64>) -> Result<Option<f64>, String> {
    let read = |file: &str| -> Result<Option<f64>, String> {
        let text = match crate::hostdir::read_file(dir, file, 256) {
            Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(None) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        parse_score(&text)
            .map(Some)
            .ok_or_else(|| format!("{file} holds {:?}, not one number", text.trim()))
    };
    match (read("score.txt")?, read("score_multiplier.txt")?) {
        (Some(_), Some(_)) => Err("wrote both score.txt and score_multiplier.txt".to_owned()),
        (Some(score), None) => Ok(Some(score)),
        (None, Some(m)) if !(0.0..=1.0).contains(&m) => {
            Err(format!("score_multiplier.txt holds {m}, outside 0..1"))
        }
        (None, Some(m)) => match base {
            Some(base) => Ok(Some(m * base)),
            None => Err("wrote score_multiplier.txt for a test with no maximum score".to_owned()),
        },
        (None, None) => Ok(None),
    }
}

/// A score file's content: exactly one finite number.
fn parse_score(text: &str) -> Option<f64> {
    let mut words = text.split_whitespace();
    let value: f64 = words.next()?.parse().ok()?;
    (words.next().is_none() && value.is_finite()).then_some(value)
}

/// testlib's `quitp`: stderr is `points VALUE` and an optional message. Returns the value and
/// the message.
fn testlib_points(stderr: &str) -> Option<(f64, String)> {
    let rest = stderr.trim_start().strip_prefix("points")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let (value, message) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let value: f64 = value.parse().ok()?;
    value
        .is_finite()
        .then(|| (value, message.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn testlib_points_follow_quitp() {
        assert_eq!(
            testlib_points("points 0.5 half of the words\n"),
            Some((0.5, "half of the words".to_owned()))
        );
        assert_eq!(testlib_points("points 12"), Some((12.0, String::new())));
        assert_eq!(
            testlib_points("  points\t3 ok"),
            Some((3.0, "ok".to_owned()))
        );
        for bad in [
            "",
            "points",
            "points x",
            "pointsy 1",
            "ok 1",
            "points inf",
            "points NaN",
        ] {
            assert_eq!(testlib_points(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_score_file_holds_one_number() {
        assert_eq!(parse_score("12.5\n"), Some(12.5));
        assert_eq!(parse_score(" 3 "), Some(3.0));
        assert_eq!(parse_score("1e2"), Some(100.0));
        for bad in ["", "x", "1 2", "inf", "nan", "5 points"] {
            assert_eq!(parse_score(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn score_files_in_the_feedback_directory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(score_files(d, Some(10.0)), Ok(None));
        std::fs::write(d.join("score.txt"), "7\n").unwrap();
        assert_eq!(score_files(d, Some(10.0)), Ok(Some(7.0)));
        assert_eq!(
            score_files(d, None),
            Ok(Some(7.0)),
            "score.txt needs no base"
        );
        std::fs::write(d.join("score_multiplier.txt"), "0.5").unwrap();
        assert!(score_files(d, Some(10.0)).unwrap_err().contains("both"));
        std::fs::remove_file(d.join("score.txt")).unwrap();
        assert_eq!(score_files(d, Some(10.0)), Ok(Some(5.0)));
        assert!(score_files(d, None).unwrap_err().contains("no maximum"));
        std::fs::write(d.join("score_multiplier.txt"), "1.5").unwrap();
        assert!(score_files(d, Some(10.0)).unwrap_err().contains("outside"));
        std::fs::write(d.join("score_multiplier.txt"), "half").unwrap();
        let err = score_files(d, Some(10.0)).unwrap_err();
        assert!(err.contains("score_multiplier.txt holds \"half\""), "{err}");
    }
}

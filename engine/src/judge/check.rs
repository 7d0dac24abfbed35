//! Checking a test's output: with a built-in checker, or with the package's output validators
//! run in the sandbox (all of them must accept).
//!
//! A validator sees the test's input and answer (and, for testlib, the output) as read-only
//! files under `/judge`, and a writable `/judge/feedback/` for Kattis feedback files. Its
//! answer is an exit code; anything else it does (crash, other code, time out) is the
//! problem's fault: IE, never the submission's.

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use super::compile::{BuiltValidator, Protocol};
use super::step::{self, Step};
use super::JudgeError;
use crate::checker::{check_files, Checker, Difference};
use crate::pool::Worker;
use crate::profile::WORK_DIR;
use crate::sandbox::{ExitStatus, Limits, Mount, RunResult, Stdio};
use crate::testset::{PackageLimits, TestCase};
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
    },
    /// An interactor that talks to the program while it runs (see `interact`).
    Interactive {
        interactor: BuiltValidator,
        limits: Limits,
    },
}

/// The checker's word on one output.
#[derive(Debug)]
pub(crate) struct Checked {
    pub verdict: Verdict,
    pub message: String,
    pub diff: Option<Difference>,
}

/// Limits for validators: the package's, or generous defaults.
pub(crate) fn validator_limits(package: &PackageLimits) -> Limits {
    let time = package.validation_time.unwrap_or(Duration::from_secs(30));
    Limits {
        cpu_time: Some(time),
        wall_time: time * 2 + Duration::from_secs(5),
        memory: Some(package.validation_memory_mib.unwrap_or(2048) << 20),
        output: Some(package.validation_output_mib.unwrap_or(8) << 20),
        processes: Some(16),
        ..Limits::default()
    }
}

impl Checking {
    /// Check `output` for `test` (the `index`th test).
    pub fn check(
        &self,
        worker: &mut Worker,
        index: usize,
        test: &TestCase,
        output: &Path,
        scratch: &Path,
    ) -> Result<Checked, JudgeError> {
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
                })
            }
            Checking::Validators { validators, limits } => {
                let mut last = None;
                for (n, validator) in validators.iter().enumerate() {
                    let checked =
                        run_validator(worker, validator, limits, test, output, scratch, index, n)?;
                    if checked.verdict != Verdict::AC {
                        return Ok(checked);
                    }
                    last = Some(checked);
                }
                Ok(last.unwrap_or(Checked {
                    verdict: Verdict::IE,
                    message: "the package has no output validator".to_owned(),
                    diff: None,
                }))
            }
            // The interactor judged while the program ran: there is no output to check.
            Checking::Interactive { .. } => Ok(Checked {
                verdict: Verdict::IE,
                message: "an interactive test has no output to check".to_owned(),
                diff: None,
            }),
        }
    }
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

/// The sandbox step of a validator for `test`: its argv, its mounts (the test's input and
/// answer under `/judge`, the writable feedback directory `feedback`) and its limits.
pub(crate) fn validator_step(
    validator: &BuiltValidator,
    limits: &Limits,
    test: &TestCase,
    feedback: &Path,
    meets: Meets<'_>,
) -> Result<Step, JudgeError> {
    // Mount sources must be absolute; a test set found under a relative directory is not.
    let absolute =
        |path: &Path| std::path::absolute(path).map_err(|e| JudgeError::io("resolve", path, e));
    let mut step = Step::new(
        validator.argv.clone(),
        validator.env.clone(),
        &validator.mounts,
        limits.clone(),
        validator.syscalls.clone(),
    )
    .mount(Mount::read_only(validator.dir.path(), WORK_DIR))
    .mount(Mount::read_only(absolute(&test.input)?, "/judge/input"))
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

#[allow(clippy::too_many_arguments)]
fn run_validator(
    worker: &mut Worker,
    validator: &BuiltValidator,
    limits: &Limits,
    test: &TestCase,
    output: &Path,
    scratch: &Path,
    index: usize,
    n: usize,
) -> Result<Checked, JudgeError> {
    let feedback = step::sandbox_dir(worker.sandbox(), "judge-feedback-")?;
    let step = validator_step(
        validator,
        limits,
        test,
        feedback.path(),
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
        validator,
        &result,
        feedback.path(),
        &err_path,
        "output validator",
    ))
}

/// What a validator's (or interactor's) run says about the submission: its exit code read by
/// its protocol, with its feedback as the message. Anything but a known code is IE.
pub(crate) fn judgement(
    validator: &BuiltValidator,
    result: &RunResult,
    feedback: &Path,
    stderr: &Path,
    role: &str,
) -> Checked {
    let name = validator.path.display();
    let feedback_text = |file: &str| step::read_capped(&feedback.join(file), FEEDBACK_CAP);
    let stderr = step::read_capped(stderr, FEEDBACK_CAP);
    let (verdict, message) = match (validator.protocol, result.status, result.killed_by) {
        (_, _, Some(hit)) => (
            Verdict::IE,
            format!("{role} {name} was killed for its {hit:?} limit"),
        ),
        (Protocol::Kattis, ExitStatus::Exited(42), None) => {
            (Verdict::AC, feedback_text("judgemessage.txt"))
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
    }
}

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
use crate::sandbox::{ExitStatus, Limits, Mount, Stdio};
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
        }
    }
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
    let mut argv = validator.argv.clone();
    let mut step = Step::new(
        Vec::new(),
        validator.env.clone(),
        &validator.mounts,
        limits.clone(),
        validator.syscalls.clone(),
    )
    .mount(Mount::read_only(validator.dir.path(), WORK_DIR))
    .mount(Mount::read_only(&test.input, "/judge/input"))
    .mount(Mount::read_only(&test.answer, "/judge/answer"));
    let stdin = match validator.protocol {
        Protocol::Kattis => {
            step = step.mount(Mount::writable(feedback.path(), "/judge/feedback"));
            argv.extend(
                ["/judge/input", "/judge/answer", "/judge/feedback/"]
                    .iter()
                    .map(|s| s.to_string()),
            );
            argv.extend(test.validator_flags.iter().cloned());
            Stdio::from(File::open(output).map_err(|e| JudgeError::io("open", output, e))?)
        }
        Protocol::Testlib => {
            step = step.mount(Mount::read_only(output, "/judge/output"));
            argv.extend(
                ["/judge/input", "/judge/output", "/judge/answer"]
                    .iter()
                    .map(|s| s.to_string()),
            );
            Stdio::Null
        }
    };
    step.argv = argv;
    let out_path = step::scratch_file(scratch, index, &format!("validator{n}.out"));
    let err_path = step::scratch_file(scratch, index, &format!("validator{n}.err"));
    let command = step.command(stdin, step::capture(&out_path)?, step::capture(&err_path)?);
    let result = worker.run_fresh(command)?;
    let name = validator.path.display();
    let feedback_text = |file: &str| step::read_capped(&feedback.path().join(file), FEEDBACK_CAP);
    let stderr = step::read_capped(&err_path, FEEDBACK_CAP);
    let (verdict, message) = match (validator.protocol, result.status, result.killed_by) {
        (_, _, Some(hit)) => (
            Verdict::IE,
            format!("output validator {name} was killed for its {hit:?} limit"),
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
            format!("testlib checker {name} reported a judge failure: {stderr}"),
        ),
        (_, status, None) => (
            Verdict::IE,
            format!(
                "output validator {name} ended with {status:?}: {stderr}{}",
                feedback_text("judgemessage.txt")
            ),
        ),
    };
    Ok(Checked {
        verdict,
        message: message.trim().to_owned(),
        diff: None,
    })
}

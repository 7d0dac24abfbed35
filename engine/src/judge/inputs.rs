//! Input validation, as `judge verify` runs it: each of a package's input validators on every
//! test's input (it must accept: exit code 42) and on every `data/invalid_input/` file (at least
//! one validator must reject it).
//!
//! A validator is built as an output validator is (its constants replaced, in the compile
//! sandbox) and runs in a fresh sandbox with the validators' limits, the input on its stdin and
//! no other file of the package: `validator [input_validator_args] [test args] < input`.
//! Judging needs none of this; a package whose input validators cannot run here still judges.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::compile::{self, BuiltValidator};
use super::step::{self, Step};
use super::JudgeError;
use crate::hostdir::ScratchDir;
use crate::profile::{ProfileSet, WORK_DIR};
use crate::sandbox::{ExitStatus, LimitHit, Limits, Mount, Sandbox, Stdio};
use crate::testset::{InputValidatorArgs, InvalidInput, TestSet, ValidatorSource};

/// The exit code of an input validator that accepts.
pub const VALID: i32 = 42;

/// How much of a validator's stderr (else stdout) a finding quotes.
const QUOTE_CAP: usize = 600;

/// One input file to validate.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// `secret/1`, `invalid_input/too_big`.
    pub name: String,
    pub path: PathBuf,
    /// The test's submission arguments, after the validator's own.
    pub args: Vec<String>,
    pub validator_args: InputValidatorArgs,
    /// A test's input must be valid; an `invalid_input/` file must not.
    pub must_be_valid: bool,
}

/// What one validator said about one input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputCheck {
    pub validator: String,
    pub input: String,
    pub valid: bool,
    /// How it ended: `exit code 43`, `killed by signal 9`, `time limit`.
    pub ended: String,
    /// The start of what it wrote on stderr (else stdout).
    pub message: String,
}

/// A problem with the package's inputs that validation found.
#[derive(Debug, Clone, PartialEq)]
pub enum InputFinding {
    /// A validator rejects a test's input.
    Rejected(InputCheck),
    /// Every validator accepts an `invalid_input/` file.
    AcceptedInvalid { input: String },
    /// A validator could not be built (or its language run here).
    NotBuilt { validator: String, why: String },
}

/// The tests' inputs of `tests`, then the `invalid` ones.
pub fn inputs_of(tests: &TestSet, invalid: &[InvalidInput]) -> Vec<InputFile> {
    tests
        .tests
        .iter()
        .map(|t| InputFile {
            name: t.name.clone(),
            path: t.input.clone(),
            args: t.args.clone(),
            validator_args: t.input_validator_args.clone(),
            must_be_valid: true,
        })
        .chain(invalid.iter().map(|i| InputFile {
            name: i.name.clone(),
            path: i.path.clone(),
            args: Vec::new(),
            validator_args: i.input_validator_args.clone(),
            must_be_valid: false,
        }))
        .collect()
}

/// Build `validators` and run each on each of `inputs`, in order; every check, and the
/// findings among them.
pub fn validate(
    sandbox: &Sandbox,
    profiles: &ProfileSet,
    tests: &TestSet,
    validators: &[ValidatorSource],
    inputs: &[InputFile],
) -> Result<(Vec<InputCheck>, Vec<InputFinding>), JudgeError> {
    let mut findings = Vec::new();
    let mut built: Vec<(BuiltValidator, &str)> = Vec::new();
    for source in validators {
        match compile::validator(sandbox, profiles, source, &tests.constants) {
            Ok(validator) => built.push((validator, &source.name)),
            Err(e) => findings.push(InputFinding::NotBuilt {
                validator: source.name.clone(),
                why: e.to_string(),
            }),
        }
    }
    let limits = crate::limits::validator(&tests.limits);
    let scratch = step::scratch_dir(sandbox)?;
    let mut checks = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let mut rejected = false;
        for (validator, name) in &built {
            let check = run_one(sandbox, validator, name, &limits, input, &scratch, index)?;
            rejected |= !check.valid;
            if input.must_be_valid && !check.valid {
                findings.push(InputFinding::Rejected(check.clone()));
            }
            checks.push(check);
        }
        if !input.must_be_valid && !rejected && !built.is_empty() {
            findings.push(InputFinding::AcceptedInvalid {
                input: input.name.clone(),
            });
        }
    }
    Ok((checks, findings))
}

fn run_one(
    sandbox: &Sandbox,
    validator: &BuiltValidator,
    name: &str,
    limits: &Limits,
    input: &InputFile,
    scratch: &ScratchDir,
    index: usize,
) -> Result<InputCheck, JudgeError> {
    let mut argv = validator.argv.clone();
    argv.extend(input.validator_args.for_validator(name).iter().cloned());
    argv.extend(input.args.iter().cloned());
    let step = Step::new(
        argv,
        validator.env.clone(),
        &validator.mounts,
        limits.clone(),
        validator.syscalls.clone(),
    )
    .mount(Mount::read_only(validator.dir.path(), WORK_DIR));
    let stdin = File::open(&input.path).map_err(|e| JudgeError::io("open", &input.path, e))?;
    let out = step::scratch_file(scratch.path(), index, &format!("{name}.out"));
    let err = step::scratch_file(scratch.path(), index, &format!("{name}.err"));
    let command = step.command(
        Stdio::from(stdin),
        step::capture(&out)?,
        step::capture(&err)?,
    );
    let result = sandbox.run(command)?;
    let ended = match (result.killed_by, result.status) {
        (Some(LimitHit::CpuTime | LimitHit::WallTime), _) => "the time limit".to_owned(),
        (Some(LimitHit::Output), _) => "the output limit".to_owned(),
        (Some(LimitHit::Setup), _) => "a sandbox that never started".to_owned(),
        (None, ExitStatus::Exited(code)) => format!("exit code {code}"),
        (None, ExitStatus::Signaled(signal)) => format!("killed by signal {signal}"),
    };
    let valid = result.killed_by.is_none() && result.status == ExitStatus::Exited(VALID);
    let message = [&err, &out]
        .iter()
        .map(|p| quote(p))
        .find(|m| !m.is_empty())
        .unwrap_or_default();
    Ok(InputCheck {
        validator: name.to_owned(),
        input: input.name.clone(),
        valid,
        ended,
        message,
    })
}

/// The start of a captured file, trimmed, at most [`QUOTE_CAP`] bytes.
fn quote(path: &Path) -> String {
    let bytes = fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(QUOTE_CAP)]);
    text.trim().to_owned()
}

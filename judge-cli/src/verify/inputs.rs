//! Input validation before `verify` judges: the package's input validators on every test's
//! input and every `data/invalid_input/` file (see `judge_engine::judge::inputs`).

use std::path::{Path, PathBuf};

use judge_engine::judge::inputs::{self, InputCheck, InputFinding};
use judge_engine::profile::ProfileSet;
use judge_engine::sandbox::Sandbox;
use judge_engine::testset::{self, TestSet};

use crate::Failure;

/// What input validation found.
pub struct InputReport {
    /// The validators that ran, by name.
    pub validators: Vec<String>,
    /// What could not run, and why.
    pub not_run: Vec<(PathBuf, String)>,
    pub checks: Vec<InputCheck>,
    pub findings: Vec<InputFinding>,
}

/// Validate the inputs of the package at `problem` (its tests `tests`).
pub fn validate(
    problem: &Path,
    tests: &TestSet,
    sandbox: &Sandbox,
    profiles: &ProfileSet,
) -> Result<InputReport, Failure> {
    let found = testset::input_validators(problem)?;
    let invalid = testset::invalid_inputs(problem)?;
    let files = inputs::inputs_of(tests, &invalid);
    let (checks, findings) = inputs::validate(sandbox, profiles, tests, &found.programs, &files)?;
    Ok(InputReport {
        validators: found.programs.iter().map(|p| p.name.clone()).collect(),
        not_run: found.not_run,
        checks,
        findings,
    })
}

impl InputReport {
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }

    /// Lines for a person: what ran, what could not, and each finding.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (path, why) in &self.not_run {
            out.push_str(&format!(
                "input validator {} not run: {why}\n",
                path.display()
            ));
        }
        for finding in &self.findings {
            match finding {
                InputFinding::Rejected(check) => out.push_str(&format!(
                    "input validator {} rejects {} ({}){}\n",
                    check.validator,
                    check.input,
                    check.ended,
                    quoted(&check.message)
                )),
                InputFinding::AcceptedInvalid { input } => out.push_str(&format!(
                    "{input}: every input validator accepts it, and it must be rejected\n"
                )),
                InputFinding::NotBuilt { validator, why } => {
                    out.push_str(&format!("input validator {validator} cannot run: {why}\n"))
                }
            }
        }
        let inputs = self
            .checks
            .iter()
            .map(|c| c.input.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        out.push_str(&match (self.validators.len(), self.findings.len()) {
            (0, _) => "input validation: no input validator to run\n".to_owned(),
            (n, 0) => format!("input validation: {n} validators, {inputs} inputs: as expected\n"),
            (n, bad) => {
                format!("input validation: {n} validators, {inputs} inputs: {bad} findings\n")
            }
        });
        out
    }

    pub fn json(&self) -> serde_json::Value {
        use serde_json::json;
        json!({
            "validators": self.validators,
            "not_run": self
                .not_run
                .iter()
                .map(|(path, why)| json!({"path": path.display().to_string(), "why": why}))
                .collect::<Vec<_>>(),
            "checks": self.checks.len(),
            "findings": self
                .findings
                .iter()
                .map(|f| match f {
                    InputFinding::Rejected(c) => json!({
                        "kind": "rejected",
                        "validator": c.validator,
                        "input": c.input,
                        "ended": c.ended,
                        "message": c.message,
                    }),
                    InputFinding::AcceptedInvalid { input } => json!({
                        "kind": "accepted_invalid",
                        "input": input,
                    }),
                    InputFinding::NotBuilt { validator, why } => json!({
                        "kind": "not_built",
                        "validator": validator,
                        "why": why,
                    }),
                })
                .collect::<Vec<_>>(),
            "ok": self.ok(),
        })
    }
}

fn quoted(message: &str) -> String {
    match message.lines().next() {
        Some(line) if !line.is_empty() => format!(": {line}"),
        _ => String::new(),
    }
}

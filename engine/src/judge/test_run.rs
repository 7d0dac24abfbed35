//! One test of a submission: run it in the worker's environment (or beside its interactor),
//! classify the run, check its output, and report.

use std::fs;
use std::time::Duration;

use super::check::{Checked, Checking};
use super::schedule::TestRun;
use super::{interact, step, JudgeError, TestReport};
use crate::limits;
use crate::pool::Worker;
use crate::profile::WORK_DIR;
use crate::sandbox::{LimitHit, Limits, Mount, RunResult, Stdio};
use crate::testset::TestCase;
use crate::verdict::{classify, Outcome, RuntimeError, Verdict};

/// How much of a program's stderr a report keeps (its first and last bytes).
const STDERR_CAP: usize = 4 << 10;

impl TestRun {
    /// The submission's sandbox limits for one test: alone, or one side of an interactive pair.
    fn sandbox_limits(&self) -> Limits {
        let run = self.profile.run().limits();
        match self.problem.checking {
            Checking::Interactive { .. } => {
                limits::interactive_run(&self.limits, run, self.cgroups, self.wall_limit)
            }
            _ => limits::test_run(&self.limits, run, self.cgroups, self.wall_limit),
        }
    }

    pub(super) fn try_one(
        &self,
        worker: &mut Worker,
        index: usize,
        test: &TestCase,
    ) -> Result<TestReport, JudgeError> {
        let scratch = self.scratch.path();
        let output = step::scratch_file(scratch, index, "out");
        let limits = self.sandbox_limits();
        let staged = worker.stage(self.stage_key, self.work.path())?.to_owned();
        let step = step::Step::new(
            self.profile.run_argv(&self.vars),
            self.profile.run_env(&self.vars),
            &self.profile.mounts(),
            limits.clone(),
            self.profile.run().syscalls().clone(),
        )
        .mount(Mount::read_only(staged, WORK_DIR));
        // The engine drains stderr while the program runs: it takes no disk.
        let stderr_stream = Stdio::capture(STDERR_CAP);
        let (result, output_len, interaction, transcript) = match &self.problem.checking {
            Checking::Interactive {
                interactor,
                limits: interactor_limits,
                points,
            } => {
                let pair = interact::run(
                    worker,
                    interact::Sides {
                        submission: step,
                        submission_stderr: stderr_stream,
                        interactor,
                        interactor_limits,
                        points: points.as_deref(),
                        test,
                        scratch,
                        index,
                        record: self.transcript,
                    },
                )?;
                (
                    pair.submission,
                    None,
                    Some((pair.interactor, pair.interactor_first)),
                    pair.transcript,
                )
            }
            _ => {
                let input = fs::File::open(&test.input)
                    .map_err(|e| JudgeError::io("open", &test.input, e))?;
                let (layout, command) =
                    step.split(Stdio::from(input), step::capture(&output)?, stderr_stream);
                let result = worker.run(layout, command)?;
                let len = fs::metadata(&output).map(|m| m.len()).ok();
                (result, len, None, None)
            }
        };
        let stderr = result
            .captured
            .as_ref()
            .map(|c| c.text())
            .unwrap_or_default();
        let mut outcome = classify(&result, &limits, output_len);
        if let (Outcome::RuntimeError(_), Some(marker)) =
            (outcome, self.profile.run().memory_error())
        {
            if stderr.contains(marker) {
                outcome = Outcome::MemoryLimit;
            }
        }
        let checked = match (Verdict::of_outcome(outcome), interaction) {
            (_, Some((interactor, first))) => interact::decide(
                outcome,
                describe(outcome, &result, &limits, &stderr),
                interactor,
                first,
            ),
            (Some(verdict), None) => Checked {
                verdict,
                message: describe(outcome, &result, &limits, &stderr),
                diff: None,
                score: None,
            },
            (None, None) => self
                .problem
                .checking
                .check(worker, index, test, &output, scratch)?,
        };
        // The output file is only needed until it is checked.
        let _ = fs::remove_file(&output);
        Ok(TestReport {
            name: test.name.clone(),
            verdict: checked.verdict,
            time: result.cpu_time,
            wall_time: result.wall_time,
            memory: result.memory,
            exit_code: result.exit_code(),
            signal: result.signal(),
            message: checked.message,
            diff: checked.diff,
            transcript,
            score: checked.score,
        })
    }
}

/// One sentence on why a run failed before its output could be checked.
fn describe(outcome: Outcome, result: &RunResult, limits: &Limits, stderr: &str) -> String {
    let secs = |d: Duration| format!("{:.3} s", d.as_secs_f64());
    match outcome {
        Outcome::TimeLimit => match limits.cpu_time {
            Some(cpu) if result.cpu_time > cpu || result.killed_by == Some(LimitHit::CpuTime) => {
                format!(
                    "CPU time {} over the limit of {}",
                    secs(result.cpu_time),
                    secs(cpu)
                )
            }
            _ => format!(
                "wall-clock limit of {} exceeded ({} of CPU time used)",
                secs(limits.wall_time),
                secs(result.cpu_time)
            ),
        },
        Outcome::MemoryLimit => format!(
            "memory limit of {} MiB exceeded",
            limits.memory.unwrap_or_default() >> 20
        ),
        Outcome::OutputLimit => format!(
            "output limit of {} MiB exceeded",
            limits.output.unwrap_or_default() >> 20
        ),
        Outcome::RuntimeError(e) => {
            let tail = stderr.trim();
            if tail.is_empty() || e == RuntimeError::DisallowedSyscall {
                e.to_string()
            } else {
                let last: Vec<&str> = tail.lines().rev().take(3).collect();
                let last: Vec<&str> = last.into_iter().rev().collect();
                format!("{e}: {}", last.join(" | "))
            }
        }
        Outcome::Normal => String::new(),
    }
}

//! One test of a submission: run it in the worker's environment (or beside its interactor),
//! classify the run, check its output, and report.

use std::fs;
use std::time::Duration;

use super::check::{self, Checked, Checking, Pass};
use super::schedule::TestRun;
use super::{interact, step, JudgeError, TestReport};
use crate::pool::Worker;
use crate::profile::WORK_DIR;
use crate::sandbox::{LimitHit, Limits, Mount, RunResult, Stdio};
use crate::testset::TestCase;
use crate::verdict::{classify, Outcome, RuntimeError, Verdict};
use crate::{hostdir, limits};

/// The file in which a multi-pass validator leaves the next pass's input.
const NEXT_PASS: &str = "nextpass.in";

/// How much of a program's stderr a report keeps (its first and last bytes).
const STDERR_CAP: usize = 4 << 10;

impl TestRun {
    /// The submission's sandbox limits for one test: alone, or one side of an interactive pair.
    fn sandbox_limits(&self) -> Limits {
        let run = self.profile.run().limits();
        let mut limits = match self.problem.checking {
            Checking::Interactive { .. } => {
                limits::interactive_run(&self.limits, run, self.cgroups, self.wall_limit)
            }
            _ => limits::test_run(&self.limits, run, self.cgroups, self.wall_limit),
        };
        limits.network = self.network;
        limits
    }

    /// Run and check the `index`th test: once, or pass after pass on a multi-pass problem.
    pub(super) fn try_one(
        &self,
        worker: &mut Worker,
        index: usize,
        test: &TestCase,
    ) -> Result<TestReport, JudgeError> {
        let first = Pass {
            index,
            test,
            input: &test.input,
            feedback: None,
        };
        match (
            self.problem.passes,
            self.problem.checking.validator_limits(),
        ) {
            (Some(max), Some(limits)) => self.passes(worker, &first, max, limits),
            _ => self.pass(worker, &first),
        }
    }

    /// A multi-pass test: the submission runs again on the `nextpass.in` its validator left
    /// (read without following a link, then removed), at most `max` times, with one feedback
    /// directory kept across passes. Judging stops at the first pass that fails or leaves no
    /// `nextpass.in`; a `nextpass.in` beside a rejection, or one more pass than `max`, is the
    /// problem's fault (IE). Limits hold for each pass; the report has the largest time and
    /// memory of any pass.
    fn passes(
        &self,
        worker: &mut Worker,
        first: &Pass<'_>,
        max: u32,
        limits: &Limits,
    ) -> Result<TestReport, JudgeError> {
        let cap = check::feedback_cap(limits);
        let feedback = step::sandbox_dir(worker.sandbox(), "feedback", Some(cap))?;
        let mut input = first.input.to_owned();
        let mut most = (Duration::ZERO, Duration::ZERO, 0u64);
        let mut pass = 1;
        loop {
            let at = Pass {
                input: &input,
                feedback: Some(feedback.path()),
                ..*first
            };
            let mut report = self.pass(worker, &at)?;
            most = (
                most.0.max(report.time),
                most.1.max(report.wall_time),
                most.2.max(report.memory),
            );
            (report.time, report.wall_time, report.memory) = most;
            let next = hostdir::read_file(feedback.path(), NEXT_PASS, cap.bytes as usize)
                .map_err(|e| e.to_string());
            let said = |report: TestReport, verdict, why: String| TestReport {
                verdict,
                message: format!("pass {pass}: {why}"),
                score: None,
                ..report
            };
            match (report.verdict, next) {
                (_, Err(why)) => return Ok(said(report, Verdict::IE, why)),
                (_, Ok(None)) | (Verdict::TLE | Verdict::MLE | Verdict::OLE | Verdict::RE, _) => {
                    if pass > 1 {
                        report.message = format!("pass {pass}: {}", report.message);
                    }
                    return Ok(report);
                }
                (Verdict::AC, Ok(Some(bytes))) if pass < max => {
                    let path = feedback.path().join(NEXT_PASS);
                    fs::remove_file(&path).map_err(|e| JudgeError::io("remove", &path, e))?;
                    input = step::scratch_file(self.scratch.path(), first.index, "next.in");
                    fs::write(&input, bytes).map_err(|e| JudgeError::io("write", &input, e))?;
                    pass += 1;
                }
                (Verdict::AC, Ok(Some(_))) => {
                    let why = format!(
                        "the validator asked for another pass, more than limits.validation_passes \
                         ({max})"
                    );
                    return Ok(said(report, Verdict::IE, why));
                }
                (_, Ok(Some(_))) => {
                    let why = format!(
                        "the validator wrote {NEXT_PASS} and did not accept (a judge error): {}",
                        report.message
                    );
                    return Ok(said(report, Verdict::IE, why));
                }
            }
        }
    }

    /// One run of the submission on `at.input`, and its check.
    fn pass(&self, worker: &mut Worker, at: &Pass<'_>) -> Result<TestReport, JudgeError> {
        let Pass {
            index,
            test,
            input,
            feedback,
        } = *at;
        let scratch = self.scratch.path();
        let output = step::scratch_file(scratch, index, "out");
        let limits = self.sandbox_limits();
        let staged = worker.stage(self.stage_key, self.work.path())?.to_owned();
        let mut argv = self.profile.run_argv(&self.vars);
        argv.extend(test.args.iter().cloned());
        let mut mounts = self.profile.mounts();
        if let (Some(dir), Some(prepared)) = (&self.prepared, self.profile.run().prepared()) {
            prepared.offer(dir.clone(), &mut argv, &mut mounts);
        }
        let step = step::Step::new(
            argv,
            self.profile.run_env(&self.vars),
            &mounts,
            limits.clone(),
            self.profile.run().syscalls().clone(),
        )
        .root_of(&self.profile)
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
                        input,
                        feedback,
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
                let stdin = fs::File::open(input).map_err(|e| JudgeError::io("open", input, e))?;
                let (layout, command) =
                    step.split(Stdio::from(stdin), step::capture(&output)?, stderr_stream);
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
            (None, None) => self.problem.checking.check(worker, at, &output, scratch)?,
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

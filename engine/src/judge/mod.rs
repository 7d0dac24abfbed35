//! Judging a submission: compile once, run every test in the sandbox, check, collect.
//!
//! 1. [`Problem::prepare`] reads a test set once for any number of submissions: it checks every
//!    test's validator flags and builds the package's output validators, so nothing runs
//!    half-configured.
//! 2. [`Problem::judge`] takes one source file and its language profile:
//!    - the source is copied into a fresh work directory (named as the profile wants, e.g. after
//!      the Java main class) and compiled in the sandbox with the profile's compile limits; a
//!      failure is CE with the compiler's message;
//!    - each test runs in the sandbox with its input as stdin, stdout to a file capped by the
//!      output limit, stderr captured, the work directory read-only and a small `/tmp`;
//!    - the run is classified ([`crate::verdict::classify`]); a normal exit is checked;
//!    - each test's verdict, CPU and wall time, peak memory, exit code or signal and the
//!      checker's message are recorded.
//! 3. The submission's verdict is that of its first failing test, in test order (ICPC style);
//!    later tests are not run unless [`Options::run_all`] says so. Tests run in parallel on the
//!    workers of a [`Pool`] (in its reused environments); results are collected in test order.
//!    A scored problem instead runs every test that can still count and adds the results up
//!    group by group (`score`): the verdict and score are its `data` group's.
//!
//! Limits: an explicit option first, then the package's own, then 1 s, 256 MiB, and 64 MiB of
//! output; options are checked, and every step's sandbox limits derived, in [`crate::limits`].

mod check;
mod compile;
mod error;
mod interact;
pub mod relay;
mod score;
mod step;

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Kept here too, where they were first: the limits a submission runs under and their defaults.
pub use crate::limits::{
    TestLimits, DEFAULT_MEMORY_LIMIT, DEFAULT_OUTPUT_LIMIT, DEFAULT_TIME_LIMIT,
};
pub use compile::{CompileReport, MESSAGE_CAP};
pub use error::JudgeError;
pub use interact::TRANSCRIPT_CAP;
pub use relay::{Chunk, Side, Transcript};
pub use score::GroupReport;

use crate::checker::{Checker, Difference};
use crate::limits::{self, LimitError};
use crate::pool::{Pool, Worker};
use crate::profile::{Profile, ProfileSet, Vars, WORK_DIR};
use crate::sandbox::{LimitHit, Limits, Mount, RunResult, Sandbox, Stdio};
use crate::testset::{TestCase, TestSet, Validation};
use crate::verdict::{classify, Outcome, RuntimeError, Verdict};
use check::{Checked, Checking, Points};

/// How much of a program's stderr a report keeps (its first and last bytes).
const STDERR_CAP: usize = 4 << 10;

/// How to judge. The limits are checked against the bounds of [`crate::limits`] when a
/// submission is judged; one out of bounds is an error naming the field.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Overrides the package's time limit.
    pub time_limit: Option<Duration>,
    /// Overrides the package's memory limit, in bytes.
    pub memory_limit: Option<u64>,
    /// Overrides the package's output limit, in bytes.
    pub output_limit: Option<u64>,
    /// Run every test even after one fails.
    pub run_all: bool,
    /// Interactive problems: the wall-clock limit of the submission and interactor together;
    /// by default twice the time limit.
    pub pair_wall_limit: Option<Duration>,
    /// Interactive problems: keep what crossed the pipes, up to [`TRANSCRIPT_CAP`] bytes per
    /// test, in each [`TestReport::transcript`].
    pub transcript: bool,
}

/// One test's result.
#[derive(Clone, Debug, PartialEq)]
pub struct TestReport {
    pub name: String,
    pub verdict: Verdict,
    /// CPU time.
    pub time: Duration,
    pub wall_time: Duration,
    /// Peak memory in bytes.
    pub memory: u64,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    /// The checker's or validator's message, or what went wrong.
    pub message: String,
    /// For a wrong answer from a built-in checker: where the output first differs.
    pub diff: Option<Difference>,
    /// For an interactive test when [`Options::transcript`] asks: what crossed the pipes.
    pub transcript: Option<Transcript>,
    /// On a scored problem, the points the test counted for; `None` on a pass-fail problem and
    /// for a test that did not count.
    pub score: Option<f64>,
}

/// A submission's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub verdict: Verdict,
    pub compile: CompileReport,
    /// The tests that ran, in test order: up to the first failure, or all with `run_all`.
    pub tests: Vec<TestReport>,
    /// The largest CPU time of any test.
    pub time: Duration,
    /// The largest peak memory of any test.
    pub memory: u64,
    pub limits: TestLimits,
    /// A scored problem's score (0 unless accepted); `None` for a pass-fail problem.
    pub score: Option<f64>,
    /// A scored problem's test groups, parents before subgroups; empty for a pass-fail problem.
    pub groups: Vec<GroupReport>,
}

/// Progress, for a front end's progress bar.
#[derive(Debug)]
pub enum Event<'a> {
    /// Compilation finished.
    Compiled(&'a CompileReport),
    /// One test finished (in any order when tests run in parallel).
    TestDone(usize, &'a TestReport),
}

/// A test set ready to judge submissions against.
#[derive(Debug)]
pub struct Problem {
    tests: TestSet,
    checking: Checking,
}

impl Problem {
    /// Check the test set's flags and build its validators.
    pub fn prepare(
        sandbox: &Sandbox,
        profiles: &ProfileSet,
        tests: TestSet,
    ) -> Result<Problem, JudgeError> {
        let checking = match &tests.validation {
            Validation::Default => Checking::Builtin(
                tests
                    .tests
                    .iter()
                    .map(|t| Checker::from_name("default", &t.validator_flags.join(" ")))
                    .collect::<Result<_, _>>()?,
            ),
            Validation::Custom { validators, score } => Checking::Validators {
                validators: validators
                    .iter()
                    .map(|v| compile::validator(sandbox, profiles, v))
                    .collect::<Result<_, _>>()?,
                limits: limits::validator(&tests.limits),
                points: tests.scoring.as_ref().map(|scoring| {
                    Box::new(Points {
                        score_files: *score,
                        bases: score::multiplier_bases(scoring, tests.tests.len()),
                    })
                }),
            },
            Validation::Interactive { validators, score } => {
                let [interactor] = validators.as_slice() else {
                    return Err(JudgeError::Interactors {
                        root: tests.root.clone(),
                        count: validators.len(),
                    });
                };
                Checking::Interactive {
                    interactor: compile::validator(sandbox, profiles, interactor)?,
                    limits: limits::validator(&tests.limits),
                    points: tests.scoring.as_ref().map(|scoring| {
                        Box::new(Points {
                            score_files: *score,
                            bases: score::multiplier_bases(scoring, tests.tests.len()),
                        })
                    }),
                }
            }
        };
        Ok(Problem { tests, checking })
    }

    pub fn tests(&self) -> &TestSet {
        &self.tests
    }

    /// The package's interactor talks to the submission while it runs.
    pub fn is_interactive(&self) -> bool {
        matches!(self.checking, Checking::Interactive { .. })
    }

    /// Check with the built-in checker `name` (`default`, `exact`, `lines`) instead of the
    /// package's default validator; each test keeps its validator flags. A package with its own
    /// output validator keeps it: that is an error.
    pub fn use_checker(&mut self, name: &str) -> Result<(), JudgeError> {
        if !matches!(self.checking, Checking::Builtin(_)) {
            return Err(JudgeError::CheckerWithValidator {
                root: self.tests.root.clone(),
                checker: name.to_owned(),
            });
        }
        let checkers = self
            .tests
            .tests
            .iter()
            .map(|t| {
                let flags = t.validator_flags.join(" ");
                // Flags belong to the default validator; the others take none.
                Checker::from_name(name, if name == "default" { &flags } else { "" })
            })
            .collect::<Result<_, _>>()?;
        self.checking = Checking::Builtin(checkers);
        Ok(())
    }

    /// The limits `options` and the package give; an error if an option is out of bounds.
    pub fn limits(&self, options: &Options) -> Result<TestLimits, LimitError> {
        limits::test_limits(options, &self.tests.limits)
    }

    /// Judge the source file at `source` written in `profile`'s language, its tests on `pool`.
    pub fn judge(
        self: &Arc<Self>,
        pool: &Pool,
        profile: &Profile,
        source: &Path,
        options: &Options,
        events: &(dyn Fn(Event) + Sync),
    ) -> Result<Report, JudgeError> {
        let sandbox = pool.sandbox();
        let limits = self.limits(options)?;
        let text = read_source(source)?;
        profile.check_available()?;
        let scoring = self.tests.scoring.as_ref();
        let failed_compile = |compile: CompileReport| Report {
            verdict: Verdict::CE,
            compile,
            tests: Vec::new(),
            time: Duration::ZERO,
            memory: 0,
            limits,
            score: scoring.map(|_| 0.0),
            groups: scoring.map(score::unjudged).unwrap_or_default(),
        };
        let vars = match profile.prepare(&text, limits.memory) {
            Ok(vars) => vars,
            Err(e @ crate::profile::ProfileError::NoMainClass { .. }) => {
                let compile = CompileReport::failed(e.to_string());
                events(Event::Compiled(&compile));
                return Ok(failed_compile(compile));
            }
            Err(e) => return Err(e.into()),
        };
        let work = step::sandbox_dir(sandbox, "work", Some(compile::work_cap(profile)))?;
        let scratch = step::scratch_dir(sandbox)?;
        step::give(sandbox, source, &work.path().join(vars.source_file_name()))?;
        let compile = compile::submission(sandbox, profile, &vars, work.path(), scratch.path())?;
        events(Event::Compiled(&compile));
        if !compile.ok {
            return Ok(failed_compile(compile));
        }
        let run = Arc::new(TestRun {
            profile: profile.clone(),
            vars,
            problem: self.clone(),
            limits,
            cgroups: sandbox.has_cgroups(),
            work,
            stage_key: crate::pool::stage_key(),
            scratch,
            run_all: options.run_all,
            pair_wall_limit: options.pair_wall_limit,
            transcript: options.transcript,
            first_failure: AtomicUsize::new(usize::MAX),
            failed: (0..self.tests.tests.len())
                .map(|_| AtomicBool::new(false))
                .collect(),
        });
        let ran = TestRun::all(&run, pool, events);
        let outcome = score::conclude(scoring, ran, self.tests.tests.len(), options.run_all);
        let tests = outcome.tests;
        Ok(Report {
            verdict: outcome.verdict,
            compile,
            time: tests.iter().map(|t| t.time).max().unwrap_or_default(),
            memory: tests.iter().map(|t| t.memory).max().unwrap_or_default(),
            tests,
            limits,
            score: outcome.score,
            groups: outcome.groups,
        })
    }
}

/// Read a source file, refusing binaries.
fn read_source(path: &Path) -> Result<String, JudgeError> {
    let bytes = fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => JudgeError::MissingSource(path.to_owned()),
        _ => JudgeError::io("read source", path, e),
    })?;
    if bytes.contains(&0) {
        return Err(JudgeError::BinarySource(path.to_owned()));
    }
    String::from_utf8(bytes).map_err(|_| JudgeError::BinarySource(path.to_owned()))
}

/// Everything the tests of one submission share, owned so that pool jobs can hold it.
struct TestRun {
    profile: Profile,
    vars: Vars,
    problem: Arc<Problem>,
    limits: TestLimits,
    cgroups: bool,
    work: crate::hostdir::SandboxDir,
    stage_key: u64,
    scratch: crate::hostdir::ScratchDir,
    run_all: bool,
    pair_wall_limit: Option<Duration>,
    transcript: bool,
    /// The index of the first failing test so far: later tests are skipped unless `run_all`.
    first_failure: AtomicUsize,
    /// Which tests failed so far: on a scored problem, the tests that can no longer count are
    /// skipped unless `run_all`.
    failed: Vec<AtomicBool>,
}

impl TestRun {
    /// Queue every test on the pool; collect the reports in test order with their indices, up to
    /// the first failure unless `run_all` or the problem is scored.
    fn all(
        run: &Arc<TestRun>,
        pool: &Pool,
        events: &(dyn Fn(Event) + Sync),
    ) -> Vec<(usize, TestReport)> {
        let scored = run.problem.tests.scoring.is_some();
        let count = run.problem.tests.tests.len();
        let tickets: Vec<_> = (0..count)
            .map(|index| {
                let run = run.clone();
                pool.submit(move |worker| run.one(worker, index))
            })
            .collect();
        let mut reports = Vec::new();
        for (index, ticket) in tickets.into_iter().enumerate() {
            let Some(report) = ticket.wait() else {
                continue;
            };
            events(Event::TestDone(index, &report));
            let failed = report.verdict != Verdict::AC;
            if scored {
                // Which reports count is the scoring's to say.
                reports.push((index, report));
                continue;
            }
            if run.run_all || index <= run.first_failure.load(Ordering::SeqCst) {
                reports.push((index, report));
            }
            if failed && !run.run_all {
                // Later tickets resolve as skipped (or are dropped if they already ran).
                break;
            }
        }
        reports
    }

    /// Run and check test `index` on `worker`; `None` when skipped after an earlier failure.
    /// Trouble on the judge's side becomes an IE for this test.
    fn one(&self, worker: &mut Worker, index: usize) -> Option<TestReport> {
        if self.skip(index) {
            return None;
        }
        let test = &self.problem.tests.tests[index];
        let report = match self.try_one(worker, index, test) {
            Ok(report) => report,
            Err(e) => TestReport {
                name: test.name.clone(),
                verdict: Verdict::IE,
                time: Duration::ZERO,
                wall_time: Duration::ZERO,
                memory: 0,
                exit_code: None,
                signal: None,
                message: e.to_string(),
                diff: None,
                transcript: None,
                score: None,
            },
        };
        if report.verdict != Verdict::AC {
            self.first_failure.fetch_min(index, Ordering::SeqCst);
            self.failed[index].store(true, Ordering::SeqCst);
        }
        Some(report)
    }

    /// Whether test `index` need not run, given the failures so far.
    fn skip(&self, index: usize) -> bool {
        if self.run_all {
            return false;
        }
        match &self.problem.tests.scoring {
            Some(scoring) => {
                score::skippable(scoring, index, &|j| self.failed[j].load(Ordering::SeqCst))
            }
            None => index > self.first_failure.load(Ordering::SeqCst),
        }
    }

    /// The submission's sandbox limits for one test: alone, or one side of an interactive pair.
    fn sandbox_limits(&self) -> Limits {
        let run = self.profile.run().limits();
        match self.problem.checking {
            Checking::Interactive { .. } => {
                limits::interactive_run(&self.limits, run, self.cgroups, self.pair_wall_limit)
            }
            _ => limits::test_run(&self.limits, run, self.cgroups),
        }
    }

    fn try_one(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testset::{Format, PackageLimits};

    fn problem(limits: PackageLimits) -> Problem {
        Problem {
            tests: TestSet {
                root: "/p".into(),
                format: Format::LegacyPackage,
                tests: Vec::new(),
                validation: Validation::Default,
                limits,
                scoring: None,
            },
            checking: Checking::Builtin(Vec::new()),
        }
    }

    #[test]
    fn limits_come_from_options_then_the_package_then_defaults() {
        let none = problem(PackageLimits::default());
        assert_eq!(
            none.limits(&Options::default()).unwrap(),
            TestLimits {
                time: DEFAULT_TIME_LIMIT,
                memory: DEFAULT_MEMORY_LIMIT,
                output: DEFAULT_OUTPUT_LIMIT,
            }
        );
        let package = problem(PackageLimits {
            time_limit: Some(Duration::from_secs(3)),
            memory_mib: Some(512),
            output_mib: Some(8),
            ..PackageLimits::default()
        });
        assert_eq!(
            package.limits(&Options::default()).unwrap(),
            TestLimits {
                time: Duration::from_secs(3),
                memory: 512 << 20,
                output: 8 << 20,
            }
        );
        let flags = Options {
            time_limit: Some(Duration::from_millis(500)),
            memory_limit: Some(64 << 20),
            output_limit: Some(1 << 20),
            ..Options::default()
        };
        assert_eq!(
            package.limits(&flags).unwrap(),
            TestLimits {
                time: Duration::from_millis(500),
                memory: 64 << 20,
                output: 1 << 20,
            }
        );
    }

    #[test]
    fn options_out_of_bounds_are_refused_naming_the_field() {
        let p = problem(PackageLimits::default());
        let refused = |options: Options| p.limits(&options).unwrap_err().to_string();
        let err = refused(Options {
            time_limit: Some(Duration::from_secs(3601)),
            ..Options::default()
        });
        assert_eq!(
            err,
            "Options::time_limit: 3601 s: a time limit must be above 0 and at most an hour"
        );
        let err = refused(Options {
            memory_limit: Some(u64::MAX),
            ..Options::default()
        });
        assert!(
            err.starts_with("Options::memory_limit: 16777216 TiB: a size"),
            "{err}"
        );
        let err = refused(Options {
            output_limit: Some(0),
            ..Options::default()
        });
        assert!(
            err.starts_with("Options::output_limit: 0 bytes: a size"),
            "{err}"
        );
        let err = refused(Options {
            pair_wall_limit: Some(Duration::ZERO),
            ..Options::default()
        });
        assert!(
            err.starts_with("Options::pair_wall_limit: 0 s: a time"),
            "{err}"
        );
    }

    #[test]
    fn a_binary_source_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.c");
        std::fs::write(&path, b"int main\0() {}").unwrap();
        assert!(matches!(
            read_source(&path),
            Err(JudgeError::BinarySource(_))
        ));
        std::fs::write(&path, [0xff, 0xfe, b'x']).unwrap();
        assert!(matches!(
            read_source(&path),
            Err(JudgeError::BinarySource(_))
        ));
        std::fs::write(&path, "int main() {}").unwrap();
        assert_eq!(read_source(&path).unwrap(), "int main() {}");
        assert!(matches!(
            read_source(&dir.path().join("missing.c")),
            Err(JudgeError::MissingSource(_))
        ));
    }
}

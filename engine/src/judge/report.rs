//! What judging answers: a submission's [`Report`], each test's [`TestReport`], progress
//! [`Event`]s, and the [`Options`] a judgement takes.

use std::time::Duration;

use super::{CompileReport, GroupReport, TestLimits, Transcript};
use crate::checker::Difference;
use crate::verdict::Verdict;

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
    /// The wall-clock limit of each test: by default the CPU limit plus the larger of a second
    /// and half of it ([`crate::limits::test_wall`]). On an interactive problem, of the
    /// submission and interactor together; by default twice the CPU limit.
    pub wall_limit: Option<Duration>,
    /// Interactive problems: keep what crossed the pipes, up to [`TRANSCRIPT_CAP`](super::TRANSCRIPT_CAP) bytes per
    /// test, in each [`TestReport::transcript`].
    pub transcript: bool,
    /// The source is one of the package's example submissions: the package's `constants` are
    /// replaced in it, as the specification says (`judge verify` sets this; a contestant's
    /// source is judged as written).
    pub constants: bool,
    /// A directory submission's entry point (its Java class or main file), as its package's
    /// `submissions.yaml` names it; found from its files otherwise.
    pub entry_point: Option<String>,
    /// Where compiled submissions and precompiled headers are kept: the same sources are
    /// compiled once, and C and C++ compiles read `<bits/stdc++.h>` precompiled. `None`
    /// compiles every submission from scratch.
    pub cache: Option<std::sync::Arc<super::Cache>>,
    /// Set to stop judging: tests not started are not run, and the judgement ends with
    /// [`JudgeError::Cancelled`](super::JudgeError::Cancelled) (a front end's cancel button).
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// The submission's network, over its profile's `run.network` (`none` by default); the
    /// compiler, validators and interactors never have one.
    pub network: Option<crate::sandbox::Network>,
}

impl Options {
    /// Whether [`Options::cancel`] was set.
    pub fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
    }
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

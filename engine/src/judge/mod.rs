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
//! The parts: `report` (what a judgement answers), `problem` ([`Problem`]: a test set
//! prepared, and judging one submission against it), `schedule` (the tests of one submission on
//! the pool, skipping what can no longer count), `test_run` (one test: run, classify, check),
//! `compile`, `check`, `interact`, `score` and `step` (a sandboxed step's plumbing).
//!
//! Limits: an explicit option first, then the package's own, then 1 s, 256 MiB, and 64 MiB of
//! output; options are checked, and every step's sandbox limits derived, in [`crate::limits`].

mod cache;
mod check;
mod compile;
mod error;
pub mod inputs;
mod interact;
mod problem;
pub mod relay;
mod report;
mod schedule;
mod score;
mod source;
mod step;
mod test_run;

/// Kept here too, where they were first: the limits a submission runs under and their defaults.
pub use crate::limits::{
    TestLimits, DEFAULT_MEMORY_LIMIT, DEFAULT_OUTPUT_LIMIT, DEFAULT_TIME_LIMIT,
};
pub use cache::{Cache, CacheError, COMPILED_ENTRY_LIMIT, COMPILED_LIMIT};
pub use compile::{CompileReport, MESSAGE_CAP};
pub use error::JudgeError;
pub use interact::TRANSCRIPT_CAP;
pub use problem::Problem;
pub use relay::{Chunk, Side, Transcript};
pub use report::{Event, Options, Report, TestReport};
pub use score::GroupReport;

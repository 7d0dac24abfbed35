//! Interactive problems: the submission and the package's interactor run side by side, each in
//! its own sandbox with its own limits and cgroup, pinned to the worker's CPU, each talking to
//! the other through the engine's [`relay`](super::relay).
//!
//! - The submission runs as any test does (in the worker's reused environment), its stdin and
//!   stdout being pipes to the engine.
//! - The interactor runs in a fresh sandbox on another thread, as a Kattis output validator
//!   (`interactor input answer feedback_dir [flags]`, 42 AC, 43 WA) or a testlib interactor
//!   (`interactor input output answer`, its output file in the feedback directory).
//! - One wall limit covers the pair: the submission's is the pair's, the interactor's a little
//!   longer, so that when a silent pair runs out, the submission is the one stopped, and a side
//!   that never flushes, exits early, closes its pipe or floods the other cannot hang the judge.
//!
//! The verdict follows problemtools: an interactor that crashed or broke its limits is the
//! problem's fault (IE); an interactor that said WA and ended first wins even over the
//! submission's own TLE or RE (its early end may have caused them); else the submission's TLE,
//! MLE, OLE or RE stands; else the interactor's word.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::unistd::pipe2;

use super::check::{self, Checked, Judged, Meets, Points};
use super::compile::BuiltValidator;
use super::relay::{Relay, Relayed, Transcript};
use super::step::{self, Step};
use super::JudgeError;
use crate::pool::Worker;
use crate::sandbox::{ExitStatus, Limits, RunResult, Stdio};
use crate::testset::TestCase;
use crate::verdict::{Outcome, Verdict};

/// How long past the pair's limits the relay waits for stray pipe ends to close.
const RELAY_GRACE: Duration = Duration::from_secs(5);
/// A transcript records at most this much of what crossed, per test.
pub const TRANSCRIPT_CAP: usize = 256 << 10;

/// How the pair ended.
#[derive(Debug)]
pub(crate) struct Pair {
    pub submission: RunResult,
    pub interactor: Checked,
    /// The interactor ended before the submission.
    pub interactor_first: bool,
    pub transcript: Option<Transcript>,
}

/// What one interactive test needs.
pub(crate) struct Sides<'a> {
    /// The submission's step (mounts, limits, argv); its wall limit is the pair's.
    pub submission: Step,
    pub submission_stderr: Stdio,
    pub interactor: &'a BuiltValidator,
    /// The interactor's own limits; its wall limit is set from the pair's.
    pub interactor_limits: &'a Limits,
    /// On a scored problem: the scores the interactor may give.
    pub points: Option<&'a Points>,
    pub test: &'a TestCase,
    /// The input the interactor reads: the test's, or a later pass's.
    pub input: &'a Path,
    /// The feedback directory kept across the passes of a multi-pass test; else a fresh one.
    pub feedback: Option<&'a Path>,
    pub scratch: &'a Path,
    pub index: usize,
    pub record: bool,
}

/// Run one test with the submission and the interactor connected.
pub(crate) fn run(worker: &mut Worker, sides: Sides<'_>) -> Result<Pair, JudgeError> {
    let pipe = || {
        pipe2(OFlag::O_CLOEXEC)
            .map_err(|e| JudgeError::io("create a pipe for", sides.scratch, e.into()))
    };
    let (sub_in_r, sub_in_w) = pipe()?;
    let (sub_out_r, sub_out_w) = pipe()?;
    let (int_in_r, int_in_w) = pipe()?;
    let (int_out_r, int_out_w) = pipe()?;

    let pair_wall = sides.submission.limits.wall_time;
    let limits = crate::limits::interactor(sides.interactor_limits, pair_wall);
    let fresh;
    let feedback = match sides.feedback {
        Some(kept) => kept,
        None => {
            fresh = step::sandbox_dir(
                worker.sandbox(),
                "feedback",
                Some(check::feedback_cap(&limits)),
            )?;
            fresh.path()
        }
    };
    let interactor_step = check::validator_step(
        sides.interactor,
        &limits,
        sides.test,
        sides.input,
        feedback,
        Meets::Interactor,
    )?;
    let err_path = step::scratch_file(sides.scratch, sides.index, "interactor.err");
    let mut interactor =
        interactor_step.command(Stdio::from(int_in_r), int_out_w, step::capture(&err_path)?);
    worker.pin(&mut interactor);
    let (layout, submission) =
        sides
            .submission
            .split(Stdio::from(sub_in_r), sub_out_w, sides.submission_stderr);

    let relay = Relay::new(
        sub_out_r,
        sub_in_w,
        int_out_r,
        int_in_w,
        Instant::now() + limits.wall_time + RELAY_GRACE,
        sides.record.then_some(TRANSCRIPT_CAP),
    )
    .map_err(|e| JudgeError::io("set up the relay for", sides.scratch, e))?;
    let sandbox = worker.shared_sandbox();
    let (submission, interactor, relayed) = std::thread::scope(|s| {
        let interactor = s.spawn(move || sandbox.run(interactor));
        let relay = s.spawn(move || relay.run());
        let submission = worker.run(layout, submission);
        (submission, join(interactor), join(relay))
    });
    let submission = submission?;
    let interactor = interactor?;
    let relayed: Relayed = relayed.map_err(|e| JudgeError::io("relay for", sides.scratch, e))?;
    if relayed.timed_out {
        return Err(JudgeError::RelayStuck(limits.wall_time + RELAY_GRACE));
    }
    let interactor_first = end(relayed.interactor_closed, interactor.ended)
        < end(relayed.submission_closed, submission.ended);
    let mut checked = check::judgement(
        &Judged {
            validator: sides.interactor,
            role: "interactor",
            result: &interactor,
            feedback,
            stderr: &err_path,
        },
        sides.points,
        sides.index,
    );
    // The interactor wrote to a submission that had stopped reading (it ended, or closed its
    // stdin): the submission's doing, not a broken interactor.
    if interactor.status == ExitStatus::Signaled(libc::SIGPIPE)
        && interactor.killed_by.is_none()
        && !interactor_first
    {
        checked = Checked {
            verdict: Verdict::WA,
            message: "the submission stopped reading while the interactor still wrote to it"
                .to_owned(),
            diff: None,
            score: None,
        };
    }
    let _ = fs::remove_file(&err_path);
    Ok(Pair {
        submission,
        interactor: checked,
        interactor_first,
        transcript: relayed.transcript,
    })
}

/// When a side ended: when its output closed, if that was its exit (the relay saw it, in exact
/// order with the other side), else when its run was reported over (it closed its output early
/// and ran on).
fn end(output_closed: Option<Instant>, reported: Instant) -> Instant {
    match output_closed {
        Some(closed) if reported.saturating_duration_since(closed) < CLOSED_AT_EXIT => closed,
        _ => reported,
    }
}

/// An output closed this close to the reported end of its run was closed by the exit. The gap
/// is the report's latency: the init's wait and its message, on a possibly busy machine.
const CLOSED_AT_EXIT: Duration = Duration::from_millis(100);

/// A scoped thread's result; its panic goes on in this thread.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The test's verdict from the submission's outcome and the interactor's word, with the
/// message that explains it.
pub(crate) fn decide(
    submission: Outcome,
    submission_message: String,
    interactor: Checked,
    interactor_first: bool,
) -> Checked {
    let own = Verdict::of_outcome(submission);
    match (interactor.verdict, own) {
        (Verdict::IE, _) => interactor,
        (Verdict::WA, Some(_)) if interactor_first => interactor,
        (_, Some(verdict)) => Checked {
            verdict,
            message: submission_message,
            diff: None,
            score: None,
        },
        (_, None) => interactor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::RuntimeError;

    fn said(verdict: Verdict) -> Checked {
        Checked {
            verdict,
            message: format!("interactor says {verdict:?}"),
            diff: None,
            score: None,
        }
    }

    fn decided(sub: Outcome, interactor: Verdict, first: bool) -> Verdict {
        decide(sub, "submission".into(), said(interactor), first).verdict
    }

    #[test]
    fn an_interactor_that_said_wa_first_wins_over_the_submissions_failure() {
        let re = Outcome::RuntimeError(RuntimeError::Signal(13));
        assert_eq!(decided(re, Verdict::WA, true), Verdict::WA);
        assert_eq!(decided(Outcome::TimeLimit, Verdict::WA, true), Verdict::WA);
        // The submission failed first: its failure stands.
        assert_eq!(decided(re, Verdict::WA, false), Verdict::RE);
        assert_eq!(
            decided(Outcome::TimeLimit, Verdict::WA, false),
            Verdict::TLE
        );
    }

    #[test]
    fn the_submissions_failure_stands_over_an_accepting_interactor() {
        let re = Outcome::RuntimeError(RuntimeError::ExitCode(1));
        assert_eq!(decided(re, Verdict::AC, true), Verdict::RE);
        assert_eq!(
            decided(Outcome::MemoryLimit, Verdict::AC, false),
            Verdict::MLE
        );
        let checked = decide(
            Outcome::TimeLimit,
            "too slow".into(),
            said(Verdict::AC),
            false,
        );
        assert_eq!(checked.message, "too slow");
    }

    #[test]
    fn a_broken_interactor_is_the_problems_fault_whatever_the_submission_did() {
        assert_eq!(decided(Outcome::Normal, Verdict::IE, false), Verdict::IE);
        assert_eq!(decided(Outcome::TimeLimit, Verdict::IE, false), Verdict::IE);
    }

    #[test]
    fn a_clean_run_takes_the_interactors_word() {
        assert_eq!(decided(Outcome::Normal, Verdict::AC, false), Verdict::AC);
        assert_eq!(decided(Outcome::Normal, Verdict::WA, false), Verdict::WA);
        assert_eq!(decided(Outcome::Normal, Verdict::WA, true), Verdict::WA);
    }
}

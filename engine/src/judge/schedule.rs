//! The tests of one submission on the pool: queued at once, collected in test order, each
//! skipped when it can no longer count (after the first failure, or on a scored problem when
//! its group is lost), unless every test is asked for.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{score, Event, Problem, TestLimits, TestReport};
use crate::pool::{Pool, Worker};
use crate::profile::{Profile, Vars};
use crate::verdict::Verdict;

/// Everything the tests of one submission share, owned so that pool jobs can hold it.
pub(super) struct TestRun {
    pub(super) profile: Profile,
    pub(super) vars: Vars,
    pub(super) problem: Arc<Problem>,
    pub(super) limits: TestLimits,
    pub(super) cgroups: bool,
    pub(super) work: crate::hostdir::SandboxDir,
    /// The host directory of the profile's prepared file for runs (a class-data archive),
    /// mounted read-only in each run, which gets the file's flags.
    pub(super) prepared: Option<std::path::PathBuf>,
    pub(super) stage_key: u64,
    pub(super) scratch: crate::hostdir::ScratchDir,
    pub(super) run_all: bool,
    pub(super) wall_limit: Option<Duration>,
    pub(super) transcript: bool,
    /// The index of the first failing test so far: later tests are skipped unless `run_all`.
    pub(super) first_failure: AtomicUsize,
    /// Which tests failed so far: on a scored problem, the tests that can no longer count are
    /// skipped unless `run_all`.
    pub(super) failed: Vec<AtomicBool>,
    /// Set when judging is cancelled: no further test starts.
    pub(super) cancel: Option<Arc<AtomicBool>>,
    /// The submission's network (its options' over its profile's).
    pub(super) network: crate::sandbox::Network,
}

impl TestRun {
    /// Queue every test on the pool; collect the reports in test order with their indices, up to
    /// the first failure unless `run_all` or the problem is scored.
    pub(super) fn all(
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
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
        {
            return true;
        }
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
}

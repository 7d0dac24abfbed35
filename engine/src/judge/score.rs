//! Scores of a scored problem: which tests no longer count while a submission runs, and how the
//! tests' results add up, group by group, to its verdict and score.
//!
//! Pure functions over the package's [`Scoring`] tree (see `testset::scoring` for where the
//! rules come from):
//! 1. before a test runs, [`skippable`] says whether it can no longer count: a group that
//!    stops at its first rejection (`on_reject: break`) has already seen one before it;
//! 2. when all tests are in, [`finish`] walks the tree in test order:
//!    - a test scores its validator's score when accepted (`score.txt`, testlib points) or else
//!      its group's `accept_score`, and its group's `reject_score` when rejected; a score outside
//!      `0..=test_max` is the validator's fault (IE);
//!    - a group judges its members in order, stopping after a rejection if it breaks; its verdict
//!      is the worst or first rejection (or accepted if any member is, with
//!      `accept_if_any_accepted`), an IE among its members always wins; its score is the sum,
//!      minimum, maximum or average of its members' scores, or all-or-nothing (`pass-fail`); a
//!      member group named `sample` is left out with `ignore_sample`;
//!    - the submission gets the verdict of `data` and its score when accepted, 0 otherwise.

use crate::testset::{Aggregation, OnReject, ScoreGroup, ScoreItem, Scoring, VerdictRule};
use crate::verdict::Verdict;

use super::TestReport;

/// Scores closer than this are equal (they come from text files and sums of fractions).
const EPSILON: f64 = 1e-9;

/// One test group's result.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupReport {
    /// The path under `data/` (`secret/group1`).
    pub name: String,
    /// The verdict by the group's rule; `None` when the group was not judged (a group before it
    /// was rejected and their parent stops at a rejection, or the submission did not compile).
    pub verdict: Option<Verdict>,
    /// The points the group earned. A group that does not count (the samples) has 0.
    pub score: f64,
    /// The most it could earn; `None` when unknown (validator scores with no `range`) or
    /// unbounded.
    pub max_score: Option<f64>,
    /// The tests that counted for the group, its subgroups' included, in test order.
    pub tests: Vec<String>,
    /// Why the group is IE when its score broke its `range`; empty otherwise.
    pub message: String,
}

/// A submission's result from its tests' reports.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outcome {
    pub verdict: Verdict,
    /// `None` for a pass-fail problem.
    pub score: Option<f64>,
    /// Every group but `data`, parents before their subgroups.
    pub groups: Vec<GroupReport>,
    /// The tests that ran and counted, in test order, each with its score; with `keep_all`, the
    /// tests that ran and did not count as well (with no score).
    pub tests: Vec<TestReport>,
}

/// Whether test `index` can no longer count, given that the tests for which `failed` holds were
/// rejected. Knowing more failures only makes more tests skippable, so a test skipped on what is
/// known so far would not have counted whatever the others do.
pub(crate) fn skippable(scoring: &Scoring, index: usize, failed: &dyn Fn(usize) -> bool) -> bool {
    fn walk(g: &ScoreGroup, index: usize, failed: &dyn Fn(usize) -> bool) -> Option<bool> {
        for (k, item) in g.items.iter().enumerate() {
            if !contains(item, index) {
                continue;
            }
            if g.rule.on_reject == OnReject::Break
                && g.items[..k].iter().any(|c| certainly_rejected(c, failed))
            {
                return Some(true);
            }
            return match item {
                ScoreItem::Test(_) => Some(false),
                ScoreItem::Group(sub) => walk(sub, index, failed),
            };
        }
        None
    }
    walk(&scoring.root, index, failed).unwrap_or(false)
}

fn contains(item: &ScoreItem, index: usize) -> bool {
    match item {
        ScoreItem::Test(i) => *i == index,
        ScoreItem::Group(g) => g.items.iter().any(|c| contains(c, index)),
    }
}

/// Whether a member is rejected whatever the results not known yet.
fn certainly_rejected(item: &ScoreItem, failed: &dyn Fn(usize) -> bool) -> bool {
    match item {
        ScoreItem::Test(i) => failed(*i),
        ScoreItem::Group(g) => {
            g.rule.verdict != VerdictRule::AlwaysAccept
                && !g.rule.accept_if_any_accepted
                && g.items
                    .iter()
                    .filter(|c| !ignored(g, c))
                    .any(|c| certainly_rejected(c, failed))
        }
    }
}

/// Whether `g` leaves its member `item` out (`ignore_sample`).
fn ignored(g: &ScoreGroup, item: &ScoreItem) -> bool {
    g.rule.ignore_sample && matches!(item, ScoreItem::Group(s) if s.name == "sample")
}

/// Each test's base for a validator's `score_multiplier.txt`: the most it may score, or its
/// accept score; `None` for tests that carry no score.
pub(crate) fn multiplier_bases(scoring: &Scoring, tests: usize) -> Vec<Option<f64>> {
    fn walk(g: &ScoreGroup, out: &mut [Option<f64>]) {
        for item in &g.items {
            match item {
                ScoreItem::Test(i) => {
                    if let Some(slot) = out.get_mut(*i) {
                        *slot = match g.rule.aggregation {
                            Aggregation::PassFail => None,
                            _ => g.rule.test_max.or(g.rule.accept_score),
                        };
                    }
                }
                ScoreItem::Group(sub) => walk(sub, out),
            }
        }
    }
    let mut out = vec![None; tests];
    walk(&scoring.root, &mut out);
    out
}

/// The groups of a submission that was never run (a compile error): none judged.
pub(crate) fn unjudged(scoring: &Scoring) -> Vec<GroupReport> {
    let mut out = Vec::new();
    for item in &scoring.root.items {
        if let ScoreItem::Group(g) = item {
            unjudged_group(g, &mut out);
        }
    }
    out
}

impl GroupReport {
    /// The report of group `g` before (or without) judging it.
    fn unjudged(g: &ScoreGroup) -> GroupReport {
        GroupReport {
            name: g.name.clone(),
            verdict: None,
            score: 0.0,
            max_score: g.rule.max_score,
            tests: Vec::new(),
            message: String::new(),
        }
    }
}

fn unjudged_group(g: &ScoreGroup, out: &mut Vec<GroupReport>) {
    out.push(GroupReport::unjudged(g));
    for item in &g.items {
        if let ScoreItem::Group(sub) = item {
            unjudged_group(sub, out);
        }
    }
}

/// The outcome of the tests that ran (`(index, report)`, in test order): on a scored problem as
/// [`finish`] says, else the verdict of the first failing test (ICPC style).
pub(crate) fn conclude(
    scoring: Option<&Scoring>,
    ran: Vec<(usize, TestReport)>,
    tests: usize,
    keep_all: bool,
) -> Outcome {
    if let Some(scoring) = scoring {
        return finish(scoring, ran, tests, keep_all);
    }
    let tests: Vec<TestReport> = ran.into_iter().map(|(_, t)| t).collect();
    Outcome {
        verdict: tests
            .iter()
            .map(|t| t.verdict)
            .find(|v| *v != Verdict::AC)
            .unwrap_or(Verdict::AC),
        score: None,
        groups: Vec::new(),
        tests,
    }
}

/// Aggregate the reports of the tests that ran (`(index, report)`, the report's `score` holding
/// what the validator said) into the submission's outcome. Each counted test's `score` becomes
/// the points it counted for.
pub(crate) fn finish(
    scoring: &Scoring,
    reports: Vec<(usize, TestReport)>,
    tests: usize,
    keep_all: bool,
) -> Outcome {
    let mut slots: Vec<Option<TestReport>> = vec![None; tests];
    for (index, report) in reports {
        if let Some(slot) = slots.get_mut(index) {
            *slot = Some(report);
        }
    }
    let mut walk = Walk {
        tests: slots,
        counted: vec![false; tests],
        groups: Vec::new(),
    };
    let root = walk.group(&scoring.root, false);
    // `data` is the submission itself, not one of its groups.
    walk.groups.remove(0);
    let tests = walk
        .tests
        .into_iter()
        .zip(walk.counted)
        .filter_map(|(t, counted)| {
            let mut t = t?;
            if !counted {
                t.score = None;
            }
            (counted || keep_all).then_some(t)
        })
        .collect();
    Outcome {
        verdict: root.verdict,
        score: Some(if root.verdict == Verdict::AC {
            root.score
        } else {
            0.0
        }),
        groups: walk.groups,
        tests,
    }
}

/// A member's result: a test's or a group's.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Member {
    verdict: Verdict,
    score: f64,
}

struct Walk {
    tests: Vec<Option<TestReport>>,
    counted: Vec<bool>,
    groups: Vec<GroupReport>,
}

impl Walk {
    /// Judge group `g`; `left_out` when an ancestor ignores it (its report then shows 0 of 0,
    /// its tests no score).
    fn group(&mut self, g: &ScoreGroup, left_out: bool) -> Member {
        let slot = self.groups.len();
        self.groups.push(GroupReport::unjudged(g));
        let mut members = Vec::new();
        let mut names = Vec::new();
        let mut stopped = false;
        for item in &g.items {
            if stopped {
                if let ScoreItem::Group(sub) = item {
                    unjudged_group(sub, &mut self.groups);
                }
                continue;
            }
            let result = match item {
                ScoreItem::Test(i) => {
                    let result = self.test(g, *i);
                    if let Some(t) = &mut self.tests[*i] {
                        names.push(t.name.clone());
                        if left_out {
                            t.score = None;
                        }
                    }
                    result
                }
                ScoreItem::Group(sub) => {
                    let first = self.groups.len();
                    let result = self.group(sub, left_out || ignored(g, item));
                    names.extend(self.groups[first].tests.iter().cloned());
                    result
                }
            };
            if !ignored(g, item) {
                members.push(result);
            }
            stopped = result.verdict != Verdict::AC && g.rule.on_reject == OnReject::Break;
        }
        let mut result = combine(g, &members);
        let report = &mut self.groups[slot];
        let (low, high) = g.rule.range;
        if result.verdict != Verdict::IE
            && (result.score < low - EPSILON || result.score > high + EPSILON)
        {
            report.message = format!(
                "the group's score {} is outside its range {low} {high}",
                result.score
            );
            result.verdict = Verdict::IE;
        }
        report.verdict = Some(result.verdict);
        report.tests = names;
        if left_out {
            report.score = 0.0;
            report.max_score = Some(0.0);
        } else {
            report.score = result.score;
        }
        result
    }

    /// Judge test `index`, a member of `g`.
    fn test(&mut self, g: &ScoreGroup, index: usize) -> Member {
        let rule = &g.rule;
        let Some(t) = self.tests.get_mut(index).and_then(Option::as_mut) else {
            // Only a test that could no longer count is skipped; reaching one is the judge's
            // own inconsistency.
            return Member {
                verdict: Verdict::IE,
                score: 0.0,
            };
        };
        self.counted[index] = true;
        let said = t.score.take();
        if rule.aggregation == Aggregation::PassFail {
            return Member {
                verdict: t.verdict,
                score: 0.0,
            };
        }
        let score = if t.verdict != Verdict::AC {
            rule.reject_score
        } else {
            match (said.or(rule.accept_score), rule.test_max) {
                (None, _) => {
                    t.verdict = Verdict::IE;
                    t.message = "the output validator gave no score (score.txt) for a test of \
                                 an unbounded group"
                        .to_owned();
                    0.0
                }
                (Some(s), Some(max)) if s < -EPSILON || s > max + EPSILON => {
                    t.verdict = Verdict::IE;
                    t.message = format!(
                        "the output validator's score {s} is outside 0..{max}, the range of this \
                         test"
                    );
                    0.0
                }
                (Some(s), _) => s,
            }
        };
        t.score = Some(score);
        Member {
            verdict: t.verdict,
            score,
        }
    }
}

/// The default grader on a group's members' results.
fn combine(g: &ScoreGroup, members: &[Member]) -> Member {
    if members.is_empty() {
        return Member {
            verdict: Verdict::AC,
            score: 0.0,
        };
    }
    let rejected = || {
        members
            .iter()
            .map(|m| m.verdict)
            .filter(|v| *v != Verdict::AC)
    };
    let verdict = if members.iter().any(|m| m.verdict == Verdict::IE) {
        Verdict::IE
    } else if g.rule.accept_if_any_accepted && members.iter().any(|m| m.verdict == Verdict::AC) {
        Verdict::AC
    } else {
        match g.rule.verdict {
            VerdictRule::WorstError => rejected().min_by_key(|v| severity(*v)),
            VerdictRule::FirstError => rejected().next(),
            VerdictRule::AlwaysAccept => None,
        }
        .unwrap_or(Verdict::AC)
    };
    let scores = members.iter().map(|m| m.score);
    let score = match g.rule.aggregation {
        Aggregation::Sum => scores.sum(),
        Aggregation::Min => scores.fold(f64::INFINITY, f64::min),
        Aggregation::Max => scores.fold(f64::NEG_INFINITY, f64::max),
        Aggregation::Avg => scores.sum::<f64>() / members.len() as f64,
        Aggregation::PassFail => {
            if members.iter().all(|m| m.verdict == Verdict::AC) {
                g.rule.max_score.unwrap_or(0.0)
            } else {
                0.0
            }
        }
    };
    Member { verdict, score }
}

/// The order `worst_error` picks rejections in: the worst first.
fn severity(v: Verdict) -> u8 {
    match v {
        Verdict::IE => 0,
        Verdict::CE => 1,
        Verdict::RE => 2,
        Verdict::MLE => 3,
        Verdict::TLE => 4,
        Verdict::OLE => 5,
        Verdict::WA => 6,
        Verdict::AC => 7,
    }
}

#[cfg(test)]
mod tests;

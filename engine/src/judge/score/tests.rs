//! Aggregation on hand-built trees: min and sum, the all-pass rule, `on_reject`, verdict modes,
//! validator scores, and which tests may be skipped.

use std::time::Duration;

use super::*;
use crate::testset::{GroupRule, ScoreGroup, ScoreItem, Scoring};

/// An IOI subtask: `points` when every test passes, stops at the first rejection.
fn subtask(points: f64) -> GroupRule {
    GroupRule {
        aggregation: Aggregation::Min,
        verdict: VerdictRule::FirstError,
        accept_if_any_accepted: false,
        ignore_sample: false,
        on_reject: OnReject::Break,
        accept_score: Some(points),
        reject_score: 0.0,
        test_max: Some(points),
        range: (0.0, points),
        max_score: Some(points),
    }
}

/// `secret` over subtasks: their sum, accepted when any is.
fn secret_rule(max: f64) -> GroupRule {
    GroupRule {
        aggregation: Aggregation::Sum,
        accept_if_any_accepted: true,
        on_reject: OnReject::Continue,
        accept_score: None,
        test_max: None,
        range: (0.0, max),
        max_score: Some(max),
        ..subtask(max)
    }
}

fn data_rule(max: f64) -> GroupRule {
    GroupRule {
        verdict: VerdictRule::WorstError,
        accept_if_any_accepted: false,
        ignore_sample: true,
        range: (0.0, f64::INFINITY),
        ..secret_rule(max)
    }
}

fn tests(indices: std::ops::Range<usize>) -> Vec<ScoreItem> {
    indices.map(ScoreItem::Test).collect()
}

fn group(name: &str, rule: GroupRule, items: Vec<ScoreItem>) -> ScoreItem {
    ScoreItem::Group(ScoreGroup {
        name: name.to_owned(),
        rule,
        items,
    })
}

/// sample (tests 0, 1; not counted), secret/group1 (tests 2..5, 30 points), secret/group2
/// (tests 5..8, 70 points): oddecho's shape.
fn oddecho() -> Scoring {
    let sample = GroupRule {
        aggregation: Aggregation::PassFail,
        on_reject: OnReject::Continue,
        accept_score: None,
        test_max: None,
        range: (0.0, 0.0),
        max_score: Some(0.0),
        ..subtask(0.0)
    };
    Scoring {
        root: ScoreGroup {
            name: String::new(),
            rule: data_rule(100.0),
            items: vec![
                group("sample", sample, tests(0..2)),
                group(
                    "secret",
                    secret_rule(100.0),
                    vec![
                        group("secret/group1", subtask(30.0), tests(2..5)),
                        group("secret/group2", subtask(70.0), tests(5..8)),
                    ],
                ),
            ],
        },
    }
}

fn report(index: usize, verdict: Verdict, said: Option<f64>) -> (usize, TestReport) {
    (
        index,
        TestReport {
            name: format!("t{index}"),
            verdict,
            time: Duration::ZERO,
            wall_time: Duration::ZERO,
            memory: 0,
            exit_code: Some(0),
            signal: None,
            message: String::new(),
            diff: None,
            score: said,
            transcript: None,
        },
    )
}

/// Every test of `0..count` with the verdict `verdicts` gives it (AC by default).
fn run(scoring: &Scoring, count: usize, verdicts: &[(usize, Verdict)]) -> Outcome {
    let reports = (0..count)
        .map(|i| {
            let v = verdicts
                .iter()
                .find(|(j, _)| *j == i)
                .map_or(Verdict::AC, |(_, v)| *v);
            report(i, v, None)
        })
        .collect();
    finish(scoring, reports, count, false)
}

fn group_of<'a>(outcome: &'a Outcome, name: &str) -> &'a GroupReport {
    outcome
        .groups
        .iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("no group {name}: {:?}", outcome.groups))
}

#[test]
fn all_accepted_earns_every_point() {
    let o = run(&oddecho(), 8, &[]);
    assert_eq!(o.verdict, Verdict::AC);
    assert_eq!(o.score, Some(100.0));
    assert_eq!(group_of(&o, "secret/group1").score, 30.0);
    assert_eq!(group_of(&o, "secret/group2").score, 70.0);
    assert_eq!(group_of(&o, "secret").max_score, Some(100.0));
    let names: Vec<&str> = o.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        ["sample", "secret", "secret/group1", "secret/group2"],
        "parents before subgroups, no data"
    );
    assert_eq!(o.tests.len(), 8);
    assert_eq!(
        o.tests[2].score,
        Some(30.0),
        "a counted test shows its points"
    );
    assert_eq!(o.tests[0].score, None, "samples carry no score");
}

#[test]
fn a_group_scores_only_if_all_its_tests_pass() {
    let o = run(&oddecho(), 8, &[(7, Verdict::WA)]);
    assert_eq!(o.verdict, Verdict::AC, "secret accepts when any group does");
    assert_eq!(o.score, Some(30.0));
    let g2 = group_of(&o, "secret/group2");
    assert_eq!((g2.verdict, g2.score), (Some(Verdict::WA), 0.0));
    assert_eq!(g2.max_score, Some(70.0));
}

#[test]
fn failing_every_group_is_rejected_with_no_score() {
    let o = run(&oddecho(), 8, &[(2, Verdict::TLE), (5, Verdict::WA)]);
    assert_eq!(o.verdict, Verdict::TLE, "the first error");
    assert_eq!(o.score, Some(0.0));
    assert_eq!(group_of(&o, "secret").verdict, Some(Verdict::TLE));
}

#[test]
fn a_failing_sample_costs_nothing() {
    let o = run(&oddecho(), 8, &[(0, Verdict::WA)]);
    assert_eq!((o.verdict, o.score), (Verdict::AC, Some(100.0)));
    let sample = group_of(&o, "sample");
    assert_eq!(sample.verdict, Some(Verdict::WA));
    assert_eq!((sample.score, sample.max_score), (0.0, Some(0.0)));
}

#[test]
fn an_ignored_sample_shows_no_points_whatever_its_rule() {
    let mut scoring = oddecho();
    let ScoreItem::Group(sample) = &mut scoring.root.items[0] else {
        unreachable!()
    };
    // The legacy default: each accepted sample test scores 1, summed.
    sample.rule = GroupRule {
        aggregation: Aggregation::Sum,
        accept_score: Some(1.0),
        max_score: Some(2.0),
        range: (f64::NEG_INFINITY, f64::INFINITY),
        ..sample.rule
    };
    let o = run(&scoring, 8, &[]);
    let sample = group_of(&o, "sample");
    assert_eq!((sample.score, sample.max_score), (0.0, Some(0.0)));
    assert_eq!(o.tests[0].score, None);
    assert_eq!(o.score, Some(100.0));
}

#[test]
fn break_stops_counting_at_the_first_rejection() {
    let o = run(&oddecho(), 8, &[(5, Verdict::RE)]);
    let g2 = group_of(&o, "secret/group2");
    assert_eq!(g2.tests, ["t5"], "tests after the rejection do not count");
    let names: Vec<&str> = o.tests.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["t0", "t1", "t2", "t3", "t4", "t5"]);
    let all = finish(
        &oddecho(),
        (0..8)
            .map(|i| report(i, if i == 5 { Verdict::RE } else { Verdict::AC }, None))
            .collect(),
        8,
        true,
    );
    assert_eq!(all.tests.len(), 8, "keep_all keeps the uncounted tests");
    assert_eq!(all.tests[6].score, None);
    assert_eq!(all.score, o.score);
}

#[test]
fn continue_judges_every_member() {
    let mut scoring = oddecho();
    let ScoreItem::Group(secret) = &mut scoring.root.items[1] else {
        unreachable!()
    };
    let ScoreItem::Group(g2) = &mut secret.items[1] else {
        unreachable!()
    };
    g2.rule.on_reject = OnReject::Continue;
    let o = run(&scoring, 8, &[(5, Verdict::WA)]);
    assert_eq!(group_of(&o, "secret/group2").tests, ["t5", "t6", "t7"]);
    assert_eq!(group_of(&o, "secret/group2").score, 0.0, "min of 0, 70, 70");
}

fn flat_sum(on_reject: OnReject, verdict: VerdictRule) -> Scoring {
    let rule = GroupRule {
        aggregation: Aggregation::Sum,
        verdict,
        accept_if_any_accepted: false,
        ignore_sample: false,
        on_reject,
        accept_score: Some(10.0),
        reject_score: 1.0,
        test_max: None,
        range: (f64::NEG_INFINITY, f64::INFINITY),
        max_score: None,
    };
    Scoring {
        root: ScoreGroup {
            name: String::new(),
            rule,
            items: vec![group("secret", rule, tests(0..4))],
        },
    }
}

#[test]
fn sum_adds_accept_and_reject_scores() {
    let scoring = flat_sum(OnReject::Continue, VerdictRule::WorstError);
    let o = run(&scoring, 4, &[(1, Verdict::WA), (3, Verdict::TLE)]);
    assert_eq!(group_of(&o, "secret").score, 10.0 + 1.0 + 10.0 + 1.0);
    assert_eq!(o.verdict, Verdict::TLE, "worst_error: TLE is worse than WA");
    assert_eq!(o.score, Some(0.0), "a rejected submission scores nothing");
    let first = flat_sum(OnReject::Continue, VerdictRule::FirstError);
    assert_eq!(
        run(&first, 4, &[(1, Verdict::WA), (3, Verdict::TLE)]).verdict,
        Verdict::WA
    );
    let always = flat_sum(OnReject::Continue, VerdictRule::AlwaysAccept);
    let o = run(&always, 4, &[(1, Verdict::WA)]);
    assert_eq!((o.verdict, o.score), (Verdict::AC, Some(31.0)));
}

#[test]
fn an_internal_error_wins_over_any_acceptance() {
    let o = run(&oddecho(), 8, &[(6, Verdict::IE)]);
    assert_eq!(o.verdict, Verdict::IE);
    assert_eq!(o.score, Some(0.0));
}

#[test]
fn validator_scores_replace_accept_scores() {
    let scoring = oddecho();
    let mut reports: Vec<_> = (0..8).map(|i| report(i, Verdict::AC, None)).collect();
    reports[3] = report(3, Verdict::AC, Some(12.0));
    reports[6] = report(6, Verdict::WA, Some(50.0));
    let o = finish(&scoring, reports, 8, false);
    assert_eq!(
        group_of(&o, "secret/group1").score,
        12.0,
        "min of 30, 12, 30"
    );
    assert_eq!(o.tests[3].score, Some(12.0));
    assert_eq!(
        group_of(&o, "secret/group2").score,
        0.0,
        "a rejected test's own score is ignored"
    );
    assert_eq!(o.score, Some(12.0));
}

#[test]
fn a_validator_score_above_the_tests_maximum_is_ie() {
    let mut reports: Vec<_> = (0..8).map(|i| report(i, Verdict::AC, None)).collect();
    reports[2] = report(2, Verdict::AC, Some(31.0));
    let o = finish(&oddecho(), reports, 8, false);
    assert_eq!(o.tests[2].verdict, Verdict::IE);
    assert!(
        o.tests[2].message.contains("outside 0..30"),
        "{}",
        o.tests[2].message
    );
    assert_eq!(o.verdict, Verdict::IE);
}

#[test]
fn an_unbounded_group_needs_a_validator_score() {
    let mut scoring = flat_sum(OnReject::Continue, VerdictRule::WorstError);
    let ScoreItem::Group(secret) = &mut scoring.root.items[0] else {
        unreachable!()
    };
    secret.rule.accept_score = None;
    let mut reports: Vec<_> = (0..4).map(|i| report(i, Verdict::AC, Some(2.5))).collect();
    reports[1].1.score = None;
    let o = finish(&scoring, reports, 4, false);
    assert_eq!(o.tests[1].verdict, Verdict::IE);
    assert!(o.tests[1].message.contains("no score"));
    assert_eq!(o.tests[0].score, Some(2.5));
}

#[test]
fn a_score_outside_the_groups_range_is_ie() {
    let mut scoring = flat_sum(OnReject::Continue, VerdictRule::WorstError);
    let ScoreItem::Group(secret) = &mut scoring.root.items[0] else {
        unreachable!()
    };
    secret.rule.range = (0.0, 25.0);
    let o = run(&scoring, 4, &[]);
    let g = group_of(&o, "secret");
    assert_eq!(g.verdict, Some(Verdict::IE));
    assert!(
        g.message.contains("outside its range 0 25"),
        "{}",
        g.message
    );
}

#[test]
fn max_and_avg_aggregate_as_named() {
    let mut scoring = flat_sum(OnReject::Continue, VerdictRule::AlwaysAccept);
    let ScoreItem::Group(secret) = &mut scoring.root.items[0] else {
        unreachable!()
    };
    secret.rule.aggregation = Aggregation::Max;
    let o = run(&scoring, 4, &[(0, Verdict::WA)]);
    assert_eq!(group_of(&o, "secret").score, 10.0);
    let ScoreItem::Group(secret) = &mut scoring.root.items[0] else {
        unreachable!()
    };
    secret.rule.aggregation = Aggregation::Avg;
    let o = run(&scoring, 4, &[(0, Verdict::WA)]);
    assert_eq!(group_of(&o, "secret").score, (1.0 + 30.0) / 4.0);
}

#[test]
fn a_group_after_a_break_is_reported_unjudged() {
    let mut scoring = oddecho();
    let ScoreItem::Group(secret) = &mut scoring.root.items[1] else {
        unreachable!()
    };
    secret.rule.on_reject = OnReject::Break;
    secret.rule.accept_if_any_accepted = false;
    let o = run(&scoring, 8, &[(2, Verdict::WA)]);
    let g2 = group_of(&o, "secret/group2");
    assert_eq!(g2.verdict, None);
    assert!(g2.tests.is_empty());
    assert_eq!(o.tests.len(), 3, "samples and group1's first test");
}

#[test]
fn skippable_follows_break_groups() {
    let scoring = oddecho();
    let failed = |set: &'static [usize]| move |i: usize| set.contains(&i);
    assert!(!skippable(&scoring, 6, &failed(&[])));
    assert!(
        skippable(&scoring, 6, &failed(&[5])),
        "group2 breaks on test 5"
    );
    assert!(
        !skippable(&scoring, 5, &failed(&[5])),
        "the failing test itself"
    );
    assert!(
        !skippable(&scoring, 6, &failed(&[2])),
        "another group's failure"
    );
    assert!(
        !skippable(&scoring, 1, &failed(&[0])),
        "the samples continue"
    );
    assert!(
        !skippable(&scoring, 5, &failed(&[2, 3])),
        "secret continues, and accepts if any group is accepted"
    );
}

#[test]
fn skippable_sees_through_strict_subgroups_only() {
    let mut scoring = oddecho();
    let ScoreItem::Group(secret) = &mut scoring.root.items[1] else {
        unreachable!()
    };
    secret.rule.on_reject = OnReject::Break;
    let ScoreItem::Group(g1) = &mut secret.items[0] else {
        unreachable!()
    };
    g1.rule.accept_if_any_accepted = true;
    let failed = |i: usize| i == 3;
    assert!(
        !skippable(&scoring, 6, &failed),
        "group1 accepts if any test does: one failure may not reject it, nor stop secret"
    );
    let ScoreItem::Group(secret) = &mut scoring.root.items[1] else {
        unreachable!()
    };
    let ScoreItem::Group(g1) = &mut secret.items[0] else {
        unreachable!()
    };
    g1.rule.accept_if_any_accepted = false;
    assert!(
        skippable(&scoring, 6, &failed),
        "group1 is rejected, secret stops"
    );
    let o = run(&scoring, 8, &[(3, Verdict::WA)]);
    assert_eq!(
        group_of(&o, "secret/group2").verdict,
        None,
        "as the aggregation says"
    );
}

#[test]
fn a_compile_error_leaves_every_group_unjudged() {
    let groups = unjudged(&oddecho());
    assert_eq!(groups.len(), 4);
    assert!(groups.iter().all(|g| g.verdict.is_none() && g.score == 0.0));
    assert_eq!(groups[3].max_score, Some(70.0));
}

#[test]
fn multiplier_bases_are_the_tests_maxima() {
    let bases = multiplier_bases(&oddecho(), 8);
    assert_eq!(bases[0], None, "samples carry no score");
    assert_eq!(bases[2], Some(30.0));
    assert_eq!(bases[7], Some(70.0));
}

#[test]
fn a_pass_fail_problem_takes_the_first_failure() {
    let ran = vec![
        report(0, Verdict::AC, None),
        report(1, Verdict::TLE, None),
        report(2, Verdict::WA, None),
    ];
    let o = conclude(None, ran, 3, true);
    assert_eq!((o.verdict, o.score), (Verdict::TLE, None));
    assert!(o.groups.is_empty());
    assert_eq!(o.tests.len(), 3);
    let o = conclude(
        Some(&oddecho()),
        (0..8).map(|i| report(i, Verdict::AC, None)).collect(),
        8,
        false,
    );
    assert_eq!(o.score, Some(100.0));
}

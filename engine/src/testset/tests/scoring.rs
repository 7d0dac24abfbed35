//! Scoring rules: legacy and 2023-07 `testdata.yaml` keys, `group_scores`, and the errors, each
//! naming its file.

use super::*;

/// The group called `name` in the tree.
fn find<'a>(g: &'a ScoreGroup, name: &str) -> &'a ScoreGroup {
    fn walk<'a>(g: &'a ScoreGroup, name: &str) -> Option<&'a ScoreGroup> {
        if g.name == name {
            return Some(g);
        }
        g.items.iter().find_map(|i| match i {
            ScoreItem::Group(sub) => walk(sub, name),
            ScoreItem::Test(_) => None,
        })
    }
    walk(g, name).unwrap_or_else(|| panic!("no group {name} in {g:#?}"))
}

fn scoring(d: &TempDir) -> Scoring {
    discover(d.path())
        .unwrap()
        .scoring
        .expect("a scored problem")
}

fn err(d: &TempDir) -> TestSetError {
    discover(d.path()).unwrap_err()
}

/// Two subtasks of three tests and two samples, no grading keys yet.
fn subtasks(problem_yaml: &str) -> TempDir {
    let d = tmp();
    put(d.path(), "problem.yaml", problem_yaml);
    let data = d.path().join("data");
    for rel in [
        "sample/1",
        "sample/2",
        "secret/group1/1",
        "secret/group1/2",
        "secret/group1/3",
        "secret/group2/1",
        "secret/group2/2",
        "secret/group2/3",
    ] {
        test_pair(&data, rel, "ans");
    }
    d
}

/// problemtools' oddecho layout, with 30 and 70 points.
fn legacy_oddecho() -> TempDir {
    let d = subtasks("type: scoring\ngrading:\n  show_test_data_groups: true\n");
    put(
        d.path(),
        "data/testdata.yaml",
        "on_reject: continue\nrange: 0 100\ngrader_flags: ignore_sample\n",
    );
    put(
        d.path(),
        "data/secret/testdata.yaml",
        "on_reject: continue\nrange: 0 100\ngrader_flags: first_error accept_if_any_accepted\n",
    );
    for (group, points) in [("group1", 30), ("group2", 70)] {
        put(
            d.path(),
            &format!("data/secret/{group}/testdata.yaml"),
            &format!(
                "on_reject: break\naccept_score: {points}\nrange: 0 {points}\ngrader_flags: min\n"
            ),
        );
    }
    d
}

#[test]
fn pass_fail_packages_have_no_scoring() {
    assert_eq!(discover(package().path()).unwrap().scoring, None);
    let d = subtasks("name: x\n");
    put(
        d.path(),
        "data/secret/testdata.yaml",
        "on_reject: continue\ngrader_flags: min\n",
    );
    assert_eq!(discover(d.path()).unwrap().scoring, None);
}

#[test]
fn legacy_subtasks() {
    let s = scoring(&legacy_oddecho());
    let root = &s.root;
    assert_eq!(root.name, "");
    assert!(root.rule.ignore_sample);
    assert_eq!(root.rule.on_reject, OnReject::Continue);
    assert_eq!(root.rule.max_score, Some(100.0));
    let secret = find(root, "secret");
    assert!(secret.rule.accept_if_any_accepted);
    assert_eq!(secret.rule.verdict, VerdictRule::FirstError);
    assert_eq!(secret.rule.aggregation, Aggregation::Sum);
    let g1 = find(root, "secret/group1");
    assert_eq!(g1.rule.aggregation, Aggregation::Min);
    assert_eq!(
        g1.rule.verdict,
        VerdictRule::WorstError,
        "grader_flags reset the modes"
    );
    assert!(
        !g1.rule.accept_if_any_accepted,
        "flags are not merged with the parent's"
    );
    assert_eq!(g1.rule.on_reject, OnReject::Break);
    assert_eq!(g1.rule.accept_score, Some(30.0));
    assert_eq!(g1.rule.range, (0.0, 30.0));
    assert_eq!(g1.rule.max_score, Some(30.0));
    assert_eq!(g1.items, [2, 3, 4].map(ScoreItem::Test));
    let sample = find(root, "sample");
    assert_eq!(sample.rule.accept_score, Some(1.0), "the legacy default");
    assert_eq!(
        sample.rule.on_reject,
        OnReject::Continue,
        "inherited from data"
    );
}

#[test]
fn legacy_keys_are_inherited_key_by_key() {
    let d = subtasks("type: scoring\n");
    put(
        d.path(),
        "data/testdata.yaml",
        "accept_score: 5\nreject_score: -1\non_reject: continue\n",
    );
    put(
        d.path(),
        "data/secret/group2/testdata.yaml",
        "on_reject: break\n",
    );
    let s = scoring(&d);
    let g1 = find(&s.root, "secret/group1");
    assert_eq!(
        (g1.rule.accept_score, g1.rule.reject_score),
        (Some(5.0), -1.0)
    );
    assert_eq!(g1.rule.on_reject, OnReject::Continue);
    let g2 = find(&s.root, "secret/group2");
    assert_eq!(g2.rule.accept_score, Some(5.0));
    assert_eq!(g2.rule.on_reject, OnReject::Break);
    assert_eq!(
        g2.rule.max_score,
        Some(15.0),
        "no range: three tests of 5, summed"
    );
}

#[test]
fn legacy_defaults_sum_one_point_per_test_and_break() {
    let s = scoring(&subtasks("type: scoring\n"));
    assert_eq!(s.root.rule.aggregation, Aggregation::Sum);
    assert_eq!(s.root.rule.on_reject, OnReject::Break);
    assert_eq!(s.root.rule.max_score, Some(8.0));
}

#[test]
fn legacy_validator_scores_leave_the_maximum_to_range() {
    let d = legacy_oddecho();
    put(
        d.path(),
        "problem.yaml",
        "type: scoring\nvalidation: custom score\n",
    );
    put(d.path(), "output_validators/v.py", "");
    put(
        d.path(),
        "data/secret/group2/testdata.yaml",
        "grader_flags: min\nrange: -inf inf\n",
    );
    let s = scoring(&d);
    assert_eq!(find(&s.root, "secret/group2").rule.max_score, None);
    assert_eq!(
        find(&s.root, "secret").rule.max_score,
        Some(100.0),
        "its range"
    );
}

#[test]
fn legacy_bad_values_name_the_file() {
    for (file, text, needle) in [
        (
            "data/testdata.yaml",
            "on_reject: stop\n",
            "bad on_reject \"stop\"",
        ),
        (
            "data/secret/group1/testdata.yaml",
            "grader_flags: min median\n",
            "bad grader_flags \"median\"",
        ),
        (
            "data/secret/testdata.yaml",
            "range: 10 0\n",
            "bad range \"10 0\"",
        ),
        (
            "data/secret/testdata.yaml",
            "accept_score: lots\n",
            "bad accept_score \"lots\"",
        ),
        (
            "data/secret/testdata.yaml",
            "reject_score: .inf\n",
            "a finite number",
        ),
        (
            "data/secret/testdata.yaml",
            "grading: fancy\n",
            "bad grading \"fancy\"",
        ),
        (
            "data/secret/testdata.yaml",
            "grading: custom\n",
            "grading: custom (a custom grader program) is not supported",
        ),
        (
            "data/secret/testdata.yaml",
            "on_reject: [break]\n",
            "malformed",
        ),
    ] {
        let d = subtasks("type: scoring\n");
        put(d.path(), file, text);
        let e = err(&d).to_string();
        let path = d.path().join(file).display().to_string();
        assert!(e.contains(&path) && e.contains(needle), "{text:?}: {e}");
    }
}

#[test]
fn score_keys_need_a_scoring_problem() {
    for key in [
        "accept_score: 3",
        "range: 0 1",
        "scoring:\n  score: 5",
        "max_score: 5",
    ] {
        let d = subtasks("name: pass-fail\n");
        put(
            d.path(),
            "data/secret/group1/testdata.yaml",
            &format!("{key}\n"),
        );
        match err(&d) {
            TestSetError::ScoringOnly { path, .. } => {
                assert_eq!(path, d.path().join("data/secret/group1/testdata.yaml"))
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    let d = subtasks("grading:\n  objective: max\n");
    assert!(matches!(
        err(&d),
        TestSetError::ScoringOnly { key: "grading", .. }
    ));
    let d = subtasks("group_scores:\n  secret: 100\n");
    assert!(matches!(
        err(&d),
        TestSetError::ScoringOnly {
            key: "group_scores",
            ..
        }
    ));
}

#[test]
fn a_pass_fail_problems_verdict_keys_are_checked() {
    let d = subtasks("name: x\n");
    put(
        d.path(),
        "data/secret/testdata.yaml",
        "grader_flags: bogus\n",
    );
    assert!(matches!(err(&d), TestSetError::BadGrading { .. }));
}

#[test]
fn problem_grading_objective() {
    let d = subtasks("type: scoring\ngrading:\n  objective: min\n");
    assert!(matches!(err(&d), TestSetError::UnsupportedGrading { .. }));
    let d = subtasks("type: scoring\ngrading:\n  objective: most\n");
    let e = err(&d).to_string();
    assert!(
        e.contains("problem.yaml") && e.contains("grading.objective"),
        "{e}"
    );
    let d = subtasks("type: scoring\ngrading:\n  objective: max\n  colour: red\n");
    assert!(matches!(err(&d), TestSetError::Yaml { .. }));
}

const NEW: &str = "problem_format_version: 2023-07-draft\ntype: scoring\nname: X\n";

#[test]
fn new_format_defaults_share_100_points() {
    let s = scoring(&subtasks(NEW));
    let secret = find(&s.root, "secret");
    assert_eq!(secret.rule.max_score, Some(100.0));
    assert_eq!(secret.rule.aggregation, Aggregation::Sum);
    assert!(secret.rule.accept_if_any_accepted);
    let g1 = find(&s.root, "secret/group1");
    assert_eq!(g1.rule.aggregation, Aggregation::PassFail);
    assert_eq!(g1.rule.max_score, Some(50.0));
    assert_eq!(g1.rule.on_reject, OnReject::Break);
    let sample = find(&s.root, "sample");
    assert_eq!(sample.rule.max_score, Some(0.0));
    assert!(s.root.rule.ignore_sample);
    assert_eq!(s.root.rule.max_score, Some(100.0));
}

#[test]
fn new_format_scores_and_inference() {
    let d = subtasks(NEW);
    put(
        d.path(),
        "data/secret/group1/testdata.yaml",
        "scoring:\n  score: 30\n  aggregation: min\n",
    );
    put(
        d.path(),
        "data/secret/group2/testdata.yaml",
        "score_aggregation: sum\n",
    );
    let s = scoring(&d);
    let g1 = find(&s.root, "secret/group1");
    assert_eq!(g1.rule.max_score, Some(30.0));
    assert_eq!(g1.rule.aggregation, Aggregation::Min);
    assert_eq!(
        g1.rule.accept_score,
        Some(30.0),
        "min: each test may reach 30"
    );
    let g2 = find(&s.root, "secret/group2");
    assert_eq!(
        g2.rule.max_score,
        Some(70.0),
        "the leftover of secret's 100"
    );
    assert_eq!(
        g2.rule.on_reject,
        OnReject::Continue,
        "a sum judges every test"
    );
    let share = g2.rule.test_max.unwrap();
    assert!((share - 70.0 / 3.0).abs() < 1e-9, "{share}");

    put(
        d.path(),
        "data/secret/testdata.yaml",
        "max_score: unbounded\n",
    );
    let s = scoring(&d);
    assert_eq!(find(&s.root, "secret").rule.max_score, None);
    assert_eq!(find(&s.root, "secret/group2").rule.accept_score, None);
}

#[test]
fn new_format_errors_name_the_file() {
    let cases = [
        (
            "data/secret/testdata.yaml",
            "scoring:\n  score: 50\n",
            "scoring:\n  score: 60\n",
        ),
        ("data/sample/testdata.yaml", "scoring:\n  score: 5\n", ""),
        ("data/testdata.yaml", "max_score: 5\n", ""),
        (
            "data/secret/group1/testdata.yaml",
            "scoring:\n  aggregation: most\n",
            "",
        ),
        (
            "data/secret/group1/testdata.yaml",
            "scoring:\n  score: -3\n",
            "",
        ),
        (
            "data/secret/group1/testdata.yaml",
            "scoring:\n  require_pass: sample\n",
            "",
        ),
        (
            "data/secret/group1/testdata.yaml",
            "scoring:\n  points: 3\n",
            "",
        ),
        (
            "data/secret/group1/testdata.yaml",
            "scoring:\n  score: 3\nmax_score: 3\n",
            "",
        ),
    ];
    for (file, text, group2) in cases {
        let d = subtasks(NEW);
        put(d.path(), file, text);
        if !group2.is_empty() {
            put(d.path(), "data/secret/group2/testdata.yaml", group2);
        }
        let e = err(&d).to_string();
        let path = d.path().join(file);
        assert!(e.contains(&path.display().to_string()), "{text:?}: {e}");
    }
}

#[test]
fn two_styles_at_once_name_both_files() {
    let d = subtasks(NEW);
    put(
        d.path(),
        "data/secret/group1/testdata.yaml",
        "scoring:\n  score: 30\n",
    );
    put(
        d.path(),
        "data/secret/group2/testdata.yaml",
        "accept_score: 70\n",
    );
    match err(&d) {
        TestSetError::MixedGrading { first, second } => {
            assert_eq!(first, d.path().join("data/secret/group2/testdata.yaml"));
            assert_eq!(second, d.path().join("data/secret/group1/testdata.yaml"));
        }
        other => panic!("{other:?}"),
    }
}

const GROUP_SCORES: &str =
    "type: scoring\ngroup_scores:\n  secret/group1: 30\n  secret/group2: 70\n";

#[test]
fn group_scores_score_each_group_ioi_style() {
    let s = scoring(&subtasks(GROUP_SCORES));
    let g1 = find(&s.root, "secret/group1");
    assert_eq!(g1.rule.aggregation, Aggregation::Min);
    assert_eq!(g1.rule.on_reject, OnReject::Break);
    assert_eq!(
        (g1.rule.accept_score, g1.rule.max_score),
        (Some(30.0), Some(30.0))
    );
    let secret = find(&s.root, "secret");
    assert_eq!(secret.rule.max_score, Some(100.0));
    assert!(secret.rule.accept_if_any_accepted);
    assert_eq!(find(&s.root, "sample").rule.max_score, Some(0.0));
    // The format version does not matter.
    let new = subtasks(&format!(
        "problem_format_version: 2023-07\nname: X\n{GROUP_SCORES}"
    ));
    assert_eq!(scoring(&new), s);
}

#[test]
fn group_scores_errors_name_problem_yaml_and_the_group() {
    for (yaml, needle) in [
        ("  secret/group3: 10\n", "secret/group3: no such group"),
        ("  sample: 10\n", "sample: only secret"),
        (
            "  secret: 50\n  secret/group1: 50\n",
            "secret/group1: it is inside secret",
        ),
        (
            "  secret/group1: 100\n",
            "test secret/group2/1 is in no group",
        ),
        (
            "  secret/group1: -5\n  secret/group2: 5\n",
            "must not be negative",
        ),
        (
            "  secret/group1: many\n  secret/group2: 5\n",
            "bad group_scores.secret/group1",
        ),
    ] {
        let d = subtasks(&format!("type: scoring\ngroup_scores:\n{yaml}"));
        let e = err(&d).to_string();
        let path = d.path().join("problem.yaml").display().to_string();
        assert!(e.contains(&path) && e.contains(needle), "{yaml:?}: {e}");
    }
    let d = subtasks("type: scoring\ngroup_scores: {}\n");
    assert!(err(&d).to_string().contains("list at least one group"));
}

#[test]
fn group_scores_and_testdata_keys_do_not_mix() {
    let d = subtasks(GROUP_SCORES);
    put(
        d.path(),
        "data/secret/testdata.yaml",
        "on_reject: continue\n",
    );
    assert!(matches!(err(&d), TestSetError::MixedGrading { .. }));
}

#[test]
fn the_whole_secret_group_can_be_scored() {
    let s = scoring(&subtasks("type: scoring\ngroup_scores:\n  secret: 100\n"));
    let secret = find(&s.root, "secret");
    assert_eq!(secret.rule.aggregation, Aggregation::Min);
    assert_eq!(
        find(&s.root, "secret/group2").rule.accept_score,
        Some(100.0)
    );
}

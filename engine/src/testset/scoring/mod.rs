//! Scored problems: how the results of tests add up to a score, group by group.
//!
//! A scored problem (`type: scoring`) gets a [`Scoring`]: the tree of test groups under `data/`,
//! each with the [`GroupRule`] it aggregates its tests and subgroups by. Three ways of writing
//! the rules map onto the same tree:
//! 1. **legacy** `testdata.yaml` keys (`on_reject`, `grading`, `grader_flags`, `accept_score`,
//!    `reject_score`, `range`), each inherited key by key from the parent group, with the
//!    default grader's semantics (problemtools);
//! 2. **2023-07** `testdata.yaml` keys (`scoring: {score, aggregation}`, or `max_score` and
//!    `score_aggregation`), not inherited; maximum scores are inferred as the format says;
//! 3. **`group_scores`** in `problem.yaml` (this judge's own key, for packages whose groups have
//!    no `testdata.yaml`): a map from group to points, each group scored IOI style.
//!
//! The style is chosen by the keys present (two styles at once is an error naming both files);
//! with no keys at all, the package's format version decides the defaults. Pass-fail problems
//! get no [`Scoring`], but their keys are still checked, and score-only keys are refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value;

use super::{Format, TestSetError};

mod group_scores;
mod legacy;
mod new_format;

/// How a scored problem's tests add up to its score.
#[derive(Debug, Clone, PartialEq)]
pub struct Scoring {
    /// The `data` group: its verdict and score are the submission's.
    pub root: ScoreGroup,
}

/// A test group: a directory under `data/`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreGroup {
    /// The path under `data/` (`sample`, `secret/group1`); empty for `data` itself.
    pub name: String,
    pub rule: GroupRule,
    /// Tests and subgroups in test order.
    pub items: Vec<ScoreItem>,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq)]
pub enum ScoreItem {
    /// An index into [`super::TestSet::tests`].
    Test(usize),
    Group(ScoreGroup),
}

/// How a group's result comes from its members' results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupRule {
    pub aggregation: Aggregation,
    pub verdict: VerdictRule,
    /// Accepted when any member is accepted (`accept_if_any_accepted`).
    pub accept_if_any_accepted: bool,
    /// A member group named `sample` counts for neither verdict nor score (`ignore_sample`).
    pub ignore_sample: bool,
    pub on_reject: OnReject,
    /// The score of an accepted test directly in this group when its validator gives none;
    /// `None` when the validator must give one (an unbounded group).
    pub accept_score: Option<f64>,
    /// The score of a rejected test directly in this group.
    pub reject_score: f64,
    /// The most a test directly in this group may score (2023-07 and `group_scores`); also the
    /// base of a validator's `score_multiplier.txt`.
    pub test_max: Option<f64>,
    /// Scores the group may have (`range`); outside it is the package's error.
    pub range: (f64, f64),
    /// The group's maximum score, for reports; `None` when unknown or unbounded.
    pub max_score: Option<f64>,
}

/// How members' scores combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    Sum,
    Min,
    Max,
    Avg,
    /// The group's maximum when every member is accepted, else 0; tests carry no score.
    PassFail,
}

/// How members' verdicts combine (the default grader's verdict modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictRule {
    /// The worst rejection: IE, then RE, MLE, TLE, OLE, WA.
    WorstError,
    /// The first rejection in test order.
    FirstError,
    AlwaysAccept,
}

/// What a group does after a member is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnReject {
    /// Judge no further member of the group.
    Break,
    /// Judge the other members as well.
    Continue,
}

/// The grading keys of one `testdata.yaml`, as written.
#[derive(Debug, Default, Clone)]
pub(super) struct RawGrading {
    pub on_reject: Option<String>,
    pub grading: Option<String>,
    pub grader_flags: Option<String>,
    pub accept_score: Option<Value>,
    pub reject_score: Option<Value>,
    pub range: Option<String>,
    pub scoring: Option<RawScoring>,
    pub max_score: Option<Value>,
    pub score_aggregation: Option<String>,
}

impl RawGrading {
    /// The legacy keys present, by name.
    fn legacy_keys(&self) -> Vec<&'static str> {
        [
            ("on_reject", self.on_reject.is_some()),
            ("grading", self.grading.is_some()),
            ("grader_flags", self.grader_flags.is_some()),
            ("accept_score", self.accept_score.is_some()),
            ("reject_score", self.reject_score.is_some()),
            ("range", self.range.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, present)| present.then_some(k))
        .collect()
    }

    /// The 2023-07 keys present, by name.
    fn new_keys(&self) -> Vec<&'static str> {
        [
            ("scoring", self.scoring.is_some()),
            ("max_score", self.max_score.is_some()),
            ("score_aggregation", self.score_aggregation.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, present)| present.then_some(k))
        .collect()
    }
}

/// The 2023-07 `scoring` map of a `testdata.yaml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScoring {
    pub score: Option<Value>,
    pub aggregation: Option<String>,
    pub require_pass: Option<Value>,
}

/// `problem.yaml`'s legacy `grading` map.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProblemGrading {
    objective: Option<String>,
    show_test_data_groups: Option<bool>,
}

/// A group directory as discovery walked it, before its rules are settled.
#[derive(Debug, Clone)]
pub(super) struct GroupNode {
    /// The path under `data/`; empty for `data`.
    pub name: String,
    /// The group's `testdata.yaml` (which may not exist).
    pub file: PathBuf,
    pub grading: RawGrading,
    pub items: Vec<NodeItem>,
}

#[derive(Debug, Clone)]
pub(super) enum NodeItem {
    Test(usize),
    Group(Box<GroupNode>),
}

/// What `problem.yaml` says about scoring.
pub(super) struct ProblemGrading<'a> {
    /// `problem.yaml`.
    pub path: &'a Path,
    pub format: Format,
    /// `type: scoring`.
    pub scoring: bool,
    /// The validators report scores (`validation: custom score`, or a 2023-07 scoring problem
    /// with a custom validator).
    pub validator_scores: bool,
    pub grading: Option<RawProblemGrading>,
    pub group_scores: Option<BTreeMap<String, Value>>,
}

/// The scoring tree of a package whose groups `root` holds, or `None` for a pass-fail problem.
pub(super) fn settle(
    problem: &ProblemGrading,
    root: &GroupNode,
    test_names: &[String],
) -> Result<Option<Scoring>, TestSetError> {
    check_problem_grading(problem)?;
    let style = style_of(problem, root)?;
    if !problem.scoring {
        if let Some((file, key)) = first_score_only_key(root) {
            return Err(TestSetError::ScoringOnly { path: file, key });
        }
        // Verdict keys of a pass-fail problem are checked, though judging stops at the first
        // failure whatever they say.
        legacy::check_keys(root)?;
        return Ok(None);
    }
    let root = match style {
        Style::GroupScores => group_scores::settle(problem, root, test_names)?,
        Style::Legacy => legacy::settle(root, problem.validator_scores)?,
        Style::New => new_format::settle(root)?,
    };
    Ok(Some(Scoring { root }))
}

/// `problem.yaml`'s `grading` map: only for scoring problems, `objective: max` only.
fn check_problem_grading(problem: &ProblemGrading) -> Result<(), TestSetError> {
    let path = problem.path.to_path_buf();
    if let Some(grading) = &problem.grading {
        if !problem.scoring {
            return Err(TestSetError::ScoringOnly {
                path,
                key: "grading",
            });
        }
        match grading.objective.as_deref() {
            None | Some("max") => {}
            Some("min") => {
                return Err(TestSetError::UnsupportedGrading {
                    path,
                    what: "grading.objective \"min\" (a minimisation problem)".to_owned(),
                })
            }
            Some(other) => {
                return Err(TestSetError::BadGrading {
                    path,
                    key: "grading.objective".to_owned(),
                    value: other.to_owned(),
                    expected: "max or min",
                })
            }
        }
        // Groups are always shown; the flag needs no action.
        let _ = grading.show_test_data_groups;
    }
    if problem.group_scores.is_some() && !problem.scoring {
        return Err(TestSetError::ScoringOnly {
            path,
            key: "group_scores",
        });
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Legacy,
    New,
    GroupScores,
}

/// Which way the package writes its rules; two at once is an error naming both places.
fn style_of(problem: &ProblemGrading, root: &GroupNode) -> Result<Style, TestSetError> {
    let legacy = first_file_with(root, &|g| !g.legacy_keys().is_empty());
    let new = first_file_with(root, &|g| !g.new_keys().is_empty());
    if problem.group_scores.is_some() {
        if let Some(file) = legacy.or(new) {
            return Err(TestSetError::MixedGrading {
                first: problem.path.to_path_buf(),
                second: file,
            });
        }
        return Ok(Style::GroupScores);
    }
    match (legacy, new) {
        (Some(first), Some(second)) => Err(TestSetError::MixedGrading { first, second }),
        (Some(_), None) => Ok(Style::Legacy),
        (None, Some(_)) => Ok(Style::New),
        (None, None) if problem.format == Format::NewPackage => Ok(Style::New),
        (None, None) => Ok(Style::Legacy),
    }
}

/// The first `testdata.yaml` (in test order) whose keys satisfy `pred`.
fn first_file_with(node: &GroupNode, pred: &dyn Fn(&RawGrading) -> bool) -> Option<PathBuf> {
    if pred(&node.grading) {
        return Some(node.file.clone());
    }
    node.items.iter().find_map(|item| match item {
        NodeItem::Group(g) => first_file_with(g, pred),
        NodeItem::Test(_) => None,
    })
}

/// A key that only a scoring problem may have, and its file.
fn first_score_only_key(node: &GroupNode) -> Option<(PathBuf, &'static str)> {
    let g = &node.grading;
    let key = [
        ("accept_score", g.accept_score.is_some()),
        ("reject_score", g.reject_score.is_some()),
        ("range", g.range.is_some()),
        ("scoring", g.scoring.is_some()),
        ("max_score", g.max_score.is_some()),
        ("score_aggregation", g.score_aggregation.is_some()),
    ]
    .into_iter()
    .find_map(|(k, present)| present.then_some(k));
    if let Some(key) = key {
        return Some((node.file.clone(), key));
    }
    node.items.iter().find_map(|item| match item {
        NodeItem::Group(g) => first_score_only_key(g),
        NodeItem::Test(_) => None,
    })
}

/// A score written in YAML: a number, or a string holding one (`"inf"` allowed when `infinite`).
pub(super) fn number(
    path: &Path,
    key: &str,
    value: &Value,
    infinite: bool,
) -> Result<f64, TestSetError> {
    let bad = |expected| TestSetError::BadGrading {
        path: path.to_path_buf(),
        key: key.to_owned(),
        value: match value {
            Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_owned(),
        },
        expected,
    };
    let x = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_float(s),
        _ => None,
    };
    match x {
        Some(x) if x.is_nan() => Err(bad("a number")),
        Some(x) if x.is_infinite() && !infinite => Err(bad("a finite number")),
        Some(x) => Ok(x),
        None if infinite => Err(bad("a number, inf or -inf")),
        None => Err(bad("a number")),
    }
}

/// A float as the formats write it, with `inf`, `+inf` and `-inf`.
pub(super) fn parse_float(s: &str) -> Option<f64> {
    match s.trim() {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        t if t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
            && !t.is_empty() =>
        {
            t.parse().ok()
        }
        _ => None,
    }
}

/// A rule's maximum from its members' maxima, `None` when one is unknown.
pub(super) fn combine_max(aggregation: Aggregation, maxima: &[Option<f64>]) -> Option<f64> {
    let known: Option<Vec<f64>> = maxima.iter().copied().collect();
    let known = known?;
    if known.is_empty() {
        return Some(0.0);
    }
    Some(match aggregation {
        Aggregation::Sum => known.iter().sum(),
        Aggregation::Min | Aggregation::PassFail => known.iter().copied().fold(f64::MAX, f64::min),
        Aggregation::Max => known.iter().copied().fold(f64::MIN, f64::max),
        Aggregation::Avg => known.iter().sum::<f64>() / known.len() as f64,
    })
}

/// Whether a group is the `sample` group.
pub(super) fn is_sample(name: &str) -> bool {
    name == "sample"
}

/// A group that counts for nothing (the samples of a 2023-07 or `group_scores` package): its
/// verdict is still worked out, its score is 0 of 0.
pub(super) fn unscored(node: &GroupNode) -> ScoreGroup {
    ScoreGroup {
        name: node.name.clone(),
        rule: GroupRule {
            aggregation: Aggregation::PassFail,
            verdict: VerdictRule::FirstError,
            accept_if_any_accepted: false,
            ignore_sample: false,
            on_reject: OnReject::Continue,
            accept_score: None,
            reject_score: 0.0,
            test_max: None,
            range: (0.0, 0.0),
            max_score: Some(0.0),
        },
        items: node
            .items
            .iter()
            .map(|item| match item {
                NodeItem::Test(i) => ScoreItem::Test(*i),
                NodeItem::Group(g) => ScoreItem::Group(unscored(g)),
            })
            .collect(),
    }
}

/// The rule of `data` in a package whose score is that of `secret` alone.
pub(super) fn secret_only_root(max_score: Option<f64>) -> GroupRule {
    GroupRule {
        aggregation: Aggregation::Sum,
        verdict: VerdictRule::WorstError,
        accept_if_any_accepted: false,
        ignore_sample: true,
        on_reject: OnReject::Continue,
        accept_score: None,
        reject_score: 0.0,
        test_max: None,
        range: (0.0, f64::INFINITY),
        max_score,
    }
}

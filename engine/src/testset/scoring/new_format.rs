//! 2023-07 scoring keys of `testdata.yaml`: `scoring: {score, aggregation}`, or the later
//! spelling `max_score` and `score_aggregation`. They are not inherited.
//!
//! The submission's score is that of `secret` (maximum 100 unless it says otherwise, `sum`
//! aggregation); `sample` counts for nothing. A subgroup's aggregation defaults to `pass-fail`.
//! Maximum scores not given are inferred from the parent's: under `sum`, the parent's leftover
//! points are shared evenly among its tests and the subgroups without a score; under `min` and
//! `pass-fail`, each member may reach the parent's maximum. `unbounded` groups have no maximum,
//! and their accepted tests must get a score from the validator.
//!
//! Judging: `secret` is accepted when any member is, and judges every member; a subgroup takes
//! its first rejection as its verdict, and stops at it unless it sums scores.

use super::{
    is_sample, number, secret_only_root, unscored, Aggregation, GroupNode, GroupRule, NodeItem,
    OnReject, ScoreGroup, ScoreItem, VerdictRule,
};
use crate::testset::TestSetError;

/// The maximum of `secret` when it gives none.
const DEFAULT_SECRET_SCORE: f64 = 100.0;

/// What one group's file says.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Keys {
    /// `Some(None)`: unbounded.
    score: Option<Option<f64>>,
    aggregation: Option<Aggregation>,
}

pub(super) fn settle(root: &GroupNode) -> Result<ScoreGroup, TestSetError> {
    refuse_keys(root, "data")?;
    let mut items = Vec::new();
    let mut max_score = Some(0.0);
    for item in &root.items {
        // Discovery gives `data` only the `sample` and `secret` groups.
        if let NodeItem::Group(g) = item {
            if is_sample(&g.name) {
                refuse_keys(g, "sample")?;
                items.push(ScoreItem::Group(unscored(g)));
            } else {
                let secret = group(g, Some(DEFAULT_SECRET_SCORE), true)?;
                max_score = secret.rule.max_score;
                items.push(ScoreItem::Group(secret));
            }
        }
    }
    Ok(ScoreGroup {
        name: root.name.clone(),
        rule: secret_only_root(max_score),
        items,
    })
}

/// Scoring keys are only for `secret` and its subgroups.
fn refuse_keys(node: &GroupNode, group: &'static str) -> Result<(), TestSetError> {
    match node.grading.new_keys().first() {
        Some(key) => Err(TestSetError::GradingNotHere {
            path: node.file.clone(),
            key,
            group,
        }),
        None => Ok(()),
    }
}

/// A scored group whose maximum is `default_max` unless its file says otherwise.
fn group(
    node: &GroupNode,
    default_max: Option<f64>,
    is_secret: bool,
) -> Result<ScoreGroup, TestSetError> {
    let keys = keys(node)?;
    let max = keys.score.unwrap_or(default_max);
    let aggregation = keys.aggregation.unwrap_or(if is_secret {
        Aggregation::Sum
    } else {
        Aggregation::PassFail
    });
    if aggregation == Aggregation::PassFail && max.is_none() {
        return Err(TestSetError::BadGrading {
            path: node.file.clone(),
            key: "aggregation".to_owned(),
            value: "pass-fail".to_owned(),
            expected: "sum or min in an unbounded group",
        });
    }
    let share = member_max(node, max, aggregation)?;
    let mut items = Vec::new();
    for item in &node.items {
        items.push(match item {
            NodeItem::Test(i) => ScoreItem::Test(*i),
            NodeItem::Group(g) => ScoreItem::Group(group(g, share, false)?),
        });
    }
    let sums = aggregation == Aggregation::Sum;
    Ok(ScoreGroup {
        name: node.name.clone(),
        rule: GroupRule {
            aggregation,
            verdict: VerdictRule::FirstError,
            accept_if_any_accepted: is_secret,
            ignore_sample: false,
            on_reject: if is_secret || sums {
                OnReject::Continue
            } else {
                OnReject::Break
            },
            accept_score: share,
            reject_score: 0.0,
            test_max: share,
            range: (0.0, max.unwrap_or(f64::INFINITY)),
            max_score: max,
        },
        items,
    })
}

/// The maximum of a member without a score of its own, in a group of maximum `max`.
fn member_max(
    node: &GroupNode,
    max: Option<f64>,
    aggregation: Aggregation,
) -> Result<Option<f64>, TestSetError> {
    let Some(max) = max else {
        return Ok(None);
    };
    if aggregation != Aggregation::Sum {
        return Ok(Some(max));
    }
    let (mut given, mut open) = (0.0, 0usize);
    for item in &node.items {
        match item {
            NodeItem::Test(_) => open += 1,
            NodeItem::Group(g) => match keys(g)?.score {
                Some(Some(score)) => given += score,
                // An unbounded member of a bounded group takes a share like the others.
                Some(None) | None => open += 1,
            },
        }
    }
    if given > max * (1.0 + 1e-9) {
        return Err(TestSetError::BadGrading {
            path: node.file.clone(),
            key: "score".to_owned(),
            value: max.to_string(),
            expected: "at least the sum of its subgroups' scores",
        });
    }
    Ok(Some(if open == 0 {
        0.0
    } else {
        (max - given).max(0.0) / open as f64
    }))
}

/// One group's scoring keys, in either spelling.
fn keys(node: &GroupNode) -> Result<Keys, TestSetError> {
    let path = &node.file;
    let raw = &node.grading;
    let (score, aggregation) = match &raw.scoring {
        Some(scoring) => {
            if raw.max_score.is_some() || raw.score_aggregation.is_some() {
                return Err(TestSetError::Yaml {
                    path: path.clone(),
                    message: "give scoring, or max_score and score_aggregation, not both".into(),
                });
            }
            if scoring.require_pass.is_some() {
                return Err(TestSetError::UnsupportedGrading {
                    path: path.clone(),
                    what: "scoring.require_pass (groups that depend on other groups)".to_owned(),
                });
            }
            (scoring.score.as_ref(), scoring.aggregation.as_deref())
        }
        None => (raw.max_score.as_ref(), raw.score_aggregation.as_deref()),
    };
    let score = match score {
        None => None,
        Some(serde_yaml::Value::String(s)) if s == "unbounded" => Some(None),
        Some(v) => {
            let x = number(path, "score", v, false)?;
            if x < 0.0 {
                return Err(TestSetError::BadGrading {
                    path: path.clone(),
                    key: "score".to_owned(),
                    value: x.to_string(),
                    expected: "a non-negative number or unbounded",
                });
            }
            Some(Some(x))
        }
    };
    let aggregation = match aggregation {
        None => None,
        Some("sum") => Some(Aggregation::Sum),
        Some("min") => Some(Aggregation::Min),
        Some("pass-fail") => Some(Aggregation::PassFail),
        Some(other) => {
            return Err(TestSetError::BadGrading {
                path: path.clone(),
                key: "aggregation".to_owned(),
                value: other.to_owned(),
                expected: "pass-fail, sum or min",
            })
        }
    };
    Ok(Keys { score, aggregation })
}

//! `group_scores` in `problem.yaml`: this judge's own way to score a package whose groups have no
//! `testdata.yaml`.
//!
//! ```yaml
//! type: scoring
//! group_scores:
//!   secret/group1: 30
//!   secret/group2: 70
//! ```
//!
//! Each listed group (`secret` or a group under it, none inside another) is scored IOI style: it
//! earns its points only when every test in it (subgroups included) is accepted, judging stops
//! at its first rejection, and a validator's score for a test counts as that test's points (the
//! group takes the minimum). The submission's score is the sum over the listed groups; `sample`
//! counts for nothing. Every secret test must be in a listed group.

use std::collections::BTreeMap;

use super::{
    is_sample, number, secret_only_root, unscored, Aggregation, GroupNode, GroupRule, NodeItem,
    OnReject, ProblemGrading, ScoreGroup, ScoreItem, VerdictRule,
};
use crate::testset::TestSetError;

pub(super) fn settle(
    problem: &ProblemGrading,
    root: &GroupNode,
    test_names: &[String],
) -> Result<ScoreGroup, TestSetError> {
    let listed = parse(problem, root)?;
    let ctx = Context {
        problem,
        listed: &listed,
        test_names,
    };
    let mut items = Vec::new();
    let mut max_score = Some(0.0);
    for item in &root.items {
        if let NodeItem::Group(g) = item {
            if is_sample(&g.name) {
                items.push(ScoreItem::Group(unscored(g)));
            } else {
                let secret = ctx.group(g, None)?;
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

fn error(problem: &ProblemGrading, group: &str, what: &str) -> TestSetError {
    TestSetError::GroupScores {
        path: problem.path.to_path_buf(),
        group: group.to_owned(),
        problem: what.to_owned(),
    }
}

/// The listed groups and their points, checked against the groups that exist.
fn parse(
    problem: &ProblemGrading,
    root: &GroupNode,
) -> Result<BTreeMap<String, f64>, TestSetError> {
    let raw = problem.group_scores.as_ref().cloned().unwrap_or_default();
    if raw.is_empty() {
        return Err(error(problem, "(none)", "list at least one group"));
    }
    let mut listed = BTreeMap::new();
    for (group, value) in &raw {
        let name = group.trim_end_matches('/');
        if name != "secret" && !name.starts_with("secret/") {
            return Err(error(
                problem,
                group,
                "only secret and the groups under it can be scored",
            ));
        }
        if find(root, name).is_none() {
            return Err(error(
                problem,
                group,
                &format!("no such group: expected a directory data/{name}"),
            ));
        }
        let points = number(problem.path, &format!("group_scores.{group}"), value, false)?;
        if points < 0.0 {
            return Err(error(problem, group, "points must not be negative"));
        }
        listed.insert(name.to_owned(), points);
    }
    for outer in listed.keys() {
        if let Some(inner) = listed.keys().find(|k| k.starts_with(&format!("{outer}/"))) {
            return Err(error(
                problem,
                inner,
                &format!("it is inside {outer}, which is scored as a whole"),
            ));
        }
    }
    Ok(listed)
}

fn find<'a>(node: &'a GroupNode, name: &str) -> Option<&'a GroupNode> {
    if node.name == name {
        return Some(node);
    }
    node.items.iter().find_map(|item| match item {
        NodeItem::Group(g) if name.starts_with(&g.name) => find(g, name),
        _ => None,
    })
}

struct Context<'a> {
    problem: &'a ProblemGrading<'a>,
    listed: &'a BTreeMap<String, f64>,
    test_names: &'a [String],
}

impl Context<'_> {
    /// A group under `secret`; `points` when it is inside a listed group.
    fn group(&self, node: &GroupNode, points: Option<f64>) -> Result<ScoreGroup, TestSetError> {
        let points = points.or_else(|| self.listed.get(&node.name).copied());
        let mut items = Vec::new();
        let mut maxima = Vec::new();
        for item in &node.items {
            match item {
                NodeItem::Test(i) => {
                    if points.is_none() {
                        let test = self.test_names.get(*i).map_or("?", String::as_str);
                        return Err(error(
                            self.problem,
                            &node.name,
                            &format!("test {test} is in no group of group_scores"),
                        ));
                    }
                    items.push(ScoreItem::Test(*i));
                }
                NodeItem::Group(g) => {
                    let sub = self.group(g, points)?;
                    maxima.push(sub.rule.max_score.unwrap_or(0.0));
                    items.push(ScoreItem::Group(sub));
                }
            }
        }
        let rule = match points {
            Some(p) => GroupRule {
                aggregation: Aggregation::Min,
                verdict: VerdictRule::FirstError,
                accept_if_any_accepted: false,
                ignore_sample: false,
                on_reject: OnReject::Break,
                accept_score: Some(p),
                reject_score: 0.0,
                test_max: Some(p),
                range: (0.0, p),
                max_score: Some(p),
            },
            // Above the listed groups: their sum, accepted when any of them is.
            None => GroupRule {
                aggregation: Aggregation::Sum,
                verdict: VerdictRule::FirstError,
                accept_if_any_accepted: true,
                ignore_sample: false,
                on_reject: OnReject::Continue,
                accept_score: None,
                reject_score: 0.0,
                test_max: None,
                range: (0.0, f64::INFINITY),
                max_score: Some(maxima.iter().sum()),
            },
        };
        Ok(ScoreGroup {
            name: node.name.clone(),
            rule,
            items,
        })
    }
}

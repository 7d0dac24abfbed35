//! Legacy grading keys of `testdata.yaml`, as problemtools reads them.
//!
//! Each key a group's `testdata.yaml` leaves out is inherited from its parent group (key by
//! key; `data` starts from the defaults: `on_reject: break`, no grader flags, `accept_score: 1`,
//! `reject_score: 0`, `range: -inf +inf`). `grader_flags` is inherited as a whole: a group that
//! sets it starts again from the default grader's defaults (`worst_error`, `sum`). Only the
//! default grader is supported; `grading: custom` is an error.

use super::{
    combine_max, is_sample, number, parse_float, Aggregation, GroupNode, GroupRule, NodeItem,
    OnReject, ScoreGroup, ScoreItem, VerdictRule,
};
use crate::testset::TestSetError;

/// The grader flags, settled.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Flags {
    verdict: VerdictRule,
    aggregation: Aggregation,
    ignore_sample: bool,
    accept_if_any_accepted: bool,
}

/// A group's settings after inheritance.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Settings {
    on_reject: OnReject,
    flags: Flags,
    accept_score: f64,
    reject_score: f64,
    range: (f64, f64),
}

const DEFAULT_FLAGS: Flags = Flags {
    verdict: VerdictRule::WorstError,
    aggregation: Aggregation::Sum,
    ignore_sample: false,
    accept_if_any_accepted: false,
};

const DEFAULTS: Settings = Settings {
    on_reject: OnReject::Break,
    flags: DEFAULT_FLAGS,
    accept_score: 1.0,
    reject_score: 0.0,
    range: (f64::NEG_INFINITY, f64::INFINITY),
};

/// The scoring tree of a legacy package. Tests score `accept_score` or `reject_score` of their
/// group unless `validator_scores`, when an accepted test's validator says.
pub(super) fn settle(root: &GroupNode, validator_scores: bool) -> Result<ScoreGroup, TestSetError> {
    group(root, &DEFAULTS, validator_scores)
}

/// Check every group's verdict keys (a pass-fail problem's).
pub(super) fn check_keys(root: &GroupNode) -> Result<(), TestSetError> {
    fn walk(node: &GroupNode, parent: &Settings) -> Result<(), TestSetError> {
        let settings = merge(node, parent)?;
        for item in &node.items {
            if let NodeItem::Group(g) = item {
                walk(g, &settings)?;
            }
        }
        Ok(())
    }
    walk(root, &DEFAULTS)
}

fn group(
    node: &GroupNode,
    parent: &Settings,
    validator_scores: bool,
) -> Result<ScoreGroup, TestSetError> {
    let s = merge(node, parent)?;
    let mut items = Vec::new();
    let mut maxima = Vec::new();
    for item in &node.items {
        match item {
            NodeItem::Test(i) => {
                items.push(ScoreItem::Test(*i));
                maxima.push((!validator_scores).then_some(s.accept_score));
            }
            NodeItem::Group(g) => {
                let sub = group(g, &s, validator_scores)?;
                if !(s.flags.ignore_sample && is_sample(&sub.name)) {
                    maxima.push(sub.rule.max_score);
                }
                items.push(ScoreItem::Group(sub));
            }
        }
    }
    let max_score = if s.range.1.is_finite() {
        Some(s.range.1)
    } else {
        combine_max(s.flags.aggregation, &maxima)
    };
    Ok(ScoreGroup {
        name: node.name.clone(),
        rule: GroupRule {
            aggregation: s.flags.aggregation,
            verdict: s.flags.verdict,
            accept_if_any_accepted: s.flags.accept_if_any_accepted,
            ignore_sample: s.flags.ignore_sample,
            on_reject: s.on_reject,
            accept_score: Some(s.accept_score),
            reject_score: s.reject_score,
            test_max: None,
            range: s.range,
            max_score,
        },
        items,
    })
}

/// A group's own keys over its parent's settings.
fn merge(node: &GroupNode, parent: &Settings) -> Result<Settings, TestSetError> {
    let path = &node.file;
    let raw = &node.grading;
    let bad = |key: &str, value: &str, expected: &'static str| TestSetError::BadGrading {
        path: path.clone(),
        key: key.to_owned(),
        value: value.to_owned(),
        expected,
    };
    let mut s = *parent;
    if let Some(v) = &raw.on_reject {
        s.on_reject = match v.as_str() {
            "break" => OnReject::Break,
            "continue" => OnReject::Continue,
            _ => return Err(bad("on_reject", v, "break or continue")),
        };
    }
    match raw.grading.as_deref() {
        None | Some("default") => {}
        Some("custom") => {
            return Err(TestSetError::UnsupportedGrading {
                path: path.clone(),
                what: "grading: custom (a custom grader program)".to_owned(),
            })
        }
        Some(other) => return Err(bad("grading", other, "default or custom")),
    }
    if let Some(v) = &raw.grader_flags {
        s.flags = grader_flags(v).map_err(|flag| {
            bad(
                "grader_flags",
                &flag,
                "flags among first_error, worst_error, always_accept, sum, avg, min, max, \
                 ignore_sample, accept_if_any_accepted",
            )
        })?;
    }
    if let Some(v) = &raw.accept_score {
        s.accept_score = number(path, "accept_score", v, false)?;
    }
    if let Some(v) = &raw.reject_score {
        s.reject_score = number(path, "reject_score", v, false)?;
    }
    if let Some(v) = &raw.range {
        s.range = range(v).ok_or_else(|| {
            bad(
                "range",
                v,
                "two numbers \"A B\" with A <= B (inf, +inf and -inf allowed)",
            )
        })?;
    }
    Ok(s)
}

/// The default grader's flags; the last of conflicting modes wins. `Err` names the unknown flag.
fn grader_flags(text: &str) -> Result<Flags, String> {
    let mut flags = DEFAULT_FLAGS;
    for word in text.split_whitespace() {
        match word {
            "worst_error" => flags.verdict = VerdictRule::WorstError,
            "first_error" => flags.verdict = VerdictRule::FirstError,
            "always_accept" => flags.verdict = VerdictRule::AlwaysAccept,
            "sum" => flags.aggregation = Aggregation::Sum,
            "avg" => flags.aggregation = Aggregation::Avg,
            "min" => flags.aggregation = Aggregation::Min,
            "max" => flags.aggregation = Aggregation::Max,
            "ignore_sample" => flags.ignore_sample = true,
            "accept_if_any_accepted" => flags.accept_if_any_accepted = true,
            other => return Err(other.to_owned()),
        }
    }
    Ok(flags)
}

/// `range`: "A B", two numbers (or infinities) with A <= B.
fn range(text: &str) -> Option<(f64, f64)> {
    let mut words = text.split_whitespace();
    let low = parse_float(words.next()?)?;
    let high = parse_float(words.next()?)?;
    (words.next().is_none() && !low.is_nan() && !high.is_nan() && low <= high)
        .then_some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grader_flags_take_the_last_conflicting_mode() {
        let f = grader_flags("min first_error sum ignore_sample").unwrap();
        assert_eq!(f.aggregation, Aggregation::Sum);
        assert_eq!(f.verdict, VerdictRule::FirstError);
        assert!(f.ignore_sample && !f.accept_if_any_accepted);
        assert_eq!(grader_flags("").unwrap(), DEFAULT_FLAGS);
        assert_eq!(grader_flags("min bogus").unwrap_err(), "bogus");
        assert_eq!(grader_flags("Min").unwrap_err(), "Min");
    }

    #[test]
    fn ranges_need_two_ordered_numbers() {
        assert_eq!(range("0 100"), Some((0.0, 100.0)));
        assert_eq!(
            range(" -inf  +inf "),
            Some((f64::NEG_INFINITY, f64::INFINITY))
        );
        assert_eq!(range("0 inf"), Some((0.0, f64::INFINITY)));
        for bad in ["", "0", "0 1 2", "10 0", "a b", "0 nan", "1e2e3 4"] {
            assert_eq!(range(bad), None, "{bad:?}");
        }
    }
}

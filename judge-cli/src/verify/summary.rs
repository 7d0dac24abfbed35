//! What `verify` prints: the `--json` document, or the differences and a line per folder.

use std::collections::BTreeMap;
use std::path::Path;

use judge_engine::verdict::Verdict;

use super::cases::{Case, Score, FOLDERS};
use super::{inputs, seconds, Chosen, Finding, Judged, Timing};
use crate::output::Paint;
use crate::report::points;

/// The `--json` document: the time limit and how it was chosen, and one record per submission.
pub(super) fn json(
    problem: &Path,
    timing: &Timing,
    cases: &[Case],
    results: &[Judged],
    inputs: Option<&inputs::InputReport>,
) -> String {
    use serde_json::{json, Value};
    let time_limit = match &timing.chosen {
        Chosen::Derived {
            slowest,
            by,
            folder,
            multiplier,
            resolution,
        } => json!({
            "seconds": timing.limit.as_secs_f64(),
            "source": "derived",
            "slowest_accepted_seconds": slowest.as_secs_f64(),
            "slowest_accepted": by.display().to_string(),
            "slowest_folder": folder,
            "multiplier": multiplier,
            "resolution_seconds": resolution,
        }),
        Chosen::Default(why) => json!({
            "seconds": timing.limit.as_secs_f64(),
            "source": "default",
            "why": why,
        }),
        chosen => json!({
            "seconds": timing.limit.as_secs_f64(),
            "source": if *chosen == Chosen::Flag { "flag" } else { "package" },
        }),
    };
    let submissions: Vec<Value> = cases
        .iter()
        .zip(results)
        .map(|(case, r)| {
            let (finding, message) = match &r.finding {
                Finding::Matches => ("matches", String::new()),
                Finding::Fragile { limit, .. } => (
                    "fragile",
                    format!("max CPU time above half the time limit of {}", seconds(*limit)),
                ),
                Finding::TooClose { got, high } => (
                    "too_close",
                    format!("{got} at {}: not far enough over the limit", seconds(*high)),
                ),
                Finding::Differs { why, .. } => ("differs", why.clone()),
                Finding::WrongScore { .. } => ("wrong_score", String::new()),
            };
            json!({
                "path": case.path.display().to_string(),
                "folder": case.folder,
                "expected": case.expected.map(Verdict::code),
                "requirements": case.declared.rules.iter().map(|r| r.describe()).collect::<Vec<_>>(),
                "also_allowed": case.also.iter().map(|v| v.code()).collect::<Vec<_>>(),
                "verdict": r.verdict.code(),
                "score": r.score,
                "time_ms": r.time.as_millis() as u64,
                "matches": !matches!(r.finding, Finding::Differs { .. } | Finding::WrongScore { .. }),
                "finding": finding,
                "message": message,
            })
        })
        .collect();
    let ok = results.iter().all(|r| {
        !matches!(
            r.finding,
            Finding::Differs { .. } | Finding::WrongScore { .. }
        )
    }) && inputs.map_or(true, |r| r.ok());
    serde_json::to_string_pretty(&json!({
        "problem": problem.display().to_string(),
        "time_limit": time_limit,
        "tle_margin": timing.margin,
        "submissions": submissions,
        "input_validation": inputs.map(|r| r.json()),
        "ok": ok,
    }))
    .unwrap_or_default()
}

/// The differences, the fragile submissions, a line per folder, and the conclusion.
pub(super) fn summary(cases: &[Case], findings: &[Finding], paint: &Paint) -> String {
    let mut out = String::new();
    // (order, folder) → (expected, submissions, as expected)
    let mut folders: BTreeMap<(usize, &str), (Option<Verdict>, usize, usize)> = BTreeMap::new();
    let (mut differ, mut fragile) = (0, 0);
    for (case, finding) in cases.iter().zip(findings) {
        let order = FOLDERS
            .iter()
            .position(|(f, _)| *f == case.folder)
            .unwrap_or(FOLDERS.len());
        let entry = folders
            .entry((order, &case.folder))
            .or_insert((case.expected, 0, 0));
        entry.1 += 1;
        match finding {
            Finding::Differs { got, why } => {
                differ += 1;
                let why = if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({why})")
                };
                out.push_str(&format!(
                    "{}: expected {}, got {}{why}\n",
                    case.path.display(),
                    case.describe_expected(),
                    got,
                ));
            }
            Finding::WrongScore { score, max } => {
                differ += 1;
                let want = match case.score {
                    Score::Partial => "less than the full score",
                    _ => "the full score",
                };
                let of = max
                    .map(|m| format!(" of {}", points(m)))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{}: expected {} with {want}, got {}{of}\n",
                    case.path.display(),
                    case.describe_expected(),
                    points(*score),
                ));
            }
            Finding::Fragile { time, limit } => {
                fragile += 1;
                entry.2 += 1;
                out.push_str(&format!(
                    "{}: fragile: max CPU time {} is above half the time limit of {}\n",
                    case.path.display(),
                    seconds(*time),
                    seconds(*limit),
                ));
            }
            Finding::TooClose { got, high } => {
                fragile += 1;
                entry.2 += 1;
                out.push_str(&format!(
                    "{}: too close: TLE, but {got} at {} (the limit × the margin): not far \
                     enough over the limit\n",
                    case.path.display(),
                    seconds(*high),
                ));
            }
            Finding::Matches => entry.2 += 1,
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&paint.dim(&format!(
        "{:<22} {:<8} {:>11} {:>11}\n",
        "folder", "expected", "submissions", "as expected"
    )));
    for ((_, folder), (expected, total, matched)) in &folders {
        let expected = match (*folder, expected) {
            ("partially_accepted", _) => "partial",
            (_, Some(verdict)) => verdict.code(),
            (_, None) => "rules",
        };
        out.push_str(&format!(
            "{folder:<22} {expected:<8} {total:>11} {matched:>11}\n"
        ));
    }
    let total = cases.len();
    let scored = cases.iter().any(|c| c.score != Score::Any);
    let what = if scored {
        "verdict or score"
    } else {
        "verdict"
    };
    out.push_str(&if differ == 0 {
        format!("verify: all {total} submissions got their folder's verdict")
    } else {
        format!("verify: {differ} of {total} submissions got another {what} than their folder's")
    });
    if fragile > 0 {
        out.push_str(&format!(
            "; {fragile} submissions are fragile (accepted above half the time limit, or too \
             slow by too little)"
        ));
    }
    out.push('\n');
    out
}

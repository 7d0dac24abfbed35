//! The folder map, the assessment of each result, and the summary.

use std::fs;

use super::cases::*;
use super::*;

const MS: fn(u64) -> Duration = Duration::from_millis;

#[test]
fn every_folder_maps_to_its_verdict_and_others_to_none() {
    assert_eq!(expected_verdict("accepted"), Some(Verdict::AC));
    assert_eq!(expected_verdict("time_limit_exceeded"), Some(Verdict::TLE));
    assert_eq!(expected_verdict("compile_error"), Some(Verdict::CE));
    assert_eq!(
        expected_verdict("output_limit_exceeded"),
        Some(Verdict::OLE)
    );
    assert_eq!(expected_verdict("acepted"), None);
    assert_eq!(expected_verdict("Accepted"), None);
    assert_eq!(expected_verdict("partially_accepted"), Some(Verdict::AC));
    let verdicts: std::collections::HashSet<Verdict> = FOLDERS.iter().map(|(_, v)| *v).collect();
    assert_eq!(
        verdicts.len(),
        FOLDERS.len() - 1,
        "one folder per verdict, and partially_accepted"
    );
}

#[test]
fn a_different_verdict_differs_whatever_the_time() {
    assert_eq!(
        assess(Verdict::WA, Verdict::AC, MS(1), MS(1000), ""),
        Finding::Differs {
            got: Verdict::AC,
            why: String::new()
        }
    );
    assert!(matches!(
        assess(Verdict::AC, Verdict::TLE, MS(1000), MS(1000), "slow"),
        Finding::Differs {
            got: Verdict::TLE,
            ..
        }
    ));
}

#[test]
fn accepted_above_half_the_limit_is_fragile() {
    assert_eq!(
        assess(Verdict::AC, Verdict::AC, MS(500), MS(1000), ""),
        Finding::Matches,
        "exactly half is still safe"
    );
    assert_eq!(
        assess(Verdict::AC, Verdict::AC, MS(501), MS(1000), ""),
        Finding::Fragile {
            time: MS(501),
            limit: MS(1000)
        }
    );
    assert_eq!(
        assess(Verdict::WA, Verdict::WA, MS(900), MS(1000), ""),
        Finding::Matches,
        "only accepted submissions can be fragile"
    );
}

fn case(path: &str, folder: &str) -> Case {
    Case {
        path: PathBuf::from(path),
        folder: folder.to_owned(),
        expected: expected_verdict(folder),
        also: Vec::new(),
        tagged: false,
        score: Score::Any,
        declared: Default::default(),
    }
}

#[test]
fn the_summary_names_differences_and_fragile_ones_and_counts_per_folder() {
    let cases = [
        case("p/submissions/wrong_answer/right.c", "wrong_answer"),
        case("p/submissions/accepted/a.c", "accepted"),
        case("p/submissions/accepted/slow.c", "accepted"),
    ];
    let findings = [
        Finding::Differs {
            got: Verdict::AC,
            why: String::new(),
        },
        Finding::Matches,
        Finding::Fragile {
            time: MS(700),
            limit: MS(1000),
        },
    ];
    let text = summary(&cases, &findings, &Paint::plain());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "p/submissions/wrong_answer/right.c: expected WA, got AC"
    );
    assert_eq!(
        lines[1],
        "p/submissions/accepted/slow.c: fragile: max CPU time 0.700 s is above half the \
         time limit of 1.000 s"
    );
    let accepted = lines.iter().find(|l| l.starts_with("accepted ")).unwrap();
    assert_eq!(
        accepted.split_whitespace().collect::<Vec<_>>(),
        ["accepted", "AC", "2", "2"]
    );
    let wrong = lines
        .iter()
        .find(|l| l.starts_with("wrong_answer "))
        .unwrap();
    assert_eq!(
        wrong.split_whitespace().collect::<Vec<_>>(),
        ["wrong_answer", "WA", "1", "0"]
    );
    let row = |folder: &str| lines.iter().position(|l| l.starts_with(folder)).unwrap();
    assert!(
        row("accepted ") < row("wrong_answer "),
        "folders in the order of FOLDERS"
    );
    assert!(lines
        .last()
        .unwrap()
        .starts_with("verify: 1 of 3 submissions"));
    assert!(lines
        .last()
        .unwrap()
        .contains("1 submissions are fragile (accepted above half"));
}

#[test]
fn an_all_matching_summary_says_so() {
    let cases = [case("a.c", "accepted"), case("b.c", "compile_error")];
    let text = summary(
        &cases,
        &[Finding::Matches, Finding::Matches],
        &Paint::plain(),
    );
    assert!(text.starts_with("folder"), "{text}");
    assert!(text.ends_with("verify: all 2 submissions got their folder's verdict\n"));
}

#[test]
fn why_names_the_failing_test() {
    use judge_engine::judge::{CompileReport, TestLimits, TestReport};
    let test = |name: &str, verdict, message: &str| TestReport {
        name: name.to_owned(),
        verdict,
        time: Duration::ZERO,
        wall_time: Duration::ZERO,
        memory: 0,
        exit_code: Some(0),
        signal: None,
        message: message.to_owned(),
        diff: None,
        score: None,
        transcript: None,
    };
    let report = Report {
        verdict: Verdict::WA,
        compile: CompileReport {
            ok: true,
            message: String::new(),
            time: Duration::ZERO,
            cached: false,
        },
        tests: vec![
            test("sample/1", Verdict::AC, ""),
            test("secret/1", Verdict::WA, "expected \"2\"\nmore"),
        ],
        time: Duration::ZERO,
        memory: 0,
        limits: TestLimits {
            time: MS(1000),
            memory: 1,
            output: 1,
        },
        score: None,
        groups: Vec::new(),
    };
    assert_eq!(why(&report), "test secret/1: expected \"2\"");
}

#[test]
fn scores_match_full_and_partial() {
    assert!(score_matches(Score::Any, None, None));
    assert!(score_matches(Score::Full, Some(100.0), Some(100.0)));
    assert!(score_matches(Score::Full, Some(99.9999999), Some(100.0)));
    assert!(!score_matches(Score::Full, Some(30.0), Some(100.0)));
    assert!(score_matches(Score::Partial, Some(30.0), Some(100.0)));
    assert!(score_matches(Score::Partial, Some(0.0), Some(100.0)));
    assert!(!score_matches(Score::Partial, Some(100.0), Some(100.0)));
    assert!(
        score_matches(Score::Full, Some(7.5), None),
        "no maximum: any score"
    );
    assert!(!score_matches(Score::Partial, Some(7.5), None));
    assert!(!score_matches(Score::Full, None, Some(100.0)));
}

#[test]
fn the_summary_names_a_wrong_score() {
    let mut partial = case(
        "p/submissions/partially_accepted/all.c",
        "partially_accepted",
    );
    partial.score = Score::Partial;
    let mut full = case("p/submissions/accepted/half.c", "accepted");
    full.score = Score::Full;
    let findings = [
        Finding::WrongScore {
            score: 100.0,
            max: Some(100.0),
        },
        Finding::WrongScore {
            score: 51.25,
            max: Some(100.0),
        },
    ];
    let text = summary(&[partial, full], &findings, &Paint::plain());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "p/submissions/partially_accepted/all.c: expected AC with less than the full score, \
         got 100 of 100"
    );
    assert_eq!(
        lines[1],
        "p/submissions/accepted/half.c: expected AC with the full score, got 51.25 of 100"
    );
    let row = lines
        .iter()
        .find(|l| l.starts_with("partially_accepted "))
        .unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["partially_accepted", "partial", "1", "0"]
    );
    assert!(lines
        .last()
        .unwrap()
        .ends_with("2 of 2 submissions got another verdict or score than their folder's"));
}

#[test]
fn a_too_slow_submission_that_passes_at_the_margin_is_named() {
    let cases = [case(
        "p/submissions/time_limit_exceeded/close.c",
        "time_limit_exceeded",
    )];
    let findings = [Finding::TooClose {
        got: Verdict::AC,
        high: Duration::from_millis(2250),
    }];
    let text = summary(&cases, &findings, &Paint::plain());
    assert!(
        text.starts_with(
            "p/submissions/time_limit_exceeded/close.c: too close: TLE, but AC at 2.250 s"
        ),
        "{text}"
    );
    assert!(text.contains("verify: all 1 submissions got their folder's verdict; 1 submissions"));
}

#[test]
fn timing_says_where_the_limit_came_from() {
    let derived = Timing {
        limit: Duration::from_millis(1500),
        chosen: Chosen::Derived {
            slowest: Duration::from_millis(703),
            by: PathBuf::from("s/accepted/a.c"),
            folder: "accepted".to_owned(),
            multiplier: 2.0,
            resolution: 0.5,
        },
        margin: 1.5,
    };
    assert_eq!(
        derived.describe(),
        "time limit 1.500 s, derived: slowest accepted run 0.703 s (s/accepted/a.c) × 2, \
         rounded up to a multiple of 0.5 s"
    );
    let package = Timing {
        chosen: Chosen::Package,
        ..derived
    };
    assert_eq!(package.describe(), "time limit 1.500 s (the package's)");
}

#[test]
fn a_domjudge_tag_names_the_verdicts_a_source_may_get() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.c");
    let tag = |text: &str| {
        fs::write(&path, text).unwrap();
        expected_results(&path)
    };
    assert_eq!(tag("int main() {}\n").unwrap(), None);
    assert_eq!(
        tag("/* @EXPECTED_RESULTS@: TIMELIMIT, wrong-answer, NO-OUTPUT */\n").unwrap(),
        Some(vec![Verdict::TLE, Verdict::WA])
    );
    assert_eq!(
        tag("// @EXPECTED_RESULTS@: CORRECT\nint main() {}\n").unwrap(),
        Some(vec![Verdict::AC])
    );
    let err = tag("# @EXPECTED_RESULTS@: ACCEPTED\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("s.c") && err.contains("\"ACCEPTED\""), "{err}");
}

#[test]
fn a_tagged_case_matches_any_verdict_it_allows() {
    let mut c = case("p/submissions/wrong_answer/s.c", "wrong_answer");
    c.expected = Some(Verdict::TLE);
    c.also = vec![Verdict::WA];
    assert_eq!(c.expecting(Verdict::WA), Verdict::WA);
    assert_eq!(c.expecting(Verdict::TLE), Verdict::TLE);
    assert_eq!(c.expecting(Verdict::RE), Verdict::TLE);
    assert_eq!(c.describe_expected(), "one of TLE, WA");
}

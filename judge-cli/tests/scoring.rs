//! Scored problems through the `judge` binary: `run --json` gains `score` and `groups`, the
//! table shows the groups, `batch` reports carry the score, `verify` knows partially_accepted;
//! a pass-fail problem's JSON has none of it.

mod common;

use common::{judge, problem, root, row, text};

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn source(problem_name: &str, folder: &str, file: &str) -> String {
    problem(problem_name)
        .join("submissions")
        .join(folder)
        .join(file)
        .display()
        .to_string()
}

fn run_json(problem_name: &str, folder: &str, file: &str) -> (Option<i32>, Value) {
    let tests = problem(problem_name).display().to_string();
    let out = judge(&[
        "run",
        &source(problem_name, folder, file),
        "--tests",
        &tests,
        "--json",
    ]);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON document ({e}): {}{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    (out.status.code(), doc)
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn run_json_has_the_score_and_each_group() {
    if !root() {
        return;
    }
    let (status, doc) = run_json("oddecho", "partially_accepted", "ten_words.c");
    assert_eq!(status, Some(0), "accepted, with part of the score");
    assert_eq!(doc["verdict"], "AC");
    assert_eq!(doc["score"], 30.0);
    assert_eq!(
        keys(&doc),
        [
            "compile",
            "groups",
            "memory_kib",
            "score",
            "tests",
            "time_ms",
            "verdict"
        ]
    );
    let groups = doc["groups"].as_array().unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["sample", "secret", "secret/group1", "secret/group2"]
    );
    for g in groups {
        assert_eq!(keys(g), ["max_score", "name", "score", "tests", "verdict"]);
    }
    let g1 = &groups[2];
    assert_eq!(
        (&g1["verdict"], &g1["score"]),
        (&Value::from("AC"), &Value::from(30.0))
    );
    assert_eq!(g1["max_score"], 30.0);
    assert_eq!(
        g1["tests"],
        serde_json::json!(["secret/group1/01", "secret/group1/02", "secret/group1/03"])
    );
    let g2 = &groups[3];
    assert_eq!(
        (&g2["verdict"], &g2["score"]),
        (&Value::from("WA"), &Value::from(0.0))
    );
    assert_eq!(g2["max_score"], 70.0);
    assert_eq!(g2["tests"], serde_json::json!(["secret/group2/01"]));
    let test = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "secret/group1/02")
        .unwrap();
    assert_eq!(test["score"], 30.0);
}

#[test]
fn run_json_of_a_wrong_answer_scores_0_and_exits_1() {
    if !root() {
        return;
    }
    let (status, doc) = run_json("oddecho", "wrong_answer", "even.py");
    assert_eq!(status, Some(1));
    assert_eq!(
        (&doc["verdict"], &doc["score"]),
        (&Value::from("WA"), &Value::from(0.0))
    );
    let (_, full) = run_json("oddecho", "accepted", "oddecho.cpp");
    assert_eq!(full["score"], 100.0);
    let (_, testlib) = run_json("reversal_testlib", "partially_accepted", "swap_ends.py");
    assert_eq!(testlib["score"], 51.25);
}

#[test]
fn a_pass_fail_problems_json_has_no_score_or_groups() {
    if !root() {
        return;
    }
    let (status, doc) = run_json("different", "accepted", "different.c");
    assert_eq!(status, Some(0));
    assert_eq!(
        keys(&doc),
        ["compile", "memory_kib", "tests", "time_ms", "verdict"]
    );
    for t in doc["tests"].as_array().unwrap() {
        assert!(t.get("score").is_none(), "{t}");
    }
}

#[test]
fn the_table_shows_groups_and_the_total() {
    if !root() {
        return;
    }
    let tests = problem("oddecho").display().to_string();
    let out = judge(&[
        "run",
        &source("oddecho", "partially_accepted", "ten_words.c"),
        "--tests",
        &tests,
    ]);
    let stdout = text(&out.stdout);
    let row = |label: &str| -> Vec<String> {
        stdout
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no row {label:?}: {stdout}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert!(stdout.contains("\ngroup "), "{stdout}");
    assert_eq!(row("secret "), ["secret", "AC", "30", "/", "100", "4"]);
    assert_eq!(row("  group1 "), ["group1", "AC", "30", "/", "30", "3"]);
    assert_eq!(row("  group2 "), ["group2", "WA", "0", "/", "70", "1"]);
    assert_eq!(row("sample "), ["sample", "AC", "0", "/", "0", "2"]);
    assert!(
        stdout.contains("verdict AC   score 30 / 100  max time"),
        "{stdout}"
    );
    let test = row("secret/group1/02 ");
    assert_eq!(test[1], "AC");
    assert_eq!(test[6], "30", "each test's points: {test:?}");
}

#[test]
fn batch_reports_carry_the_score() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("r.jsonl");
    let csv = dir.path().join("r.csv");
    let subs = problem("oddecho").join("submissions").display().to_string();
    let out = judge(&[
        "batch",
        "--problem",
        &problem("oddecho").display().to_string(),
        &subs,
        "--json",
        jsonl.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut scores: Vec<(String, f64, usize)> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            let name = Path::new(r["submission"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                name,
                r["score"].as_f64().unwrap(),
                r["groups"].as_array().unwrap().len(),
            )
        })
        .collect();
    scores.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        scores,
        [
            ("even.py".to_owned(), 0.0, 4),
            ("oddecho.cpp".to_owned(), 100.0, 4),
            ("oddecho.py".to_owned(), 100.0, 4),
            ("ten_words.c".to_owned(), 30.0, 4),
        ]
    );
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = csv_text.lines();
    assert_eq!(
        lines.next(),
        Some("submission,language,verdict,score,time_ms,memory_kib,tests_passed,tests_run,message")
    );
    let partial = lines.find(|l| l.contains("ten_words.c")).unwrap();
    let fields: Vec<&str> = partial.split(',').collect();
    assert_eq!(fields[2..4], ["AC", "30"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("ten_words.c") && l.contains(" 30 ")),
        "the table's score column: {stdout}"
    );
}

#[test]
fn verify_knows_full_and_partial_scores() {
    if !root() {
        return;
    }
    for name in ["oddecho", "reversal", "reversal_testlib"] {
        let out = judge(&["verify", &problem(name).display().to_string()]);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {stdout}{}",
            text(&out.stderr)
        );
        assert_eq!(
            row(&stdout, "partially_accepted"),
            ["partially_accepted", "partial", "1", "1"],
            "{name}"
        );
    }
}

#[test]
fn verify_names_a_full_score_among_the_partial_ones() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("oddecho");
    let status = Command::new("cp")
        .arg("-r")
        .arg(problem("oddecho"))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    let misplaced = copy.join("submissions/partially_accepted/oddecho.py");
    std::fs::rename(copy.join("submissions/accepted/oddecho.py"), &misplaced).unwrap();
    let out = judge(&["verify", copy.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{}: expected AC with less than the full score, got 100 of 100",
            misplaced.display()
        )),
        "{stdout}"
    );
    assert_eq!(
        row(&stdout, "partially_accepted"),
        ["partially_accepted", "partial", "2", "1"]
    );
}

#[test]
fn verify_refuses_partially_accepted_on_a_pass_fail_problem() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("data/secret")).unwrap();
    std::fs::write(p.join("problem.yaml"), "name: Double\n").unwrap();
    std::fs::write(p.join("data/secret/1.in"), "2\n").unwrap();
    std::fs::write(p.join("data/secret/1.ans"), "4\n").unwrap();
    let subs = p.join("submissions/partially_accepted");
    std::fs::create_dir_all(&subs).unwrap();
    std::fs::write(subs.join("double.py"), "print(2 * int(input()))\n").unwrap();
    let out = judge(&["verify", p.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&subs.display().to_string()) && err.contains("for scored problems"),
        "{err}"
    );
}

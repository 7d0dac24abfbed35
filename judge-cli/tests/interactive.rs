//! `judge run` on the interactive `guess` packages: verdicts, exit status, `--transcript`, and
//! `judge verify` on an interactive package.

mod common;

use common::{judge, problem, root};

use std::process::Output;

use serde_json::Value;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn run_json(problem_name: &str, submission: &str, extra: &[&str]) -> (Output, Value) {
    let dir = problem(problem_name);
    let src = dir.join("submissions").join(submission);
    let mut args = vec![
        "run",
        src.to_str().unwrap(),
        "--tests",
        dir.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = judge(&args);
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&out)));
    (out, doc)
}

#[test]
fn interactive_verdicts_come_out_of_run_with_their_exit_status() {
    if !root() {
        return;
    }
    for (problem_name, submission, verdict, code) in [
        ("guess", "accepted/bisect.py", "AC", 0),
        ("guess", "time_limit_exceeded/never_flush.c", "TLE", 1),
        ("guess", "run_time_error/crash_after_correct.cpp", "RE", 1),
        ("guess_testlib", "accepted/bisect.c", "AC", 0),
        ("guess_testlib", "wrong_answer/always_500.py", "WA", 1),
    ] {
        let (out, doc) = run_json(problem_name, submission, &[]);
        assert_eq!(
            doc["verdict"], verdict,
            "{problem_name} {submission}: {doc}"
        );
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    }
}

#[test]
fn transcript_writes_one_file_per_test_with_both_directions() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("transcripts");
    let (out, doc) = run_json(
        "guess",
        "accepted/bisect.cpp",
        &["--transcript", target.to_str().unwrap()],
    );
    assert_eq!(doc["verdict"], "AC", "{}", stderr(&out));
    let tests = doc["tests"].as_array().unwrap();
    for test in tests {
        let name = test["name"].as_str().unwrap();
        let path = target.join(format!("{name}.transcript"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(text.contains("> 500\n"), "{name}: {text}");
        assert!(text.contains("< correct\n"), "{name}: {text}");
    }
    // Secret 2 is 1000: the last guess is 1000, answered `correct`.
    let last = std::fs::read_to_string(target.join("secret/2.transcript")).unwrap();
    let lines: Vec<&str> = last.lines().collect();
    assert!(lines[lines.len() - 2].ends_with("> 1000"), "{last}");
    assert!(lines[lines.len() - 1].ends_with("< correct"), "{last}");
}

#[test]
fn transcript_on_a_problem_that_is_not_interactive_is_a_usage_error() {
    if !root() {
        return;
    }
    let dir = problem("hello");
    let src = dir.join("submissions/accepted/hello.c");
    let out = judge(&[
        "run",
        src.to_str().unwrap(),
        "--tests",
        dir.to_str().unwrap(),
        "--transcript",
        "/tmp/unused-transcripts",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not interactive"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn verify_checks_every_submission_of_an_interactive_package() {
    if !root() {
        return;
    }
    let out = judge(&["verify", problem("guess").to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

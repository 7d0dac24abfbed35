//! `judge verify` on the packages of `testcases/problems`: all-matching packages pass, a
//! misplaced submission is named with exit status 1, a bad layout is one clear error.

mod common;

use common::{problem, root, row, text};

use std::path::Path;
use std::process::{Command, Output};

fn verify(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_judge"))
        .arg("verify")
        .arg(dir)
        .output()
        .expect("run judge")
}

#[test]
fn different_passes_with_every_verdict_in_every_language() {
    if !root() {
        return;
    }
    let out = verify(&problem("different"));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    // One per language in each folder; also a threaded accepted one, a sleeping and a fork bomb
    // TLE, and one that floods stderr alone.
    for (folder, verdict, count) in [
        ("accepted", "AC", "6"),
        ("wrong_answer", "WA", "5"),
        ("time_limit_exceeded", "TLE", "7"),
        ("run_time_error", "RE", "5"),
        ("memory_limit_exceeded", "MLE", "5"),
        ("output_limit_exceeded", "OLE", "6"),
        ("compile_error", "CE", "5"),
    ] {
        assert_eq!(row(&stdout, folder), [folder, verdict, count, count]);
    }
    assert!(
        stdout.ends_with("verify: all 39 submissions got their folder's verdict\n"),
        "{stdout}"
    );
}

#[test]
fn hello_passes() {
    if !root() {
        return;
    }
    let out = verify(&problem("hello"));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(row(&stdout, "accepted"), ["accepted", "AC", "3", "3"]);
    assert_eq!(
        row(&stdout, "wrong_answer"),
        ["wrong_answer", "WA", "2", "2"]
    );
}

#[test]
fn a_misplaced_submission_is_named_and_exits_1() {
    if !root() {
        return;
    }
    let out = verify(&problem("misplaced"));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let misplaced = problem("misplaced").join("submissions/wrong_answer/double.c");
    let differences: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(": expected"))
        .collect();
    assert_eq!(
        differences,
        [format!("{}: expected WA, got AC", misplaced.display())],
        "only the misplaced one: {stdout}"
    );
    assert_eq!(
        row(&stdout, "wrong_answer"),
        ["wrong_answer", "WA", "2", "1"]
    );
    assert_eq!(row(&stdout, "accepted"), ["accepted", "AC", "1", "1"]);
    assert!(stdout.contains("verify: 1 of 3 submissions got another verdict"));
}

/// A one-test package in `dir` whose submissions/ holds `folder/double.py`.
fn package(dir: &Path, folder: &str) {
    std::fs::create_dir_all(dir.join("data/secret")).unwrap();
    std::fs::write(dir.join("problem.yaml"), "name: Double\n").unwrap();
    std::fs::write(dir.join("data/secret/1.in"), "2\n").unwrap();
    std::fs::write(dir.join("data/secret/1.ans"), "4\n").unwrap();
    let subs = dir.join("submissions").join(folder);
    std::fs::create_dir_all(&subs).unwrap();
    std::fs::write(subs.join("double.py"), "print(2 * int(input()))\n").unwrap();
}

/// One sentence on stderr, exit status 2, nothing judged.
fn assert_stops(out: &Output, needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("judge: "), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle} missing: {err}");
    }
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn an_unknown_folder_is_an_error_naming_it() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), "accepted");
    let typo = dir.path().join("submissions/acepted");
    std::fs::create_dir(&typo).unwrap();
    std::fs::write(typo.join("x.py"), "print(4)\n").unwrap();
    assert_stops(
        &verify(dir.path()),
        &[
            &typo.display().to_string(),
            "\"acepted\"",
            "accepted, wrong_answer",
        ],
    );
    std::fs::remove_dir_all(&typo).unwrap();
    let out = verify(dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_package_without_submissions_is_an_error() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), "accepted");
    std::fs::remove_dir_all(dir.path().join("submissions")).unwrap();
    assert_stops(&verify(dir.path()), &["no submissions/ directory"]);
    std::fs::create_dir_all(dir.path().join("submissions/accepted")).unwrap();
    assert_stops(&verify(dir.path()), &["no submission in any folder"]);
}

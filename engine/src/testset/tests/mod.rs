//! Discovery tests on directories built in temporary folders: shared helpers and fixtures,
//! then flat directories here, packages and validators in the submodules.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;

use super::*;

mod package;
mod scoring;
mod validators;

/// Creates `rel` under `root` (with parent directories) holding `content`.
fn put(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

/// Creates a test `rel.in` / `rel.<ans_ext>` pair.
fn test_pair(root: &Path, rel: &str, ans_ext: &str) {
    put(root, &format!("{rel}.in"), "1\n");
    put(root, &format!("{rel}.{ans_ext}"), "1\n");
}

fn names(set: &TestSet) -> Vec<&str> {
    set.tests.iter().map(|t| t.name.as_str()).collect()
}

fn tmp() -> TempDir {
    tempfile::tempdir().unwrap()
}

/// A package with samples, nested secret groups, and tests and groups interleaved.
fn package() -> TempDir {
    let d = tmp();
    put(d.path(), "problem.yaml", "name: Test\n");
    for rel in ["sample/2", "sample/1", "secret/10", "secret/2", "secret/1"] {
        test_pair(&d.path().join("data"), rel, "ans");
    }
    for rel in [
        "secret/group10/1",
        "secret/group2/1",
        "secret/group1/05",
        "secret/group1/1",
    ] {
        test_pair(&d.path().join("data"), rel, "ans");
    }
    test_pair(&d.path().join("data"), "secret/group1/deep/1", "ans");
    d
}

#[test]
fn flat_natural_order_and_both_answer_extensions() {
    let d = tmp();
    for (stem, ext) in [
        ("10", "ans"),
        ("2", "out"),
        ("1", "ans"),
        ("a10", "out"),
        ("a2", "ans"),
    ] {
        test_pair(d.path(), stem, ext);
    }
    let set = discover(d.path()).unwrap();
    assert_eq!(set.format, Format::Flat);
    assert_eq!(names(&set), ["1", "2", "10", "a2", "a10"]);
    assert_eq!(set.tests[1].answer, d.path().join("2.out"));
    assert_eq!(set.tests[2].answer, d.path().join("10.ans"));
    assert_eq!(set.tests[0].input, d.path().join("1.in"));
    assert!(set
        .tests
        .iter()
        .all(|t| t.group.is_none() && t.validator_flags.is_empty()));
    assert_eq!(set.validation, Validation::Default);
    assert_eq!(set.limits, PackageLimits::default());
}

#[test]
fn flat_ignores_other_files_and_subdirectories() {
    let d = tmp();
    test_pair(d.path(), "1", "ans");
    put(d.path(), "README.md", "notes");
    put(d.path(), "gen.py", "print(1)");
    put(d.path(), ".hidden.in", "x");
    test_pair(d.path(), "sub/2", "ans");
    assert_eq!(names(&discover(d.path()).unwrap()), ["1"]);
}

#[test]
fn flat_input_without_answer() {
    let d = tmp();
    test_pair(d.path(), "1", "ans");
    put(d.path(), "2.in", "x");
    let err = discover(d.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "input {} has no answer: expected 2.ans or 2.out next to it",
            d.path().join("2.in").display()
        )
    );
}

#[test]
fn flat_answer_without_input() {
    let d = tmp();
    put(d.path(), "3.out", "x");
    match discover(d.path()) {
        Err(TestSetError::MissingInput { answer, stem }) => {
            assert_eq!(answer, d.path().join("3.out"));
            assert_eq!(stem, "3");
        }
        other => panic!("expected MissingInput, got {other:?}"),
    }
}

#[test]
fn flat_both_answer_files_is_ambiguous() {
    let d = tmp();
    test_pair(d.path(), "1", "ans");
    put(d.path(), "1.out", "1\n");
    assert!(matches!(
        discover(d.path()),
        Err(TestSetError::AmbiguousAnswer { .. })
    ));
}

#[test]
fn empty_directory_has_no_tests() {
    let d = tmp();
    assert!(matches!(discover(d.path()), Err(TestSetError::NoTests { dir }) if dir == d.path()));
    put(d.path(), "notes.txt", "no tests here");
    assert!(matches!(
        discover(d.path()),
        Err(TestSetError::NoTests { .. })
    ));
}

#[test]
fn missing_directory_and_file_instead_of_directory() {
    let d = tmp();
    let missing = d.path().join("nope");
    let err = discover(&missing).unwrap_err();
    assert!(
        matches!(&err, TestSetError::ReadDir { path, .. } if path == &missing),
        "{err:?}"
    );
    put(d.path(), "file", "x");
    assert!(matches!(
        discover(&d.path().join("file")),
        Err(TestSetError::NotADirectory { .. })
    ));
}

#[test]
fn broken_link_to_a_test_file_is_unreadable() {
    let d = tmp();
    put(d.path(), "1.ans", "1\n");
    std::os::unix::fs::symlink(d.path().join("gone"), d.path().join("1.in")).unwrap();
    let err = discover(d.path()).unwrap_err();
    assert!(
        matches!(&err, TestSetError::ReadFile { path, .. } if path.ends_with("1.in")),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("cannot read "), "{err}");
}

#[test]
fn broken_link_to_another_file_is_ignored() {
    let d = tmp();
    test_pair(d.path(), "1", "ans");
    std::os::unix::fs::symlink(d.path().join("gone"), d.path().join("notes")).unwrap();
    assert_eq!(names(&discover(d.path()).unwrap()), ["1"]);
}

#[test]
fn special_file_as_input_is_not_a_file() {
    let d = tmp();
    put(d.path(), "1.ans", "1\n");
    let _socket = std::os::unix::net::UnixListener::bind(d.path().join("1.in")).unwrap();
    assert!(matches!(
        discover(d.path()),
        Err(TestSetError::NotAFile { path }) if path.ends_with("1.in")
    ));
}

#[test]
fn flat_timelimit_file() {
    let d = tmp();
    test_pair(d.path(), "1", "ans");
    put(d.path(), ".timelimit", "1.5\n");
    let set = discover(d.path()).unwrap();
    assert_eq!(set.limits.time_limit, Some(Duration::from_millis(1500)));
    put(d.path(), ".timelimit", "fast");
    assert!(matches!(
        discover(d.path()),
        Err(TestSetError::BadTimeLimitFile { content, .. }) if content == "fast"
    ));
    for bad in ["-1", "0", "100000", "1e300", "NaN", "inf"] {
        put(d.path(), ".timelimit", bad);
        let err = discover(d.path()).unwrap_err();
        assert!(
            matches!(&err, TestSetError::Limit(e) if e.at() == &crate::limits::Source::File {
                path: d.path().join(".timelimit"),
                key: None,
            }),
            "{bad}: {err:?}"
        );
    }
}

//! Discovery tests on directories built in temporary folders.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;

use super::*;

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

// ---- flat directories ----

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
    put(d.path(), ".timelimit", "-1");
    assert!(discover(d.path()).is_err());
}

// ---- problem packages ----

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
fn package_order_samples_first_natural_and_recursive() {
    let d = package();
    let set = discover(d.path()).unwrap();
    assert_eq!(set.format, Format::LegacyPackage);
    assert_eq!(
        names(&set),
        [
            "sample/1",
            "sample/2",
            "secret/1",
            "secret/2",
            "secret/10",
            "secret/group1/1",
            "secret/group1/05",
            "secret/group1/deep/1",
            "secret/group2/1",
            "secret/group10/1",
        ]
    );
    let t = &set.tests[6];
    assert_eq!(t.group.as_deref(), Some("secret/group1"));
    assert_eq!(t.input, d.path().join("data/secret/group1/05.in"));
    assert_eq!(t.answer, d.path().join("data/secret/group1/05.ans"));
    assert_eq!(set.tests[0].group.as_deref(), Some("sample"));
    assert_eq!(set.validation, Validation::Default);
}

#[test]
fn package_interleaves_tests_and_groups_by_name() {
    let d = tmp();
    for rel in ["secret/b", "secret/a/1", "secret/c/1", "secret/b/1"] {
        test_pair(&d.path().join("data"), rel, "ans");
    }
    let set = discover(d.path()).unwrap();
    // No problem.yaml: a data/ directory is enough to be a package.
    assert_eq!(set.format, Format::LegacyPackage);
    assert_eq!(
        names(&set),
        ["secret/a/1", "secret/b", "secret/b/1", "secret/c/1"]
    );
}

#[test]
fn package_other_data_directories_are_not_tests() {
    let d = package();
    test_pair(&d.path().join("data"), "invalid_input/1", "ans");
    test_pair(&d.path().join("data"), "stray", "ans");
    let set = discover(d.path()).unwrap();
    assert!(names(&set)
        .iter()
        .all(|n| n.starts_with("sample/") || n.starts_with("secret/")));
}

#[test]
fn package_input_without_answer_in_a_group() {
    let d = package();
    put(d.path(), "data/secret/group2/7.in", "x");
    match discover(d.path()) {
        Err(TestSetError::MissingAnswer { input, .. }) => {
            assert_eq!(input, d.path().join("data/secret/group2/7.in"))
        }
        other => panic!("expected MissingAnswer, got {other:?}"),
    }
}

#[test]
fn package_without_tests() {
    let d = tmp();
    put(d.path(), "problem.yaml", "");
    fs::create_dir_all(d.path().join("data/secret")).unwrap();
    match discover(d.path()) {
        Err(TestSetError::NoTests { dir }) => assert_eq!(dir, d.path().join("data")),
        other => panic!("expected NoTests, got {other:?}"),
    }
}

#[test]
fn package_broken_group_link_is_an_error() {
    let d = tmp();
    put(d.path(), "problem.yaml", "");
    test_pair(&d.path().join("data"), "sample/1", "ans");
    std::os::unix::fs::symlink(d.path().join("gone"), d.path().join("data/secret")).unwrap();
    assert!(matches!(
        discover(d.path()),
        Err(TestSetError::ReadDir { path, .. }) if path.ends_with("data/secret")
    ));
}

#[test]
fn empty_problem_yaml_gives_defaults() {
    let d = package();
    put(d.path(), "problem.yaml", "# nothing but a comment\n");
    let set = discover(d.path()).unwrap();
    assert_eq!(set.limits, PackageLimits::default());
    assert_eq!(set.validation, Validation::Default);
}

#[test]
fn limits_are_read() {
    let d = package();
    put(
        d.path(),
        "problem.yaml",
        "limits:\n  time_multiplier: 3\n  time_safety_margin: 1.5\n  memory: 512\n  output: 16\n\
         \x20 time_limit: 2.5\n  validation_time: 30\n",
    );
    let l = discover(d.path()).unwrap().limits;
    assert_eq!(l.time_multiplier, 3.0);
    assert_eq!(l.time_safety_margin, 1.5);
    assert_eq!(l.memory_mib, Some(512));
    assert_eq!(l.output_mib, Some(16));
    assert_eq!(l.time_limit, Some(Duration::from_millis(2500)));
    assert_eq!(l.validation_time, Some(Duration::from_secs(30)));
    assert_eq!(l.code_kib, None);
}

#[test]
fn new_format_time_multipliers() {
    let d = package();
    put(
        d.path(),
        "problem.yaml",
        "problem_format_version: 2023-07-draft\nlimits:\n  time_multipliers:\n    \
         ac_to_time_limit: 2\n    time_limit_to_tle: 1.2\n",
    );
    let set = discover(d.path()).unwrap();
    assert_eq!(set.format, Format::NewPackage);
    assert_eq!(set.limits.time_multiplier, 2.0);
    assert_eq!(set.limits.time_safety_margin, 1.2);
}

#[test]
fn bad_limits_are_errors() {
    let d = package();
    put(d.path(), "problem.yaml", "limits:\n  memory: 0\n");
    let err = discover(d.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            TestSetError::BadLimit {
                key: "limits.memory",
                ..
            }
        ),
        "{err:?}"
    );
    put(d.path(), "problem.yaml", "limits:\n  time_multiplier: -2\n");
    let err = discover(d.path()).unwrap_err().to_string();
    assert!(
        err.contains("bad value -2 for limits.time_multiplier"),
        "{err}"
    );
}

#[test]
fn timelimit_file_in_package_and_conflict() {
    let d = package();
    put(d.path(), ".timelimit", "2\n");
    assert_eq!(
        discover(d.path()).unwrap().limits.time_limit,
        Some(Duration::from_secs(2))
    );
    put(d.path(), "problem.yaml", "limits:\n  time_limit: 2.0\n");
    assert!(discover(d.path()).is_ok());
    put(d.path(), "problem.yaml", "limits:\n  time_limit: 3\n");
    let err = discover(d.path()).unwrap_err();
    assert!(
        matches!(err, TestSetError::ConflictingTimeLimits { .. }),
        "{err:?}"
    );
}

#[test]
fn malformed_problem_yaml() {
    let d = package();
    put(d.path(), "problem.yaml", "limits: [unclosed\n");
    let err = discover(d.path()).unwrap_err();
    assert!(
        matches!(&err, TestSetError::Yaml { path, .. } if path.ends_with("problem.yaml")),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("malformed "), "{err}");
}

#[test]
fn unknown_problem_yaml_key_is_named() {
    let d = package();
    put(d.path(), "problem.yaml", "validaton: custom\n");
    let err = discover(d.path()).unwrap_err().to_string();
    assert!(err.contains("unknown field `validaton`"), "{err}");
    put(d.path(), "problem.yaml", "limits:\n  memroy: 5\n");
    let err = discover(d.path()).unwrap_err().to_string();
    assert!(err.contains("memroy"), "{err}");
}

#[test]
fn wrong_type_in_problem_yaml() {
    let d = package();
    put(d.path(), "problem.yaml", "limits:\n  memory: lots\n");
    assert!(matches!(discover(d.path()), Err(TestSetError::Yaml { .. })));
}

#[test]
fn unknown_validation_type() {
    let d = package();
    put(d.path(), "problem.yaml", "validation: special\n");
    let err = discover(d.path()).unwrap_err().to_string();
    assert!(
        err.ends_with("unknown validation \"special\"; expected \"default\", or \"custom\" optionally followed by \"interactive\" and/or \"score\""),
        "{err}"
    );
}

#[test]
fn unsupported_format_version() {
    let d = package();
    put(d.path(), "problem.yaml", "problem_format_version: 1999\n");
    assert!(matches!(
        discover(d.path()),
        Err(TestSetError::UnsupportedFormatVersion { .. })
    ));
}

#[test]
fn validator_flags_from_problem_and_testdata_yaml() {
    let d = package();
    put(
        d.path(),
        "problem.yaml",
        "validator_flags: float_tolerance 1e-6\n",
    );
    put(
        d.path(),
        "data/secret/testdata.yaml",
        "output_validator_flags: case_sensitive\n",
    );
    put(
        d.path(),
        "data/secret/group2/testdata.yaml",
        "on_reject: continue\n",
    );
    put(
        d.path(),
        "data/secret/group10/testdata.yaml",
        "output_validator_flags: space_change_sensitive\n",
    );
    let set = discover(d.path()).unwrap();
    let flags = |name: &str| {
        set.tests
            .iter()
            .find(|t| t.name == name)
            .unwrap()
            .validator_flags
            .join(" ")
    };
    assert_eq!(flags("sample/1"), "float_tolerance 1e-6");
    assert_eq!(flags("secret/1"), "float_tolerance 1e-6 case_sensitive");
    // A testdata.yaml without flags inherits them from the nearest ancestor that sets them.
    assert_eq!(
        flags("secret/group2/1"),
        "float_tolerance 1e-6 case_sensitive"
    );
    assert_eq!(
        flags("secret/group1/deep/1"),
        "float_tolerance 1e-6 case_sensitive"
    );
    assert_eq!(
        flags("secret/group10/1"),
        "float_tolerance 1e-6 space_change_sensitive"
    );
}

#[test]
fn root_testdata_yaml_applies_to_samples_too() {
    let d = package();
    put(
        d.path(),
        "data/testdata.yaml",
        "output_validator_args: [a, b]\n",
    );
    let set = discover(d.path()).unwrap();
    assert_eq!(set.tests[0].validator_flags, ["a", "b"]);
}

#[test]
fn malformed_testdata_yaml() {
    let d = package();
    put(
        d.path(),
        "data/secret/group1/testdata.yaml",
        "output_validator_flag: x\n",
    );
    let err = discover(d.path()).unwrap_err();
    assert!(
        matches!(&err, TestSetError::Yaml { path, .. } if path.ends_with("group1/testdata.yaml")),
        "{err:?}"
    );
}

// ---- output validators ----

fn custom_package(validation: &str) -> TempDir {
    let d = package();
    put(
        d.path(),
        "problem.yaml",
        &format!("validation: {validation}\n"),
    );
    d
}

#[test]
fn cpp_validator_directory() {
    let d = custom_package("custom");
    let v = d.path().join("output_validators/checker");
    put(&v, "validate.cpp", "int main() {}");
    put(&v, "validate.h", "");
    put(&v, "README", "how it works");
    let set = discover(d.path()).unwrap();
    let Validation::Custom { validators, score } = set.validation else {
        panic!("expected custom validation, got {:?}", set.validation);
    };
    assert!(!score);
    assert_eq!(validators.len(), 1);
    assert_eq!(validators[0].name, "checker");
    assert_eq!(validators[0].path, v);
    assert_eq!(validators[0].language, ValidatorLanguage::Cpp);
    assert_eq!(validators[0].sources, [v.join("validate.cpp")]);
}

#[test]
fn single_file_python_validator() {
    let d = custom_package("custom score");
    put(
        d.path(),
        "output_validators/check.py",
        "#!/usr/bin/env python3\n",
    );
    let set = discover(d.path()).unwrap();
    let Validation::Custom { validators, score } = set.validation else {
        panic!("expected custom validation");
    };
    assert!(score);
    let file = d.path().join("output_validators/check.py");
    assert_eq!(validators[0].name, "check");
    assert_eq!(
        validators[0].language,
        ValidatorLanguage::Python3 { main: file }
    );
}

#[test]
fn c_validator_and_several_validators_in_order() {
    let d = custom_package("custom");
    put(d.path(), "output_validators/v10/check.c", "");
    put(d.path(), "output_validators/v2/check.c", "");
    let set = discover(d.path()).unwrap();
    let Validation::Custom { validators, .. } = set.validation else {
        panic!("expected custom validation");
    };
    let names: Vec<&str> = validators.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["v2", "v10"]);
    assert!(validators
        .iter()
        .all(|v| v.language == ValidatorLanguage::C));
}

#[test]
fn interactive_validation_is_its_own_variant() {
    let d = custom_package("custom interactive");
    put(d.path(), "output_validators/inter/inter.cpp", "");
    let set = discover(d.path()).unwrap();
    assert!(matches!(
        set.validation,
        Validation::Interactive { score: false, .. }
    ));
}

#[test]
fn custom_without_validator() {
    let d = custom_package("custom");
    let err = discover(d.path()).unwrap_err();
    assert!(
        matches!(err, TestSetError::MissingValidator { .. }),
        "{err:?}"
    );
    fs::create_dir_all(d.path().join("output_validators")).unwrap();
    assert!(matches!(
        discover(d.path()),
        Err(TestSetError::MissingValidator { .. })
    ));
}

#[test]
fn default_validation_ignores_validator_directory() {
    let d = package();
    put(d.path(), "output_validators/x/x.cpp", "");
    assert_eq!(discover(d.path()).unwrap().validation, Validation::Default);
}

#[test]
fn python_validator_entry_point() {
    let d = custom_package("custom");
    put(d.path(), "output_validators/v/util.py", "");
    put(d.path(), "output_validators/v/other.py", "");
    assert!(matches!(
        discover(d.path()),
        Err(TestSetError::ValidatorNoPythonMain { .. })
    ));
    put(d.path(), "output_validators/v/main.py", "");
    let Validation::Custom { validators, .. } = discover(d.path()).unwrap().validation else {
        panic!("expected custom validation");
    };
    assert_eq!(
        validators[0].language,
        ValidatorLanguage::Python3 {
            main: d.path().join("output_validators/v/main.py")
        }
    );
    assert_eq!(validators[0].sources.len(), 3);
}

#[test]
fn validator_problems() {
    /// Files under output_validators/, and what the error must be.
    type Case = (
        &'static [(&'static str, &'static str)],
        fn(&TestSetError) -> bool,
    );
    let cases: [Case; 5] = [
        (
            &[("v/a.cpp", ""), ("v/b.py", "")],
            |e| matches!(e, TestSetError::ValidatorMixedLanguages { languages, .. } if languages == "C++, Python"),
        ),
        (&[("v/notes.txt", "")], |e| {
            matches!(e, TestSetError::ValidatorNoSources { .. })
        }),
        (
            &[("v/Check.java", ""), ("v/x.cpp", "")],
            |e| matches!(e, TestSetError::ValidatorUnsupportedLanguage { file, .. } if file.ends_with("Check.java")),
        ),
        (&[("v/build", ""), ("v/x.cpp", "")], |e| {
            matches!(e, TestSetError::ValidatorBuildScripts { .. })
        }),
        (&[("v.py", "#!/usr/bin/python2\nprint 1\n")], |e| {
            matches!(e, TestSetError::ValidatorPython2 { .. })
        }),
    ];
    for (files, check) in cases {
        let d = custom_package("custom");
        for (rel, content) in files {
            put(&d.path().join("output_validators"), rel, content);
        }
        let err = discover(d.path()).unwrap_err();
        assert!(check(&err), "{files:?}: {err:?}");
    }
}

#[test]
fn new_format_interactive_type_and_output_validator_dir() {
    let d = package();
    put(
        d.path(),
        "problem.yaml",
        "problem_format_version: 2023-07-draft\ntype: [interactive, scoring]\nname: X\n",
    );
    put(d.path(), "output_validator/interactor.cpp", "");
    let set = discover(d.path()).unwrap();
    let Validation::Interactive { validators, score } = set.validation else {
        panic!("expected interactive validation, got {:?}", set.validation);
    };
    assert!(score);
    assert_eq!(validators[0].path, d.path().join("output_validator"));
    assert_eq!(validators[0].name, "output_validator");
}

#[test]
fn new_format_custom_when_validator_present() {
    let d = package();
    put(
        d.path(),
        "problem.yaml",
        "problem_format_version: 2023-07-draft\n",
    );
    put(d.path(), "output_validator/v.py", "");
    assert!(matches!(
        discover(d.path()).unwrap().validation,
        Validation::Custom { score: false, .. }
    ));
}

#[test]
fn unsupported_problem_type() {
    let d = package();
    put(d.path(), "problem.yaml", "type: submit-answer\n");
    let err = discover(d.path()).unwrap_err().to_string();
    assert!(
        err.ends_with("problem type \"submit-answer\" is not supported by this judge"),
        "{err}"
    );
}

#[test]
fn tests_keep_paths_inside_root() {
    let d = package();
    let set = discover(d.path()).unwrap();
    let inside = |p: &PathBuf| p.starts_with(d.path().join("data"));
    assert!(set
        .tests
        .iter()
        .all(|t| inside(&t.input) && inside(&t.answer)));
    assert_eq!(set.root, d.path());
}

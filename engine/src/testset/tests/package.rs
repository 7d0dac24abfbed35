//! Problem packages: order, groups, problem.yaml, limits, testdata.yaml flags.

use std::fs;
use std::time::Duration;

use super::*;
use crate::limits::{LimitError, Source};

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
fn time_factors_default_by_format_and_the_resolution_is_read() {
    let d = package();
    put(
        d.path(),
        "problem.yaml",
        "problem_format_version: 2023-07-draft\nlimits:\n  time_resolution: 0.5\n",
    );
    let l = discover(d.path()).unwrap().limits;
    assert_eq!((l.time_multiplier, l.time_safety_margin), (2.0, 1.5));
    assert_eq!(l.time_resolution, 0.5);
    assert_eq!(l.time_limit, None);
    put(d.path(), "problem.yaml", "name: Legacy\n");
    let l = discover(d.path()).unwrap().limits;
    assert_eq!((l.time_multiplier, l.time_safety_margin), (5.0, 2.0));
    assert_eq!(l.time_resolution, 1.0);
}

#[test]
fn bad_limits_are_errors() {
    let d = package();
    put(d.path(), "problem.yaml", "limits:\n  memory: 0\n");
    let err = discover(d.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            TestSetError::Limit(LimitError::Size {
                at: Source::File {
                    key: Some("limits.memory"),
                    ..
                },
                ..
            })
        ),
        "{err:?}"
    );
    put(d.path(), "problem.yaml", "limits:\n  time_multiplier: -2\n");
    let err = discover(d.path()).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "problem.yaml: limits.time_multiplier: -2: a factor must be above 0 and at most 100"
        ),
        "{err}"
    );
    put(
        d.path(),
        "problem.yaml",
        "limits:\n  validation_passes: 0\n",
    );
    let err = discover(d.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            TestSetError::BadLimit {
                key: "limits.validation_passes",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn limits_beyond_their_bounds_are_refused_naming_the_file() {
    let d = package();
    let yaml = d.path().join("problem.yaml");
    put(d.path(), "problem.yaml", "limits:\n  memory: 99999999\n");
    let err = discover(d.path()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}: limits.memory: 99999999 MiB: a size must be above 0 and at most the host's \
             memory (",
            yaml.display()
        )),
        "{err}"
    );
    for (line, key) in [
        ("time_limit: 100000", "limits.time_limit"),
        ("time_limit: .nan", "limits.time_limit"),
        ("time_limit: .inf", "limits.time_limit"),
        ("time_limit: 1e300", "limits.time_limit"),
        ("validation_time: 3601", "limits.validation_time"),
        ("compilation_time: 0", "limits.compilation_time"),
        ("time_resolution: -1", "limits.time_resolution"),
        ("output: 18446744073709551615", "limits.output"),
        ("validation_memory: 99999999", "limits.validation_memory"),
        ("code: 18446744073709551615", "limits.code"),
        ("time_safety_margin: 1e300", "limits.time_safety_margin"),
        ("time_multiplier: .nan", "limits.time_multiplier"),
    ] {
        put(d.path(), "problem.yaml", &format!("limits:\n  {line}\n"));
        let err = discover(d.path()).unwrap_err();
        assert!(
            matches!(&err, TestSetError::Limit(e) if e.at() == &Source::File {
                path: yaml.clone(),
                key: Some(key),
            }),
            "{line}: {err:?}"
        );
    }
    put(
        d.path(),
        "problem.yaml",
        "limits:\n  time_limit: 3600\n  memory: 1\n",
    );
    assert!(discover(d.path()).is_ok());
}

#[test]
fn a_timelimit_file_of_100000_is_refused_naming_the_file() {
    let d = package();
    put(d.path(), ".timelimit", "100000\n");
    let err = discover(d.path()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}: 100000 s: a time limit must be above 0 and at most an hour",
            d.path().join(".timelimit").display()
        )
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
fn test_group_yaml_is_read_as_testdata_yaml_and_both_at_once_is_an_error() {
    let d = package();
    put(
        d.path(),
        "problem.yaml",
        "problem_format_version: 2025-09\nname: x\n",
    );
    put(
        d.path(),
        "data/secret/test_group.yaml",
        "output_validator_args: [float_tolerance, \"1e-6\"]\noutput_visualizer_args: [x]\n",
    );
    let set = discover(d.path()).unwrap();
    let secret = set
        .tests
        .iter()
        .find(|t| t.name.starts_with("secret/"))
        .unwrap();
    assert_eq!(secret.validator_flags, ["float_tolerance", "1e-6"]);
    put(
        d.path(),
        "data/secret/testdata.yaml",
        "output_validator_args: [a]\n",
    );
    let err = discover(d.path()).unwrap_err().to_string();
    assert!(
        err.contains("test_group.yaml") && err.contains("testdata.yaml"),
        "{err}"
    );
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

#[test]
fn an_interaction_sample_without_input_is_noted_not_run() {
    let d = package();
    put(d.path(), "data/sample/4.interaction", "> 1\n< 2\n");
    put(d.path(), "data/sample/3.interaction", "> 1\n");
    put(d.path(), "data/sample/3.in", "1\n");
    put(d.path(), "data/sample/3.ans", "1\n");
    let set = discover(d.path()).unwrap();
    assert_eq!(set.notes.len(), 1, "{:?}", set.notes);
    assert!(set.notes[0].contains("sample/4.interaction has no .in"));
    assert!(set.tests.iter().any(|t| t.name == "sample/3"));
    assert!(!set.tests.iter().any(|t| t.name == "sample/4"));
}

#[test]
fn a_tests_own_yaml_sets_its_arguments_over_its_groups() {
    let d = package();
    put(
        d.path(),
        "problem.yaml",
        "problem_format_version: 2025-09\nname: x\n",
    );
    put(
        d.path(),
        "data/secret/group1/test_group.yaml",
        "output_validator_args: [float_tolerance, \"1e-6\"]\nargs: [--group]\n",
    );
    put(
        d.path(),
        "data/secret/group1/05.yaml",
        "output_validator_args: [case_sensitive]\nargs: [--big, \"7\"]\ndescription: the \
         largest\nhint: think\nfull_feedback: false\n",
    );
    let set = discover(d.path()).unwrap();
    let test = |name: &str| set.tests.iter().find(|t| t.name == name).unwrap();
    let own = test("secret/group1/05");
    assert_eq!(own.validator_flags, ["case_sensitive"]);
    assert_eq!(own.args, ["--big", "7"]);
    // Its neighbour, and a deeper group, inherit the group's.
    let other = test("secret/group1/1");
    assert_eq!(other.validator_flags, ["float_tolerance", "1e-6"]);
    assert_eq!(other.args, ["--group"]);
    assert_eq!(test("secret/group1/deep/1").args, ["--group"]);
    assert!(test("secret/1").args.is_empty());

    put(d.path(), "data/secret/group1/05.yaml", "verdict: AC\n");
    let err = discover(d.path()).unwrap_err().to_string();
    assert!(err.contains("05.yaml") && err.contains("verdict"), "{err}");
}

#[test]
fn a_legacy_package_has_no_test_yaml() {
    let d = package();
    // BAPCtools keeps generator notes there; the legacy format does not read them.
    put(d.path(), "data/secret/1.yaml", "generator: x\n");
    let set = discover(d.path()).unwrap();
    assert_eq!(set.format, Format::LegacyPackage);
    assert!(set.tests.iter().all(|t| t.args.is_empty()));
}

#[test]
fn in_a_package_the_ans_file_is_the_answer_beside_an_out() {
    let d = package();
    put(d.path(), "data/sample/1.out", "shown in the statement\n");
    let set = discover(d.path()).unwrap();
    assert_eq!(set.tests[0].answer, d.path().join("data/sample/1.ans"));
}

#[test]
fn a_tests_files_directory_is_refused_naming_it() {
    let d = package();
    fs::create_dir_all(d.path().join("data/secret/1.files")).unwrap();
    let err = discover(d.path()).unwrap_err().to_string();
    assert!(
        err.contains("1.files") && err.contains("not supported"),
        "{err}"
    );
}

//! Output validators: languages, entry points, and what is refused.

use std::fs;

use super::*;

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
fn a_directory_with_build_or_run_scripts_is_built_and_run_by_them() {
    for (files, build) in [
        (&[("v/build", ""), ("v/x.cpp", "")][..], true),
        (&[("v/run", "#!/bin/sh\n")][..], false),
    ] {
        let d = custom_package("custom");
        for (rel, content) in files {
            put(&d.path().join("output_validators"), rel, content);
        }
        let set = discover(d.path()).unwrap();
        let Validation::Custom { validators, .. } = set.validation else {
            panic!("expected custom validation, got {:?}", set.validation);
        };
        assert_eq!(validators[0].name, "v");
        assert_eq!(
            validators[0].language,
            ValidatorLanguage::BuildRun { build },
            "{files:?}"
        );
    }
}

#[test]
fn an_output_validator_dir_holding_one_program_directory_is_that_program() {
    let d = package();
    put(
        d.path(),
        "problem.yaml",
        "problem_format_version: 2023-07-draft\nname: X\nvalidation: custom\n",
    );
    put(
        d.path(),
        "output_validator/README.md",
        "the checker is in check/",
    );
    put(
        d.path(),
        "output_validator/check/check.cpp",
        "int main() {}",
    );
    let set = discover(d.path()).unwrap();
    let Validation::Custom { validators, .. } = set.validation else {
        panic!("expected custom validation, got {:?}", set.validation);
    };
    assert_eq!(validators[0].name, "check");
    assert_eq!(validators[0].language, ValidatorLanguage::Cpp);
}

#[test]
fn validator_problems() {
    /// Files under output_validators/, and what the error must be.
    type Case = (
        &'static [(&'static str, &'static str)],
        fn(&TestSetError) -> bool,
    );
    let cases: [Case; 4] = [
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

//! The pipeline's own rules, on small problems made in temporary directories: the work
//! directory at run time, parallel tests, checkers, validators that fail.

mod common;

use std::path::Path;
use std::time::Duration;

use common::root;
use judge_engine::judge::{Options, Problem, Report};
use judge_engine::profile::ProfileSet;
use judge_engine::testset;
use judge_engine::verdict::Verdict;

/// A flat test directory with `cases` as (input, answer).
fn flat(dir: &Path, cases: &[(&str, &str)]) {
    for (i, (input, answer)) in cases.iter().enumerate() {
        std::fs::write(dir.join(format!("{}.in", i + 1)), input).unwrap();
        std::fs::write(dir.join(format!("{}.ans", i + 1)), answer).unwrap();
    }
}

fn judge_source(
    tests: &Path,
    name: &str,
    source: &str,
    options: &Options,
    checker: Option<&str>,
) -> Report {
    judge_with(
        tests,
        name,
        source,
        options,
        checker,
        &common::pool(2, true),
    )
}

fn judge_with(
    tests: &Path,
    name: &str,
    source: &str,
    options: &Options,
    checker: Option<&str>,
    pool: &judge_engine::pool::Pool,
) -> Report {
    let sandbox = common::sandbox();
    let profiles = ProfileSet::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, source).unwrap();
    let mut problem =
        Problem::prepare(sandbox, &profiles, testset::discover(tests).unwrap()).unwrap();
    if let Some(checker) = checker {
        problem.use_checker(checker).unwrap();
    }
    let profile = profiles.for_source(&path, None).unwrap();
    std::sync::Arc::new(problem)
        .judge(pool, profile, &path, options, &|_| {})
        .unwrap()
}

#[test]
fn at_run_time_the_work_directory_is_read_only_and_tmp_is_writable() {
    if !root() {
        return;
    }
    let tests = tempfile::tempdir().unwrap();
    flat(tests.path(), &[("", "EROFS ok\n")]);
    let source = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    FILE *w = fopen("/work/planted", "w");
    printf("%s ", w ? "ok" : strerrorname_np(errno));
    FILE *t = fopen("/tmp/scratch", "w");
    printf("%s\n", t ? "ok" : strerrorname_np(errno));
    return 0;
}
"#;
    let report = judge_source(tests.path(), "w.c", source, &Options::default(), None);
    assert_eq!(report.verdict, Verdict::AC, "{:?}", report.tests);
}

#[test]
fn parallel_tests_are_reported_in_test_order() {
    if !root() {
        return;
    }
    let tests = tempfile::tempdir().unwrap();
    let cases: Vec<(String, String)> = (0..12)
        .map(|i| (format!("{i}\n"), format!("{}\n", i * 2)))
        .collect();
    let cases: Vec<(&str, &str)> = cases
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    flat(tests.path(), &cases);
    // Wrong on tests 5 and 9 (inputs 4 and 8).
    let source = "n = int(input())\nprint(n * 2 + (1 if n in (4, 8) else 0))\n";
    let all = Options {
        run_all: true,
        ..Options::default()
    };
    let a = judge_with(
        tests.path(),
        "d.py",
        source,
        &all,
        None,
        &common::pool(1, true),
    );
    let b = judge_with(
        tests.path(),
        "d.py",
        source,
        &all,
        None,
        &common::pool(3, true),
    );
    let summary = |r: &Report| -> Vec<(String, Verdict)> {
        r.tests
            .iter()
            .map(|t| (t.name.clone(), t.verdict))
            .collect()
    };
    assert_eq!(summary(&a), summary(&b));
    assert_eq!(b.tests.len(), 12);
    let names: Vec<&str> = b.tests.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]
    );
    assert_eq!(b.verdict, Verdict::WA);
    assert_eq!(b.tests[4].verdict, Verdict::WA);
    assert_eq!(b.tests[8].verdict, Verdict::WA);
    // Without --all, the report ends at the first failure even when tests ran ahead.
    let first = judge_with(
        tests.path(),
        "d.py",
        source,
        &Options::default(),
        None,
        &common::pool(3, true),
    );
    assert_eq!(first.tests.len(), 5);
    assert_eq!(first.tests[4].verdict, Verdict::WA);
}

#[test]
fn the_exact_and_lines_checkers_can_replace_the_default() {
    if !root() {
        return;
    }
    let tests = tempfile::tempdir().unwrap();
    flat(tests.path(), &[("", "a b\nc\n")]);
    let trailing = "print('a b   ')\nprint('c')\n";
    let spaced = "print('a  b')\nprint('c')\n";
    let o = Options::default();
    let t = tests.path();
    assert_eq!(
        judge_source(t, "x.py", trailing, &o, None).verdict,
        Verdict::AC
    );
    assert_eq!(
        judge_source(t, "x.py", trailing, &o, Some("lines")).verdict,
        Verdict::AC
    );
    assert_eq!(
        judge_source(t, "x.py", trailing, &o, Some("exact")).verdict,
        Verdict::WA
    );
    assert_eq!(
        judge_source(t, "x.py", spaced, &o, Some("lines")).verdict,
        Verdict::WA
    );
    assert_eq!(
        judge_source(t, "x.py", spaced, &o, None).verdict,
        Verdict::AC
    );
}

#[test]
fn constants_are_replaced_in_validators_and_example_submissions_only() {
    if !root() {
        return;
    }
    let package = tempfile::tempdir().unwrap();
    let p = package.path();
    std::fs::write(
        p.join("problem.yaml"),
        "problem_format_version: 2023-07\nname: Constants\nuuid: 9d8e7f60-1a2b-4c3d-8e9f-0a1b2c3d4e5f\n\
         constants:\n  secret: 4242\n",
    )
    .unwrap();
    std::fs::create_dir_all(p.join("data/secret")).unwrap();
    // Test data is not substituted: the validator must see the braces in the answer file.
    std::fs::write(p.join("data/secret/1.in"), "{{secret}}\n").unwrap();
    std::fs::write(p.join("data/secret/1.ans"), "{{secret}}\n").unwrap();
    std::fs::create_dir_all(p.join("output_validator")).unwrap();
    // Accepts exactly the constant's value, and only if the answer file kept its braces.
    std::fs::write(
        p.join("output_validator/validate.py"),
        "import sys\nans = open(sys.argv[2]).read().strip()\ngot = sys.stdin.read().strip()\n\
         sys.exit(42 if ans == '{{' + 'secret}}' and got == '{{secret}}' else 43)\n",
    )
    .unwrap();
    let source = "print('{{secret}}')\n";
    let example = Options {
        constants: true,
        ..Options::default()
    };
    let report = judge_source(p, "s.py", source, &example, None);
    assert_eq!(report.verdict, Verdict::AC, "{:?}", report.tests);
    // A contestant's source is judged as written: it prints the braces.
    let report = judge_source(p, "s.py", source, &Options::default(), None);
    assert_eq!(report.verdict, Verdict::WA, "{:?}", report.tests);
}

#[test]
fn a_failing_validator_is_an_internal_error_not_the_submissions() {
    if !root() {
        return;
    }
    let package = tempfile::tempdir().unwrap();
    let p = package.path();
    std::fs::write(p.join("problem.yaml"), "name: Broken\nvalidation: custom\n").unwrap();
    std::fs::create_dir_all(p.join("data/secret")).unwrap();
    std::fs::write(p.join("data/secret/1.in"), "1\n").unwrap();
    std::fs::write(p.join("data/secret/1.ans"), "1\n").unwrap();
    std::fs::create_dir_all(p.join("output_validators/broken")).unwrap();
    std::fs::write(
        p.join("output_validators/broken/validate.py"),
        "import sys\nsys.exit(5)\n",
    )
    .unwrap();
    let report = judge_source(p, "ok.py", "print(1)\n", &Options::default(), None);
    assert_eq!(report.verdict, Verdict::IE, "{:?}", report.tests);
    assert!(
        report.tests[0].message.contains("Exited(5)"),
        "{}",
        report.tests[0].message
    );
}

#[test]
fn a_validator_of_one_file_is_a_program_like_a_directory() {
    if !root() {
        return;
    }
    // Legacy output_validators/ holding files, not directories: each file is a program.
    for (name, validator) in [
        (
            "accept_odd.c",
            "#include <stdio.h>\nint main(void) { int x; return scanf(\"%d\", &x) == 1 && x % 2 \
             ? 42 : 43; }\n",
        ),
        (
            "accept_odd.py",
            "import sys\nsys.exit(42 if int(sys.stdin.read()) % 2 else 43)\n",
        ),
    ] {
        let package = tempfile::tempdir().unwrap();
        let p = package.path();
        std::fs::write(p.join("problem.yaml"), "name: Odd\nvalidation: custom\n").unwrap();
        std::fs::create_dir_all(p.join("data/secret")).unwrap();
        std::fs::write(p.join("data/secret/1.in"), "\n").unwrap();
        std::fs::write(p.join("data/secret/1.ans"), "1\n").unwrap();
        std::fs::create_dir_all(p.join("output_validators")).unwrap();
        std::fs::write(p.join("output_validators").join(name), validator).unwrap();
        // Not the answer file's 1, but odd: only the validator accepts it.
        let odd = judge_source(p, "odd.py", "print(7)\n", &Options::default(), None);
        assert_eq!(odd.verdict, Verdict::AC, "{name}: {:?}", odd.tests);
        let even = judge_source(p, "even.py", "print(8)\n", &Options::default(), None);
        assert_eq!(even.verdict, Verdict::WA, "{name}: {:?}", even.tests);
    }
}

#[test]
fn a_runtime_error_reports_the_end_of_stderr() {
    if !root() {
        return;
    }
    let tests = tempfile::tempdir().unwrap();
    flat(tests.path(), &[("", "1\n")]);
    let report = judge_source(
        tests.path(),
        "boom.py",
        "raise KeyError('the key')\n",
        &Options::default(),
        None,
    );
    assert_eq!(report.verdict, Verdict::RE);
    let message = &report.tests[0].message;
    assert!(message.starts_with("exit code 1"), "{message}");
    assert!(message.contains("KeyError: 'the key'"), "{message}");
}

#[test]
fn a_java_source_is_named_after_its_public_class_whatever_its_file_name() {
    if !root() {
        return;
    }
    let tests = tempfile::tempdir().unwrap();
    flat(tests.path(), &[("", "42\n")]);
    let source = "public class Answer {\n    public static void main(String[] a) {\n        System.out.println(42);\n    }\n}\n";
    let options = Options {
        time_limit: Some(Duration::from_secs(5)),
        ..Options::default()
    };
    let report = judge_source(tests.path(), "my solution.java", source, &options, None);
    assert_eq!(
        report.verdict,
        Verdict::AC,
        "{} {:?}",
        report.compile.message,
        report.tests
    );
}

#[test]
fn a_validators_feedback_link_never_makes_the_engine_read_a_host_file() {
    if !root() {
        return;
    }
    let secret_dir = tempfile::tempdir().unwrap();
    let secret = secret_dir.path().join("secret");
    std::fs::write(&secret, "HOST SECRET\n").unwrap();
    let package = tempfile::tempdir().unwrap();
    let p = package.path();
    std::fs::write(p.join("problem.yaml"), "name: Linker\nvalidation: custom\n").unwrap();
    std::fs::create_dir_all(p.join("data/secret")).unwrap();
    std::fs::write(p.join("data/secret/1.in"), "1\n").unwrap();
    std::fs::write(p.join("data/secret/1.ans"), "1\n").unwrap();
    std::fs::create_dir_all(p.join("output_validators/linker")).unwrap();
    // The feedback directory is the validator's to write: it points the judge message at a
    // host file, by the path the engine (root, outside) would follow.
    std::fs::write(
        p.join("output_validators/linker/validate.py"),
        format!(
            "import os, sys\nos.symlink({:?}, os.path.join(sys.argv[3], 'judgemessage.txt'))\n\
             sys.exit(43)\n",
            secret.display().to_string()
        ),
    )
    .unwrap();
    let report = judge_source(p, "ok.py", "print(1)\n", &Options::default(), None);
    let test = &report.tests[0];
    assert_eq!(test.verdict, Verdict::WA, "{test:?}");
    assert!(!test.message.contains("HOST SECRET"), "{}", test.message);
    assert!(
        test.message.contains("not a regular file"),
        "{}",
        test.message
    );
}

#[test]
fn a_tests_args_reach_the_submission_and_its_validator_args_the_validator() {
    if !root() {
        return;
    }
    let package = tempfile::tempdir().unwrap();
    let p = package.path();
    let put = |rel: &str, text: &str| {
        let path = p.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    put(
        "problem.yaml",
        "problem_format_version: 2025-09\nname: Args\nuuid: 1\n",
    );
    put("data/secret/test_group.yaml", "args: [from-group]\n");
    put("data/secret/1.in", "\n");
    put("data/secret/1.ans", "from-group\n");
    put("data/secret/2.in", "\n");
    put("data/secret/2.ans", "two words|x\n");
    put("data/secret/2.yaml", "args: [two words, x]\n");
    // The answer is 0.5; only this test's tolerance accepts 0.51.
    put("data/secret/3.in", "\n");
    put("data/secret/3.ans", "0.5\n");
    put(
        "data/secret/3.yaml",
        "args: [\"0.51\"]\noutput_validator_args: [float_absolute_tolerance, \"0.1\"]\n",
    );
    let echo = "import sys\nprint('|'.join(sys.argv[1:]))\n";
    let report = judge_source(p, "echo.py", echo, &Options::default(), None);
    assert_eq!(report.verdict, Verdict::AC, "{:?}", report.tests);
    // Without the tolerance the same output is wrong.
    put("data/secret/3.yaml", "args: [\"0.51\"]\n");
    let report = judge_source(p, "echo.py", echo, &Options::default(), None);
    assert_eq!(report.verdict, Verdict::WA, "{:?}", report.tests);
    assert_eq!(report.tests[2].verdict, Verdict::WA);
}

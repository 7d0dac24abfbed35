//! Multi-pass problems end to end: each pass's input is the `nextpass.in` the validator left,
//! the feedback directory survives between passes, limits hold per pass, and a validator that
//! breaks the rules (too many passes, `nextpass.in` beside a rejection, `nextpass.in` as a
//! link to a host file) is the problem's fault, never the submission's.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{root, testcases};
use judge_engine::judge::{JudgeError, Options, Problem, Report};
use judge_engine::profile::ProfileSet;
use judge_engine::testset;
use judge_engine::verdict::Verdict;

/// A 2023-07 multi-pass package in `dir` with one test (input "1\n"), at most `passes` passes,
/// and the output validator `validator` (C).
fn package(dir: &Path, validator: &str, passes: u32) {
    std::fs::write(
        dir.join("problem.yaml"),
        format!(
            "problem_format_version: 2023-07-draft\nname: Passes\ntype: multi-pass\n\
             limits:\n  validation_passes: {passes}\n"
        ),
    )
    .unwrap();
    let secret = dir.join("data/secret");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(secret.join("1.in"), "1\n").unwrap();
    std::fs::write(secret.join("1.ans"), "\n").unwrap();
    let validator_dir = dir.join("output_validator");
    std::fs::create_dir_all(&validator_dir).unwrap();
    std::fs::write(validator_dir.join("validate.c"), validator).unwrap();
}

fn judge_source(tests: &Path, name: &str, source: &str) -> Result<Report, JudgeError> {
    let profiles = ProfileSet::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, source).unwrap();
    let problem = Problem::prepare(
        common::sandbox(),
        &profiles,
        testset::discover(tests).unwrap(),
    )?;
    let profile = profiles.for_source(&path, None).unwrap();
    let options = Options {
        time_limit: Some(Duration::from_secs(1)),
        ..Options::default()
    };
    std::sync::Arc::new(problem).judge(&common::pool(1, true), profile, &path, &options, &|_| {})
}

/// Prints the number it read, plus one: each pass's output.
const COUNTER: &str = "#include <stdio.h>\nint main(void) { int n; if (scanf(\"%d\", &n) != 1) \
                       return 1; printf(\"%d\\n\", n + 1); return 0; }\n";

/// A validator that reads the submission's number k, appends it to `seen` in the feedback
/// directory, and, while k is below `stop`, asks for another pass with input k; it accepts at
/// `stop` if `seen` holds every pass's number (the directory survived). `code` is its exit
/// code when it asks for another pass.
fn counting_validator(stop: i32, code: i32) -> String {
    format!(
        r#"#include <stdio.h>
int main(int argc, char **argv) {{
    char path[4096];
    int k, n = 0, x, count = 0;
    if (argc < 4 || scanf("%d", &k) != 1) return 1;
    snprintf(path, sizeof path, "%sseen", argv[3]);
    FILE *seen = fopen(path, "a");
    fprintf(seen, "%d\n", k);
    fclose(seen);
    if (k < {stop}) {{
        snprintf(path, sizeof path, "%snextpass.in", argv[3]);
        FILE *next = fopen(path, "w");
        fprintf(next, "%d\n", k);
        fclose(next);
        return {code};
    }}
    seen = fopen(path, "r");
    while (fscanf(seen, "%d", &x) == 1) {{ count++; if (x != count + 1) return 43; }}
    (void)n;
    return count == k - 1 ? 42 : 43;
}}
"#
    )
}

#[test]
fn passes_chain_through_nextpass_and_keep_the_feedback_directory() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Inputs 1, 2, 3, 4: outputs 2, 3, 4, 5; the validator accepts at 5, after four passes.
    package(dir.path(), &counting_validator(5, 42), 4);
    let report = judge_source(dir.path(), "counter.c", COUNTER).unwrap();
    assert_eq!(report.verdict, Verdict::AC, "{:?}", report.tests);
}

#[test]
fn one_pass_more_than_validation_passes_is_a_judge_error() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The same chain needs four passes; the package allows three.
    package(dir.path(), &counting_validator(5, 42), 3);
    let report = judge_source(dir.path(), "counter.c", COUNTER).unwrap();
    assert_eq!(report.verdict, Verdict::IE);
    let message = &report.tests[0].message;
    assert!(
        message.contains("pass 3") && message.contains("limits.validation_passes (3)"),
        "{message}"
    );
}

#[test]
fn nextpass_beside_a_rejection_is_a_judge_error() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), &counting_validator(5, 43), 4);
    let report = judge_source(dir.path(), "counter.c", COUNTER).unwrap();
    assert_eq!(report.verdict, Verdict::IE);
    assert!(
        report.tests[0]
            .message
            .contains("nextpass.in and did not accept"),
        "{}",
        report.tests[0].message
    );
}

#[test]
fn a_nextpass_link_to_a_host_file_is_never_followed() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The validator leaves nextpass.in as a link to the host's /etc/shadow.
    let hostile = r#"#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char path[4096];
    if (argc < 4) return 1;
    snprintf(path, sizeof path, "%snextpass.in", argv[3]);
    return symlink("/etc/shadow", path) == 0 ? 42 : 1;
}
"#;
    package(dir.path(), hostile, 4);
    let report = judge_source(dir.path(), "counter.c", COUNTER).unwrap();
    assert_eq!(report.verdict, Verdict::IE);
    let message = &report.tests[0].message;
    assert!(message.contains("nextpass.in"), "{message}");
}

#[test]
fn the_time_limit_holds_for_each_pass() {
    if !root() {
        return;
    }
    let problem = testcases().join("problems/remember");
    let source =
        std::fs::read_to_string(problem.join("submissions/time_limit_exceeded/spin_second.c"))
            .unwrap();
    let report = judge_source(&problem, "spin_second.c", &source).unwrap();
    assert_eq!(report.verdict, Verdict::TLE);
    let failed = report
        .tests
        .iter()
        .find(|t| t.verdict == Verdict::TLE)
        .unwrap();
    assert!(failed.message.starts_with("pass 2: "), "{}", failed.message);
}

#[test]
fn several_output_validators_cannot_share_the_passes() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("problem.yaml"),
        "name: Passes\nvalidation: custom multi-pass\n",
    )
    .unwrap();
    let secret = dir.path().join("data/secret");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(secret.join("1.in"), "1\n").unwrap();
    std::fs::write(secret.join("1.ans"), "\n").unwrap();
    for name in ["a.c", "b.c"] {
        let validators = dir.path().join("output_validators");
        std::fs::create_dir_all(&validators).unwrap();
        std::fs::write(validators.join(name), "int main(void) { return 42; }\n").unwrap();
    }
    let err = judge_source(dir.path(), "counter.c", COUNTER).unwrap_err();
    assert!(
        matches!(err, JudgeError::MultiPassValidators { count: 2, .. }),
        "{err}"
    );
}

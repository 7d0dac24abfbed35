//! The ptrace backend through `judge`: chosen by `--sandbox ptrace` or a profile's `sandbox`
//! key, and taken by itself, with one warning, where the host refuses namespaces (a seccomp
//! filter as Docker's default profile, `testcases/sandbox/no_namespaces.c`, and without
//! `CAP_SYS_PTRACE`, as in a container), unless
//! `--sandbox namespaces` insists. Every verdict still comes out right, and a submission that
//! answers right only while confined is AC.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{judge, problem, root, text};

fn testcase(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testcases")
        .join(path)
        .canonicalize()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

fn submission(path: &str) -> String {
    testcase(&format!("problems/different/submissions/{path}"))
}

fn verdict(out: &Output) -> String {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    doc["verdict"].as_str().unwrap().to_owned()
}

fn run(source: &str, extra: &[&str]) -> Output {
    let tests = problem("different");
    let mut args = vec![
        "run",
        source,
        "--tests",
        tests.to_str().unwrap(),
        "--json",
        "--no-cache",
    ];
    args.extend_from_slice(extra);
    judge(&args)
}

#[test]
fn every_verdict_comes_out_right_under_ptrace() {
    if !root() {
        return;
    }
    let ptrace = ["--sandbox", "ptrace", "--time-limit", "0.5"];
    for (source, expected) in [
        (testcase("ptrace/traced.c"), "AC"),
        (submission("accepted/different.cpp"), "AC"),
        (submission("accepted/different.py"), "AC"),
        (submission("accepted/Different.java"), "AC"),
        (submission("wrong_answer/adds_instead.java"), "WA"),
        (submission("time_limit_exceeded/spin.c"), "TLE"),
        (submission("time_limit_exceeded/fork_bomb.c"), "TLE"),
        (submission("memory_limit_exceeded/hog.c"), "MLE"),
        (submission("run_time_error/Throw.java"), "RE"),
    ] {
        let out = run(&source, &ptrace);
        assert_eq!(verdict(&out), expected, "{source}: {}", text(&out.stderr));
    }
    assert!(!Path::new("/tmp/judge-traced-escape").exists());
}

/// `testcases/sandbox/no_namespaces.c`, compiled once into a directory of the test's.
fn no_namespaces(dir: &Path) -> PathBuf {
    let out = dir.join("no_namespaces");
    let status = Command::new("gcc")
        .args(["-O2", "-o"])
        .arg(&out)
        .arg(testcase("sandbox/no_namespaces.c"))
        .status()
        .unwrap();
    assert!(status.success());
    out
}

#[test]
fn where_namespaces_are_refused_judge_traces_with_one_warning() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wrapper = no_namespaces(dir.path());
    // The filter holds: no namespace for anyone under it.
    let unshare = Command::new(&wrapper)
        .args(["/usr/bin/unshare", "--user", "true"])
        .output()
        .unwrap();
    assert!(!unshare.status.success(), "{}", text(&unshare.stderr));
    let tests = problem("different");
    // As in a container: no CAP_SYS_PTRACE either (the tracer must do without).
    let under = |extra: &[&str]| {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--bounding-set", "-sys_ptrace"])
            .arg(&wrapper)
            .arg(env!("CARGO_BIN_EXE_judge"))
            .args([
                "run",
                &testcase("ptrace/traced.c"),
                "--tests",
                tests.to_str().unwrap(),
                "--json",
                "--no-cache",
            ]);
        cmd.args(extra).output().unwrap()
    };
    let out = under(&[]);
    assert_eq!(verdict(&out), "AC", "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert_eq!(err.matches("ptrace backend").count(), 1, "{err}");
    // judge bench measures what this host can run: the traced sandbox.
    let out = Command::new("setpriv")
        .args(["--bounding-set", "-sys_ptrace"])
        .arg(&wrapper)
        .arg(env!("CARGO_BIN_EXE_judge"))
        .args([
            "bench", "--rounds", "1", "--runs", "3", "--tests", "20", "--json",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let layers: Vec<&str> = doc["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["layer"].as_str().unwrap())
        .collect();
    assert_eq!(
        layers,
        [
            "bare fork+exec+wait",
            "ptrace backend: full fresh sandbox",
            "ptrace backend: fresh sandbox on a pool worker"
        ],
        "{doc}"
    );
    // Insisting on namespaces is one clear error.
    let out = under(&["--sandbox", "namespaces"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("namespaces backend was asked for"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_profile_may_ask_for_ptrace_and_a_bad_value_is_named() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles/c.toml");
    let c = std::fs::read_to_string(builtin).unwrap();
    std::fs::write(
        dir.path().join("c.toml"),
        format!("sandbox = \"ptrace\"\n{c}"),
    )
    .unwrap();
    let profiles = dir.path().to_str().unwrap();
    let out = run(&testcase("ptrace/traced.c"), &["--profiles", profiles]);
    assert_eq!(verdict(&out), "AC", "{}", text(&out.stderr));
    std::fs::write(
        dir.path().join("c.toml"),
        format!("sandbox = \"chroot\"\n{c}"),
    )
    .unwrap();
    let out = run(&testcase("ptrace/traced.c"), &["--profiles", profiles]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("sandbox") && err.contains("\"chroot\"") && err.contains("c.toml"),
        "{err}"
    );
}

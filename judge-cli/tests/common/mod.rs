//! Shared helpers of the `judge` binary's tests: the root check, the test problems, running the
//! binary.

#![allow(dead_code)]

pub mod nats;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Whether this test can run. Tests need root; outside CI they skip with a note, but when
/// `CI=true` a test that cannot run fails, never skips quietly.
pub fn root() -> bool {
    if judge_engine::sandbox::running_as_root() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("this test needs root and CI=true: it must run, not skip");
    }
    eprintln!("skipped: this test needs root");
    false
}

/// `testcases/problems`, canonical, so that paths equal the keys the reports record.
pub fn problems() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testcases/problems")
        .canonicalize()
        .unwrap()
}

pub fn problem(name: &str) -> PathBuf {
    problems().join(name)
}

/// Run `judge` with `args`, its output captured.
pub fn judge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_judge"))
        .args(args)
        .output()
        .expect("run judge")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The summary row of `folder` in `judge verify`'s table, split on whitespace.
pub fn row(stdout: &str, folder: &str) -> Vec<String> {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{folder} ")))
        .unwrap_or_else(|| panic!("no row for {folder}: {stdout}"))
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

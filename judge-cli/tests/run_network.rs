//! `--network` and a profile's `run.network` through `judge run`: a submission that answers
//! only when it can serve and connect to itself on 127.0.0.1 is AC with `loopback` (from the
//! flag or from its profile) and WA without.

mod common;

use common::{judge, problem, root, text};

fn verdict(args: &[&str]) -> String {
    let out = judge(args);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    doc["verdict"].as_str().unwrap().to_owned()
}

#[test]
fn a_submission_serving_itself_needs_a_loopback_network() {
    if !root() {
        return;
    }
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testcases/network/self_served.c")
        .canonicalize()
        .unwrap();
    let source = source.to_str().unwrap();
    let tests = problem("different");
    let tests = tests.to_str().unwrap();
    let base = ["run", source, "--tests", tests, "--json", "--no-cache"];
    assert_eq!(verdict(&base), "WA");
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        [base, extra].concat()
    }
    assert_eq!(verdict(&with(&base, &["--network", "loopback"])), "AC");
    assert_eq!(verdict(&with(&base, &["--network", "none"])), "WA");

    // The same from the profile: a `c` profile whose run step has `network = "loopback"`.
    let dir = tempfile::tempdir().unwrap();
    let builtin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles/c.toml");
    let c = std::fs::read_to_string(builtin).unwrap();
    let c = c.replacen("[run]\n", "[run]\nnetwork = \"loopback\"\n", 1);
    std::fs::write(dir.path().join("c.toml"), &c).unwrap();
    let profiles = dir.path().to_str().unwrap();
    assert_eq!(verdict(&with(&base, &["--profiles", profiles])), "AC");
    // The flag wins over the profile.
    assert_eq!(
        verdict(&with(&base, &["--profiles", profiles, "--network", "none"])),
        "WA"
    );

    // A value that is neither is refused, naming the key and the file.
    std::fs::write(
        dir.path().join("c.toml"),
        c.replace("network = \"loopback\"", "network = \"wifi\""),
    )
    .unwrap();
    let out = judge(&with(&base, &["--profiles", profiles]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("run.network") && err.contains("\"wifi\"") && err.contains("c.toml"),
        "{err}"
    );
    let out = judge(&with(&base, &["--network", "wifi"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("write none or loopback"));
}

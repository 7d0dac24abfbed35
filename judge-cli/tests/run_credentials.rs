//! `--host-ids` and `--inside-ids` through `judge run`: the submission runs as the ids asked
//! for (it reads its own uid map), and ids that belong to a host account are refused, naming
//! the account.

mod common;

use common::{judge, root, text};

/// A tests directory whose one answer is `answer`, and the path of the probe submission.
fn tests(answer: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1.in"), "").unwrap();
    std::fs::write(dir.path().join("1.ans"), format!("{answer}\n")).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testcases/credentials/ids.py")
        .canonicalize()
        .unwrap();
    (dir, source.to_str().unwrap().to_owned())
}

fn verdict(extra: &[&str], answer: &str) -> String {
    let (dir, source) = tests(answer);
    let mut args = vec![
        "run",
        &source,
        "--tests",
        dir.path().to_str().unwrap(),
        "--json",
        "--jobs",
        "1",
    ];
    args.extend_from_slice(extra);
    let out = judge(&args);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    doc["verdict"].as_str().unwrap().to_owned()
}

#[test]
fn the_submission_runs_as_the_ids_asked_for() {
    if !root() {
        return;
    }
    // The one worker runs as the second set of host ids: the first is for compiles.
    assert_eq!(verdict(&[], "1000 60002"), "AC");
    let ids = ["--inside-ids", "4321:4321", "--host-ids", "70000:70000"];
    assert_eq!(verdict(&ids, "4321 70002"), "AC");
    assert_eq!(verdict(&ids, "1000 60002"), "WA");
}

#[test]
fn host_ids_of_an_account_and_inside_root_are_refused() {
    if !root() {
        return;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let (uid, name) = passwd
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((f.get(2)?.parse::<u32>().ok()?, f[0].to_owned()))
        })
        .filter(|(uid, _)| (1000..4_000_000_000).contains(uid))
        // The highest (nobody's, on Debian): no other account sits just below it.
        .max()
        .expect("an account with a uid of at least 1000");
    // The account's uid is the namespace root's of the third set.
    let first = format!("{}:3000000000", uid - 5);
    let (dir, source) = tests("x");
    let tests = dir.path().to_str().unwrap();
    let out = judge(&["run", &source, "--tests", tests, "--host-ids", &first]);
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("uid {uid}")) && err.contains(&format!("{name:?}")),
        "{err}"
    );
    let out = judge(&["run", &source, "--tests", tests, "--inside-ids", "0:0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--inside-ids"),
        "{}",
        text(&out.stderr)
    );
}

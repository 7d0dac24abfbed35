//! `judge batch` on `testcases/`: its JSON Lines and CSV reports, error rows, and `--resume`
//! after the process is killed in the middle of a batch.

mod common;

use common::{judge, problems, root, text};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Minimal RFC 4180 reading of one line (the report writes one line per record).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// Each submission's number of records in a JSON Lines report.
fn counts(records: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in records {
        *counts
            .entry(r["submission"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

#[test]
fn hello_reports_every_submission_once_with_error_rows_for_the_unjudgeable() {
    if !root() {
        return;
    }
    let hello = problems().join("hello");
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().canonicalize().unwrap();
    std::fs::write(extra.join("notes.xyz"), "not a program\n").unwrap();
    std::fs::write(extra.join("binary.c"), b"int main\0() {}").unwrap();
    let (json, csv) = (extra.join("r.jsonl"), extra.join("r.csv"));
    let out = judge(&[
        "batch",
        "--problem",
        hello.to_str().unwrap(),
        hello.join("submissions").to_str().unwrap(),
        extra.join("notes.xyz").to_str().unwrap(),
        extra.join("binary.c").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let mut expected: BTreeMap<String, &str> = BTreeMap::new();
    for (folder, verdict) in [("accepted", "AC"), ("wrong_answer", "WA")] {
        for entry in std::fs::read_dir(hello.join("submissions").join(folder)).unwrap() {
            expected.insert(entry.unwrap().path().display().to_string(), verdict);
        }
    }
    assert_eq!(expected.len(), 5);
    let notes = extra.join("notes.xyz").display().to_string();
    let binary = extra.join("binary.c").display().to_string();
    expected.insert(notes.clone(), "IE");
    expected.insert(binary.clone(), "CE");

    let records = json_lines(&json);
    assert_eq!(records.len(), expected.len(), "{records:?}");
    assert!(counts(&records).values().all(|&n| n == 1));
    let run_keys = [
        "exit_code",
        "memory_kib",
        "message",
        "name",
        "signal",
        "time_ms",
        "verdict",
        "wall_ms",
    ];
    for r in &records {
        let submission = r["submission"].as_str().unwrap();
        assert_eq!(r["verdict"], expected[submission], "{r}");
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "compile",
                "language",
                "memory_kib",
                "message",
                "submission",
                "tests",
                "time_ms",
                "verdict"
            ]
        );
        if r["verdict"] == "IE" || r["submission"] == binary.as_str() {
            continue;
        }
        assert_eq!(r["compile"]["ok"], true);
        let tests = r["tests"].as_array().unwrap();
        assert!(!tests.is_empty());
        for t in tests {
            let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
            assert_eq!(keys, run_keys, "the per-test shape of judge run --json");
        }
        if r["verdict"] == "AC" {
            assert_eq!(tests.len(), 2);
            assert_eq!(r["message"], "");
        } else {
            assert!(!r["message"].as_str().unwrap().is_empty());
        }
    }
    let by_key: BTreeMap<&str, &Value> = records
        .iter()
        .map(|r| (r["submission"].as_str().unwrap(), r))
        .collect();
    let unknown = by_key[notes.as_str()];
    assert!(unknown["language"].is_null() && unknown["compile"].is_null());
    assert!(unknown["message"]
        .as_str()
        .unwrap()
        .contains("extension .xyz"));
    // A source that is no program text is the submission's fault: CE, with the reason.
    let bad = by_key[binary.as_str()];
    assert_eq!(bad["language"], "c");
    assert_eq!(bad["compile"]["ok"], false);
    assert!(
        bad["compile"]["message"]
            .as_str()
            .unwrap()
            .contains("a NUL byte at offset 8: a binary file"),
        "{bad}"
    );
    assert_eq!(bad["tests"].as_array().unwrap().len(), 0);

    let csv_text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = csv_text.lines();
    assert_eq!(
        lines.next(),
        Some("submission,language,verdict,time_ms,memory_kib,tests_passed,tests_run,message")
    );
    let rows: Vec<Vec<String>> = lines.map(csv_fields).collect();
    assert_eq!(rows.len(), expected.len(), "{csv_text}");
    let mut seen = BTreeSet::new();
    for row in &rows {
        assert_eq!(row.len(), 8, "{row:?}");
        assert!(seen.insert(row[0].clone()), "twice: {}", row[0]);
        assert_eq!(row[2], expected[&row[0]], "{row:?}");
        let record = by_key[row[0].as_str()];
        assert_eq!(row[3], record["time_ms"].to_string());
        assert_eq!(row[4], record["memory_kib"].to_string());
        let run = record["tests"].as_array().unwrap();
        let passed = run.iter().filter(|t| t["verdict"] == "AC").count();
        assert_eq!(
            (row[5].clone(), row[6].clone()),
            (passed.to_string(), run.len().to_string())
        );
        if row[2] == "AC" {
            assert_eq!(row[5], "2");
        }
    }
    let unknown_row = rows.iter().find(|r| r[0] == notes).unwrap();
    assert!(
        unknown_row[7].contains(", "),
        "a message with commas: {unknown_row:?}"
    );
    assert_eq!(unknown_row[7], unknown["message"].as_str().unwrap());

    let table = text(&out.stdout);
    assert!(
        table.contains("7 submissions judged: AC 3, WA 2, CE 1, IE 1"),
        "{table}"
    );
}

/// Wait until `path` holds a complete line, or panic after `limit`.
fn wait_for_a_line(path: &Path, limit: Duration) {
    let start = Instant::now();
    while !std::fs::read(path).is_ok_and(|b| b.contains(&b'\n')) {
        assert!(start.elapsed() < limit, "no record written in {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn resume_after_a_kill_judges_only_what_is_missing_and_repairs_a_torn_line() {
    if !root() {
        return;
    }
    let different = problems().join("different");
    let spin = different.join("submissions/time_limit_exceeded/spin.c");
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path().canonicalize().unwrap();
    let subs = root_dir.join("subs");
    std::fs::create_dir(&subs).unwrap();
    let count = 8;
    let keys: BTreeSet<String> = (0..count)
        .map(|i| {
            let path = subs.join(format!("spin{i}.c"));
            std::fs::copy(&spin, &path).unwrap();
            path.display().to_string()
        })
        .collect();
    let (json, csv) = (root_dir.join("r.jsonl"), root_dir.join("r.csv"));
    let args = |resume: bool, jobs: &str| {
        let mut a = vec![
            "batch".to_owned(),
            "--problem".to_owned(),
            different.display().to_string(),
            subs.display().to_string(),
            "--time-limit".to_owned(),
            "300ms".to_owned(),
            "--jobs".to_owned(),
            jobs.to_owned(),
            "--json".to_owned(),
            json.display().to_string(),
            "--csv".to_owned(),
            csv.display().to_string(),
        ];
        if resume {
            a.push("--resume".to_owned());
        }
        a
    };

    // About 0.4 s a submission on one worker: the kill lands with most of them still to do.
    let mut child = Command::new(env!("CARGO_BIN_EXE_judge"))
        .args(args(false, "1"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_a_line(&json, Duration::from_secs(60));
    child.kill().unwrap();
    child.wait().unwrap();

    let before = std::fs::read_to_string(&json).unwrap();
    let recorded = counts(&json_lines(&json));
    assert!(!recorded.is_empty() && recorded.len() < count, "{before}");
    assert!(recorded.values().all(|&n| n == 1));
    // A kill between the two appends of one submission leaves it in the JSON report only;
    // make sure of that case: the CSV report loses its last row.
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    let mut csv_lines: Vec<&str> = csv_text.lines().collect();
    if csv_lines.len() > 1 {
        csv_lines.pop();
    }
    std::fs::write(&csv, format!("{}\n", csv_lines.join("\n"))).unwrap();
    let in_csv: BTreeSet<String> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| csv_fields(l)[0].clone())
        .collect();
    let in_both = recorded.keys().filter(|k| in_csv.contains(*k)).count();
    assert!(
        in_both < recorded.len(),
        "one submission is in the JSON report only"
    );

    // A kill in the middle of a write leaves a torn line: half of a record for a submission
    // that is not recorded yet.
    let missing = keys.iter().find(|k| !recorded.contains_key(*k)).unwrap();
    let first = before.lines().next().unwrap();
    let first_key = serde_json::from_str::<Value>(first).unwrap()["submission"]
        .as_str()
        .unwrap()
        .to_owned();
    let torn_record = first.replace(&first_key, missing);
    std::fs::write(
        &json,
        format!("{before}{}", &torn_record[..torn_record.len() / 2]),
    )
    .unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_judge"))
        .args(args(true, "2"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("torn last line"),
        "{}",
        text(&out.stderr)
    );

    let after = std::fs::read_to_string(&json).unwrap();
    assert!(
        after.starts_with(&before),
        "the records from before the kill are kept as they were"
    );
    let final_counts = counts(&json_lines(&json));
    assert_eq!(
        final_counts.keys().cloned().collect::<BTreeSet<_>>(),
        keys,
        "every submission recorded"
    );
    assert!(
        final_counts.values().all(|&n| n == 1),
        "none recorded twice, so none judged again: {final_counts:?}"
    );
    for r in json_lines(&json) {
        assert_eq!(r["verdict"], "TLE", "{r}");
    }
    let csv_rows: Vec<String> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| csv_fields(l)[0].clone())
        .collect();
    assert_eq!(csv_rows.len(), count);
    assert_eq!(csv_rows.iter().cloned().collect::<BTreeSet<_>>(), keys);

    let table = text(&out.stdout);
    assert!(
        table.contains(&format!(
            "{in_both} submissions already recorded were skipped"
        )),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            "{} submissions judged: TLE {}",
            count - in_both,
            count - in_both
        )),
        "{table}"
    );

    // Resuming a finished batch judges nothing.
    let again = Command::new(env!("CARGO_BIN_EXE_judge"))
        .args(args(true, "2"))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert!(text(&again.stdout).contains(&format!("{count} submissions already recorded")));
    assert_eq!(std::fs::read_to_string(&json).unwrap(), after);
}

/// One sentence on stderr, exit status 2, nothing on stdout.
fn assert_stops(out: &Output, needle: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("judge: ") && err.contains(needle), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn what_stops_the_whole_batch_is_one_sentence_and_exit_2() {
    if !root() {
        return;
    }
    let hello = problems().join("hello");
    let p = hello.to_str().unwrap();
    let subs = hello.join("submissions/accepted");
    let s = subs.to_str().unwrap();
    assert_stops(
        &judge(&["batch", "--problem", "/no/problem", s]),
        "/no/problem",
    );
    assert_stops(
        &judge(&["batch", "--problem", p, "/no/such/sub.c"]),
        "/no/such/sub.c",
    );
    assert_stops(
        &judge(&["batch", "--problem", p, s, "--resume"]),
        "--resume",
    );
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("notes.csv");
    std::fs::write(&foreign, "name,score\nalice,3\n").unwrap();
    assert_stops(
        &judge(&[
            "batch",
            "--problem",
            p,
            s,
            "--csv",
            foreign.to_str().unwrap(),
        ]),
        foreign.to_str().unwrap(),
    );
    assert_eq!(
        std::fs::read_to_string(&foreign).unwrap(),
        "name,score\nalice,3\n",
        "a file that is not a report is left alone"
    );
}

//! Distributed judging on a real `nats-server` (Debian's, started here on 127.0.0.1 with
//! JetStream and a temporary store): `judge batch --nats` and `judge worker` processes, with
//! workers killed, stalled and stopped, the server restarted, and jobs that cannot be judged.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use common::nats::{self, NatsServer, Worker};
use common::{problems, root, text};
use serde_json::Value;

fn ready() -> bool {
    root() && nats::available()
}

/// The single-file submissions of `different` (every file directly in a verdict folder) and
/// the verdict their folder names.
fn different_submissions() -> Vec<(PathBuf, &'static str)> {
    let dir = problems().join("different/submissions");
    let mut found = Vec::new();
    for (folder, verdict) in [
        ("accepted", "AC"),
        ("wrong_answer", "WA"),
        ("time_limit_exceeded", "TLE"),
        ("memory_limit_exceeded", "MLE"),
        ("output_limit_exceeded", "OLE"),
        ("run_time_error", "RE"),
        ("compile_error", "CE"),
    ] {
        for entry in std::fs::read_dir(dir.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                found.push((path, verdict));
            }
        }
    }
    found.sort();
    found
}

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Wait for the batch to exit (at most `within`), its output.
fn finish(mut child: Child, within: Duration) -> Output {
    let deadline = Instant::now() + within;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the batch did not finish in {within:?}: {}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// Wait until the report has at least `n` records.
fn wait_records(report: &Path, n: usize, within: Duration) {
    let deadline = Instant::now() + within;
    while json_lines(report).len() < n {
        assert!(
            Instant::now() < deadline,
            "fewer than {n} records in {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every submission recorded exactly once, with the verdict its folder names.
fn check_report(records: &[Value], expected: &[(PathBuf, &str)]) {
    assert_eq!(records.len(), expected.len(), "{records:#?}");
    for (path, verdict) in expected {
        let key = path.display().to_string();
        let mine: Vec<&Value> = records.iter().filter(|r| r["submission"] == key).collect();
        assert_eq!(mine.len(), 1, "{key}: {} records", mine.len());
        assert_eq!(mine[0]["verdict"], *verdict, "{key}: {}", mine[0]);
    }
}

fn different_batch(server: &NatsServer, report: &Path) -> (Child, Vec<(PathBuf, &'static str)>) {
    let expected = different_submissions();
    let problem = problems().join("different");
    let mut args = vec![
        "--problem".to_owned(),
        problem.display().to_string(),
        "--json".to_owned(),
        report.display().to_string(),
    ];
    args.extend(expected.iter().map(|(p, _)| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (nats::batch(server, &args), expected)
}

/// A problem of one test, and a C submission that sleeps `secs` seconds and then answers it.
fn slow_problem(dir: &Path, secs: u32) -> (PathBuf, PathBuf) {
    let tests = dir.join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    std::fs::write(tests.join("1.in"), "1 2\n").unwrap();
    std::fs::write(tests.join("1.ans"), "1\n").unwrap();
    let source = dir.join("slow.c");
    std::fs::write(
        &source,
        format!("#include <stdio.h>\n#include <unistd.h>\nint main(void) {{ sleep({secs}); puts(\"1\"); return 0; }}\n"),
    )
    .unwrap();
    (tests, source)
}

fn slow_batch(server: &NatsServer, tests: &Path, source: &Path, report: &Path) -> Child {
    nats::batch(
        server,
        &[
            "--problem",
            tests.to_str().unwrap(),
            source.to_str().unwrap(),
            "--time-limit",
            "10s",
            "--json",
            report.to_str().unwrap(),
        ],
    )
}

#[test]
fn a_worker_killed_mid_batch_loses_nothing_and_nothing_is_recorded_twice() {
    if !ready() {
        return;
    }
    let server = NatsServer::start();
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("r.jsonl");
    let _b = Worker::start(&server, "b", 1, "3s");
    let mut a = Worker::start(&server, "a", 1, "3s");
    let (batch, expected) = different_batch(&server, &report);
    wait_records(&report, 4, Duration::from_secs(300));
    // Kill `a` while it holds a job (if it stored that job's result just before the kill,
    // start another `a` and kill it again).
    let mut killed = None;
    for round in 0..5 {
        let held = a.wait_holding(Duration::from_secs(120));
        a.kill();
        if !a.log().contains(&format!("result stored job={held}")) {
            killed = Some(held);
            break;
        }
        a = Worker::start(&server, &format!("a{round}"), 1, "3s");
    }
    let killed = killed.expect("a worker was killed holding a job");
    let output = finish(batch, Duration::from_secs(600));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    check_report(&json_lines(&report), &expected);
    // The killed worker's job was delivered again and judged elsewhere.
    let result = nats::result_of(&server, &killed).expect("the killed job has a result");
    assert_eq!(result["worker"], "b", "{result}");
    assert!(result["delivery"].as_i64().unwrap() >= 2, "{result}");
    let table = text(&output.stdout);
    assert!(
        table.contains(&format!("{} submissions judged", expected.len())),
        "{table}"
    );
}

#[test]
fn a_stalled_worker_has_its_job_redelivered_and_its_late_result_dropped() {
    if !ready() {
        return;
    }
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (tests, source) = slow_problem(dir.path(), 3);
    let report = dir.path().join("r.jsonl");
    let stalled = Worker::start(&server, "stalled", 1, "2s");
    let batch = slow_batch(&server, &tests, &source, &report);
    let held = stalled.wait_holding(Duration::from_secs(60));
    stalled.signal("STOP");
    let _other = Worker::start(&server, "other", 1, "2s");
    let output = finish(batch, Duration::from_secs(120));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let result = nats::result_of(&server, &held).unwrap();
    assert_eq!(result["worker"], "other", "{result}");
    assert_eq!(result["delivery"], 2, "{result}");
    // Woken, the stalled worker finishes its judging, and its result is dropped.
    stalled.signal("CONT");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !stalled
        .log()
        .lines()
        .any(|l| l.contains("late result is dropped") && l.contains(&held))
    {
        assert!(Instant::now() < deadline, "{}", stalled.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(nats::result_of(&server, &held).unwrap(), result);
    let records = json_lines(&report);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["verdict"], "AC", "{}", records[0]);
}

#[test]
fn the_batch_completes_across_a_server_restart() {
    if !ready() {
        return;
    }
    let mut server = NatsServer::start();
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("r.jsonl");
    let _a = Worker::start(&server, "a", 1, "5s");
    let _b = Worker::start(&server, "b", 1, "5s");
    let (batch, expected) = different_batch(&server, &report);
    wait_records(&report, 6, Duration::from_secs(300));
    server.restart();
    let output = finish(batch, Duration::from_secs(600));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    check_report(&json_lines(&report), &expected);
    assert!(
        server.log().matches("Server is ready").count() >= 2,
        "{}",
        server.log()
    );
}

#[test]
fn a_job_that_kills_every_worker_ends_as_ie_with_each_attempt() {
    if !ready() {
        return;
    }
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (tests, source) = slow_problem(dir.path(), 5);
    let report = dir.path().join("r.jsonl");
    let batch = slow_batch(&server, &tests, &source, &report);
    for name in ["k1", "k2", "k3"] {
        let mut worker = Worker::start(&server, name, 1, "2s");
        worker.wait_holding(Duration::from_secs(60));
        worker.kill();
    }
    let last = Worker::start(&server, "k4", 1, "2s");
    let output = finish(batch, Duration::from_secs(120));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let records = json_lines(&report);
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record["verdict"], "IE", "{record}");
    let message = record["message"].as_str().unwrap();
    assert!(message.contains("failed 3 times"), "{message}");
    for (delivery, name) in [(1, "k1"), (2, "k2"), (3, "k3")] {
        assert!(
            message.contains(&format!("delivery {delivery}: worker {name} took it")),
            "{message}"
        );
    }
    assert!(message.contains("died or stalled"), "{message}");
    // The last worker did not judge it.
    assert!(!last.log().contains(": judging job="), "{}", last.log());
}

#[test]
fn jobs_that_cannot_be_judged_get_an_ie_or_are_dropped_never_a_hang() {
    if !ready() {
        return;
    }
    let server = NatsServer::start();
    let worker = Worker::start(&server, "w", 1, "30s");
    let missing = "ab".repeat(32);
    let job = |id: &str, package: &str, path: &str| {
        serde_json::json!({
            "id": id,
            "package": package,
            "language": "c",
            "submission": format!("/x/{id}.c"),
            "files": [{"path": path, "data": "aW50IG1haW4oKXt9"}],
            "single": true,
        })
        .to_string()
    };
    let payloads = [
        "not a job".to_owned(),
        job("../x.1", &missing, "a.c"),
        job("t.1", &missing, "a.c"),
        job("t.2", "not-a-hash", "a.c"),
    ];
    nats::with_jetstream(&server, |js| async move {
        for payload in payloads {
            js.publish("judge.jobs", payload.into())
                .await
                .unwrap()
                .await
                .unwrap();
        }
    });
    let absent = nats::wait_result(&server, "t.1", Duration::from_secs(60));
    assert_eq!(absent["record"]["verdict"], "IE", "{absent}");
    let message = absent["record"]["message"].as_str().unwrap();
    assert!(
        message.contains(&missing) && message.contains("JUDGE_PACKAGES"),
        "{message}"
    );
    let bad = nats::wait_result(&server, "t.2", Duration::from_secs(60));
    assert_eq!(bad["record"]["verdict"], "IE", "{bad}");
    assert!(
        bad["record"]["message"]
            .as_str()
            .unwrap()
            .contains("not a SHA-256"),
        "{bad}"
    );
    let log = worker.log();
    assert!(log.contains("not a judge job: dropped"), "{log}");
    assert!(log.contains("unusable id: dropped"), "{log}");
}

#[test]
fn sigterm_finishes_the_job_held_and_a_second_sigterm_hands_it_back() {
    if !ready() {
        return;
    }
    let server = NatsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (tests, source) = slow_problem(dir.path(), 2);

    // One SIGTERM: the job held is finished and stored, then the worker exits 0.
    let report = dir.path().join("one.jsonl");
    let mut first = Worker::start(&server, "first", 1, "30s");
    let batch = slow_batch(&server, &tests, &source, &report);
    let held = first.wait_holding(Duration::from_secs(60));
    first.signal("TERM");
    assert_eq!(
        first.wait(Duration::from_secs(60)),
        Some(0),
        "{}",
        first.log()
    );
    assert!(
        first.log().contains(&format!("result stored job={held}")),
        "{}",
        first.log()
    );
    let output = finish(batch, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(json_lines(&report)[0]["verdict"], "AC");

    // Two: the job is cancelled and handed back at once, and another worker judges it.
    let report = dir.path().join("two.jsonl");
    let mut second = Worker::start(&server, "second", 1, "30s");
    let batch = slow_batch(&server, &tests, &source, &report);
    let held = second.wait_holding(Duration::from_secs(60));
    second.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    second.signal("TERM");
    assert_eq!(
        second.wait(Duration::from_secs(60)),
        Some(0),
        "{}",
        second.log()
    );
    assert!(
        second.log().contains(&format!("handed back job={held}")),
        "{}",
        second.log()
    );
    let _third = Worker::start(&server, "third", 1, "30s");
    let output = finish(batch, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(json_lines(&report)[0]["verdict"], "AC");
    let result = nats::result_of(&server, &held).unwrap();
    assert_eq!(result["worker"], "third", "{result}");
}

#[test]
fn judge_serve_with_nats_has_its_submissions_judged_by_workers_with_their_events() {
    if !ready() {
        return;
    }
    use std::io::{BufRead, BufReader};
    let nats_server = NatsServer::start();
    let worker = Worker::start(&nats_server, "remote", 1, "30s");
    let dir = problems();
    let server = common::server::Server::start(&[
        "--problems",
        dir.to_str().unwrap(),
        "--nats",
        &nats_server.url(),
        "--jobs",
        "1",
    ]);
    let different = dir.join("different/submissions");
    for (file, verdict) in [
        ("accepted/different.cpp", "AC"),
        ("wrong_answer/sum.c", "WA"),
    ] {
        let source = std::fs::read_to_string(different.join(file)).unwrap();
        let name = Path::new(file).file_name().unwrap().to_str().unwrap();
        let response = server
            .post("/submissions")
            .json(&serde_json::json!({"problem": "different", "source": source, "filename": name}))
            .send()
            .unwrap();
        assert_eq!(response.status(), 202);
        let created: Value = response.json().unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        // The event stream: compiled, each test, done, as when judged locally.
        let stream = server
            .get(&format!("/submissions/{id}/events"))
            .send()
            .unwrap();
        let mut names = Vec::new();
        for line in BufReader::new(stream).lines() {
            if let Some(name) = line.unwrap().strip_prefix("event: ") {
                names.push(name.to_owned());
            }
        }
        assert_eq!(
            names.first().map(String::as_str),
            Some("compiled"),
            "{names:?}"
        );
        assert_eq!(names.last().map(String::as_str), Some("done"), "{names:?}");
        let tests = names.iter().filter(|n| *n == "test").count();
        let doc: Value = server
            .get(&format!("/submissions/{id}"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(doc["status"], "done", "{doc}");
        assert_eq!(doc["verdict"], verdict, "{doc}");
        assert_eq!(doc["tests"].as_array().unwrap().len(), tests, "{doc}");
        assert!(tests >= 1, "{doc}");
    }
    // The worker judged both; the server enqueued them.
    let judged = worker.log().matches(": judging job=").count();
    assert_eq!(judged, 2, "{}", worker.log());
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert_eq!(log.matches("enqueued on NATS").count(), 2, "{log}");
}

//! `judge serve`'s judging API over HTTP: submissions judged end to end with their events,
//! uploaded packages, bad requests, back-pressure, cancelling, metrics, and shutdown.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::time::{Duration, Instant};

use common::server::{answer, Server};
use common::{judge, problem, problems, root, text};
use serde_json::{json, Value};

fn read(path: &str) -> String {
    std::fs::read_to_string(problem("different").join("submissions").join(path)).unwrap()
}

/// Submit; the status and the answer.
fn submit(server: &Server, body: &Value) -> (u16, Value) {
    answer(server.post("/submissions").json(body).send().unwrap())
}

/// Every event of a submission's stream, `(name, data)`, until the stream ends.
fn events(server: &Server, id: &str) -> Vec<(String, Value)> {
    let response = server
        .get(&format!("/submissions/{id}/events"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut events = Vec::new();
    let mut name = String::new();
    for line in BufReader::new(response).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("event: ") {
            name = n.to_owned();
        } else if let Some(data) = line.strip_prefix("data: ") {
            events.push((name.clone(), serde_json::from_str(data).unwrap()));
        }
    }
    events
}

/// Wait until the submission's state is final; its document.
fn finished(server: &Server, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let (status, doc) = answer(server.get(&format!("/submissions/{id}")).send().unwrap());
        assert_eq!(status, 200, "{doc}");
        if !matches!(doc["status"].as_str(), Some("queued" | "judging")) {
            return doc;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{doc}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_submission_is_judged_with_its_events_as_judge_run_judges_it() {
    if !root() {
        return;
    }
    let dir = problems();
    let server = Server::start(&["--problems", dir.to_str().unwrap()]);
    let source = read("accepted/different.cpp");
    let (status, created) = submit(
        &server,
        &json!({"problem": "different", "source": source, "filename": "different.cpp"}),
    );
    assert_eq!(status, 202, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(matches!(
        created["status"].as_str(),
        Some("queued" | "judging")
    ));
    let events = events(&server, &id);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["compiled", "test", "test", "test", "test", "done"],
        "{events:?}"
    );
    assert_eq!(events[0].1["ok"], true);
    let mut indices: Vec<u64> = events[1..5]
        .iter()
        .map(|(_, t)| t["index"].as_u64().unwrap())
        .collect();
    indices.sort();
    assert_eq!(indices, [0, 1, 2, 3]);
    let done = &events[5].1;
    let doc = finished(&server, &id);
    assert_eq!(doc["status"], "done");
    assert_eq!(doc["id"], id.as_str());
    assert_eq!(&doc["verdict"], &done["verdict"]);
    assert_eq!(&doc["tests"], &done["tests"]);
    // The same document as judge run --json, field for field but the measurements.
    let file = problem("different").join("submissions/accepted/different.cpp");
    let local = judge(&[
        "run",
        file.to_str().unwrap(),
        "--tests",
        problem("different").to_str().unwrap(),
        "--json",
        "--no-cache",
    ]);
    let local: Value = serde_json::from_slice(&local.stdout).unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let mut served = keys(&doc);
    served.retain(|k| !["id", "problem", "status"].contains(&k.as_str()));
    assert_eq!(served, keys(&local));
    assert_eq!(doc["verdict"], local["verdict"]);
    let names = |v: &Value| {
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].clone(), t["verdict"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&doc), names(&local));
    // A wrong answer, a directory of files, and the language named.
    let (_, wrong) = submit(
        &server,
        &json!({"problem": "different", "language": "python3",
                "source": "print(0)\n"}),
    );
    let doc = finished(&server, wrong["id"].as_str().unwrap());
    assert_eq!(doc["verdict"], "WA", "{doc}");
    let (_, split) = submit(
        &server,
        &json!({"problem": "different", "files": {
            "main.py": "from helper import diff\nimport sys\nfor l in sys.stdin:\n    print(diff(*map(int, l.split())))\n",
            "helper.py": "def diff(a, b):\n    return abs(a - b)\n"}}),
    );
    let doc = finished(&server, split["id"].as_str().unwrap());
    assert_eq!(doc["verdict"], "AC", "{doc}");
    let (_, broken) = submit(
        &server,
        &json!({"problem": "different", "source": "int main( {", "filename": "x.c"}),
    );
    let doc = finished(&server, broken["id"].as_str().unwrap());
    assert_eq!(doc["verdict"], "CE", "{doc}");
    assert_eq!(
        server.metric(r#"judge_submissions_total{verdict="AC"}"#),
        2.0
    );
    assert_eq!(
        server.metric(r#"judge_submissions_total{verdict="WA"}"#),
        1.0
    );
    assert_eq!(
        server.metric(r#"judge_submissions_total{verdict="CE"}"#),
        1.0
    );
    assert!(server.metric("judge_cpu_seconds_total") > 0.0);
    assert!(server.metric("judge_submission_queue_wait_seconds_count") >= 4.0);
}

/// `dir` as a tar.gz, made by the system's tar.
fn tar_gz(dir: &std::path::Path) -> Vec<u8> {
    let out = Command::new("tar")
        .args(["-czf", "-", "-C"])
        .arg(dir.parent().unwrap())
        .arg(dir.file_name().unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    out.stdout
}

#[test]
fn an_uploaded_package_is_judged_and_the_same_bytes_answer_the_same_id() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let package = tar_gz(&problem("hello"));
    let (status, first) = answer(
        server
            .post("/problems")
            .body(package.clone())
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{first}");
    let id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 64, "a SHA-256");
    assert!(first["tests"].as_u64().unwrap() > 0);
    let (status, again) = answer(server.post("/problems").body(package).send().unwrap());
    assert_eq!(status, 200);
    assert_eq!(again["id"], id.as_str());
    let source =
        std::fs::read_to_string(problem("hello").join("submissions/accepted/hello.py")).unwrap();
    let (status, created) = submit(
        &server,
        &json!({"problem": id, "source": source, "filename": "hello.py"}),
    );
    assert_eq!(status, 202, "{created}");
    let doc = finished(&server, created["id"].as_str().unwrap());
    assert_eq!(doc["verdict"], "AC", "{doc}");
}

#[test]
fn a_hostile_or_broken_package_is_refused_naming_the_entry() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // A tar whose entry climbs out of the package, made as an attacker would.
    let script = "import io, tarfile, sys\nb = io.BytesIO()\nt = tarfile.open(fileobj=b, mode='w')\n\
                  i = tarfile.TarInfo('../../escaped')\ni.size = 3\nt.addfile(i, io.BytesIO(b'bad'))\n\
                  t.close()\nsys.stdout.buffer.write(b.getvalue())\n";
    let out = Command::new("python3")
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (status, body) = answer(server.post("/problems").body(out.stdout).send().unwrap());
    assert_eq!(status, 400, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("../../escaped"), "{error}");
    assert!(!dir.path().parent().unwrap().join("escaped").exists());
    let (status, body) = answer(
        server
            .post("/problems")
            .body("not an archive")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("package"),
        "{body}"
    );
    // An archive of something that is no package.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let (status, body) = answer(
        server
            .post("/problems")
            .body(tar_gz(&dir.path().join("empty")))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400, "{body}");
}

#[test]
fn bad_submissions_get_one_json_error_naming_the_field() {
    if !root() {
        return;
    }
    let dir = problems();
    let server = Server::start(&["--problems", dir.to_str().unwrap()]);
    // However it climbs, a problem id reaches no directory outside the server's own.
    let climb = format!("{}{}", "../".repeat(12), problem("hello").display());
    let cases = [
        (
            json!({"problem": climb, "source": "x", "language": "c"}),
            404,
            "problem",
        ),
        (
            json!({"problem": "nope", "source": "x", "language": "c"}),
            404,
            "problem",
        ),
        (
            json!({"problem": "../different", "source": "x", "language": "c"}),
            404,
            "problem",
        ),
        (
            json!({"problem": "different", "language": "c"}),
            400,
            "source",
        ),
        (
            json!({"problem": "different", "source": "x", "language": "cobol"}),
            400,
            "language",
        ),
        (
            json!({"problem": "different", "source": "x"}),
            400,
            "language",
        ),
        (
            json!({"problem": "different", "source": "x", "filename": "a/b.c"}),
            400,
            "filename",
        ),
        (
            json!({"problem": "different", "source": "x", "files": {"a.c": ""}}),
            400,
            "files",
        ),
        (
            json!({"problem": "different", "files": {"../a.c": ""}}),
            400,
            "files",
        ),
        (
            json!({"problem": "different", "sourec": "x"}),
            400,
            "sourec",
        ),
        (json!({"problem": 3}), 400, "problem"),
    ];
    for (body, status, field) in cases {
        let (got, value) = submit(&server, &body);
        assert_eq!(got, status, "{body}: {value}");
        let error = value["error"].as_str().unwrap_or_else(|| panic!("{value}"));
        assert!(error.contains(field), "{body}: {error}");
    }
    let (status, value) = answer(server.get("/submissions/nope").send().unwrap());
    assert_eq!(status, 404, "{value}");
    let (status, value) = answer(server.post("/submissions").body("{").send().unwrap());
    assert_eq!(status, 400, "{value}");
}

/// A Python submission to `different` that sleeps `secs` before each answer: slow, not TLE
/// (its CPU time stays small).
/// An accepted Python solution with no per-line sleep (20,000 calls of `time.sleep(0)` can pass
/// the 1 s limit on a loaded machine).
fn plain() -> Value {
    json!({"problem": "different", "language": "python3", "source":
        "import sys\nfor l in sys.stdin:\n    a, b = map(int, l.split())\n    print(abs(a - b))\n"})
}

fn sleepy(secs: f64) -> Value {
    json!({"problem": "different", "language": "python3", "source": format!(
        "import sys, time\nfor l in sys.stdin:\n    time.sleep({secs})\n    a, b = map(int, l.split())\n    print(abs(a - b))\n"
    )})
}

#[test]
fn a_full_queue_answers_429_with_retry_after_and_delete_cancels() {
    if !root() {
        return;
    }
    let dir = problems();
    let server = Server::start(&[
        "--problems",
        dir.to_str().unwrap(),
        "--jobs",
        "1",
        "--queue",
        "1",
    ]);
    // The first is taken by the one judging thread, the second waits in the queue of one.
    let (status, first) = submit(&server, &sleepy(0.4));
    assert_eq!(status, 202, "{first}");
    let first = first["id"].as_str().unwrap().to_owned();
    let start = Instant::now();
    while answer(server.get(&format!("/submissions/{first}")).send().unwrap()).1["status"]
        != "judging"
    {
        assert!(start.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut accepted = vec![first];
    let mut refused = None;
    for _ in 0..6 {
        let response = server
            .post("/submissions")
            .json(&sleepy(0.4))
            .send()
            .unwrap();
        if response.status() == 429 {
            refused = Some(response);
            break;
        }
        let (status, value) = answer(response);
        assert_eq!(status, 202, "{value}");
        accepted.push(value["id"].as_str().unwrap().to_owned());
    }
    let refused = refused.expect("one judging thread and a queue of one: a third has no place");
    assert_eq!(accepted.len(), 2, "{accepted:?}");
    assert_eq!(refused.headers()["retry-after"], "1");
    let (_, body) = answer(refused);
    assert!(body["error"].as_str().unwrap().contains("full"), "{body}");
    // The last accepted is queued behind the first: cancelled at once.
    let queued = accepted.last().unwrap();
    let (status, doc) = answer(
        server
            .delete(&format!("/submissions/{queued}"))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 202, "{doc}");
    assert_eq!(doc["status"], "cancelled", "{doc}");
    let names: Vec<String> = events(&server, queued)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["cancelled"]);
    // The running one stops before its next test.
    let running = &accepted[0];
    let started = Instant::now();
    let (status, _) = answer(
        server
            .delete(&format!("/submissions/{running}"))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 202);
    let doc = finished(&server, running);
    assert_eq!(doc["status"], "cancelled", "{doc}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(server.metric(r#"judge_submissions_total{verdict="cancelled"}"#) >= 2.0);
    assert!(server.metric(r#"judge_request_errors_total{kind="busy"}"#) >= 1.0);
    // Room again.
    let (status, value) = submit(&server, &plain());
    assert_eq!(status, 202, "{value}");
    assert_eq!(
        finished(&server, value["id"].as_str().unwrap())["verdict"],
        "AC"
    );
}

#[test]
fn metrics_count_runs_environments_and_queue() {
    if !root() {
        return;
    }
    let server = Server::start(&["--jobs", "1"]);
    let body = json!({"cmd": [{"args": ["/bin/true"]}]});
    for _ in 0..5 {
        assert_eq!(server.results(&body)[0]["status"], "Accepted");
    }
    let text = server.get("/metrics").send().unwrap().text().unwrap();
    let metric = |s| common::server::metric(&text, s);
    assert_eq!(metric(r#"judge_commands_total{status="Accepted"}"#), 5.0);
    assert_eq!(metric("judge_run_request_seconds_count"), 5.0);
    assert_eq!(metric("judge_environments_built_total"), 1.0);
    assert_eq!(metric("judge_environments_reused_total"), 4.0);
    assert_eq!(metric("judge_sandbox_runs_total"), 5.0);
    assert_eq!(metric("judge_workers"), 1.0);
    assert_eq!(metric("judge_submission_queue_depth"), 0.0);
    assert_eq!(metric("judge_cgroup_errors_total"), 0.0);
    assert!(
        text.contains("# TYPE judge_environments_built counter"),
        "{text}"
    );
    assert_eq!(server.get("/healthz").send().unwrap().text().unwrap(), "ok");
    assert_eq!(server.get("/readyz").send().unwrap().status(), 200);
}

#[test]
fn sigterm_finishes_running_requests_and_leaves_nothing_behind() {
    if !root() {
        return;
    }
    let dir = problems();
    let server = Server::start(&["--problems", dir.to_str().unwrap(), "--jobs", "1"]);
    let engine = server
        .log()
        .lines()
        .find_map(|l| l.split("engine=").nth(1).map(|s| s.trim().to_owned()))
        .map(|s| s.trim_matches(|c: char| !c.is_ascii_hexdigit()).to_owned())
        .expect("the log names the engine");
    assert_eq!(engine.len(), 16, "{engine}");
    let base = server.base.clone();
    let client = server.client.clone();
    // A request still running when the signal comes, and a submission judging.
    let running = std::thread::spawn(move || {
        let body = json!({"cmd": [{"args": ["/bin/sh", "-c", "sleep 1; echo finished"],
                                   "files": [null, {"name": "stdout", "max": 100}]}]});
        answer(
            client
                .post(format!("{base}/run"))
                .json(&body)
                .send()
                .unwrap(),
        )
    });
    let (_, judging) = submit(&server, &sleepy(0.2));
    let judging = judging["id"].as_str().unwrap().to_owned();
    let (_, queued) = submit(&server, &sleepy(0.2));
    let queued = queued["id"].as_str().unwrap().to_owned();
    let stream = {
        let base = server.base.clone();
        let client = server.client.clone();
        std::thread::spawn(move || {
            let response = client
                .get(format!("{base}/submissions/{queued}/events"))
                .send()
                .unwrap();
            response.text().unwrap()
        })
    };
    std::thread::sleep(Duration::from_millis(400));
    let mut server = server;
    server.terminate();
    let (status, results) = running.join().unwrap();
    assert_eq!(status, 200, "{results}");
    assert_eq!(results[0]["files"]["stdout"], "finished\n", "{results}");
    // The queued submission was cancelled, and its stream said so and ended.
    let said = stream.join().unwrap();
    assert!(said.contains("event: cancelled"), "{said}");
    let exit = server.wait(Duration::from_secs(60));
    assert!(exit.success(), "{exit:?}\n{}", server.log());
    let log = server.log();
    assert!(
        log.contains(&format!("submission={judging}")),
        "the running submission finished: {log}"
    );
    // Nothing of the engine is left: no directory, no cgroup, no process.
    assert!(!std::path::Path::new("/tmp/judge").join(&engine).exists());
    for hierarchy in std::fs::read_dir("/sys/fs/cgroup").unwrap() {
        let path = hierarchy.unwrap().path();
        let found = Command::new("find")
            .arg(&path)
            .args(["-maxdepth", "3", "-name", &format!("judge-{engine}*")])
            .output()
            .unwrap();
        assert!(found.stdout.is_empty(), "{}", text(&found.stdout));
    }
    let ps = Command::new("ps")
        .args(["-eo", "pid,cmd"])
        .output()
        .unwrap();
    assert!(!text(&ps.stdout).contains(&engine), "{}", text(&ps.stdout));
    // And nobody listens any more.
    let gone = reqwest::blocking::get(server.url("/healthz"));
    assert!(gone.is_err());
}

#[test]
fn with_a_state_directory_finished_results_survive_a_crash() {
    if !root() {
        return;
    }
    let problems = problems();
    let state = tempfile::tempdir().unwrap();
    let args = [
        "--problems",
        problems.to_str().unwrap(),
        "--state",
        state.path().to_str().unwrap(),
    ];
    let server = Server::start(&args);
    let (_, judged) = submit(&server, &plain());
    let judged = judged["id"].as_str().unwrap().to_owned();
    let before = finished(&server, &judged);
    assert_eq!(before["verdict"], "AC", "{before}");
    let (_, wrong) = submit(
        &server,
        &json!({"problem": "different", "language": "python3", "source": "print(0)\n"}),
    );
    let wrong = wrong["id"].as_str().unwrap().to_owned();
    assert_eq!(finished(&server, &wrong)["verdict"], "WA");
    server.kill();
    let server = Server::start(&args);
    for (id, verdict) in [(&judged, "AC"), (&wrong, "WA")] {
        let doc = finished(&server, id);
        assert_eq!(doc["status"], "done", "{doc}");
        assert_eq!(doc["verdict"], verdict, "{doc}");
    }
    assert_eq!(finished(&server, &judged), before);
    let names: Vec<String> = events(&server, &judged)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["done"]);
    // A torn last line (a crash mid-write) is skipped; the rest still loads.
    server.kill();
    let journal = state.path().join("submissions.jsonl");
    let mut text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    text.push_str("{\"id\": \"torn");
    std::fs::write(&journal, text).unwrap();
    let server = Server::start(&args);
    assert_eq!(finished(&server, &wrong)["verdict"], "WA");
}

//! `judge serve`'s go-judge API, called over HTTP with a real client: go-judge's documented
//! examples verbatim, every status string, the file store, pipes, auth, bad requests, and the
//! isolation a front end relies on (links left in `/w`, a reused `/w`, `src` files).

mod common;

use std::time::Duration;

use common::root;
use common::server::{answer, Server};
use serde_json::{json, Value};

const AB: &str = "#include <iostream>\nusing namespace std;\nint main() {\nint a, b;\ncin >> a >> b;\ncout << a + b << endl;\n}";

/// go-judge's documented compile request (`example.md`), verbatim.
fn compile_request() -> Value {
    json!({
        "cmd": [{
            "args": ["/usr/bin/g++", "a.cc", "-o", "a"],
            "env": ["PATH=/usr/bin:/bin"],
            "files": [{"content": ""}, {"name": "stdout", "max": 10240},
                      {"name": "stderr", "max": 10240}],
            "cpuLimit": 10000000000u64,
            "memoryLimit": 104857600,
            "procLimit": 50,
            "copyIn": {"a.cc": {"content": AB}},
            "copyOut": ["stdout", "stderr"],
            "copyOutCached": ["a.cc", "a"]
        }]
    })
}

/// One command with the usual collectors.
fn cmd(args: &[&str]) -> Value {
    json!({
        "args": args,
        "env": ["PATH=/usr/bin:/bin"],
        "files": [{"content": ""}, {"name": "stdout", "max": 10240},
                  {"name": "stderr", "max": 10240}],
        "cpuLimit": 2000000000u64,
        "memoryLimit": 268435456,
        "procLimit": 50
    })
}

fn one(mut command: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        command[k] = v.clone();
    }
    json!({ "cmd": [command] })
}

#[test]
fn the_documented_compile_then_run_example_works_verbatim() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let compiled = server.results(&compile_request());
    let result = &compiled[0];
    assert_eq!(result["status"], "Accepted", "{result}");
    assert_eq!(result["exitStatus"], 0);
    assert!(result["time"].as_u64().unwrap() > 10_000_000, "{result}");
    assert!(result["memory"].as_u64().unwrap() > 1 << 20, "{result}");
    assert!(result["runTime"].as_u64().unwrap() > 0);
    assert_eq!(result["files"], json!({"stdout": "", "stderr": ""}));
    let binary = result["fileIds"]["a"].as_str().unwrap().to_owned();
    let source = result["fileIds"]["a.cc"].as_str().unwrap().to_owned();
    // The documented execution request: `args: ["a"]`, the binary copied in by its id.
    let run = json!({
        "cmd": [{
            "args": ["a"],
            "env": ["PATH=/usr/bin:/bin"],
            "files": [{"content": "1 1"}, {"name": "stdout", "max": 10240},
                      {"name": "stderr", "max": 10240}],
            "cpuLimit": 10000000000u64,
            "memoryLimit": 104857600,
            "procLimit": 50,
            "copyIn": {"a": {"fileId": binary}}
        }]
    });
    for _ in 0..3 {
        let ran = server.results(&run);
        assert_eq!(ran[0]["status"], "Accepted", "{}", ran[0]);
        assert_eq!(ran[0]["files"]["stdout"], "2\n");
        assert!(ran[0]["time"].as_u64().unwrap() > 0);
    }
    // The cached source is the one sent; deleting the files ends them.
    let text = server.get(&format!("/file/{source}")).send().unwrap();
    assert_eq!(text.status(), 200);
    assert_eq!(text.text().unwrap(), AB);
    for id in [&binary, &source] {
        assert_eq!(
            server
                .delete(&format!("/file/{id}"))
                .send()
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            server.get(&format!("/file/{id}")).send().unwrap().status(),
            404
        );
    }
    let (status, body) = server.run(&run);
    assert_eq!(status, 400, "a deleted file id is a bad request: {body}");
    assert!(body.as_str().unwrap().contains("copyIn"), "{body}");
}

#[test]
fn the_documented_interactive_example_pipes_one_cat_into_another() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let body = json!({
        "cmd": [{
            "args": ["/bin/cat", "1"],
            "env": ["PATH=/usr/bin:/bin"],
            "files": [{"content": ""}, null, {"name": "stderr", "max": 10240}],
            "cpuLimit": 1000000000,
            "memoryLimit": 1048576,
            "procLimit": 50,
            "copyIn": {"1": {"content": "TEST 1"}},
            "copyOut": ["stderr"]
        }, {
            "args": ["/bin/cat"],
            "env": ["PATH=/usr/bin:/bin"],
            "files": [null, {"name": "stdout", "max": 10240}, {"name": "stderr", "max": 10240}],
            "cpuLimit": 1000000000,
            "memoryLimit": 1048576,
            "procLimit": 50,
            "copyOut": ["stdout", "stderr"]
        }],
        "pipeMapping": [{"in": {"index": 0, "fd": 1}, "out": {"index": 1, "fd": 0}}]
    });
    let results = server.results(&body);
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["status"], "Accepted", "{}", results[0]);
    assert_eq!(results[0]["files"], json!({"stderr": ""}));
    assert_eq!(results[1]["status"], "Accepted", "{}", results[1]);
    assert_eq!(results[1]["files"]["stdout"], "TEST 1");
}

#[test]
fn a_proxy_keeps_what_crossed_up_to_its_max_and_the_reader_gets_it_all() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let mut writer = cmd(&["/bin/sh", "-c", "printf 'hello world'"]);
    writer["files"][1] = Value::Null;
    let mut reader = cmd(&["/bin/cat"]);
    reader["files"][0] = Value::Null;
    let body = json!({
        "cmd": [writer, reader],
        "pipeMapping": [{"in": {"index": 0, "fd": 1}, "out": {"index": 1, "fd": 0},
                         "proxy": true, "name": "crossed", "max": 5}]
    });
    let results = server.results(&body);
    assert_eq!(results[0]["files"]["crossed"], "hello", "{}", results[0]);
    assert_eq!(results[0]["status"], "Accepted");
    assert_eq!(
        results[1]["files"]["stdout"], "hello world",
        "{}",
        results[1]
    );
}

/// Compile `source` (C) with the server's own gcc; the binary's file id.
fn compile_c(server: &Server, source: &str) -> String {
    let body = one(
        cmd(&["/usr/bin/gcc", "-O2", "-o", "prog", "prog.c"]),
        json!({"cpuLimit": 20000000000u64, "memoryLimit": 1073741824,
               "copyIn": {"prog.c": {"content": source}}, "copyOutCached": ["prog"]}),
    );
    let results = server.results(&body);
    assert_eq!(results[0]["status"], "Accepted", "{}", results[0]);
    results[0]["fileIds"]["prog"].as_str().unwrap().to_owned()
}

#[test]
fn every_status_string_is_go_judges() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let forbidden = compile_c(
        &server,
        "#define _GNU_SOURCE\n#include <sched.h>\n#include <stdio.h>\n\
         int main(void) { printf(\"%d\\n\", unshare(CLONE_NEWUSER)); return 0; }\n",
    );
    let sh = |script: &str| cmd(&["/bin/sh", "-c", script]);
    let cases = [
        ("Accepted", 0, one(sh("echo hi"), json!({}))),
        ("Nonzero Exit Status", 3, one(sh("exit 3"), json!({}))),
        ("Signalled", 11, one(sh("kill -SEGV $$"), json!({}))),
        (
            "Time Limit Exceeded",
            9,
            one(sh("while :; do :; done"), json!({"cpuLimit": 300000000})),
        ),
        (
            "Time Limit Exceeded",
            9,
            one(sh("sleep 5"), json!({"clockLimit": 300000000})),
        ),
        (
            "Memory Limit Exceeded",
            9,
            one(
                cmd(&["/usr/bin/python3", "-c", "b = bytearray(300 << 20)"]),
                // On cgroup v2 a run at its memory.max reclaims (its own code pages too) before
                // the OOM killer ends it: time enough for that, so MLE comes before TLE.
                json!({"memoryLimit": 67108864, "cpuLimit": 20000000000u64}),
            ),
        ),
        (
            "Output Limit Exceeded",
            0,
            one(
                sh("head -c 100 /dev/zero"),
                json!({"files": [null, {"name": "stdout", "max": 10}]}),
            ),
        ),
        (
            "File Error",
            0,
            one(sh("true"), json!({"copyOut": ["missing"]})),
        ),
        (
            "Dangerous Syscall",
            31,
            one(
                cmd(&["prog"]),
                json!({"copyIn": {"prog": {"fileId": forbidden}}}),
            ),
        ),
        (
            "Internal Error",
            0,
            one(cmd(&["/no/such/program"]), json!({})),
        ),
    ];
    // go-judge's documented "infinite loop with cpu rate control" example, verbatim (its
    // `cpuRate` is a field go-judge no longer reads either).
    let documented = json!({"cmd": [{
        "args": ["/usr/bin/python3", "1.py"],
        "env": ["PATH=/usr/bin:/bin"],
        "files": [{"content": ""}, {"name": "stdout", "max": 10240}, {"name": "stderr", "max": 10240}],
        "cpuLimit": 3000000000u64,
        "clockLimit": 4000000000u64,
        "memoryLimit": 104857600,
        "procLimit": 50,
        "cpuRate": 0.1,
        "copyIn": {"1.py": {"content": "while True:\n    pass"}}
    }]});
    let cases: Vec<_> = cases
        .into_iter()
        .chain([("Time Limit Exceeded", 9, documented)])
        .collect();
    for (status, exit, body) in cases {
        let results = server.results(&body);
        let result = &results[0];
        assert_eq!(result["status"], status, "{body}\n{result}");
        assert_eq!(result["exitStatus"], exit, "{result}");
    }
    let (_, results) = server.run(&one(sh("true"), json!({"copyOut": ["missing"]})));
    assert_eq!(results[0]["fileError"][0]["type"], "CopyOutOpen");
    let (_, results) = server.run(&one(
        sh("head -c 100 /dev/zero"),
        json!({"files": [null, {"name": "stdout", "max": 10}]}),
    ));
    assert_eq!(results[0]["fileError"][0]["type"], "CollectSizeExceeded");
    assert_eq!(results[0]["files"]["stdout"].as_str().unwrap().len(), 10);
}

#[test]
fn copy_out_is_optional_capped_or_truncated_as_asked_and_copy_in_makes_links() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let write = |extra: Value| {
        server.results(&one(
            cmd(&["/bin/sh", "-c", "mkdir -p d && printf 0123456789 > d/ten"]),
            extra,
        ))[0]
            .clone()
    };
    let r = write(json!({"copyOut": ["d/ten", "absent?"]}));
    assert_eq!(r["status"], "Accepted", "{r}");
    assert_eq!(r["files"]["d/ten"], "0123456789");
    assert!(r["files"].get("absent").is_none());
    let r = write(json!({"copyOut": ["d/ten"], "copyOutMax": 5}));
    assert_eq!(r["status"], "File Error", "{r}");
    assert_eq!(r["fileError"][0]["type"], "CopyOutSizeExceeded");
    let r = write(json!({"copyOut": ["d/ten"], "copyOutMax": 5, "copyOutTruncate": true}));
    assert_eq!(r["status"], "Accepted", "{r}");
    assert_eq!(r["files"]["d/ten"], "01234");
    // A link copied in is made as given and resolved inside the sandbox.
    let r = server.results(&one(
        cmd(&["/bin/cat", "link"]),
        json!({"copyIn": {"sub/a.txt": {"content": "through the link"},
                          "link": {"symlink": "sub/a.txt"}}}),
    ))[0]
        .clone();
    assert_eq!(r["files"]["stdout"], "through the link", "{r}");
}

#[test]
fn copy_out_never_follows_a_link_the_program_left() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let script = "ln -s /etc/passwd out; ln -s /etc d; mkdir sub; ln -s /etc/passwd cached; \
                  echo ok > real";
    let body = one(
        cmd(&["/bin/sh", "-c", script]),
        json!({"copyOut": ["out", "d/passwd", "sub", "real"],
               "copyOutCached": ["cached"]}),
    );
    let (status, value) = server.run(&body);
    assert_eq!(status, 200, "{value}");
    let result = &value[0];
    assert_eq!(result["status"], "File Error", "{result}");
    assert_eq!(result["files"]["real"], "ok\n", "{result}");
    assert_eq!(result["files"]["stderr"], "", "{result}");
    assert!(result.get("fileIds").is_none(), "{result}");
    let kinds: Vec<&str> = result["fileError"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 4, "{result}");
    assert!(
        kinds.iter().all(|k| *k == "CopyOutNotRegularFile"),
        "{result}"
    );
    let text = value.to_string();
    assert!(
        !text.contains("root:x:0"),
        "the host's /etc/passwd leaked: {text}"
    );
    assert!(!text.contains("/tmp/judge"), "a host path leaked: {text}");
}

#[test]
fn a_reused_working_directory_is_as_clean_as_a_fresh_one() {
    if !root() {
        return;
    }
    // One worker: every request runs in the same environment with the same /w.
    let server = Server::start(&["--jobs", "1"]);
    let plant = "mkdir -p deep/er && echo x > deep/er/f && echo y > .hidden && \
                 ln -s /etc/passwd link && chmod 000 deep && chmod 777 /w && \
                 (sleep 30 > /w/held &) && echo planted";
    let look = "ls -la /w | tail -n +2; stat -c '%a %u %g' /w; ls /w/held 2>&1";
    for _ in 0..3 {
        let planted = server.results(&one(cmd(&["/bin/sh", "-c", plant]), json!({})));
        assert_eq!(planted[0]["status"], "Accepted", "{}", planted[0]);
        assert_eq!(planted[0]["files"]["stdout"], "planted\n", "{}", planted[0]);
        let seen = server.results(&one(cmd(&["/bin/sh", "-c", look]), json!({})));
        let out = seen[0]["files"]["stdout"].as_str().unwrap();
        let lines: Vec<&str> = out.lines().collect();
        // `.` and `..` only, /w as new, nothing left behind.
        assert_eq!(lines.len(), 4, "{out}");
        assert!(lines[0].ends_with(" ."), "{out}");
        assert!(lines[1].ends_with(" .."), "{out}");
        assert_eq!(lines[2], "755 1000 1000", "{out}");
        assert!(lines[3].contains("No such file"), "{out}");
    }
}

#[test]
fn src_files_come_only_from_allowed_directories_and_never_through_a_link() {
    if !root() {
        return;
    }
    let allowed = tempfile::tempdir().unwrap();
    std::fs::write(allowed.path().join("in.txt"), "allowed input").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", allowed.path().join("escape")).unwrap();
    let dir = allowed.path().to_str().unwrap();
    let server = Server::start(&["--allow-src", dir]);
    let cat = |src: String| {
        let mut command = cmd(&["/bin/cat"]);
        command["files"][0] = json!({ "src": src });
        server.run(&json!({ "cmd": [command] }))
    };
    let (status, value) = cat(format!("{dir}/in.txt"));
    assert_eq!(status, 200, "{value}");
    assert_eq!(value[0]["files"]["stdout"], "allowed input");
    for src in [
        "/etc/passwd".to_owned(),
        format!("{dir}/escape"),
        format!("{dir}/../../etc/passwd"),
    ] {
        let (status, value) = cat(src.clone());
        assert_eq!(status, 400, "{src}: {value}");
        assert!(
            value.as_str().unwrap().contains("cmd[0].files[0]"),
            "{value}"
        );
    }
    // Without --allow-src, no src at all.
    let closed = Server::start(&[]);
    let mut command = cmd(&["/bin/cat"]);
    command["files"][0] = json!({ "src": format!("{dir}/in.txt") });
    let (status, value) = closed.run(&json!({ "cmd": [command] }));
    assert_eq!(status, 400, "{value}");
    assert!(value.as_str().unwrap().contains("--allow-src"), "{value}");
}

#[test]
fn the_file_store_uploads_lists_serves_and_deletes() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let form = reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::bytes(b"3 4".to_vec()).file_name("input.txt"),
    );
    let (status, id) = answer(server.post("/file").multipart(form).send().unwrap());
    assert_eq!(status, 200, "{id}");
    let id = id.as_str().unwrap().to_owned();
    assert_eq!(id.len(), 16);
    let (_, list) = answer(server.get("/file").send().unwrap());
    assert_eq!(list[&id], "input.txt");
    let mut command = cmd(&["/bin/cat"]);
    command["files"][0] = json!({ "fileId": id });
    let results = server.results(&json!({ "cmd": [command] }));
    assert_eq!(results[0]["files"]["stdout"], "3 4");
    let download = server.get(&format!("/file/{id}")).send().unwrap();
    assert!(download
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("input.txt"));
    assert_eq!(download.text().unwrap(), "3 4");
    assert_eq!(
        server
            .delete(&format!("/file/{id}"))
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        server
            .delete(&format!("/file/{id}"))
            .send()
            .unwrap()
            .status(),
        404
    );
    let (_, list) = answer(server.get("/file").send().unwrap());
    assert_eq!(list, json!({}));
    // No field named `file`: a bad request.
    let form = reqwest::blocking::multipart::Form::new().text("other", "x");
    assert_eq!(
        server
            .post("/file")
            .multipart(form)
            .send()
            .unwrap()
            .status(),
        400
    );
}

fn upload(server: &Server, bytes: Vec<u8>) -> (u16, Value) {
    let form = reqwest::blocking::multipart::Form::new().part(
        "file",
        reqwest::blocking::multipart::Part::bytes(bytes).file_name("f"),
    );
    answer(server.post("/file").multipart(form).send().unwrap())
}

#[test]
fn the_file_store_is_bounded_in_size_and_age() {
    if !root() {
        return;
    }
    let server = Server::start(&["--file-store-size", "1K", "--file-ttl", "2s"]);
    let ids: Vec<String> = (0..3)
        .map(|_| {
            let (status, id) = upload(&server, vec![b'x'; 400]);
            assert_eq!(status, 200, "{id}");
            id.as_str().unwrap().to_owned()
        })
        .collect();
    // 1,200 bytes do not fit in 1 KiB: the least recently used went.
    assert_eq!(
        server
            .get(&format!("/file/{}", ids[0]))
            .send()
            .unwrap()
            .status(),
        404
    );
    for id in &ids[1..] {
        assert_eq!(
            server.get(&format!("/file/{id}")).send().unwrap().status(),
            200
        );
    }
    assert_eq!(server.metric("judge_files_evicted_total"), 1.0);
    // A file larger than the store is refused outright.
    let (status, body) = upload(&server, vec![b'x'; 2000]);
    assert_eq!(status, 413, "{body}");
    // Unused past their age, they go at the next addition.
    std::thread::sleep(Duration::from_millis(2500));
    let (status, _) = upload(&server, b"new".to_vec());
    assert_eq!(status, 200);
    let (_, list) = answer(server.get("/file").send().unwrap());
    assert_eq!(list.as_object().unwrap().len(), 1, "{list}");
    assert_eq!(server.metric("judge_files_expired_total"), 2.0);
}

#[test]
fn the_token_guards_every_endpoint_but_the_open_ones() {
    if !root() {
        return;
    }
    let server = Server::start(&["--auth-token", "s3cret"]);
    let body = one(cmd(&["/bin/true"]), json!({}));
    let no_token = server.post("/run").json(&body).send().unwrap();
    assert_eq!(no_token.status(), 401);
    let wrong = server
        .post("/run")
        .bearer_auth("s3cre")
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(server.get("/file").send().unwrap().status(), 401);
    assert_eq!(server.post("/submissions").send().unwrap().status(), 401);
    let right = server
        .post("/run")
        .bearer_auth("s3cret")
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(right.status(), 200);
    for open in ["/version", "/config", "/healthz", "/readyz", "/metrics"] {
        assert_eq!(server.get(open).send().unwrap().status(), 200, "{open}");
    }
}

#[test]
fn version_and_config_say_what_hydro_reads() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let (_, version) = answer(server.get("/version").send().unwrap());
    assert!(version["buildVersion"].as_str().unwrap().starts_with("v1."));
    assert_eq!(version["copyOutOptional"], true);
    let (_, config) = answer(server.get("/config").send().unwrap());
    assert_eq!(config["fixSymlinkEscape"], true);
    let runner = &config["runnerConfig"];
    let v2 = std::fs::metadata("/sys/fs/cgroup/cgroup.controllers").is_ok();
    assert_eq!(runner["cgroupType"], if v2 { 2 } else { 1 }, "{config}");
    let controllers = runner["cgroupControllers"].as_array().unwrap();
    assert!(controllers.contains(&json!("memory")) && controllers.contains(&json!("pids")));
    assert_eq!(runner["workDir"], "/w");
}

#[test]
fn bad_requests_are_400_with_a_json_string_naming_the_field() {
    if !root() {
        return;
    }
    let server = Server::start(&["--max-body", "4K"]);
    let send = |body: &str| answer(server.post("/run").body(body.to_owned()).send().unwrap());
    let cases = [
        ("{", "request body"),
        (r#"{"cmd": []}"#, "no cmd provided"),
        (
            r#"{"cmd": [{"args": ["/bin/true"], "cpuLimit": "1s"}]}"#,
            "cmd[0].cpuLimit",
        ),
        (r#"{"cmd": [{"args": []}]}"#, "cmd[0].args"),
        (
            r#"{"cmd": [{"args": ["/bin/true"], "env": ["NOEQUALS"]}]}"#,
            "cmd[0].env[0]",
        ),
        (
            r#"{"cmd": [{"args": ["/bin/true"], "files": [null, null, null, {"content": ""}]}]}"#,
            "cmd[0].files",
        ),
        (
            r#"{"cmd": [{"args": ["/bin/true"], "files": [{"fileId": "NOSUCHFILE"}]}]}"#,
            "cmd[0].files[0]",
        ),
        (
            r#"{"cmd": [{"args": ["/bin/true"], "files": [{"max": 5}]}]}"#,
            "cmd[0].files[0]",
        ),
        (
            r#"{"cmd": [{"args": ["/bin/true"], "copyIn": {"../x": {"content": ""}}}]}"#,
            "copyIn",
        ),
        (
            r#"{"cmd": [{"args": ["/bin/true"], "copyOut": ["/etc/passwd"]}]}"#,
            "cmd[0].copyOut[0]",
        ),
        (
            r#"{"cmd": [{"args": ["/bin/true"], "copyOutDir": "/tmp"}]}"#,
            "cmd[0].copyOutDir",
        ),
        (
            r#"{"cmd": [{"args": ["/bin/true"], "cpuLimit": 999999999999999}]}"#,
            "cmd[0].cpuLimit",
        ),
        (
            r#"{"cmd": [{"args": ["/bin/true"]}], "pipeMapping": [{"in": {"index": 3, "fd": 1}, "out": {"index": 0, "fd": 0}}]}"#,
            "pipeMapping[0].in.index",
        ),
    ];
    for (body, field) in cases {
        let (status, value) = send(body);
        assert_eq!(status, 400, "{body}: {value}");
        let message = value
            .as_str()
            .unwrap_or_else(|| panic!("not a JSON string: {value}"));
        assert!(message.contains(field), "{body}: {message}");
    }
    let big = format!(
        r#"{{"cmd": [{{"args": ["/bin/true"], "env": ["X={}"]}}]}}"#,
        "x".repeat(5000)
    );
    let (status, value) = send(&big);
    assert_eq!(status, 413, "{value}");
    assert!(value.is_string(), "{value}");
    assert!(server.metric(r#"judge_request_errors_total{kind="bad_request"}"#) >= 14.0);
}

#[test]
fn forty_concurrent_runs_each_get_their_own_answer() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..40)
            .map(|i| {
                let server = &server;
                s.spawn(move || {
                    let mut command = cmd(&["/bin/sh", "-c", "cat; cat /w/mine"]);
                    command["files"][0] = json!({ "content": format!("in{i} ") });
                    command["copyIn"] = json!({ "mine": { "content": format!("file{i}") } });
                    let results = server.results(&json!({ "cmd": [command] }));
                    assert_eq!(results[0]["status"], "Accepted", "{}", results[0]);
                    assert_eq!(results[0]["files"]["stdout"], format!("in{i} file{i}"));
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    });
    assert_eq!(
        server.metric(r#"judge_commands_total{status="Accepted"}"#),
        40.0
    );
}

#[test]
fn the_websocket_answers_each_request_with_its_id() {
    if !root() {
        return;
    }
    let server = Server::start(&[]);
    let url = server.base.replace("http://", "ws://") + "/ws";
    let (mut socket, _) = tungstenite::connect(url).expect("connect to /ws");
    for (id, word) in [("first", "one"), ("second", "two")] {
        let mut body = one(cmd(&["/bin/echo", word]), json!({}));
        body["requestId"] = json!(id);
        socket
            .send(tungstenite::Message::Text(body.to_string().into()))
            .unwrap();
    }
    let mut answers = std::collections::BTreeMap::new();
    while answers.len() < 2 {
        let message = socket.read().unwrap();
        if let tungstenite::Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            answers.insert(value["requestId"].as_str().unwrap().to_owned(), value);
        }
    }
    assert_eq!(answers["first"]["results"][0]["files"]["stdout"], "one\n");
    assert_eq!(answers["second"]["results"][0]["files"]["stdout"], "two\n");
    socket
        .send(tungstenite::Message::Text("{".to_owned().into()))
        .unwrap();
    let error: Value = loop {
        if let tungstenite::Message::Text(text) = socket.read().unwrap() {
            break serde_json::from_str(&text).unwrap();
        }
    };
    assert!(
        error["error"].as_str().unwrap().contains("request body"),
        "{error}"
    );
}

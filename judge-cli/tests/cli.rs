//! The `judge` binary on `testcases/`, read through its JSON and its exit status.

mod common;

use common::{judge, problems, root, text};

use std::process::{Command, Output};

use serde_json::Value;

fn submission(problem: &str, folder: &str, file: &str) -> String {
    problems()
        .join(problem)
        .join("submissions")
        .join(folder)
        .join(file)
        .display()
        .to_string()
}

fn tests(problem: &str) -> String {
    problems().join(problem).display().to_string()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not one JSON document ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn accepted_prints_one_json_document_with_real_values_and_exits_0() {
    if !root() {
        return;
    }
    let src = submission("different", "accepted", "different.c");
    let out = judge(&["run", &src, "--tests", &tests("different"), "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    assert_eq!(doc["verdict"], "AC");
    assert_eq!(doc["compile"]["ok"], true);
    assert!(doc["compile"]["time_ms"].as_u64().unwrap() > 0);
    let tests = doc["tests"].as_array().unwrap();
    let names: Vec<&str> = tests.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["sample/1", "secret/1", "secret/2", "secret/3"]);
    for t in tests {
        assert_eq!(t["verdict"], "AC");
        assert_eq!(t["exit_code"], 0);
        assert!(t["signal"].is_null());
        assert!(t["memory_kib"].as_u64().unwrap() > 0);
        for key in ["time_ms", "wall_ms", "message"] {
            assert!(!t[key].is_null(), "{key} missing");
        }
    }
    let max_time = tests
        .iter()
        .map(|t| t["time_ms"].as_u64().unwrap())
        .max()
        .unwrap();
    assert_eq!(doc["time_ms"].as_u64().unwrap(), max_time);
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["compile", "memory_kib", "tests", "time_ms", "verdict"]
    );
}

#[test]
fn wrong_answer_stops_at_the_first_failure_and_exits_1() {
    if !root() {
        return;
    }
    let src = submission("different", "wrong_answer", "sum.c");
    let out = judge(&["run", &src, "--tests", &tests("different"), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["verdict"], "WA");
    let run = doc["tests"].as_array().unwrap();
    assert_eq!(run.len(), 1, "ICPC style: stop at the first failure");
    assert!(run[0]["message"]
        .as_str()
        .unwrap()
        .contains("expected \"2\""));

    let out = judge(&[
        "run",
        &src,
        "--tests",
        &tests("different"),
        "--json",
        "--all",
    ]);
    assert_eq!(
        json(&out)["tests"].as_array().unwrap().len(),
        4,
        "--all runs every test"
    );
}

#[test]
fn the_human_report_shows_expected_versus_got() {
    if !root() {
        return;
    }
    let src = submission("different", "wrong_answer", "signed.cpp");
    let out = judge(&["run", &src, "--tests", &tests("different")]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("expected (answer line 1): 2"), "{text}");
    assert!(text.contains("got      (output line 1): -2"), "{text}");
    assert!(text.contains("verdict WA"), "{text}");
}

#[test]
fn compile_error_carries_the_compilers_message() {
    if !root() {
        return;
    }
    let src = submission("different", "compile_error", "syntax.c");
    let out = judge(&["run", &src, "--tests", &tests("different"), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    assert_eq!(doc["verdict"], "CE");
    assert_eq!(doc["compile"]["ok"], false);
    assert!(doc["compile"]["message"]
        .as_str()
        .unwrap()
        .contains("error"));
    assert_eq!(doc["tests"].as_array().unwrap().len(), 0);
    let out = judge(&["run", &src, "--tests", &tests("different")]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("error: expected"));
}

#[test]
fn a_source_that_is_no_program_text_is_ce_not_a_usage_error() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = tests("different");
    for (name, bytes, why) in [
        ("nul.c", &b"int main\0() {}"[..], "a NUL byte at offset 8"),
        (
            "latin1.cpp",
            &b"// caf\xe9\nint main() {}"[..],
            "invalid UTF-8 at offset 6",
        ),
        ("empty.py", &b"\n"[..], "the file is empty"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = judge(&["run", path.to_str().unwrap(), "--tests", &t, "--json"]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out.stderr));
        let doc = json(&out);
        assert_eq!(doc["verdict"], "CE", "{name}");
        let message = doc["compile"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{name}: {message}");
    }
    // The engine's own binary, judged as C.
    let out = judge(&[
        "run",
        env!("CARGO_BIN_EXE_judge"),
        "--tests",
        &t,
        "--lang",
        "c",
        "--json",
    ]);
    assert_eq!(json(&out)["verdict"], "CE");
}

#[test]
fn a_sleeping_program_is_tle_past_the_wall_limit_which_a_flag_sets() {
    if !root() {
        return;
    }
    let src = submission("different", "time_limit_exceeded", "sleeps.c");
    let t = tests("different");
    // A 1 s limit: the wall limit is 2 s, then the test is TLE on the wall clock.
    let out = judge(&["run", &src, "--tests", &t, "--json"]);
    let doc = json(&out);
    assert_eq!(doc["verdict"], "TLE", "{doc}");
    let test = &doc["tests"][0];
    let wall = test["wall_ms"].as_u64().unwrap();
    assert!(
        (2000..9000).contains(&wall),
        "stopped at {wall} ms of wall time, not after its 10 s sleep"
    );
    assert!(test["time_ms"].as_u64().unwrap() < 500, "{test}");
    assert!(test["message"]
        .as_str()
        .unwrap()
        .contains("wall-clock limit of 2.000 s"));
    // --wall-limit sets it.
    let out = judge(&[
        "run",
        &src,
        "--tests",
        &t,
        "--json",
        "--wall-limit",
        "500ms",
    ]);
    let test = &json(&out)["tests"][0];
    assert!(
        test["message"]
            .as_str()
            .unwrap()
            .contains("wall-clock limit of 0.500 s"),
        "{test}"
    );
}

#[test]
fn a_time_limit_flag_overrides_the_package() {
    if !root() {
        return;
    }
    let src = submission("different", "time_limit_exceeded", "spin.c");
    let out = judge(&[
        "run",
        &src,
        "--tests",
        &tests("different"),
        "--json",
        "--time-limit",
        "300ms",
    ]);
    let doc = json(&out);
    assert_eq!(doc["verdict"], "TLE");
    let time = doc["tests"][0]["time_ms"].as_u64().unwrap();
    assert!(
        (300..400).contains(&time),
        "killed at {time} ms under a 300 ms limit"
    );
    assert!(doc["tests"][0]["message"]
        .as_str()
        .unwrap()
        .contains("0.300 s"));
}

#[test]
fn a_flat_directory_is_judged_in_natural_order() {
    if !root() {
        return;
    }
    let src = problems().join("aplusb/submissions/accepted/aplusb.py");
    let dir = problems().join("aplusb/tests");
    let out = judge(&[
        "run",
        src.to_str().unwrap(),
        "--tests",
        dir.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&out);
    let names: Vec<&str> = doc["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["1", "2", "10"]);
}

#[test]
fn profiles_flag_adds_a_language() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shell.toml"),
        "name = \"shell\"\nextensions = [\"sh\"]\nsource_name = \"main.sh\"\n\n[run]\n\
         command = [\"/bin/sh\", \"{source}\"]\nprocesses = 4\n",
    )
    .unwrap();
    let src = dir.path().join("sum.sh");
    std::fs::write(&src, "read a b\necho $((a + b))\n").unwrap();
    let aplusb = problems().join("aplusb/tests");
    let out = judge(&[
        "run",
        src.to_str().unwrap(),
        "--tests",
        aplusb.to_str().unwrap(),
        "--profiles",
        dir.path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        json(&out)["verdict"],
        "AC",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One sentence on stderr, exit status 2, nothing on stdout, never a panic.
fn assert_usage_error(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("judge: "), "{err}");
    assert!(err.contains(needle), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_input_gets_one_clear_sentence_and_exit_2() {
    if !root() {
        return;
    }
    let t = tests("different");
    assert_usage_error(
        &judge(&["run", "/no/such/file.c", "--tests", &t]),
        "/no/such/file.c",
    );
    let readme = problems().join("aplusb/README.md");
    assert_usage_error(
        &judge(&["run", readme.to_str().unwrap(), "--tests", &t]),
        "extension .md",
    );
    let src = submission("different", "accepted", "different.c");
    assert_usage_error(
        &judge(&["run", &src, "--tests", "/no/tests/here"]),
        "/no/tests/here",
    );
    assert_usage_error(
        &judge(&["run", &src, "--tests", &t, "--lang", "cobol"]),
        "cobol",
    );
    let empty = tempfile::tempdir().unwrap();
    assert_usage_error(
        &judge(&["run", &src, "--tests", empty.path().to_str().unwrap()]),
        empty.path().to_str().unwrap(),
    );
}

/// A package of one test in a temporary directory, with `extra` files (name, content) on top.
fn package_with(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("data/secret");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(secret.join("1.in"), "1 2\n").unwrap();
    std::fs::write(secret.join("1.ans"), "3\n").unwrap();
    std::fs::write(dir.path().join("problem.yaml"), "name: Limits\n").unwrap();
    for (name, content) in extra {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    dir
}

#[test]
fn package_limits_out_of_bounds_are_one_sentence_naming_the_file() {
    if !root() {
        return;
    }
    let src = submission("different", "accepted", "different.c");
    let slow = package_with(&[(".timelimit", "100000\n")]);
    let out = judge(&["run", &src, "--tests", slow.path().to_str().unwrap()]);
    assert_usage_error(&out, ".timelimit");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "judge: {}: 100000 s: a time limit must be above 0 and at most an hour\n",
            slow.path().join(".timelimit").display()
        )
    );
    let big = package_with(&[("problem.yaml", "limits: {memory: 99999999}\n")]);
    let out = judge(&["run", &src, "--tests", big.path().to_str().unwrap()]);
    assert_usage_error(&out, "problem.yaml");
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "judge: {}: limits.memory: 99999999 MiB: a size must be above 0 and at most the host's \
         memory (",
        big.path().join("problem.yaml").display()
    );
    assert!(err.starts_with(&expected), "{err}");
}

#[test]
fn limit_flags_out_of_bounds_are_usage_errors() {
    let src = submission("different", "accepted", "different.c");
    let t = tests("different");
    let out = judge(&["run", &src, "--tests", &t, "--time-limit", "7200"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--time-limit: 7200 s: a time limit must be above 0 and at most an hour"),
        "{err}"
    );
    let out = judge(&["run", &src, "--tests", &t, "--memory-limit", "99999999G"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--memory-limit: 97656.25 TiB: a size must be above 0 and at most the host's memory"
        ),
        "{err}"
    );
}

#[test]
fn a_relative_tests_path_works_with_an_output_validator() {
    if !root() {
        return;
    }
    // The validator's mounts once took the relative test paths as they were, and every test
    // was an IE.
    let out = Command::new(env!("CARGO_BIN_EXE_judge"))
        .current_dir(problems())
        .args([
            "run",
            "sumgame/submissions/accepted/all_in_first.c",
            "--tests",
            "sumgame",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        json(&out)["verdict"],
        "AC",
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `judge` with its cache's default place under `home` (no XDG_CACHE_HOME).
fn judge_with_home(home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_judge"))
        .args(args)
        .env("HOME", home)
        .env_remove("XDG_CACHE_HOME")
        .output()
        .unwrap()
}

#[test]
fn a_resubmission_comes_from_the_cache_and_an_unusable_default_cache_only_warns() {
    if !root() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let src = submission("different", "accepted", "different.c");
    let args = ["run", &src, "--tests", &tests("different"), "--json"];
    let first = json(&judge_with_home(home.path(), &args));
    assert_eq!(first["compile"]["cached"], false, "{first}");
    let again = json(&judge_with_home(home.path(), &args));
    assert_eq!(again["verdict"], "AC");
    assert_eq!(again["compile"]["cached"], true, "{again}");
    assert!(home.path().join(".cache/judge/compiled").is_dir());
    // --no-cache compiles again.
    let mut no_cache = args.to_vec();
    no_cache.push("--no-cache");
    let fresh = json(&judge_with_home(home.path(), &no_cache));
    assert_eq!(fresh["compile"]["cached"], false, "{fresh}");
    // A home where no cache can be made (a file where the directory would go): a warning.
    let blocked = tempfile::tempdir().unwrap();
    std::fs::write(blocked.path().join(".cache"), "not a directory").unwrap();
    let out = judge_with_home(blocked.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(json(&out)["verdict"], "AC");
    assert!(
        text(&out.stderr).contains("compiling without a cache"),
        "{}",
        text(&out.stderr)
    );
    // A directory asked for must work: an error naming it.
    let mut asked = args.to_vec();
    let bad = blocked.path().join(".cache/judge");
    let bad = bad.display().to_string();
    asked.extend(["--cache-dir", &bad]);
    let out = judge_with_home(blocked.path(), &asked);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&bad), "{}", text(&out.stderr));
}

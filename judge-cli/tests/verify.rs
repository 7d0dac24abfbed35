//! `judge verify` on the packages of `testcases/problems`: all-matching packages pass, a
//! misplaced submission is named with exit status 1, a bad layout is one clear error.

mod common;

use common::{problem, root, row, text};

use std::path::Path;
use std::process::{Command, Output};

/// Each test runs its engines alone: a crowded machine moves CPU-bound runs past their wall
/// limits, and the derived time limit's test judges close to them.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

fn verify(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_judge"))
        .arg("verify")
        .arg(dir)
        .output()
        .expect("run judge")
}

#[test]
fn different_passes_with_every_verdict_in_every_language() {
    if !root() {
        return;
    }
    let _alone = alone();
    let out = verify(&problem("different"));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    // One per language in each folder; also a threaded, a packaged (Java) and a 512 MiB
    // executable accepted one,
    // directories of several files in C++, Java (a package), Python, Kotlin and Scala (a
    // package), and one built by its build script; a sleeping and a fork bomb TLE; one that floods stderr alone; and
    // directories that are compile errors (two languages, a build leaving no `run`, a link out).
    for (folder, verdict, count) in [
        ("accepted", "AC", "14"),
        ("wrong_answer", "WA", "5"),
        ("time_limit_exceeded", "TLE", "7"),
        ("run_time_error", "RE", "5"),
        ("memory_limit_exceeded", "MLE", "5"),
        ("output_limit_exceeded", "OLE", "6"),
        ("compile_error", "CE", "8"),
    ] {
        assert_eq!(row(&stdout, folder), [folder, verdict, count, count]);
    }
    let last = stdout.lines().last().unwrap_or("");
    assert!(
        last.starts_with("verify: all 50 submissions got their folder's verdict"),
        "{stdout}"
    );
    // A JVM's start-up alone is near half the 1 s limit on a loaded machine (Kotlin measured
    // 0.503 s of CPU once in CI): only those may be called fragile here.
    for line in stdout.lines().filter(|l| l.contains(": fragile:")) {
        let jvm = ["kotlin", "scala", "java", "Java", "Packaged"];
        assert!(jvm.iter().any(|j| line.contains(j)), "{stdout}");
    }
}

#[test]
fn hello_passes() {
    if !root() {
        return;
    }
    let _alone = alone();
    let out = verify(&problem("hello"));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(row(&stdout, "accepted"), ["accepted", "AC", "3", "3"]);
    assert_eq!(
        row(&stdout, "wrong_answer"),
        ["wrong_answer", "WA", "2", "2"]
    );
}

#[test]
fn scripted_passes_with_its_submissions_yaml() {
    if !root() {
        return;
    }
    let _alone = alone();
    // A build-run output validator, a run-only submission, a directory whose entry point only
    // submissions.yaml names, and a TLE that must be AC on all tests but one.
    let out = verify(&problem("scripted"));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(row(&stdout, "accepted"), ["accepted", "AC", "4", "4"]);
    assert_eq!(
        row(&stdout, "time_limit_exceeded"),
        ["time_limit_exceeded", "TLE", "1", "1"]
    );
}

#[test]
fn a_misplaced_submission_is_named_and_exits_1() {
    if !root() {
        return;
    }
    let _alone = alone();
    let out = verify(&problem("misplaced"));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let misplaced = problem("misplaced").join("submissions/wrong_answer/double.c");
    let differences: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(": expected"))
        .collect();
    assert_eq!(
        differences,
        [format!("{}: expected WA, got AC", misplaced.display())],
        "only the misplaced one: {stdout}"
    );
    assert_eq!(
        row(&stdout, "wrong_answer"),
        ["wrong_answer", "WA", "2", "1"]
    );
    assert_eq!(row(&stdout, "accepted"), ["accepted", "AC", "1", "1"]);
    assert!(stdout.contains("verify: 1 of 3 submissions got another verdict"));
}

/// A one-test package in `dir` whose submissions/ holds `folder/double.py`.
fn package(dir: &Path, folder: &str) {
    std::fs::create_dir_all(dir.join("data/secret")).unwrap();
    std::fs::write(dir.join("problem.yaml"), "name: Double\n").unwrap();
    std::fs::write(dir.join("data/secret/1.in"), "2\n").unwrap();
    std::fs::write(dir.join("data/secret/1.ans"), "4\n").unwrap();
    let subs = dir.join("submissions").join(folder);
    std::fs::create_dir_all(&subs).unwrap();
    std::fs::write(subs.join("double.py"), "print(2 * int(input()))\n").unwrap();
}

/// One sentence on stderr, exit status 2, nothing judged.
fn assert_stops(out: &Output, needles: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("judge: "), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle} missing: {err}");
    }
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn an_unknown_folder_is_an_error_naming_it() {
    if !root() {
        return;
    }
    let _alone = alone();
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), "accepted");
    let typo = dir.path().join("submissions/acepted");
    std::fs::create_dir(&typo).unwrap();
    std::fs::write(typo.join("x.py"), "print(4)\n").unwrap();
    assert_stops(
        &verify(dir.path()),
        &[
            &typo.display().to_string(),
            "\"acepted\"",
            "accepted, wrong_answer",
        ],
    );
    std::fs::remove_dir_all(&typo).unwrap();
    let out = verify(dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_package_without_submissions_is_an_error() {
    if !root() {
        return;
    }
    let _alone = alone();
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), "accepted");
    std::fs::remove_dir_all(dir.path().join("submissions")).unwrap();
    assert_stops(&verify(dir.path()), &["no submissions/ directory"]);
    std::fs::create_dir_all(dir.path().join("submissions/accepted")).unwrap();
    assert_stops(&verify(dir.path()), &["no submission in any folder"]);
}

/// The record of the submission whose path ends with `name` in `verify --json`'s document.
fn record(doc: &serde_json::Value, name: &str) -> serde_json::Value {
    doc["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} in {doc}"))
        .clone()
}

/// `judge` with `args` and its cache in `cache`.
fn judge_cached(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_judge"))
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .expect("run judge")
}

#[test]
fn a_package_without_a_time_limit_gets_it_derived_and_judge_run_uses_it() {
    if !root() {
        return;
    }
    let _alone = alone();
    let burn = problem("burn");
    let cache = tempfile::tempdir().unwrap();
    let out = judge_cached(cache.path(), &["verify", burn.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let limit = &doc["time_limit"];
    assert_eq!(limit["source"], "derived", "{doc}");
    assert!(limit["slowest_accepted"]
        .as_str()
        .unwrap()
        .ends_with("accepted/burn_700ms.c"));
    // The 2023-07 defaults and the package's resolution; the formula as problemtools has it.
    assert_eq!(limit["multiplier"], 2.0);
    assert_eq!(limit["resolution_seconds"], 0.5);
    assert_eq!(doc["tle_margin"], 1.5);
    let slowest = limit["slowest_accepted_seconds"].as_f64().unwrap();
    assert!(
        (0.7..0.75).contains(&slowest),
        "a 0.7 s burn measured {slowest} s"
    );
    let want = ((slowest * 2.0 / 0.5).ceil().max(1.0)) * 0.5;
    assert_eq!(limit["seconds"].as_f64().unwrap(), want);
    assert_eq!(want, 1.5);
    let by_file = |name: &str| record(&doc, name);
    let close = by_file("burn_2s.c");
    assert_eq!(
        (&close["verdict"], &close["finding"], &close["matches"]),
        (&"TLE".into(), &"too_close".into(), &true.into()),
        "{close}"
    );
    assert!(close["message"].as_str().unwrap().contains("AC at 2.250 s"));
    let spin = by_file("spin.c");
    assert_eq!(
        (&spin["verdict"], &spin["finding"]),
        (&"TLE".into(), &"matches".into())
    );
    let wrong = by_file("plus_one.py");
    assert_eq!(
        (&wrong["expected"], &wrong["verdict"], &wrong["matches"]),
        (&"WA".into(), &"WA".into(), &true.into())
    );
    assert_eq!(doc["submissions"].as_array().unwrap().len(), 5);
    assert_eq!(doc["ok"], true);

    // judge run finds the derived limit for this content...
    let spin_path = burn.join("submissions/time_limit_exceeded/spin.c");
    let run = |cache: &Path| {
        judge_cached(
            cache,
            &[
                "run",
                spin_path.to_str().unwrap(),
                "--tests",
                burn.to_str().unwrap(),
                "--json",
            ],
        )
    };
    // The spinning run stops at the CPU limit, or (on a crowded machine) at the wall limit it
    // implies: either names the limit.
    let stopped_at = |out: &Output, cpu: &str, wall: &str| {
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let message = doc["tests"][0]["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains(&format!("over the limit of {cpu}"))
                || message.contains(&format!("wall-clock limit of {wall}")),
            "{doc}"
        );
    };
    let out = run(cache.path());
    stopped_at(&out, "1.500 s", "2.500 s");
    assert!(text(&out.stderr).contains("derived by judge verify"));
    // ...and says so when there is none: the default.
    let empty = tempfile::tempdir().unwrap();
    let out = run(empty.path());
    stopped_at(&out, "1.000 s", "2.000 s");
    assert!(text(&out.stderr).contains("has not derived one"));
}

#[test]
fn domjudge_expected_results_tags_work_where_a_folder_names_no_verdict() {
    if !root() {
        return;
    }
    let _alone = alone();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let put = |name: &str, text: &str| {
        let path = p.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    put("problem.yaml", "name: Tags\n");
    put(".timelimit", "1\n");
    put("data/secret/1.in", "1\n");
    put("data/secret/1.ans", "1\n");
    put("submissions/accepted/plain.py", "print(input())\n");
    // DOMjudge's convention: in mixed/ (a folder with no verdict) the tag says what the source
    // may get; in wrong_answer/ the tag must include WA and the folder's WA stands.
    let spins = "# @EXPECTED_RESULTS@: TIMELIMIT, WRONG-ANSWER\nwhile True: pass\n";
    put("submissions/mixed/spins.py", spins);
    put(
        "submissions/mixed-verdicts/claims_correct.py",
        "# @EXPECTED_RESULTS@: CORRECT\nprint(2)\n",
    );
    put("submissions/wrong_answer/spins_too.py", spins);
    let out = common::judge(&["verify", "--json", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_file = |name: &str| record(&doc, name);
    let spins = by_file("spins.py");
    assert_eq!(
        (&spins["expected"], &spins["verdict"], &spins["matches"]),
        (&"TLE".into(), &"TLE".into(), &true.into()),
        "{spins}"
    );
    assert_eq!(spins["also_allowed"], serde_json::json!(["WA"]));
    let claims = by_file("claims_correct.py");
    assert_eq!(
        (&claims["expected"], &claims["verdict"], &claims["matches"]),
        (&"AC".into(), &"WA".into(), &false.into()),
        "{claims}"
    );
    let too = by_file("spins_too.py");
    assert_eq!(
        (&too["expected"], &too["verdict"], &too["matches"]),
        (&"WA".into(), &"TLE".into(), &false.into()),
        "the folder's verdict stands: {too}"
    );
    assert_eq!(too["also_allowed"], serde_json::json!([]));
    assert_eq!(by_file("plain.py")["matches"], true);

    // DOMjudge's submissions.json names a directory submission's entry point.
    std::fs::remove_dir_all(p.join("submissions/mixed-verdicts")).unwrap();
    std::fs::remove_file(p.join("submissions/wrong_answer/spins_too.py")).unwrap();
    put(
        "submissions/accepted/multi/go.py",
        "from calc import f\nprint(f(input()))\n",
    );
    put(
        "submissions/accepted/multi/calc.py",
        "def f(x):\n    return x\n",
    );
    let out = verify(p);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("accepted/multi: expected AC, got CE"),
        "{stdout}"
    );
    put(
        "submissions.json",
        r#"{"submissions/accepted/multi/": {"entry_point": "go.py", "langid": "py3"}}"#,
    );
    let out = verify(p);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));

    // A tag that leaves out its folder's verdict, and an untagged submission in a folder
    // with no verdict, each stop verify naming the file.
    put(
        "submissions/wrong_answer/claims_correct.py",
        "# @EXPECTED_RESULTS@: CORRECT\nprint(2)\n",
    );
    assert_stops(
        &verify(p),
        &["wrong_answer/claims_correct.py", "(AC) does not include WA"],
    );
    std::fs::remove_file(p.join("submissions/wrong_answer/claims_correct.py")).unwrap();
    put("submissions/mixed/untagged.py", "print(1)\n");
    assert_stops(
        &verify(p),
        &[
            "\"mixed\" names no verdict",
            "mixed/untagged.py has no @EXPECTED_RESULTS@",
        ],
    );
}

#[test]
fn submissions_yaml_declares_entry_points_and_test_verdict_requirements() {
    if !root() {
        return;
    }
    let _alone = alone();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    package(p, "accepted");
    let subs = p.join("submissions");
    // A directory of two Python files, neither main.py.
    let two = subs.join("accepted/two");
    std::fs::create_dir_all(&two).unwrap();
    std::fs::write(
        two.join("go.py"),
        "from calc import f\nprint(f(int(input())))\n",
    )
    .unwrap();
    std::fs::write(two.join("calc.py"), "def f(x):\n    return 2 * x\n").unwrap();
    // A correct one under wrong_answer/, which only an override of the folder allows.
    std::fs::create_dir_all(subs.join("wrong_answer")).unwrap();
    std::fs::copy(
        subs.join("accepted/double.py"),
        subs.join("wrong_answer/lucky.py"),
    )
    .unwrap();
    // rejected/ names no verdict: some test not AC is what it requires.
    std::fs::create_dir_all(subs.join("rejected")).unwrap();
    std::fs::write(subs.join("rejected/zero.py"), "print(0)\n").unwrap();
    let yaml = subs.join("submissions.yaml");
    let run = |yaml_text: Option<&str>| {
        if let Some(t) = yaml_text {
            std::fs::write(&yaml, t).unwrap();
        }
        let out = verify(p);
        let stdout = text(&out.stdout);
        let code = out.status.code();
        let differences: Vec<String> = stdout
            .lines()
            .filter(|l| l.contains(": expected"))
            .map(|l| l.replace(&format!("{}/", subs.display()), ""))
            .collect();
        (code, differences, format!("{stdout}{}", text(&out.stderr)))
    };

    // Without the file: the directory has no entry point (CE), the correct one under
    // wrong_answer/ is AC, and the rejected one is as expected.
    let (code, differences, all) = run(None);
    assert_eq!(code, Some(1), "{all}");
    assert_eq!(differences.len(), 2, "{all}");
    assert!(
        differences[0].starts_with("accepted/two: expected AC, got CE"),
        "{all}"
    );
    assert_eq!(
        differences[1], "wrong_answer/lucky.py: expected WA, got AC",
        "{all}"
    );

    // An override of the folder inherits what it does not give: required WA still holds.
    let entry = "accepted/two:\n  entrypoint: go.py\n";
    let (code, differences, all) = run(Some(&format!(
        "{entry}wrong_answer:\n  permitted: [AC, WA]\n"
    )));
    assert_eq!(code, Some(1), "{all}");
    assert_eq!(
        differences,
        [
            "wrong_answer/lucky.py: expected WA, got AC (submissions.yaml wrong_answer: no test \
          is one of the required WA)"
        ],
        "{all}"
    );
    let relaxed = format!("{entry}wrong_answer:\n  required: [AC, WA]\n");
    let (code, _, all) = run(Some(&relaxed));
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("rejected               rules              1           1"),
        "{all}"
    );

    // A requirement the submission's tests do not meet is named.
    let (code, differences, all) = run(Some(&format!(
        "{relaxed}accepted/double.py:\n  required: [WA]\n  message: half\n"
    )));
    assert_eq!(code, Some(1), "{all}");
    assert_eq!(
        differences,
        [
            "accepted/double.py: expected AC, got AC (submissions.yaml accepted/double.py: no \
          test is one of the required WA)"
        ],
        "{all}"
    );

    // brute_force/ may not answer wrong, even without the file.
    std::fs::remove_file(&yaml).unwrap();
    std::fs::remove_dir_all(subs.join("wrong_answer")).unwrap();
    std::fs::create_dir_all(subs.join("brute_force")).unwrap();
    std::fs::write(subs.join("brute_force/zero.py"), "print(0)\n").unwrap();
    let (code, differences, all) = run(None);
    assert_eq!(code, Some(1), "{all}");
    assert_eq!(differences.len(), 2, "{all}");
    assert_eq!(
        differences[1],
        "brute_force/zero.py: expected what brute_force requires, got WA (the brute_force \
         folder: test secret/1 is WA, not one of the permitted AC, RTE, TLE)",
        "{all}"
    );

    // What is not supported stops verify with one error naming the file.
    std::fs::write(&yaml, "accepted/double.py:\n  sample:\n    score: 1\n").unwrap();
    assert_stops(&verify(p), &["submissions.yaml", "score per test group"]);
    std::fs::write(&yaml, "accepted/double.py:\n  verdict: AC\n").unwrap();
    assert_stops(&verify(p), &["submissions.yaml", "unknown key \"verdict\""]);
}

#[test]
fn input_validators_accept_every_input_and_reject_every_invalid_one() {
    if !root() {
        return;
    }
    let _alone = alone();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("included");
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(problem("included"))
        .arg(&p)
        .status()
        .unwrap();
    assert!(copied.success());
    let out = verify(&p);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("input validation: 2 validators, 5 inputs: as expected"),
        "{stdout}"
    );
    assert!(
        stdout.contains("format.ctd not run: Checktestdata is not available here"),
        "{stdout}"
    );

    // A test's input that one validator rejects, with its message.
    std::fs::write(p.join("data/secret/1.in"), "+12\n").unwrap();
    let out = verify(&p);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "input validator digits rejects secret/1 (exit code 43): not a line of digits"
        ),
        "{stdout}"
    );
    std::fs::write(p.join("data/secret/1.in"), "12\n").unwrap();

    // An invalid input every validator accepts.
    std::fs::write(p.join("data/invalid_input/fine.in"), "5\n").unwrap();
    let out = common::judge(&["verify", "--json", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["input_validation"]["findings"],
        serde_json::json!([{"kind": "accepted_invalid", "input": "invalid_input/fine"}]),
        "{doc}"
    );
    assert_eq!(doc["ok"], false);
    let out = common::judge(&["verify", "--no-input-validation", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn in_the_2025_09_format_a_slow_wrong_answer_bounds_the_derived_limit_from_below() {
    if !root() {
        return;
    }
    let _alone = alone();
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let p = dir.path();
    package(p, "accepted");
    // 1.25 s of CPU, then a wrong answer: a lower bound of 2.5 s, so a 3 s limit.
    let wrong = p.join("submissions/wrong_answer");
    std::fs::create_dir_all(&wrong).unwrap();
    std::fs::write(
        wrong.join("slow_wrong.py"),
        "import time\nwhile time.process_time() < 1.25:\n    pass\nprint(0)\n",
    )
    .unwrap();
    let run = || {
        let out = judge_cached(cache.path(), &["verify", "--json", p.to_str().unwrap()]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
        (out.status.code(), doc)
    };
    // A legacy package, as problemtools derives it, from the accepted run alone: 1 s, and
    // the slow one is TLE.
    let (code, doc) = run();
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["time_limit"]["seconds"], 1.0, "{doc}");
    assert_eq!(record(&doc, "slow_wrong.py")["verdict"], "TLE", "{doc}");

    // In the 2025-09 format its folders' requirements decide, and wrong_answer permits no
    // TLE: it bounds the limit from below.
    std::fs::write(
        p.join("problem.yaml"),
        "problem_format_version: 2025-09\nname: Double\nuuid: 2\n",
    )
    .unwrap();
    let (code, doc) = run();
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["time_limit"]["seconds"], 3.0, "{doc}");
    assert_eq!(doc["time_limit"]["slowest_folder"], "wrong_answer", "{doc}");
    assert_eq!(record(&doc, "slow_wrong.py")["verdict"], "WA", "{doc}");

    // use_for_time_limit: false takes it out again.
    std::fs::write(
        p.join("submissions/submissions.yaml"),
        "wrong_answer/slow_wrong.py:\n  use_for_time_limit: false\n",
    )
    .unwrap();
    let (code, doc) = run();
    assert_eq!(code, Some(1), "{doc}");
    assert_eq!(doc["time_limit"]["seconds"], 1.0, "{doc}");
}

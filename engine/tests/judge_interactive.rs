//! Interactive problems end to end: the submission and the interactor each sandboxed, relayed
//! by the engine, the verdict by problemtools' rules, and no way for either side to hang the
//! judge (never flushing, exiting early, closing a pipe, flooding, hanging).

mod common;

use std::path::Path;
use std::time::Duration;

use common::{root, testcases};
use judge_engine::judge::{Options, Problem, Report, Side};
use judge_engine::profile::ProfileSet;
use judge_engine::testset;
use judge_engine::verdict::Verdict;

/// A package in `dir`: one secret test `1` with input `input`, the Kattis interactor `interactor`
/// (C), interactive validation.
fn package(dir: &Path, interactor: &str, input: &str) {
    std::fs::write(
        dir.join("problem.yaml"),
        "name: Interactive\nvalidation: custom interactive\n",
    )
    .unwrap();
    let secret = dir.join("data/secret");
    std::fs::create_dir_all(&secret).unwrap();
    std::fs::write(secret.join("1.in"), input).unwrap();
    std::fs::write(secret.join("1.ans"), input).unwrap();
    let validator = dir.join("output_validators/interactor");
    std::fs::create_dir_all(&validator).unwrap();
    std::fs::write(validator.join("interactor.c"), interactor).unwrap();
}

fn judge(tests: &Path, name: &str, source: &str, options: &Options) -> Report {
    let profiles = ProfileSet::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, source).unwrap();
    let problem = Problem::prepare(
        common::sandbox(),
        &profiles,
        testset::discover(tests).unwrap(),
    )
    .unwrap();
    assert!(problem.is_interactive());
    let profile = profiles.for_source(&path, None).unwrap();
    std::sync::Arc::new(problem)
        .judge(&common::pool(1, true), profile, &path, options, &|_| {})
        .unwrap()
}

fn half_second() -> Options {
    Options {
        time_limit: Some(Duration::from_millis(500)),
        ..Options::default()
    }
}

/// Writes "x" lines until it cannot.
const FLOOD: &str = r#"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    char line[4096];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (;;) if (write(1, line, sizeof line) < 0) return 3;
}
"#;

/// A Kattis interactor that exits with `code` at once, reading nothing.
fn exits_at_once(code: i32) -> String {
    format!(
        "#include <stdio.h>\nint main(int c, char **v) {{ char p[4096]; snprintf(p, sizeof p, \
         \"%s/judgemessage.txt\", v[3]); FILE *f = fopen(p, \"w\"); if (f) {{ fputs(\"gave up at \
         once\", f); fclose(f); }} return {code}; }}\n"
    )
}

#[test]
fn the_guess_package_answers_each_kind_of_submission() {
    if !root() {
        return;
    }
    let guess = testcases().join("problems/guess");
    let cases = [
        ("accepted/bisect.cpp", Verdict::AC),
        ("wrong_answer/linear.c", Verdict::WA),
        ("time_limit_exceeded/never_flush.c", Verdict::TLE),
        ("run_time_error/crash_after_correct.cpp", Verdict::RE),
    ];
    for (file, want) in cases {
        let path = guess.join("submissions").join(file);
        let source = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        let report = judge(&guess, name, &source, &half_second());
        assert_eq!(report.verdict, want, "{file}: {:?}", report.tests.last());
    }
}

#[test]
fn a_submission_that_never_flushes_is_stopped_at_the_pairs_wall_limit() {
    if !root() {
        return;
    }
    let guess = testcases().join("problems/guess");
    let source =
        std::fs::read_to_string(guess.join("submissions/time_limit_exceeded/never_flush.c"))
            .unwrap();
    let options = Options {
        wall_limit: Some(Duration::from_millis(700)),
        ..half_second()
    };
    let report = judge(&guess, "never_flush.c", &source, &options);
    let test = &report.tests[0];
    assert_eq!(test.verdict, Verdict::TLE);
    assert!(
        test.message.contains("wall-clock limit of 0.700 s"),
        "{}",
        test.message
    );
    assert!(test.wall_time >= Duration::from_millis(700), "{test:?}");
    assert!(
        test.time < Duration::from_millis(100),
        "it only waited: {test:?}"
    );
}

#[test]
fn an_interactor_that_says_wa_and_exits_first_wins_over_the_sigpipe_it_caused() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), &exits_at_once(43), "1\n");
    let report = judge(dir.path(), "flood.c", FLOOD, &half_second());
    let test = &report.tests[0];
    assert_eq!(test.verdict, Verdict::WA, "{test:?}");
    assert_eq!(test.message, "gave up at once");
    // The flood ended as on a direct pipe: its writes failed once the reader was gone.
    assert!(
        test.signal == Some(libc::SIGPIPE) || test.exit_code == Some(3),
        "{test:?}"
    );
}

#[test]
fn after_an_accepting_interactor_exits_the_submissions_own_crash_stands() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), &exits_at_once(42), "1\n");
    let report = judge(dir.path(), "flood.c", FLOOD, &half_second());
    let test = &report.tests[0];
    // The flood dies of SIGPIPE (or exits 3 on EPIPE): RE, though the interactor accepted.
    assert_eq!(test.verdict, Verdict::RE, "{test:?}");
    // And without the flood the interactor's word stands.
    let quiet = judge(
        dir.path(),
        "quiet.c",
        "int main(void) { return 0; }\n",
        &half_second(),
    );
    assert_eq!(quiet.verdict, Verdict::AC, "{:?}", quiet.tests);
}

/// Reads numbers and answers each with its double until end of input; 42 if it saw `n` of them,
/// else 43.
const DOUBLER: &str = r#"
#include <stdio.h>
int main(int argc, char **argv) {
    FILE *in = fopen(argv[1], "r");
    int n = 0, seen = 0;
    long long x;
    if (!in || fscanf(in, "%d", &n) != 1) return 1;
    while (scanf("%lld", &x) == 1) {
        printf("%lld\n", 2 * x);
        fflush(stdout);
        seen++;
    }
    return seen == n ? 42 : 43;
}
"#;

#[test]
fn a_submission_that_closes_its_output_and_waits_gets_wa_without_hanging_the_judge() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), DOUBLER, "3\n");
    let source = r#"
#include <unistd.h>
int main(void) { close(1); for (;;) pause(); }
"#;
    let report = judge(dir.path(), "closer.c", source, &half_second());
    let test = &report.tests[0];
    // The interactor saw end of input, said WA and ended first: that wins over the TLE.
    assert_eq!(test.verdict, Verdict::WA, "{test:?}");
}

#[test]
fn an_interactor_flooding_a_submission_that_never_reads_leaves_the_submissions_tle() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), FLOOD, "1\n");
    let source = "#include <unistd.h>\nint main(void) { for (;;) pause(); }\n";
    let report = judge(dir.path(), "sleeper.c", source, &half_second());
    let test = &report.tests[0];
    // The interactor's write fails once the submission is gone: not the problem's fault.
    assert_eq!(test.verdict, Verdict::TLE, "{test:?}");
}

#[test]
fn an_interactor_that_hangs_is_an_internal_error_and_the_judge_goes_on() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hangs = "#include <unistd.h>\nint main(void) { for (;;) pause(); }\n";
    package(dir.path(), hangs, "1\n");
    let report = judge(
        dir.path(),
        "quiet.c",
        "int main(void) { return 0; }\n",
        &half_second(),
    );
    let test = &report.tests[0];
    assert_eq!(test.verdict, Verdict::IE, "{test:?}");
    assert!(test.message.contains("WallTime"), "{}", test.message);
}

#[test]
fn the_interactor_is_sandboxed_and_its_cpu_time_is_not_the_submissions() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Burns about 0.3 s of CPU, then accepts only if it could neither read /etc/shadow nor see
    // the host's processes.
    let interactor = r#"
#include <dirent.h>
#include <stdio.h>
#include <time.h>
int main(int argc, char **argv) {
    struct timespec t;
    do clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); while (t.tv_sec == 0 && t.tv_nsec < 300000000);
    if (fopen("/etc/shadow", "r")) return 43;
    DIR *proc = opendir("/proc");
    int pids = 0;
    struct dirent *e;
    while (proc && (e = readdir(proc))) pids += e->d_name[0] >= '1' && e->d_name[0] <= '9';
    if (!proc || pids != 1) return 43; /* only itself: the init is hidden too */
    printf("go\n");
    fflush(stdout);
    char word[8];
    return scanf("%7s", word) == 1 ? 42 : 43;
}
"#;
    package(dir.path(), interactor, "1\n");
    let source = r#"
#include <stdio.h>
int main(void) { char w[8]; if (scanf("%7s", w) != 1) return 1; printf("done\n"); return 0; }
"#;
    let report = judge(dir.path(), "waits.c", source, &Options::default());
    let test = &report.tests[0];
    assert_eq!(test.verdict, Verdict::AC, "{test:?}");
    assert!(
        test.time < Duration::from_millis(100),
        "the submission only waited, yet was charged {:?}",
        test.time
    );
    assert!(test.wall_time >= Duration::from_millis(250), "{test:?}");
}

#[test]
fn the_transcript_holds_both_directions_in_order_and_is_capped() {
    if !root() {
        return;
    }
    let guess = testcases().join("problems/guess");
    let source = std::fs::read_to_string(guess.join("submissions/accepted/bisect.cpp")).unwrap();
    let options = Options {
        transcript: true,
        ..Options::default()
    };
    let report = judge(&guess, "bisect.cpp", &source, &options);
    assert_eq!(report.verdict, Verdict::AC);
    // Secret 2 is 1000: 500 higher 750 higher ... until correct.
    let test = report.tests.iter().find(|t| t.name == "secret/2").unwrap();
    let transcript = test.transcript.as_ref().unwrap();
    let text: Vec<(Side, String)> = transcript
        .chunks
        .iter()
        .map(|c| (c.from, String::from_utf8_lossy(&c.bytes).trim().to_owned()))
        .collect();
    assert_eq!(text[0], (Side::Submission, "500".to_owned()));
    assert_eq!(text[1], (Side::Interactor, "higher".to_owned()));
    assert_eq!(
        text.last().unwrap(),
        &(Side::Interactor, "correct".to_owned())
    );
    assert!(text.contains(&(Side::Submission, "1000".to_owned())));
    assert!(transcript.render().contains("> 500\n"));

    // A flood is recorded up to the cap, and the rest is counted.
    let dir = tempfile::tempdir().unwrap();
    let drains = r#"
#include <unistd.h>
int main(void) {
    char buf[65536];
    long total = 0;
    ssize_t n;
    while (total < (4L << 20) && (n = read(0, buf, sizeof buf)) > 0) total += n;
    return 42;
}
"#;
    package(dir.path(), drains, "1\n");
    let report = judge(dir.path(), "flood.c", FLOOD, &options);
    let transcript = report.tests[0].transcript.as_ref().unwrap();
    let recorded: usize = transcript.chunks.iter().map(|c| c.bytes.len()).sum();
    assert_eq!(recorded, judge_engine::judge::TRANSCRIPT_CAP);
    assert!(
        transcript.left_out >= (4 << 20) - recorded as u64,
        "{}",
        transcript.left_out
    );
    assert!(transcript.render().ends_with("more bytes not recorded]\n"));
}

#[test]
fn a_scored_interactive_problem_takes_each_tests_score_from_the_interactors_score_txt() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Asks 1..n in turn, wants each doubled, scores the number of right replies.
    let interactor = r#"
#include <stdio.h>
int main(int argc, char **argv) {
    FILE *in = fopen(argv[1], "r");
    int n, right = 0;
    if (!in || fscanf(in, "%d", &n) != 1) return 1;
    for (int i = 1; i <= n; i++) {
        long long reply;
        printf("%d\n", i);
        fflush(stdout);
        if (scanf("%lld", &reply) != 1) break;
        if (reply == 2 * i) right++;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/score.txt", argv[3]);
    FILE *score = fopen(path, "w");
    if (!score) return 1;
    fprintf(score, "%d\n", right);
    fclose(score);
    return 42;
}
"#;
    package(dir.path(), interactor, "5\n");
    std::fs::write(dir.path().join("data/secret/2.in"), "4\n").unwrap();
    std::fs::write(dir.path().join("data/secret/2.ans"), "4\n").unwrap();
    std::fs::write(
        dir.path().join("problem.yaml"),
        "name: Doubles\ntype: scoring\nvalidation: custom interactive score\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("data/secret/testdata.yaml"),
        "on_reject: continue\ngrader_flags: sum\nrange: 0 9\n",
    )
    .unwrap();
    // Right for the first three questions only.
    let source = r#"
#include <stdio.h>
int main(void) {
    int i;
    while (scanf("%d", &i) == 1) { printf("%d\n", i <= 3 ? 2 * i : 0); fflush(stdout); }
    return 0;
}
"#;
    let report = judge(dir.path(), "three.c", source, &Options::default());
    let scores: Vec<Option<f64>> = report.tests.iter().map(|t| t.score).collect();
    assert_eq!(scores, [Some(3.0), Some(3.0)], "{:?}", report.tests);
    assert_eq!(report.verdict, Verdict::AC);
    assert_eq!(report.score, Some(6.0));
}

/// Sends the numbers of the input, closes its stdout, then wants their sum back.
const SENDS_THEN_CLOSES: &str = r#"
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
    FILE *in = fopen(argv[1], "r");
    long n, sum = 0, got;
    while (fscanf(in, "%ld", &n) == 1) { printf("%ld\n", n); sum += n; }
    fflush(stdout);
    fclose(stdout);
    if (scanf("%ld", &got) != 1) return 43;
    return got == sum ? 42 : 43;
}
"#;

/// Reads numbers until the end of its input, then writes their sum.
const SUMS_TO_EOF: &str = r#"
#include <stdio.h>
int main(void) {
    long n, sum = 0;
    while (scanf("%ld", &n) == 1) sum += n;
    printf("%ld\n", sum);
    return 0;
}
"#;

#[test]
fn an_interactor_closing_its_output_is_the_end_of_the_submissions_input() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    package(dir.path(), SENDS_THEN_CLOSES, "1 2 3 4\n");
    // Fresh sandboxes and reused environments alike: no other copy of the interactor's stdout
    // (its sandbox's PID 1 held one) keeps the stream open.
    let report = judge(dir.path(), "sum.c", SUMS_TO_EOF, &half_second());
    assert_eq!(report.verdict, Verdict::AC, "{:?}", report.tests);
}

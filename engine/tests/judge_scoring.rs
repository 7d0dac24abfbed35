//! Scored problems judged end to end: oddecho's subtasks (accepted, partial, wrong), a Kattis
//! validator's score.txt, a testlib checker's points, and `group_scores` in problem.yaml.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{root, testcases};
use judge_engine::judge::{GroupReport, Options, Problem, Report};
use judge_engine::profile::ProfileSet;
use judge_engine::testset;
use judge_engine::verdict::Verdict;

fn problem_dir(name: &str) -> PathBuf {
    testcases().join("problems").join(name)
}

fn judge(problem: &Path, source: &Path, options: &Options) -> Report {
    let profiles = ProfileSet::builtin().unwrap();
    let tests = testset::discover(problem).unwrap();
    let problem = Problem::prepare(common::sandbox(), &profiles, tests).unwrap();
    let profile = profiles.for_source(source, None).unwrap();
    Arc::new(problem)
        .judge(&common::pool(2, true), profile, source, options, &|_| {})
        .unwrap()
}

fn submission(problem: &str, folder: &str, file: &str) -> Report {
    let dir = problem_dir(problem);
    let source = dir.join("submissions").join(folder).join(file);
    judge(&dir, &source, &Options::default())
}

/// Judge `text`, saved as `name`, against `problem`.
fn inline(problem: &Path, name: &str, text: &str) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join(name);
    std::fs::write(&source, text).unwrap();
    judge(problem, &source, &Options::default())
}

fn group<'a>(report: &'a Report, name: &str) -> &'a GroupReport {
    report
        .groups
        .iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("no group {name} in {:?}", report.groups))
}

fn test_names(report: &Report) -> Vec<&str> {
    report.tests.iter().map(|t| t.name.as_str()).collect()
}

#[test]
fn oddecho_accepted_earns_all_100_points() {
    if !root() {
        return;
    }
    let r = submission("oddecho", "accepted", "oddecho.cpp");
    assert_eq!(r.verdict, Verdict::AC);
    assert_eq!(r.score, Some(100.0));
    let names: Vec<&str> = r.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        ["sample", "secret", "secret/group1", "secret/group2"]
    );
    let g1 = group(&r, "secret/group1");
    assert_eq!(
        (g1.verdict, g1.score, g1.max_score),
        (Some(Verdict::AC), 30.0, Some(30.0))
    );
    assert_eq!(g1.tests.len(), 3);
    let g2 = group(&r, "secret/group2");
    assert_eq!((g2.score, g2.max_score), (70.0, Some(70.0)));
    let sample = group(&r, "sample");
    assert_eq!((sample.score, sample.max_score), (0.0, Some(0.0)));
    assert_eq!(r.tests.len(), 9, "every test runs");
    let t = r
        .tests
        .iter()
        .find(|t| t.name == "secret/group2/03")
        .unwrap();
    assert_eq!(t.score, Some(70.0));
}

#[test]
fn oddecho_partial_earns_exactly_the_small_groups_points() {
    if !root() {
        return;
    }
    let r = submission("oddecho", "partially_accepted", "ten_words.c");
    assert_eq!(r.verdict, Verdict::AC, "secret accepts when any group does");
    assert_eq!(r.score, Some(30.0));
    assert_eq!(group(&r, "secret/group1").verdict, Some(Verdict::AC));
    let g2 = group(&r, "secret/group2");
    assert_eq!((g2.verdict, g2.score), (Some(Verdict::WA), 0.0));
    assert_eq!(
        g2.tests,
        ["secret/group2/01"],
        "group2 stops at its first rejection (on_reject: break)"
    );
    assert!(
        !test_names(&r).contains(&"secret/group2/02"),
        "tests after the break do not count: {:?}",
        test_names(&r)
    );
}

#[test]
fn oddecho_wrong_answer_earns_nothing() {
    if !root() {
        return;
    }
    let r = submission("oddecho", "wrong_answer", "even.py");
    assert_eq!(r.verdict, Verdict::WA);
    assert_eq!(r.score, Some(0.0));
    for name in ["secret", "secret/group1", "secret/group2"] {
        assert_eq!(group(&r, name).verdict, Some(Verdict::WA), "{name}");
        assert_eq!(group(&r, name).score, 0.0, "{name}");
    }
}

#[test]
fn a_failing_group_does_not_stop_the_next_one() {
    if !root() {
        return;
    }
    // Wrong exactly when N <= 10: group1 fails first, group2 is still judged and scores.
    let r = inline(
        &problem_dir("oddecho"),
        "large_only.py",
        "words = open(0).read().split()[1:]\n\
         print('\\n'.join(words[0::2] if len(words) > 10 else ['no']))\n",
    );
    assert_eq!(group(&r, "secret/group1").verdict, Some(Verdict::WA));
    assert_eq!(group(&r, "secret/group2").score, 70.0);
    assert_eq!((r.verdict, r.score), (Verdict::AC, Some(70.0)));
}

#[test]
fn with_all_every_test_runs_and_only_counted_ones_score() {
    if !root() {
        return;
    }
    let dir = problem_dir("oddecho");
    let source = dir.join("submissions/partially_accepted/ten_words.c");
    let all = Options {
        run_all: true,
        ..Options::default()
    };
    let r = judge(&dir, &source, &all);
    assert_eq!(r.tests.len(), 9);
    assert_eq!(r.score, Some(30.0), "the same score as without --all");
    let t = r
        .tests
        .iter()
        .find(|t| t.name == "secret/group2/02")
        .unwrap();
    assert_eq!((t.verdict, t.score), (Verdict::WA, None));
}

#[test]
fn score_txt_gives_each_test_its_share() {
    if !root() {
        return;
    }
    let r = submission("reversal", "partially_accepted", "swap_ends.py");
    assert_eq!(r.verdict, Verdict::AC);
    // 2 words: all in place (25); 5: 3 of 5 (15); 8: 2 of 8 (6.25); 10: 2 of 10 (5).
    let scores: Vec<Option<f64>> = r
        .tests
        .iter()
        .filter(|t| t.name.starts_with("secret/"))
        .map(|t| t.score)
        .collect();
    assert_eq!(scores, [Some(25.0), Some(15.0), Some(6.25), Some(5.0)]);
    assert_eq!(r.score, Some(51.25));
    assert_eq!(r.tests[2].message, "3 of 5 words in place");
    let full = submission("reversal", "accepted", "reverse.cpp");
    assert_eq!((full.verdict, full.score), (Verdict::AC, Some(100.0)));
    let wrong = submission("reversal", "wrong_answer", "first_word.py");
    assert_eq!((wrong.verdict, wrong.score), (Verdict::WA, Some(0.0)));
}

#[test]
fn testlib_points_count_as_the_tests_score() {
    if !root() {
        return;
    }
    let r = submission("reversal_testlib", "partially_accepted", "swap_ends.py");
    assert_eq!(r.verdict, Verdict::AC);
    assert_eq!(r.score, Some(51.25));
    let t = r.tests.iter().find(|t| t.name == "secret/2").unwrap();
    assert_eq!(t.score, Some(15.0));
    assert_eq!(
        t.message, "3 of 5 words in place",
        "the message after the points"
    );
    let full = submission("reversal_testlib", "accepted", "reverse.cpp");
    assert_eq!(full.score, Some(100.0), "quitf(_ok) scores accept_score");
    let wrong = submission("reversal_testlib", "wrong_answer", "first_word.py");
    assert_eq!((wrong.verdict, wrong.score), (Verdict::WA, Some(0.0)));
}

#[test]
fn testlib_points_on_a_pass_fail_problem_are_an_internal_error() {
    if !root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("p");
    copy_dir(&problem_dir("reversal_testlib"), &copy);
    std::fs::write(copy.join("problem.yaml"), "validation: custom\n").unwrap();
    for file in ["data/testdata.yaml", "data/secret/testdata.yaml"] {
        std::fs::remove_file(copy.join(file)).unwrap();
    }
    let source = copy.join("submissions/partially_accepted/swap_ends.py");
    let r = judge(&copy, &source, &Options::default());
    assert_eq!(r.verdict, Verdict::IE);
    assert_eq!(r.score, None);
    assert!(r.groups.is_empty());
    let t = r.tests.last().unwrap();
    assert!(t.message.contains("not scored"), "{}", t.message);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// oddecho's tests with group_scores in problem.yaml instead of testdata.yaml files.
fn group_scores_package() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    copy_dir(&problem_dir("oddecho").join("data"), &p.join("data"));
    for file in [
        "data/testdata.yaml",
        "data/secret/testdata.yaml",
        "data/secret/group1/testdata.yaml",
        "data/secret/group2/testdata.yaml",
    ] {
        std::fs::remove_file(p.join(file)).unwrap();
    }
    std::fs::write(
        p.join("problem.yaml"),
        "type: scoring\ngroup_scores:\n  secret/group1: 40\n  secret/group2: 60\n",
    )
    .unwrap();
    dir
}

#[test]
fn group_scores_in_problem_yaml() {
    if !root() {
        return;
    }
    let d = group_scores_package();
    let partial = problem_dir("oddecho").join("submissions/partially_accepted/ten_words.c");
    let r = judge(d.path(), &partial, &Options::default());
    assert_eq!((r.verdict, r.score), (Verdict::AC, Some(40.0)));
    assert_eq!(group(&r, "secret/group2").max_score, Some(60.0));
    let full = problem_dir("oddecho").join("submissions/accepted/oddecho.py");
    assert_eq!(
        judge(d.path(), &full, &Options::default()).score,
        Some(100.0)
    );
}

#[test]
fn a_compile_error_scores_zero_with_every_group_unjudged() {
    if !root() {
        return;
    }
    let r = inline(&problem_dir("oddecho"), "broken.c", "int main( {");
    assert_eq!((r.verdict, r.score), (Verdict::CE, Some(0.0)));
    assert_eq!(r.groups.len(), 4);
    assert!(r.groups.iter().all(|g| g.verdict.is_none()));
}

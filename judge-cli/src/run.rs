//! `judge run SOURCE --tests DIR`: judge one submission and show the result.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use judge_engine::judge::{Event, Problem, Report};
use judge_engine::testset;

use crate::args::RunArgs;
use crate::setup::{options, pool, profiles, sandbox};
use crate::{output, Done, Failure};

/// One file per test that has a transcript: `DIR/<test name>.transcript`, the test's group
/// directories included.
fn write_transcripts(dir: &Path, report: &Report) -> Result<(), Failure> {
    let failed = |path: &Path, e: std::io::Error| {
        Failure::Engine(format!(
            "--transcript: cannot write {}: {e}",
            path.display()
        ))
    };
    for test in &report.tests {
        let Some(transcript) = &test.transcript else {
            continue;
        };
        let path = dir.join(format!("{}.transcript", test.name));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| failed(parent, e))?;
        }
        fs::write(&path, transcript.render()).map_err(|e| failed(&path, e))?;
    }
    Ok(())
}

/// Returns the submission's verdict.
pub fn run(args: &RunArgs) -> Result<Done, Failure> {
    if !args.source.exists() {
        return Err(Failure::Usage(format!(
            "source {} does not exist",
            args.source.display()
        )));
    }
    let profiles = profiles(&args.judge)?;
    // A directory whose language cannot be told is the submission's fault: judged CE below.
    let profile = match profiles.for_path(&args.source, args.lang.as_deref()) {
        Ok(profile) => Ok(profile),
        Err(e) if e.is_submission_fault() => Err(e.to_string()),
        Err(e) => return Err(e.into()),
    };
    let tests = testset::discover(&args.tests)?;
    for note in &tests.notes {
        eprintln!("judge: note: {note}");
    }
    let count = tests.tests.len();
    let mut options = options(&args.judge, args.all)?;
    let undeclared = options.time_limit.is_none() && tests.limits.time_limit.is_none();
    if undeclared && tests.format != testset::Format::Flat {
        match crate::time_cache::load(&args.tests) {
            Some(limit) => {
                eprintln!(
                    "judge: note: the package declares no time limit; using {:.3} s, derived \
                     by judge verify from its accepted submissions",
                    limit.as_secs_f64()
                );
                options.time_limit = Some(limit);
            }
            None => eprintln!(
                "judge: warning: the package declares no time limit, and judge verify has not \
                 derived one for its current content; judging with the default {} s",
                judge_engine::limits::DEFAULT_TIME_LIMIT.as_secs()
            ),
        }
    }
    let sandbox = sandbox(&args.judge)?;
    let mut problem = Problem::prepare(&sandbox, &profiles, tests)?;
    if let Some(checker) = &args.judge.checker {
        problem.use_checker(checker)?;
    }
    if args.transcript.is_some() && !problem.is_interactive() {
        return Err(Failure::Usage(format!(
            "--transcript: problem {} is not interactive, nothing crosses a pipe",
            args.tests.display()
        )));
    }
    let problem = Arc::new(problem);
    let pool = pool(sandbox, &args.judge)?;
    let bar = output::progress(count, !args.json);
    let events = |event: Event| match event {
        Event::Compiled(_) => bar.set_message("running"),
        Event::TestDone(..) => bar.inc(1),
    };
    options.transcript = args.transcript.is_some();
    let report = match profile {
        Ok(profile) => problem.judge(&pool, profile, &args.source, &options, &events),
        Err(why) => problem.compile_error(&options, why),
    };
    bar.finish_and_clear();
    let report = report?;
    if let Some(dir) = &args.transcript {
        write_transcripts(dir, &report)?;
    }
    if args.json {
        println!("{}", output::json(&report));
    } else {
        print!("{}", output::table(&report));
    }
    Ok(Done::Verdict(report.verdict))
}

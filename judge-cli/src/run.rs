//! `judge run SOURCE --tests DIR`: judge one submission and show the result.

use std::sync::Arc;

use judge_engine::judge::{Event, Options, Problem};
use judge_engine::pool::{Pool, PoolConfig};
use judge_engine::profile::ProfileSet;
use judge_engine::sandbox::{Sandbox, SandboxConfig};
use judge_engine::testset;

use crate::args::{JudgeArgs, RunArgs};
use crate::output;
use crate::{Done, Failure};

/// The profiles: built in, with `--profiles` directories on top.
pub fn profiles(args: &JudgeArgs) -> Result<ProfileSet, Failure> {
    Ok(ProfileSet::load_with_overrides(None, &args.profiles)?)
}

/// The sandbox, with its warnings shown once on stderr.
pub fn sandbox() -> Result<Sandbox, Failure> {
    let sandbox = Sandbox::new(SandboxConfig::default())?;
    for warning in sandbox.warnings() {
        eprintln!("judge: warning: {warning}");
    }
    Ok(sandbox)
}

pub fn options(args: &JudgeArgs, run_all: bool) -> Options {
    Options {
        time_limit: args.time_limit,
        memory_limit: args.memory_limit,
        output_limit: args.output_limit,
        run_all,
    }
}

/// The worker pool: `--jobs` workers (default: one per CPU), reusing environments unless
/// `--fresh`.
pub fn pool(sandbox: Sandbox, args: &JudgeArgs) -> Result<Pool, Failure> {
    let mut config = PoolConfig::default();
    if let Some(jobs) = args.jobs {
        config.workers = jobs as usize;
        config.queue = 2 * config.workers;
    }
    config.reuse = !args.fresh;
    Ok(Pool::new(Arc::new(sandbox), config)?)
}

/// Returns the submission's verdict.
pub fn run(args: &RunArgs) -> Result<Done, Failure> {
    crate::require_root()?;
    if !args.source.is_file() {
        return Err(Failure::Usage(format!(
            "source {} does not exist or is not a file",
            args.source.display()
        )));
    }
    let profiles = profiles(&args.judge)?;
    let profile = profiles.for_source(&args.source, args.lang.as_deref())?;
    let tests = testset::discover(&args.tests)?;
    let count = tests.tests.len();
    let sandbox = sandbox()?;
    let mut problem = Problem::prepare(&sandbox, &profiles, tests)?;
    if let Some(checker) = &args.judge.checker {
        problem.use_checker(checker)?;
    }
    let problem = Arc::new(problem);
    let pool = pool(sandbox, &args.judge)?;
    let bar = output::progress(count, !args.json);
    let events = |event: Event| match event {
        Event::Compiled(_) => bar.set_message("running"),
        Event::TestDone(..) => bar.inc(1),
    };
    let report = problem.judge(
        &pool,
        profile,
        &args.source,
        &options(&args.judge, args.all),
        &events,
    );
    bar.finish_and_clear();
    let report = report?;
    if args.json {
        println!("{}", output::json(&report));
    } else {
        print!("{}", output::table(&report));
    }
    Ok(Done::Verdict(report.verdict))
}

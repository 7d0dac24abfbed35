//! The `judge` command: parse the command line, call the engine, map the outcome to an exit
//! status (0 accepted, 1 any other verdict, 2 usage or engine error).

mod args;
mod batch;
mod bench;
mod languages;
mod nats;
mod output;
mod report;
mod report_file;
mod run;
mod serve;
mod setup;
mod submissions;
mod time_cache;
mod verify;

use std::process::ExitCode;

use clap::Parser;
use judge_engine::verdict::Verdict;

/// How a command that did its job ended, for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    /// `judge run`: 0 for AC, 1 for any other verdict.
    Verdict(Verdict),
    /// `judge batch`: every submission judged, whatever the verdicts.
    Judged,
    /// `judge verify`: every verdict as its folder says (true) or not.
    Verified(bool),
}

/// Why a command could not do its job: one sentence for the user.
#[derive(Debug)]
pub enum Failure {
    Usage(String),
    Engine(String),
}

impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure::Engine(e.to_string())
    }
}

/// A mutex's guard, also after a thread panicked holding it (the data stays usable: every
/// critical section leaves it whole).
pub fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let outcome = match &cli.command {
        args::Command::Run(run) => run::run(run),
        args::Command::Bench(bench) => bench::run(bench),
        args::Command::Batch(batch) => batch::run(batch),
        args::Command::Verify(verify) => verify::run(verify),
        args::Command::Languages(languages) => languages::run(languages),
        args::Command::Serve(serve) => serve::run(serve),
        args::Command::Worker(worker) => nats::worker::run(worker),
    };
    match outcome {
        Ok(Done::Verdict(Verdict::AC) | Done::Judged | Done::Verified(true)) => ExitCode::from(0),
        Ok(Done::Verdict(_) | Done::Verified(false)) => ExitCode::from(1),
        Err(Failure::Usage(message) | Failure::Engine(message)) => {
            eprintln!("judge: {message}");
            ExitCode::from(2)
        }
    }
}

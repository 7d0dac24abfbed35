//! `judge bench --languages`: per language profile, what a compile and a test cost through the
//! judge against the same commands run bare on the host.
//!
//! Each language's program is `<programs>/<profile>/accepted.<ext>` (an A+B). In every round,
//! languages in turn, it is
//! - judged on `tests` A+B tests by a pool of one reused worker, with a cache of its own as a
//!   contest host has one (prepared files, such as C++'s precompiled header, built before the
//!   rounds) but keeping no compiled submission, so that every round compiles: the compile's
//!   figure is the wall time from the judgement's start to its compile's end (reading the
//!   source, the work directory, the sandboxed compile), the test's is the rest divided by the
//!   tests (each run, its check and the worker's reset);
//! - compiled bare: the profile's compile command with its environment, `/work` replaced by a
//!   temporary directory, run on the host; then run bare on each test's input, the same way,
//!   free to use every CPU, and again pinned to the one CPU the judge's worker has (as judge
//!   hosts run a submission: a JVM's compiler and collector threads then share its CPU).
//!
//! Figures are medians over the rounds (a test's: of each round's mean over its tests); ratios
//! are of the medians.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{median, write_aplusb, BenchError};
use crate::judge::{Cache, Event, Options, Problem};
use crate::pool::{Pool, PoolConfig};
use crate::profile::{Profile, ProfileSet, Vars, WORK_DIR};
use crate::sandbox::Sandbox;
use crate::verdict::Verdict;

/// One language's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct LanguageFigure {
    pub profile: String,
    /// Compile wall time through the judge and bare; `None` for an interpreted language.
    pub compile: Option<(Duration, Duration)>,
    /// One test's wall time through the judge and one bare run's.
    pub test: (Duration, Duration),
    /// One bare run's wall time on the worker's single CPU.
    pub test_one_cpu: Duration,
}

/// A language left out, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    pub profile: String,
    pub why: String,
}

/// What to measure.
pub struct LanguageBench<'a> {
    pub profiles: &'a ProfileSet,
    /// A directory of `<profile>/accepted.<ext>`.
    pub programs: &'a Path,
    /// Only these profiles (all with a program when empty).
    pub only: &'a [String],
    pub rounds: usize,
    pub tests: usize,
}

struct Language<'a> {
    profile: &'a Profile,
    source: PathBuf,
    text: String,
    compile: (Vec<f64>, Vec<f64>),
    test: (Vec<f64>, Vec<f64>),
    test_one_cpu: Vec<f64>,
}

/// Measure every language of `bench` that has a program and a toolchain here.
pub fn languages(
    sandbox: &Arc<Sandbox>,
    bench: &LanguageBench<'_>,
) -> Result<(Vec<LanguageFigure>, Vec<Skipped>), BenchError> {
    let io = |what: &str| {
        let what = what.to_owned();
        move |e| BenchError::Io { what, source: e }
    };
    let dir = tempfile::tempdir().map_err(io("create a temporary directory"))?;
    write_aplusb(dir.path(), bench.tests)?;
    let tests_dir = dir.path().join("tests");
    let problem = Arc::new(Problem::prepare(
        sandbox,
        bench.profiles,
        crate::testset::discover(&tests_dir)?,
    )?);
    let inputs: Vec<PathBuf> = problem
        .tests()
        .tests
        .iter()
        .map(|t| t.input.clone())
        .collect();
    // Prepared files kept, compiled submissions not: every round compiles.
    let cache =
        Cache::open_with_limit(dir.path().join("cache"), 0).map_err(|e| BenchError::Io {
            what: "open the cache".into(),
            source: std::io::Error::other(e),
        })?;
    let pool = Pool::new(
        sandbox.clone(),
        PoolConfig {
            workers: 1,
            reuse: true,
            queue: 2,
            cpus: None,
        },
    )
    .map_err(io("start a pool"))?;
    let (mut chosen, skipped) = choose(bench)?;
    let options = Options {
        run_all: true,
        cache: Some(cache),
        ..Options::default()
    };
    // A warm-up: prepared files built, environments made, files in the page cache.
    // The pool's one worker has the first CPU this process may use.
    let cpu = crate::pool::allowed_cpus().first().copied();
    for lang in &mut chosen {
        judged(&problem, &pool, lang, &options)?;
        bare(lang, &inputs, dir.path(), cpu)?;
    }
    for _ in 0..bench.rounds {
        for lang in &mut chosen {
            let (compile, test) = judged(&problem, &pool, lang, &options)?;
            lang.compile.0.push(compile);
            lang.test.0.push(test);
            let (compile, free, pinned) = bare(lang, &inputs, dir.path(), cpu)?;
            lang.compile.1.extend(compile);
            let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len().max(1) as f64;
            lang.test.1.push(mean(&free));
            lang.test_one_cpu.push(mean(&pinned));
        }
    }
    let secs = |xs: &[f64]| Duration::from_secs_f64(median(xs.to_vec()));
    let figures = chosen
        .into_iter()
        .map(|lang| LanguageFigure {
            profile: lang.profile.name().to_owned(),
            compile: lang
                .profile
                .compile()
                .map(|_| (secs(&lang.compile.0), secs(&lang.compile.1))),
            test: (secs(&lang.test.0), secs(&lang.test.1)),
            test_one_cpu: secs(&lang.test_one_cpu),
        })
        .collect();
    Ok((figures, skipped))
}

/// The languages to measure, in name order, and those left out.
fn choose<'a>(bench: &LanguageBench<'a>) -> Result<(Vec<Language<'a>>, Vec<Skipped>), BenchError> {
    let mut chosen = Vec::new();
    let mut skipped = Vec::new();
    for name in bench.only {
        if bench.profiles.get(name).is_none() {
            return Err(BenchError::Language {
                profile: name.clone(),
                detail: "no such profile".into(),
            });
        }
    }
    let mut profiles: Vec<&Profile> = bench.profiles.iter().collect();
    profiles.sort_by(|a, b| a.name().cmp(b.name()));
    for profile in profiles {
        let name = profile.name();
        if !bench.only.is_empty() && !bench.only.iter().any(|o| o == name) {
            continue;
        }
        let skip = |why: String| Skipped {
            profile: name.to_owned(),
            why,
        };
        let found = fs::read_dir(bench.programs.join(name))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.file_stem().is_some_and(|s| s == "accepted"));
        let Some(source) = found else {
            skipped.push(skip(format!(
                "no {}/{name}/accepted.* program",
                bench.programs.display()
            )));
            continue;
        };
        if let Some(why) = profile.not_installed() {
            skipped.push(skip(why));
            continue;
        }
        let text = fs::read_to_string(&source).map_err(|e| BenchError::Io {
            what: format!("read {}", source.display()),
            source: e,
        })?;
        chosen.push(Language {
            profile,
            source,
            text,
            compile: (Vec::new(), Vec::new()),
            test: (Vec::new(), Vec::new()),
            test_one_cpu: Vec::new(),
        });
    }
    Ok((chosen, skipped))
}

/// One judgement: the compile's wall time and each test's share of the rest, in seconds.
fn judged(
    problem: &Arc<Problem>,
    pool: &Pool,
    lang: &Language<'_>,
    options: &Options,
) -> Result<(f64, f64), BenchError> {
    let compiled = Mutex::new(None);
    let start = Instant::now();
    let report = problem.judge(pool, lang.profile, &lang.source, options, &|event| {
        if let Event::Compiled(_) = event {
            *compiled.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
    })?;
    let end = Instant::now();
    if report.verdict != Verdict::AC {
        return Err(BenchError::Language {
            profile: lang.profile.name().to_owned(),
            detail: format!(
                "{} was judged {} ({})",
                lang.source.display(),
                report.verdict,
                report
                    .tests
                    .iter()
                    .map(|t| t.message.as_str())
                    .find(|m| !m.is_empty())
                    .unwrap_or(report.compile.message.as_str())
            ),
        });
    }
    let compiled = compiled
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or(start);
    let tests = report.tests.len().max(1);
    let each = (end - compiled).as_secs_f64() / tests as f64;
    Ok(((compiled - start).as_secs_f64(), each))
}

/// A bare compile's wall time (if there is a compile), each bare run's, and each again on one
/// CPU, in seconds.
type Bare = (Option<f64>, Vec<f64>, Vec<f64>);

/// The profile's commands run on the host in a fresh directory; the runs free, then on `cpu`.
fn bare(
    lang: &Language<'_>,
    inputs: &[PathBuf],
    base: &Path,
    cpu: Option<usize>,
) -> Result<Bare, BenchError> {
    let failed = |what: String| BenchError::Language {
        profile: lang.profile.name().to_owned(),
        detail: format!("bare: {what}"),
    };
    let dir = tempfile::tempdir_in(base).map_err(|e| BenchError::Io {
        what: "create a temporary directory".into(),
        source: e,
    })?;
    let here = dir.path().to_string_lossy().into_owned();
    let vars: Vars = lang
        .profile
        .prepare(&lang.text, 256 << 20)
        .map_err(|e| failed(e.to_string()))?;
    let source = dir.path().join(vars.source_file_name());
    fs::write(&source, &lang.text).map_err(|e| BenchError::Io {
        what: format!("write {}", source.display()),
        source: e,
    })?;
    // Sandbox paths as the host has them: the work directory, and mounts placed elsewhere.
    let mut places: Vec<(String, String)> = vec![(WORK_DIR.to_owned(), here)];
    for m in lang.profile.extra_mounts() {
        if m.host != m.sandbox {
            places.push((
                m.sandbox.to_string_lossy().into_owned(),
                m.host.to_string_lossy().into_owned(),
            ));
        }
    }
    let on_host = |text: String| {
        places.iter().fold(text, |text, (inside, outside)| {
            text.replace(inside, outside)
        })
    };
    let moved = |args: Vec<String>| -> Vec<String> { args.into_iter().map(on_host).collect() };
    let moved_env = |env: Vec<(String, String)>| -> Vec<(String, String)> {
        env.into_iter().map(|(k, v)| (k, on_host(v))).collect()
    };
    let command = |argv: &[String], env: &[(String, String)]| {
        let mut cmd = std::process::Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env_clear()
            .envs(env.iter().cloned())
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };
    let compile = match (
        lang.profile.compile_argv(&vars),
        lang.profile.compile_env(&vars),
    ) {
        (Some(argv), Some(env)) => {
            let (argv, env) = (moved(argv), moved_env(env));
            let start = Instant::now();
            let status = command(&argv, &env)
                .stdin(Stdio::null())
                .status()
                .map_err(|e| failed(format!("{}: {e}", argv[0])))?;
            let took = start.elapsed().as_secs_f64();
            if !status.success() {
                return Err(failed(format!("the compile exited with {status}")));
            }
            Some(took)
        }
        _ => None,
    };
    let argv = moved(lang.profile.run_argv(&vars));
    let env = moved_env(lang.profile.run_env(&vars));
    let run_all = || -> Result<Vec<f64>, BenchError> {
        let mut runs = Vec::with_capacity(inputs.len());
        for input in inputs {
            let stdin = File::open(input).map_err(|e| BenchError::Io {
                what: format!("open {}", input.display()),
                source: e,
            })?;
            let start = Instant::now();
            let status = command(&argv, &env)
                .stdin(stdin)
                .status()
                .map_err(|e| failed(format!("{}: {e}", argv[0])))?;
            runs.push(start.elapsed().as_secs_f64());
            if !status.success() {
                return Err(failed(format!("a run exited with {status}")));
            }
        }
        Ok(runs)
    };
    let free = run_all()?;
    // A child inherits its parent thread's CPUs: this thread moves to `cpu` for these runs.
    let pinned = match cpu {
        Some(cpu) => {
            on_cpu(cpu, run_all).map_err(|e| failed(format!("pin to CPU {cpu}: {e}")))??
        }
        None => free.clone(),
    };
    Ok((compile, free, pinned))
}

/// `f` run with this thread's CPUs narrowed to `cpu`, then widened again.
fn on_cpu<T>(cpu: usize, f: impl FnOnce() -> T) -> nix::Result<T> {
    use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
    use nix::unistd::Pid;
    let all = sched_getaffinity(Pid::from_raw(0))?;
    let mut one = CpuSet::new();
    one.set(cpu)?;
    sched_setaffinity(Pid::from_raw(0), &one)?;
    let out = f();
    sched_setaffinity(Pid::from_raw(0), &all)?;
    Ok(out)
}

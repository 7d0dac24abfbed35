//! `judge bench`: what isolation costs on this host, layer by layer, and how fast judging goes.
//!
//! Each layer runs `/bin/true` to its end; the layers are measured interleaved, in rounds, so
//! that a noisy neighbour slows them all alike, and each layer's figure is the median over the
//! rounds of its mean time per run. Ratios are to the bare fork+exec+wait of the same rounds.
//!
//! 1. bare fork+exec+wait (glibc's fork, as a program without a sandbox does it), and the same
//!    with the raw clone system call the sandbox uses (no atfork handlers);
//! 2. plus each namespace alone, then all of them (raw clone);
//! 3. plus mounts and pivot_root (the sandbox without cgroup or seccomp);
//! 4. plus the run's cgroup;
//! 5. plus seccomp: the full fresh sandbox;
//! 6. the full fresh sandbox on a pool worker (pinned; `--fresh`);
//! 7. the full reused environment on a pool worker.
//!
//! Throughput: a thousand A+B tests judged with one worker and with all of them.

mod languages;

pub use languages::{languages, LanguageBench, LanguageFigure, Skipped};

use std::ffi::CStr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::judge::{Options, Problem};
use crate::pool::{Pool, PoolConfig};
use crate::profile::ProfileSet;
use crate::sandbox::{
    bare, system_mounts, Command, Layout, Sandbox, SandboxConfig, SandboxError, SyscallFilter,
};
use crate::verdict::Verdict;

const TRUE: &CStr = c"/bin/true";

/// One layer's figure.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerFigure {
    pub name: String,
    /// Median time per run.
    pub per_run: Duration,
    /// Against the bare fork+exec+wait.
    pub ratio: f64,
}

/// Judging throughput with some number of workers.
#[derive(Clone, Debug, PartialEq)]
pub struct Throughput {
    pub workers: usize,
    pub tests: usize,
    pub elapsed: Duration,
    pub runs_per_second: f64,
}

/// Everything `judge bench` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchReport {
    pub layers: Vec<LayerFigure>,
    pub throughput: Vec<Throughput>,
}

/// Why the bench could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Sandbox(#[from] SandboxError),
    #[error("{0}")]
    Judge(#[from] crate::judge::JudgeError),
    #[error("{0}")]
    TestSet(#[from] crate::testset::TestSetError),
    #[error("{0}")]
    Profile(#[from] crate::profile::ProfileError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("layer {layer}: /bin/true did not succeed ({detail})")]
    Failed { layer: String, detail: String },
    #[error("language {profile}: {detail}")]
    Language { profile: String, detail: String },
    #[error("throughput: the A+B solution was judged {0}, not AC")]
    NotAccepted(Verdict),
}

/// A way to run `/bin/true` `n` times; how many succeeded.
type Runner<'a> = Box<dyn FnMut(usize) -> Result<usize, SandboxError> + 'a>;

/// A runner from a single run.
fn each<'a>(mut once: impl FnMut() -> Result<bool, SandboxError> + 'a) -> Runner<'a> {
    Box::new(move |n| {
        let mut ok = 0;
        for _ in 0..n {
            ok += usize::from(once()?);
        }
        Ok(ok)
    })
}

/// Measure every layer: `rounds` rounds of `per_round` runs each.
pub fn layers(
    sandbox: &Arc<Sandbox>,
    rounds: usize,
    per_round: usize,
) -> Result<Vec<LayerFigure>, BenchError> {
    let plain = Sandbox::new(SandboxConfig {
        cgroup: None,
        ..SandboxConfig::default()
    })?;
    let unconfined = Arc::new(SyscallFilter::unconfined().map_err(SandboxError::from)?);
    // A round's runs are queued at once, as a judge queues a submission's tests.
    let fresh_pool = Pool::new(
        sandbox.clone(),
        PoolConfig {
            workers: 1,
            reuse: false,
            queue: per_round.max(1),
            cpus: None,
        },
    )
    .map_err(|e| BenchError::Io {
        what: "start a pool".into(),
        source: e,
    })?;
    let reuse_pool = Pool::new(
        sandbox.clone(),
        PoolConfig {
            workers: 1,
            reuse: true,
            queue: per_round.max(1),
            cpus: None,
        },
    )
    .map_err(|e| BenchError::Io {
        what: "start a pool".into(),
        source: e,
    })?;
    let sandboxed = |sandbox: &Sandbox, filter: Option<&Arc<SyscallFilter>>| {
        let mut cmd = Command::new("/bin/true");
        cmd.mounts(system_mounts());
        if let Some(f) = filter {
            cmd.syscalls(f.clone());
        }
        sandbox.run(cmd).map(|r| r.success())
    };
    // Pool jobs are queued together, as a judge queues a submission's tests: the figure is the
    // cost of a run on the worker, not of waking a thread for each.
    let layout = Layout {
        mounts: system_mounts(),
        tmp_size: 16 << 20,
        cpus: None,
        syscalls: SyscallFilter::base(),
        network: crate::sandbox::Network::None,
    };
    let on_pool = |pool: &Pool, n: usize| {
        let tickets: Vec<_> = (0..n)
            .map(|_| {
                let layout = layout.clone();
                pool.submit(move |worker| worker.run(layout, Command::new("/bin/true")))
            })
            .collect();
        let mut ok = 0;
        for ticket in tickets {
            ok += usize::from(ticket.wait()?.success());
        }
        Ok(ok)
    };
    let all_namespaces = bare::NAMESPACES.iter().fold(0, |acc, (_, f)| acc | f);
    let exited = |s: crate::sandbox::ExitStatus| s == crate::sandbox::ExitStatus::Exited(0);
    let mut runners: Vec<(String, Runner)> = vec![(
        "bare fork+exec+wait".into(),
        each(move || bare::fork_wait(TRUE).map(exited)),
    )];
    if sandbox.backend() == crate::sandbox::Backend::Ptrace {
        // No namespaces here: the traced sandbox, alone and on a worker.
        runners.push((
            "ptrace backend: full fresh sandbox".into(),
            each(|| sandboxed(sandbox, None)),
        ));
        runners.push((
            "ptrace backend: fresh sandbox on a pool worker".into(),
            Box::new(|n| on_pool(&fresh_pool, n)),
        ));
        return measure(runners, rounds, per_round);
    }
    if sandbox.is_rootless() {
        // An unprivileged user can create namespaces only under a user namespace of its own,
        // and has no environments: the whole sandbox, fresh, alone and on a worker.
        runners.push((
            "rootless: full fresh sandbox".into(),
            each(|| sandboxed(sandbox, None)),
        ));
        runners.push((
            "rootless: fresh sandbox on a pool worker".into(),
            Box::new(|n| on_pool(&fresh_pool, n)),
        ));
        return measure(runners, rounds, per_round);
    }
    runners.push((
        "bare raw clone+exec+wait".into(),
        each(move || bare::spawn_wait(TRUE, 0).map(exited)),
    ));
    for (name, flag) in bare::NAMESPACES {
        runners.push((
            format!("+ {name} namespace"),
            each(move || bare::spawn_wait(TRUE, flag).map(exited)),
        ));
    }
    runners.push((
        "+ all namespaces".into(),
        each(move || bare::spawn_wait(TRUE, all_namespaces).map(exited)),
    ));
    runners.push((
        "+ mounts and pivot_root".into(),
        each(|| sandboxed(&plain, Some(&unconfined))),
    ));
    runners.push((
        "+ cgroup".into(),
        each(|| sandboxed(sandbox, Some(&unconfined))),
    ));
    runners.push((
        "+ seccomp: full fresh sandbox".into(),
        each(|| sandboxed(sandbox, None)),
    ));
    runners.push((
        "ptrace backend: full fresh sandbox, no namespaces".into(),
        each(|| {
            let mut cmd = Command::new("/bin/true");
            cmd.mounts(system_mounts())
                .backend(crate::sandbox::Backend::Ptrace);
            sandbox.run(cmd).map(|r| r.success())
        }),
    ));
    runners.push((
        "fresh sandbox on a pool worker".into(),
        Box::new(|n| on_pool(&fresh_pool, n)),
    ));
    runners.push((
        "reused environment on a pool worker".into(),
        Box::new(|n| on_pool(&reuse_pool, n)),
    ));
    measure(runners, rounds, per_round)
}

/// Run every runner `rounds` times `per_round` runs, interleaved; the median per run of each,
/// and its ratio to the first's.
fn measure(
    mut runners: Vec<(String, Runner)>,
    rounds: usize,
    per_round: usize,
) -> Result<Vec<LayerFigure>, BenchError> {
    // One warm-up run each: environments get built, caches filled.
    for (name, run) in runners.iter_mut() {
        if run(1)? != 1 {
            return Err(BenchError::Failed {
                layer: name.clone(),
                detail: "exit status".into(),
            });
        }
    }
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); runners.len()];
    for _ in 0..rounds {
        for (i, (name, run)) in runners.iter_mut().enumerate() {
            let start = Instant::now();
            if run(per_round)? != per_round {
                return Err(BenchError::Failed {
                    layer: name.clone(),
                    detail: "exit status".into(),
                });
            }
            samples[i].push(start.elapsed().as_secs_f64() / per_round as f64);
        }
    }
    let medians: Vec<f64> = samples.into_iter().map(median).collect();
    let bare = medians[0];
    Ok(runners
        .into_iter()
        .zip(medians)
        .map(|((name, _), m)| LayerFigure {
            name,
            per_run: Duration::from_secs_f64(m),
            ratio: m / bare,
        })
        .collect())
}

/// Judge `tests` A+B tests with a C solution on pools of each size in `workers`.
pub fn throughput(
    sandbox: &Arc<Sandbox>,
    tests: usize,
    workers: &[usize],
    reuse: bool,
) -> Result<Vec<Throughput>, BenchError> {
    let dir = tempfile::tempdir().map_err(|e| BenchError::Io {
        what: "create a temporary directory".into(),
        source: e,
    })?;
    write_aplusb(dir.path(), tests)?;
    let profiles = ProfileSet::builtin()?;
    let tests_dir = dir.path().join("tests");
    let problem = Arc::new(Problem::prepare(
        sandbox,
        &profiles,
        crate::testset::discover(&tests_dir)?,
    )?);
    let source = dir.path().join("aplusb.c");
    let profile = profiles.for_source(&source, None)?;
    let options = Options {
        run_all: true,
        ..Options::default()
    };
    let mut out = Vec::new();
    for &n in workers {
        let pool = Pool::new(
            sandbox.clone(),
            PoolConfig {
                workers: n,
                reuse,
                queue: 2 * n,
                cpus: None,
            },
        )
        .map_err(|e| BenchError::Io {
            what: "start a pool".into(),
            source: e,
        })?;
        // A warm-up judging builds the environments.
        problem.judge(&pool, profile, &source, &Options::default(), &|_| {})?;
        let start = Instant::now();
        let report = problem.judge(&pool, profile, &source, &options, &|_| {})?;
        let elapsed = start.elapsed();
        if report.verdict != Verdict::AC {
            return Err(BenchError::NotAccepted(report.verdict));
        }
        out.push(Throughput {
            workers: n,
            tests,
            elapsed,
            runs_per_second: tests as f64 / elapsed.as_secs_f64(),
        });
    }
    Ok(out)
}

pub(crate) fn write_aplusb(dir: &Path, tests: usize) -> Result<(), BenchError> {
    let io = |what: &str| {
        let what = what.to_owned();
        move |e| BenchError::Io { what, source: e }
    };
    let tests_dir = dir.join("tests");
    std::fs::create_dir(&tests_dir).map_err(io("create the tests directory"))?;
    for i in 1..=tests {
        let (a, b) = (i as i64 * 7919 % 1_000_003, i as i64 * 104_729 % 999_983);
        std::fs::write(tests_dir.join(format!("{i}.in")), format!("{a} {b}\n"))
            .map_err(io("write a test"))?;
        std::fs::write(tests_dir.join(format!("{i}.ans")), format!("{}\n", a + b))
            .map_err(io("write a test"))?;
    }
    std::fs::write(
        dir.join("aplusb.c"),
        "#include <stdio.h>\nint main(void) { long long a, b; \
         if (scanf(\"%lld %lld\", &a, &b) != 2) return 1; printf(\"%lld\\n\", a + b); return 0; }\n",
    )
    .map_err(io("write the solution"))?;
    Ok(())
}

pub(crate) fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_samples() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(Vec::new()), 0.0);
    }

    #[test]
    fn aplusb_tests_are_written_with_their_answers() {
        let dir = tempfile::tempdir().unwrap();
        write_aplusb(dir.path(), 3).unwrap();
        let set = crate::testset::discover(&dir.path().join("tests")).unwrap();
        assert_eq!(set.tests.len(), 3);
        let input = std::fs::read_to_string(&set.tests[0].input).unwrap();
        let answer = std::fs::read_to_string(&set.tests[0].answer).unwrap();
        let sum: i64 = input
            .split_whitespace()
            .map(|x| x.parse::<i64>().unwrap())
            .sum();
        assert_eq!(answer.trim().parse::<i64>().unwrap(), sum);
    }
}

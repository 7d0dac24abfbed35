//! What every subcommand that judges sets up the same way: the profiles, the sandbox, the pool and
//! the judging options, from the shared flags ([`JudgeArgs`]).

use std::sync::Arc;

use judge_engine::judge::{Cache, Options};
use judge_engine::pool::{Pool, PoolConfig};
use judge_engine::profile::ProfileSet;
use judge_engine::sandbox::{Sandbox, SandboxConfig};

use crate::args::JudgeArgs;
use crate::Failure;

/// The profiles: built in, with `--profiles` directories on top.
pub fn profiles(args: &JudgeArgs) -> Result<ProfileSet, Failure> {
    Ok(ProfileSet::load_with_overrides(None, &args.profiles)?)
}

/// The sandbox with the ids the flags ask for, and a set of host ids for each of `--jobs`
/// workers, its warnings shown once on stderr.
pub fn sandbox(args: &JudgeArgs) -> Result<Sandbox, Failure> {
    start(sandbox_config(args))
}

/// The sandbox's settings from the flags.
fn sandbox_config(args: &JudgeArgs) -> SandboxConfig {
    let mut config = SandboxConfig::default();
    if let Some((uid, gid)) = args.host_ids {
        (config.host_uid, config.host_gid) = (uid, gid);
        (config.init_host_uid, config.init_host_gid) = (uid + 1, gid + 1);
    }
    if let Some((uid, gid)) = args.inside_ids {
        (config.inside_uid, config.inside_gid) = (uid, gid);
    }
    config.backend = args.sandbox;
    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32));
    config.slots = config.slots.max(workers + 1);
    config
}

/// The sandbox with its default settings, its warnings shown once on stderr.
pub fn default_sandbox() -> Result<Sandbox, Failure> {
    start(SandboxConfig::default())
}

fn start(config: SandboxConfig) -> Result<Sandbox, Failure> {
    let sandbox = Sandbox::new(config)?;
    for warning in sandbox.warnings() {
        eprintln!("judge: warning: {warning}");
    }
    Ok(sandbox)
}

/// How to judge, as the flags say; the cache opened unless `--no-cache`.
pub fn options(args: &JudgeArgs, run_all: bool) -> Result<Options, Failure> {
    let cache = match (&args.cache_dir, args.no_cache) {
        (_, true) => None,
        // A directory asked for must work.
        (Some(dir), false) => Some(Cache::open(dir)?),
        // The default is a convenience: where it cannot be (a read-only home), judge without.
        (None, false) => match Cache::default_dir().and_then(Cache::open) {
            Ok(cache) => Some(cache),
            Err(e) => {
                eprintln!("judge: warning: {e}; compiling without a cache (see --cache-dir)");
                None
            }
        },
    };
    Ok(Options {
        time_limit: args.time_limit,
        memory_limit: args.memory_limit,
        output_limit: args.output_limit,
        run_all,
        wall_limit: args.wall_limit,
        transcript: false,
        constants: false,
        entry_point: None,
        cache,
        cancel: None,
        network: args.network,
    })
}

/// The worker pool: `--jobs` workers (default: one per CPU), reusing environments unless
/// `--fresh`.
pub fn pool(sandbox: Sandbox, args: &JudgeArgs) -> Result<Pool, Failure> {
    pool_queued(sandbox, args, 0)
}

/// As [`pool`], with room for `more` jobs in its queue beyond two per worker.
pub fn pool_queued(sandbox: Sandbox, args: &JudgeArgs, more: usize) -> Result<Pool, Failure> {
    let mut config = PoolConfig::default();
    if let Some(jobs) = args.jobs {
        config.workers = jobs as usize;
    }
    config.queue = 2 * config.workers + more;
    config.reuse = !args.fresh;
    config.cpus = args.cpus.clone().map(|c| c.0);
    Pool::new(Arc::new(sandbox), config).map_err(|e| match args.cpus {
        Some(_) if e.kind() == std::io::ErrorKind::InvalidInput => {
            Failure::Usage(format!("--cpus: {e}"))
        }
        _ => e.into(),
    })
}

//! go-judge's execution model on this engine: the body of go-judge's `POST /run` (one
//! command, or several joined by pipes), run on the pool's workers in their reused
//! environments, answered with go-judge's results, so that a front end written for go-judge
//! (Hydro, HOJ, ...) can use this engine by changing a URL.
//!
//! In order, for one request ([`Executor::run`]):
//! 1. `plan`: every field is checked and bounded, and every file the request names is opened
//!    (`fileId`s from the [`FileStore`], `src` files only under the allowed directories);
//! 2. the request becomes one pool job. On its worker, `run`:
//!    - gives each command its working directory `/w`, empty and as new: the first command
//!      the worker's own (mounted in its reused environment), any other a fresh one;
//!    - copies `copyIn` into it, opens the descriptors (inputs, collectors, pipes) and runs
//!      the commands at once, the first in the worker's reused environment, the others in
//!      fresh sandboxes pinned to the same CPU;
//!    - collects what the collectors caught and what `copyOut` names, without following a
//!      link the program left, into the answer or the file store;
//! 3. each command's status is go-judge's word for how it ended ([`model::Status`]).
//!
//! What go-judge offers and this engine does not: descriptors above 2, terminals (`tty`),
//! streams, `copyOutDir` (a host directory a request names) and a request's own cpuset (runs
//! stay pinned to their worker's CPU). Each is refused with a 400 naming the field, except
//! `cpuSetLimit`, which is checked and then left to the pool.

pub mod model;
mod plan;
mod run;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::limits::LimitError;
use crate::pool::Pool;
use crate::profile::ProfileSet;
use crate::sandbox::{system_mounts, FilterError, Mount, SyscallFilter};
use crate::service::files::FileStore;

pub use plan::{DESCRIPTORS, WORK_DIR};

/// What the server sets, and every request lives within.
#[derive(Clone, Debug)]
pub struct ExecConfig {
    /// The root filesystem: read-only binds (the working directory is added to each run).
    pub mounts: Vec<Mount>,
    /// The system-call allowlist of every command.
    pub syscalls: Arc<SyscallFilter>,
    /// The only host directories `src` files may come from (real paths); none by default.
    pub allow_src: Vec<PathBuf>,
    /// The size of each command's `/w` (a tmpfs, charged to the run's memory).
    pub work_size: u64,
    /// The size of `/tmp`.
    pub tmp_size: u64,
    /// The largest file a command may write (`RLIMIT_FSIZE`), collectors' files included.
    pub output_limit: u64,
    /// The largest file `copyOut` returns (a request's `copyOutMax` may lower it).
    pub copy_out_max: u64,
    /// A command's memory limit when its request gives none.
    pub default_memory: u64,
    /// A command's wall limit when its request gives neither a CPU nor a clock limit.
    pub default_clock: Duration,
    /// A command's process limit when its request gives none.
    pub default_processes: u64,
    pub open_files: u64,
    /// Commands in one request at most.
    pub max_cmds: usize,
    /// Whether `cpuRateLimit` can be honoured (a CPU controller).
    pub cpu_quota: bool,
}

impl ExecConfig {
    /// The defaults: the host's system directories and every profile's extra mounts, read-only;
    /// the union of every profile's allowlists, so that any compiler or runtime the profiles
    /// know runs; `/w` of 512 MiB, `/tmp` of 64 MiB; 256 MiB per written file, 64 MiB per
    /// copied-out file (go-judge's defaults); 1 GiB of memory, 60 s of wall time and 64
    /// processes when a request says nothing.
    pub fn for_profiles(profiles: &ProfileSet, cpu_quota: bool) -> Result<ExecConfig, FilterError> {
        let mut mounts = system_mounts();
        for profile in profiles.iter() {
            for m in profile.extra_mounts() {
                let mount = Mount::read_only(&m.host, &m.sandbox);
                if m.host.exists() && !mounts.contains(&mount) {
                    mounts.push(mount);
                }
            }
        }
        let filters: Vec<&SyscallFilter> = profiles
            .iter()
            .flat_map(|p| {
                let compile = p.compile().map(|c| c.syscalls().as_ref());
                compile.into_iter().chain([p.run().syscalls().as_ref()])
            })
            .collect();
        Ok(ExecConfig {
            mounts,
            syscalls: Arc::new(SyscallFilter::union(filters)?),
            allow_src: Vec::new(),
            work_size: 512 << 20,
            tmp_size: 64 << 20,
            output_limit: 256 << 20,
            copy_out_max: 64 << 20,
            default_memory: 1 << 30,
            default_clock: Duration::from_secs(60),
            default_processes: 64,
            open_files: 256,
            max_cmds: 16,
            cpu_quota,
        })
    }
}

/// Why a request got no results: its own fault (HTTP 400) or the engine's (500).
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("{0}")]
    Limit(#[from] LimitError),
    #[error("{0}")]
    Engine(String),
    #[error("the pool's queue is full")]
    Busy,
}

impl ExecError {
    /// The request's fault, not the engine's.
    pub fn is_invalid(&self) -> bool {
        matches!(self, ExecError::Invalid { .. } | ExecError::Limit(_))
    }
}

/// Runs go-judge requests on a pool.
#[derive(Debug, Clone)]
pub struct Executor {
    pool: Arc<Pool>,
    store: Arc<FileStore>,
    config: Arc<ExecConfig>,
}

impl Executor {
    pub fn new(pool: Arc<Pool>, store: Arc<FileStore>, config: ExecConfig) -> Executor {
        Executor {
            pool,
            store,
            config: Arc::new(config),
        }
    }

    pub fn config(&self) -> &ExecConfig {
        &self.config
    }

    pub fn store(&self) -> &Arc<FileStore> {
        &self.store
    }

    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// Run `request` to its end (blocking): one result per command, in order.
    pub fn run(&self, request: model::Request) -> Result<Vec<model::CmdResult>, ExecError> {
        let plan = plan::Plan::new(request, &self.config, &self.store)?;
        let config = self.config.clone();
        let store = self.store.clone();
        self.pool
            .submit(move |worker| run::group(worker, plan, &config, &store))
            .wait()
    }

    /// Check `request` and queue it without blocking; `done` gets its results on the worker's
    /// thread when it has run. A request that cannot be done is an error now;
    /// [`ExecError::Busy`] when the pool's queue is full.
    pub fn start(
        &self,
        request: model::Request,
        done: impl FnOnce(Result<Vec<model::CmdResult>, ExecError>) + Send + 'static,
    ) -> Result<(), ExecError> {
        let plan = plan::Plan::new(request, &self.config, &self.store)?;
        let config = self.config.clone();
        let store = self.store.clone();
        let queued = self.pool.try_submit(
            move |worker| run::group(worker, plan, &config, &store),
            move |result| {
                done(result.unwrap_or_else(|_| {
                    Err(ExecError::Engine(
                        "the engine failed while running the request".into(),
                    ))
                }))
            },
        );
        match queued {
            true => Ok(()),
            false => Err(ExecError::Busy),
        }
    }
}

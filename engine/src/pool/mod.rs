//! The worker pool: N workers, each owning one CPU and a few reused sandbox environments.
//!
//! - Jobs go through a bounded channel (crossbeam): a producer that queues faster than the
//!   workers run blocks, so 10,000 queued runs cost no more memory than the channel's capacity.
//! - Each worker owns one CPU: every process of its runs is pinned there by the run's cpuset
//!   cgroup, which the program cannot widen (`sched_setaffinity` cannot leave a cpuset).
//! - Each worker keeps the environments it built, keyed by their [`Layout`], and reuses them
//!   (see [`crate::sandbox::env`]); a broken one is dropped and rebuilt on next use. With
//!   `reuse` off, every run gets a fresh sandbox, still pinned.
//! - A worker's `/work` is its own directory: [`Worker::stage`] fills it with a copy of a
//!   submission's compiled files (links copied as links, never followed), only when the
//!   submission changes, and environments mount it read-only.
//!
//! Dropping the pool closes the channel; workers finish what is queued and exit, and their
//! environments (inits, cgroups, directories) go with them.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::hostdir::{self, Cap, HostDirError, Links, SandboxDir, ScratchDir};
use crate::sandbox::{Command, Env, Layout, RunResult, Sandbox, SandboxError};

/// A fresh key for [`Worker::stage`].
pub fn stage_key() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What the workers of a pool did, counted as it happens (for a service's metrics).
#[derive(Debug, Default)]
pub struct PoolStats {
    runs: AtomicU64,
    built: AtomicU64,
    reused: AtomicU64,
    replaced: AtomicU64,
    build_failures: AtomicU64,
    retried: AtomicU64,
    cgroup_errors: AtomicU64,
    busy: AtomicUsize,
}

/// A copy of [`PoolStats`] at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Runs started on a worker (in a reused environment or a fresh sandbox).
    pub runs: u64,
    /// Environments built.
    pub envs_built: u64,
    /// Runs that took an environment built before.
    pub envs_reused: u64,
    /// Environments found broken (after a run or at their check) and dropped: the next run
    /// builds a new one.
    pub envs_replaced: u64,
    /// Environments that could not be built.
    pub env_failures: u64,
    /// Runs retried on a fresh environment after theirs failed before the program started.
    pub runs_retried: u64,
    /// Runs that failed on a cgroup error.
    pub cgroup_errors: u64,
    /// Workers running a job now.
    pub busy: usize,
}

impl PoolStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            runs: get(&self.runs),
            envs_built: get(&self.built),
            envs_reused: get(&self.reused),
            envs_replaced: get(&self.replaced),
            env_failures: get(&self.build_failures),
            runs_retried: get(&self.retried),
            cgroup_errors: get(&self.cgroup_errors),
            busy: self.busy.load(Ordering::Relaxed),
        }
    }

    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Count a run's failure by kind.
    fn failed(&self, error: &SandboxError) {
        if matches!(error, SandboxError::Cgroup(_)) {
            PoolStats::count(&self.cgroup_errors);
        }
    }
}

/// Environments a worker keeps at most (one per language profile in use, typically).
const MAX_ENVS: usize = 4;

/// How to build a pool.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// Workers; the default is the number of CPUs.
    pub workers: usize,
    /// Reuse sandbox environments (the default) or build a fresh sandbox for every run.
    pub reuse: bool,
    /// Jobs waiting at most; submitting blocks beyond.
    pub queue: usize,
    /// The CPUs the workers own, worker `i` the `i`-th modulo their number (default: every CPU
    /// this process may use). Two pools on one machine (two `judge worker` processes) share
    /// no CPU only when given disjoint lists.
    pub cpus: Option<Vec<usize>>,
}

impl Default for PoolConfig {
    fn default() -> PoolConfig {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        PoolConfig {
            workers,
            reuse: true,
            queue: 2 * workers,
            cpus: None,
        }
    }
}

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

/// The pool. Shared by reference between the threads that submit.
pub struct Pool {
    sender: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
    workers: usize,
    peak: Arc<AtomicUsize>,
    reuse: bool,
    sandbox: Arc<Sandbox>,
    stats: Arc<PoolStats>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers)
            .field("reuse", &self.reuse)
            .finish()
    }
}

/// The result of a submitted job, once it has run.
pub struct Ticket<R>(Receiver<std::thread::Result<R>>);

impl<R> Ticket<R> {
    /// Wait for the job. A job that panicked panics here, in the submitter.
    pub fn wait(self) -> R {
        match self.0.recv() {
            Ok(Ok(value)) => value,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => panic!("a pool worker exited without running a job"),
        }
    }
}

impl Pool {
    /// Start the workers. Worker `i` owns the `i`-th CPU of `config.cpus`, or of the CPUs this
    /// process may use, modulo their number. A CPU asked for that this process may not use is
    /// an error naming it.
    pub fn new(sandbox: Arc<Sandbox>, config: PoolConfig) -> io::Result<Pool> {
        let allowed = allowed_cpus();
        let cpus = match &config.cpus {
            None => allowed,
            Some(asked) => {
                if asked.is_empty() {
                    return Err(io::Error::new(io::ErrorKind::InvalidInput, "no CPU given"));
                }
                if let Some(cpu) = asked.iter().find(|c| !allowed.contains(c)) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "CPU {cpu} is not one this process may use (it may use {})",
                            cpu_list(&allowed)
                        ),
                    ));
                }
                asked.clone()
            }
        };
        let workers = config.workers.max(1);
        // Set 0 is the pool's own sandbox (compiles and whatever runs beside the workers).
        let slots = sandbox.config().slots as usize;
        if workers >= slots && !sandbox.is_rootless() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{workers} workers need {} sets of host ids (one each, and one for runs \
                     beside them), but the sandbox has {slots}; see SandboxConfig::slots",
                    workers + 1
                ),
            ));
        }
        let (sender, receiver) = bounded::<Job>(config.queue.max(1));
        let mut threads = Vec::with_capacity(workers);
        let stats = Arc::new(PoolStats::default());
        for index in 0..workers {
            let receiver = receiver.clone();
            // Each worker runs as host ids of its own (checked when the sandbox was made).
            let own = sandbox
                .slot(index as u32 + 1)
                .expect("no more workers than sets of host ids");
            let own_dirs = own.dirs().clone();
            let mut worker = Worker {
                index,
                cpu: (!cpus.is_empty()).then(|| cpus[index % cpus.len()]),
                sandbox: Arc::new(own),
                reuse: config.reuse
                    && sandbox.has_cgroups()
                    && !sandbox.is_rootless()
                    && sandbox.backend() == crate::sandbox::Backend::Namespaces,
                envs: VecDeque::new(),
                work: own_dirs
                    .sandbox_dir(&format!("worker{index}"), None)
                    .map_err(io::Error::other)?,
                staged: None,
                stats: stats.clone(),
                scratch: None,
                private: None,
            };
            let thread = std::thread::Builder::new()
                .name(format!("judge-worker-{index}"))
                .spawn(move || {
                    for job in receiver {
                        worker.stats.busy.fetch_add(1, Ordering::Relaxed);
                        job(&mut worker);
                        worker.stats.busy.fetch_sub(1, Ordering::Relaxed);
                    }
                })?;
            threads.push(thread);
        }
        Ok(Pool {
            sender: Some(sender),
            threads,
            workers,
            peak: Arc::new(AtomicUsize::new(0)),
            reuse: config.reuse
                && sandbox.has_cgroups()
                && !sandbox.is_rootless()
                && sandbox.backend() == crate::sandbox::Backend::Namespaces,
            sandbox,
            stats,
        })
    }

    /// What the workers have done so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The sandbox the workers run in.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The sandbox, for a run beside this worker's own (an interactor on another thread).
    pub fn shared_sandbox(&self) -> Arc<Sandbox> {
        self.sandbox.clone()
    }

    /// Whether runs reuse environments.
    pub fn reuses(&self) -> bool {
        self.reuse
    }

    /// Jobs waiting in the queue now, and the most that ever waited (at most its capacity:
    /// submitters beyond it block).
    pub fn queued(&self) -> (usize, usize) {
        let now = self.sender.as_ref().map_or(0, |s| s.len());
        (now, self.peak.load(Ordering::SeqCst))
    }

    /// Queue a job; blocks while the queue is full.
    pub fn submit<R, F>(&self, job: F) -> Ticket<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Worker) -> R + Send + 'static,
    {
        let (tx, rx) = bounded(1);
        let job: Job = Box::new(move |worker: &mut Worker| {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(worker)));
            let _ = tx.send(result);
        });
        if let Some(sender) = &self.sender {
            // The receivers live as long as the pool, so this only fails after drop.
            let _ = sender.send(job);
            self.peak.fetch_max(sender.len(), Ordering::SeqCst);
        }
        Ticket(rx)
    }

    /// Queue a job unless the queue is full (then `false`, and nothing runs); `done` gets its
    /// result (or its panic) on the worker's thread as soon as it has run. For a caller that
    /// must never block, such as an async server, which then bounds what it queues itself.
    pub fn try_submit<R, F, D>(&self, job: F, done: D) -> bool
    where
        F: FnOnce(&mut Worker) -> R + Send + 'static,
        D: FnOnce(std::thread::Result<R>) + Send + 'static,
    {
        let job: Job = Box::new(move |worker: &mut Worker| {
            done(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                || job(worker),
            )));
        });
        let Some(sender) = &self.sender else {
            return false;
        };
        let queued = sender.try_send(job).is_ok();
        self.peak.fetch_max(sender.len(), Ordering::SeqCst);
        queued
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.sender = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// One worker: its CPU, its environments, its `/work`.
pub struct Worker {
    index: usize,
    cpu: Option<usize>,
    sandbox: Arc<Sandbox>,
    reuse: bool,
    envs: VecDeque<Env>,
    work: SandboxDir,
    staged: Option<u64>,
    stats: Arc<PoolStats>,
    /// The writable work directory of [`Worker::scratch_work`], made on first use.
    scratch: Option<Scratch>,
    /// The directory of [`Worker::private_dir`], made on first use.
    private: Option<ScratchDir>,
}

/// A worker's scratch work directory, and whether it is empty and reset since its last use.
#[derive(Debug)]
struct Scratch {
    dir: SandboxDir,
    clean: bool,
}

impl Worker {
    pub fn index(&self) -> usize {
        self.index
    }

    /// The CPU this worker's runs are pinned to.
    pub fn cpu(&self) -> Option<usize> {
        self.cpu
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The sandbox, for a run beside this worker's own (an interactor on another thread).
    pub fn shared_sandbox(&self) -> Arc<Sandbox> {
        self.sandbox.clone()
    }

    /// The worker's own work directory, mounted at `/work` by environments that list it.
    pub fn work_dir(&self) -> &Path {
        self.work.path()
    }

    /// Put the files of `source` (a directory a compiler wrote) in the worker's work directory,
    /// unless the files staged under `key` (unique to what `source` holds, e.g. one submission)
    /// are there already. Links in `source` are copied as links, never followed.
    pub fn stage(&mut self, key: u64, source: &Path) -> Result<&Path, HostDirError> {
        if self.staged != Some(key) {
            self.staged = None;
            hostdir::empty_dir(self.work.path())?;
            let owner = self.sandbox.dirs().owner();
            hostdir::copy_tree(source, self.work.path(), Links::Keep, Some(owner))?;
            self.staged = Some(key);
        }
        Ok(self.work.path())
    }

    /// Run `command` with the mounts and allowlist of `layout`, pinned to this worker's CPU: in
    /// a reused environment, or in a fresh sandbox when reuse is off.
    pub fn run(&mut self, layout: Layout, command: Command) -> Result<RunResult, SandboxError> {
        PoolStats::count(&self.stats.runs);
        let result = self.run_counted(layout, command);
        if let Err(e) = &result {
            self.stats.failed(e);
        }
        result
    }

    fn run_counted(
        &mut self,
        mut layout: Layout,
        mut command: Command,
    ) -> Result<RunResult, SandboxError> {
        let cpus = self.cpu.map(|c| c.to_string());
        layout.cpus = cpus.clone();
        command.limits_mut().cpus = cpus;
        // A command with a sync hook or a root image needs a sandbox of its own.
        if !self.reuse || command.needs_fresh_sandbox() {
            command.mounts(layout.mounts).syscalls(layout.syscalls);
            command.limits_mut().tmp_size = layout.tmp_size;
            return self.sandbox.run(command);
        }
        command.limits_mut().cpus = None;
        command.syscalls(layout.syscalls.clone());
        let mut spec = command.validate()?;
        // A run the environment failed before it could start goes once more, to a fresh one.
        let mut retried = false;
        loop {
            let mut env = match self.take_env(&layout) {
                Ok(env) => env,
                Err(e) if e.is_environment() && !retried => {
                    retried = true;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let result = env.run_spec(spec);
            if env.is_broken() {
                PoolStats::count(&self.stats.replaced);
            } else {
                // Most recently used at the front; the least recently used goes first.
                self.envs.push_front(env);
                self.envs.truncate(MAX_ENVS);
            }
            match result {
                Ok(result) => return Ok(result),
                Err((_, Some(back))) if !retried => {
                    retried = true;
                    PoolStats::count(&self.stats.retried);
                    spec = *back;
                }
                Err((error, _)) => return Err(error),
            }
        }
    }

    /// This worker's environment for `layout`, checked (its clean-up done, its next spare
    /// ready) and replaced when it is broken, or a new one.
    fn take_env(&mut self, layout: &Layout) -> Result<Env, SandboxError> {
        let position = self.envs.iter().position(|e| e.layout() == layout);
        if let Some(mut env) = position.and_then(|i| self.envs.remove(i)) {
            env.settle();
            if !env.is_broken() {
                PoolStats::count(&self.stats.reused);
                return Ok(env);
            }
            PoolStats::count(&self.stats.replaced);
        }
        let built = Env::new(&self.sandbox, layout.clone());
        PoolStats::count(match built {
            Ok(_) => &self.stats.built,
            Err(_) => &self.stats.build_failures,
        });
        built
    }

    /// Run `command` in a fresh sandbox with its own mounts, pinned to this worker's CPU.
    pub fn run_fresh(&mut self, mut command: Command) -> Result<RunResult, SandboxError> {
        self.pin(&mut command);
        PoolStats::count(&self.stats.runs);
        let result = self.sandbox.run(command);
        if let Err(e) = &result {
            self.stats.failed(e);
        }
        result
    }

    /// The worker's own writable work directory (a tmpfs of at most `cap`, made on first use
    /// and kept for the worker's life), empty and as new: no file, mode 0755, owned by the
    /// sandbox's uid. For services whose clients put files in a run's working directory and
    /// take them out after (go-judge's `/w`); mount it writable in the run's layout, so the
    /// environment that mounts it is reused like any other. A run cannot leave anything in it
    /// for the next: unless [`Worker::release_scratch`] renewed it since it was last handed
    /// out, it is emptied here, its root's mode and owner set again.
    pub fn scratch_work(&mut self, cap: Cap) -> Result<PathBuf, HostDirError> {
        let scratch = match self.scratch.take() {
            Some(scratch) => scratch,
            None => Scratch {
                dir: self
                    .sandbox
                    .dirs()
                    .sandbox_dir(&format!("worker{}-scratch", self.index), Some(cap))?,
                clean: false,
            },
        };
        let scratch = self.scratch.insert(scratch);
        if !scratch.clean {
            hostdir::renew_dir(scratch.dir.path(), self.sandbox.dirs().owner())?;
        }
        scratch.clean = false;
        Ok(scratch.dir.path().to_path_buf())
    }

    /// Empty and reset the scratch work directory now (its tmpfs pages are memory), so the
    /// next [`Worker::scratch_work`] need not.
    pub fn release_scratch(&mut self) -> Result<(), HostDirError> {
        let owner = self.sandbox.dirs().owner();
        if let Some(scratch) = &mut self.scratch {
            hostdir::renew_dir(scratch.dir.path(), owner)?;
            scratch.clean = true;
        }
        Ok(())
    }

    /// The worker's own directory for the engine alone (mode 0700, made on first use and kept),
    /// empty: for files of the engine's that a run's descriptors point at (an input, what a
    /// collector catches), never mounted in a sandbox.
    pub fn private_dir(&mut self) -> Result<PathBuf, HostDirError> {
        let dir = match self.private.take() {
            Some(dir) => dir,
            None => self
                .sandbox
                .dirs()
                .scratch_dir(&format!("worker{}-private", self.index))?,
        };
        let dir = self.private.insert(dir);
        hostdir::empty_dir(dir.path())?;
        Ok(dir.path().to_path_buf())
    }

    /// Pin a fresh sandbox's `command` to this worker's CPU, for a run made beside the
    /// worker's own on another thread (through [`Worker::shared_sandbox`]).
    pub fn pin(&self, command: &mut Command) {
        command.limits_mut().cpus = self.cpu.map(|c| c.to_string());
    }
}

/// `0-3,6` for CPUs 0, 1, 2, 3 and 6.
pub fn cpu_list(cpus: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        parts.push(match i == j {
            true => cpus[i].to_string(),
            false => format!("{}-{}", cpus[i], cpus[j]),
        });
        i = j + 1;
    }
    parts.join(",")
}

/// The CPUs this process may run on; worker `i` has the `i`-th (modulo their number).
pub(crate) fn allowed_cpus() -> Vec<usize> {
    let Ok(set) = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)) else {
        return Vec::new();
    };
    (0..nix::sched::CpuSet::count())
        .filter(|&c| set.is_set(c).unwrap_or(false))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_are_written_as_ranges() {
        assert_eq!(cpu_list(&[0, 1, 2, 3, 6]), "0-3,6");
        assert_eq!(cpu_list(&[1]), "1");
        assert_eq!(cpu_list(&[0, 2, 4, 5]), "0,2,4-5");
        assert_eq!(cpu_list(&[]), "");
    }

    #[test]
    fn this_process_may_use_some_cpu() {
        assert!(!allowed_cpus().is_empty());
    }
}

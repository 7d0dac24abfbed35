//! A reused sandbox environment: namespaces, root filesystem and an init set up once, then many
//! runs, each with its own stdio, limits, seccomp program and a reset cgroup.
//!
//! [`Env::new`] builds the sandbox as a fresh run does, but its child executes the engine's own
//! binary as a small single-threaded init (see `init.rs`) that stays as PID 1. It lives in a
//! cgroup of its own; the runs get another, reused and reset before each run (peak memory, CPU
//! counters), which each program joins itself before it executes, so a run costs no clone, no
//! mount and no cgroup creation.
//!
//! The seccomp programs are installed once, in the init, when the environment is built; every
//! run inherits them, so an environment serves one allowlist (a language profile's).
//!
//! [`Env::run`], in order:
//! 1. applies the run's cgroup limits (when they changed) and resets its counters;
//! 2. sends the request (argv, environment, working directory, rlimits, with stdio and the
//!    cgroup's `cgroup.procs` descriptors attached) and watches the clocks as a fresh run does,
//!    killing the run's cgroup (not the init) on a limit;
//! 3. reads the accounting while the init cleans up on its own (`/tmp`, `/dev/shm`, SysV IPC);
//!    if it reports processes left behind, kills the run's cgroup and has it clean again.
//!
//! If anything looks wrong (the init wedged, a process that would not die, a dirty reset), the
//! environment marks itself broken: [`Env::is_broken`] tells its owner to build a new one.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::errno::Errno;

use super::error::SandboxError;
use super::proto::{self, Request, RunRequest};
use super::spawn::Prepared;
use super::stage::{Dirt, Record, RecordKind, Stage};
use super::wait::{self, Child, Clocks, Until};
use super::{rlimit, spec, ExitStatus, Mount, RunResult, Sandbox, SyscallFilter};
use crate::cgroup::{CgroupLimits, RunCgroup};

/// How long the init may take to answer a reset.
const RESET_TIMEOUT: Duration = Duration::from_secs(5);
/// How long processes a run left behind may take to die.
const LEFTOVER_WAIT: Duration = Duration::from_millis(500);

/// The fixed part of an environment: what it mounts, its `/tmp`, its CPUs, its allowlist.
#[derive(Clone, Debug)]
pub struct Layout {
    pub mounts: Vec<Mount>,
    pub tmp_size: u64,
    /// A cpuset list every run of the environment is pinned to.
    pub cpus: Option<String>,
    /// The allowlist of every run (and of the init itself): runs must use this very filter.
    pub syscalls: Arc<SyscallFilter>,
}

impl PartialEq for Layout {
    fn eq(&self, other: &Layout) -> bool {
        self.mounts == other.mounts
            && self.tmp_size == other.tmp_size
            && self.cpus == other.cpus
            && Arc::ptr_eq(&self.syscalls, &other.syscalls)
    }
}

impl Eq for Layout {}

/// A reused sandbox environment. Not shareable: one run at a time.
#[derive(Debug)]
pub struct Env {
    // Dropped in this order: the init (and with it the namespace), then the cgroups.
    _init: Child,
    sock: OwnedFd,
    procs: Vec<OwnedFd>,
    run_cgroup: Box<dyn RunCgroup>,
    _init_cgroup: Box<dyn RunCgroup>,
    layout: Layout,
    applied: Option<CgroupLimits>,
    cpus: u32,
    broken: bool,
    runs: u64,
}

impl Env {
    /// Build an environment with this layout.
    pub fn new(sandbox: &Sandbox, layout: Layout) -> Result<Env, SandboxError> {
        // Keep the hidden init's constructor in every binary that can build an environment.
        std::hint::black_box(&super::init::HIDDEN_INIT);
        let cgroups = sandbox.cgroups.as_ref().ok_or_else(|| {
            SandboxError::Env("reused environments need cgroups, which this host lacks".into())
        })?;
        let init_cgroup = cgroups.create(&CgroupLimits {
            // The init, and each program for the moment before it joins its own cgroup.
            pids: Some(8),
            memory_bytes: Some(256 << 20),
            cpuset: layout.cpus.clone(),
            ..CgroupLimits::default()
        })?;
        let run_cgroup = cgroups.create(&CgroupLimits {
            cpuset: layout.cpus.clone(),
            ..CgroupLimits::default()
        })?;
        let mut cmd = super::Command::new("/");
        cmd.mounts(layout.mounts.iter().cloned());
        cmd.limits_mut().tmp_size = layout.tmp_size;
        let exe = std::fs::File::open("/proc/self/exe")
            .map_err(|e| SandboxError::parent("open /proc/self/exe", e))?;
        let exe = OwnedFd::from(exe);
        let (mut prepared, stdio) = Prepared::new(cmd.validate()?, true)?;
        let (init, sock) = super::spawn::launch(
            sandbox,
            &mut prepared,
            stdio,
            Some(init_cgroup.as_ref()),
            Some(exe),
        )?;
        let mut env = Env {
            _init: init,
            sock,
            procs: Vec::new(),
            run_cgroup,
            _init_cgroup: init_cgroup,
            cpus: layout
                .cpus
                .as_deref()
                .and_then(spec::cpu_count)
                .map_or(sandbox.cpus, |n| n as u32),
            layout,
            applied: None,
            broken: false,
            runs: 0,
        };
        match env.next_record(wait::SETUP_TIMEOUT)? {
            r if r.kind() == Some(RecordKind::Ready) => {}
            r if r.kind() == Some(RecordKind::Error) => {
                let stage = Stage::from_u32(r.stage).unwrap_or(Stage::ExecInit);
                return Err(SandboxError::Child {
                    stage,
                    what: prepared.describe(stage, r.index),
                    errno: Errno::from_raw(r.errno),
                });
            }
            _ => return Err(SandboxError::Protocol(Record::SIZE)),
        }
        let confine = Request::Confine(env.layout.syscalls.program_bytes());
        proto::send(env.sock.as_raw_fd(), &confine.encode(), &[])
            .map_err(|e| SandboxError::parent("send seccomp programs", e))?;
        match env.next_record(wait::SETUP_TIMEOUT)? {
            r if r.kind() == Some(RecordKind::Cleaned) && r.stage == 0 => {}
            r => {
                return Err(SandboxError::Child {
                    stage: Stage::Seccomp,
                    what: Stage::Seccomp.name().to_owned(),
                    errno: Errno::from_raw(r.errno),
                })
            }
        }
        for path in env.run_cgroup.procs_files() {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| SandboxError::parent(format!("open {}", path.display()), e))?;
            env.procs.push(file.into());
        }
        Ok(env)
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Whether the environment must be replaced.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// How many runs it has served.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Run `command` in the environment. Its mounts must be empty: they are the layout's.
    pub fn run(&mut self, command: super::Command) -> Result<RunResult, SandboxError> {
        if self.broken {
            return Err(SandboxError::Env("this environment is broken".into()));
        }
        let result = self.try_run(command);
        if matches!(
            result,
            Err(SandboxError::Unresponsive
                | SandboxError::Protocol(_)
                | SandboxError::Cgroup(_)
                | SandboxError::Parent { .. }
                | SandboxError::Env(_))
        ) {
            self.broken = true;
        }
        self.runs += 1;
        result
    }

    fn try_run(&mut self, command: super::Command) -> Result<RunResult, SandboxError> {
        let mut spec = command.validate()?;
        if !spec.mounts.is_empty() {
            return Err(SandboxError::Spec(super::SpecError::MountsInEnv));
        }
        if !Arc::ptr_eq(&spec.filter, &self.layout.syscalls) {
            return Err(SandboxError::Spec(super::SpecError::FilterNotEnv));
        }
        let limits = spec.limits.clone();
        let wanted = CgroupLimits {
            memory_bytes: limits.memory,
            pids: limits.processes,
            cpu_quota: limits.cpu_quota.clone(),
            cpuset: self.layout.cpus.clone(),
        };
        if self.applied.as_ref() != Some(&wanted) {
            self.run_cgroup.limit(&wanted)?;
            self.applied = Some(wanted);
        }
        let baseline = self.run_cgroup.reset()?;
        let mut fds = Vec::with_capacity(3);
        for (n, stream) in std::mem::take(&mut spec.stdio).into_iter().enumerate() {
            let fd = stream.into_fd(n as i32);
            fds.push(fd.map_err(|e| SandboxError::parent(format!("open stdio {n}"), e))?);
        }
        let request = Request::Run(RunRequest {
            argv: spec.argv.clone(),
            env: spec.env.clone(),
            cwd: spec.cwd.clone(),
            rlimits: rlimit::plan(&limits, true),
        });
        let mut raw: Vec<i32> = fds.iter().map(|f| f.as_raw_fd()).collect();
        raw.extend(self.procs.iter().map(|f| f.as_raw_fd()));
        proto::send(self.sock.as_raw_fd(), &request.encode(), &raw)
            .map_err(|e| SandboxError::parent("send run request", e))?;
        drop(fds);

        let clocks = Clocks {
            wall: limits.wall_time,
            cpu: limits.cpu_time,
            oom: limits.memory.is_some(),
            cpus: self.cpus,
        };
        let run_cgroup = self.run_cgroup.as_ref();
        let kill = || {
            let _ = run_cgroup.kill_all();
        };
        let watch = wait::watch(wait::Watched {
            sock: &self.sock,
            clocks,
            cgroup: Some(run_cgroup),
            cpu_base: Some(baseline.cpu),
            oom_base: baseline.oom_kills,
            until: Until::Exited,
            kill: &kill,
        })?;
        let cpu = run_cgroup.cpu_usage()?.saturating_sub(baseline.cpu);
        let peak = run_cgroup.memory_peak()?;
        let oom = run_cgroup.oom_kills()? > baseline.oom_kills;
        self.clean_up()?;

        if let Some(error) = watch.error {
            let stage = Stage::from_u32(error.stage).unwrap_or(Stage::Wait);
            let what = match stage {
                Stage::Execve => format!(
                    "execve {}",
                    String::from_utf8_lossy(spec.program.as_bytes())
                ),
                Stage::Chdir => format!("chdir {}", String::from_utf8_lossy(spec.cwd.as_bytes())),
                other => other.name().to_owned(),
            };
            return Err(SandboxError::Child {
                stage,
                what,
                errno: Errno::from_raw(error.errno),
            });
        }
        let exited = watch.exited.ok_or(SandboxError::Unresponsive)?;
        Ok(RunResult {
            status: ExitStatus::from_wait(exited.status),
            cpu_time: cpu,
            wall_time: Duration::from_nanos(exited.wall_ns),
            memory: peak.unwrap_or(exited.maxrss_kib * 1024),
            killed_by: watch.killed,
            oom_killed: oom,
        })
    }

    /// Wait for the init's clean-up after the run; if it found processes left behind, kill the
    /// run's cgroup and have it clean again. Mark the environment broken if it cannot be made as
    /// new.
    fn clean_up(&mut self) -> Result<(), SandboxError> {
        let mut record = self.next_record(RESET_TIMEOUT)?;
        if record.kind() == Some(RecordKind::Cleaned)
            && Dirt::from_u32(record.stage) == Some(Dirt::Processes)
        {
            self.run_cgroup.kill_all()?;
            let deadline = Instant::now() + LEFTOVER_WAIT;
            while !self.run_cgroup.procs()?.is_empty() {
                if Instant::now() > deadline {
                    self.broken = true;
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            proto::send(self.sock.as_raw_fd(), &Request::Reset.encode(), &[])
                .map_err(|e| SandboxError::parent("send reset request", e))?;
            record = self.next_record(RESET_TIMEOUT)?;
        }
        if record.kind() != Some(RecordKind::Cleaned) {
            return Err(SandboxError::Protocol(Record::SIZE));
        }
        // The run is over and measured; a dirty reset only spoils the environment.
        if Dirt::from_u32(record.stage).is_some() {
            self.broken = true;
        }
        Ok(())
    }

    /// The next record from the init, within `timeout`.
    fn next_record(&mut self, timeout: Duration) -> Result<Record, SandboxError> {
        let mut pfd = libc::pollfd {
            fd: self.sock.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(SandboxError::Unresponsive);
            }
            // SAFETY: one valid pollfd.
            let rc = unsafe { libc::poll(&mut pfd, 1, left.as_millis().max(1) as i32) };
            if rc < 0 && Errno::last() == Errno::EINTR {
                continue;
            }
            if rc <= 0 {
                continue;
            }
            let mut buf = [0u8; Record::SIZE];
            // SAFETY: `buf` is a writable buffer of the given size.
            let n =
                unsafe { libc::recv(self.sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n == 0 {
                return Err(SandboxError::Unresponsive);
            }
            if n as usize != Record::SIZE {
                return Err(SandboxError::Protocol(n.max(0) as usize));
            }
            return Ok(Record::from_bytes(&buf));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_environment_can_move_to_a_worker_thread() {
        fn send<T: Send>() {}
        send::<Env>();
    }
}

//! A reused sandbox environment: namespaces, root filesystem and an init set up once, then many
//! runs, each with its own stdio, limits and a reset cgroup.
//!
//! [`Env::new`] builds the sandbox as a fresh run does, but its child executes the engine's own
//! binary as a small single-threaded init (see `init.rs`) that stays as PID 1, in a cgroup of
//! its own. The seccomp programs are installed once, in the init: every run inherits them, so an
//! environment serves one allowlist (a language profile's).
//!
//! Runs use two run cgroups (slots) in turn. The init keeps a spare process forked ahead and
//! already joined to the idle slot; with each clean-up report it hands the engine that spare's
//! socket, and the engine sends the next request straight to it. So a run costs no clone, no
//! mount, no cgroup creation or migration, and no hop through the init.
//!
//! [`Env::run`], in order:
//! 1. takes the offered spare (or, without one, asks the init to fork), applies the slot's
//!    limits (when they changed) and resets its counters;
//! 2. sends the request (argv, environment, working directory, rlimits, with stdio attached) and
//!    watches the clocks as a fresh run does, killing the slot's cgroup (not the init) on a
//!    limit;
//! 3. reads the accounting, tells the init the slot is free for a new spare, and returns while
//!    the init cleans up (`/tmp`, `/dev/shm`, SysV IPC, leftover processes). The clean-up's
//!    report is read before the next run ([`Env::settle`]): if it found processes left behind,
//!    the slot's cgroup is killed and the init cleans again.
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
    /// The two run cgroups, used in turn.
    slots: [Box<dyn RunCgroup>; 2],
    _init_cgroup: Box<dyn RunCgroup>,
    layout: Layout,
    /// The limits last applied to each slot.
    applied: [Option<CgroupLimits>; 2],
    /// Each slot's OOM-kill count after its last run: it never resets.
    oom_seen: [u64; 2],
    /// The slot of the last run, whose leftovers a dirty clean-up means.
    last_slot: usize,
    /// The init is cleaning up after the last run; its report is read before the next one.
    cleaning: bool,
    /// `/dev/null`, for every stream a run leaves at its default.
    devnull: OwnedFd,
    /// The offered spare: the next run's process, already forked into a slot, waiting for its
    /// request on this socket.
    spare: Option<(OwnedFd, usize)>,
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
            ..CgroupLimits::default()
        })?;
        // The runs are pinned, not the init: its work between runs (clean-up, the next spare)
        // goes to another CPU when there is one, not onto the running program's.
        let pinned = CgroupLimits {
            cpuset: layout.cpus.clone(),
            ..CgroupLimits::default()
        };
        let slots = [cgroups.create(&pinned)?, cgroups.create(&pinned)?];
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
            slots,
            _init_cgroup: init_cgroup,
            cpus: layout
                .cpus
                .as_deref()
                .and_then(spec::cpu_count)
                .map_or(sandbox.cpus, |n| n as u32),
            layout,
            applied: [None, None],
            oom_seen: [0, 0],
            last_slot: 0,
            cleaning: false,
            spare: None,
            devnull: std::fs::File::options()
                .read(true)
                .write(true)
                .open("/dev/null")
                .map_err(|e| SandboxError::parent("open /dev/null", e))?
                .into(),
            broken: false,
            runs: 0,
        };
        env.oom_seen = [env.slots[0].oom_kills()?, env.slots[1].oom_kills()?];
        match env.next_record(wait::SETUP_TIMEOUT)?.0 {
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
        let mut procs: Vec<OwnedFd> = Vec::new();
        for slot in &env.slots {
            for path in slot.procs_files() {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| SandboxError::parent(format!("open {}", path.display()), e))?;
                procs.push(file.into());
            }
        }
        let confine = Request::Confine(env.layout.syscalls.program_bytes());
        let raw: Vec<i32> = procs.iter().map(|f| f.as_raw_fd()).collect();
        proto::send(env.sock.as_raw_fd(), &confine.encode(), &raw)
            .map_err(|e| SandboxError::parent("send seccomp programs", e))?;
        drop(procs);
        match env.next_record(wait::SETUP_TIMEOUT)? {
            (r, spare) if r.kind() == Some(RecordKind::Cleaned) && r.stage == 0 => {
                env.spare = spare.map(|fd| (fd, r.index as usize));
            }
            (r, _) => {
                return Err(SandboxError::Child {
                    stage: Stage::Seccomp,
                    what: Stage::Seccomp.name().to_owned(),
                    errno: Errno::from_raw(r.errno),
                })
            }
        }
        Ok(env)
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Whether the environment must be replaced. After a run the init cleans up on its own;
    /// call [`Env::settle`] first to know for sure.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Wait for the init's clean-up after the last run (it ran while the engine read the
    /// results), killing leftovers if it found any; marks the environment broken if it cannot
    /// be made as new.
    pub fn settle(&mut self) {
        if self.cleaning {
            self.cleaning = false;
            if self.clean_up().is_err() {
                self.broken = true;
            }
        }
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
        self.settle();
        if self.broken {
            return Err(SandboxError::Env(
                "the last run left this environment dirty".into(),
            ));
        }
        let mut spec = command.validate()?;
        if !spec.mounts.is_empty() {
            return Err(SandboxError::Spec(super::SpecError::MountsInEnv));
        }
        if !Arc::ptr_eq(&spec.filter, &self.layout.syscalls) {
            return Err(SandboxError::Spec(super::SpecError::FilterNotEnv));
        }
        let limits = spec.limits.clone();
        // The offered spare, in its slot; without one the init forks into slot 0.
        let spare = self.spare.take();
        let slot = spare.as_ref().map_or(0, |(_, slot)| *slot).min(1);
        let wanted = CgroupLimits {
            memory_bytes: limits.memory,
            pids: limits.processes,
            cpu_quota: limits.cpu_quota.clone(),
            cpuset: self.layout.cpus.clone(),
        };
        if self.applied[slot].as_ref() != Some(&wanted) {
            self.slots[slot].limit(&wanted)?;
            self.applied[slot] = Some(wanted);
        }
        let cpu_base = self.slots[slot].reset()?;
        let mut fds = Vec::with_capacity(3);
        let mut raw = Vec::with_capacity(3);
        for (n, stream) in std::mem::take(&mut spec.stdio).into_iter().enumerate() {
            if let super::Stdio::Null = stream {
                raw.push(self.devnull.as_raw_fd());
                continue;
            }
            let fd = stream
                .into_fd(n as i32)
                .map_err(|e| SandboxError::parent(format!("open stdio {n}"), e))?;
            raw.push(fd.as_raw_fd());
            fds.push(fd);
        }
        let request = Request::Run(RunRequest {
            argv: spec.argv.clone(),
            env: spec.env.clone(),
            cwd: spec.cwd.clone(),
            rlimits: rlimit::plan(&limits, true),
        });
        let to = spare.as_ref().map_or(&self.sock, |(fd, _)| fd);
        proto::send(to.as_raw_fd(), &request.encode(), &raw)
            .map_err(|e| SandboxError::parent("send run request", e))?;
        let sent = Instant::now();
        drop(fds);
        drop(spare);
        self.last_slot = slot;

        let clocks = Clocks {
            wall: limits.wall_time,
            cpu: limits.cpu_time,
            oom: limits.memory.is_some(),
            cpus: self.cpus,
        };
        let run_cgroup = self.slots[slot].as_ref();
        let kill = || {
            let _ = run_cgroup.kill_all();
        };
        let watch = wait::watch(wait::Watched {
            sock: &self.sock,
            clocks,
            cgroup: Some(run_cgroup),
            cpu_base: Some(cpu_base),
            oom_base: self.oom_seen[slot],
            started: Some(sent),
            until: Until::Exited,
            kill: &kill,
        })?;
        let cpu = run_cgroup.cpu_usage()?.saturating_sub(cpu_base);
        let peak = run_cgroup.memory_peak()?;
        let oom_kills = run_cgroup.oom_kills()?;
        let oom = oom_kills > self.oom_seen[slot];
        self.oom_seen[slot] = oom_kills;
        // The slot may take a new spare now; the init is cleaning up, its report is read
        // before the next run.
        proto::send(
            self.sock.as_raw_fd(),
            &Request::Accounted(slot).encode(),
            &[],
        )
        .map_err(|e| SandboxError::parent("send accounted", e))?;
        self.cleaning = true;

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
        let ended = watch.ended.unwrap_or_else(Instant::now);
        Ok(RunResult {
            status: ExitStatus::from_wait(exited.status),
            cpu_time: cpu,
            wall_time: ended - sent,
            memory: peak.unwrap_or(exited.maxrss_kib * 1024),
            killed_by: watch.killed,
            oom_killed: oom,
            ended,
        })
    }

    /// Wait for the init's clean-up after the run; if it found processes left behind, kill the
    /// run's cgroup and have it clean again. Mark the environment broken if it cannot be made as
    /// new.
    fn clean_up(&mut self) -> Result<(), SandboxError> {
        let (mut record, mut spare) = self.next_record(RESET_TIMEOUT)?;
        if record.kind() == Some(RecordKind::Cleaned)
            && Dirt::from_u32(record.stage) == Some(Dirt::Processes)
        {
            let slot = &self.slots[self.last_slot];
            slot.kill_all()?;
            let deadline = Instant::now() + LEFTOVER_WAIT;
            while !slot.procs()?.is_empty() {
                if Instant::now() > deadline {
                    self.broken = true;
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            proto::send(self.sock.as_raw_fd(), &Request::Reset.encode(), &[])
                .map_err(|e| SandboxError::parent("send reset request", e))?;
            (record, spare) = self.next_record(RESET_TIMEOUT)?;
        }
        self.spare = spare.map(|fd| (fd, record.index as usize));
        if record.kind() != Some(RecordKind::Cleaned) {
            return Err(SandboxError::Protocol(Record::SIZE));
        }
        // The run is over and measured; a dirty reset only spoils the environment.
        if Dirt::from_u32(record.stage).is_some() {
            self.broken = true;
        }
        Ok(())
    }

    /// The next record from the init, within `timeout`, with the spare's socket if it came
    /// along.
    fn next_record(
        &mut self,
        timeout: Duration,
    ) -> Result<(Record, Option<OwnedFd>), SandboxError> {
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
            if rc <= 0 {
                continue;
            }
            let mut buf = [0u8; Record::SIZE];
            let (n, mut fds) = match proto::receive(self.sock.as_raw_fd(), &mut buf) {
                Ok(Some(message)) => message,
                Ok(None) => return Err(SandboxError::Unresponsive),
                Err(e) => return Err(SandboxError::parent("receive from the init", e)),
            };
            if n != Record::SIZE {
                return Err(SandboxError::Protocol(n));
            }
            return Ok((Record::from_bytes(&buf), fds.pop()));
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

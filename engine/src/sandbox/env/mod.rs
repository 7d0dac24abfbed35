//! A reused sandbox environment: namespaces, root filesystem and an init set up once, then many
//! runs, each with its own stdio, limits and cgroup, none able to reach another.
//!
//! The parts, one file each:
//! - this file, the engine's side ([`Env`]);
//! - `init.rs`, the environment's PID 1, the engine's own binary in a hidden mode;
//! - `spare.rs`, a run's process forked ahead by the init, waiting for its request;
//! - `clean.rs`, the init's clean-up between runs;
//! - `proto.rs`, what the three say to each other.
//!
//! [`Env::new`] builds the sandbox as a fresh run does, but its child executes the engine's
//! binary as the init, which runs as a user of its own (the namespace's root, an unprivileged
//! host uid that is not the program's). The seccomp programs are installed once, in the init:
//! every spare inherits them, so an environment serves one allowlist (a language profile's).
//!
//! Runs use two run cgroups (slots) in turn. After each clean-up the init forks spares until two
//! are alive, each on a socket the engine made and gave it, and announces them; the engine moves
//! each into the slot the run before it does not use (from outside: inside, the sandbox's cgroup namespace hides the
//! slots). So the spare for run N+1 is ready, in its own cgroup, before run N starts, and no
//! program ever shares a uid, a cgroup or a moment of life with a process of another run.
//!
//! [`Env::run`], in order:
//! 1. waits, if it has not yet, for the init's clean-up after the last run and for the next
//!    spare ([`Env::settle`]): a clean-up that found processes left gets the last slot killed
//!    and is asked again; any other dirt, or an init that does not answer, breaks the
//!    environment;
//! 2. applies the slot's limits (when they changed) and starts its measurement: a reset where
//!    the kernel can reset the peak, else the slot is a cgroup made fresh for this spare;
//! 3. sends the request (argv, environment, working directory, rlimits, with stdio attached)
//!    straight to the spare; the spare acknowledges it, and its socket closes at execve;
//! 4. watches the clocks as a fresh run does, killing the slot's cgroup (never the init) on a
//!    limit; a spare that does not acknowledge within [`ACK_TIMEOUT`] breaks the environment;
//! 5. reads the accounting, and the slot's task count: processes the program left behind are
//!    killed and the init asked to clean up once more; then returns.
//!
//! A failure of the environment is an [`EnvError`]. When it came before the program could start,
//! the caller gets its spec back ([`Env::run_spec`]) and may run it again on a fresh
//! environment; [`Env::is_broken`] tells the owner to build one.

pub(crate) mod clean;
pub(crate) mod init;
pub(crate) mod proto;
mod spare;

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::errno::Errno;

use self::proto::{Confinement, Request, RunRequest};
use super::capture::{open_stream, Drain};
use super::error::{EnvError, HostStep, SandboxError};
use super::spawn::Prepared;
use super::stage::{Dirt, Record, RecordKind, Stage};
use super::wait::{self, Child, Clocks, Supervisor};
use super::{rlimit, spec, ExitStatus, Mount, RunResult, Sandbox, Spec, Stdio, SyscallFilter};
use crate::cgroup::{CgroupLimits, Cgroups, Features, RunCgroup};

/// How long the init may take to answer (a clean-up, a new spare).
const RESET_TIMEOUT: Duration = Duration::from_secs(5);
/// How long processes a run left behind may take to die.
const LEFTOVER_WAIT: Duration = Duration::from_millis(500);
/// How long a spare may take to acknowledge its request. It does so before anything else, so
/// only a spare that is stopped or gone misses this.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(2);

/// The fixed part of an environment: what it mounts, its `/tmp`, its CPUs, its allowlist.
#[derive(Clone, Debug)]
pub struct Layout {
    pub mounts: Vec<Mount>,
    pub tmp_size: u64,
    /// A cpuset list every run of the environment is pinned to.
    pub cpus: Option<String>,
    /// The allowlist of every run (and of the init itself): runs must use this very filter.
    pub syscalls: Arc<SyscallFilter>,
    /// The environment's network namespace, shared by its runs: `lo` up or not.
    pub network: super::Network,
}

impl PartialEq for Layout {
    fn eq(&self, other: &Layout) -> bool {
        self.mounts == other.mounts
            && self.tmp_size == other.tmp_size
            && self.cpus == other.cpus
            && Arc::ptr_eq(&self.syscalls, &other.syscalls)
            && self.network == other.network
    }
}

impl Eq for Layout {}

/// A run cgroup the environment's runs use in turn.
#[derive(Debug)]
struct Slot {
    cgroup: Box<dyn RunCgroup>,
    /// The limits last applied.
    applied: Option<CgroupLimits>,
    /// The OOM-kill count after its last run: it never resets.
    oom_seen: u64,
    /// A run has used it since it was made or its measurement last started.
    used: bool,
    /// The CPU time it had counted when its measurement started: taken (with a reset where
    /// the kernel can) as its spare joined it, off the path between two runs.
    cpu_base: Duration,
}

/// A spare in its slot, waiting for its request on `sock`.
#[derive(Debug)]
struct Ready {
    sock: OwnedFd,
    seq: u32,
    slot: usize,
}

/// A reused sandbox environment. Not shareable: one run at a time.
#[derive(Debug)]
pub struct Env {
    // Dropped in this order: the init (and with it the namespace), then the cgroups.
    init: Child,
    sock: OwnedFd,
    slots: [Slot; 2],
    init_cgroup: Box<dyn RunCgroup>,
    cgroups: Arc<dyn Cgroups>,
    features: Features,
    layout: Layout,
    /// Spares in their slots, oldest first.
    ready: VecDeque<Ready>,
    /// Our ends of the sockets whose other ends the init holds for its next spares, in order.
    socks: VecDeque<OwnedFd>,
    /// The slot the next announced spare goes to.
    next_slot: usize,
    /// The slot of the last run, whose leftovers a dirty clean-up means.
    last_slot: usize,
    /// Clean-up reports still due from the init (after the last run, and after each reset):
    /// all are read before the next run.
    cleanings: u32,
    /// `/dev/null`, for every stream a run leaves at its default.
    devnull: OwnedFd,
    cpus: u32,
    broken: bool,
    /// What went wrong with a spare for a later run while a run went on: the environment is
    /// replaced once that run is over.
    trouble: Option<SandboxError>,
    runs: u64,
}

impl Env {
    /// Build an environment with this layout.
    pub fn new(sandbox: &Sandbox, layout: Layout) -> Result<Env, SandboxError> {
        // Keep the hidden init's constructor in every binary that can build an environment.
        std::hint::black_box(&init::HIDDEN_INIT);
        if sandbox.rootless {
            return Err(EnvError::Rootless.into());
        }
        if sandbox.backend == super::Backend::Ptrace {
            return Err(EnvError::Ptrace.into());
        }
        let cgroups = sandbox.cgroups.clone().ok_or(EnvError::NoCgroups)?;
        let init_cgroup = cgroups.create(&CgroupLimits {
            // The init, and each spare until the engine moves it into its slot.
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
        let slots = [
            Slot::new(cgroups.as_ref(), &pinned)?,
            Slot::new(cgroups.as_ref(), &pinned)?,
        ];
        let config = &sandbox.config;
        let filters = layout
            .syscalls
            .for_network(layout.network)?
            .env_program_bytes(config.inside_uid, config.inside_gid)?;
        let mut cmd = super::Command::new("/");
        cmd.mounts(layout.mounts.iter().cloned());
        cmd.limits_mut().tmp_size = layout.tmp_size;
        cmd.limits_mut().network = layout.network;
        let exe = std::fs::File::open("/proc/self/exe")
            .map_err(|e| SandboxError::host(HostStep::OpenExe, e))?;
        let (mut prepared, stdio, _) = Prepared::new(cmd.validate()?, true)?;
        let (init, sock) = super::spawn::launch(
            sandbox,
            &mut prepared,
            stdio,
            Some(init_cgroup.as_ref()),
            Some(OwnedFd::from(exe)),
        )?;
        let mut env = Env {
            init,
            sock,
            slots,
            init_cgroup,
            features: cgroups.features(),
            cgroups,
            cpus: layout
                .cpus
                .as_deref()
                .and_then(spec::cpu_count)
                .map_or(sandbox.cpus, |n| n as u32),
            layout,
            ready: VecDeque::new(),
            socks: VecDeque::new(),
            next_slot: 0,
            last_slot: 0,
            cleanings: 1,
            devnull: std::fs::File::options()
                .read(true)
                .write(true)
                .open("/dev/null")
                .map_err(|e| SandboxError::host(HostStep::OpenDevNull, e))?
                .into(),
            broken: false,
            trouble: None,
            runs: 0,
        };
        match env.next_message(wait::SETUP_TIMEOUT)?.0 {
            r if r.kind() == Some(RecordKind::Ready) => {}
            r if r.kind() == Some(RecordKind::Error) => {
                let stage = Stage::from_u32(r.stage).unwrap_or(Stage::ExecInit);
                return Err(SandboxError::Child {
                    stage,
                    what: prepared.describe(stage, r.index),
                    errno: Errno::from_raw(r.errno),
                });
            }
            r => return Err(EnvError::Unexpected(r.kind).into()),
        }
        for _ in 0..2 {
            give_socket(&env.sock, &mut env.socks)?;
        }
        let confine = Request::Confine(Confinement {
            filters,
            uid: config.inside_uid,
            gid: config.inside_gid,
            last_cap: sandbox.last_cap,
        });
        proto::send(env.sock.as_raw_fd(), &confine.encode(), &[])
            .map_err(|e| SandboxError::host(HostStep::Send, e))?;
        env.wait_ready(wait::SETUP_TIMEOUT)?;
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

    /// How many runs it has served.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Wait for the init's clean-up after the last run and for the next spare; mark the
    /// environment broken if it cannot be made as new.
    pub fn settle(&mut self) {
        if !self.broken && self.wait_ready(RESET_TIMEOUT).is_err() {
            self.broken = true;
        }
    }

    /// Run `command` in the environment. Its mounts must be empty: they are the layout's.
    pub fn run(&mut self, command: super::Command) -> Result<RunResult, SandboxError> {
        self.run_spec(command.validate()?).map_err(|(e, _)| e)
    }

    /// Run a validated spec. On failure, the spec comes back when the program never started
    /// (the environment failed first): it may be run again elsewhere.
    pub(crate) fn run_spec(&mut self, spec: Spec) -> Result<RunResult, Rejected> {
        if !spec.mounts.is_empty() {
            return Err((SandboxError::Spec(super::SpecError::MountsInEnv), None));
        }
        if !Arc::ptr_eq(&spec.filter, &self.layout.syscalls) {
            return Err((SandboxError::Spec(super::SpecError::FilterNotEnv), None));
        }
        if !spec.hooks.is_empty()
            || spec.root.is_some()
            || spec.inside.is_some()
            || spec.backend == Some(super::Backend::Ptrace)
        {
            return Err((SandboxError::Spec(super::SpecError::HooksInEnv), None));
        }
        if spec.limits.network != self.layout.network {
            return Err((SandboxError::Spec(super::SpecError::NetworkNotEnv), None));
        }
        if self.broken {
            return Err((EnvError::Broken.into(), Some(Box::new(spec))));
        }
        let result = self.try_run(spec);
        // A step of the program that failed (execve of a missing file, say) leaves the
        // environment as it was: its init reaps and cleans up as after any run.
        if let Err((e, _)) = &result {
            if !matches!(e, SandboxError::Child { .. } | SandboxError::Spec(_)) {
                self.broken = true;
            }
        }
        self.runs += 1;
        result
    }

    fn try_run(&mut self, mut spec: Spec) -> Result<RunResult, Rejected> {
        if let Err(e) = self.wait_ready(RESET_TIMEOUT) {
            return Err((e, Some(Box::new(spec))));
        }
        let limits = spec.limits.clone();
        let Some(spare) = self.ready.pop_front() else {
            return Err((EnvError::Broken.into(), Some(Box::new(spec))));
        };
        let slot = spare.slot;
        let cpu_base = match self.start_measurement(slot, &limits) {
            Ok(base) => base,
            Err(e) => return Err((e, Some(Box::new(spec)))),
        };
        let streams = std::mem::take(&mut spec.stdio);
        let mut fds: Vec<Option<OwnedFd>> = Vec::with_capacity(3);
        let mut drain = None;
        // The captured stream, and how much of it to keep: a retry captures it afresh.
        let mut captured = None;
        for (n, stream) in streams.into_iter().enumerate() {
            if let Stdio::Capture(keep) = stream {
                captured = Some((n, keep));
            }
            match stream {
                Stdio::Null => fds.push(None),
                stream => match open_stream(stream, n, limits.output, &mut drain) {
                    Ok(fd) => fds.push(Some(fd)),
                    Err(e) => return Err((e, None)),
                },
            }
        }
        // The streams as a retry would take them, if it can: regular files (a spare that
        // never acknowledged never touched them), not a pipe someone else reads.
        let give_back = |fds: Vec<Option<OwnedFd>>| -> Option<[Stdio; 3]> {
            let streams: Option<Vec<Stdio>> = fds
                .into_iter()
                .enumerate()
                .map(|(n, fd)| match (fd, captured) {
                    (_, Some((c, keep))) if c == n => Some(Stdio::Capture(keep)),
                    (Some(fd), _) if is_file(&fd) => Some(Stdio::Fd(fd)),
                    (Some(_), _) => None,
                    (None, _) => Some(Stdio::Null),
                })
                .collect();
            streams?.try_into().ok()
        };
        let raw: Vec<i32> = fds
            .iter()
            .map(|fd| {
                fd.as_ref()
                    .map_or(self.devnull.as_raw_fd(), |f| f.as_raw_fd())
            })
            .collect();
        let request = Request::Run(RunRequest {
            argv: spec.argv.clone(),
            env: spec.env.clone(),
            cwd: spec.cwd.clone(),
            rlimits: rlimit::plan(&limits, true),
        });
        if let Err(e) = proto::send(spare.sock.as_raw_fd(), &request.encode(), &raw) {
            // Nothing reached the spare: the same streams can go to another.
            let Some(stdio) = give_back(fds) else {
                return Err((EnvError::SpareGone(e).into(), None));
            };
            spec.stdio = stdio;
            return Err((EnvError::SpareGone(e).into(), Some(Box::new(spec))));
        }
        let sent = Instant::now();
        self.last_slot = slot;
        self.cleanings += 1;
        // Keep only what a retry could reuse. Our copy of a pipe's end must go now, or its
        // reader would never see the program close it.
        let retry = give_back(fds);
        let watch = match self.watch(&spare, &limits, cpu_base, sent, drain.as_mut()) {
            Ok(w) => w,
            Err(Unstarted(e)) => {
                let Some(stdio) = retry else {
                    return Err((e, None));
                };
                spec.stdio = stdio;
                return Err((e, Some(Box::new(spec))));
            }
            Err(Started(e)) => return Err((e, None)),
        };
        drop(retry);
        let mut result = self
            .account(slot, watch, sent, &spec)
            .map(|mut r| {
                r.captured = drain.map(Drain::finish);
                r
            })
            .map_err(|e| (e, None));
        // What the program left running (a daemon, say) dies now, before anything else runs.
        match self.slots[slot].cgroup.tasks() {
            Ok(0) => {}
            Ok(_) => {
                if let Err(e) = self.kill_leftovers() {
                    self.trouble = Some(e);
                }
            }
            Err(e) => result = Err((e.into(), None)),
        }
        // A spare for a later run went wrong during this one: replace the environment.
        if self.trouble.take().is_some() {
            self.broken = true;
        }
        result
    }

    /// Apply the slot's limits (when they changed) and start its measurement; returns the CPU
    /// time it had counted.
    fn start_measurement(
        &mut self,
        slot: usize,
        limits: &spec::Limits,
    ) -> Result<Duration, SandboxError> {
        let wanted = CgroupLimits {
            memory_bytes: limits.memory,
            pids: limits.processes,
            cpu_quota: limits.cpu_quota.clone(),
            cpuset: self.layout.cpus.clone(),
        };
        let slot = &mut self.slots[slot];
        if slot.applied.as_ref() != Some(&wanted) {
            slot.cgroup.limit(&wanted)?;
            slot.applied = Some(wanted);
        }
        if slot.used {
            // A spare that ran before `attach` started this slot's measurement (the first).
            slot.start()?;
        }
        slot.used = true;
        Ok(slot.cpu_base)
    }

    /// Watch the run: the clocks, the spare's acknowledgement, the init's records (a new spare
    /// is moved into its slot on the way). Ends at the program's end.
    fn watch(
        &mut self,
        spare: &Ready,
        limits: &spec::Limits,
        cpu_base: Duration,
        sent: Instant,
        drain: Option<&mut Drain>,
    ) -> Result<wait::Watch, Failure> {
        let clocks = Clocks {
            wall: limits.wall_time,
            cpu: limits.cpu_time,
            oom: limits.memory.is_some(),
            cpus: self.cpus,
        };
        let Env {
            slots,
            sock,
            ready,
            socks,
            init_cgroup,
            init,
            cgroups,
            features,
            next_slot,
            trouble,
            ..
        } = self;
        let (active, other) = match spare.slot {
            0 => {
                let (a, b) = slots.split_at_mut(1);
                (&a[0], &mut b[0])
            }
            _ => {
                let (a, b) = slots.split_at_mut(1);
                (&b[0], &mut a[0])
            }
        };
        let run_cgroup = active.cgroup.as_ref();
        let kill = || {
            let _ = run_cgroup.kill_all();
        };
        let mut supervisor = Supervisor::new(
            clocks,
            Some(run_cgroup),
            Some(cpu_base),
            active.oom_seen,
            Some(sent),
            &kill,
        )
        .drain(drain);
        // The spare's socket is read when the program has ended, or at the acknowledgement's
        // deadline: waking up for its acknowledgement and for its close at execve would cost
        // two wake-ups a run.
        let mut acked = false;
        let spare_said = |supervisor: &mut Supervisor<'_>, acked: &mut bool| {
            read_spare(&spare.sock, &mut supervisor.watch, acked)
        };
        loop {
            let mut timeout = supervisor.tick().map_err(Started)?;
            if !acked {
                let left = (sent + ACK_TIMEOUT).saturating_duration_since(Instant::now());
                if left.is_zero() {
                    spare_said(&mut supervisor, &mut acked).map_err(Started)?;
                    if !acked {
                        // Stopped or gone: nothing of the program ran; it may run elsewhere.
                        let _ = run_cgroup.kill_all();
                        return Err(Unstarted(EnvError::SpareSilent(ACK_TIMEOUT).into()));
                    }
                    continue;
                }
                timeout = timeout.min(left);
            }
            let now = Instant::now();
            let [init_ready, drain_ready] =
                wait::poll_readable(&mut [sock.as_raw_fd(), supervisor.drain_fd()], timeout)
                    .map_err(Started)?;
            if drain_ready {
                supervisor.read_drain().map_err(Started)?;
            }
            if !init_ready {
                if supervisor.overdue(now) {
                    return Err(Started(SandboxError::Unresponsive));
                }
                continue;
            }
            let (record, _) = next_message_on(sock, Duration::ZERO).map_err(|e| {
                if acked {
                    Started(e)
                } else {
                    Unstarted(e)
                }
            })?;
            match record.kind() {
                Some(RecordKind::Spare) => {
                    // The next run's spare: trouble with it spoils the environment for the
                    // next run, not this run's result.
                    let attached = attach(
                        record,
                        AttachTo {
                            init: init.pid(),
                            init_sock: sock,
                            socks,
                            init_cgroup: init_cgroup.as_ref(),
                            cgroups: cgroups.as_ref(),
                            features,
                            slot: other,
                            slot_index: *next_slot,
                        },
                    );
                    *next_slot ^= 1;
                    match attached {
                        Ok(attached) => ready.push_back(attached),
                        Err(e) => *trouble = Some(e),
                    }
                }
                Some(RecordKind::Exited) if record.index == spare.seq => {
                    supervisor.watch.exited = Some(record);
                    supervisor.watch.ended = Some(Instant::now());
                    spare_said(&mut supervisor, &mut acked).map_err(Started)?;
                    if !acked {
                        // Ended before it took its request: the program never ran.
                        return Err(Unstarted(EnvError::SpareDied { seq: spare.seq }.into()));
                    }
                    return supervisor.finish().map_err(Started);
                }
                Some(RecordKind::Exited) => {
                    *trouble = Some(EnvError::SpareDied { seq: record.index }.into());
                }
                Some(RecordKind::Error) => {
                    return Err(Started(
                        EnvError::Init {
                            stage: Stage::from_u32(record.stage).unwrap_or(Stage::Wait),
                            errno: Errno::from_raw(record.errno),
                        }
                        .into(),
                    ))
                }
                _ => return Err(Started(EnvError::Unexpected(record.kind).into())),
            }
        }
    }

    /// The run's result from the watch and the slot's accounting.
    fn account(
        &mut self,
        slot: usize,
        watch: wait::Watch,
        sent: Instant,
        spec: &Spec,
    ) -> Result<RunResult, SandboxError> {
        let slot = &mut self.slots[slot];
        let cgroup = slot.cgroup.as_ref();
        let cpu = cgroup.cpu_usage()?.saturating_sub(watch.init_cpu);
        let peak = cgroup.memory_peak()?;
        let oom_kills = cgroup.oom_kills()?;
        let oom = oom_kills > slot.oom_seen;
        slot.oom_seen = oom_kills;
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
            captured: None,
        })
    }

    /// Read the init's records until its clean-up is reported and a spare is ready, within
    /// `timeout` each; kill what the last run left if the clean-up found processes.
    fn wait_ready(&mut self, timeout: Duration) -> Result<(), SandboxError> {
        while self.cleanings > 0 || self.ready.is_empty() {
            let (record, _) = self.next_message(timeout)?;
            match record.kind() {
                Some(RecordKind::Spare) => {
                    let slot_index = self.next_slot;
                    let attached = attach(
                        record,
                        AttachTo {
                            init: self.init.pid(),
                            init_sock: &self.sock,
                            socks: &mut self.socks,
                            init_cgroup: self.init_cgroup.as_ref(),
                            cgroups: self.cgroups.as_ref(),
                            features: &self.features,
                            slot: &mut self.slots[slot_index],
                            slot_index,
                        },
                    )?;
                    self.next_slot ^= 1;
                    self.ready.push_back(attached);
                }
                Some(RecordKind::Cleaned) if record.stage == 0 => {
                    self.cleanings = self.cleanings.saturating_sub(1)
                }
                // A clean-up that ran while processes the run left were alive: the one after
                // their end (asked for when they were killed) is the one that counts.
                Some(RecordKind::Cleaned) if self.cleanings > 1 => self.cleanings -= 1,
                Some(RecordKind::Cleaned) => match Dirt::from_u32(record.stage) {
                    Some(dirt) => {
                        return Err(EnvError::Dirty {
                            dirt,
                            errno: Errno::from_raw(record.errno),
                        }
                        .into())
                    }
                    None => return Err(EnvError::Unexpected(record.kind).into()),
                },
                Some(RecordKind::Exited) => {
                    return Err(EnvError::SpareDied { seq: record.index }.into())
                }
                Some(RecordKind::Error) => {
                    return Err(EnvError::Init {
                        stage: Stage::from_u32(record.stage).unwrap_or(Stage::Wait),
                        errno: Errno::from_raw(record.errno),
                    }
                    .into())
                }
                _ => return Err(EnvError::Unexpected(record.kind).into()),
            }
        }
        Ok(())
    }

    /// Kill every process the last run left in its slot, wait until they are gone, and ask
    /// the init to clean up again.
    fn kill_leftovers(&mut self) -> Result<(), SandboxError> {
        self.cleanings += 1;
        let slot = self.slots[self.last_slot].cgroup.as_ref();
        slot.kill_all()?;
        let deadline = Instant::now() + LEFTOVER_WAIT;
        while !slot.procs()?.is_empty() {
            if Instant::now() > deadline {
                return Err(EnvError::Leftovers.into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        proto::send(self.sock.as_raw_fd(), &Request::Reset.encode(), &[])
            .map_err(|e| SandboxError::host(HostStep::Send, e))
    }

    fn next_message(&self, timeout: Duration) -> Result<(Record, Option<OwnedFd>), SandboxError> {
        next_message_on(&self.sock, timeout)
    }
}

/// A run the environment could not make: why, and the spec back when the program never
/// started.
pub(crate) type Rejected = (SandboxError, Option<Box<Spec>>);

/// Read what the spare said on its socket (it says nothing more after its execve): its
/// acknowledgement, and the error of a step that failed.
fn read_spare(
    sock: &OwnedFd,
    watch: &mut wait::Watch,
    acked: &mut bool,
) -> Result<(), SandboxError> {
    let mut buf = [0u8; Record::SIZE];
    loop {
        // SAFETY: `buf` is a writable buffer of the given size.
        let n = unsafe {
            libc::recv(
                sock.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n <= 0 {
            // Nothing more, or closed (at execve, or the spare is gone).
            return Ok(());
        }
        if n as usize != Record::SIZE {
            return Err(SandboxError::Protocol(n as usize));
        }
        let record = Record::from_bytes(&buf);
        match record.kind() {
            Some(RecordKind::Started) => *acked = true,
            Some(RecordKind::Error) => {
                watch.error.get_or_insert(record);
            }
            _ => return Err(EnvError::Unexpected(record.kind).into()),
        }
    }
}

/// How a watch failed: before the program started (it may run elsewhere), or after.
enum Failure {
    Unstarted(SandboxError),
    Started(SandboxError),
}
use Failure::{Started, Unstarted};

fn is_file(fd: &OwnedFd) -> bool {
    fd.try_clone()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.is_file())
}

impl Slot {
    fn new(cgroups: &dyn Cgroups, limits: &CgroupLimits) -> Result<Slot, SandboxError> {
        let cgroup = cgroups.create(limits)?;
        Ok(Slot {
            oom_seen: cgroup.oom_kills()?,
            cpu_base: cgroup.cpu_usage()?,
            cgroup,
            applied: Some(limits.clone()),
            used: false,
        })
    }

    /// Start a new measurement: reset the peak (only a kernel that can reset it reuses a slot,
    /// see `attach`) and note the CPU time counted so far.
    fn start(&mut self) -> Result<(), SandboxError> {
        self.cpu_base = self.cgroup.reset()?;
        self.used = false;
        Ok(())
    }
}

/// Where a newly announced spare goes.
struct AttachTo<'a> {
    init: libc::pid_t,
    init_sock: &'a OwnedFd,
    socks: &'a mut VecDeque<OwnedFd>,
    init_cgroup: &'a dyn RunCgroup,
    cgroups: &'a dyn Cgroups,
    features: &'a Features,
    slot: &'a mut Slot,
    slot_index: usize,
}

/// Move the spare a `Spare` record announces into its slot (a fresh cgroup in place of a used
/// one where the kernel cannot reset the peak), and give the init a socket for the one after.
fn attach(record: Record, to: AttachTo<'_>) -> Result<Ready, SandboxError> {
    let seq = record.index;
    let sock = to.socks.pop_front().ok_or(EnvError::SpareMissing { seq })?;
    give_socket(to.init_sock, to.socks)?;
    let pid = find_spare(to.init, to.init_cgroup, record.status)?
        .ok_or(EnvError::SpareMissing { seq })?;
    if to.slot.used && !to.features.peak_reset {
        let limits = to.slot.applied.clone().unwrap_or_default();
        let fresh = Slot::new(to.cgroups, &limits)?;
        let used = std::mem::replace(to.slot, fresh);
        used.cgroup.remove()?;
    }
    to.slot.cgroup.attach(pid)?;
    if to.slot.used {
        to.slot.start()?;
    }
    Ok(Ready {
        sock,
        seq,
        slot: to.slot_index,
    })
}

/// Make a socket pair in the engine's network namespace, keep our end, and send the other to
/// the init for a spare to come.
fn give_socket(init: &OwnedFd, socks: &mut VecDeque<OwnedFd>) -> Result<(), SandboxError> {
    use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| SandboxError::host(HostStep::Socketpair, e))?;
    proto::send(
        init.as_raw_fd(),
        &Request::Sockets.encode(),
        &[theirs.as_raw_fd()],
    )
    .map_err(|e| SandboxError::host(HostStep::Send, e))?;
    socks.push_back(ours);
    Ok(())
}

/// The host pid of the init's child whose pid in the environment is `inner`: a process of the
/// init's cgroup, not the init, whose `NSpid` ends in `inner`.
fn find_spare(
    init: libc::pid_t,
    init_cgroup: &dyn RunCgroup,
    inner: i32,
) -> Result<Option<i32>, SandboxError> {
    for pid in init_cgroup.procs()? {
        if pid == init {
            continue;
        }
        let status = match std::fs::read_to_string(format!("/proc/{pid}/status")) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(SandboxError::host(HostStep::FindSpare, e)),
        };
        let last = status
            .lines()
            .find_map(|l| l.strip_prefix("NSpid:"))
            .and_then(|ids| ids.split_whitespace().last())
            .and_then(|id| id.parse::<i32>().ok());
        if last == Some(inner) {
            return Ok(Some(pid));
        }
    }
    Ok(None)
}

/// The next message from the init on `sock` within `timeout`, with the descriptor it carries.
fn next_message_on(
    sock: &OwnedFd,
    timeout: Duration,
) -> Result<(Record, Option<OwnedFd>), SandboxError> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let [ready] = wait::poll_readable(&mut [sock.as_raw_fd()], left)?;
        if !ready {
            if Instant::now() >= deadline {
                return Err(EnvError::InitSilent(timeout).into());
            }
            continue;
        }
        let mut buf = [0u8; Record::SIZE];
        let (n, mut fds) = match proto::receive(sock.as_raw_fd(), &mut buf) {
            Ok(Some(message)) => message,
            Ok(None) => return Err(EnvError::InitGone.into()),
            Err(e) => return Err(SandboxError::host(HostStep::Receive, e)),
        };
        if n != Record::SIZE {
            return Err(SandboxError::Protocol(n));
        }
        return Ok((Record::from_bytes(&buf), fds.pop()));
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

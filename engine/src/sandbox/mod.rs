//! Run one program isolated: fresh namespaces, an empty root, no privileges, a syscall allowlist.
//!
//! The layering follows the design documents' fork/exec split:
//! - [`spec`]: what to run, validated ([`Command`] → [`Spec`]);
//! - `spawn`: the parent side: prepare everything, clone, write the id maps, release the child;
//! - `child`: the child side after clone, raw system calls only, reporting failures as
//!   `{stage, errno}` records ([`stage`]);
//! - `mount`, `seccomp`, `rlimit`: the plans the parent builds and the child applies;
//! - `wait`: the parent watching the clocks and reaping.
//!
//! ```no_run
//! use judge_engine::sandbox::{Command, Mount, Sandbox, SandboxConfig, system_mounts};
//! let sandbox = Sandbox::new(SandboxConfig::default())?;
//! let mut cmd = Command::new("/usr/bin/echo");
//! cmd.arg("hello").mounts(system_mounts());
//! let result = sandbox.run(cmd)?;
//! assert!(result.success());
//! # Ok::<(), judge_engine::sandbox::SandboxError>(())
//! ```

pub mod bare;
mod caps;
mod capture;
mod child;
pub mod env;
mod error;
mod mount;
mod ptrace;
mod reap;
mod rlimit;
pub mod seccomp;
mod spawn;
pub mod spec;
pub mod stage;
mod sys;
mod wait;

use std::ffi::CString;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cgroup::{CgroupConfig, Cgroups, Detected};
use crate::hostdir::HostDirs;

pub use capture::Captured;
pub use env::{Env, Layout};
pub use error::{EnvError, HostStep, SandboxError};
pub use seccomp::{FilterError, SyscallFilter};
pub use spec::{
    system_mounts, Backend, Command, HookError, Limits, Mount, Network, RootImage, Spec, SpecError,
    Stdio, SyncHook,
};
pub use stage::Stage;

/// Whether this process can run sandboxes (it must be root).
pub fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Engine-wide settings of the sandbox.
///
/// Host ids come in [`SandboxConfig::slots`] sets: set `k` is every host id below plus `2k`
/// (with the defaults, programs run as 60000, 60002, ..., and the namespaces' roots as 60001,
/// 60003, ...). A pool's worker `k` runs as set `k` ([`Sandbox::slot`]), so that runs on two
/// workers never share a host uid: neither can signal, trace or read the other's processes or
/// files, even if they could see them. Every id of every set is checked at start.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The host uid of every sandboxed program: never root, never the engine's own, and no
    /// host account's.
    pub host_uid: u32,
    /// The host gid of every sandboxed program.
    pub host_gid: u32,
    /// The host uid of each sandbox's PID 1 (the namespace's root): another one, so that no
    /// program can signal it, change its limits or reach a spare waiting for the next run.
    pub init_host_uid: u32,
    pub init_host_gid: u32,
    /// The uid the program sees (not 0).
    pub inside_uid: u32,
    /// The gid the program sees (not 0).
    pub inside_gid: u32,
    /// The hostname inside.
    pub hostname: String,
    /// Where run cgroups go; `None` runs without cgroups (rlimits and rusage only).
    pub cgroup: Option<CgroupConfig>,
    /// How many sets of host ids there are (at least 1): a pool has at most this many workers.
    pub slots: u32,
    /// How runs are isolated unless a command says: `None` = namespaces where this process
    /// may create them (probed at start), else the ptrace backend with a warning.
    pub backend: Option<Backend>,
}

impl SandboxConfig {
    /// The settings of set `slot` (see the type's docs): every host id plus `2 * slot`.
    pub fn for_slot(&self, slot: u32) -> SandboxConfig {
        let shift = 2 * slot;
        SandboxConfig {
            host_uid: self.host_uid + shift,
            host_gid: self.host_gid + shift,
            init_host_uid: self.init_host_uid + shift,
            init_host_gid: self.init_host_gid + shift,
            ..self.clone()
        }
    }

    /// The host uids and gids of every set, in that order.
    fn host_ids(&self) -> (Vec<u32>, Vec<u32>) {
        let (mut uids, mut gids) = (Vec::new(), Vec::new());
        for slot in 0..self.slots {
            let c = self.for_slot(slot);
            uids.extend([c.host_uid, c.init_host_uid]);
            gids.extend([c.host_gid, c.init_host_gid]);
        }
        (uids, gids)
    }
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        SandboxConfig {
            host_uid: 60000,
            host_gid: 60000,
            init_host_uid: 60001,
            init_host_gid: 60001,
            inside_uid: 1000,
            inside_gid: 1000,
            hostname: "judge".to_owned(),
            cgroup: Some(CgroupConfig::default()),
            slots: DEFAULT_SLOTS,
            backend: None,
        }
    }
}

/// Sets of host ids by default: 60000 to 60127.
pub const DEFAULT_SLOTS: u32 = 64;

/// At most this many sets (16,384 host ids).
pub const MAX_SLOTS: u32 = 8192;

/// The sandbox: checked host facts and settings, shared by every run. Cheap to share across
/// threads; each [`Sandbox::run`] is independent. [`Sandbox::slot`] gives the same sandbox
/// with another set of host ids.
#[derive(Clone, Debug)]
pub struct Sandbox {
    config: SandboxConfig,
    hostname: CString,
    last_cap: u32,
    /// The engine's supplementary groups, restored on the cloning thread after each clone.
    groups: Vec<libc::gid_t>,
    /// The host's cgroups, when usable.
    cgroups: Option<Arc<dyn Cgroups>>,
    /// What the engine could not set up and what that costs, one sentence each.
    warnings: Vec<String>,
    /// CPUs the engine may use: how fast a run without a cpuset can burn CPU time.
    cpus: u32,
    /// Every host directory a sandbox of this engine sees.
    dirs: HostDirs,
    /// This engine: its cgroup group and its base of host directories carry the id.
    id: crate::lock::EngineId,
    /// Run by an unprivileged user (see [`Sandbox::new`]).
    rootless: bool,
    /// How runs are isolated unless a command says.
    backend: Backend,
}

impl Sandbox {
    /// Check that this host can run sandboxes with these settings.
    ///
    /// Run by an unprivileged user, the sandbox is **rootless** when the kernel lets that user
    /// create user namespaces (probed: a child is cloned into every namespace a run gets): the
    /// one id such a user may map is its own, so programs run as the user on the host (the
    /// config's host ids and sets are not used), the namespace has no root of its own, the
    /// user's supplementary groups stay (an unprivileged user namespace must deny `setgroups`
    /// before its gid map is written), limits cannot exceed the user's hard rlimits, and
    /// environments are not reused. Cgroups work where the user's own cgroup is a delegated
    /// cgroup v2 subtree; elsewhere rlimits and rusage stand in, with a warning.
    pub fn new(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let euid = nix::unistd::geteuid().as_raw();
        if euid != 0 {
            return Sandbox::rootless(config);
        }
        let egid = nix::unistd::getegid().as_raw();
        if config.slots == 0 || config.slots > MAX_SLOTS {
            return Err(SandboxError::Slots(config.slots));
        }
        let top = [
            config.host_uid,
            config.host_gid,
            config.init_host_uid,
            config.init_host_gid,
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        if top
            .checked_add(2 * config.slots)
            .map_or(true, |t| t >= u32::MAX - 1)
        {
            return Err(SandboxError::HostId(top));
        }
        let (uids, gids) = config.host_ids();
        for id in uids.iter().chain(&gids) {
            if *id == 0 || *id == euid || *id == egid {
                return Err(SandboxError::HostId(*id));
            }
        }
        for ids in [&uids, &gids] {
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            if let Some(pair) = sorted.windows(2).find(|p| p[0] == p[1]) {
                return Err(SandboxError::HostId(pair[0]));
            }
        }
        for id in [config.inside_uid, config.inside_gid] {
            if id == 0 {
                return Err(SandboxError::HostId(id));
            }
        }
        check_no_account(&uids, &gids)?;
        let mut warnings = Vec::new();
        let backend = match (config.backend, sys::probe_namespaces(spawn::NAMESPACES)) {
            (Some(Backend::Ptrace), _) => Backend::Ptrace,
            (_, Ok(())) => Backend::Namespaces,
            (Some(Backend::Namespaces), Err(errno)) => {
                return Err(SandboxError::NoNamespaces(errno));
            }
            (None, Err(errno)) => {
                warnings.push(format!(
                    "this host does not let judge create namespaces ({}: a container's \
                     seccomp profile, or a kernel policy), so runs are traced instead (the \
                     ptrace backend): they see the host's filesystem through a path policy, \
                     and its process list, network namespace and hostname; environments are \
                     not reused",
                    errno.desc()
                ));
                Backend::Ptrace
            }
        };
        match std::fs::metadata("/tmp") {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(SandboxError::NoTmp(std::io::Error::from_raw_os_error(
                    libc::ENOTDIR,
                )))
            }
            Err(e) => return Err(SandboxError::NoTmp(e)),
        }
        let (hostname, last_cap) = host_facts(&config)?;
        let groups = nix::unistd::getgroups()
            .map_err(|e| SandboxError::host(HostStep::GetGroups, e))?
            .into_iter()
            .map(|g| g.as_raw())
            .collect();
        let id =
            crate::lock::EngineId::random().map_err(|e| SandboxError::host(HostStep::Random, e))?;
        let dirs = HostDirs::create(&id, (config.host_uid, config.host_gid))?;
        warnings.extend(dirs.warnings().iter().cloned());
        let cgroups = match &config.cgroup {
            None => {
                warnings.push(
                    "cgroups are turned off: CPU time misses unreaped descendants, memory is \
                     rusage's maxrss, and neither memory nor processes are capped by the kernel"
                        .to_owned(),
                );
                None
            }
            Some(cgroup_config) => detect_cgroups(cgroup_config, &id, &mut warnings, ""),
        };
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        Ok(Sandbox {
            config,
            hostname,
            last_cap,
            groups,
            cgroups,
            warnings,
            cpus,
            dirs,
            id,
            rootless: false,
            backend,
        })
    }

    /// [`Sandbox::new`] for an unprivileged user.
    fn rootless(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let (uid, gid) = (
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        );
        if config.inside_uid == 0 || config.inside_gid == 0 {
            return Err(SandboxError::HostId(0));
        }
        if let Err(errno) = sys::probe_namespaces(spawn::NAMESPACES) {
            return Err(SandboxError::NoUserNamespaces(errno));
        }
        let config = SandboxConfig {
            host_uid: uid,
            host_gid: gid,
            init_host_uid: uid,
            init_host_gid: gid,
            slots: 1,
            ..config
        };
        let (hostname, last_cap) = host_facts(&config)?;
        let id =
            crate::lock::EngineId::random().map_err(|e| SandboxError::host(HostStep::Random, e))?;
        let dirs = HostDirs::create_for_user(&id, (uid, gid))?;
        let mut warnings = vec![format!(
            "rootless: programs run as your uid {uid} on the host (one id is all an unprivileged \
             user may map), keep your supplementary groups, get at most your hard rlimits, and \
             environments are not reused"
        )];
        warnings.extend(dirs.warnings().iter().cloned());
        let cgroups = match &config.cgroup {
            None => None,
            Some(cgroup_config) => detect_cgroups(
                cgroup_config,
                &id,
                &mut warnings,
                " Rootless, cgroups need a delegated cgroup v2 subtree: start judge in one \
                 (e.g. `systemd-run --user --scope -p Delegate=yes judge ...`).",
            ),
        };
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        Ok(Sandbox {
            config,
            hostname,
            last_cap,
            groups: Vec::new(),
            cgroups,
            warnings,
            cpus,
            dirs,
            id,
            rootless: true,
            backend: Backend::Namespaces,
        })
    }

    /// Whether the engine runs unprivileged (see [`Sandbox::new`]).
    pub fn is_rootless(&self) -> bool {
        self.rootless
    }

    /// How runs are isolated unless a command says (see [`SandboxConfig::backend`]).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// This engine's id: its cgroups are in `judge-<id>`, its directories in `<tmp>/judge/<id>`.
    pub fn id(&self) -> &crate::lock::EngineId {
        &self.id
    }

    /// The engine's host directories: where every directory a sandbox sees is made.
    pub fn dirs(&self) -> &HostDirs {
        &self.dirs
    }

    /// What the sandbox could not set up on this host and what that costs, one sentence each.
    /// A front end shows them once.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether runs get their own cgroup (exact CPU time and memory, kernel-enforced caps).
    pub fn has_cgroups(&self) -> bool {
        self.cgroups.is_some()
    }

    /// The cgroup hierarchy runs use and what its kernel offers; `None` without cgroups.
    pub fn cgroup_info(&self) -> Option<(crate::cgroup::Layout, crate::cgroup::Features)> {
        self.cgroups.as_ref().map(|c| (c.layout(), c.features()))
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// This sandbox with the host ids of set `slot` (checked at start, see [`SandboxConfig`]):
    /// its programs run as those ids and the directories it makes belong to them. Everything
    /// else (cgroups, directories' base, the engine's id) is shared. `None` past the last set.
    pub fn slot(&self, slot: u32) -> Option<Sandbox> {
        if self.rootless {
            // One id is all there is.
            return Some(self.clone());
        }
        if slot >= self.config.slots {
            return None;
        }
        let config = SandboxConfig {
            slots: 1,
            ..self.config.for_slot(slot)
        };
        Some(Sandbox {
            dirs: self.dirs.owned_by((config.host_uid, config.host_gid)),
            config,
            ..self.clone()
        })
    }

    /// Run `command` to its end.
    pub fn run(&self, command: Command) -> Result<RunResult, SandboxError> {
        let spec = command.validate()?;
        match spec.backend.unwrap_or(self.backend) {
            Backend::Namespaces => spawn::run(self, spec),
            Backend::Ptrace => ptrace::run(self, spec),
        }
    }
}

/// The host's cgroups for engine `id`, with the start-up sweep's and the kernel's warnings;
/// `None` with a warning (followed by `hint`) where they cannot be used.
fn detect_cgroups(
    config: &CgroupConfig,
    id: &crate::lock::EngineId,
    warnings: &mut Vec<String>,
    hint: &str,
) -> Option<Arc<dyn Cgroups>> {
    match crate::cgroup::detect(config, id) {
        Detected::Available(cgroups) => {
            warnings.extend(start_up(cgroups.as_ref()));
            Some(cgroups)
        }
        Detected::Unavailable { warning } => {
            warnings.push(format!("{warning}{hint}"));
            None
        }
    }
}

/// The hostname as a C string, and the highest capability this kernel knows.
fn host_facts(config: &SandboxConfig) -> Result<(CString, u32), SandboxError> {
    let hostname =
        CString::new(config.hostname.clone()).map_err(|_| SpecError::Nul("hostname".to_owned()))?;
    let last_cap = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40);
    Ok((hostname, last_cap))
}

/// What the start-up sweep could not remove, and what the kernel lacks. Returns warnings.
fn start_up(cgroups: &dyn Cgroups) -> Vec<String> {
    let mut warnings = Vec::new();
    for e in &cgroups.sweep().errors {
        warnings.push(format!(
            "could not remove a cgroup of an engine that is gone: {e}"
        ));
    }
    if !cgroups.features().memory_peak {
        warnings.push(
            "this kernel has no memory.peak (it needs Linux 5.19): peak memory falls back to \
             rusage's maxrss, the resident peak of each process"
                .to_owned(),
        );
    }
    warnings
}

/// No host account may own the ids sandboxed processes run as: a run would share its files,
/// and its processes could be signalled by that account's.
fn check_no_account(uids: &[u32], gids: &[u32]) -> Result<(), SandboxError> {
    for &id in uids {
        if let Ok(Some(user)) = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(id)) {
            return Err(SandboxError::HostAccount {
                kind: "uid",
                id,
                name: user.name,
            });
        }
    }
    for &id in gids {
        if let Ok(Some(group)) = nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(id)) {
            return Err(SandboxError::HostAccount {
                kind: "gid",
                id,
                name: group.name,
            });
        }
    }
    Ok(())
}

/// How the program ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// It exited with this code.
    Exited(i32),
    /// A signal killed it.
    Signaled(i32),
}

impl ExitStatus {
    fn from_wait(status: i32) -> ExitStatus {
        if libc::WIFSIGNALED(status) {
            ExitStatus::Signaled(libc::WTERMSIG(status))
        } else {
            ExitStatus::Exited(libc::WEXITSTATUS(status))
        }
    }
}

/// A limit the supervisor enforced by killing the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitHit {
    /// The wall-clock limit.
    WallTime,
    /// The CPU-time limit.
    CpuTime,
    /// The sandbox never finished setting up.
    Setup,
    /// A captured stream carried more than the output limit.
    Output,
}

/// How a program's run ended and what it used.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    pub status: ExitStatus,
    /// User plus system time of the program and every descendant.
    pub cpu_time: Duration,
    /// From the program's fork to its end.
    pub wall_time: Duration,
    /// Peak memory in bytes.
    pub memory: u64,
    /// Set when the supervisor killed the run for a limit.
    pub killed_by: Option<LimitHit>,
    /// The kernel's OOM killer ended a process of the run.
    pub oom_killed: bool,
    /// When the engine learned of the program's end: orders runs made side by side.
    pub ended: Instant,
    /// What the stream given as [`Stdio::Capture`] carried.
    pub captured: Option<Captured>,
}

impl RunResult {
    /// Exited with code 0 and was not killed.
    pub fn success(&self) -> bool {
        self.status == ExitStatus::Exited(0) && self.killed_by.is_none()
    }

    /// Killed by seccomp for a system call not on its allowlist.
    pub fn disallowed_syscall(&self) -> bool {
        self.status == ExitStatus::Signaled(libc::SIGSYS)
    }

    pub fn exit_code(&self) -> Option<i32> {
        match self.status {
            ExitStatus::Exited(code) => Some(code),
            ExitStatus::Signaled(_) => None,
        }
    }

    pub fn signal(&self) -> Option<i32> {
        match self.status {
            ExitStatus::Signaled(sig) => Some(sig),
            ExitStatus::Exited(_) => None,
        }
    }
}

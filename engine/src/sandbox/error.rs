//! The sandbox's engine errors: what went wrong on our side, never the program's fault.
//!
//! Three kinds, kept apart because callers act differently on each:
//! - the input (`Spec`, `Filter`) or the host (`NotRoot`, `HostId`, `HostAccount`, ...) is
//!   wrong: nothing will work until someone changes it;
//! - a step failed, in the child ([`SandboxError::Child`], a `{stage, errno}` record) or in the
//!   parent ([`SandboxError::Host`], a [`HostStep`] with its I/O error);
//! - a reused environment is no longer fit ([`SandboxError::Env`], an [`EnvError`]): the run
//!   never started when [`SandboxError::retriable`] says so, and may be retried on a fresh one.

use std::fmt;
use std::io;
use std::path::PathBuf;

use nix::errno::Errno;

use super::seccomp::FilterError;
use super::spec::SpecError;
use super::stage::{Dirt, Stage};
use crate::cgroup::CgroupError;
use crate::hostdir::HostDirError;

/// Why the sandbox could not run a program. A program that crashes, exceeds a limit or makes a
/// forbidden call is not an error: that is an `Ok(RunResult)`.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("invalid sandbox spec: {0}")]
    Spec(#[from] SpecError),
    #[error("invalid system-call allowlist: {0}")]
    Filter(#[from] FilterError),
    #[error("sandbox cgroup: {0}")]
    Cgroup(#[from] CgroupError),
    #[error("the sandbox needs root: it creates namespaces and maps an unprivileged host uid; run as root")]
    NotRoot,
    #[error("host uid/gid {0} for sandboxed processes must be neither 0 nor the engine's own, each role and each set of ids needs its own, and every set must stay below 4294967294")]
    HostId(u32),
    #[error(
        "this user may not create the sandbox's namespaces ({desc}): run judge as root, or \
         allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 where it \
         exists, user.max_user_namespaces > 0, and no AppArmor or seccomp policy forbidding them)",
        desc = .0.desc()
    )]
    NoUserNamespaces(Errno),
    #[error(
        "the namespaces backend was asked for, but this host does not let judge create \
         namespaces ({desc}): leave the backend to judge (it then traces runs), or run it \
         where namespaces are allowed",
        desc = .0.desc()
    )]
    NoNamespaces(Errno),
    #[error("the sandbox needs between 1 and {max} sets of host ids (one per pool worker); {0} asked for", max = super::MAX_SLOTS)]
    Slots(u32),
    #[error(
        "host {kind} {id} for sandboxed processes belongs to the account {name:?}: a run would \
         share its files and processes; choose ids no account uses"
    )]
    HostAccount {
        kind: &'static str,
        id: u32,
        name: String,
    },
    #[error("the sandbox needs the host directory /tmp as a mount point for its root: {0}")]
    NoTmp(io::Error),
    #[error("sandbox host directories: {0}")]
    HostDir(#[from] HostDirError),
    /// A [`SyncHook`](super::SyncHook) failed the start (the child was killed before exec).
    #[error("the sync hook refused the start: {0}")]
    Hook(super::HookError),
    /// A step in the child failed: `what` is the stage with its detail, e.g. `mount /usr`.
    #[error("sandbox stage {what}: {errno:?} ({desc})", desc = errno.desc())]
    Child {
        stage: Stage,
        what: String,
        errno: Errno,
    },
    /// A step in the parent failed, e.g. writing `/proc/123/uid_map`.
    #[error("sandbox {step}: {source}")]
    Host {
        step: HostStep,
        #[source]
        source: io::Error,
    },
    #[error("sandbox setup did not finish within {0} s; the child was killed")]
    SetupTimeout(u64),
    #[error("sandbox sync channel: unexpected {0}-byte message")]
    Protocol(usize),
    #[error("sandbox init stopped answering")]
    Unresponsive,
    #[error("sandbox environment: {0}")]
    Env(#[from] EnvError),
    #[error("sandbox child died during setup without reporting why (wait status {0:#x})")]
    SilentDeath(i32),
}

/// A step the parent takes, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostStep {
    OpenStdio(u8),
    DupDescriptor,
    Socketpair,
    BlockSignals,
    SetGroups,
    RestoreGroups,
    GetGroups,
    Clone,
    WriteIdMap(PathBuf),
    ReleaseChild,
    Receive,
    Poll,
    Wait(libc::pid_t),
    OpenExe,
    OpenDevNull,
    Random,
    Pipe,
    /// Sending a request to an environment's init or spare.
    Send,
    /// Reading a spare's pid in the environment's cgroup.
    FindSpare,
    /// Reading a captured stream.
    ReadCapture,
    /// A ptrace request of the ptrace backend's tracer.
    Ptrace(&'static str),
    /// Opening a mount's source for a traced program to inherit.
    OpenSource(PathBuf),
    /// Starting the thread that watches a traced run's clocks.
    Watcher,
}

impl fmt::Display for HostStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostStep::OpenStdio(n) => write!(f, "open stdio {n}"),
            HostStep::DupDescriptor => f.write_str("dup descriptor"),
            HostStep::Socketpair => f.write_str("socketpair"),
            HostStep::BlockSignals => f.write_str("block signals"),
            HostStep::SetGroups => f.write_str("setgroups"),
            HostStep::RestoreGroups => f.write_str("restore supplementary groups"),
            HostStep::GetGroups => f.write_str("getgroups"),
            HostStep::Clone => f.write_str("clone3"),
            HostStep::WriteIdMap(path) => write!(f, "write {}", path.display()),
            HostStep::ReleaseChild => f.write_str("release child"),
            HostStep::Receive => f.write_str("receive from the sandbox"),
            HostStep::Poll => f.write_str("poll the sandbox"),
            HostStep::Wait(pid) => write!(f, "wait for {pid}"),
            HostStep::OpenExe => f.write_str("open /proc/self/exe"),
            HostStep::OpenDevNull => f.write_str("open /dev/null"),
            HostStep::Random => f.write_str("read /dev/urandom"),
            HostStep::Pipe => f.write_str("pipe"),
            HostStep::Send => f.write_str("send request"),
            HostStep::FindSpare => f.write_str("find the spare's pid"),
            HostStep::ReadCapture => f.write_str("read a captured stream"),
            HostStep::Ptrace(what) => write!(f, "ptrace {what}"),
            HostStep::OpenSource(path) => write!(f, "open {}", path.display()),
            HostStep::Watcher => f.write_str("start the watcher thread"),
        }
    }
}

/// Why a reused environment cannot serve a run.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("reused environments need cgroups, which this host lacks")]
    NoCgroups,
    #[error("environments need a namespace root of their own, which a rootless sandbox has not")]
    Rootless,
    #[error("environments need namespaces; this sandbox traces its runs instead (ptrace backend)")]
    Ptrace,
    #[error("this environment is broken and must be replaced")]
    Broken,
    #[error("the spare for the next run is gone: {0}")]
    SpareGone(io::Error),
    #[error("the spare did not take its request within {0:?}")]
    SpareSilent(std::time::Duration),
    #[error("spare {seq} ended before its run")]
    SpareDied { seq: u32 },
    #[error("spare {seq} is not among the environment's processes")]
    SpareMissing { seq: u32 },
    #[error("the init's socket closed")]
    InitGone,
    #[error("the init did not answer within {0:?}")]
    InitSilent(std::time::Duration),
    #[error("the clean-up after the last run failed: {} ({errno:?})", dirt.describe())]
    Dirty { dirt: Dirt, errno: Errno },
    #[error("the init failed at {stage}: {errno:?}")]
    Init { stage: Stage, errno: Errno },
    #[error("processes of the last run would not die")]
    Leftovers,
    #[error("the init sent an unexpected record (kind {0})")]
    Unexpected(u32),
}

impl SandboxError {
    pub(crate) fn host(step: HostStep, source: impl Into<io::Error>) -> SandboxError {
        SandboxError::Host {
            step,
            source: source.into(),
        }
    }

    /// The errno of a failed child stage, if that is what this is.
    pub fn child_errno(&self) -> Option<(Stage, Errno)> {
        match self {
            SandboxError::Child { stage, errno, .. } => Some((*stage, *errno)),
            _ => None,
        }
    }

    /// The fault lies with a reused environment (or the cgroups under it), not with the run's
    /// spec or the host: a fresh environment may succeed where this one failed.
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            SandboxError::Env(_)
                | SandboxError::Unresponsive
                | SandboxError::Protocol(_)
                | SandboxError::Cgroup(_)
        )
    }
}

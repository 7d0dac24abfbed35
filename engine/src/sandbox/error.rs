//! The sandbox's engine errors: what went wrong on our side, never the program's fault.

use std::io;

use nix::errno::Errno;

use super::seccomp::FilterError;
use super::spec::SpecError;
use super::stage::Stage;
use crate::cgroup::CgroupError;

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
    #[error("host uid/gid {0} for sandboxed processes must be neither 0 nor the engine's own")]
    HostId(u32),
    #[error("the sandbox needs the host directory /tmp as a mount point for its root: {0}")]
    NoTmp(io::Error),
    /// A step in the child failed: `what` is the stage with its detail, e.g. `mount /usr`.
    #[error("sandbox stage {what}: {errno:?} ({desc})", desc = errno.desc())]
    Child {
        stage: Stage,
        what: String,
        errno: Errno,
    },
    /// A step in the parent failed, e.g. `write /proc/123/uid_map`.
    #[error("sandbox {step}: {source}")]
    Parent {
        step: String,
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
    Env(String),
    #[error("sandbox child died during setup without reporting why (wait status {0:#x})")]
    SilentDeath(i32),
}

impl SandboxError {
    pub(crate) fn parent(step: impl Into<String>, source: impl Into<io::Error>) -> SandboxError {
        SandboxError::Parent {
            step: step.into(),
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
}

//! Control groups: limits and accounting for one sandboxed run, on cgroup v1 or v2 behind one trait.
//!
//! The engine looks at the host once, in [`detect`]: it reads /proc/self/mountinfo and
//! /proc/self/cgroup, picks v1 (also for the hybrid layout whose cgroup2 mount at
//! /sys/fs/cgroup/unified carries none of our controllers) or v2 (when /sys/fs/cgroup itself is
//! cgroup2), settles the parent cgroup (the engine's own unless configured), enables the controllers
//! there on v2 (first moving the engine into a `judge-engine` leaf if it lives in the parent), and
//! proves it can create a child. Every path a run needs is computed then, so a run costs only its
//! own mkdirs, writes and reads:
//! 0. at detection, the engine's group `judge-<engine id>` is made in every hierarchy and locked
//!    for the engine's life; groups of engines that are gone (their lock can be taken) are swept
//!    ([`Cgroups::sweep`]); the kernel's optional files are probed ([`Cgroups::features`]);
//! 1. [`Cgroups::create`]: mkdir `run-<seq>` in the group in every hierarchy, write limits;
//! 2. [`RunCgroup::attach`] the first process, or clone it straight in with
//!    `clone3(CLONE_INTO_CGROUP)` and [`RunCgroup::clone_into_fd`] (v2 only);
//! 3. poll [`RunCgroup::cpu_usage`] while it runs;
//! 4. read [`RunCgroup::memory_peak`] and [`RunCgroup::oom_kills`];
//! 5. [`RunCgroup::remove`]: kill everything left, wait until empty, rmdir everywhere.
//!
//! A run lives in its engine's group, so an engine never touches another live engine's runs, in
//! whatever PID namespace or container either runs (see [`crate::lock`]).

mod control;
mod detect;
mod group;
mod hierarchy;
mod kill;
mod naming;
mod v1;
mod v2;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod real_tests;

use std::io;
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Which kind of cgroup hierarchy the host has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One hierarchy per controller (also the hybrid layout with an empty cgroup2 beside them).
    V1,
    /// The unified hierarchy.
    V2,
}

/// CPU bandwidth: the run may use `quota` of CPU time in every `period` (over all its CPUs).
#[derive(Clone, Debug, PartialEq)]
pub struct CpuQuota {
    pub quota: Duration,
    pub period: Duration,
}

/// What one run may use. `None` means no limit (or every CPU of the parent for `cpuset`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CgroupLimits {
    /// Hard memory limit with swap off: memory+swap gets the same limit on v1 (memsw),
    /// memory.swap.max is 0 on v2.
    pub memory_bytes: Option<u64>,
    /// Maximum number of tasks (processes and threads) alive at once: pids.max.
    pub pids: Option<u64>,
    /// Optional CPU bandwidth limit.
    pub cpu_quota: Option<CpuQuota>,
    /// Optional CPU list such as "0" or "0-1,3": every process of the run is pinned to these CPUs.
    pub cpuset: Option<String>,
}

/// The host's cgroup hierarchy, detected once; call sites never ask v1-or-v2.
pub trait Cgroups: Send + Sync + std::fmt::Debug {
    fn layout(&self) -> Layout;
    /// Create a fresh, uniquely named cgroup for one run in the engine's group, with limits
    /// applied.
    fn create(&self, limits: &CgroupLimits) -> Result<Box<dyn RunCgroup>, CgroupError>;
    /// What detection removed of engines that are gone, and what it could not remove.
    fn sweep(&self) -> &Sweep;
    /// What this kernel offers, as probed at detection.
    fn features(&self) -> Features;
}

/// What the start-up sweep did: the directories of gone engines it removed, and one message
/// per thing it could not remove.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sweep {
    pub removed: Vec<PathBuf>,
    pub errors: Vec<String>,
}

/// The optional kernel features a run may use, each found by probing (never by version).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// A run's peak memory can be read (v1; v2 `memory.peak`, Linux 5.19).
    pub memory_peak: bool,
    /// The peak can be reset for a reused cgroup (v1; v2 by writing `memory.peak`, Linux 6.12).
    /// Without it a reused environment takes a fresh cgroup for every run.
    pub peak_reset: bool,
    /// One write kills every process (v2 `cgroup.kill`, Linux 5.14); else freeze and kill.
    pub kill_file: bool,
    /// Swap can be capped per cgroup (swap accounting).
    pub swap_limit: bool,
    pub cpu_quota: bool,
    pub cpuset: bool,
}

/// The cgroup of one run. Dropping it without [`RunCgroup::remove`] still tries to remove it.
pub trait RunCgroup: Send + std::fmt::Debug {
    fn name(&self) -> &str;
    /// The run's directory in every hierarchy it lives in (one on v2).
    fn paths(&self) -> Vec<PathBuf>;
    /// (Re)apply limits; a `None` field resets that limit to unlimited (all parent CPUs for
    /// `cpuset`). On v1 a CPU quota or cpuset needs a run created with one.
    fn limit(&self, limits: &CgroupLimits) -> Result<(), CgroupError>;
    /// Move the whole thread group of `pid` into the run, in every hierarchy. Call it on a freshly
    /// cloned process before it execs or allocates: v1 memory charged earlier stays outside.
    fn attach(&self, pid: i32) -> Result<(), CgroupError>;
    /// v2 only: an open `O_RDONLY | O_DIRECTORY | O_CLOEXEC` fd of the run's directory, for
    /// `clone3(CLONE_INTO_CGROUP)`; `None` on v1.
    fn clone_into_fd(&self) -> Option<BorrowedFd<'_>>;
    /// The thread group ids in the run now (the union over all hierarchies on v1).
    fn procs(&self) -> Result<Vec<i32>, CgroupError>;
    /// How many tasks (processes and threads, zombies not yet reaped included) the run has now:
    /// `pids.current`, one read.
    fn tasks(&self) -> Result<u64, CgroupError>;
    /// User+system CPU time of every thread and process ever in the run.
    fn cpu_usage(&self) -> Result<Duration, CgroupError>;
    /// Peak memory use; `Ok(None)` when the kernel has no such file (v2 before Linux 5.19).
    fn memory_peak(&self) -> Result<Option<u64>, CgroupError>;
    /// How many processes the kernel's OOM killer killed in the run.
    fn oom_kills(&self) -> Result<u64, CgroupError>;
    /// SIGKILL every process in the run, also ones that keep forking; does not wait for them.
    fn kill_all(&self) -> Result<(), CgroupError>;
    /// Start a new measurement in a cgroup that is reused for another run: the peak read next
    /// counts from now. Returns the CPU time already counted, which cannot be reset everywhere,
    /// to subtract from the next reading. (The OOM-kill count never resets: keep the last one.)
    /// Fails with [`CgroupError::NoPeakReset`] where [`Features::peak_reset`] is false.
    fn reset(&self) -> Result<Duration, CgroupError>;
    /// The `cgroup.procs` file of every hierarchy the run lives in: a process that writes `0`
    /// to each (through descriptors the engine opened) moves itself into the run.
    fn procs_files(&self) -> Vec<PathBuf> {
        self.paths()
            .into_iter()
            .map(|p| p.join("cgroup.procs"))
            .collect()
    }
    /// Kill everything, wait (at most [`REMOVE_WAIT`]) until no process is left, rmdir everywhere.
    fn remove(self: Box<Self>) -> Result<(), CgroupError>;
}

/// How long [`RunCgroup::remove`] waits for killed processes to leave before giving up.
pub const REMOVE_WAIT: Duration = Duration::from_millis(500);

/// Where run cgroups go.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CgroupConfig {
    /// A cgroup path such as `/judge`, taken from the root of every hierarchy (created when
    /// missing). `None` = the engine process's own cgroup.
    pub parent: Option<PathBuf>,
}

/// The outcome of [`detect`].
#[derive(Clone, Debug)]
pub enum Detected {
    Available(Arc<dyn Cgroups>),
    /// One sentence: why, and what the rlimit/rusage fallback loses.
    Unavailable {
        warning: String,
    },
}

/// Look at the host's cgroups once, prepare the parent, and claim engine `id`'s group there.
pub fn detect(config: &CgroupConfig, id: &crate::lock::EngineId) -> Detected {
    match detect::HostFacts::read_system(id.clone())
        .and_then(|facts| detect::detect_host(&facts, config))
    {
        Ok(host) => Detected::Available(host.into_shared()),
        Err(err) => Detected::Unavailable {
            warning: unavailable_warning(&err),
        },
    }
}

fn unavailable_warning(err: &CgroupError) -> String {
    format!(
        "cgroups are unavailable ({err}), so the engine falls back to rlimits and rusage and loses \
         the exact memory peak (rusage's maxrss includes pages inherited from the engine), the CPU \
         time of unreaped descendants, the kernel-enforced memory limit and OOM detection, the \
         process cap that stops fork bombs, and the cgroup-wide kill."
    )
}

/// Everything that can go wrong; every variant about a file names it.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error("cannot {op} {}: {}", path.display(), errno_text(source))]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {value:?} to {}: {}", path.display(), control_text(source))]
    Control {
        path: PathBuf,
        value: String,
        #[source]
        source: cgroups_rs::error::Error,
    },
    #[error("{}: expected {expected}, found {found:?}", path.display())]
    Parse {
        path: PathBuf,
        expected: &'static str,
        found: String,
    },
    #[error("{}: no `{key}` entry", path.display())]
    MissingKey { path: PathBuf, key: &'static str },
    #[error("the {controller} controller is not available in {}", path.display())]
    ControllerMissing {
        controller: &'static str,
        path: PathBuf,
    },
    #[error("/proc/self/mountinfo shows no cgroup hierarchy with the {controller} controller")]
    NotMounted { controller: &'static str },
    #[error(
        "run cgroup {name} was created without the {controller} controller; pass that limit to \
         create()"
    )]
    RunLacksController {
        name: String,
        controller: &'static str,
    },
    #[error("invalid cgroup parent {}: {reason}", parent.display())]
    InvalidParent {
        parent: PathBuf,
        reason: &'static str,
    },
    #[error("{} is mounted read-only", path.display())]
    ReadOnly { path: PathBuf },
    #[error("/proc/self/cgroup has no line for the {hierarchy} hierarchy")]
    NotInProcCgroup { hierarchy: &'static str },
    #[error(
        "the engine's cgroup {own} lies outside {mount_root}, the part of the hierarchy mounted \
         at {}", mount.display()
    )]
    OutsideMount {
        own: String,
        mount_root: String,
        mount: PathBuf,
    },
    #[error(
        "{} holds processes {pids:?} besides the engine, so controllers cannot be enabled in its \
         cgroup.subtree_control (EBUSY); configure an empty parent", path.display()
    )]
    ParentBusy { path: PathBuf, pids: Vec<i32> },
    #[error("invalid {field} limit {value}: {reason}")]
    InvalidLimit {
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("cannot attach pid {pid}: not a process id")]
    InvalidPid { pid: i32 },
    #[error("cannot SIGKILL pid {pid} of {}: {source}", path.display())]
    Kill {
        pid: i32,
        path: PathBuf,
        source: nix::errno::Errno,
    },
    #[error(
        "{}: this kernel cannot reset the peak (Linux 6.12 can); use a fresh cgroup per run",
        path.display()
    )]
    NoPeakReset { path: PathBuf },
    #[error("{} still holds processes {pids:?} after {waited:?}", path.display())]
    StillPopulated {
        path: PathBuf,
        pids: Vec<i32>,
        waited: Duration,
    },
}

impl CgroupError {
    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        CgroupError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// "EACCES: Permission denied" reads better in one-line warnings than "(os error 13)".
fn errno_text(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).to_string(),
        None => err.to_string(),
    }
}

/// The crate's messages repeat the file name and bury the errno in a Debug dump; dig it out.
fn control_text(err: &cgroups_rs::error::Error) -> String {
    match std::error::Error::source(err).and_then(|s| s.downcast_ref::<io::Error>()) {
        Some(io_err) => errno_text(io_err),
        None => err.kind().to_string(),
    }
}

impl CgroupLimits {
    /// Reject what the kernel would reject with a bare EINVAL, with a message that says why.
    fn validate(&self) -> Result<(), CgroupError> {
        if let Some(bytes) = self.memory_bytes {
            if bytes == 0 || i64::try_from(bytes).is_err() {
                return Err(CgroupError::InvalidLimit {
                    field: "memory",
                    value: bytes.to_string(),
                    reason: "must be between 1 byte and i64::MAX bytes",
                });
            }
        }
        if let Some(pids) = self.pids {
            if pids == 0 || i64::try_from(pids).is_err() {
                return Err(CgroupError::InvalidLimit {
                    field: "pids",
                    value: pids.to_string(),
                    reason: "must be between 1 and i64::MAX",
                });
            }
        }
        if let Some(q) = &self.cpu_quota {
            // The kernel's CFS bandwidth bounds: period in [1 ms, 1 s], quota at least 1 ms.
            let value = format!("{:?} per {:?}", q.quota, q.period);
            if q.period < Duration::from_millis(1) || q.period > Duration::from_secs(1) {
                return Err(CgroupError::InvalidLimit {
                    field: "cpu quota",
                    value,
                    reason: "the period must be between 1 ms and 1 s",
                });
            }
            if q.quota < Duration::from_millis(1) || i64::try_from(q.quota.as_micros()).is_err() {
                return Err(CgroupError::InvalidLimit {
                    field: "cpu quota",
                    value,
                    reason: "the quota must be at least 1 ms",
                });
            }
        }
        if let Some(cpus) = &self.cpuset {
            if !is_cpu_list(cpus) {
                return Err(CgroupError::InvalidLimit {
                    field: "cpuset",
                    value: format!("{cpus:?}"),
                    reason: "expected a CPU list such as \"0\" or \"0-1,3\"",
                });
            }
        }
        Ok(())
    }
}

/// "0", "0-3", "0-1,3": comma-separated CPU numbers or `a-b` ranges.
fn is_cpu_list(text: &str) -> bool {
    text.split(',').all(|range| {
        let bounds: Vec<&str> = range.split('-').collect();
        bounds.len() <= 2 && bounds.iter().all(|n| n.parse::<u32>().is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_limits_are_valid() {
        assert!(CgroupLimits::default().validate().is_ok());
    }

    #[test]
    fn zero_memory_is_rejected() {
        let limits = CgroupLimits {
            memory_bytes: Some(0),
            ..Default::default()
        };
        assert!(matches!(
            limits.validate(),
            Err(CgroupError::InvalidLimit {
                field: "memory",
                ..
            })
        ));
    }

    #[test]
    fn memory_beyond_i64_is_rejected() {
        let limits = CgroupLimits {
            memory_bytes: Some(u64::MAX),
            ..Default::default()
        };
        assert!(limits.validate().is_err());
    }

    #[test]
    fn zero_pids_is_rejected() {
        let limits = CgroupLimits {
            pids: Some(0),
            ..Default::default()
        };
        assert!(matches!(
            limits.validate(),
            Err(CgroupError::InvalidLimit { field: "pids", .. })
        ));
    }

    #[test]
    fn cpu_period_outside_kernel_bounds_is_rejected() {
        for period in [Duration::from_micros(999), Duration::from_millis(1001)] {
            let limits = CgroupLimits {
                cpu_quota: Some(CpuQuota {
                    quota: Duration::from_millis(10),
                    period,
                }),
                ..Default::default()
            };
            let err = limits.validate().unwrap_err();
            assert!(err.to_string().contains("period"), "{err}");
        }
    }

    #[test]
    fn cpu_quota_below_one_ms_is_rejected() {
        let limits = CgroupLimits {
            cpu_quota: Some(CpuQuota {
                quota: Duration::from_micros(500),
                period: Duration::from_millis(100),
            }),
            ..Default::default()
        };
        assert!(limits.validate().unwrap_err().to_string().contains("quota"));
    }

    #[test]
    fn cpu_list_syntax_is_checked() {
        for good in ["0", "0-1,3", "2,4-7"] {
            let limits = CgroupLimits {
                cpuset: Some(good.into()),
                ..Default::default()
            };
            assert!(limits.validate().is_ok(), "{good}");
        }
        for bad in ["", "a", "0-", "1,,2", "0 1", "0-1-2"] {
            let limits = CgroupLimits {
                cpuset: Some(bad.into()),
                ..Default::default()
            };
            assert!(limits.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn io_errors_name_the_path_and_errno() {
        let err = CgroupError::io(
            "mkdir",
            Path::new("/sys/fs/cgroup/memory/x"),
            io::Error::from_raw_os_error(libc::EACCES),
        );
        let text = err.to_string();
        assert!(text.contains("/sys/fs/cgroup/memory/x"), "{text}");
        assert!(text.contains("EACCES"), "{text}");
    }

    #[test]
    fn warning_is_one_sentence_naming_reason_and_losses() {
        let err = CgroupError::ReadOnly {
            path: PathBuf::from("/sys/fs/cgroup/memory"),
        };
        let warning = unavailable_warning(&err);
        assert!(warning.contains("/sys/fs/cgroup/memory is mounted read-only"));
        for lost in [
            "memory peak",
            "unreaped descendants",
            "memory limit",
            "OOM",
            "fork bombs",
            "cgroup-wide kill",
        ] {
            assert!(warning.contains(lost), "{lost} missing from {warning}");
        }
        assert_eq!(warning.matches(". ").count(), 0, "{warning}");
        assert!(warning.ends_with('.'));
    }
}

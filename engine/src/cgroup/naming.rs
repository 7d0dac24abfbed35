//! Run cgroup names, and telling a crashed engine's leftovers from a live engine's runs.
//!
//! A name is `judge-<engine pid>-<engine start time>-<sequence>`; the start time is field 22 of
//! /proc/<pid>/stat (clock ticks since boot), which together with the pid identifies one process for
//! the life of the system even when pids are reused. The sequence is global to the process so that
//! two hosts detected in one process (tests do that) never pick the same name. A name is stale when
//! its pid is dead, or alive with another start time.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{control, CgroupError};

const PREFIX: &str = "judge-";

/// Sequence numbers for run names; 0 is never handed out.
static NEXT_SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// One process, for the lifetime of the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Identity {
    pub pid: u32,
    pub start_ticks: u64,
}

impl Identity {
    /// The engine process itself.
    pub fn current() -> Result<Self, CgroupError> {
        let path = std::path::Path::new("/proc/self/stat");
        let stat = control::read(path)?;
        let start_ticks = parse_start_ticks(&stat).ok_or_else(|| CgroupError::Parse {
            path: path.to_path_buf(),
            expected: "a start time in field 22",
            found: stat.trim().to_string(),
        })?;
        Ok(Identity {
            pid: std::process::id(),
            start_ticks,
        })
    }

    /// Whether this exact process still exists (its pid may since belong to another one).
    fn is_alive(self) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid));
        stat.ok().and_then(|s| parse_start_ticks(&s)) == Some(self.start_ticks)
    }
}

/// Field 22 of /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses, so
/// fields are counted from the last ')'.
pub(super) fn parse_start_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // The first field after the command is field 3, so field 22 is the 20th.
    after_comm.split_whitespace().nth(19)?.parse().ok()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RunName {
    pub owner: Identity,
    pub sequence: u64,
}

impl RunName {
    /// A name no other run of this engine process has had.
    pub fn next(owner: Identity) -> Self {
        RunName {
            owner,
            sequence: NEXT_SEQUENCE.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// `None` for anything that is not a run name (such as `judge-engine`).
    pub fn parse(name: &str) -> Option<Self> {
        let mut parts = name.strip_prefix(PREFIX)?.split('-');
        let pid = parts.next()?.parse().ok()?;
        let start_ticks = parts.next()?.parse().ok()?;
        let sequence = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(RunName {
            owner: Identity { pid, start_ticks },
            sequence,
        })
    }

    /// Left behind by an engine that is gone. Runs of `me` are never stale, without a /proc look-up.
    pub fn is_stale(&self, me: Identity) -> bool {
        self.owner != me && !self.owner.is_alive()
    }
}

impl fmt::Display for RunName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}-{}-{}",
            self.owner.pid, self.owner.start_ticks, self.sequence
        )
    }
}

/// The directory entries of a parent cgroup that are stale run cgroups.
pub(super) fn stale_names(
    parent: &std::path::Path,
    me: Identity,
) -> Result<Vec<String>, CgroupError> {
    let entries = std::fs::read_dir(parent).map_err(|e| CgroupError::io("list", parent, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| CgroupError::io("list", parent, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && RunName::parse(&name).is_some_and(|run| run.is_stale(me)) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A pid that certainly belonged to a process that has exited and been reaped.
    pub(crate) fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn start_ticks_are_field_22() {
        let stat = "4242 (a b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 \
                    1000000 100 18446744073709551615";
        assert_eq!(parse_start_ticks(stat), Some(987_654));
    }

    #[test]
    fn start_ticks_of_truncated_stat_is_none() {
        assert_eq!(parse_start_ticks("4242 (sh) S 1 2 3"), None);
        assert_eq!(parse_start_ticks("no parenthesis"), None);
    }

    #[test]
    fn current_identity_matches_proc() {
        let me = Identity::current().unwrap();
        assert_eq!(me.pid, std::process::id());
        assert!(me.start_ticks > 0);
        assert!(me.is_alive());
    }

    #[test]
    fn names_round_trip() {
        let me = Identity {
            pid: 77,
            start_ticks: 123,
        };
        let name = RunName::next(me);
        let text = name.to_string();
        assert!(text.starts_with("judge-77-123-"), "{text}");
        assert_eq!(RunName::parse(&text), Some(name));
    }

    #[test]
    fn names_are_unique_within_the_process() {
        let me = Identity {
            pid: 1,
            start_ticks: 1,
        };
        let a = RunName::next(me).to_string();
        let b = RunName::next(me).to_string();
        assert_ne!(a, b);
    }

    #[test]
    fn other_directories_are_not_run_names() {
        for other in [
            "judge-engine",
            "judge-1-2",
            "judge-1-2-3-4",
            "judge-a-2-3",
            "user.slice",
            "judge--1-2",
        ] {
            assert_eq!(RunName::parse(other), None, "{other}");
        }
    }

    #[test]
    fn own_runs_are_not_stale() {
        let me = Identity::current().unwrap();
        assert!(!RunName::next(me).is_stale(me));
    }

    #[test]
    fn run_of_a_dead_pid_is_stale() {
        let me = Identity::current().unwrap();
        let dead = Identity {
            pid: dead_pid(),
            start_ticks: me.start_ticks,
        };
        assert!(RunName::next(dead).is_stale(me));
    }

    #[test]
    fn run_of_a_reused_pid_is_stale() {
        // Our pid, as seen from another engine process: alive, but with another start time.
        let me = Identity::current().unwrap();
        let earlier = Identity {
            pid: me.pid,
            start_ticks: me.start_ticks - 1,
        };
        let other_engine = Identity {
            pid: 1,
            start_ticks: 0,
        };
        assert!(RunName::next(earlier).is_stale(other_engine));
        assert!(RunName::next(earlier).is_stale(me));
    }

    #[test]
    fn stale_names_lists_only_stale_run_directories() {
        let parent = tempfile::tempdir().unwrap();
        let me = Identity::current().unwrap();
        let dead = Identity {
            pid: dead_pid(),
            start_ticks: 5,
        };
        let stale = RunName::next(dead).to_string();
        let live = RunName::next(me).to_string();
        for dir in [stale.as_str(), live.as_str(), "judge-engine", "other"] {
            std::fs::create_dir(parent.path().join(dir)).unwrap();
        }
        // A regular file with a stale name is no cgroup.
        let file_name = RunName::next(dead).to_string();
        std::fs::write(parent.path().join(&file_name), "").unwrap();
        assert_eq!(stale_names(parent.path(), me).unwrap(), vec![stale]);
    }
}

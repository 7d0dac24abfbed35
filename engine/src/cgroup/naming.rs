//! Names in the engine's part of a hierarchy: `<parent>/judge-<engine id>/run-<sequence>`.
//!
//! Each engine process makes one group per hierarchy, named for its [`EngineId`], and holds a
//! lock on it for its whole life (see [`crate::lock`]); its runs are the group's children. A
//! group whose lock can be taken belongs to an engine that is gone, whatever PID namespace or
//! container it ran in: its runs are killed and removed at the next engine's start. The
//! sequence is global to the process, so two hosts detected in one process (tests do that)
//! never pick the same run name.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::lock::EngineId;

const GROUP_PREFIX: &str = "judge-";
const RUN_PREFIX: &str = "run-";

/// Sequence numbers for run names; 0 is never handed out.
static NEXT_SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// The directory name of an engine's group.
pub(super) fn group_name(id: &EngineId) -> String {
    format!("{GROUP_PREFIX}{id}")
}

/// The engine id a group directory name carries; `None` for anything else (`judge-engine`, a
/// run, another program's cgroup).
pub(super) fn parse_group(name: &str) -> Option<EngineId> {
    EngineId::parse(name.strip_prefix(GROUP_PREFIX)?)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RunName {
    pub sequence: u64,
}

impl RunName {
    /// A name no other run of this process has had.
    pub fn next() -> Self {
        RunName {
            sequence: NEXT_SEQUENCE.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl fmt::Display for RunName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{RUN_PREFIX}{}", self.sequence)
    }
}

/// The child directories of `dir` (the runs of a stale group, whatever their names).
pub(super) fn child_dirs(dir: &std::path::Path) -> Result<Vec<String>, super::CgroupError> {
    let entries = std::fs::read_dir(dir).map_err(|e| super::CgroupError::io("list", dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| super::CgroupError::io("list", dir, e))?;
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if let Ok(name) = entry.file_name().into_string() {
                names.push(name);
            }
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_carry_the_engine_id() {
        let id = EngineId::random().unwrap();
        let name = group_name(&id);
        assert!(name.starts_with("judge-"), "{name}");
        assert_eq!(parse_group(&name), Some(id));
    }

    #[test]
    fn other_directories_are_not_groups() {
        for other in [
            "judge-engine",
            "judge-1-2-3",
            "run-4",
            "user.slice",
            "judge-0123456789abcdef0",
        ] {
            assert_eq!(parse_group(other), None, "{other}");
        }
    }

    #[test]
    fn run_names_are_unique_within_the_process() {
        let a = RunName::next().to_string();
        let b = RunName::next().to_string();
        assert!(a.starts_with("run-"), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn child_dirs_lists_directories_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("run-2")).unwrap();
        std::fs::create_dir(dir.path().join("odd")).unwrap();
        std::fs::write(dir.path().join("cgroup.procs"), "").unwrap();
        assert_eq!(child_dirs(dir.path()).unwrap(), vec!["odd", "run-2"]);
    }
}

//! The engine's group: `<parent>/judge-<engine id>` in every hierarchy, locked for the engine's
//! whole life, holding its runs.
//!
//! At detection, for each parent directory in turn and under a lock on it
//! ([`crate::lock::sweep_and_claim`]): every other engine's group whose lock can be taken is
//! noted as stale, our group is created, prepared (a v1 cpuset gets its parent's CPUs and memory
//! nodes, a v2 group gets the controllers enabled for its children) and locked. The stale groups
//! are then torn down by the layout (`V1Host::sweep`, `V2Host::sweep`): everything in their runs
//! killed, the runs and the groups removed. Dropping the [`Group`] removes our directories when
//! they are empty.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::naming::{group_name, parse_group};
use super::CgroupError;
use crate::lock::{sweep_and_claim, DirLock, EngineId};

/// Our group's directories, locked.
#[derive(Debug)]
pub(super) struct Group {
    locks: Vec<DirLock>,
}

impl Group {
    /// The group's directory under `parent`.
    pub fn dir_under(&self, parent: &Path) -> Option<&Path> {
        self.locks
            .iter()
            .map(|l| l.path())
            .find(|dir| dir.parent() == Some(parent))
    }

    #[cfg(test)]
    pub fn dirs(&self) -> Vec<PathBuf> {
        self.locks.iter().map(|l| l.path().to_path_buf()).collect()
    }

    /// No group: a view on directories someone else owns (a stale group being swept, a test's
    /// fake cgroupfs). Nothing is locked or removed.
    pub fn none() -> Group {
        Group { locks: Vec::new() }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // Runs are removed before their host; a group that still has some stays for the next
        // engine's sweep.
        for lock in self.locks.iter().rev() {
            let _ = std::fs::remove_dir(lock.path());
        }
    }
}

/// Another engine's group that is gone: its directory under each parent where it was found,
/// locked by us until it is removed.
#[derive(Debug)]
pub(super) struct Stale {
    #[cfg_attr(not(test), allow(dead_code))]
    pub id: EngineId,
    pub dirs: Vec<PathBuf>,
    _locks: Vec<DirLock>,
}

/// Claim our group under every one of `parents` (each once), running `prepare(parent, group)`
/// on each new directory; collect the stale groups of engines that are gone.
pub(super) fn claim(
    parents: &[PathBuf],
    id: &EngineId,
    prepare: impl Fn(&Path, &Path) -> Result<(), CgroupError>,
) -> Result<(Group, Vec<Stale>), CgroupError> {
    let mut group = Group { locks: Vec::new() };
    let mut stale: BTreeMap<String, (EngineId, Vec<PathBuf>, Vec<DirLock>)> = BTreeMap::new();
    let mut seen: Vec<&Path> = Vec::new();
    for parent in parents {
        if seen.contains(&parent.as_path()) {
            continue;
        }
        seen.push(parent);
        let dir = parent.join(group_name(id));
        let (lock, swept) = sweep_and_claim(
            parent,
            id,
            parse_group,
            || {
                // A directory of our random id can only have been made for us (a test's fake
                // cgroupfs, whose mkdir makes no control files, prepares it so).
                match std::fs::create_dir(&dir) {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                        return Err(CgroupError::io("mkdir", &dir, e))
                    }
                    _ => {}
                }
                prepare(parent, &dir).inspect_err(|_| {
                    let _ = std::fs::remove_dir(&dir);
                })?;
                Ok(dir.clone())
            },
            CgroupError::io,
        )?;
        group.locks.push(lock);
        for (other, lock) in swept.stale {
            let entry = stale
                .entry(other.to_string())
                .or_insert_with(|| (other, Vec::new(), Vec::new()));
            entry.1.push(lock.path().to_path_buf());
            entry.2.push(lock);
        }
    }
    let stale = stale
        .into_values()
        .map(|(id, dirs, locks)| Stale {
            id,
            dirs,
            _locks: locks,
        })
        .collect();
    Ok((group, stale))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::lock_dir;

    #[test]
    fn claim_makes_and_locks_one_group_per_parent_and_finds_the_gone() {
        let root = tempfile::tempdir().unwrap();
        let parents: Vec<PathBuf> = ["memory", "pids"]
            .iter()
            .map(|h| {
                let dir = root.path().join(h);
                std::fs::create_dir(&dir).unwrap();
                dir
            })
            .collect();
        let gone = EngineId::random().unwrap();
        let alive = EngineId::random().unwrap();
        for parent in &parents {
            std::fs::create_dir(parent.join(group_name(&gone))).unwrap();
            std::fs::create_dir(parent.join(group_name(&alive))).unwrap();
        }
        let _alive = lock_dir(&parents[0].join(group_name(&alive)), false)
            .unwrap()
            .unwrap();
        let me = EngineId::random().unwrap();
        // Twice the same parent (co-mounted hierarchies) makes one group.
        let listed = [parents.clone(), vec![parents[0].clone()]].concat();
        let (group, stale) = claim(&listed, &me, |_, _| Ok(())).unwrap();
        assert_eq!(group.dirs().len(), 2);
        for parent in &parents {
            let ours = group.dir_under(parent).unwrap();
            assert!(lock_dir(ours, false).unwrap().is_none(), "not locked");
        }
        assert_eq!(stale.len(), 2, "{stale:?}");
        let gone_entry = stale.iter().find(|s| s.id == gone).unwrap();
        assert_eq!(gone_entry.dirs.len(), 2);
        // `alive` is locked in memory only: in pids its group looks gone, which is what a
        // crash between two mkdirs leaves; it is swept there alone.
        let half = stale.iter().find(|s| s.id == alive).unwrap();
        assert_eq!(half.dirs, vec![parents[1].join(group_name(&alive))]);
        let dirs = group.dirs();
        drop(group);
        assert!(
            dirs.iter().all(|d| !d.exists()),
            "group not removed on drop"
        );
    }

    #[test]
    fn a_failed_prepare_leaves_no_directory() {
        let parent = tempfile::tempdir().unwrap();
        let me = EngineId::random().unwrap();
        let err = claim(&[parent.path().to_path_buf()], &me, |_, dir| {
            Err(CgroupError::ReadOnly {
                path: dir.to_path_buf(),
            })
        })
        .unwrap_err();
        assert!(matches!(err, CgroupError::ReadOnly { .. }));
        assert!(!parent.path().join(group_name(&me)).exists());
    }
}

//! The controllers we use, and cgroups-rs's `Hierarchy` trait over roots we detected ourselves.
//!
//! Why this split between cgroups-rs and direct file access: the crate's own hierarchies cannot be
//! pointed anywhere (its V2 root is hard-wired to /sys/fs/cgroup, its V1 re-reads
//! /proc/self/mountinfo on every construction and only knows mount points, not the engine's own
//! cgroup inside each hierarchy). So [`Tree`] implements the crate's public `Hierarchy` with one
//! precomputed parent directory per controller; `Cgroup::load(tree, name)` then gives typed
//! controllers rooted at `<parent>/<name>`, and we use them for writing limits, freezing, attaching
//! by tgid (`cgroup.procs`, never `tasks`/`cgroup.threads`) and `cgroup.kill`. We do not use the
//! crate's `Cgroup::create`/`delete` (v1 create swallows mkdir errors; v2 create enables every
//! controller listed in /sys/fs/cgroup on every level) nor its readers (see `control`).

use std::path::{Path, PathBuf};

use cgroups_rs::cpu::CpuController;
use cgroups_rs::cpuacct::CpuAcctController;
use cgroups_rs::cpuset::CpuSetController;
use cgroups_rs::freezer::FreezerController;
use cgroups_rs::memory::MemController;
use cgroups_rs::pid::PidController;
use cgroups_rs::{Cgroup, Hierarchy, Subsystem};

/// A controller the engine uses. On v2, `CpuAcct` and `Freezer` are core files, not controllers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Ctl {
    Memory,
    CpuAcct,
    Pids,
    Freezer,
    Cpu,
    Cpuset,
}

impl Ctl {
    pub const ALL: [Ctl; 6] = [
        Ctl::Memory,
        Ctl::CpuAcct,
        Ctl::Pids,
        Ctl::Freezer,
        Ctl::Cpu,
        Ctl::Cpuset,
    ];

    /// The controller's name in mount options, /proc/self/cgroup and cgroup.controllers.
    pub fn name(self) -> &'static str {
        match self {
            Ctl::Memory => "memory",
            Ctl::CpuAcct => "cpuacct",
            Ctl::Pids => "pids",
            Ctl::Freezer => "freezer",
            Ctl::Cpu => "cpu",
            Ctl::Cpuset => "cpuset",
        }
    }

    fn subsystem(self, root: PathBuf, v2: bool) -> Subsystem {
        match self {
            Ctl::Memory => Subsystem::Mem(MemController::new(root, v2)),
            Ctl::CpuAcct => Subsystem::CpuAcct(CpuAcctController::new(root)),
            Ctl::Pids => Subsystem::Pid(PidController::new(root, v2)),
            Ctl::Freezer => Subsystem::Freezer(FreezerController::new(root, v2)),
            Ctl::Cpu => Subsystem::Cpu(CpuController::new(root, v2)),
            Ctl::Cpuset => Subsystem::CpuSet(CpuSetController::new(root, v2)),
        }
    }
}

/// A hierarchy whose root, per controller, is the parent directory runs are created in.
#[derive(Clone, Debug)]
pub(super) struct Tree {
    v2: bool,
    parents: Vec<(Ctl, PathBuf)>,
}

impl Tree {
    /// `parents` lists the controllers a run uses; on v2 every entry has the same directory.
    pub fn new(v2: bool, parents: Vec<(Ctl, PathBuf)>) -> Self {
        Tree { v2, parents }
    }

    /// Typed controllers for the child `name` (which need not exist yet).
    pub fn load(&self, name: &str) -> Cgroup {
        Cgroup::load(Box::new(self.clone()), name)
    }
}

impl Hierarchy for Tree {
    fn subsystems(&self) -> Vec<Subsystem> {
        self.parents
            .iter()
            .map(|(ctl, dir)| ctl.subsystem(dir.clone(), self.v2))
            .collect()
    }

    /// The crate joins a run's name to this for v2's `cgroup.kill`; on v1 it is not used.
    fn root(&self) -> PathBuf {
        self.parents
            .first()
            .map(|(_, dir)| dir.clone())
            .unwrap_or_default()
    }

    fn root_control_group(&self) -> Cgroup {
        Cgroup::load(Box::new(self.clone()), "")
    }

    fn parent_control_group(&self, path: &str) -> Cgroup {
        let parent = Path::new(path).parent().unwrap_or(Path::new(""));
        Cgroup::load(Box::new(self.clone()), parent)
    }

    fn v2(&self) -> bool {
        self.v2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loaded_controllers_live_under_each_parent() {
        let tree = Tree::new(
            false,
            vec![
                (Ctl::Memory, PathBuf::from("/cg/memory/engine")),
                (Ctl::Pids, PathBuf::from("/cg/pids")),
            ],
        );
        let cg = tree.load("judge-1-2-3");
        let paths: Vec<&Path> = cg
            .subsystems()
            .iter()
            .map(|s| s.to_controller().path())
            .collect();
        assert_eq!(
            paths,
            [
                Path::new("/cg/memory/engine/judge-1-2-3"),
                Path::new("/cg/pids/judge-1-2-3")
            ]
        );
        assert!(cg.controller_of::<MemController>().is_some());
        assert!(cg.controller_of::<FreezerController>().is_none());
    }

    #[test]
    fn v2_root_is_the_parent_directory() {
        let tree = Tree::new(true, vec![(Ctl::Memory, PathBuf::from("/cg/svc"))]);
        assert_eq!(tree.root(), PathBuf::from("/cg/svc"));
        assert!(tree.v2());
    }
}

//! cgroup v1: a run is one directory in each controller's hierarchy.
//!
//! Per run: mkdir `<parent>/<name>` under memory, cpuacct, pids and freezer (plus cpu and cpuset
//! when the limits ask for them); give a cpuset directory its parent's `cpuset.cpus` and
//! `cpuset.mems` (v1 refuses tasks in a cpuset without them); write the limits (memory before
//! memory+swap, see [`memory_order`]); attach by tgid in every hierarchy. The freezer is what makes
//! the final kill complete: frozen tasks cannot fork (see `kill`).

use std::collections::BTreeMap;
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cgroups_rs::cpu::CpuController;
use cgroups_rs::cpuset::CpuSetController;
use cgroups_rs::freezer::FreezerController;
use cgroups_rs::memory::MemController;
use cgroups_rs::pid::PidController;
use cgroups_rs::{Cgroup, CgroupPid, Controller, MaxValue};

use super::group::{Group, Stale};
use super::hierarchy::{Ctl, Tree};
use super::kill::{self, Freeze, NoFreezer};
use super::naming::{self, RunName};
use super::{
    control, CgroupError, CgroupLimits, Cgroups, Features, Layout, RunCgroup, Sweep, REMOVE_WAIT,
};

/// Controllers every run gets; without any of them the engine loses a guarantee it advertises.
pub(super) const REQUIRED: [Ctl; 4] = [Ctl::Memory, Ctl::CpuAcct, Ctl::Pids, Ctl::Freezer];

/// The v1 hierarchies with the parent directory of runs in each (the engine's group), fixed at
/// detection.
#[derive(Debug)]
pub(super) struct V1Host {
    parents: BTreeMap<Ctl, PathBuf>,
    /// Whether memory+swap files exist. They need swap accounting (CONFIG_MEMCG_SWAP, not
    /// `swapaccount=0`); without it the kernel cannot cap swap per cgroup, and the memory limit is
    /// set alone.
    memsw: bool,
    sweep: Sweep,
    /// Dropped last: removes the group's directories once the runs are gone.
    _group: Group,
}

impl V1Host {
    /// `parents` (the group's directory per controller) must hold every [`REQUIRED`] controller.
    pub(super) fn new(parents: BTreeMap<Ctl, PathBuf>, group: Group) -> Self {
        let memsw = parents
            .get(&Ctl::Memory)
            .is_some_and(|dir| dir.join("memory.memsw.limit_in_bytes").exists());
        V1Host {
            parents,
            memsw,
            sweep: Sweep::default(),
            _group: group,
        }
    }

    /// Tear down the groups of engines that are gone: kill and remove every run in them, then
    /// the groups themselves. What fails is kept as a warning.
    pub(super) fn sweep_gone(&mut self, stale: Vec<Stale>) {
        for group in stale {
            // Their directories, per controller of ours, where they exist.
            let parents: BTreeMap<Ctl, PathBuf> = self
                .parents
                .iter()
                .filter_map(|(ctl, ours)| {
                    let parent = ours.parent()?;
                    let dir = group.dirs.iter().find(|d| d.parent() == Some(parent))?;
                    Some((*ctl, dir.clone()))
                })
                .collect();
            let view = V1Host {
                parents,
                memsw: self.memsw,
                sweep: Sweep::default(),
                _group: Group::none(),
            };
            let mut runs: BTreeMap<String, Vec<Ctl>> = BTreeMap::new();
            for (ctl, dir) in &view.parents {
                match naming::child_dirs(dir) {
                    Ok(names) => {
                        for name in names {
                            runs.entry(name).or_default().push(*ctl);
                        }
                    }
                    Err(e) => self.sweep.errors.push(e.to_string()),
                }
            }
            for (name, ctls) in runs {
                let mut run = view.handle(&name, &ctls);
                match run.teardown() {
                    Ok(()) => self.sweep.removed.extend(run.unique.iter().cloned()),
                    Err(e) => self.sweep.errors.push(e.to_string()),
                }
            }
            for dir in &group.dirs {
                match std::fs::remove_dir(dir) {
                    Ok(()) => self.sweep.removed.push(dir.clone()),
                    Err(e) => self
                        .sweep
                        .errors
                        .push(CgroupError::io("rmdir", dir, e).to_string()),
                }
            }
        }
    }

    /// The parent directories a probe must be able to create children in.
    pub(super) fn required_parents(&self) -> Vec<PathBuf> {
        kill::unique_dirs(REQUIRED.iter().filter_map(|c| self.parents.get(c).cloned()))
    }

    fn controllers_for(&self, limits: &CgroupLimits) -> Result<Vec<Ctl>, CgroupError> {
        let mut ctls = REQUIRED.to_vec();
        if limits.cpu_quota.is_some() {
            ctls.push(Ctl::Cpu);
        }
        if limits.cpuset.is_some() {
            ctls.push(Ctl::Cpuset);
        }
        match ctls.iter().find(|c| !self.parents.contains_key(c)) {
            Some(missing) => Err(CgroupError::NotMounted {
                controller: missing.name(),
            }),
            None => Ok(ctls),
        }
    }

    /// A handle on `<parent>/<name>` in the hierarchies of `ctls`; touches no file.
    fn handle(&self, name: &str, ctls: &[Ctl]) -> V1Run {
        let parents: Vec<(Ctl, PathBuf)> = ctls
            .iter()
            .map(|ctl| (*ctl, self.parents[ctl].clone()))
            .collect();
        let dirs: Vec<(Ctl, PathBuf)> = parents
            .iter()
            .map(|(ctl, parent)| (*ctl, parent.join(name)))
            .collect();
        V1Run {
            name: name.to_string(),
            cg: Tree::new(false, parents).load(name),
            unique: kill::unique_dirs(dirs.iter().map(|(_, d)| d.clone())),
            dirs,
            cpuset_parent: ctls
                .contains(&Ctl::Cpuset)
                .then(|| self.parents[&Ctl::Cpuset].clone()),
            memsw: self.memsw,
            removed: false,
            hot: control::Cache::default(),
        }
    }

    /// mkdir the run in every hierarchy of `ctls`, cpuset seeded from its parent; no limits yet.
    pub(super) fn make_run(&self, name: &str, ctls: &[Ctl]) -> Result<V1Run, CgroupError> {
        let mut run = self.handle(name, ctls);
        for (i, dir) in run.unique.iter().enumerate() {
            if let Err(e) = std::fs::create_dir(dir) {
                for made in run.unique[..i].iter().rev() {
                    let _ = std::fs::remove_dir(made);
                }
                run.removed = true;
                return Err(CgroupError::io("mkdir", dir, e));
            }
        }
        if let (Some(parent), Some(dir)) = (&run.cpuset_parent, run.dir(Ctl::Cpuset)) {
            copy_cpuset(parent, dir, true)?;
        }
        Ok(run)
    }
}

impl Cgroups for V1Host {
    fn layout(&self) -> Layout {
        Layout::V1
    }

    fn create(&self, limits: &CgroupLimits) -> Result<Box<dyn RunCgroup>, CgroupError> {
        limits.validate()?;
        let ctls = self.controllers_for(limits)?;
        let run = self.make_run(&RunName::next().to_string(), &ctls)?;
        // On error the run is dropped, which removes its directories.
        run.apply(limits, true)?;
        Ok(Box::new(run))
    }

    fn sweep(&self) -> &Sweep {
        &self.sweep
    }

    fn features(&self) -> Features {
        Features {
            memory_peak: true,
            peak_reset: true,
            kill_file: false,
            swap_limit: self.memsw,
            cpu_quota: self.parents.contains_key(&Ctl::Cpu),
            cpuset: self.parents.contains_key(&Ctl::Cpuset),
        }
    }
}

/// Copy `cpuset.mems`, and `cpuset.cpus` when `cpus`, from `parent` into `dir`.
pub(super) fn copy_cpuset(parent: &Path, dir: &Path, cpus: bool) -> Result<(), CgroupError> {
    let ctl = CpuSetController::new(dir.to_path_buf(), false);
    let mems = control::read(&parent.join("cpuset.mems"))?;
    let mems = mems.trim();
    ctl.set_mems(mems)
        .map_err(control::crate_error(dir, "cpuset.mems", mems))?;
    if cpus {
        let list = control::read(&parent.join("cpuset.cpus"))?;
        let list = list.trim();
        ctl.set_cpus(list)
            .map_err(control::crate_error(dir, "cpuset.cpus", list))?;
    }
    Ok(())
}

/// A v1 memory limit file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MemFile {
    /// memory.limit_in_bytes
    Limit,
    /// memory.memsw.limit_in_bytes
    MemSw,
}

/// The kernel keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every write, so
/// lowering (and any first limit on a fresh cgroup, whose memsw is unlimited) writes the memory
/// limit first, while raising above the current memsw writes memsw first. `None` = unlimited.
pub(super) fn memory_order(target: Option<u64>, current_memsw: u64) -> [MemFile; 2] {
    let raising = match target {
        None => true,
        Some(bytes) => bytes > current_memsw,
    };
    if raising {
        [MemFile::MemSw, MemFile::Limit]
    } else {
        [MemFile::Limit, MemFile::MemSw]
    }
}

/// One run's directories in the v1 hierarchies.
#[derive(Debug)]
pub(super) struct V1Run {
    name: String,
    cg: Cgroup,
    dirs: Vec<(Ctl, PathBuf)>,
    /// `dirs` without repeats (cpu and cpuacct may be one co-mounted hierarchy).
    unique: Vec<PathBuf>,
    cpuset_parent: Option<PathBuf>,
    memsw: bool,
    removed: bool,
    hot: control::Cache,
}

impl V1Run {
    fn dir(&self, ctl: Ctl) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|(c, _)| *c == ctl)
            .map(|(_, d)| d.as_path())
    }

    fn required_dir(&self, ctl: Ctl) -> Result<&Path, CgroupError> {
        self.dir(ctl)
            .ok_or_else(|| CgroupError::RunLacksController {
                name: self.name.clone(),
                controller: ctl.name(),
            })
    }

    fn controller<'a, T>(&'a self, ctl: Ctl) -> Result<(&'a T, &'a Path), CgroupError>
    where
        &'a T: From<&'a cgroups_rs::Subsystem>,
        T: Controller + cgroups_rs::ControllIdentifier,
    {
        let dir = self.required_dir(ctl)?;
        let controller =
            self.cg
                .controller_of::<T>()
                .ok_or_else(|| CgroupError::RunLacksController {
                    name: self.name.clone(),
                    controller: ctl.name(),
                })?;
        Ok((controller, dir))
    }

    /// Write `limits`. On a `fresh` cgroup everything is at its default, so `None` needs no write
    /// and memsw is known to be unlimited.
    pub(super) fn apply(&self, limits: &CgroupLimits, fresh: bool) -> Result<(), CgroupError> {
        if limits.memory_bytes.is_some() || !fresh {
            self.apply_memory(limits.memory_bytes, fresh)?;
        }
        if limits.pids.is_some() || !fresh {
            let (pids, dir) = self.controller::<PidController>(Ctl::Pids)?;
            // Validated to fit in i64.
            let max = limits
                .pids
                .map_or(MaxValue::Max, |n| MaxValue::Value(n as i64));
            pids.set_pid_max(max)
                .map_err(control::crate_error(dir, "pids.max", max))?;
        }
        match &limits.cpu_quota {
            Some(q) => {
                let (cpu, dir) = self.controller::<CpuController>(Ctl::Cpu)?;
                let period = q.period.as_micros() as u64;
                let quota = q.quota.as_micros() as i64;
                cpu.set_cfs_period(period).map_err(control::crate_error(
                    dir,
                    "cpu.cfs_period_us",
                    period,
                ))?;
                cpu.set_cfs_quota(quota).map_err(control::crate_error(
                    dir,
                    "cpu.cfs_quota_us",
                    quota,
                ))?;
            }
            None if !fresh && self.dir(Ctl::Cpu).is_some() => {
                let (cpu, dir) = self.controller::<CpuController>(Ctl::Cpu)?;
                cpu.set_cfs_quota(-1)
                    .map_err(control::crate_error(dir, "cpu.cfs_quota_us", -1))?;
            }
            None => {}
        }
        match (&limits.cpuset, &self.cpuset_parent) {
            (Some(cpus), _) => {
                let (cpuset, dir) = self.controller::<CpuSetController>(Ctl::Cpuset)?;
                cpuset
                    .set_cpus(cpus)
                    .map_err(control::crate_error(dir, "cpuset.cpus", cpus))?;
            }
            (None, Some(parent)) if !fresh => {
                copy_cpuset(parent, self.required_dir(Ctl::Cpuset)?, true)?;
            }
            (None, _) => {}
        }
        Ok(())
    }

    fn apply_memory(&self, bytes: Option<u64>, fresh: bool) -> Result<(), CgroupError> {
        let (mem, dir) = self.controller::<MemController>(Ctl::Memory)?;
        // Validated to fit in i64; -1 is v1's "unlimited".
        let target = bytes.map_or(-1, |b| b as i64);
        if !self.memsw {
            return mem.set_limit(target).map_err(control::crate_error(
                dir,
                "memory.limit_in_bytes",
                target,
            ));
        }
        let current_memsw = if fresh {
            u64::MAX
        } else {
            let path = dir.join("memory.memsw.limit_in_bytes");
            control::parse_u64(&path, &control::read(&path)?)?
        };
        for file in memory_order(bytes, current_memsw) {
            match file {
                MemFile::Limit => mem.set_limit(target).map_err(control::crate_error(
                    dir,
                    "memory.limit_in_bytes",
                    target,
                ))?,
                MemFile::MemSw => mem.set_memswap_limit(target).map_err(control::crate_error(
                    dir,
                    "memory.memsw.limit_in_bytes",
                    target,
                ))?,
            }
        }
        Ok(())
    }

    fn unique_refs(&self) -> Vec<&Path> {
        self.unique.iter().map(PathBuf::as_path).collect()
    }

    /// Kill, wait, rmdir; tried once (a failure is reported, not retried on drop).
    fn teardown(&mut self) -> Result<(), CgroupError> {
        self.removed = true;
        self.hot = control::Cache::default();
        let killed = self.kill_all();
        let removed = kill::wait_and_rmdir(&self.unique_refs(), REMOVE_WAIT);
        killed.and(removed)
    }
}

/// v1's freezer: `freezer.state` is FREEZING until every task is frozen, then FROZEN.
struct V1Freezer<'a> {
    ctl: &'a FreezerController,
    dir: &'a Path,
}

impl Freeze for V1Freezer<'_> {
    fn freeze(&self) -> Result<(), CgroupError> {
        self.ctl
            .freeze()
            .map_err(control::crate_error(self.dir, "freezer.state", "FROZEN"))
    }

    fn is_frozen(&self) -> Result<bool, CgroupError> {
        let state = control::read(&self.dir.join("freezer.state"))?;
        Ok(state.trim() == "FROZEN")
    }

    fn thaw(&self) -> Result<(), CgroupError> {
        self.ctl
            .thaw()
            .map_err(control::crate_error(self.dir, "freezer.state", "THAWED"))
    }
}

impl RunCgroup for V1Run {
    fn name(&self) -> &str {
        &self.name
    }

    fn paths(&self) -> Vec<PathBuf> {
        self.unique.clone()
    }

    fn limit(&self, limits: &CgroupLimits) -> Result<(), CgroupError> {
        limits.validate()?;
        self.apply(limits, false)
    }

    fn attach(&self, pid: i32) -> Result<(), CgroupError> {
        if pid <= 0 {
            return Err(CgroupError::InvalidPid { pid });
        }
        let tgid = CgroupPid::from(pid as u64);
        let mut done: Vec<&Path> = Vec::new();
        for sub in self.cg.subsystems() {
            let ctl = sub.to_controller();
            if done.contains(&ctl.path()) {
                continue;
            }
            ctl.add_task_by_tgid(&tgid).map_err(control::crate_error(
                ctl.path(),
                "cgroup.procs",
                pid,
            ))?;
            done.push(ctl.path());
        }
        Ok(())
    }

    fn clone_into_fd(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    fn procs(&self) -> Result<Vec<i32>, CgroupError> {
        control::read_procs_union(self.unique_refs())
    }

    fn tasks(&self) -> Result<u64, CgroupError> {
        let path = self.required_dir(Ctl::Pids)?.join("pids.current");
        control::parse_u64(&path, &self.hot.read(&path)?)
    }

    fn cpu_usage(&self) -> Result<Duration, CgroupError> {
        let path = self.required_dir(Ctl::CpuAcct)?.join("cpuacct.usage");
        let nanos = control::parse_u64(&path, &self.hot.read(&path)?)?;
        Ok(Duration::from_nanos(nanos))
    }

    fn memory_peak(&self) -> Result<Option<u64>, CgroupError> {
        let path = self
            .required_dir(Ctl::Memory)?
            .join("memory.max_usage_in_bytes");
        if !path.exists() {
            return Ok(None);
        }
        control::parse_u64(&path, &self.hot.read(&path)?).map(Some)
    }

    fn oom_kills(&self) -> Result<u64, CgroupError> {
        let path = self.required_dir(Ctl::Memory)?.join("memory.oom_control");
        control::keyed_u64(&path, &self.hot.read(&path)?, "oom_kill")
    }

    fn kill_all(&self) -> Result<(), CgroupError> {
        let dirs = self.unique_refs();
        match self.controller::<FreezerController>(Ctl::Freezer) {
            Ok((ctl, dir)) => kill::freeze_and_kill(&V1Freezer { ctl, dir }, &dirs),
            // Only a leftover of a crash during creation lacks its freezer directory.
            Err(_) => kill::freeze_and_kill(&NoFreezer, &dirs),
        }
    }

    fn reset(&self) -> Result<Duration, CgroupError> {
        // v1 resets both counters when 0 is written: the peak to the current usage.
        let memory = self.required_dir(Ctl::Memory)?;
        self.hot
            .write(&memory.join("memory.max_usage_in_bytes"), "0")?;
        self.hot
            .write(&self.required_dir(Ctl::CpuAcct)?.join("cpuacct.usage"), "0")?;
        Ok(Duration::ZERO)
    }

    fn remove(mut self: Box<Self>) -> Result<(), CgroupError> {
        self.teardown()
    }
}

impl Drop for V1Run {
    fn drop(&mut self) {
        if !self.removed {
            let _ = self.teardown();
        }
    }
}

#[cfg(test)]
#[path = "v1_tests.rs"]
mod tests;

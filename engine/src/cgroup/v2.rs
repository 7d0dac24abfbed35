//! cgroup v2: a run is one directory of the unified hierarchy.
//!
//! At detection ([`V2Host::prepare`]): check that memory and pids reach the parent
//! (`cgroup.controllers`), and enable memory, pids, cpu and cpuset (as available) in its
//! `cgroup.subtree_control`. A non-root cgroup with processes cannot do that (the
//! no-internal-processes rule), so when the engine itself lives in the parent it first moves into a
//! `judge-engine` leaf beside the runs. Per run: mkdir, open the directory (for CLONE_INTO_CGROUP),
//! write limits, attach by tgid. Killing uses `cgroup.kill` (Linux 5.14) or the v2 freezer.

use std::fs::OpenOptions;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cgroups_rs::cpu::CpuController;
use cgroups_rs::cpuset::CpuSetController;
use cgroups_rs::error::ErrorKind;
use cgroups_rs::freezer::FreezerController;
use cgroups_rs::memory::MemController;
use cgroups_rs::pid::PidController;
use cgroups_rs::{Cgroup, CgroupPid, Controller, MaxValue};

use super::group::{self, Group, Stale};
use super::hierarchy::{Ctl, Tree};
use super::kill::{self, Freeze};
use super::naming::{self, RunName};
use super::{
    control, CgroupError, CgroupLimits, Cgroups, Features, Layout, RunCgroup, Sweep, REMOVE_WAIT,
};
use crate::lock::EngineId;

/// The leaf the engine moves into when it lives in the parent.
pub(super) const ENGINE_LEAF: &str = "judge-engine";

/// Controllers a run needs; without them the engine loses a guarantee it advertises.
const REQUIRED: [Ctl; 2] = [Ctl::Memory, Ctl::Pids];
/// Controllers enabled for runs when the parent has them.
const WANTED: [Ctl; 4] = [Ctl::Memory, Ctl::Pids, Ctl::Cpu, Ctl::Cpuset];

/// The parent of runs (the engine's group), with the controllers enabled for its children.
#[derive(Debug)]
pub(super) struct V2Host {
    parent: PathBuf,
    tree: Tree,
    cpu: bool,
    cpuset: bool,
    features: Features,
    sweep: Sweep,
    /// Dropped last: removes the group's directory once the runs are gone.
    _group: Group,
}

impl V2Host {
    /// Make `parent` ready to hold groups, claim the engine's group `id` in it, sweep the groups
    /// of engines that are gone (see the module comment), and describe the group.
    pub(super) fn prepare(parent: PathBuf, pid: u32, id: &EngineId) -> Result<Self, CgroupError> {
        let enabled = delegate(&parent, pid)?;
        let request = enable_request(&enabled);
        let (group, stale) = group::claim(std::slice::from_ref(&parent), id, |_, dir| {
            control::write(&dir.join("cgroup.subtree_control"), &request)
        })?;
        let dir = group
            .dir_under(&parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| parent.join(naming::group_name(id)));
        let mut host = V2Host::new(dir, &enabled, group);
        host.sweep_gone(stale);
        Ok(host)
    }

    /// `parent`: where runs are made; `enabled`: the controllers on in its
    /// cgroup.subtree_control.
    pub(super) fn new(parent: PathBuf, enabled: &[Ctl], group: Group) -> Self {
        // The freezer is core in v2 (cgroup.freeze); cgroups-rs models it as a controller.
        let ctls = enabled.iter().copied().chain([Ctl::Freezer]);
        let tree = Tree::new(true, ctls.map(|ctl| (ctl, parent.clone())).collect());
        V2Host {
            cpu: enabled.contains(&Ctl::Cpu),
            cpuset: enabled.contains(&Ctl::Cpuset),
            features: Features {
                memory_peak: false,
                peak_reset: false,
                kill_file: false,
                swap_limit: false,
                cpu_quota: enabled.contains(&Ctl::Cpu),
                cpuset: enabled.contains(&Ctl::Cpuset),
            },
            parent,
            tree,
            sweep: Sweep::default(),
            _group: group,
        }
    }

    /// Find out, on a probe run, which of the files a run uses this kernel has: `memory.peak`
    /// (Linux 5.19), its reset by writing to it (6.12), `cgroup.kill` (5.14),
    /// `memory.swap.max` (swap accounting). Never by version number.
    pub(super) fn probe_features(&mut self) -> Result<(), CgroupError> {
        let run = self.make_run(&RunName::next().to_string())?;
        let peak = run.dir.join("memory.peak");
        self.features.memory_peak = peak.exists();
        self.features.peak_reset = self.features.memory_peak
            && std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&peak)
                .and_then(|mut f| std::io::Write::write_all(&mut f, b"reset\n"))
                .is_ok();
        self.features.kill_file = run.dir.join("cgroup.kill").exists();
        self.features.swap_limit = run.dir.join("memory.swap.max").exists();
        // Nothing ever ran in it.
        let mut run = run;
        run.removed = true;
        std::fs::remove_dir(&run.dir).map_err(|e| CgroupError::io("rmdir", &run.dir, e))
    }

    /// Tear down the groups of engines that are gone (see `V1Host::sweep`).
    fn sweep_gone(&mut self, stale: Vec<Stale>) {
        let enabled: Vec<Ctl> = WANTED
            .into_iter()
            .filter(|c| match c {
                Ctl::Cpu => self.cpu,
                Ctl::Cpuset => self.cpuset,
                _ => true,
            })
            .collect();
        for group in stale {
            for dir in &group.dirs {
                let view = V2Host::new(dir.clone(), &enabled, Group::none());
                match naming::child_dirs(dir) {
                    Ok(names) => {
                        for name in names {
                            match view.open_run(&name).and_then(|mut run| {
                                run.teardown()?;
                                Ok(run.dir.clone())
                            }) {
                                Ok(removed) => self.sweep.removed.push(removed),
                                Err(e) => self.sweep.errors.push(e.to_string()),
                            }
                        }
                    }
                    Err(e) => self.sweep.errors.push(e.to_string()),
                }
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

    pub(super) fn parent(&self) -> &Path {
        &self.parent
    }

    /// A handle on the existing directory `<parent>/<name>`.
    fn open_run(&self, name: &str) -> Result<V2Run, CgroupError> {
        let dir = self.parent.join(name);
        let fd = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(&dir)
            .map(OwnedFd::from)
            .map_err(|e| CgroupError::io("open", &dir, e))?;
        Ok(V2Run {
            name: name.to_string(),
            cg: self.tree.load(name),
            subtree_control: self.parent.join("cgroup.subtree_control"),
            dir,
            fd,
            peak_fd: std::sync::Mutex::new(None),
            peak_reset: self.features.peak_reset,
            cpu: self.cpu,
            cpuset: self.cpuset,
            removed: false,
        })
    }

    /// mkdir the run and open it; no limits yet.
    pub(super) fn make_run(&self, name: &str) -> Result<V2Run, CgroupError> {
        let dir = self.parent.join(name);
        std::fs::create_dir(&dir).map_err(|e| CgroupError::io("mkdir", &dir, e))?;
        self.open_run(name).inspect_err(|_| {
            let _ = std::fs::remove_dir(&dir);
        })
    }
}

impl Cgroups for V2Host {
    fn layout(&self) -> Layout {
        Layout::V2
    }

    fn create(&self, limits: &CgroupLimits) -> Result<Box<dyn RunCgroup>, CgroupError> {
        limits.validate()?;
        let run = self.make_run(&RunName::next().to_string())?;
        // On error the run is dropped, which removes its directory.
        run.apply(limits, true)?;
        Ok(Box::new(run))
    }

    fn sweep(&self) -> &Sweep {
        &self.sweep
    }

    fn features(&self) -> Features {
        self.features
    }
}

/// The `cgroup.subtree_control` line that enables `ctls`.
fn enable_request(ctls: &[Ctl]) -> String {
    let words: Vec<String> = ctls.iter().map(|c| format!("+{}", c.name())).collect();
    words.join(" ")
}

/// Check `dir`'s controllers and enable the wanted ones for its children, moving the engine into
/// [`ENGINE_LEAF`] first if it lives in `dir`. Returns the controllers now enabled.
pub(super) fn delegate(dir: &Path, pid: u32) -> Result<Vec<Ctl>, CgroupError> {
    let controllers_file = dir.join("cgroup.controllers");
    let available = control::read(&controllers_file)?;
    let available = control::words(&available);
    if let Some(missing) = REQUIRED.iter().find(|c| !available.contains(&c.name())) {
        return Err(CgroupError::ControllerMissing {
            controller: missing.name(),
            path: controllers_file,
        });
    }
    let wanted: Vec<Ctl> = WANTED
        .into_iter()
        .filter(|c| available.contains(&c.name()))
        .collect();
    let subtree = dir.join("cgroup.subtree_control");
    let enabled = control::read(&subtree)?;
    let enabled = control::words(&enabled);
    let missing: Vec<Ctl> = wanted
        .iter()
        .copied()
        .filter(|c| !enabled.contains(&c.name()))
        .collect();
    if missing.is_empty() {
        return Ok(wanted);
    }
    // The true root is exempt from the no-internal-processes rule; only it lacks cgroup.type
    // (a cgroup namespace's root has one, and is not exempt).
    let is_root = !dir.join("cgroup.type").exists();
    let me_pid = pid as i32;
    if !is_root && control::read_procs(dir)?.contains(&me_pid) {
        move_into_leaf(dir, me_pid)?;
    }
    match control::write(&subtree, &enable_request(&missing)) {
        Err(CgroupError::Io { ref source, .. }) if source.raw_os_error() == Some(libc::EBUSY) => {
            let mut pids = control::read_procs(dir)?;
            pids.retain(|pid| *pid != me_pid);
            Err(CgroupError::ParentBusy {
                path: dir.to_path_buf(),
                pids,
            })
        }
        Err(e) => Err(e),
        Ok(()) => Ok(wanted),
    }
}

/// Move the engine's whole thread group into `<dir>/judge-engine`.
fn move_into_leaf(dir: &Path, pid: i32) -> Result<(), CgroupError> {
    let leaf = dir.join(ENGINE_LEAF);
    match std::fs::create_dir(&leaf) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(CgroupError::io("mkdir", &leaf, e)),
    }
    control::write(&leaf.join("cgroup.procs"), &pid.to_string())
}

/// Create the missing levels of `parent` below `mount`, enabling controllers in each level's
/// parent first so that every new level gets them.
pub(super) fn ensure_parent(mount: &Path, parent: &Path, pid: u32) -> Result<(), CgroupError> {
    let mut dir = mount.to_path_buf();
    let below = parent.strip_prefix(mount).unwrap_or(Path::new(""));
    for part in below.components() {
        let next = dir.join(part);
        if !next.is_dir() {
            delegate(&dir, pid)?;
            std::fs::create_dir(&next).map_err(|e| CgroupError::io("mkdir", &next, e))?;
        }
        dir = next;
    }
    Ok(())
}

/// One run's directory.
#[derive(Debug)]
pub(super) struct V2Run {
    name: String,
    cg: Cgroup,
    dir: PathBuf,
    subtree_control: PathBuf,
    fd: OwnedFd,
    /// memory.peak, kept open once reset: the reset peak is per descriptor.
    peak_fd: std::sync::Mutex<Option<std::fs::File>>,
    /// Whether this kernel can reset memory.peak (probed at detection).
    peak_reset: bool,
    cpu: bool,
    cpuset: bool,
    removed: bool,
}

impl V2Run {
    fn controller<'a, T>(&'a self, name: &'static str) -> Result<&'a T, CgroupError>
    where
        &'a T: From<&'a cgroups_rs::Subsystem>,
        T: Controller + cgroups_rs::ControllIdentifier,
    {
        self.cg
            .controller_of::<T>()
            .ok_or_else(|| CgroupError::ControllerMissing {
                controller: name,
                path: self.subtree_control.clone(),
            })
    }

    /// Write `limits`; on a `fresh` cgroup, `None` needs no write.
    pub(super) fn apply(&self, limits: &CgroupLimits, fresh: bool) -> Result<(), CgroupError> {
        let dir = self.dir.as_path();
        if limits.memory_bytes.is_some() || !fresh {
            let mem = self.controller::<MemController>("memory")?;
            // Validated to fit in i64; the crate writes -1 as "max".
            let max = limits.memory_bytes.map_or(-1, |b| b as i64);
            mem.set_limit(max)
                .map_err(control::crate_error(dir, "memory.max", max))?;
            // The file exists only with swap accounting; without it the kernel cannot cap a
            // cgroup's swap at all, so there is nothing to turn off.
            if dir.join("memory.swap.max").exists() {
                let swap = if limits.memory_bytes.is_some() { 0 } else { -1 };
                mem.set_memswap_limit(swap).map_err(control::crate_error(
                    dir,
                    "memory.swap.max",
                    swap,
                ))?;
            }
        }
        if limits.pids.is_some() || !fresh {
            let pids = self.controller::<PidController>("pids")?;
            let max = limits
                .pids
                .map_or(MaxValue::Max, |n| MaxValue::Value(n as i64));
            pids.set_pid_max(max)
                .map_err(control::crate_error(dir, "pids.max", max))?;
        }
        if limits.cpu_quota.is_some() || (!fresh && self.cpu) {
            let cpu = self.controller::<CpuController>("cpu")?;
            let (quota, period) = match &limits.cpu_quota {
                Some(q) => (
                    q.quota.as_micros() as i64,
                    Some(q.period.as_micros() as u64),
                ),
                // The crate writes a non-positive quota as "max" and keeps the period.
                None => (-1, None),
            };
            cpu.set_cfs_quota_and_period(Some(quota), period)
                .map_err(control::crate_error(dir, "cpu.max", quota))?;
        }
        match &limits.cpuset {
            Some(cpus) => {
                let cpuset = self.controller::<CpuSetController>("cpuset")?;
                cpuset
                    .set_cpus(cpus)
                    .map_err(control::crate_error(dir, "cpuset.cpus", cpus))?;
            }
            // An empty cpuset.cpus means "the parent's CPUs". The crate cannot write an empty
            // string (write_all of nothing makes no write(2)), hence the newline, written here.
            None if !fresh && self.cpuset => control::write(&dir.join("cpuset.cpus"), "\n")?,
            None => {}
        }
        Ok(())
    }

    fn teardown(&mut self) -> Result<(), CgroupError> {
        self.removed = true;
        let killed = self.kill_all();
        let removed = kill::wait_and_rmdir(&[self.dir.as_path()], REMOVE_WAIT);
        killed.and(removed)
    }
}

/// v2's freezer: `cgroup.freeze` asks, `frozen 1` in `cgroup.events` confirms.
struct V2Freezer<'a> {
    ctl: &'a FreezerController,
    dir: &'a Path,
}

impl Freeze for V2Freezer<'_> {
    fn freeze(&self) -> Result<(), CgroupError> {
        self.ctl
            .freeze()
            .map_err(control::crate_error(self.dir, "cgroup.freeze", 1))
    }

    fn is_frozen(&self) -> Result<bool, CgroupError> {
        let path = self.dir.join("cgroup.events");
        Ok(control::keyed_u64(&path, &control::read(&path)?, "frozen")? == 1)
    }

    fn thaw(&self) -> Result<(), CgroupError> {
        self.ctl
            .thaw()
            .map_err(control::crate_error(self.dir, "cgroup.freeze", 0))
    }
}

impl RunCgroup for V2Run {
    fn name(&self) -> &str {
        &self.name
    }

    fn paths(&self) -> Vec<PathBuf> {
        vec![self.dir.clone()]
    }

    fn limit(&self, limits: &CgroupLimits) -> Result<(), CgroupError> {
        limits.validate()?;
        self.apply(limits, false)
    }

    fn attach(&self, pid: i32) -> Result<(), CgroupError> {
        if pid <= 0 {
            return Err(CgroupError::InvalidPid { pid });
        }
        // cgroups-rs writes cgroup.procs of the first subsystem: the whole thread group moves.
        self.cg
            .add_task_by_tgid(CgroupPid::from(pid as u64))
            .map_err(control::crate_error(&self.dir, "cgroup.procs", pid))
    }

    fn clone_into_fd(&self) -> Option<BorrowedFd<'_>> {
        Some(self.fd.as_fd())
    }

    fn procs(&self) -> Result<Vec<i32>, CgroupError> {
        control::read_procs(&self.dir)
    }

    fn tasks(&self) -> Result<u64, CgroupError> {
        let path = self.dir.join("pids.current");
        control::parse_u64(&path, &control::read(&path)?)
    }

    fn cpu_usage(&self) -> Result<Duration, CgroupError> {
        let path = self.dir.join("cpu.stat");
        let micros = control::keyed_u64(&path, &control::read(&path)?, "usage_usec")?;
        Ok(Duration::from_micros(micros))
    }

    fn memory_peak(&self) -> Result<Option<u64>, CgroupError> {
        let path = self.dir.join("memory.peak");
        // After a reset, only the descriptor that was written to reports the new peak.
        let mut guard = self.peak_fd.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(file) = guard.as_mut() {
            let mut text = String::new();
            std::io::Seek::rewind(file).map_err(|e| CgroupError::io("read", &path, e))?;
            std::io::Read::read_to_string(file, &mut text)
                .map_err(|e| CgroupError::io("read", &path, e))?;
            return control::parse_u64(&path, &text).map(Some);
        }
        control::read_optional(&path)?
            .map(|text| control::parse_u64(&path, &text))
            .transpose()
    }

    fn oom_kills(&self) -> Result<u64, CgroupError> {
        // memory.events counts the run's descendants too; memory.events.local would not.
        let path = self.dir.join("memory.events");
        control::keyed_u64(&path, &control::read(&path)?, "oom_kill")
    }

    fn kill_all(&self) -> Result<(), CgroupError> {
        match self.cg.kill() {
            Ok(()) => Ok(()),
            // The crate's answer when cgroup.kill does not exist (before Linux 5.14).
            Err(e) if *e.kind() == ErrorKind::InvalidOperation => {
                let ctl = self.controller::<FreezerController>("freezer")?;
                let freezer = V2Freezer {
                    ctl,
                    dir: &self.dir,
                };
                kill::freeze_and_kill(&freezer, &[self.dir.as_path()])
            }
            Err(e) => Err(control::crate_error(&self.dir, "cgroup.kill", 1)(e)),
        }
    }

    fn reset(&self) -> Result<Duration, CgroupError> {
        // memory.peak resets for the descriptor written to (Linux 6.12); keep that one open.
        let path = self.dir.join("memory.peak");
        if !self.peak_reset {
            return Err(CgroupError::NoPeakReset { path });
        }
        let mut guard = self.peak_fd.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() && path.exists() {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| CgroupError::io("open", &path, e))?;
            *guard = Some(file);
        }
        if let Some(file) = guard.as_mut() {
            std::io::Write::write_all(file, b"reset\n")
                .map_err(|e| CgroupError::io("reset", &path, e))?;
        }
        drop(guard);
        self.cpu_usage()
    }

    fn remove(mut self: Box<Self>) -> Result<(), CgroupError> {
        self.teardown()
    }
}

impl Drop for V2Run {
    fn drop(&mut self) {
        if !self.removed {
            let _ = self.teardown();
        }
    }
}

/// For tests: the open directory must be the run's directory.
#[cfg(test)]
pub(super) fn same_file(fd: BorrowedFd<'_>, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let by_fd = std::fs::File::from(fd.try_clone_to_owned().unwrap())
        .metadata()
        .unwrap();
    let by_path = std::fs::metadata(path).unwrap();
    (by_fd.dev(), by_fd.ino()) == (by_path.dev(), by_path.ino())
}

#[cfg(test)]
#[path = "v2_tests.rs"]
mod tests;

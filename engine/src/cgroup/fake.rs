//! A fake cgroupfs in a temporary directory, for tests of both layouts.
//!
//! mkdir in a plain directory creates no control files, so the fake pre-creates what the kernel
//! would: in the hierarchy roots, in the engine's own cgroup, and (via `populate_*`) in a run
//! directory after the code under test has made it. It also writes the matching
//! /proc/self/mountinfo and /proc/self/cgroup text into [`HostFacts`].

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::detect::HostFacts;
use super::hierarchy::Ctl;
use super::naming::group_name;
use crate::lock::EngineId;

/// Write `files` into `dir` (created if missing), keeping files that already exist.
pub(super) fn populate(dir: &Path, files: &[(&str, &str)]) {
    fs::create_dir_all(dir).unwrap();
    for (name, content) in files {
        let path = dir.join(name);
        if !path.exists() {
            fs::write(path, content).unwrap();
        }
    }
}

pub(super) fn read(path: impl AsRef<Path>) -> String {
    fs::read_to_string(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// What the kernel puts into a new, non-root v1 cgroup of controller `ctl`.
pub(super) fn v1_files(ctl: Ctl) -> Vec<(&'static str, &'static str)> {
    let mut files = vec![("cgroup.procs", ""), ("tasks", "")];
    files.extend(match ctl {
        Ctl::Memory => vec![
            ("memory.limit_in_bytes", "9223372036854771712\n"),
            ("memory.memsw.limit_in_bytes", "9223372036854771712\n"),
            ("memory.max_usage_in_bytes", "0\n"),
            (
                "memory.oom_control",
                "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
            ),
        ],
        Ctl::CpuAcct => vec![("cpuacct.usage", "0\n")],
        Ctl::Pids => vec![("pids.max", "max\n"), ("pids.current", "0\n")],
        Ctl::Freezer => vec![("freezer.state", "THAWED\n")],
        Ctl::Cpu => vec![
            ("cpu.cfs_period_us", "100000\n"),
            ("cpu.cfs_quota_us", "-1\n"),
        ],
        Ctl::Cpuset => vec![("cpuset.cpus", "\n"), ("cpuset.mems", "\n")],
    });
    files
}

/// Six separate v1 hierarchies plus an empty cgroup2 at `unified`: the hybrid layout.
pub(super) struct FakeV1 {
    pub dir: TempDir,
    /// The engine's cgroup per controller, as /proc/self/cgroup would show it.
    own: Vec<(Ctl, String)>,
    pub id: EngineId,
}

impl FakeV1 {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for ctl in Ctl::ALL {
            let root = dir.path().join(ctl.name());
            populate(&root, &v1_files(ctl));
        }
        // The root cpuset owns every CPU and memory node.
        fs::write(dir.path().join("cpuset/cpuset.cpus"), "0-1\n").unwrap();
        fs::write(dir.path().join("cpuset/cpuset.mems"), "0\n").unwrap();
        populate(&dir.path().join("unified"), &[("cgroup.controllers", "")]);
        FakeV1 {
            dir,
            own: Ctl::ALL.map(|ctl| (ctl, "/".to_string())).to_vec(),
            id: EngineId::random().unwrap(),
        }
    }

    pub fn mount(&self, ctl: Ctl) -> PathBuf {
        self.dir.path().join(ctl.name())
    }

    /// The engine group's directory under `parent` (a cgroup path) in `ctl`'s hierarchy, with
    /// the control files its parent has, as the kernel would make them: detection claims it
    /// there.
    pub fn group_in(&self, ctl: Ctl, parent: &str) -> PathBuf {
        let parent = self.mount(ctl).join(parent.trim_start_matches('/'));
        let dir = parent.join(group_name(&self.id));
        fs::create_dir_all(&dir).unwrap();
        for entry in fs::read_dir(&parent).unwrap().flatten() {
            let target = dir.join(entry.file_name());
            if entry.file_type().unwrap().is_file() && !target.exists() {
                fs::copy(entry.path(), target).unwrap();
            }
        }
        dir
    }

    /// The engine group's directory in `ctl`'s hierarchy, under the engine's own cgroup.
    pub fn group(&self, ctl: Ctl) -> PathBuf {
        let own = self
            .own
            .iter()
            .find(|(c, _)| *c == ctl)
            .map_or("/", |(_, p)| p.as_str())
            .to_string();
        self.group_in(ctl, &own)
    }

    /// Put the engine into cgroup `path` of `ctl`'s hierarchy (created, with its files).
    pub fn own(mut self, ctl: Ctl, path: &str) -> Self {
        let dir = self.mount(ctl).join(path.trim_start_matches('/'));
        populate(&dir, &v1_files(ctl));
        if ctl == Ctl::Cpuset {
            fs::write(dir.join("cpuset.cpus"), "0-1\n").unwrap();
            fs::write(dir.join("cpuset.mems"), "0\n").unwrap();
        }
        self.own.retain(|(c, _)| *c != ctl);
        self.own.push((ctl, path.to_string()));
        self
    }

    /// Leave `ctl` unmounted.
    pub fn without(mut self, ctl: Ctl) -> Self {
        fs::remove_dir_all(self.mount(ctl)).unwrap();
        self.own.retain(|(c, _)| *c != ctl);
        self
    }

    pub fn mountinfo(&self, options: &str) -> String {
        let root = self.dir.path().display();
        let mut text = format!("30 1 0:27 / {root} rw,nosuid - tmpfs tmpfs rw,mode=755\n");
        for (i, (ctl, _)) in self.own.iter().enumerate() {
            let name = ctl.name();
            text += &format!(
                "{} 30 0:{} / {root}/{name} {options},nosuid,nodev - cgroup cgroup rw,{name}\n",
                31 + i,
                28 + i
            );
        }
        text += &format!("41 30 0:38 / {root}/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
        text
    }

    pub fn facts(&self) -> HostFacts {
        self.facts_with("rw,relatime")
    }

    pub fn facts_with(&self, mount_options: &str) -> HostFacts {
        let mut self_cgroup = String::new();
        for (i, (ctl, path)) in self.own.iter().enumerate() {
            self_cgroup += &format!("{}:{}:{path}\n", i + 1, ctl.name());
        }
        self_cgroup += "0::/\n";
        HostFacts {
            cgroup_root: self.dir.path().to_path_buf(),
            root_is_cgroup2: false,
            mountinfo: self.mountinfo(mount_options),
            self_cgroup,
            pid: std::process::id(),
            id: self.id.clone(),
        }
    }

    /// Prepare the group under every hierarchy the engine sits in (so detection finds its
    /// files), then describe the host.
    pub fn prepared_facts(&self) -> HostFacts {
        for (ctl, _) in self.own.clone() {
            self.group(ctl);
        }
        self.facts()
    }
}

/// What the kernel puts into a new, non-root v2 cgroup with every controller enabled.
pub(super) const V2_FILES: [(&str, &str); 17] = [
    ("cgroup.procs", ""),
    ("cgroup.type", "domain\n"),
    ("cgroup.controllers", "cpuset cpu io memory pids\n"),
    ("cgroup.subtree_control", "\n"),
    ("cgroup.events", "populated 0\nfrozen 0\n"),
    ("cgroup.freeze", "0\n"),
    ("cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"),
    ("cpu.max", "max 100000\n"),
    ("cpuset.cpus", "\n"),
    ("memory.max", "max\n"),
    ("memory.swap.max", "max\n"),
    ("memory.peak", "0\n"),
    (
        "memory.events",
        "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
    ),
    (
        "memory.events.local",
        "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n",
    ),
    ("pids.max", "max\n"),
    ("pids.current", "0\n"),
    ("cgroup.kill", ""),
];

/// A unified hierarchy at the root of the temporary directory.
pub(super) struct FakeV2 {
    pub dir: TempDir,
    own: String,
    pub id: EngineId,
}

impl FakeV2 {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // The root cgroup: no cgroup.type, no limits of its own.
        populate(
            dir.path(),
            &[
                (
                    "cgroup.controllers",
                    "cpuset cpu io memory hugetlb pids rdma misc\n",
                ),
                ("cgroup.subtree_control", "\n"),
                ("cgroup.procs", "1\n"),
                ("cpu.stat", "usage_usec 0\n"),
            ],
        );
        FakeV2 {
            dir,
            own: "/".into(),
            id: EngineId::random().unwrap(),
        }
    }

    /// The engine group's directory under the cgroup `parent`, with the kernel's files.
    pub fn group_in(&self, parent: &str) -> PathBuf {
        let dir = self
            .root()
            .join(parent.trim_start_matches('/'))
            .join(group_name(&self.id));
        populate(&dir, &V2_FILES);
        dir
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Make the non-root cgroup `path` holding `procs`, and put the engine there.
    pub fn own(mut self, path: &str, procs: &[i32]) -> Self {
        let dir = self.cgroup(path);
        let list: String = procs.iter().map(|p| format!("{p}\n")).collect();
        fs::write(dir.join("cgroup.procs"), list).unwrap();
        self.own = path.to_string();
        self
    }

    /// Make the non-root cgroup `path` with the kernel's files.
    pub fn cgroup(&self, path: &str) -> PathBuf {
        let dir = self.root().join(path.trim_start_matches('/'));
        populate(&dir, &V2_FILES);
        dir
    }

    pub fn facts(&self) -> HostFacts {
        let root = self.root().display();
        HostFacts {
            cgroup_root: self.root().to_path_buf(),
            root_is_cgroup2: true,
            mountinfo: format!(
                "24 1 0:22 / /sys rw - sysfs sysfs rw\n35 24 0:30 / {root} rw,nosuid,nodev \
                 shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
            ),
            self_cgroup: format!("0::{}\n", self.own),
            pid: std::process::id(),
            id: self.id.clone(),
        }
    }
}

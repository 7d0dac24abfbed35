//! Detecting the host's cgroup layout once, from facts that tests can fake.
//!
//! Steps: gather [`HostFacts`] (is /sys/fs/cgroup cgroup2 by statfs magic, the text of
//! /proc/self/mountinfo and /proc/self/cgroup, the engine's identity); pick the layout — v2 when
//! /sys/fs/cgroup is cgroup2, else v1 when a v1 hierarchy carries the memory controller (so the
//! hybrid layout with an empty cgroup2 at /sys/fs/cgroup/unified is v1), else v2 on any other
//! cgroup2 mount; find the parent directory (configured, or the engine's own cgroup translated
//! through the mount's root, which differs from "/" in containers without a cgroup namespace);
//! prepare it; and prove a child can be created there with a probe mkdir + rmdir.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::group;
use super::hierarchy::Ctl;
use super::naming::RunName;
use super::v1::{self, V1Host};
use super::v2::{self, V2Host};
use super::{control, CgroupConfig, CgroupError, Cgroups};
use crate::lock::EngineId;

/// Everything detection reads from the host, so tests can point it at a fake cgroupfs.
#[derive(Clone, Debug)]
pub(super) struct HostFacts {
    /// Where the cgroup filesystems live: /sys/fs/cgroup.
    pub cgroup_root: PathBuf,
    /// Whether `cgroup_root` itself is a cgroup2 mount (statfs magic).
    pub root_is_cgroup2: bool,
    /// The text of /proc/self/mountinfo.
    pub mountinfo: String,
    /// The text of /proc/self/cgroup.
    pub self_cgroup: String,
    /// The engine process, as the kernel numbers it in `cgroup.procs`.
    pub pid: u32,
    /// The engine whose group is made.
    pub id: EngineId,
}

impl HostFacts {
    pub fn read_system(id: EngineId) -> Result<Self, CgroupError> {
        let cgroup_root = PathBuf::from("/sys/fs/cgroup");
        let root_is_cgroup2 = nix::sys::statfs::statfs(&cgroup_root)
            .is_ok_and(|fs| fs.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC);
        Ok(HostFacts {
            cgroup_root,
            root_is_cgroup2,
            mountinfo: control::read(Path::new("/proc/self/mountinfo"))?,
            self_cgroup: control::read(Path::new("/proc/self/cgroup"))?,
            pid: std::process::id(),
            id,
        })
    }
}

/// A detected, prepared host.
#[derive(Debug)]
pub(super) enum Host {
    V1(V1Host),
    V2(V2Host),
}

impl Host {
    pub fn into_shared(self) -> Arc<dyn Cgroups> {
        match self {
            Host::V1(host) => Arc::new(host),
            Host::V2(host) => Arc::new(host),
        }
    }
}

/// One cgroup or cgroup2 line of /proc/self/mountinfo.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Mount {
    /// Which cgroup of the hierarchy appears at the mount point (field 4).
    pub root: String,
    pub point: PathBuf,
    /// Per-mount options (field 6) followed by the superblock options.
    pub options: Vec<String>,
    pub fstype: String,
}

impl Mount {
    fn is_read_only(&self) -> bool {
        self.options.iter().any(|o| o == "ro")
    }

    fn has(&self, ctl: Ctl) -> bool {
        self.fstype == "cgroup" && self.options.iter().any(|o| o == ctl.name())
    }
}

/// The cgroup and cgroup2 mounts in mountinfo text.
pub(super) fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (mount_part, fs_part) = line.split_once(" - ")?;
            let fields: Vec<&str> = mount_part.split(' ').collect();
            let fs: Vec<&str> = fs_part.split(' ').collect();
            let (root, point, mount_opts) = (fields.get(3)?, fields.get(4)?, fields.get(5)?);
            let (fstype, super_opts) = (*fs.first()?, fs.get(2).copied().unwrap_or(""));
            if fstype != "cgroup" && fstype != "cgroup2" {
                return None;
            }
            let options = mount_opts.split(',').chain(super_opts.split(','));
            Some(Mount {
                root: unescape(root),
                point: PathBuf::from(unescape(point)),
                options: options.map(String::from).collect(),
                fstype: fstype.to_string(),
            })
        })
        .collect()
}

/// mountinfo writes space, tab, newline and backslash in paths as `\ooo` octal escapes.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal {
            Some(d) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The engine's cgroup per hierarchy, from /proc/self/cgroup.
#[derive(Debug, Default, PartialEq)]
pub(super) struct OwnCgroups {
    /// The `0::<path>` line.
    pub unified: Option<String>,
    /// Controller name → path, from `<id>:<controllers>:<path>` lines.
    pub v1: BTreeMap<String, String>,
}

pub(super) fn parse_proc_cgroup(text: &str) -> OwnCgroups {
    let mut own = OwnCgroups::default();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            own.unified = Some(path.to_string());
        } else {
            for controller in controllers.split(',') {
                own.v1.insert(controller.to_string(), path.to_string());
            }
        }
    }
    own
}

/// The directory of cgroup `own` (a path from /proc/self/cgroup) under `mount`.
fn locate(mount: &Mount, own: &str) -> Result<PathBuf, CgroupError> {
    let relative =
        Path::new(own)
            .strip_prefix(&mount.root)
            .map_err(|_| CgroupError::OutsideMount {
                own: own.to_string(),
                mount_root: mount.root.clone(),
                mount: mount.point.clone(),
            })?;
    // Joining an empty path would leave a trailing slash in every message.
    if relative.as_os_str().is_empty() {
        return Ok(mount.point.clone());
    }
    Ok(mount.point.join(relative))
}

/// The directory of the configured parent under `mount`: a cgroup path, never leaving the mount.
fn configured(mount: &Mount, parent: &Path) -> Result<PathBuf, CgroupError> {
    let mut dir = mount.point.clone();
    for part in parent.components() {
        match part {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(name) => dir.push(name),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(CgroupError::InvalidParent {
                    parent: parent.to_path_buf(),
                    reason: "it must not contain `..`",
                })
            }
        }
    }
    Ok(dir)
}

/// Detect and prepare the host described by `facts`.
pub(super) fn detect_host(facts: &HostFacts, config: &CgroupConfig) -> Result<Host, CgroupError> {
    let mounts = parse_mountinfo(&facts.mountinfo);
    let own = parse_proc_cgroup(&facts.self_cgroup);
    if facts.root_is_cgroup2 {
        let mount = mounts
            .iter()
            .find(|m| m.fstype == "cgroup2" && m.point == facts.cgroup_root)
            .cloned()
            .unwrap_or_else(|| Mount {
                root: "/".into(),
                point: facts.cgroup_root.clone(),
                options: Vec::new(),
                fstype: "cgroup2".into(),
            });
        return detect_v2(&mount, &own, config, facts);
    }
    let v1_mounts: BTreeMap<Ctl, &Mount> = Ctl::ALL
        .into_iter()
        .filter_map(|ctl| Some((ctl, mounts.iter().find(|m| m.has(ctl))?)))
        .collect();
    if v1_mounts.contains_key(&Ctl::Memory) {
        return detect_v1(&v1_mounts, &own, config, &facts.id);
    }
    match mounts.iter().find(|m| m.fstype == "cgroup2") {
        Some(mount) => detect_v2(mount, &own, config, facts),
        None => Err(CgroupError::NotMounted {
            controller: "memory",
        }),
    }
}

fn detect_v1(
    mounts: &BTreeMap<Ctl, &Mount>,
    own: &OwnCgroups,
    config: &CgroupConfig,
    id: &EngineId,
) -> Result<Host, CgroupError> {
    let mut parents = BTreeMap::new();
    for ctl in Ctl::ALL {
        let required = v1::REQUIRED.contains(&ctl);
        let parent = match mounts.get(&ctl) {
            Some(mount) => v1_parent(ctl, mount, own, config),
            None => Err(CgroupError::NotMounted {
                controller: ctl.name(),
            }),
        };
        match parent {
            Ok(dir) => {
                parents.insert(ctl, dir);
            }
            Err(e) if required => return Err(e),
            // cpu and cpuset are optional: runs that ask for them will get NotMounted.
            Err(_) => {}
        }
    }
    let dirs: Vec<PathBuf> = parents.values().cloned().collect();
    let cpuset_parent = parents.get(&Ctl::Cpuset).cloned();
    let (group, stale) = group::claim(&dirs, id, |parent, dir| match &cpuset_parent {
        Some(cpuset) if cpuset == parent => v1::copy_cpuset(parent, dir, true),
        _ => Ok(()),
    })?;
    let groups = parents
        .iter()
        .filter_map(|(ctl, parent)| Some((*ctl, group.dir_under(parent)?.to_path_buf())))
        .collect();
    let mut host = V1Host::new(groups, group);
    host.sweep_gone(stale);
    probe(&host.required_parents())?;
    Ok(Host::V1(host))
}

fn v1_parent(
    ctl: Ctl,
    mount: &Mount,
    own: &OwnCgroups,
    config: &CgroupConfig,
) -> Result<PathBuf, CgroupError> {
    if mount.is_read_only() {
        return Err(CgroupError::ReadOnly {
            path: mount.point.clone(),
        });
    }
    match &config.parent {
        Some(parent) => {
            let dir = configured(mount, parent)?;
            ensure_v1_parent(ctl, &mount.point, &dir)?;
            Ok(dir)
        }
        None => {
            let path = own.v1.get(ctl.name()).ok_or(CgroupError::NotInProcCgroup {
                hierarchy: ctl.name(),
            })?;
            locate(mount, path)
        }
    }
}

/// Create the missing levels of a configured v1 parent; a new cpuset level gets its parent's CPUs
/// and memory nodes, or no task could ever join it.
fn ensure_v1_parent(ctl: Ctl, mount: &Path, parent: &Path) -> Result<(), CgroupError> {
    let mut dir = mount.to_path_buf();
    let below = parent.strip_prefix(mount).unwrap_or(Path::new(""));
    for part in below.components() {
        let next = dir.join(part);
        if !next.is_dir() {
            std::fs::create_dir(&next).map_err(|e| CgroupError::io("mkdir", &next, e))?;
            if ctl == Ctl::Cpuset {
                v1::copy_cpuset(&dir, &next, true)?;
            }
        }
        dir = next;
    }
    Ok(())
}

fn detect_v2(
    mount: &Mount,
    own: &OwnCgroups,
    config: &CgroupConfig,
    facts: &HostFacts,
) -> Result<Host, CgroupError> {
    let pid = facts.pid;
    if mount.is_read_only() {
        return Err(CgroupError::ReadOnly {
            path: mount.point.clone(),
        });
    }
    let parent = match &config.parent {
        Some(parent) => {
            let dir = configured(mount, parent)?;
            v2::ensure_parent(&mount.point, &dir, pid)?;
            dir
        }
        None => {
            let path = own.unified.as_deref().ok_or(CgroupError::NotInProcCgroup {
                hierarchy: "unified (0::)",
            })?;
            let dir = locate(mount, path)?;
            // Already moved into the leaf by an earlier detection in this process.
            match dir.parent() {
                Some(up) if dir.file_name() == Some(v2::ENGINE_LEAF.as_ref()) => up.to_path_buf(),
                _ => dir,
            }
        }
    };
    let mut host = V2Host::prepare(parent, pid, &facts.id)?;
    probe(&[host.parent().to_path_buf()])?;
    host.probe_features()?;
    Ok(Host::V2(host))
}

/// Create and remove one child in each of `parents`: the cheapest proof that runs can be made
/// there (catches EACCES when not root or not delegated, EROFS, ENOENT, ENOTDIR).
fn probe(parents: &[PathBuf]) -> Result<(), CgroupError> {
    let name = RunName::next().to_string();
    let mut made = Vec::new();
    let mut result = Ok(());
    for parent in parents {
        let dir = parent.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => made.push(dir),
            Err(e) => {
                result = Err(CgroupError::io("mkdir", &dir, e));
                break;
            }
        }
    }
    for dir in made.iter().rev() {
        if let Err(e) = std::fs::remove_dir(dir) {
            result = result.and(Err(CgroupError::io("rmdir", dir, e)));
        }
    }
    result
}

#[cfg(test)]
#[path = "detect_tests.rs"]
mod tests;

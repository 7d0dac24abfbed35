//! The sandbox's filesystem: an empty tmpfs root with only what the spec lists.
//!
//! Parent side, [`MountPlan::new`] turns the spec's mounts into a flat list of operations whose
//! paths are already C strings: mkdir, create an empty file (the mount point of a file bind),
//! symlink, bind (then remount with the wanted flags), tmpfs, proc. Host sources are canonicalised
//! here, because inside the new root an absolute symlink would resolve against the wrong root.
//!
//! Child side:
//! 0. [`MountPlan::open_sources`], while the child still has the engine's host uid: each bind
//!    source is opened `O_PATH` (no read or write access, just a handle) onto a descriptor number
//!    the parent chose. The binds then go through `/proc/self/fd/N`, so a source need not be
//!    reachable by the sandbox's unprivileged uid (a toolchain under `/root`, a 0700 work area);
//!    what the program can read inside is still decided by each file's own permissions.
//!
//! Then [`MountPlan::enter`] runs, in this order:
//! 1. make every mount private, so nothing propagates back to the host;
//! 2. mount a small tmpfs on `/tmp` of the child's mount namespace and `pivot_root` into it, the
//!    old root moving to `/.oldroot` (host `/tmp` is visible again under it);
//! 3. run the plan: the spec's binds (read-only unless asked, always nosuid and nodev), then a
//!    fresh `/proc` (hidepid=2: only the program's own processes), a `/dev` holding only null,
//!    zero, full, random and urandom (bound read-only: a device node on a read-only mount can
//!    still be read and written, but its host inode's times and mode cannot be touched), and a
//!    size- and inode-capped tmpfs on `/tmp` (mode 1777, owned by the sandbox's root, no atime
//!    updates: a run can neither chmod it nor leave a trace by reading it);
//! 4. detach the old root and remount the new root read-only.

use std::collections::BTreeSet;
use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::spec::{Mount, MountKind, SpecError};
use super::stage::Stage;
use super::sys;

/// Where the host's root waits while the new root is filled.
const OLD_ROOT: &str = "/.oldroot";
/// The tmpfs that becomes the root holds only directories, empty files and symlinks.
const ROOT_TMPFS_OPTIONS: &CStr = c"size=1m,nr_inodes=4096,mode=0755";
/// The device nodes a program may use.
const DEVICES: [&str; 5] = ["null", "zero", "full", "random", "urandom"];
/// Flags the kernel lets a bind remount change; the rest of `statfs`'s flags must be kept
/// because an unprivileged user namespace cannot clear them (they are locked).
const LOCKED_FLAGS: libc::c_ulong = libc::MS_RDONLY
    | libc::MS_NOSUID
    | libc::MS_NODEV
    | libc::MS_NOEXEC
    | libc::MS_NOATIME
    | libc::MS_NODIRATIME
    | libc::MS_RELATIME;

/// One step of the plan.
#[derive(Debug)]
pub(crate) enum MountOp {
    Mkdir {
        path: CString,
        mode: libc::mode_t,
    },
    /// An empty file to bind a file (or device) over.
    Touch {
        path: CString,
    },
    Symlink {
        target: CString,
        link: CString,
    },
    /// Bind `source` at `target` (through its descriptor `slot`, reached at `via`), then
    /// remount with `flags` added.
    Bind {
        source: CString,
        slot: i32,
        via: CString,
        target: CString,
        flags: libc::c_ulong,
    },
    Tmpfs {
        target: CString,
        flags: libc::c_ulong,
        options: CString,
    },
    Proc {
        target: CString,
    },
}

impl MountOp {
    fn label(&self) -> String {
        let show = |c: &CString| String::from_utf8_lossy(c.as_bytes()).into_owned();
        match self {
            MountOp::Mkdir { path, .. } => format!("mkdir {}", show(path)),
            MountOp::Touch { path } => format!("create mount point {}", show(path)),
            MountOp::Symlink { link, .. } => format!("symlink {}", show(link)),
            MountOp::Bind { target, .. } => format!("mount {}", show(target)),
            MountOp::Tmpfs { target, .. } => format!("mount tmpfs {}", show(target)),
            MountOp::Proc { target } => format!("mount proc {}", show(target)),
        }
    }
}

/// The prepared filesystem of one run.
#[derive(Debug)]
pub(crate) struct MountPlan {
    ops: Vec<MountOp>,
    /// A root filesystem image instead of the empty tmpfs root.
    root: Option<RootPlan>,
}

/// The image root of a run ([`super::RootImage`]): the image, opened like a bind source, is
/// the lower layer of an overlayfs whose upper layer is a tmpfs of the run's own.
#[derive(Debug)]
struct RootPlan {
    source: CString,
    slot: i32,
    /// `size=...,mode=0755` for the tmpfs holding the upper and work directories.
    upper_options: CString,
    /// The overlay's options, the lower directory through the image's descriptor (filled in
    /// by [`MountPlan::assign_slots`]).
    overlay_options: CString,
    /// Writable (through the upper layer) or read-only like the tmpfs root.
    writable: bool,
}

/// Where the image root is built before it is entered.
const IMAGE_ROOT: &CStr = c"/tmp/root";
const IMAGE_OLD_ROOT: &CStr = c"/tmp/root/.oldroot";

impl MountPlan {
    /// Plan the root for these mounts and a `/tmp` of `tmp_size` bytes.
    pub(crate) fn new(mounts: &[Mount], tmp_size: u64) -> Result<MountPlan, SpecError> {
        let mut planner = Planner::default();
        // Parents before children, so a later bind never hides an earlier one.
        let mut sorted: Vec<&Mount> = mounts.iter().collect();
        sorted.sort_by_key(|m| m.target.components().count());
        for mount in sorted {
            planner.mount(mount)?;
        }
        planner.system(tmp_size);
        Ok(MountPlan {
            ops: planner.ops,
            root: None,
        })
    }

    /// Build the run's root from `image` instead of an empty tmpfs.
    pub(crate) fn set_root(&mut self, image: &super::RootImage) -> Result<(), SpecError> {
        let bad = |error: std::io::Error| SpecError::RootImage {
            path: image.path.clone(),
            error,
        };
        let real = std::fs::canonicalize(&image.path).map_err(bad)?;
        if !real.is_dir() {
            return Err(bad(std::io::Error::other("not a directory")));
        }
        self.root = Some(RootPlan {
            source: CString::new(real.as_os_str().as_bytes())
                .map_err(|_| SpecError::Nul(format!("root image {}", image.path.display())))?,
            slot: -1,
            upper_options: CString::new(format!("size={},mode=0755", image.upper_size.max(4096)))
                .unwrap_or_default(),
            overlay_options: CString::default(),
            writable: image.writable,
        });
        Ok(())
    }

    /// Give the bind sources (and the root image, first) the descriptor numbers `base`,
    /// `base + 1`, ... in the child.
    pub(crate) fn assign_slots(&mut self, base: i32) {
        let mut slot = base;
        if let Some(root) = &mut self.root {
            root.slot = slot;
            // Read before the pivot, through the host's /proc still mounted there.
            root.overlay_options = CString::new(format!(
                "lowerdir=/proc/self/fd/{slot},upperdir=/tmp/upper,workdir=/tmp/work,userxattr"
            ))
            .unwrap_or_default();
            slot += 1;
        }
        for op in &mut self.ops {
            if let MountOp::Bind { slot: s, via, .. } = op {
                *s = slot;
                *via = CString::new(format!("{OLD_ROOT}/proc/self/fd/{slot}")).unwrap_or_default();
                slot += 1;
            }
        }
    }

    /// Child side, before the child gives up the engine's uid: open every bind source (and the
    /// root image) onto its descriptor slot. Returns the failing step's index (the root image's
    /// is one past the steps) and errno.
    pub(crate) fn open_sources(&self) -> Result<(), (u32, i32)> {
        if let Some(root) = &self.root {
            open_onto(&root.source, root.slot).map_err(|e| (self.ops.len() as u32, e))?;
        }
        for (index, op) in self.ops.iter().enumerate() {
            if let MountOp::Bind { source, slot, .. } = op {
                open_onto(source, *slot).map_err(|e| (index as u32, e))?;
            }
        }
        Ok(())
    }

    /// A human label for the step at `index`, for error messages (`mount /usr`).
    pub(crate) fn label(&self, index: u32) -> String {
        if let (Some(root), true) = (&self.root, index as usize == self.ops.len()) {
            return format!(
                "root image {}",
                String::from_utf8_lossy(root.source.as_bytes())
            );
        }
        self.ops
            .get(index as usize)
            .map_or_else(|| format!("step {index}"), MountOp::label)
    }

    /// Child side: build the new root and enter it. On failure returns the stage, the plan
    /// index and the errno.
    pub(crate) fn enter(&self) -> Result<(), (Stage, u32, i32)> {
        let at = |stage: Stage| move |errno: i32| (stage, 0u32, errno);
        // 1. Nothing we mount may propagate to the host.
        sys::mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE, None)
            .map_err(at(Stage::MountPrivate))?;
        // 2. The new root: a tmpfs over /tmp of this mount namespace, entered at once; or the
        //    root image, as the lower layer of an overlay whose upper layer is that tmpfs.
        match &self.root {
            None => {
                sys::mount(
                    Some(c"tmpfs"),
                    c"/tmp",
                    Some(c"tmpfs"),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    Some(ROOT_TMPFS_OPTIONS),
                )
                .map_err(at(Stage::RootTmpfs))?;
                mkdir(c"/tmp/.oldroot", 0o700).map_err(at(Stage::OldRootDir))?;
                pivot(c"/tmp", c"/tmp/.oldroot").map_err(at(Stage::PivotRoot))?;
            }
            Some(root) => {
                sys::mount(
                    Some(c"tmpfs"),
                    c"/tmp",
                    Some(c"tmpfs"),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    Some(&root.upper_options),
                )
                .map_err(at(Stage::RootTmpfs))?;
                for (dir, mode) in [(c"/tmp/upper", 0o755), (c"/tmp/work", 0o700)] {
                    mkdir(dir, mode).map_err(at(Stage::RootImage))?;
                }
                mkdir(IMAGE_ROOT, 0o755).map_err(at(Stage::RootImage))?;
                sys::mount(
                    Some(c"overlay"),
                    IMAGE_ROOT,
                    Some(c"overlay"),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    Some(&root.overlay_options),
                )
                .map_err(at(Stage::RootImage))?;
                match mkdir(IMAGE_OLD_ROOT, 0o700) {
                    Ok(()) | Err(libc::EEXIST) => {}
                    Err(errno) => return Err((Stage::OldRootDir, 0, errno)),
                }
                pivot(IMAGE_ROOT, IMAGE_OLD_ROOT).map_err(at(Stage::PivotRoot))?;
            }
        }
        // 3. The plan.
        for (index, op) in self.ops.iter().enumerate() {
            op.apply()
                .map_err(|errno| (Stage::Mount, index as u32, errno))?;
        }
        // 4. Forget the host and freeze the root.
        // SAFETY: a NUL-terminated literal.
        let rc = unsafe { libc::umount2(c"/.oldroot".as_ptr(), libc::MNT_DETACH) };
        sys::check(rc as libc::c_long).map_err(at(Stage::DetachOldRoot))?;
        // SAFETY: a NUL-terminated literal.
        let rc = unsafe { libc::rmdir(c"/.oldroot".as_ptr()) };
        sys::check(rc as libc::c_long).map_err(at(Stage::DetachOldRoot))?;
        // A writable image root stays writable: its writes go to the run's own upper layer.
        if !self.root.as_ref().is_some_and(|r| r.writable) {
            sys::mount(
                None,
                c"/",
                None,
                libc::MS_REMOUNT
                    | libc::MS_BIND
                    | libc::MS_RDONLY
                    | libc::MS_NOSUID
                    | libc::MS_NODEV,
                None,
            )
            .map_err(at(Stage::RemountRoot))?;
        }
        Ok(())
    }
}

/// `pivot_root` into `new`, the old root moving to `old`, then into the new `/`.
fn pivot(new: &CStr, old: &CStr) -> Result<(), i32> {
    // SAFETY: both paths are NUL-terminated.
    let rc = unsafe { libc::syscall(libc::SYS_pivot_root, new.as_ptr(), old.as_ptr()) };
    sys::check(rc)?;
    // SAFETY: a NUL-terminated literal.
    let rc = unsafe { libc::chdir(c"/".as_ptr()) };
    sys::check(rc as libc::c_long).map(|_| ())
}

/// Open `source` as a path-only handle onto descriptor `slot` (raw system calls only).
fn open_onto(source: &CStr, slot: i32) -> Result<(), i32> {
    // SAFETY: `source` is NUL-terminated; O_PATH opens a handle without access.
    let fd = unsafe { libc::open(source.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(sys::errno());
    }
    if fd != slot {
        // SAFETY: moving the descriptor just opened onto its slot.
        let rc = unsafe { libc::dup3(fd, slot, libc::O_CLOEXEC) };
        let errno = sys::errno();
        // SAFETY: closing the descriptor just opened.
        unsafe { libc::close(fd) };
        if rc < 0 {
            return Err(errno);
        }
    }
    Ok(())
}

impl MountOp {
    /// Child side: perform this step.
    fn apply(&self) -> Result<(), i32> {
        match self {
            MountOp::Mkdir { path, mode } => match mkdir(path, *mode) {
                Err(libc::EEXIST) => Ok(()),
                other => other,
            },
            MountOp::Touch { path } => {
                // SAFETY: `path` is NUL-terminated; the descriptor is closed right away.
                let fd = unsafe {
                    libc::open(
                        path.as_ptr(),
                        libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                        0o644,
                    )
                };
                sys::check(fd as libc::c_long)?;
                // SAFETY: closing the descriptor just opened.
                unsafe { libc::close(fd) };
                Ok(())
            }
            MountOp::Symlink { target, link } => {
                // SAFETY: both are NUL-terminated strings.
                let rc = unsafe { libc::symlink(target.as_ptr(), link.as_ptr()) };
                sys::check(rc as libc::c_long).map(|_| ())
            }
            MountOp::Bind {
                via, target, flags, ..
            } => {
                sys::mount(Some(via), target, None, libc::MS_BIND | libc::MS_REC, None)?;
                // A bind ignores flags; they take effect on a remount, which must keep the flags
                // the host mount has locked.
                let locked = sys::mount_flags(target)? & LOCKED_FLAGS;
                sys::mount(
                    None,
                    target,
                    None,
                    libc::MS_REMOUNT | libc::MS_BIND | locked | flags,
                    None,
                )
            }
            MountOp::Tmpfs {
                target,
                flags,
                options,
            } => sys::mount(
                Some(c"tmpfs"),
                target,
                Some(c"tmpfs"),
                *flags,
                Some(options),
            ),
            MountOp::Proc { target } => sys::mount(
                Some(c"proc"),
                target,
                Some(c"proc"),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                Some(c"hidepid=2"),
            ),
        }
    }
}

fn mkdir(path: &CStr, mode: libc::mode_t) -> Result<(), i32> {
    // SAFETY: `path` is NUL-terminated.
    let rc = unsafe { libc::mkdir(path.as_ptr(), mode) };
    sys::check(rc as libc::c_long).map(|_| ())
}

/// Builds the operation list, tracking which directories exist in the new root.
#[derive(Default)]
struct Planner {
    ops: Vec<MountOp>,
    /// Directories already created in the root tmpfs.
    made: BTreeSet<PathBuf>,
    /// Targets of binds: what lies below them comes from the host and must not be created.
    binds: Vec<PathBuf>,
}

impl Planner {
    fn mount(&mut self, mount: &Mount) -> Result<(), SpecError> {
        let target = &mount.target;
        match &mount.kind {
            MountKind::Bind { source, writable } => {
                let meta = source
                    .symlink_metadata()
                    .map_err(|error| SpecError::MountSource {
                        path: source.clone(),
                        error,
                    })?;
                if meta.file_type().is_symlink() && source == target {
                    // A merged-/usr link such as /lib -> usr/lib stays a link inside.
                    let link = source.read_link().map_err(|error| SpecError::MountSource {
                        path: source.clone(),
                        error,
                    })?;
                    self.parents(target);
                    self.ops.push(MountOp::Symlink {
                        target: c_path(&link),
                        link: c_path(target),
                    });
                    return Ok(());
                }
                let real = source
                    .canonicalize()
                    .map_err(|error| SpecError::MountSource {
                        path: source.clone(),
                        error,
                    })?;
                if real.is_dir() {
                    self.dir(target);
                } else {
                    self.parents(target);
                    if !self.under_bind(target) {
                        self.ops.push(MountOp::Touch {
                            path: c_path(target),
                        });
                    }
                }
                let mut flags = libc::MS_NOSUID | libc::MS_NODEV;
                if !writable {
                    flags |= libc::MS_RDONLY;
                }
                self.bind(&real, target, flags);
            }
            MountKind::Tmpfs { size } => {
                self.dir(target);
                self.ops.push(MountOp::Tmpfs {
                    target: c_path(target),
                    flags: libc::MS_NOSUID | libc::MS_NODEV,
                    options: tmpfs_options(*size, 0o1777),
                });
            }
        }
        Ok(())
    }

    /// What every sandbox has: /proc, /dev and /tmp.
    fn system(&mut self, tmp_size: u64) {
        self.dir(Path::new("/proc"));
        self.ops.push(MountOp::Proc {
            target: c"/proc".to_owned(),
        });
        self.dir(Path::new("/dev"));
        for name in DEVICES {
            let dev = Path::new("/dev").join(name);
            self.ops.push(MountOp::Touch { path: c_path(&dev) });
            // Device binds must not be nodev, or the node cannot be opened.
            self.bind(
                &dev,
                &dev,
                libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_RDONLY,
            );
        }
        for (link, target) in [
            ("/dev/fd", "/proc/self/fd"),
            ("/dev/stdin", "/proc/self/fd/0"),
            ("/dev/stdout", "/proc/self/fd/1"),
            ("/dev/stderr", "/proc/self/fd/2"),
            ("/dev/shm", "/tmp"),
        ] {
            self.ops.push(MountOp::Symlink {
                target: c_path(Path::new(target)),
                link: c_path(Path::new(link)),
            });
        }
        self.dir(Path::new("/tmp"));
        self.ops.push(MountOp::Tmpfs {
            target: c"/tmp".to_owned(),
            flags: libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOATIME,
            options: tmp_options(tmp_size),
        });
    }

    fn bind(&mut self, host: &Path, target: &Path, flags: libc::c_ulong) {
        self.ops.push(MountOp::Bind {
            source: c_path(host),
            slot: -1,
            via: CString::default(),
            target: c_path(target),
            flags,
        });
        self.binds.push(target.to_owned());
    }

    fn under_bind(&self, path: &Path) -> bool {
        self.binds.iter().any(|b| path.starts_with(b))
    }

    /// Make `dir` and its parents, unless they come from a bind.
    fn dir(&mut self, dir: &Path) {
        self.parents(dir);
        self.mkdir(dir);
    }

    fn parents(&mut self, path: &Path) {
        let mut ancestors: Vec<&Path> = path.ancestors().skip(1).collect();
        ancestors.reverse();
        for a in ancestors {
            if a != Path::new("/") {
                self.mkdir(a);
            }
        }
    }

    fn mkdir(&mut self, dir: &Path) {
        if self.under_bind(dir) || !self.made.insert(dir.to_owned()) {
            return;
        }
        self.ops.push(MountOp::Mkdir {
            path: c_path(dir),
            mode: 0o755,
        });
    }
}

fn tmpfs_options(size: u64, mode: u32) -> CString {
    // Format is "size=<bytes>,mode=<octal>"; digits only, so never a NUL.
    CString::new(format!("size={size},mode={mode:o}")).unwrap_or_default()
}

/// The files `/tmp` may hold: one per 4 KiB page, at least 256, at most 65536 (a clean-up
/// between runs walks them all).
fn tmp_inodes(size: u64) -> u64 {
    (size / 4096).clamp(256, 65536)
}

fn tmp_options(size: u64) -> CString {
    CString::new(format!(
        "size={size},nr_inodes={},mode=1777",
        tmp_inodes(size)
    ))
    .unwrap_or_default()
}

/// Paths reaching here were validated NUL-free (spec) or come from the filesystem (no NULs).
fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(plan: &MountPlan) -> Vec<String> {
        (0..plan.ops.len() as u32).map(|i| plan.label(i)).collect()
    }

    #[test]
    fn nested_targets_get_their_parents_made_once() {
        let plan = MountPlan::new(
            &[
                Mount::read_only("/usr/bin", "/a/b/c"),
                Mount::read_only("/usr/lib", "/a/b/d"),
            ],
            1 << 20,
        )
        .unwrap();
        let l = labels(&plan);
        assert_eq!(l.iter().filter(|s| *s == "mkdir /a").count(), 1);
        assert_eq!(l.iter().filter(|s| *s == "mkdir /a/b").count(), 1);
        assert!(l.contains(&"mount /a/b/c".to_owned()));
    }

    #[test]
    fn nothing_is_created_inside_a_bind() {
        let plan = MountPlan::new(
            &[
                Mount::read_only("/usr", "/usr"),
                Mount::read_only("/usr/lib", "/usr/lib"),
            ],
            1 << 20,
        )
        .unwrap();
        let l = labels(&plan);
        assert!(!l.contains(&"mkdir /usr/lib".to_owned()), "{l:?}");
        assert!(l.contains(&"mount /usr/lib".to_owned()));
    }

    #[test]
    fn parents_are_mounted_before_children_whatever_the_order() {
        let plan = MountPlan::new(
            &[
                Mount::read_only("/usr/lib", "/usr/lib"),
                Mount::read_only("/usr", "/usr"),
            ],
            1 << 20,
        )
        .unwrap();
        let l = labels(&plan);
        let usr = l.iter().position(|s| s == "mount /usr").unwrap();
        let lib = l.iter().position(|s| s == "mount /usr/lib").unwrap();
        assert!(usr < lib);
    }

    #[test]
    fn binds_are_read_only_nosuid_nodev_unless_writable() {
        let dir = tempfile::tempdir().unwrap();
        let plan = MountPlan::new(
            &[
                Mount::read_only(dir.path(), "/ro"),
                Mount::writable(dir.path(), "/rw"),
            ],
            1 << 20,
        )
        .unwrap();
        let flags = |t: &str| {
            plan.ops.iter().find_map(|op| match op {
                MountOp::Bind { target, flags, .. } if target.as_bytes() == t.as_bytes() => {
                    Some(*flags)
                }
                _ => None,
            })
        };
        let ro = flags("/ro").unwrap();
        let rw = flags("/rw").unwrap();
        assert_eq!(ro & libc::MS_RDONLY, libc::MS_RDONLY);
        assert_eq!(rw & libc::MS_RDONLY, 0);
        for f in [ro, rw] {
            assert_eq!(
                f & (libc::MS_NOSUID | libc::MS_NODEV),
                libc::MS_NOSUID | libc::MS_NODEV
            );
        }
    }

    #[test]
    fn bind_sources_are_canonical_and_reached_through_their_slots() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).unwrap();
        let mut plan =
            MountPlan::new(&[Mount::read_only(dir.path().join("link"), "/x")], 1 << 20).unwrap();
        plan.assign_slots(40);
        let (source, via) = plan
            .ops
            .iter()
            .find_map(|op| match op {
                MountOp::Bind {
                    source,
                    via,
                    target,
                    ..
                } if target.as_bytes() == b"/x" => Some((source.clone(), via.clone())),
                _ => None,
            })
            .unwrap();
        assert_eq!(via.to_str().unwrap(), "/.oldroot/proc/self/fd/40");
        let expected = dir.path().join("real").canonicalize().unwrap();
        assert_eq!(source.to_str().unwrap(), expected.to_str().unwrap());
    }

    #[test]
    fn a_symlinked_system_dir_stays_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("usr/lib", dir.path().join("lib")).unwrap();
        let link = dir.path().join("lib");
        let plan = MountPlan::new(&[Mount::read_only(&link, &link)], 1 << 20).unwrap();
        assert!(plan.ops.iter().any(|op| matches!(op,
            MountOp::Symlink { target, .. } if target.as_bytes() == b"usr/lib")));
    }

    #[test]
    fn dev_holds_only_the_five_devices_read_only_and_not_nodev() {
        let plan = MountPlan::new(&[], 1 << 20).unwrap();
        let devs: Vec<_> = plan
            .ops
            .iter()
            .filter_map(|op| match op {
                MountOp::Bind { target, flags, .. } => Some((target.clone(), *flags)),
                _ => None,
            })
            .collect();
        assert_eq!(devs.len(), 5);
        for (target, flags) in devs {
            assert!(target.to_str().unwrap().starts_with("/dev/"));
            assert_eq!(flags & libc::MS_NODEV, 0);
            assert_eq!(flags & libc::MS_RDONLY, libc::MS_RDONLY);
        }
    }

    #[test]
    fn tmp_is_size_and_inode_capped_and_never_updates_atime() {
        let plan = MountPlan::new(&[], 16 << 20).unwrap();
        assert!(plan.ops.iter().any(|op| matches!(op,
            MountOp::Tmpfs { target, options, flags }
                if target.as_bytes() == b"/tmp"
                    && options.as_bytes() == b"size=16777216,nr_inodes=4096,mode=1777"
                    && flags & libc::MS_NOATIME != 0)));
    }
}

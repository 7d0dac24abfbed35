//! Every host directory a sandbox sees, and every host-side read of what a sandbox wrote.
//!
//! An engine keeps all its directories in one base, `<tmp>/judge/<engine id>`, mode 0700 and
//! owned by root, so that no other host user can reach into them; the sandbox reaches them
//! through its mounts, whose sources the sandbox child opens with the engine's rights. At
//! start ([`HostDirs::create`]):
//! 1. `<tmp>/judge` is made (root, 0700) or checked (a directory, not a link, root's, closed to
//!    others: anything else means someone else planted it, and is refused);
//! 2. under a lock on it, the base of every engine that is gone (its lock can be taken, see
//!    [`crate::lock`]) is removed: its mounts detached, its tree deleted;
//! 3. our base is made, locked for the engine's life, and bind-mounted on itself as a private
//!    mount, so the size-capped tmpfs mounts below it never propagate anywhere.
//!
//! Kinds of directory:
//! - [`SandboxDir`]: the sandbox may write there (a compile's `/work`, a validator's feedback
//!   directory, a worker's `/work` the engine fills). It belongs to the sandbox's host uid. With a
//!   [`Cap`] it is a tmpfs of that size and inode count, so whatever a run writes cannot take more
//!   than that (of memory, charged to the run's cgroup) and never takes host disk;
//! - [`ScratchDir`]: the engine's alone (0700), for the files it captures a run's streams in.
//!
//! Reading what a sandbox could write ([`read_file`]) opens the name relative to its directory,
//! with `O_NOFOLLOW`, checks with `fstat` that it is a regular file, and reads at most a cap: a
//! run cannot point the engine at a host file with a link. Copying ([`copy_tree`]) walks one
//! tree with the same rules: directories and regular files are copied, symbolic links recreated
//! as they are (never followed), anything else skipped.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::lock::{sweep_and_claim, DirLock, EngineId};

pub mod beneath;

/// Held shared by every clone of a sandbox, exclusively while the engine has a copied file open
/// for writing: a clone copies the engine's descriptors, and a file the child holds open for
/// writing cannot be executed (ETXTBSY) by any sandbox until the child closes it.
static WRITING: RwLock<()> = RwLock::new(());

/// Taken around the clone of a sandbox (or any child of the engine).
pub(crate) fn cloning() -> RwLockReadGuard<'static, ()> {
    WRITING.read().unwrap_or_else(|p| p.into_inner())
}

fn writing() -> RwLockWriteGuard<'static, ()> {
    WRITING.write().unwrap_or_else(|p| p.into_inner())
}

/// Why a host directory could not be made, read or copied; names the path.
#[derive(Debug, thiserror::Error)]
pub enum HostDirError {
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{} must be a directory owned by the engine's user (root, or yours when rootless) and \
         closed to other users (mode 0700); it is not, so someone else may have made it: \
         remove it, or point TMPDIR elsewhere",
        path.display()
    )]
    Untrusted { path: PathBuf },
    #[error("{} is not a regular file", path.display())]
    NotAFile { path: PathBuf },
    #[error("{} is not a relative path of plain names (no `..`, no leading `/`)", path.display())]
    NotBeneath { path: PathBuf },
}

impl HostDirError {
    fn io(op: &'static str, path: &Path, source: io::Error) -> HostDirError {
        HostDirError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A cap on a writable directory: at most `bytes`, at most `inodes` files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cap {
    pub bytes: u64,
    pub inodes: u64,
}

impl Cap {
    /// `bytes`, and a file per 16 KiB of it (at least 1024, at most a million).
    pub fn bytes(bytes: u64) -> Cap {
        Cap {
            bytes,
            inodes: (bytes / (16 << 10)).clamp(1024, 1 << 20),
        }
    }
}

/// The engine's base of host directories, seen as one owner: the sandboxes of each pool worker
/// have a host uid of their own, and their directories belong to it ([`HostDirs::owned_by`]).
#[derive(Clone, Debug)]
pub struct HostDirs {
    base: std::sync::Arc<Base>,
    /// The sandbox's host uid and gid, owners of every [`SandboxDir`] made through this view.
    owner: (u32, u32),
}

/// The base itself, shared by every view; removed with the last.
#[derive(Debug)]
struct Base {
    path: PathBuf,
    /// The base is a private mount: capped directories can be mounted below it.
    private: bool,
    next: AtomicU64,
    warnings: Vec<String>,
    _lock: DirLock,
}

impl HostDirs {
    /// Make (or check) `<tmp>/judge`, sweep the bases of engines that are gone, and make ours.
    pub fn create(id: &EngineId, owner: (u32, u32)) -> Result<HostDirs, HostDirError> {
        HostDirs::create_in(&std::env::temp_dir().join("judge"), id, owner)
    }

    /// [`HostDirs::create`] for an unprivileged engine (rootless): `<tmp>/judge-<uid>`, owned
    /// by that user and closed to others, holds the bases of that user's engines.
    pub fn create_for_user(id: &EngineId, owner: (u32, u32)) -> Result<HostDirs, HostDirError> {
        let root = std::env::temp_dir().join(format!("judge-{}", owner.0));
        HostDirs::create_owned(&root, id, owner, owner.0)
    }

    /// [`HostDirs::create`] with the engines' directories in `root`.
    pub fn create_in(
        root: &Path,
        id: &EngineId,
        owner: (u32, u32),
    ) -> Result<HostDirs, HostDirError> {
        HostDirs::create_owned(root, id, owner, 0)
    }

    /// `root` must belong to `root_owner`.
    fn create_owned(
        root: &Path,
        id: &EngineId,
        owner: (u32, u32),
        root_owner: u32,
    ) -> Result<HostDirs, HostDirError> {
        let root = root.to_path_buf();
        match std::fs::DirBuilder::new().mode(0o700).create(&root) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(HostDirError::io("mkdir", &root, e)),
        }
        let meta =
            std::fs::symlink_metadata(&root).map_err(|e| HostDirError::io("stat", &root, e))?;
        if !meta.is_dir() || meta.uid() != root_owner || meta.mode() & 0o077 != 0 {
            return Err(HostDirError::Untrusted { path: root });
        }
        let base = root.join(id.as_str());
        let (lock, swept) = sweep_and_claim(
            &root,
            id,
            EngineId::parse,
            || {
                std::fs::DirBuilder::new()
                    .mode(0o700)
                    .create(&base)
                    .map_err(|e| HostDirError::io("mkdir", &base, e))?;
                Ok(base.clone())
            },
            HostDirError::io,
        )?;
        let mut warnings = Vec::new();
        for (_, stale) in swept.stale {
            if let Err(e) = remove_tree(stale.path()) {
                warnings.push(format!(
                    "could not remove the directories of an engine that is gone: {e}"
                ));
            }
        }
        let private = match make_private(&base) {
            Ok(()) => true,
            Err(e) => {
                warnings.push(format!(
                    "writable sandbox directories are not size-capped: a private mount of {} \
                     failed ({e}), so compiles and validators may fill the host's disk",
                    base.display()
                ));
                false
            }
        };
        Ok(HostDirs {
            base: std::sync::Arc::new(Base {
                path: base,
                private,
                next: AtomicU64::new(1),
                warnings,
                _lock: lock,
            }),
            owner,
        })
    }

    /// The same base, with the directories it makes from now on given to `owner`.
    pub fn owned_by(&self, owner: (u32, u32)) -> HostDirs {
        HostDirs {
            base: self.base.clone(),
            owner,
        }
    }

    pub fn base(&self) -> &Path {
        &self.base.path
    }

    /// What the start-up could not do, one sentence each.
    pub fn warnings(&self) -> &[String] {
        &self.base.warnings
    }

    fn fresh_path(&self, kind: &str) -> PathBuf {
        let n = self.base.next.fetch_add(1, Ordering::Relaxed);
        self.base.path.join(format!("{kind}-{n}"))
    }

    /// A directory the sandbox may write, owned by its host uid; capped by a tmpfs with `cap`.
    pub fn sandbox_dir(&self, kind: &str, cap: Option<Cap>) -> Result<SandboxDir, HostDirError> {
        let path = self.fresh_path(kind);
        std::fs::DirBuilder::new()
            .mode(0o755)
            .create(&path)
            .map_err(|e| HostDirError::io("mkdir", &path, e))?;
        let mut dir = SandboxDir {
            path,
            mounted: false,
        };
        match cap {
            Some(cap) if self.base.private => {
                mount_tmpfs(&dir.path, cap, self.owner)?;
                dir.mounted = true;
            }
            _ => std::os::unix::fs::chown(&dir.path, Some(self.owner.0), Some(self.owner.1))
                .map_err(|e| HostDirError::io("chown", &dir.path, e))?,
        }
        Ok(dir)
    }

    /// A directory for the engine alone.
    pub fn scratch_dir(&self, kind: &str) -> Result<ScratchDir, HostDirError> {
        let path = self.fresh_path(kind);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| HostDirError::io("mkdir", &path, e))?;
        Ok(ScratchDir { path })
    }

    /// Write `bytes` as the new file `path` (in a [`SandboxDir`]) with permission bits `mode`
    /// and give it to the sandbox's host uid; no sandbox is cloned while it is open for writing
    /// (see `WRITING`).
    pub fn write_given(&self, path: &Path, bytes: &[u8], mode: u32) -> Result<(), HostDirError> {
        let no_clone = writing();
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode & 0o777)
            .open(path)
            .and_then(|mut file| {
                file.write_all(bytes)?;
                // The umask may have cleared bits of `mode`.
                file.set_permissions(std::fs::Permissions::from_mode(mode & 0o777))
            })
            .map_err(|e| HostDirError::io("write", path, e))?;
        drop(no_clone);
        self.give(path)
    }

    /// Give `path` (in a [`SandboxDir`]) to the sandbox's host uid.
    pub fn give(&self, path: &Path) -> Result<(), HostDirError> {
        std::os::unix::fs::lchown(path, Some(self.owner.0), Some(self.owner.1))
            .map_err(|e| HostDirError::io("chown", path, e))
    }

    /// The sandbox's host uid and gid.
    pub fn owner(&self) -> (u32, u32) {
        self.owner
    }
}

impl Drop for Base {
    fn drop(&mut self) {
        let _ = remove_tree(&self.path);
    }
}

/// A directory the sandbox may write (see the module comment); removed when dropped.
#[derive(Debug)]
pub struct SandboxDir {
    path: PathBuf,
    mounted: bool,
}

impl SandboxDir {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether a tmpfs caps it.
    pub fn is_capped(&self) -> bool {
        self.mounted
    }
}

impl Drop for SandboxDir {
    fn drop(&mut self) {
        if self.mounted {
            detach(&self.path);
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A directory for the engine alone; removed when dropped.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Bind `dir` on itself and make that mount private.
fn make_private(dir: &Path) -> io::Result<()> {
    use nix::mount::{mount, MsFlags};
    mount(Some(dir), dir, None::<&str>, MsFlags::MS_BIND, None::<&str>)?;
    mount(
        None::<&str>,
        dir,
        None::<&str>,
        MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .inspect_err(|_| detach(dir))?;
    Ok(())
}

fn mount_tmpfs(dir: &Path, cap: Cap, owner: (u32, u32)) -> Result<(), HostDirError> {
    use nix::mount::{mount, MsFlags};
    let options = format!(
        "size={},nr_inodes={},mode=0755,uid={},gid={}",
        cap.bytes, cap.inodes, owner.0, owner.1
    );
    mount(
        Some("tmpfs"),
        dir,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(options.as_str()),
    )
    .map_err(|e| HostDirError::io("mount a tmpfs on", dir, e.into()))
}

fn detach(dir: &Path) {
    let _ = nix::mount::umount2(dir, nix::mount::MntFlags::MNT_DETACH);
}

/// Detach every mount at or below `dir` (deepest first), then delete the tree.
fn remove_tree(dir: &Path) -> Result<(), HostDirError> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| HostDirError::io("read", Path::new("/proc/self/mountinfo"), e))?;
    let mut points: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|p| PathBuf::from(unescape(p)))
        .filter(|p| p.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for point in points {
        detach(&point);
    }
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(HostDirError::io("remove", dir, e)),
    }
}

/// mountinfo writes space, tab, newline and backslash in paths as `\ooo` octal escapes.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i + 1..i + 4) {
            Some(d) if bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Open `name` in the directory `dir` without following a link at either end.
fn open_in(dir: &OwnedFd, name: &[u8], flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let name = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: a valid directory descriptor and a NUL-terminated name; the result is checked.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            mode,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openat just returned this descriptor and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(path)?;
    Ok(file.into())
}

/// At most `cap` bytes of the regular file `name` in `dir`, a directory a sandbox may have
/// written: `Ok(None)` when there is no such file; an error when it is a link, a directory, a
/// device or a pipe. Never follows a link, never blocks on a FIFO.
pub fn read_file(dir: &Path, name: &str, cap: usize) -> Result<Option<Vec<u8>>, HostDirError> {
    let Some((file, _)) = beneath::open_file(dir, Path::new(name))? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.take(cap as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| HostDirError::io("read", &dir.join(name), e))?;
    Ok(Some(bytes))
}

/// What [`copy_tree`] does with a symbolic link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// Recreate it as it is, never following it: the tree was written by a sandbox.
    Keep,
    /// Copy what it points to: the tree is a package's, trusted like the package.
    Follow,
}

/// Copy the tree `from` into the existing directory `to`: directories and regular files (with
/// their permission bits), links as `links` says, nothing else. With `owner`, everything copied
/// is given to it.
pub fn copy_tree(
    from: &Path,
    to: &Path,
    links: Links,
    owner: Option<(u32, u32)>,
) -> Result<(), HostDirError> {
    copy_root(from, to, links, owner, None)
}

/// As [`copy_tree`], with each UTF-8 file's text passed through `rewrite` on the way (a
/// package's constants replaced in a validator's sources); other files are copied as they are.
pub fn copy_tree_rewriting(
    from: &Path,
    to: &Path,
    links: Links,
    owner: Option<(u32, u32)>,
    rewrite: &dyn Fn(&str) -> String,
) -> Result<(), HostDirError> {
    copy_root(from, to, links, owner, Some(rewrite))
}

fn copy_root(
    from: &Path,
    to: &Path,
    links: Links,
    owner: Option<(u32, u32)>,
    rewrite: Rewrite<'_>,
) -> Result<(), HostDirError> {
    let src = match links {
        Links::Keep => open_dir(from),
        Links::Follow => std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(from)
            .map(OwnedFd::from),
    }
    .map_err(|e| HostDirError::io("open", from, e))?;
    let dst = open_dir(to).map_err(|e| HostDirError::io("open", to, e))?;
    copy_dir(&src, from, &dst, to, links, owner, rewrite)
}

/// What a copy does to the text of the files it copies, if anything.
type Rewrite<'a> = Option<&'a dyn Fn(&str) -> String>;

fn copy_dir(
    src: &OwnedFd,
    from: &Path,
    dst: &OwnedFd,
    to: &Path,
    links: Links,
    owner: Option<(u32, u32)>,
    rewrite: Rewrite<'_>,
) -> Result<(), HostDirError> {
    // Listing through the descriptor, not the path: nothing swapped in can redirect it.
    let listing = format!("/proc/self/fd/{}", src.as_raw_fd());
    let entries = std::fs::read_dir(&listing).map_err(|e| HostDirError::io("list", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| HostDirError::io("list", from, e))?;
        let name = entry.file_name();
        let name = name.as_bytes();
        let source = from.join(entry.file_name());
        let target = to.join(entry.file_name());
        let follow = if links == Links::Follow {
            0
        } else {
            libc::AT_SYMLINK_NOFOLLOW
        };
        let meta = fstatat(src, name, follow).map_err(|e| HostDirError::io("stat", &source, e))?;
        match meta.st_mode & libc::S_IFMT {
            libc::S_IFDIR => {
                mkdirat(dst, name, 0o755).map_err(|e| HostDirError::io("mkdir", &target, e))?;
                let sub_src = open_in(src, name, libc::O_RDONLY | libc::O_DIRECTORY, 0)
                    .or_else(|e| match links {
                        Links::Follow if e.raw_os_error() == Some(libc::ELOOP) => {
                            open_dir_following(&source)
                        }
                        _ => Err(e),
                    })
                    .map_err(|e| HostDirError::io("open", &source, e))?;
                let sub_dst = open_in(dst, name, libc::O_RDONLY | libc::O_DIRECTORY, 0)
                    .map_err(|e| HostDirError::io("open", &target, e))?;
                give(owner, &target)?;
                copy_dir(&sub_src, &source, &sub_dst, &target, links, owner, rewrite)?;
            }
            libc::S_IFREG => {
                let input = match links {
                    Links::Keep => open_in(src, name, libc::O_RDONLY | libc::O_NONBLOCK, 0),
                    Links::Follow => File::open(&source).map(OwnedFd::from),
                }
                .map_err(|e| HostDirError::io("open", &source, e))?;
                let mut input = File::from(input);
                if !input.metadata().is_ok_and(|m| m.is_file()) {
                    continue;
                }
                let mode = meta.st_mode & 0o777;
                // No sandbox is cloned while the copy is open for writing (see `WRITING`).
                let no_clone = writing();
                let output = open_in(
                    dst,
                    name,
                    libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
                    mode,
                )
                .map_err(|e| HostDirError::io("create", &target, e))?;
                let mut output = File::from(output);
                match rewrite {
                    None => io::copy(&mut input, &mut output).map(drop),
                    Some(rewrite) => {
                        let mut bytes = Vec::new();
                        input
                            .read_to_end(&mut bytes)
                            .and_then(|_| match String::from_utf8(bytes) {
                                Ok(text) => output.write_all(rewrite(&text).as_bytes()),
                                Err(not_text) => output.write_all(not_text.as_bytes()),
                            })
                    }
                }
                .and_then(|_| output.flush())
                .map_err(|e| HostDirError::io("copy", &source, e))?;
                output
                    .set_permissions(std::fs::Permissions::from_mode(mode))
                    .map_err(|e| HostDirError::io("chmod", &target, e))?;
                drop(output);
                drop(no_clone);
                give(owner, &target)?;
            }
            libc::S_IFLNK => {
                let link = std::fs::read_link(&source)
                    .map_err(|e| HostDirError::io("read the link", &source, e))?;
                std::os::unix::fs::symlink(&link, &target)
                    .map_err(|e| HostDirError::io("create the link", &target, e))?;
                give(owner, &target)?;
            }
            // FIFOs, sockets, devices: nothing a judge needs, and dangerous to open.
            _ => {}
        }
    }
    Ok(())
}

fn open_dir_following(path: &Path) -> io::Result<OwnedFd> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(path)
        .map(OwnedFd::from)
}

fn give(owner: Option<(u32, u32)>, path: &Path) -> Result<(), HostDirError> {
    match owner {
        Some((uid, gid)) => std::os::unix::fs::lchown(path, Some(uid), Some(gid))
            .map_err(|e| HostDirError::io("chown", path, e)),
        None => Ok(()),
    }
}

fn fstatat(dir: &OwnedFd, name: &[u8], flags: i32) -> io::Result<libc::stat> {
    let name = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: an all-zero stat is valid to overwrite.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a valid directory descriptor, a NUL-terminated name and a valid out-pointer.
    let rc = unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), &mut st, flags) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st)
}

fn mkdirat(dir: &OwnedFd, name: &[u8], mode: libc::mode_t) -> io::Result<()> {
    let name = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: a valid directory descriptor and a NUL-terminated name.
    let rc = unsafe { libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), mode) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Make `dir` as new for the next run that writes it: empty (see [`empty_dir`]), mode 0755,
/// owned by `owner`, whatever the last run did to it.
pub fn renew_dir(dir: &Path, owner: (u32, u32)) -> Result<(), HostDirError> {
    empty_dir(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| HostDirError::io("chmod", dir, e))?;
    std::os::unix::fs::lchown(dir, Some(owner.0), Some(owner.1))
        .map_err(|e| HostDirError::io("chown", dir, e))
}

/// Remove everything in `dir` (but not `dir`), never following a link out of it.
pub fn empty_dir(dir: &Path) -> Result<(), HostDirError> {
    for entry in std::fs::read_dir(dir).map_err(|e| HostDirError::io("list", dir, e))? {
        let entry = entry.map_err(|e| HostDirError::io("list", dir, e))?;
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        }
        .map_err(|e| HostDirError::io("remove", &path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_file_reads_a_regular_file_up_to_its_cap() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("msg"), "hello world").unwrap();
        assert_eq!(
            read_file(dir.path(), "msg", 5).unwrap().unwrap(),
            b"hello".to_vec()
        );
        assert_eq!(read_file(dir.path(), "absent", 5).unwrap(), None);
    }

    #[test]
    fn read_file_refuses_links_directories_and_fifos() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "host secret").unwrap();
        std::os::unix::fs::symlink(&secret, dir.path().join("link")).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        nix::unistd::mkfifo(&dir.path().join("fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        for name in ["link", "sub", "fifo"] {
            let err = read_file(dir.path(), name, 100).unwrap_err();
            assert!(
                matches!(err, HostDirError::NotAFile { .. }),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn copy_tree_keeps_links_as_links_and_skips_fifos() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        let secret = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(secret.path(), "host secret").unwrap();
        std::fs::write(from.path().join("a"), "1").unwrap();
        std::fs::set_permissions(
            from.path().join("a"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::fs::create_dir(from.path().join("d")).unwrap();
        std::fs::write(from.path().join("d/b"), "2").unwrap();
        std::os::unix::fs::symlink(secret.path(), from.path().join("exe")).unwrap();
        std::os::unix::fs::symlink("/etc", from.path().join("d/etc")).unwrap();
        nix::unistd::mkfifo(&from.path().join("fifo"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        copy_tree(from.path(), to.path(), Links::Keep, None).unwrap();
        assert_eq!(std::fs::read_to_string(to.path().join("a")).unwrap(), "1");
        let mode = std::fs::metadata(to.path().join("a")).unwrap().mode();
        assert_eq!(mode & 0o777, 0o755);
        assert_eq!(std::fs::read_to_string(to.path().join("d/b")).unwrap(), "2");
        let exe = to.path().join("exe");
        assert!(std::fs::symlink_metadata(&exe)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_link(&exe).unwrap(), secret.path());
        assert!(std::fs::symlink_metadata(to.path().join("d/etc"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(!to.path().join("fifo").exists());
    }

    #[test]
    fn copy_tree_of_a_package_follows_its_links() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        let shared = tempfile::tempdir().unwrap();
        std::fs::write(shared.path().join("testlib.h"), "//").unwrap();
        std::os::unix::fs::symlink(
            shared.path().join("testlib.h"),
            from.path().join("testlib.h"),
        )
        .unwrap();
        copy_tree(from.path(), to.path(), Links::Follow, None).unwrap();
        let copied = to.path().join("testlib.h");
        assert!(std::fs::symlink_metadata(&copied).unwrap().is_file());
        assert_eq!(std::fs::read_to_string(copied).unwrap(), "//");
    }

    fn root_only() -> bool {
        if nix::unistd::geteuid().is_root() {
            return true;
        }
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "this test needs root and CI=true"
        );
        false
    }

    #[test]
    fn an_engines_root_someone_else_could_have_made_is_refused() {
        if !root_only() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let id = EngineId::random().unwrap();
        let owned = tmp.path().join("owned");
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&owned)
            .unwrap();
        std::os::unix::fs::chown(&owned, Some(60000), Some(60000)).unwrap();
        let open = tmp.path().join("open");
        std::fs::DirBuilder::new()
            .mode(0o777)
            .create(&open)
            .unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(tmp.path(), &link).unwrap();
        for root in [owned, open, link] {
            let err = HostDirs::create_in(&root, &id, (60000, 60000)).unwrap_err();
            assert!(
                matches!(err, HostDirError::Untrusted { .. }),
                "{}: {err}",
                root.display()
            );
        }
    }

    #[test]
    fn a_gone_engines_base_is_swept_with_its_mounts_and_a_live_ones_kept() {
        if !root_only() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("judge");
        let gone =
            HostDirs::create_in(&root, &EngineId::random().unwrap(), (60000, 60000)).unwrap();
        let live =
            HostDirs::create_in(&root, &EngineId::random().unwrap(), (60000, 60000)).unwrap();
        let capped = gone.sandbox_dir("work", Some(Cap::bytes(1 << 20))).unwrap();
        assert!(capped.is_capped());
        let gone_base = gone.base().to_path_buf();
        // The engine "crashes": nothing of it is removed, its lock goes.
        std::mem::forget(capped);
        let lock = unsafe_forget_but_unlock(gone);
        drop(lock);
        let next =
            HostDirs::create_in(&root, &EngineId::random().unwrap(), (60000, 60000)).unwrap();
        assert!(!gone_base.exists(), "the gone engine's base survived");
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        assert!(
            !mounts.contains(gone_base.to_str().unwrap()),
            "its mounts survived"
        );
        assert!(live.base().is_dir());
        drop(next);
        drop(live);
    }

    /// Leak everything of `dirs` but its lock, which is returned: what a killed engine leaves.
    fn unsafe_forget_but_unlock(dirs: HostDirs) -> DirLock {
        let base = std::sync::Arc::try_unwrap(dirs.base).expect("the only view of the base");
        let base = std::mem::ManuallyDrop::new(base);
        // SAFETY: `base` is never used or dropped again; only its lock is moved out.
        unsafe { std::ptr::read(&base._lock) }
    }

    #[test]
    fn a_capped_directory_is_a_tmpfs_of_the_cap_owned_by_the_sandbox() {
        if !root_only() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dirs = HostDirs::create_in(
            &tmp.path().join("judge"),
            &EngineId::random().unwrap(),
            (60000, 60001),
        )
        .unwrap();
        let dir = dirs.sandbox_dir("work", Some(Cap::bytes(1 << 20))).unwrap();
        let fs = nix::sys::statfs::statfs(dir.path()).unwrap();
        assert_eq!(fs.filesystem_type(), nix::sys::statfs::TMPFS_MAGIC);
        assert_eq!(fs.blocks() * fs.block_size() as u64, 1 << 20);
        let meta = std::fs::metadata(dir.path()).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (60000, 60001));
        let base = std::fs::metadata(dirs.base()).unwrap();
        assert_eq!((base.uid(), base.mode() & 0o777), (0, 0o700));
        let path = dir.path().to_path_buf();
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn mountinfo_paths_are_unescaped() {
        assert_eq!(unescape("/tmp/a\\040b"), "/tmp/a b");
        assert_eq!(unescape("/plain"), "/plain");
    }
}

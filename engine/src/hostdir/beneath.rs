//! Files at a relative path below a directory a sandbox writes: put there by the engine before a
//! run, taken out after it, never through a link.
//!
//! A service's clients name files by paths such as `out/result.txt` in a run's working
//! directory. The program may have made any of those components a link (`out -> /etc`), so
//! every step is taken relative to the directory opened before it, with `O_NOFOLLOW`: a
//! directory on the way must be a real directory, the last component a regular file. A path is
//! relative, with only plain components (no `..`, no `.`, no empty one).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path};

use super::{mkdirat, open_dir, open_in, writing, HostDirError};

/// The components of `rel`, each a plain name; an error naming `rel` otherwise.
fn components(rel: &Path) -> Result<Vec<&[u8]>, HostDirError> {
    let mut names = Vec::new();
    for component in rel.components() {
        match component {
            Component::Normal(name) => names.push(name.as_bytes()),
            _ => return Err(HostDirError::NotBeneath { path: rel.into() }),
        }
    }
    if names.is_empty() || rel.as_os_str().as_bytes().ends_with(b"/") {
        return Err(HostDirError::NotBeneath { path: rel.into() });
    }
    Ok(names)
}

/// Give the open file or directory `fd` to `owner`.
fn give(fd: &impl std::os::fd::AsFd, owner: (u32, u32)) -> io::Result<()> {
    nix::unistd::fchown(
        fd,
        Some(nix::unistd::Uid::from_raw(owner.0)),
        Some(nix::unistd::Gid::from_raw(owner.1)),
    )
    .map_err(io::Error::from)
}

/// Whether `rel` is a path [`open_file`] and [`write_file`] accept.
pub fn is_plain_relative(rel: &Path) -> bool {
    components(rel).is_ok()
}

/// Open each directory on the way to the last component of `rel`; with `make`, create the
/// missing ones (mode 0755, given to `make`'s owner). Returns the last directory and the last
/// name, or `None` when a directory is missing and not made.
fn walk<'a>(
    dir: &Path,
    rel: &'a Path,
    make: Option<(u32, u32)>,
) -> Result<Option<(OwnedFd, &'a [u8])>, HostDirError> {
    let names = components(rel)?;
    let mut here = open_dir(dir).map_err(|e| HostDirError::io("open", dir, e))?;
    let (last, parents) = names.split_last().expect("components are never empty");
    for name in parents {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY;
        let next = match open_in(&here, name, flags, 0) {
            Ok(fd) => fd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => match make {
                None => return Ok(None),
                Some(owner) => mkdirat(&here, name, 0o755)
                    .and_then(|()| open_in(&here, name, flags, 0))
                    .and_then(|fd| give(&fd, owner).map(|()| fd))
                    .map_err(|e| HostDirError::io("mkdir", &dir.join(rel), e))?,
            },
            // A link (ELOOP) or a file (ENOTDIR) where a directory should be.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)) => {
                return Err(HostDirError::NotAFile {
                    path: dir.join(rel),
                })
            }
            Err(e) => return Err(HostDirError::io("open", &dir.join(rel), e)),
        };
        here = next;
    }
    Ok(Some((here, last)))
}

/// The regular file at `rel` below `dir` and its size, opened for reading without following a
/// link anywhere on the way: `Ok(None)` when it does not exist; [`HostDirError::NotAFile`]
/// when it, or a directory on its way, is a link, a directory, a device or a pipe.
pub fn open_file(dir: &Path, rel: &Path) -> Result<Option<(File, u64)>, HostDirError> {
    let path = dir.join(rel);
    let Some((parent, name)) = walk(dir, rel, None)? else {
        return Ok(None);
    };
    let fd = match open_in(&parent, name, libc::O_RDONLY | libc::O_NONBLOCK, 0) {
        Ok(fd) => fd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(HostDirError::NotAFile { path })
        }
        Err(e) => return Err(HostDirError::io("open", &path, e)),
    };
    let file = File::from(fd);
    let meta = file
        .metadata()
        .map_err(|e| HostDirError::io("stat", &path, e))?;
    if !meta.is_file() {
        return Err(HostDirError::NotAFile { path });
    }
    Ok(Some((file, meta.len())))
}

/// Create the new file `rel` below `dir` (and the directories on its way) with what `from`
/// reads, permission bits `mode`, everything given to `owner`. Returns the bytes written. No
/// sandbox is cloned while the file is open for writing (a clone would hold it open, and an
/// executable open for writing cannot run).
pub fn write_file(
    dir: &Path,
    rel: &Path,
    from: &mut dyn Read,
    mode: u32,
    owner: (u32, u32),
) -> Result<u64, HostDirError> {
    let path = dir.join(rel);
    let (parent, name) = walk(dir, rel, Some(owner))?.expect("missing directories are made");
    let no_clone = writing();
    let fd = open_in(
        &parent,
        name,
        libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
        mode & 0o777,
    )
    .map_err(|e| HostDirError::io("create", &path, e))?;
    let mut file = File::from(fd);
    let written = io::copy(from, &mut file)
        .and_then(|n| {
            file.flush()?;
            // The umask may have cleared bits of `mode`.
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o777))?;
            give(&file, owner)?;
            Ok(n)
        })
        .map_err(|e| HostDirError::io("write", &path, e))?;
    drop(file);
    drop(no_clone);
    Ok(written)
}

/// Create the link `rel` below `dir` pointing at `target` (resolved in the sandbox's view,
/// never by the engine), owned by `owner`.
pub fn symlink(
    dir: &Path,
    rel: &Path,
    target: &Path,
    owner: (u32, u32),
) -> Result<(), HostDirError> {
    let path = dir.join(rel);
    let (parent, name) = walk(dir, rel, Some(owner))?.expect("missing directories are made");
    let name = std::ffi::OsStr::from_bytes(name);
    nix::unistd::symlinkat(target, &parent, name)
        .and_then(|()| {
            nix::unistd::fchownat(
                &parent,
                name,
                Some(nix::unistd::Uid::from_raw(owner.0)),
                Some(nix::unistd::Gid::from_raw(owner.1)),
                nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
            )
        })
        .map_err(|e| HostDirError::io("symlink", &path, e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> (u32, u32) {
        (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        )
    }

    #[test]
    fn a_file_written_below_reads_back_with_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let rel = Path::new("a/b/c.txt");
        let n = write_file(dir.path(), rel, &mut &b"hello"[..], 0o755, me()).unwrap();
        assert_eq!(n, 5);
        let (mut file, len) = open_file(dir.path(), rel).unwrap().unwrap();
        assert_eq!(len, 5);
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "hello");
        let mode = std::fs::metadata(dir.path().join(rel))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        assert!(open_file(dir.path(), Path::new("a/none"))
            .unwrap()
            .is_none());
        assert!(open_file(dir.path(), Path::new("z/none"))
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_link_anywhere_on_the_way_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "host secret").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("d")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("f")).unwrap();
        for rel in ["d/secret", "f"] {
            let err = open_file(dir.path(), Path::new(rel)).unwrap_err();
            assert!(matches!(err, HostDirError::NotAFile { .. }), "{rel}: {err}");
        }
        // Nor written through: the link's target stays as it was.
        let err = write_file(dir.path(), Path::new("d/new"), &mut &b"x"[..], 0o644, me());
        assert!(err.is_err());
        assert!(!outside.path().join("new").exists());
    }

    #[test]
    fn paths_that_leave_or_are_not_plain_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for rel in ["../x", "/etc/passwd", "a/../b", "./a", "", "a/"] {
            assert!(!is_plain_relative(Path::new(rel)), "{rel}");
            let err = open_file(dir.path(), Path::new(rel)).unwrap_err();
            assert!(
                matches!(err, HostDirError::NotBeneath { .. }),
                "{rel}: {err}"
            );
        }
        assert!(is_plain_relative(Path::new("a/b.c")));
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        write_file(dir.path(), Path::new("x"), &mut &b"1"[..], 0o644, me()).unwrap();
        assert!(write_file(dir.path(), Path::new("x"), &mut &b"2"[..], 0o644, me()).is_err());
        assert_eq!(std::fs::read_to_string(dir.path().join("x")).unwrap(), "1");
    }

    #[test]
    fn links_are_made_as_given_and_not_read_through() {
        let dir = tempfile::tempdir().unwrap();
        symlink(
            dir.path(),
            Path::new("l/shadow"),
            Path::new("/etc/shadow"),
            me(),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_link(dir.path().join("l/shadow")).unwrap(),
            Path::new("/etc/shadow")
        );
        assert!(open_file(dir.path(), Path::new("l/shadow")).is_err());
    }
}

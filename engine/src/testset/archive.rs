//! Unpacking an uploaded problem package (a tar, a gzip-compressed tar or a zip) into a fresh
//! directory.
//!
//! The archive comes from the network: nothing in it is trusted, not its paths, not its kinds
//! of entry, not the sizes its headers declare. The steps, in order:
//! 1. tell the format by its magic bytes ([`ArchiveKind::detect`]);
//! 2. check each entry's path (relative, no `..`, no NUL) and kind (a file, a directory, or a
//!    symbolic link whose target, resolved lexically, stays inside the package);
//! 3. write files and directories through directories the unpacker made itself: each directory
//!    on the way is checked with `symlink_metadata` to be a real one, each file is created with
//!    `O_NOFOLLOW | O_EXCL`, and its bytes are counted as they are written, against
//!    [`ArchiveLimits`];
//! 4. make the symbolic links last, once nothing more is written, so that no entry can be
//!    written through a link another entry planted; each target is written in normal form
//!    (`..` first, then names), so that the kernel, following it, goes where the lexical check
//!    said it would.
//!
//! Sizes are what is written, never what a header says. A tar stream is also capped as it is
//! decompressed (the content allowed, plus room per entry for its headers), so that entries the
//! unpacker skips, or reads whole as metadata, cannot make a gzip bomb either.
//!
//! Modes are the unpacker's, not the archive's: files 0644, or 0755 when the archive gave them
//! any execute bit (validators, `build` and `run` scripts); directories 0755. Owners, times and
//! setuid, setgid and sticky bits are dropped.
//!
//! On error, `dest` keeps what was unpacked so far (never more than the limits allow); the
//! caller removes it.

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::cell::Cell;
use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::io::{self, Cursor, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// Caps on what an archive may unpack to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Bytes of file content, counted as written.
    pub max_bytes: u64,
    /// Entries of any kind, skipped ones included.
    pub max_files: usize,
}

impl Default for ArchiveLimits {
    /// 512 MiB in at most 20,000 entries.
    fn default() -> ArchiveLimits {
        ArchiveLimits {
            max_bytes: 512 << 20,
            max_files: 20_000,
        }
    }
}

/// The formats a package may be uploaded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveKind {
    Tar,
    TarGz,
    Zip,
}

impl ArchiveKind {
    /// The format of `bytes`, by its magic bytes: a zip's local file header (`PK\x03\x04`, or
    /// `PK\x05\x06` for an empty zip), gzip's `1f 8b`, or a tar's `ustar` at offset 257.
    pub fn detect(bytes: &[u8]) -> Option<ArchiveKind> {
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            Some(ArchiveKind::Zip)
        } else if bytes.starts_with(&[0x1f, 0x8b]) {
            Some(ArchiveKind::TarGz)
        } else if bytes.get(257..262) == Some(b"ustar") {
            Some(ArchiveKind::Tar)
        } else {
            None
        }
    }
}

impl fmt::Display for ArchiveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArchiveKind::Tar => "tar",
            ArchiveKind::TarGz => "tar.gz",
            ArchiveKind::Zip => "zip",
        })
    }
}

/// What was unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unpacked {
    /// Entries made: files, directories and symbolic links.
    pub files: usize,
    /// Bytes of file content written.
    pub bytes: u64,
}

/// Why an archive was not unpacked; names the entry at fault, as the archive spells it.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("not a tar, tar.gz or zip archive")]
    NotAnArchive,

    #[error("cannot unpack into {}: {problem}", path.display())]
    Destination {
        path: PathBuf,
        problem: &'static str,
    },

    #[error("cannot unpack into {}: {source}", path.display())]
    DestinationIo {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("the {kind} archive is truncated or corrupt: {source}")]
    Corrupt {
        kind: ArchiveKind,
        #[source]
        source: io::Error,
    },

    #[error("archive entry {entry:?}: cannot read it: {source}")]
    Read {
        entry: String,
        #[source]
        source: io::Error,
    },

    #[error("archive entry {entry:?}: the archive ends inside it (truncated)")]
    Truncated { entry: String },

    #[error("archive entry {entry:?}: its path is absolute")]
    AbsolutePath { entry: String },

    #[error("archive entry {entry:?}: its path leaves the package")]
    PathLeaves { entry: String },

    #[error("archive entry {entry:?}: its path holds a NUL byte")]
    NulInPath { entry: String },

    #[error(
        "archive entry {entry:?}: it is a {kind}; a package holds only files, directories and \
         symbolic links"
    )]
    Unsupported {
        entry: String,
        kind: Cow<'static, str>,
    },

    #[error("archive entry {entry:?}: its link target {target:?} is absolute")]
    LinkAbsolute { entry: String, target: String },

    #[error("archive entry {entry:?}: its link target {target:?} leaves the package")]
    LinkLeaves { entry: String, target: String },

    #[error("archive entry {entry:?}: its link target {target:?} {problem}")]
    LinkMalformed {
        entry: String,
        target: String,
        problem: &'static str,
    },

    #[error("archive entry {entry:?}: its path is already taken by another entry")]
    Duplicate { entry: String },

    #[error(
        "archive entry {entry:?}: {:?} is already there and is not a directory",
        path.display()
    )]
    NotADirectory { entry: String, path: PathBuf },

    #[error("the package unpacks to more than the limit of {limit} bytes")]
    TooLarge { limit: u64 },

    #[error("the archive holds more than the limit of {limit} entries")]
    TooManyFiles { limit: usize },

    #[error("archive entry {entry:?}: cannot {op} {}: {source}", path.display())]
    Io {
        entry: String,
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Unpack `bytes` (the whole archive, in memory) into `dest`, an existing empty directory.
pub fn unpack(bytes: &[u8], dest: &Path, limits: &ArchiveLimits) -> Result<Unpacked, ArchiveError> {
    let kind = ArchiveKind::detect(bytes).ok_or(ArchiveError::NotAnArchive)?;
    check_destination(dest)?;
    let mut out = Unpacker::new(dest, limits);
    match kind {
        ArchiveKind::Tar => unpack_tar(bytes, kind, &mut out)?,
        // Multi-member: parallel compressors (pigz) write one gzip member per block.
        ArchiveKind::TarGz => unpack_tar(flate2::read::MultiGzDecoder::new(bytes), kind, &mut out)?,
        ArchiveKind::Zip => unpack_zip(bytes, &mut out)?,
    }
    out.finish()
}

/// Why [`unpack_package`] made no package.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The archive is refused.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// It unpacked, but is not a test set.
    #[error(transparent)]
    TestSet(#[from] super::TestSetError),
    /// The host: the directory could not be made or moved into place.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Unpack the package `bytes` into the new directory `dest` and check that it reads as a test
/// set; its root (see [`package_root`]). It is unpacked beside `dest` first (`dest.partial`,
/// left over from an earlier attempt or not) and renamed into place only when whole, so
/// `dest` never holds half a package; on failure nothing is left.
pub fn unpack_package(
    bytes: &[u8],
    dest: &Path,
    limits: &ArchiveLimits,
) -> Result<PathBuf, PackageError> {
    let mut partial = dest.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackageError::Io { path, source }
    };
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir(&partial).map_err(io_err(&partial))?;
    let checked = unpack(bytes, &partial, limits)
        .map_err(PackageError::from)
        .and_then(|_| Ok(super::discover(&package_root(&partial)).map(|_| ())?))
        .and_then(|()| fs::rename(&partial, dest).map_err(io_err(dest)));
    if let Err(e) = checked {
        let _ = fs::remove_dir_all(&partial);
        return Err(e);
    }
    Ok(package_root(dest))
}

/// The package's root in `dest`: `dest` itself, or, when `dest` holds exactly one entry and it
/// is a directory (an archive made of a folder), that directory.
pub fn package_root(dest: &Path) -> PathBuf {
    let Ok(mut entries) = fs::read_dir(dest) else {
        return dest.to_path_buf();
    };
    match (entries.next(), entries.next()) {
        // `file_type` does not follow links: a lone link to a directory is not a wrapper.
        (Some(Ok(only)), None) if only.file_type().is_ok_and(|t| t.is_dir()) => only.path(),
        _ => dest.to_path_buf(),
    }
}

/// A non-empty `dest` could hold links the archive's entries would be written through, and
/// would make an entry that clashes with what is there look like a duplicate.
fn check_destination(dest: &Path) -> Result<(), ArchiveError> {
    let io_err = |source| ArchiveError::DestinationIo {
        path: dest.to_path_buf(),
        source,
    };
    if !fs::metadata(dest).map_err(io_err)?.is_dir() {
        return Err(ArchiveError::Destination {
            path: dest.to_path_buf(),
            problem: "it is not a directory",
        });
    }
    if fs::read_dir(dest).map_err(io_err)?.next().is_some() {
        return Err(ArchiveError::Destination {
            path: dest.to_path_buf(),
            problem: "it is not empty",
        });
    }
    Ok(())
}

/// What an entry is, whatever the format said it with.
enum Kind {
    File { exec: bool },
    Dir,
    Symlink,
    Unsupported(Cow<'static, str>),
}

fn unpack_tar<R: Read>(
    stream: R,
    kind: ArchiveKind,
    out: &mut Unpacker<'_>,
) -> Result<(), ArchiveError> {
    let tripped = Cell::new(false);
    let capped = Capped {
        inner: stream,
        left: out.stream_cap(),
        tripped: &tripped,
    };
    match tar_entries(tar::Archive::new(capped), kind, out) {
        // The cap fails a read deep inside `tar` (a header, a long name) or inside an entry's
        // data; whatever error that surfaced as, its cause is the size.
        Err(_) if tripped.get() => Err(ArchiveError::TooLarge {
            limit: out.limits.max_bytes,
        }),
        result => result,
    }
}

fn tar_entries<R: Read>(
    mut archive: tar::Archive<R>,
    kind: ArchiveKind,
    out: &mut Unpacker<'_>,
) -> Result<(), ArchiveError> {
    let corrupt = |source| ArchiveError::Corrupt { kind, source };
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        out.count_entry()?;
        let raw = entry.path_bytes().into_owned();
        let name = String::from_utf8_lossy(&raw).into_owned();
        let header = entry.header();
        let what = match header.entry_type() {
            // Metadata for the archive as a whole (a pax global header): no file.
            tar::EntryType::XGlobalHeader => continue,
            // Old tars mark directories with a trailing slash only.
            tar::EntryType::Regular | tar::EntryType::Continuous if raw.ends_with(b"/") => {
                Kind::Dir
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mode = header.mode().map_err(|source| ArchiveError::Read {
                    entry: name.clone(),
                    source,
                })?;
                Kind::File {
                    exec: mode & 0o111 != 0,
                }
            }
            tar::EntryType::Directory => Kind::Dir,
            tar::EntryType::Symlink => Kind::Symlink,
            tar::EntryType::Link => Kind::Unsupported("hard link".into()),
            tar::EntryType::Char => Kind::Unsupported("character device".into()),
            tar::EntryType::Block => Kind::Unsupported("block device".into()),
            tar::EntryType::Fifo => Kind::Unsupported("FIFO".into()),
            tar::EntryType::GNUSparse => Kind::Unsupported("sparse file".into()),
            other => Kind::Unsupported(
                format!("tar entry of type {:?}", char::from(other.as_byte())).into(),
            ),
        };
        let Some(rel) = entry_path(&name, &raw)? else {
            continue;
        };
        match what {
            Kind::Dir => out.dir(&name, &rel)?,
            Kind::File { exec } => {
                let declared = entry.size();
                if out.file(&name, &rel, exec, &mut entry)? < declared {
                    return Err(ArchiveError::Truncated { entry: name });
                }
            }
            Kind::Symlink => {
                let target = entry.link_name_bytes().unwrap_or_default().into_owned();
                out.link(&name, &rel, &target)?;
            }
            Kind::Unsupported(kind) => return Err(ArchiveError::Unsupported { entry: name, kind }),
        }
    }
    Ok(())
}

fn unpack_zip(bytes: &[u8], out: &mut Unpacker<'_>) -> Result<(), ArchiveError> {
    let corrupt = |e: zip::result::ZipError| ArchiveError::Corrupt {
        kind: ArchiveKind::Zip,
        source: e.into(),
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    // The central directory lists every entry up front: refuse before writing anything.
    if archive.len() > out.limits.max_files {
        return Err(ArchiveError::TooManyFiles {
            limit: out.limits.max_files,
        });
    }
    for i in 0..archive.len() {
        out.count_entry()?;
        let name = archive.name_for_index(i).unwrap_or_default().to_owned();
        let read_err = |source| ArchiveError::Read {
            entry: name.clone(),
            source,
        };
        // Encrypted entries and unknown compression methods fail here, with the reason.
        let mut file = archive.by_index(i).map_err(|e| read_err(e.into()))?;
        // The format wants `/`, but zips made on Windows sometimes separate with `\`; as a
        // separator it gets the same checks as any other.
        let path = name.replace('\\', "/");
        let mode = file.unix_mode();
        let kind = if path.ends_with('/') {
            Kind::Dir
        } else {
            match mode.map_or(0, |m| m & S_IFMT) {
                S_IFDIR => Kind::Dir,
                S_IFLNK => Kind::Symlink,
                // No type bits: an archiver that records permissions only, or none at all.
                S_IFREG | 0 => Kind::File {
                    exec: mode.is_some_and(|m| m & 0o111 != 0),
                },
                S_IFCHR => Kind::Unsupported("character device".into()),
                S_IFBLK => Kind::Unsupported("block device".into()),
                S_IFIFO => Kind::Unsupported("FIFO".into()),
                S_IFSOCK => Kind::Unsupported("socket".into()),
                other => Kind::Unsupported(format!("zip entry of file type {other:o}").into()),
            }
        };
        let Some(rel) = entry_path(&name, path.as_bytes())? else {
            continue;
        };
        match kind {
            Kind::Dir => out.dir(&name, &rel)?,
            Kind::File { exec } => {
                out.file(&name, &rel, exec, &mut file)?;
            }
            Kind::Symlink => {
                // A zip keeps a link's target as its content: read no more than a target can be.
                let mut target = Vec::new();
                (&mut file)
                    .take(MAX_LINK_TARGET as u64 + 1)
                    .read_to_end(&mut target)
                    .map_err(read_err)?;
                out.link(&name, &rel, &target)?;
            }
            Kind::Unsupported(kind) => return Err(ArchiveError::Unsupported { entry: name, kind }),
        }
    }
    Ok(())
}

const S_IFMT: u32 = 0o170_000;
const S_IFSOCK: u32 = 0o140_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFREG: u32 = 0o100_000;
const S_IFBLK: u32 = 0o060_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFCHR: u32 = 0o020_000;
const S_IFIFO: u32 = 0o010_000;

/// `PATH_MAX`: a longer target could not be followed anyway.
const MAX_LINK_TARGET: usize = 4096;

/// An entry's path, relative to the package root, made of normal components only; `None` for
/// an entry naming the root itself (`.`, `./`, empty), which is skipped.
fn entry_path(entry: &str, raw: &[u8]) -> Result<Option<PathBuf>, ArchiveError> {
    if raw.contains(&0) {
        return Err(ArchiveError::NulInPath {
            entry: entry.to_owned(),
        });
    }
    let mut rel = PathBuf::new();
    for component in Path::new(OsStr::from_bytes(raw)).components() {
        match component {
            Component::RootDir | Component::Prefix(_) => {
                return Err(ArchiveError::AbsolutePath {
                    entry: entry.to_owned(),
                })
            }
            Component::ParentDir => {
                return Err(ArchiveError::PathLeaves {
                    entry: entry.to_owned(),
                })
            }
            Component::CurDir => {}
            Component::Normal(part) => rel.push(part),
        }
    }
    Ok((!rel.as_os_str().is_empty()).then_some(rel))
}

/// Why a link target was refused.
#[derive(Debug, PartialEq, Eq)]
enum BadTarget {
    Absolute,
    Leaves,
}

/// The target of a link at `rel`, resolved lexically from the link's directory and written back
/// in normal form: `..` components first, then names.
///
/// The normal form is what makes the lexical check hold for the kernel too. The kernel resolves
/// `s/..` physically: if `s` is itself a link (say `d/e/s -> ../..`, the package root), `s/..` is
/// the root's parent, while lexically it is `d/e`. With the `..` components first, they only
/// climb real directories the unpacker made (a link's parents are checked to be directories),
/// and the names that follow only descend, into entries of the package.
fn link_target(rel: &Path, target: &[u8]) -> Result<PathBuf, BadTarget> {
    let mut room = rel.components().count().saturating_sub(1);
    let mut ups = 0;
    let mut names: Vec<&OsStr> = Vec::new();
    for component in Path::new(OsStr::from_bytes(target)).components() {
        match component {
            Component::RootDir | Component::Prefix(_) => return Err(BadTarget::Absolute),
            Component::CurDir => {}
            Component::ParentDir => {
                if names.pop().is_none() {
                    if room == 0 {
                        return Err(BadTarget::Leaves);
                    }
                    room -= 1;
                    ups += 1;
                }
            }
            Component::Normal(name) => names.push(name),
        }
    }
    let mut normal = PathBuf::new();
    for _ in 0..ups {
        normal.push("..");
    }
    normal.extend(names);
    if normal.as_os_str().is_empty() {
        normal.push(".");
    }
    Ok(normal)
}

/// A link waiting for every file and directory to be written.
struct Link {
    entry: String,
    rel: PathBuf,
    target: PathBuf,
}

/// Writes entries into `dest`, counting them and their bytes.
struct Unpacker<'a> {
    dest: &'a Path,
    limits: &'a ArchiveLimits,
    entries: usize,
    files: usize,
    bytes: u64,
    links: Vec<Link>,
}

impl<'a> Unpacker<'a> {
    fn new(dest: &'a Path, limits: &'a ArchiveLimits) -> Unpacker<'a> {
        Unpacker {
            dest,
            limits,
            entries: 0,
            files: 0,
            bytes: 0,
            links: Vec::new(),
        }
    }

    /// How many bytes a tar stream may decompress to: the content allowed, plus for each entry
    /// room for its header, padding, and long name and link records. Without it, a gzip bomb
    /// of skipped or metadata entries (a pax header, a `.` entry with data) would cost
    /// unbounded CPU, or memory, as `tar` reads long names whole.
    fn stream_cap(&self) -> u64 {
        let per_entry: u64 = 16 << 10;
        self.limits
            .max_bytes
            .saturating_add((self.limits.max_files as u64 + 1).saturating_mul(per_entry))
            .saturating_add(1 << 20)
    }

    fn count_entry(&mut self) -> Result<(), ArchiveError> {
        self.entries += 1;
        if self.entries > self.limits.max_files {
            return Err(ArchiveError::TooManyFiles {
                limit: self.limits.max_files,
            });
        }
        Ok(())
    }

    fn io_err(
        entry: &str,
        op: &'static str,
        path: &Path,
    ) -> impl FnOnce(io::Error) -> ArchiveError {
        let entry = entry.to_owned();
        let path = path.to_path_buf();
        move |source| ArchiveError::Io {
            entry,
            op,
            path,
            source,
        }
    }

    /// Make every directory of `rel` that is missing (0755); those already there must be real
    /// directories, never links.
    fn make_dirs(&self, entry: &str, rel: &Path) -> Result<(), ArchiveError> {
        let mut path = self.dest.to_path_buf();
        for component in rel.components() {
            path.push(component);
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    return Err(ArchiveError::NotADirectory {
                        entry: entry.to_owned(),
                        path: path.strip_prefix(self.dest).unwrap_or(&path).to_path_buf(),
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    DirBuilder::new()
                        .mode(0o755)
                        .create(&path)
                        .map_err(Self::io_err(entry, "create directory", &path))?;
                    // The umask may have taken bits away.
                    fs::set_permissions(&path, Permissions::from_mode(0o755))
                        .map_err(Self::io_err(entry, "chmod", &path))?;
                }
                Err(e) => return Err(Self::io_err(entry, "stat", &path)(e)),
            }
        }
        Ok(())
    }

    fn dir(&mut self, entry: &str, rel: &Path) -> Result<(), ArchiveError> {
        // A directory already there (made for an earlier entry in it, or listed twice) is fine.
        self.make_dirs(entry, rel)?;
        self.files += 1;
        Ok(())
    }

    /// Write `data` to a new file at `rel`; returns the bytes written.
    fn file(
        &mut self,
        entry: &str,
        rel: &Path,
        exec: bool,
        data: &mut dyn Read,
    ) -> Result<u64, ArchiveError> {
        if let Some(parent) = rel.parent() {
            self.make_dirs(entry, parent)?;
        }
        let path = self.dest.join(rel);
        let mode = if exec { 0o755 } else { 0o644 };
        // `create_new` (O_EXCL) already refuses a link in the last place; O_NOFOLLOW says so.
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => ArchiveError::Duplicate {
                    entry: entry.to_owned(),
                },
                _ => Self::io_err(entry, "create", &path)(e),
            })?;
        file.set_permissions(Permissions::from_mode(mode))
            .map_err(Self::io_err(entry, "chmod", &path))?;
        let mut buf = vec![0; 64 << 10];
        let mut written = 0;
        loop {
            let n = match data.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ArchiveError::Read {
                        entry: entry.to_owned(),
                        source,
                    })
                }
            };
            // Counted before writing, so `dest` never holds more than the limit.
            if self.bytes + n > self.limits.max_bytes {
                return Err(ArchiveError::TooLarge {
                    limit: self.limits.max_bytes,
                });
            }
            file.write_all(&buf[..n as usize])
                .map_err(Self::io_err(entry, "write", &path))?;
            self.bytes += n;
            written += n;
        }
        self.files += 1;
        Ok(written)
    }

    /// Check a link's target now, so a bad one fails before anything more is written; the link
    /// itself is made by [`Unpacker::finish`].
    fn link(&mut self, entry: &str, rel: &Path, target: &[u8]) -> Result<(), ArchiveError> {
        let shown = String::from_utf8_lossy(target).into_owned();
        let malformed = |problem| ArchiveError::LinkMalformed {
            entry: entry.to_owned(),
            target: shown.clone(),
            problem,
        };
        if target.is_empty() {
            return Err(malformed("is empty"));
        }
        if target.contains(&0) {
            return Err(malformed("holds a NUL byte"));
        }
        if target.len() > MAX_LINK_TARGET {
            return Err(malformed("is longer than 4096 bytes"));
        }
        let target = link_target(rel, target).map_err(|bad| match bad {
            BadTarget::Absolute => ArchiveError::LinkAbsolute {
                entry: entry.to_owned(),
                target: shown.clone(),
            },
            BadTarget::Leaves => ArchiveError::LinkLeaves {
                entry: entry.to_owned(),
                target: shown.clone(),
            },
        })?;
        self.links.push(Link {
            entry: entry.to_owned(),
            rel: rel.to_path_buf(),
            target,
        });
        Ok(())
    }

    /// Make the links, now that every file is written.
    fn finish(mut self) -> Result<Unpacked, ArchiveError> {
        for link in std::mem::take(&mut self.links) {
            if let Some(parent) = link.rel.parent() {
                // Checks, too, that no earlier link stands on the way.
                self.make_dirs(&link.entry, parent)?;
            }
            let path = self.dest.join(&link.rel);
            std::os::unix::fs::symlink(&link.target, &path).map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => ArchiveError::Duplicate {
                    entry: link.entry.clone(),
                },
                _ => Self::io_err(&link.entry, "make link", &path)(e),
            })?;
            self.files += 1;
        }
        Ok(Unpacked {
            files: self.files,
            bytes: self.bytes,
        })
    }
}

/// A reader that fails once more than `left` bytes come through, and says so in `tripped`
/// (the error itself may reach the caller rewrapped, or not at all, by way of `tar`).
struct Capped<'a, R> {
    inner: R,
    left: u64,
    tripped: &'a Cell<bool>,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // At the cap, only the end of the stream is acceptable.
            if self.inner.read(&mut [0; 1])? == 0 {
                return Ok(0);
            }
            self.tripped.set(true);
            return Err(io::Error::other("the archive unpacks to more than its cap"));
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;

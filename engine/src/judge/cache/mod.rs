//! The engine's cache directory: what it builds once and keeps (a profile's prepared files,
//! such as C++'s precompiled `<bits/stdc++.h>`, see [`prepared`]) and what it never builds
//! twice (a submission's compiled files, by the content of its sources, see [`compiled`]).
//!
//! The directory is the engine's alone: it must belong to the user the engine runs as, and
//! its parts are mode 0700, so neither another host user nor a sandboxed program (which never
//! sees it, only a read-only bind of one prepared file's directory) can read another
//! team's binary or plant one. Everything in it is written under a temporary name and renamed
//! into place, so engines sharing it never see half an entry.

mod compiled;
mod prepared;

use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use sha2::{Digest, Sha256};

use prepared::PreparedState;

/// Compiled submissions kept at most, in bytes, before the least recently used go.
pub const COMPILED_LIMIT: u64 = 2 << 30;

/// A compiled submission larger than this is not kept (a 2 GiB static table is cheaper to
/// build again than to copy).
pub const COMPILED_ENTRY_LIMIT: u64 = 256 << 20;

/// The engine's cache: a directory, and what this process knows of it.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    /// Each prepared file's state, by key.
    prepared: Mutex<HashMap<String, PreparedState>>,
    /// Compiles in flight, by key: a second compile of the same sources waits for the first.
    in_flight: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Bytes of compiled entries kept before the least recently used go.
    compiled_limit: u64,
}

/// Why the cache directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache directory {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "cache directory {path} belongs to uid {owner}, not to this engine's uid {uid}: \
         another user could plant compiled programs in it"
    )]
    NotOurs { path: PathBuf, owner: u32, uid: u32 },
    #[error("cache directory {0}: neither XDG_CACHE_HOME nor HOME is set; give a directory")]
    NoHome(PathBuf),
}

impl Cache {
    /// The cache in `dir`, created if missing (mode 0700).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Arc<Cache>, CacheError> {
        Cache::open_with_limit(dir, COMPILED_LIMIT)
    }

    /// As [`Cache::open`], keeping at most `compiled_limit` bytes of compiled submissions.
    pub fn open_with_limit(
        dir: impl Into<PathBuf>,
        compiled_limit: u64,
    ) -> Result<Arc<Cache>, CacheError> {
        let dir = dir.into();
        for part in [
            dir.clone(),
            dir.join(prepared::DIR),
            dir.join(compiled::DIR),
        ] {
            private_dir(&part)?;
        }
        Ok(Arc::new(Cache {
            dir,
            prepared: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            compiled_limit,
        }))
    }

    /// `$XDG_CACHE_HOME/judge`, else `~/.cache/judge`.
    pub fn default_dir() -> Result<PathBuf, CacheError> {
        std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
            .map(|base| base.join("judge"))
            .ok_or_else(|| CacheError::NoHome(PathBuf::from("~/.cache/judge")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn prepared_states(&self) -> MutexGuard<'_, HashMap<String, PreparedState>> {
        self.prepared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Make `dir` if missing; it must be ours, and becomes mode 0700.
fn private_dir(dir: &Path) -> Result<(), CacheError> {
    let io = |source| CacheError::Io {
        path: dir.to_path_buf(),
        source,
    };
    fs::create_dir_all(dir).map_err(io)?;
    let meta = fs::symlink_metadata(dir).map_err(io)?;
    let uid = nix::unistd::geteuid().as_raw();
    if meta.uid() != uid {
        return Err(CacheError::NotOurs {
            path: dir.to_path_buf(),
            owner: meta.uid(),
            uid,
        });
    }
    if !meta.is_dir() {
        return Err(io(io::Error::other("not a directory")));
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)
}

/// A SHA-256 fed with length-prefixed parts, so no two sequences of parts feed the same bytes.
struct Key(Sha256);

impl Key {
    fn new(kind: &str) -> Key {
        let mut key = Key(Sha256::new());
        key.part(kind.as_bytes());
        key
    }

    fn part(&mut self, bytes: &[u8]) -> &mut Key {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    fn strings<'a>(&mut self, parts: impl IntoIterator<Item = &'a String>) -> &mut Key {
        let parts: Vec<&String> = parts.into_iter().collect();
        self.part(&(parts.len() as u64).to_le_bytes());
        for p in parts {
            self.part(p.as_bytes());
        }
        self
    }

    /// Which program `program` is on this host: where its links lead, and that file's inode,
    /// size and modification time (a package upgrade changes them). Nothing for a program
    /// that is not a host path (a build script in the work directory).
    fn program(&mut self, program: &str) -> &mut Key {
        let found =
            fs::canonicalize(program).and_then(|path| fs::metadata(&path).map(|meta| (path, meta)));
        match found {
            Ok((path, meta)) => {
                self.part(path.as_os_str().as_encoded_bytes());
                for n in [
                    meta.dev(),
                    meta.ino(),
                    meta.size(),
                    meta.mtime() as u64,
                    meta.mtime_nsec() as u64,
                ] {
                    self.part(&n.to_le_bytes());
                }
            }
            Err(_) => {
                self.part(b"-");
            }
        }
        self
    }

    fn hex(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A fresh name for an entry being written in `dir`.
fn temporary(dir: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    dir.join(format!(
        ".new-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Put the finished entry `tmp` in place as `to`; if another engine was first, keep its entry.
fn publish(tmp: &Path, to: &Path) -> io::Result<()> {
    match fs::rename(tmp, to) {
        Ok(()) => Ok(()),
        Err(_) if to.is_dir() => {
            let _ = fs::remove_dir_all(tmp);
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_dir_all(tmp);
            Err(e)
        }
    }
}

/// Bytes of the regular files under `path`, links not followed.
fn tree_size(path: &Path) -> io::Result<u64> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        return Ok(if meta.is_file() { meta.len() } else { 0 });
    }
    let mut total = 0;
    for entry in fs::read_dir(path)? {
        total += tree_size(&entry?.path())?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(program: &Path) -> String {
        let mut key = Key::new("test");
        key.program(&program.display().to_string());
        key.hex()
    }

    #[test]
    fn a_program_replaced_or_touched_gives_another_key() {
        let dir = tempfile::tempdir().unwrap();
        let cc = dir.path().join("cc");
        fs::write(&cc, "compiler 1").unwrap();
        let first = key_of(&cc);
        assert_eq!(key_of(&cc), first);
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
        fs::File::options()
            .append(true)
            .open(&cc)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_ne!(key_of(&cc), first, "an upgraded compiler keeps the key");
        // Through a link, the file it leads to.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&cc, &link).unwrap();
        assert_eq!(key_of(&link), key_of(&cc));
    }

    #[test]
    fn parts_are_length_prefixed() {
        let mut a = Key::new("k");
        a.part(b"ab").part(b"c");
        let mut b = Key::new("k");
        b.part(b"a").part(b"bc");
        assert_ne!(a.hex(), b.hex());
    }
}

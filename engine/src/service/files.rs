//! The file store of a service: files a client uploads, or a run leaves for later runs
//! (go-judge's `copyOutCached`), kept under random ids until deleted, expired or evicted.
//!
//! go-judge keeps them in `/dev/shm` with no bound, and its users filled their hosts' memory
//! with files their clients forgot. Here the store is bounded three ways, each a setting:
//! - size: adding a file past [`StoreConfig::max_bytes`] first removes the least recently used
//!   files until it fits (a file larger than the whole store is refused);
//! - count: at most [`StoreConfig::max_files`], the least recently used going first;
//! - age: a file not used (read, or given to a run) for [`StoreConfig::max_age`] is removed
//!   at the next addition or [`FileStore::expire`].
//!
//! The files live in a directory of the engine alone (mode 0700, root's), never in one a
//! sandbox can write: a run gets a copy in its own working directory, or a read-only
//! descriptor, never the store's file itself.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The bounds of a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreConfig {
    pub max_bytes: u64,
    pub max_files: usize,
    pub max_age: Duration,
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig {
            max_bytes: 1 << 30,
            max_files: 10_000,
            max_age: Duration::from_secs(3600),
        }
    }
}

/// Why a file could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("file {name:?} is larger than the whole file store ({max} bytes)")]
    TooLarge { name: String, max: u64 },
    #[error("file store {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

#[derive(Debug)]
struct Entry {
    name: String,
    size: u64,
    used: Instant,
}

#[derive(Debug, Default)]
struct Entries {
    by_id: HashMap<String, Entry>,
    bytes: u64,
}

/// What a store holds now and what it has let go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreUsage {
    pub files: usize,
    pub bytes: u64,
    pub evicted: u64,
    pub expired: u64,
}

/// A bounded store of files under random ids. Shared between threads.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    config: StoreConfig,
    entries: Mutex<Entries>,
    evicted: std::sync::atomic::AtomicU64,
    expired: std::sync::atomic::AtomicU64,
}

impl FileStore {
    /// A store in `dir`, which must be an existing directory of the engine alone.
    pub fn new(dir: &Path, config: StoreConfig) -> FileStore {
        FileStore {
            dir: dir.to_path_buf(),
            config,
            entries: Mutex::new(Entries::default()),
            evicted: Default::default(),
            expired: Default::default(),
        }
    }

    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// Store what `from` reads under the original name `name`; returns the new id. At most
    /// the store's size is read: more is [`StoreError::TooLarge`].
    pub fn add(&self, name: &str, from: &mut dyn Read) -> Result<String, StoreError> {
        self.expire();
        let id = random_id().map_err(|source| StoreError::Io {
            path: self.dir.clone(),
            source,
        })?;
        let path = self.path(&id);
        let failed = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(failed)?;
        let copied = io::copy(&mut from.take(self.config.max_bytes + 1), &mut file)
            .and_then(|n| file.flush().map(|()| n));
        let size = match copied {
            Ok(size) if size <= self.config.max_bytes => size,
            other => {
                let _ = std::fs::remove_file(&path);
                return Err(match other {
                    Ok(_) => StoreError::TooLarge {
                        name: name.to_owned(),
                        max: self.config.max_bytes,
                    },
                    Err(e) => failed(e),
                });
            }
        };
        let mut entries = self.lock();
        // Make room: the least recently used go first.
        while !entries.by_id.is_empty()
            && (entries.bytes + size > self.config.max_bytes
                || entries.by_id.len() >= self.config.max_files)
        {
            let oldest = entries
                .by_id
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(id, _)| id.clone())
                .expect("not empty");
            self.drop_entry(&mut entries, &oldest);
            self.evicted
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        entries.bytes += size;
        entries.by_id.insert(
            id.clone(),
            Entry {
                name: name.to_owned(),
                size,
                used: Instant::now(),
            },
        );
        Ok(id)
    }

    /// The file `id` opened for reading, with its original name; `None` when there is none.
    /// Counts as a use.
    pub fn open(&self, id: &str) -> Option<(String, File)> {
        let mut entries = self.lock();
        let entry = entries.by_id.get_mut(id)?;
        entry.used = Instant::now();
        let name = entry.name.clone();
        // Opened under the lock: an eviction cannot remove it in between.
        let file = File::open(self.path(id)).ok()?;
        Some((name, file))
    }

    /// Remove `id`; false when there was none.
    pub fn remove(&self, id: &str) -> bool {
        let mut entries = self.lock();
        if !entries.by_id.contains_key(id) {
            return false;
        }
        self.drop_entry(&mut entries, id);
        true
    }

    fn drop_entry(&self, entries: &mut Entries, id: &str) {
        if let Some(entry) = entries.by_id.remove(id) {
            entries.bytes -= entry.size;
            let _ = std::fs::remove_file(self.path(id));
        }
    }

    /// Every id with its original name.
    pub fn list(&self) -> std::collections::BTreeMap<String, String> {
        self.lock()
            .by_id
            .iter()
            .map(|(id, e)| (id.clone(), e.name.clone()))
            .collect()
    }

    /// Remove the files not used for the store's maximum age; returns how many.
    pub fn expire(&self) -> usize {
        let mut entries = self.lock();
        let now = Instant::now();
        let old: Vec<String> = entries
            .by_id
            .iter()
            .filter(|(_, e)| now.duration_since(e.used) > self.config.max_age)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &old {
            self.drop_entry(&mut entries, id);
        }
        self.expired
            .fetch_add(old.len() as u64, std::sync::atomic::Ordering::Relaxed);
        old.len()
    }

    pub fn usage(&self) -> StoreUsage {
        let entries = self.lock();
        StoreUsage {
            files: entries.by_id.len(),
            bytes: entries.bytes,
            evicted: self.evicted.load(std::sync::atomic::Ordering::Relaxed),
            expired: self.expired.load(std::sync::atomic::Ordering::Relaxed),
        }
    }
}

/// 16 characters of RFC 4648 base32 (go-judge's id alphabet), 80 random bits.
fn random_id() -> io::Result<String> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bytes = [0u8; 10];
    File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let bits = bytes
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    Ok((0..16)
        .map(|i| ALPHABET[((bits >> (5 * (15 - i))) & 31) as usize] as char)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(
        max_bytes: u64,
        max_files: usize,
        max_age: Duration,
    ) -> (tempfile::TempDir, FileStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(
            dir.path(),
            StoreConfig {
                max_bytes,
                max_files,
                max_age,
            },
        );
        (dir, store)
    }

    fn read(store: &FileStore, id: &str) -> Option<String> {
        let (_, mut file) = store.open(id)?;
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        Some(text)
    }

    #[test]
    fn a_file_is_kept_under_its_id_until_removed() {
        let (dir, store) = store(1 << 20, 10, Duration::from_secs(60));
        let id = store.add("a.cc", &mut &b"int main() {}"[..]).unwrap();
        assert_eq!(id.len(), 16);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        assert_eq!(read(&store, &id).as_deref(), Some("int main() {}"));
        assert_eq!(store.list().get(&id).map(String::as_str), Some("a.cc"));
        assert_eq!(store.usage().bytes, 13);
        assert!(store.remove(&id));
        assert!(!store.remove(&id));
        assert!(store.open(&id).is_none());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn past_its_size_the_least_recently_used_go_first() {
        let (_dir, store) = store(10, 100, Duration::from_secs(60));
        let a = store.add("a", &mut &b"aaaa"[..]).unwrap();
        let b = store.add("b", &mut &b"bbbb"[..]).unwrap();
        // `a` is used again, so `b` is now the least recently used.
        std::thread::sleep(Duration::from_millis(2));
        assert!(read(&store, &a).is_some());
        let c = store.add("c", &mut &b"cccc"[..]).unwrap();
        assert!(read(&store, &b).is_none(), "b stayed");
        assert!(read(&store, &a).is_some() && read(&store, &c).is_some());
        assert_eq!(store.usage().bytes, 8);
        assert_eq!(store.usage().evicted, 1);
    }

    #[test]
    fn past_its_count_the_least_recently_used_go_first() {
        let (_dir, store) = store(1 << 20, 2, Duration::from_secs(60));
        let a = store.add("a", &mut &b"1"[..]).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        store.add("b", &mut &b"2"[..]).unwrap();
        store.add("c", &mut &b"3"[..]).unwrap();
        assert_eq!(store.usage().files, 2);
        assert!(store.open(&a).is_none());
    }

    #[test]
    fn a_file_larger_than_the_store_is_refused_and_leaves_nothing() {
        let (dir, store) = store(4, 10, Duration::from_secs(60));
        let err = store.add("big", &mut &b"12345"[..]).unwrap_err();
        assert!(matches!(err, StoreError::TooLarge { .. }), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert_eq!(store.usage(), StoreUsage::default());
    }

    #[test]
    fn files_unused_for_the_maximum_age_expire() {
        let (_dir, store) = store(1 << 20, 10, Duration::from_millis(50));
        let id = store.add("a", &mut &b"1"[..]).unwrap();
        assert_eq!(store.expire(), 0);
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(store.expire(), 1);
        assert!(store.open(&id).is_none());
        assert_eq!(store.usage().expired, 1);
    }

    #[test]
    fn ids_do_not_repeat() {
        let ids: std::collections::HashSet<String> =
            (0..1000).map(|_| random_id().unwrap()).collect();
        assert_eq!(ids.len(), 1000);
    }
}

//! Compiled submissions by content: the same files compiled by the same command with the same
//! compiler are compiled once, and every later judgement (a resubmission, a batch's duplicate,
//! `judge verify` again) starts from a copy of what that compile left.
//!
//! An entry is `compiled/<key>/`: `files/`, the work directory as the successful compile left
//! it (sources and what the compiler wrote; links kept, never followed), and `report.json`,
//! the compiler's message and CPU time. The key covers the profile's name, the compile
//! command and environment as expanded for this submission, the compiler's binary (see
//! [`Key::program`]) and every file the compile starts with (name, mode, bytes). Only a
//! compile that succeeded is kept. A judgement copies an entry into its own fresh work
//! directory, so no run can change what the next one gets. Entries over
//! [`super::COMPILED_ENTRY_LIMIT`] are not kept; past the cache's limit the least recently
//! used go.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{publish, temporary, tree_size, Cache, Key, COMPILED_ENTRY_LIMIT};
use crate::hostdir::{self, Links};
use crate::judge::CompileReport;
use crate::profile::Profile;

/// The cache's part for compiled submissions.
pub(super) const DIR: &str = "compiled";

const FILES: &str = "files";
const REPORT: &str = "report.json";

#[derive(Serialize, Deserialize)]
struct Kept {
    message: String,
    time_ns: u64,
    /// The entry's files' bytes, for eviction (measured when an older entry lacks it).
    #[serde(default)]
    bytes: Option<u64>,
}

/// The right to compile one key: held from the look-up to the store, so that the same sources
/// judged twice at once are compiled once.
pub(crate) struct Claim {
    cache: Arc<Cache>,
    key: String,
    lock: Arc<Mutex<()>>,
}

impl Claim {
    pub(crate) fn hold(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut in_flight = self.cache.in_flight();
        // Only the map's and this claim's: nobody else is waiting on the key.
        if Arc::strong_count(&self.lock) <= 2 {
            in_flight.remove(&self.key);
        }
    }
}

impl Cache {
    fn in_flight(&self) -> MutexGuard<'_, std::collections::HashMap<String, Arc<Mutex<()>>>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The key of a compile: `profile`'s, with `argv` and `env` as expanded, of the files
    /// `files` (name relative to the work directory, permission bits, bytes).
    pub(crate) fn claim<'a>(
        self: &Arc<Cache>,
        profile: &Profile,
        argv: &[String],
        env: &[(String, String)],
        files: impl IntoIterator<Item = (&'a str, u32, &'a [u8])>,
    ) -> Claim {
        let mut key = Key::new("compiled 1");
        key.part(profile.name().as_bytes())
            .strings(argv)
            .strings(env.iter().flat_map(|(k, v)| [k, v]));
        if let Some(program) = argv.first() {
            key.program(program);
        }
        let mut files: Vec<_> = files.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        key.part(&(files.len() as u64).to_le_bytes());
        for (name, mode, bytes) in files {
            key.part(name.as_bytes())
                .part(&mode.to_le_bytes())
                .part(bytes);
        }
        let key = key.hex();
        let lock = self.in_flight().entry(key.clone()).or_default().clone();
        Claim {
            cache: self.clone(),
            key,
            lock,
        }
    }

    fn entry(&self, claim: &Claim) -> PathBuf {
        self.dir.join(DIR).join(&claim.key)
    }

    /// Copy the compiled files of `claim` into `work` (empty), given to `owner`; the report
    /// of the compile that made them, marked cached. `None` when there is no such entry.
    pub(crate) fn restore(
        &self,
        claim: &Claim,
        work: &Path,
        owner: (u32, u32),
    ) -> Option<CompileReport> {
        let entry = self.entry(claim);
        let kept: Kept = serde_json::from_slice(&fs::read(entry.join(REPORT)).ok()?).ok()?;
        if hostdir::copy_tree(&entry.join(FILES), work, Links::Keep, Some(owner)).is_err() {
            // Another engine removed it meanwhile: start again from an empty directory.
            let _ = hostdir::empty_dir(work);
            return None;
        }
        // Used now: the last to go.
        if let Ok(file) = fs::File::options().append(true).open(entry.join(REPORT)) {
            let _ = file.set_modified(SystemTime::now());
        }
        Some(CompileReport {
            ok: true,
            message: kept.message,
            time: Duration::from_nanos(kept.time_ns),
            cached: true,
        })
    }

    /// Keep what the successful compile `report` left in `work`. A failure to keep it only
    /// means the next judgement compiles again.
    pub(crate) fn keep(&self, claim: &Claim, work: &Path, report: &CompileReport) {
        let bytes = match tree_size(work) {
            Ok(bytes) if report.ok && bytes <= COMPILED_ENTRY_LIMIT => bytes,
            _ => return,
        };
        let entry = self.entry(claim);
        if entry.is_dir() {
            return;
        }
        let parent = self.dir.join(DIR);
        let tmp = temporary(&parent);
        let written = (|| -> io::Result<()> {
            fs::create_dir(&tmp)?;
            fs::create_dir(tmp.join(FILES))?;
            hostdir::copy_tree(work, &tmp.join(FILES), Links::Keep, None)
                .map_err(io::Error::other)?;
            let kept = Kept {
                message: report.message.clone(),
                time_ns: report.time.as_nanos() as u64,
                bytes: Some(bytes),
            };
            fs::write(tmp.join(REPORT), serde_json::to_vec(&kept)?)?;
            publish(&tmp, &entry)
        })();
        if written.is_err() {
            let _ = fs::remove_dir_all(&tmp);
            return;
        }
        self.evict(&parent);
    }

    /// Remove the least recently used entries until the rest fit the cache's limit: when each
    /// was last used is its report's modification time, its size what the report says.
    fn evict(&self, parent: &Path) {
        let Ok(listing) = fs::read_dir(parent) else {
            return;
        };
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = listing
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| {
                let report = e.path().join(REPORT);
                let used = fs::metadata(&report).ok()?.modified().ok()?;
                let kept: Kept = serde_json::from_slice(&fs::read(&report).ok()?).ok()?;
                let bytes = kept.bytes.or_else(|| tree_size(&e.path()).ok())?;
                Some((used, bytes, e.path()))
            })
            .collect();
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        entries.sort();
        for (_, size, path) in entries {
            if total <= self.compiled_limit {
                break;
            }
            if fs::remove_dir_all(&path).is_ok() {
                total -= size;
            }
        }
    }
}

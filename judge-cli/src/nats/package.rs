//! Problem packages in the object store: packed and uploaded once by a batch, fetched,
//! verified, unpacked and prepared once by each worker.
//!
//! A batch packs the problem directory as a tar whose bytes depend only on the files: entries
//! in name order, no owners or times, mode 0755 or 0644 by the execute bit, symbolic links
//! followed (each directory once), the package's own `submissions/` left out. Its SHA-256 is
//! the package's name; a package already in the store is not sent again.
//!
//! A worker reads the object (at most [`MAX_PACKAGE_BYTES`]), checks that its SHA-256 is its
//! name, unpacks it with the engine's archive unpacker (which trusts nothing in it) into a
//! directory of its own, and prepares the problem once for every job of that package.

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_nats::jetstream::object_store::{self, ObjectStore};
use judge_engine::hostdir::ScratchDir;
use judge_engine::judge::Problem;
use judge_engine::profile::ProfileSet;
use judge_engine::sandbox::Sandbox;
use judge_engine::testset::{self, archive};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::{MAX_PACKAGE_BYTES, PACKAGES_BUCKET};
use crate::{lock, Failure};

/// The problem directory as a tar, and its SHA-256 in hex.
pub fn pack(dir: &Path) -> Result<(Vec<u8>, String), Failure> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut seen = HashSet::new();
    add_dir(&mut builder, dir, Path::new(""), &mut seen)
        .map_err(|e| Failure::Engine(format!("packing the problem {}: {e}", dir.display())))?;
    let bytes = builder
        .into_inner()
        .map_err(|e| Failure::Engine(format!("packing the problem {}: {e}", dir.display())))?;
    let hash = format!("{:x}", Sha256::digest(&bytes));
    Ok((bytes, hash))
}

fn add_dir(
    builder: &mut tar::Builder<Vec<u8>>,
    dir: &Path,
    rel: &Path,
    seen: &mut HashSet<PathBuf>,
) -> std::io::Result<()> {
    if !seen.insert(std::fs::canonicalize(dir)?) {
        return Ok(());
    }
    let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for (name, path) in entries {
        if rel.as_os_str().is_empty() && name == "submissions" {
            continue;
        }
        let inner = rel.join(&name);
        let meta = std::fs::metadata(&path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let mut header = tar::Header::new_gnu();
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        if meta.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            builder.append_data(&mut header, &inner, std::io::empty())?;
            add_dir(builder, &path, &inner, seen)?;
        } else if meta.is_file() {
            let exec = meta.permissions().mode() & 0o111 != 0;
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(if exec { 0o755 } else { 0o644 });
            header.set_size(meta.len());
            builder.append_data(&mut header, &inner, std::fs::File::open(&path)?)?;
        }
    }
    Ok(())
}

/// Put the package in the store unless it is there already; whether it was sent.
pub async fn upload(store: &ObjectStore, bytes: &[u8], hash: &str) -> Result<bool, Failure> {
    match store.info(hash).await {
        Ok(_) => return Ok(false),
        Err(e) if e.kind() == object_store::InfoErrorKind::NotFound => {}
        Err(e) => {
            return Err(Failure::Engine(format!(
                "NATS object store {PACKAGES_BUCKET}: {hash}: {e}"
            )))
        }
    }
    store
        .put(hash, &mut std::io::Cursor::new(bytes))
        .await
        .map_err(|e| {
            Failure::Engine(format!("NATS object store {PACKAGES_BUCKET}: {hash}: {e}"))
        })?;
    Ok(true)
}

/// Why a worker has no problem for a job.
#[derive(Debug)]
pub enum Unavailable {
    /// Final: the job's IE says this.
    Bad(String),
    /// The server could not be asked: try again later.
    Unreachable(String),
}

/// A package's hash and the checker it was prepared with.
type Prepared = (String, Option<String>);

/// A worker's packages: unpacked and prepared once each.
pub struct Packages {
    store: ObjectStore,
    dir: ScratchDir,
    /// One download at a time.
    fetching: tokio::sync::Mutex<()>,
    /// By package hash and checker.
    prepared: Mutex<HashMap<Prepared, Arc<Problem>>>,
    preparing: Mutex<()>,
}

impl Packages {
    pub fn new(store: ObjectStore, dir: ScratchDir) -> Packages {
        Packages {
            store,
            dir,
            fetching: tokio::sync::Mutex::new(()),
            prepared: Mutex::new(HashMap::new()),
            preparing: Mutex::new(()),
        }
    }

    /// The unpacked package `hash` (fetched the first time).
    pub async fn fetch(&self, hash: &str) -> Result<PathBuf, Unavailable> {
        if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Unavailable::Bad(format!(
                "package {hash:?}: not a SHA-256 in lowercase hex"
            )));
        }
        let dir = self.dir.path().join(hash);
        let _one = self.fetching.lock().await;
        if dir.is_dir() {
            return Ok(archive::package_root(&dir));
        }
        let missing = || {
            Unavailable::Bad(format!(
                "package {hash} is not in the NATS object store {PACKAGES_BUCKET} (deleted, or \
                 uploaded to another server?)"
            ))
        };
        let mut object = match self.store.get(hash).await {
            Ok(object) => object,
            Err(e) if e.kind() == object_store::GetErrorKind::NotFound => return Err(missing()),
            Err(e) => return Err(Unavailable::Unreachable(format!("package {hash}: {e}"))),
        };
        let mut bytes = Vec::new();
        let mut limited = (&mut object).take(MAX_PACKAGE_BYTES as u64 + 1);
        if let Err(e) = limited.read_to_end(&mut bytes).await {
            return Err(Unavailable::Unreachable(format!(
                "package {hash}: reading it: {e}"
            )));
        }
        if bytes.len() > MAX_PACKAGE_BYTES {
            return Err(Unavailable::Bad(format!(
                "package {hash}: larger than {} MiB",
                MAX_PACKAGE_BYTES >> 20
            )));
        }
        let got = format!("{:x}", Sha256::digest(&bytes));
        if got != hash {
            return Err(Unavailable::Bad(format!(
                "package {hash}: the object's SHA-256 is {got}: refused"
            )));
        }
        let unpacked = tokio::task::spawn_blocking(move || {
            archive::unpack_package(&bytes, &dir, &archive::ArchiveLimits::default())
        })
        .await;
        match unpacked {
            Ok(Ok(root)) => Ok(root),
            Ok(Err(e)) => Err(Unavailable::Bad(format!("package {hash}: {e}"))),
            Err(e) => Err(Unavailable::Bad(format!("package {hash}: {e}"))),
        }
    }

    /// The package at `root` prepared (with `checker` if given), once per package and checker.
    pub fn prepare(
        &self,
        hash: &str,
        root: &Path,
        checker: Option<&str>,
        sandbox: &Sandbox,
        profiles: &ProfileSet,
    ) -> Result<Arc<Problem>, String> {
        let key = (hash.to_owned(), checker.map(str::to_owned));
        if let Some(problem) = lock(&self.prepared).get(&key) {
            return Ok(problem.clone());
        }
        let _one = lock(&self.preparing);
        if let Some(problem) = lock(&self.prepared).get(&key) {
            return Ok(problem.clone());
        }
        let tests = testset::discover(root).map_err(|e| format!("package {hash}: {e}"))?;
        let mut problem = Problem::prepare(sandbox, profiles, tests)
            .map_err(|e| format!("package {hash}: {e}"))?;
        if let Some(checker) = checker {
            problem
                .use_checker(checker)
                .map_err(|e| format!("checker {checker}: {e}"))?;
        }
        let problem = Arc::new(problem);
        lock(&self.prepared).insert(key, problem.clone());
        Ok(problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_depends_on_the_files_only_and_leaves_submissions_out() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        // The same files, made in another order.
        for (dir, order) in [(a.path(), [0, 1, 2]), (b.path(), [2, 1, 0])] {
            for i in order {
                match i {
                    0 => std::fs::create_dir_all(dir.join("data/secret")).unwrap(),
                    1 => {
                        std::fs::create_dir_all(dir.join("data/secret")).unwrap();
                        std::fs::write(dir.join("data/secret/1.in"), "1 2\n").unwrap();
                        std::fs::write(dir.join("data/secret/1.ans"), "3\n").unwrap();
                    }
                    _ => {
                        std::fs::create_dir_all(dir.join("submissions/accepted")).unwrap();
                        std::fs::write(dir.join("submissions/accepted/a.c"), "x").unwrap();
                    }
                }
            }
        }
        std::fs::write(b.path().join("submissions/accepted/b.c"), "y").unwrap();
        let (bytes_a, hash_a) = pack(a.path()).unwrap();
        let (_, hash_b) = pack(b.path()).unwrap();
        assert_eq!(hash_a, hash_b);
        let names: Vec<String> = tar::Archive::new(&bytes_a[..])
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "data",
                "data/secret",
                "data/secret/1.ans",
                "data/secret/1.in"
            ]
        );
        std::fs::write(a.path().join("data/secret/1.ans"), "4\n").unwrap();
        assert_ne!(pack(a.path()).unwrap().1, hash_a);
    }
}

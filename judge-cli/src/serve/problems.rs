//! The problems `judge serve` judges against: packages uploaded (`POST /problems`), known by
//! the SHA-256 of their archive, and the packages of `--problems DIR`, known by their
//! directory's name. Each is prepared (its validators built) once, on first use, and kept.
//!
//! An id from a request never names a path by itself: an upload's id must be 64 hex digits, a
//! `--problems` id one plain name, so no id reaches outside those two directories.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use judge_engine::hostdir::{beneath, ScratchDir};
use judge_engine::judge::Problem;
use judge_engine::profile::ProfileSet;
use judge_engine::sandbox::Sandbox;
use judge_engine::testset::{self, archive};
use sha2::{Digest, Sha256};

use super::judging::{lock, Refused};

#[derive(Debug)]
pub struct Problems {
    dir: Option<PathBuf>,
    uploads: ScratchDir,
    prepared: Mutex<HashMap<String, Arc<Problem>>>,
    /// One preparation at a time: a problem is prepared once even when asked for twice.
    preparing: Mutex<()>,
    /// The most an upload may unpack to.
    unpack: archive::ArchiveLimits,
}

/// Whether `id` is an upload's: a SHA-256 in lowercase hex.
fn is_upload_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Problems {
    pub fn new(dir: Option<PathBuf>, uploads: ScratchDir) -> Problems {
        Problems {
            dir,
            uploads,
            prepared: Mutex::new(HashMap::new()),
            preparing: Mutex::new(()),
            unpack: archive::ArchiveLimits::default(),
        }
    }

    /// Where the package `id` is, if the server has one.
    pub fn dir(&self, id: &str) -> Option<PathBuf> {
        self.find(id)
    }

    fn find(&self, id: &str) -> Option<PathBuf> {
        if is_upload_id(id) {
            let uploaded = self.uploads.path().join(id);
            return uploaded.is_dir().then(|| archive::package_root(&uploaded));
        }
        let name = Path::new(id);
        let plain = name.components().count() == 1 && beneath::is_plain_relative(name);
        let dir = self.dir.as_ref()?.join(name);
        (plain && dir.is_dir()).then_some(dir)
    }

    /// The prepared problem `id`.
    pub fn get(
        &self,
        id: &str,
        sandbox: &Sandbox,
        profiles: &ProfileSet,
    ) -> Result<Arc<Problem>, Refused> {
        if let Some(problem) = lock(&self.prepared).get(id) {
            return Ok(problem.clone());
        }
        let dir = self
            .find(id)
            .ok_or_else(|| Refused::Unknown(format!("problem: no problem has the id {id:?}")))?;
        let _one = lock(&self.preparing);
        if let Some(problem) = lock(&self.prepared).get(id) {
            return Ok(problem.clone());
        }
        let tests =
            testset::discover(&dir).map_err(|e| Refused::Invalid(format!("problem {id}: {e}")))?;
        let problem = Problem::prepare(sandbox, profiles, tests)
            .map_err(|e| Refused::Invalid(format!("problem {id}: {e}")))?;
        let problem = Arc::new(problem);
        lock(&self.prepared).insert(id.to_owned(), problem.clone());
        Ok(problem)
    }

    /// Unpack and prepare a package; answers its id, its test count and whether it was new.
    pub fn upload(
        &self,
        bytes: &[u8],
        sandbox: &Sandbox,
        profiles: &ProfileSet,
    ) -> Result<(String, usize, bool), Refused> {
        let id = format!("{:x}", Sha256::digest(bytes));
        let dir = self.uploads.path().join(&id);
        let one = lock(&self.preparing);
        let new = !dir.is_dir();
        if new {
            archive::unpack_package(bytes, &dir, &self.unpack).map_err(|e| match e {
                archive::PackageError::Io { .. } => Refused::Engine(e.to_string()),
                _ => Refused::Invalid(format!("package: {e}")),
            })?;
        }
        drop(one);
        let problem = self.get(&id, sandbox, profiles).inspect_err(|_| {
            if new {
                let _ = std::fs::remove_dir_all(&dir);
            }
        })?;
        Ok((id, problem.tests().tests.len(), new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_sha256_names_an_upload() {
        assert!(is_upload_id(&"a".repeat(64)));
        for id in [
            "../../etc",
            "",
            &"a".repeat(63),
            &"A".repeat(64),
            &"g".repeat(64),
        ] {
            assert!(!is_upload_id(id), "{id}");
        }
    }
}

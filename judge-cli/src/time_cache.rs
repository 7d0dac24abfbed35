//! Time limits `judge verify` derived for packages that declare none, kept for `judge run`.
//!
//! A derived limit belongs to the package's content: its `problem.yaml`, its test data and its
//! accepted submissions (what the limit was derived from). The key is a SHA-256 over each of
//! those files' path (relative to the package) and bytes, in name order; the limit is a file
//! named by the key under `$XDG_CACHE_HOME/judge/time-limits/` (or `~/.cache/...`), holding
//! the seconds. A changed package has another key, so a stale limit is never used.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use judge_engine::judge::Cache;
use sha2::{Digest, Sha256};

/// The parts of a package its derived time limit depends on.
const PARTS: [&str; 3] = ["problem.yaml", "data", "submissions/accepted"];

/// The key of `package`'s content.
pub fn key(package: &Path) -> io::Result<String> {
    let mut files = Vec::new();
    for part in PARTS {
        walk(package, &package.join(part), &mut files)?;
    }
    files.sort();
    let mut hash = Sha256::new();
    for relative in files {
        let bytes = fs::read(package.join(&relative))?;
        let name = relative.to_string_lossy();
        // Lengths first, so no two packages feed the same bytes.
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Regular files under `path` (itself included), relative to `root`; links are not followed.
fn walk(root: &Path, path: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if meta.is_dir() {
        for entry in fs::read_dir(path)? {
            walk(root, &entry?.path(), out)?;
        }
    } else if meta.is_file() {
        if let Ok(relative) = path.strip_prefix(root) {
            out.push(relative.to_path_buf());
        }
    }
    Ok(())
}

/// Where the limits are kept: beside the engine's cache.
fn dir() -> Option<PathBuf> {
    Some(Cache::default_dir().ok()?.join("time-limits"))
}

/// The limit derived for `package`'s current content, if one was.
pub fn load(package: &Path) -> Option<Duration> {
    let path = dir()?.join(key(package).ok()?);
    let text = fs::read_to_string(&path).ok()?;
    let secs: f64 = text.trim().parse().ok()?;
    let at = judge_engine::limits::Source::File { path, key: None };
    judge_engine::limits::time_secs(at, secs).ok()
}

/// Keep `limit` for `package`'s current content; where it was kept.
pub fn store(package: &Path, limit: Duration) -> io::Result<PathBuf> {
    let dir = dir().ok_or_else(|| io::Error::other("neither XDG_CACHE_HOME nor HOME is set"))?;
    fs::create_dir_all(&dir)?;
    let path = dir.join(key(package)?);
    let temp = path.with_extension("tmp");
    fs::write(&temp, format!("{}\n", limit.as_secs_f64()))?;
    fs::rename(&temp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_follows_the_content_that_matters_and_only_that() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        fs::create_dir_all(p.join("data/secret")).unwrap();
        fs::create_dir_all(p.join("submissions/accepted")).unwrap();
        fs::create_dir_all(p.join("submissions/wrong_answer")).unwrap();
        fs::write(p.join("problem.yaml"), "name: x\n").unwrap();
        fs::write(p.join("data/secret/1.in"), "1 2\n").unwrap();
        fs::write(p.join("submissions/accepted/a.c"), "int main(){}").unwrap();
        let first = key(p).unwrap();
        assert_eq!(first.len(), 64);
        assert_eq!(key(p).unwrap(), first);
        // A wrong answer or a statement does not change what the limit was derived from.
        fs::write(p.join("submissions/wrong_answer/w.c"), "x").unwrap();
        fs::write(p.join("statement.md"), "x").unwrap();
        assert_eq!(key(p).unwrap(), first);
        // Test data, accepted submissions and problem.yaml do.
        fs::write(p.join("data/secret/1.in"), "1 3\n").unwrap();
        let second = key(p).unwrap();
        assert_ne!(second, first);
        fs::write(p.join("submissions/accepted/b.c"), "int main(){}").unwrap();
        assert_ne!(key(p).unwrap(), second);
    }
}

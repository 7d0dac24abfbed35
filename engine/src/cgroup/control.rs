//! Reading and writing cgroup control files directly, with errors that name the file.
//!
//! The accounting reads go through here rather than through cgroups-rs: the crate maps a missing
//! or unreadable file to 0 (a silent `memory.peak` of 0 on old kernels, an empty process list when
//! `cgroup.procs` cannot be read) and reads a dozen files where the sandbox polls one. The plain
//! helpers open the file, do one read or write, and close it. A reused cgroup's hot files go
//! through [`Cache`] instead: kept open and read from offset 0, which makes the kernel generate
//! the content anew, so a reading is never stale, only cheaper.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::CgroupError;

/// The whole content of a control file.
pub(super) fn read(path: &Path) -> Result<String, CgroupError> {
    fs::read_to_string(path).map_err(|e| CgroupError::io("read", path, e))
}

/// The content, or `None` when the kernel does not provide the file.
pub(super) fn read_optional(path: &Path) -> Result<Option<String>, CgroupError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CgroupError::io("read", path, e)),
    }
}

/// Write `value` with one write(2), never creating the file: a missing control file means a
/// controller is absent, and that must be an error, not a new regular file. (`O_TRUNC` is what a
/// shell's `>` does too: cgroupfs ignores it, a plain file in a test gets replaced.)
pub(super) fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    let mut file = OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .map_err(|e| CgroupError::io("open", path, e))?;
    file.write_all(value.as_bytes())
        .map_err(|e| CgroupError::io("write", path, e))
}

/// Control files kept open, for the ones read or written on every run.
#[derive(Debug, Default)]
pub(super) struct Cache {
    files: Mutex<HashMap<(PathBuf, bool), File>>,
}

impl Cache {
    fn with<T>(
        &self,
        path: &Path,
        write: bool,
        f: impl FnOnce(&File) -> io::Result<T>,
    ) -> Result<T, CgroupError> {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let key = (path.to_path_buf(), write);
        if !files.contains_key(&key) {
            let file = OpenOptions::new()
                .read(!write)
                .write(write)
                .open(path)
                .map_err(|e| CgroupError::io("open", path, e))?;
            files.insert(key.clone(), file);
        }
        let verb = if write { "write" } else { "read" };
        f(&files[&key]).map_err(|e| CgroupError::io(verb, path, e))
    }

    /// The whole content, generated anew.
    pub(super) fn read(&self, path: &Path) -> Result<String, CgroupError> {
        self.with(path, false, |file| {
            let mut buf = vec![0u8; 4096];
            let mut len = 0;
            loop {
                let n = file.read_at(&mut buf[len..], len as u64)?;
                if n == 0 {
                    break;
                }
                len += n;
                if len == buf.len() {
                    buf.resize(buf.len() * 2, 0);
                }
            }
            buf.truncate(len);
            String::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        })
    }

    /// Write `value` with one write(2).
    pub(super) fn write(&self, path: &Path, value: &str) -> Result<(), CgroupError> {
        self.with(path, true, |file| {
            file.write_at(value.as_bytes(), 0).map(|_| ())
        })
    }
}

/// A file holding one unsigned number, such as `cpuacct.usage`.
pub(super) fn parse_u64(path: &Path, text: &str) -> Result<u64, CgroupError> {
    text.trim().parse().map_err(|_| CgroupError::Parse {
        path: path.to_path_buf(),
        expected: "an unsigned number",
        found: text.trim().to_string(),
    })
}

/// The value of `key` in a flat-keyed file (`key value` per line), such as `memory.events`.
pub(super) fn keyed_u64(path: &Path, text: &str, key: &'static str) -> Result<u64, CgroupError> {
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(' '))
        .ok_or_else(|| CgroupError::MissingKey {
            path: path.to_path_buf(),
            key,
        })?;
    parse_u64(path, line)
}

/// The pids listed in a `cgroup.procs` file.
pub(super) fn parse_pids(path: &Path, text: &str) -> Result<Vec<i32>, CgroupError> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            line.parse::<i32>()
                .ok()
                .filter(|pid| *pid > 0)
                .ok_or_else(|| CgroupError::Parse {
                    path: path.to_path_buf(),
                    expected: "one process id per line",
                    found: line.to_string(),
                })
        })
        .collect()
}

/// The pids in the cgroup directory `dir`.
pub(super) fn read_procs(dir: &Path) -> Result<Vec<i32>, CgroupError> {
    let path = dir.join("cgroup.procs");
    parse_pids(&path, &read(&path)?)
}

/// The pids in any of `dirs`, sorted, without duplicates.
pub(super) fn read_procs_union<'a>(
    dirs: impl IntoIterator<Item = &'a Path>,
) -> Result<Vec<i32>, CgroupError> {
    let mut pids = Vec::new();
    for dir in dirs {
        pids.extend(read_procs(dir)?);
    }
    pids.sort_unstable();
    pids.dedup();
    Ok(pids)
}

/// Space-separated words, as in `cgroup.controllers` and `cgroup.subtree_control`.
pub(super) fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// Wrap an error of cgroups-rs, whose messages carry only the file's base name, with its full path.
pub(super) fn crate_error(
    dir: &Path,
    file: &str,
    value: impl ToString,
) -> impl FnOnce(cgroups_rs::error::Error) -> CgroupError {
    let path = dir.join(file);
    let value = value.to_string();
    move |source| CgroupError::Control {
        path,
        value,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("/cg/memory.events")
    }

    #[test]
    fn keyed_value_is_found_among_other_keys() {
        let text = "low 0\nhigh 2\nmax 7\noom 3\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(keyed_u64(p(), text, "oom_kill").unwrap(), 1);
        assert_eq!(keyed_u64(p(), text, "oom").unwrap(), 3);
        assert_eq!(keyed_u64(p(), text, "max").unwrap(), 7);
    }

    #[test]
    fn keyed_value_does_not_match_a_longer_key() {
        let text = "oom_kill_disable 0\nunder_oom 0\n";
        let err = keyed_u64(p(), text, "oom_kill").unwrap_err();
        assert!(matches!(
            err,
            CgroupError::MissingKey {
                key: "oom_kill",
                ..
            }
        ));
        assert!(err.to_string().contains("/cg/memory.events"));
    }

    #[test]
    fn keyed_value_that_is_not_a_number_is_a_parse_error() {
        let err = keyed_u64(p(), "oom_kill many\n", "oom_kill").unwrap_err();
        assert!(matches!(err, CgroupError::Parse { .. }), "{err}");
    }

    #[test]
    fn single_number_tolerates_newline() {
        assert_eq!(parse_u64(p(), "123456789\n").unwrap(), 123_456_789);
        assert!(parse_u64(p(), "-1\n").is_err());
        assert!(parse_u64(p(), "").is_err());
    }

    #[test]
    fn pids_are_parsed_one_per_line() {
        assert_eq!(parse_pids(p(), "12\n7\n\n").unwrap(), vec![12, 7]);
        assert_eq!(parse_pids(p(), "").unwrap(), Vec::<i32>::new());
    }

    #[test]
    fn garbage_in_procs_is_an_error_not_a_zero_pid() {
        assert!(parse_pids(p(), "12\nx\n").is_err());
        assert!(parse_pids(p(), "0\n").is_err());
    }

    #[test]
    fn write_never_creates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.max");
        let err = write(&path, "1").unwrap_err();
        assert!(err.to_string().contains("memory.max"), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn write_replaces_content_and_read_optional_sees_absence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pids.max");
        fs::write(&path, "max\n").unwrap();
        write(&path, "16").unwrap();
        assert_eq!(read(&path).unwrap(), "16");
        assert_eq!(
            read_optional(&dir.path().join("memory.peak")).unwrap(),
            None
        );
    }

    #[test]
    fn procs_union_is_sorted_and_deduplicated() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        fs::write(a.path().join("cgroup.procs"), "30\n10\n").unwrap();
        fs::write(b.path().join("cgroup.procs"), "10\n20\n").unwrap();
        let pids = read_procs_union([a.path(), b.path()]).unwrap();
        assert_eq!(pids, vec![10, 20, 30]);
    }
}

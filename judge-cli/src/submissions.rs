//! Which files to judge: the SUBMISSION arguments of `judge batch`, each a file or a
//! directory of them, turned into a list of submissions; and the programs of a `judge verify`
//! folder, each a file or a directory (see [`programs_in`]).
//!
//! In order: every argument must exist; a file is taken as it is (even a hidden one: it was
//! named); a directory is walked recursively in natural order (`2` before `10`), skipping hidden
//! files and directories (`.git`, editor droppings) and following symbolic links without looping.
//! Each submission gets a key: its absolute path with every directory resolved (symbolic links,
//! `.` and `..`) but its own file name kept, so the same file reached twice is judged once and a
//! report written from one working directory is resumed from another.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use judge_engine::testset::natural_cmp;

#[derive(Debug, thiserror::Error)]
pub enum SubmissionsError {
    #[error("submission {path}: no such file or directory")]
    Missing { path: PathBuf },
    #[error("submission {path}: cannot {what}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

/// A file to judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The path as found: the argument, joined with the path inside it for a directory.
    pub path: PathBuf,
    /// What report files record and `--resume` matches on (see the module comment).
    pub key: String,
}

/// The submissions the arguments name, in argument order, each directory's in natural order,
/// every file once.
pub fn collect(inputs: &[PathBuf]) -> Result<Vec<Submission>, SubmissionsError> {
    let mut found = Vec::new();
    let mut keys = HashSet::new();
    let mut dirs_seen = HashSet::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => SubmissionsError::Missing {
                path: input.clone(),
            },
            _ => io_error("read its metadata", input, e),
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            walk(input, &mut dirs_seen, &mut files)?;
        } else {
            files.push(input.clone());
        }
        for path in files {
            let key = key(&path)?;
            if keys.insert(key.clone()) {
                found.push(Submission { path, key });
            }
        }
    }
    Ok(found)
}

/// The programs of a package's submissions folder: each entry directly in `dir`, a file or a
/// directory (one submission of several files), in natural order, hidden ones left out.
pub fn programs_in(dir: &Path) -> Result<Vec<Submission>, SubmissionsError> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_error("list it", dir, e))? {
        let entry = entry.map_err(|e| io_error("list it", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_hidden(&name) {
            entries.push((name, entry.path()));
        }
    }
    entries.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    entries
        .into_iter()
        .map(|(_, path)| {
            let key = key(&path)?;
            Ok(Submission { path, key })
        })
        .collect()
}

/// Write a submission's files (paths relative, already checked) below `dir`, made afresh and
/// the engine's own (the files are copied for the sandbox when judged); the path to judge:
/// the one file when `single`, else `dir`.
pub fn write_files<B: AsRef<[u8]>>(
    dir: &Path,
    files: &[(PathBuf, B)],
    single: bool,
) -> Result<PathBuf, String> {
    use std::os::unix::fs::MetadataExt;
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let me = fs::metadata(dir)
        .map(|m| (m.uid(), m.gid()))
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    for (rel, bytes) in files {
        judge_engine::hostdir::beneath::write_file(dir, rel, &mut bytes.as_ref(), 0o644, me)
            .map_err(|e| e.to_string())?;
    }
    match (single, files.first()) {
        (true, Some((rel, _))) => Ok(dir.join(rel)),
        (true, None) => Err("no file to judge".to_owned()),
        (false, _) => Ok(dir.to_path_buf()),
    }
}

fn io_error(what: &'static str, path: &Path, source: io::Error) -> SubmissionsError {
    SubmissionsError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
}

/// The files under `dir`, depth first, natural order.
fn walk(
    dir: &Path,
    seen: &mut HashSet<PathBuf>,
    files: &mut Vec<PathBuf>,
) -> Result<(), SubmissionsError> {
    let real = fs::canonicalize(dir).map_err(|e| io_error("resolve it", dir, e))?;
    if !seen.insert(real) {
        // A symbolic link back to a directory already walked.
        return Ok(());
    }
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_error("list it", dir, e))? {
        let entry = entry.map_err(|e| io_error("list it", dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_hidden(&name) {
            entries.push((name, entry.path()));
        }
    }
    entries.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    for (_, path) in entries {
        let meta = fs::metadata(&path).map_err(|e| io_error("read its metadata", &path, e))?;
        if meta.is_dir() {
            walk(&path, seen, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// The absolute path with its directories resolved and its file name kept.
pub fn key(path: &Path) -> Result<String, SubmissionsError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = fs::canonicalize(parent).map_err(|e| io_error("resolve its directory", path, e))?;
    let name = path.file_name().unwrap_or(path.as_os_str());
    Ok(dir.join(name).display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "x").unwrap();
    }

    fn names(subs: &[Submission], root: &Path) -> Vec<String> {
        subs.iter()
            .map(|s| s.path.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn directories_are_walked_recursively_in_natural_order_without_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["b/10.c", "b/2.c", "a.py", ".hidden.c", ".git/x.c", "b/.swp"] {
            touch(&root.join(f));
        }
        let subs = collect(&[root.to_owned()]).unwrap();
        assert_eq!(names(&subs, root), ["a.py", "b/2.c", "b/10.c"]);
    }

    #[test]
    fn a_named_hidden_file_is_taken_and_every_file_comes_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join(".x.c"));
        touch(&root.join("d/y.c"));
        let subs = collect(&[
            root.join(".x.c"),
            root.join("d"),
            root.join("d/../d/y.c"),
            root.join("d/y.c"),
        ])
        .unwrap();
        assert_eq!(names(&subs, root), [".x.c", "d/y.c"]);
    }

    #[test]
    fn keys_are_absolute_with_directories_resolved_and_names_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        touch(&root.join("real/a.c"));
        std::os::unix::fs::symlink(root.join("real"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(root.join("real/a.c"), root.join("real/b.c")).unwrap();
        let via_link = key(&root.join("link/../real/./a.c")).unwrap();
        assert_eq!(via_link, root.join("real/a.c").display().to_string());
        assert_eq!(
            key(&root.join("link/a.c")).unwrap(),
            root.join("real/a.c").display().to_string()
        );
        assert_eq!(
            key(&root.join("real/b.c")).unwrap(),
            root.join("real/b.c").display().to_string(),
            "a linked file keeps its own name (and extension)"
        );
    }

    #[test]
    fn a_directory_link_loop_ends() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("d/a.c"));
        std::os::unix::fs::symlink(root.join("d"), root.join("d/again")).unwrap();
        let subs = collect(&[root.join("d")]).unwrap();
        assert_eq!(names(&subs, root), ["d/a.c"]);
    }

    #[test]
    fn a_missing_argument_is_named() {
        let err = collect(&[PathBuf::from("/no/such/dir")])
            .unwrap_err()
            .to_string();
        assert_eq!(err, "submission /no/such/dir: no such file or directory");
    }
}

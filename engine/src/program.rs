//! A submission as given: one file, or a directory of files (the package format's "program").
//!
//! A directory's files are listed once, here, for both choosing the language (by the names)
//! and copying into the sandbox (by the contents). Entries whose name starts with a dot are
//! left out, as the format says a judge must behave as if they were not there. A symbolic
//! link is followed only when what it points to is inside the directory itself: a link to
//! `/etc/shadow` in a contestant's directory must not make the engine, which runs as root,
//! copy that file to the program. A link outside, a name that is not UTF-8, too many files or
//! too many bytes are the submission's fault (a compile error), never the judge's.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The most files a directory submission may hold.
pub const MAX_FILES: usize = 1000;
/// The most bytes a directory submission's files may hold together.
pub const MAX_BYTES: u64 = 64 << 20;

/// The files of a submission.
#[derive(Clone, Debug)]
pub struct Program {
    /// The path as given.
    pub path: PathBuf,
    /// Whether it is a directory (a single file is a directory holding only it).
    pub is_dir: bool,
    /// Its files, in name order; a single file's name is its file name.
    pub files: Vec<ProgramFile>,
}

/// One file of a submission.
#[derive(Clone, Debug)]
pub struct ProgramFile {
    /// The path relative to the submission directory, `/`-separated.
    pub name: String,
    /// Where its content is on the host (a link resolved).
    pub host: PathBuf,
    /// Its permission bits.
    pub mode: u32,
}

impl ProgramFile {
    /// The file's extension (after the last dot of its last component), if any.
    pub fn extension(&self) -> Option<&str> {
        let base = self.name.rsplit('/').next().unwrap_or(&self.name);
        base.rsplit_once('.')
            .map(|(_, ext)| ext)
            .filter(|_| !base.starts_with('.'))
    }

    /// Whether it lies at the top of the directory.
    pub fn at_top(&self) -> bool {
        !self.name.contains('/')
    }
}

/// Why a submission's files could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    #[error("submission {0}: no such file or directory")]
    Missing(PathBuf),
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The submission's fault: a compile error with this reason.
    #[error("submission {}: {why}", path.display())]
    Refused { path: PathBuf, why: String },
}

impl Program {
    /// Lists the submission at `path`.
    pub fn list(path: &Path) -> Result<Program, ProgramError> {
        let meta = fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ProgramError::Missing(path.to_owned()),
            _ => io("read the metadata of", path, e),
        })?;
        if !meta.is_dir() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Ok(Program {
                path: path.to_owned(),
                is_dir: false,
                files: vec![ProgramFile {
                    name,
                    host: path.to_owned(),
                    mode: meta.permissions().mode() & 0o777,
                }],
            });
        }
        let root = fs::canonicalize(path).map_err(|e| io("resolve", path, e))?;
        let mut walk = Walk {
            given: path,
            root: &root,
            files: Vec::new(),
            bytes: 0,
            seen: HashSet::new(),
        };
        walk.dir(&root, "")?;
        let mut files = walk.files;
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Program {
            path: path.to_owned(),
            is_dir: true,
            files,
        })
    }

    /// The file at the top of the directory named `name`, if any.
    pub fn top(&self, name: &str) -> Option<&ProgramFile> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Whether it is a directory with a `build` or `run` script at its top (the format's
    /// build-and-run program).
    pub fn has_scripts(&self) -> bool {
        self.is_dir && (self.top("build").is_some() || self.top("run").is_some())
    }
}

struct Walk<'a> {
    given: &'a Path,
    root: &'a Path,
    files: Vec<ProgramFile>,
    bytes: u64,
    /// Directories entered, resolved, so a link cannot make a loop.
    seen: HashSet<PathBuf>,
}

impl Walk<'_> {
    fn refuse(&self, why: String) -> ProgramError {
        ProgramError::Refused {
            path: self.given.to_owned(),
            why,
        }
    }

    fn dir(&mut self, dir: &Path, prefix: &str) -> Result<(), ProgramError> {
        if !self.seen.insert(dir.to_owned()) {
            return Ok(());
        }
        let entries = fs::read_dir(dir).map_err(|e| io("list", dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io("list", dir, e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                return Err(self.refuse(format!("the name {:?} is not UTF-8", entry.file_name())));
            };
            if name.starts_with('.') {
                continue;
            }
            let rel = format!("{prefix}{name}");
            let mut host = entry.path();
            let mut meta = fs::symlink_metadata(&host).map_err(|e| io("stat", &host, e))?;
            if meta.file_type().is_symlink() {
                let target = fs::canonicalize(&host)
                    .map_err(|_| self.refuse(format!("{rel} is a link that points nowhere")))?;
                if !target.starts_with(self.root) {
                    return Err(self.refuse(format!(
                        "{rel} is a link to {}, outside the submission",
                        target.display()
                    )));
                }
                meta = fs::metadata(&target).map_err(|e| io("stat", &target, e))?;
                host = target;
            }
            if meta.is_dir() {
                self.dir(&host, &format!("{rel}/"))?;
            } else if meta.is_file() {
                self.bytes += meta.len();
                if self.files.len() >= MAX_FILES {
                    return Err(self.refuse(format!("more than {MAX_FILES} files")));
                }
                if self.bytes > MAX_BYTES {
                    return Err(
                        self.refuse(format!("its files hold more than {} MiB", MAX_BYTES >> 20))
                    );
                }
                self.files.push(ProgramFile {
                    name: rel,
                    host,
                    mode: meta.permissions().mode() & 0o777,
                });
            }
            // FIFOs, sockets, devices: no part of a program.
        }
        Ok(())
    }
}

fn io(op: &'static str, path: &Path, source: std::io::Error) -> ProgramError {
    ProgramError::Io {
        op,
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &Program) -> Vec<&str> {
        p.files.iter().map(|f| f.name.as_str()).collect()
    }

    #[test]
    fn a_file_is_a_program_of_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sol.cpp");
        fs::write(&file, "int main(){}").unwrap();
        let p = Program::list(&file).unwrap();
        assert!(!p.is_dir);
        assert_eq!(names(&p), ["sol.cpp"]);
        assert_eq!(p.files[0].extension(), Some("cpp"));
    }

    #[test]
    fn a_directory_lists_its_tree_without_hidden_entries() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sub");
        fs::create_dir_all(root.join("lib")).unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join("main.py"), "import lib.util\n").unwrap();
        fs::write(root.join("lib/util.py"), "x = 1\n").unwrap();
        fs::write(root.join(".git/HEAD"), "ref\n").unwrap();
        fs::write(root.join(".hidden.py"), "\n").unwrap();
        let p = Program::list(&root).unwrap();
        assert!(p.is_dir);
        assert_eq!(names(&p), ["lib/util.py", "main.py"]);
        assert!(!p.files[0].at_top());
        assert!(p.files[1].at_top());
    }

    #[test]
    fn a_link_inside_is_followed_and_one_outside_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sub");
        fs::create_dir(&root).unwrap();
        fs::write(root.join("a.c"), "int f;\n").unwrap();
        std::os::unix::fs::symlink("a.c", root.join("b.c")).unwrap();
        // A link back to the directory itself cannot make a loop.
        std::os::unix::fs::symlink(".", root.join("again")).unwrap();
        let p = Program::list(&root).unwrap();
        assert_eq!(names(&p), ["a.c", "b.c"]);
        assert_eq!(p.files[1].host, fs::canonicalize(root.join("a.c")).unwrap());

        fs::write(dir.path().join("secret"), "key\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("s.txt")).unwrap();
        let err = Program::list(&root).unwrap_err();
        assert!(
            matches!(&err, ProgramError::Refused { why, .. } if why.contains("outside")),
            "{err}"
        );
    }

    #[test]
    fn too_many_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..=MAX_FILES {
            fs::write(dir.path().join(format!("f{i}.txt")), "").unwrap();
        }
        let err = Program::list(dir.path()).unwrap_err();
        assert!(matches!(err, ProgramError::Refused { .. }), "{err}");
    }

    #[test]
    fn scripts_are_found_at_the_top() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("x")).unwrap();
        fs::write(dir.path().join("x/run"), "").unwrap();
        assert!(!Program::list(dir.path()).unwrap().has_scripts());
        fs::write(dir.path().join("build"), "").unwrap();
        assert!(Program::list(dir.path()).unwrap().has_scripts());
    }
}

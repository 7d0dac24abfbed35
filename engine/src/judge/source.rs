//! A submission's files, read and checked, and put in its work directory.
//!
//! A single file is saved under the name its profile gives (`main.cpp`, `Main.java`); a
//! directory's files keep their names and sub-directories, with their permission bits (a
//! `run` script stays executable). A file in the profile's language must be program text
//! (UTF-8, no NUL byte; a lone file must not be empty); anything else in a directory (data,
//! headers, scripts) is copied as it is. With the package's constants, every UTF-8 file has
//! them replaced. What is wrong with the files is the submission's fault, a compile error.

use std::path::Path;

use super::JudgeError;
use crate::profile::{Profile, Vars};
use crate::program::{Program, ProgramError};
use crate::sandbox::Sandbox;
use crate::testset::Constants;

/// A submission's files as they will be placed.
#[derive(Debug)]
pub(crate) struct Given {
    program: Program,
    /// Each file's bytes, in the order of `program.files`.
    contents: Vec<Vec<u8>>,
}

/// What a submission decides, or why it is a compile error.
pub(crate) type Prepared = Result<(Given, Vars), String>;

/// Read the submission at `path` for `profile`, replace `constants` if given, and fix what it
/// decides (entry point, Java class).
pub(crate) fn prepare(
    path: &Path,
    profile: &Profile,
    constants: Option<&Constants>,
    entry: Option<&str>,
    memory: u64,
) -> Result<Prepared, JudgeError> {
    let program = match Program::list(path) {
        Ok(program) => program,
        Err(ProgramError::Refused { why, .. }) => {
            return Ok(Err(format!("submission {}: {why}", path.display())))
        }
        Err(ProgramError::Missing(path)) => return Err(JudgeError::MissingSource(path)),
        Err(ProgramError::Io { op, path, source }) => {
            return Err(JudgeError::io(op, &path, source))
        }
    };
    let mut contents = Vec::with_capacity(program.files.len());
    let mut texts: Vec<(String, usize)> = Vec::new();
    for (i, file) in program.files.iter().enumerate() {
        let bytes = std::fs::read(&file.host).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => JudgeError::MissingSource(file.host.clone()),
            _ => JudgeError::io("read source", &file.host, e),
        })?;
        let in_language = !program.is_dir
            || file
                .extension()
                .is_some_and(|e| profile.extensions().iter().any(|x| x == e));
        if in_language {
            if let Err(why) = program_text(&bytes, !program.is_dir) {
                let shown = if program.is_dir {
                    path.join(&file.name)
                } else {
                    path.to_owned()
                };
                return Ok(Err(format!("source {}: {why}", shown.display())));
            }
            texts.push((file.name.clone(), i));
        }
        let bytes = match (constants, String::from_utf8(bytes)) {
            (Some(constants), Ok(text)) => constants.substitute(&text).into_bytes(),
            (_, Ok(text)) => text.into_bytes(),
            (_, Err(not_text)) => not_text.into_bytes(),
        };
        contents.push(bytes);
    }
    let text = |i: usize| std::str::from_utf8(&contents[i]).unwrap_or_default();
    let vars = if program.is_dir {
        let files: Vec<(String, &str)> = texts
            .iter()
            .map(|(name, i)| (name.clone(), text(*i)))
            .collect();
        profile.prepare_dir(path, &files, entry, memory)
    } else {
        profile.prepare(text(0), memory)
    };
    let vars = match vars {
        Ok(vars) => vars,
        Err(e) if e.is_submission_fault() => return Ok(Err(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    Ok(Ok((Given { program, contents }, vars)))
}

/// Why `bytes` are not program text, if they are not; `lone` for a single-file submission,
/// which must not be empty.
fn program_text(bytes: &[u8], lone: bool) -> Result<(), String> {
    if lone && bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("the file is empty: no program to compile".to_owned());
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(format!(
            "a NUL byte at offset {at}: a binary file, not program text"
        ));
    }
    std::str::from_utf8(bytes).map(drop).map_err(|e| {
        format!(
            "invalid UTF-8 at offset {}: source code must be UTF-8 text",
            e.valid_up_to()
        )
    })
}

impl Given {
    /// Whether the submission is a directory with a `build` script at its top.
    pub fn has_build(&self) -> bool {
        self.program.is_dir && self.program.top("build").is_some()
    }

    /// Write the files into `work` (a sandbox directory), as the module comment says.
    pub fn place(&self, sandbox: &Sandbox, work: &Path, vars: &Vars) -> Result<(), JudgeError> {
        let dirs = sandbox.dirs();
        for (file, bytes) in self.program.files.iter().zip(&self.contents) {
            let (target, mode) = if self.program.is_dir {
                (work.join(&file.name), file.mode)
            } else {
                (work.join(vars.source_file_name()), 0o644)
            };
            if let Some(parent) = target.parent() {
                make_dirs(sandbox, work, parent)?;
            }
            dirs.write_given(&target, bytes, mode | 0o400)?;
        }
        Ok(())
    }
}

/// Make `dir` and its missing parents below `work`, each given to the sandbox's host uid.
fn make_dirs(sandbox: &Sandbox, work: &Path, dir: &Path) -> Result<(), JudgeError> {
    if dir == work || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        make_dirs(sandbox, work, parent)?;
    }
    std::fs::create_dir(dir).map_err(|e| JudgeError::io("mkdir", dir, e))?;
    Ok(sandbox.dirs().give(dir)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileSet;

    #[test]
    fn a_source_that_is_no_program_text_says_why() {
        assert_eq!(
            program_text(b"int main\0() {}", true),
            Err("a NUL byte at offset 8: a binary file, not program text".to_owned())
        );
        assert_eq!(
            program_text(&[b'x', 0xff, 0xfe], false),
            Err("invalid UTF-8 at offset 1: source code must be UTF-8 text".to_owned())
        );
        let empty = Err("the file is empty: no program to compile".to_owned());
        assert_eq!(program_text(b"", true), empty);
        assert_eq!(program_text(b" \n\t", true), empty);
        // An empty file in a directory (`__init__.py`) is fine.
        assert_eq!(program_text(b"", false), Ok(()));
        assert_eq!(program_text(b"int main() {}", true), Ok(()));
    }

    #[test]
    fn a_missing_source_is_the_callers_error() {
        let profiles = ProfileSet::builtin().unwrap();
        let c = profiles.get("c").unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            prepare(&dir.path().join("missing.c"), c, None, None, 64 << 20),
            Err(JudgeError::MissingSource(_))
        ));
    }

    #[test]
    fn a_directory_keeps_its_names_and_checks_only_its_sources() {
        let profiles = ProfileSet::builtin().unwrap();
        let python = profiles.get("python3").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("sol");
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::write(root.join("main.py"), "import pkg.util\n").unwrap();
        std::fs::write(root.join("pkg/__init__.py"), "").unwrap();
        std::fs::write(root.join("pkg/util.py"), "X = 1\n").unwrap();
        std::fs::write(root.join("table.bin"), [0u8, 0xff]).unwrap();
        let (given, vars) = prepare(&root, python, None, None, 64 << 20)
            .unwrap()
            .unwrap();
        assert_eq!(vars.source_file_name(), "main.py");
        assert_eq!(
            vars.sources(),
            ["main.py", "pkg/__init__.py", "pkg/util.py"]
        );
        assert!(!given.has_build());

        std::fs::write(root.join("pkg/bad.py"), [b'#', 0xff]).unwrap();
        let why = prepare(&root, python, None, None, 64 << 20)
            .unwrap()
            .unwrap_err();
        assert!(why.contains("pkg/bad.py: invalid UTF-8"), "{why}");
    }
}

//! A submission's files, read and checked, and put in its work directory.
//!
//! A single file is saved under the name its profile gives (`main.cpp`, `Main.java`); a
//! directory's files keep their names and sub-directories, with their permission bits (a
//! `run` script stays executable). A file in the profile's language must be program text
//! (UTF-8, no NUL byte; a lone file must not be empty); anything else in a directory (data,
//! headers, scripts) is copied as it is. With the package's constants, every UTF-8 file has
//! them replaced. What is wrong with the files is the submission's fault, a compile error.
//! A package's `include/` files for the language join the submission's (replacing those of
//! the same name, constants always replaced): a lone file becomes a directory with them.

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

/// The package's files to add to a submission: `include/<language>/` or `include/default/`,
/// with the package's constants, which always apply to them.
pub(crate) struct Included<'a> {
    pub dir: &'a Path,
    pub constants: &'a Constants,
}

/// Read the submission at `path` for `profile`, replace `constants` if given, add the
/// package's `include` files, and fix what it decides (entry point, Java class).
pub(crate) fn prepare(
    path: &Path,
    profile: &Profile,
    constants: Option<&Constants>,
    entry: Option<&str>,
    memory: u64,
    include: Option<Included>,
) -> Result<Prepared, JudgeError> {
    let mut program = match Program::list(path) {
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
    for file in &program.files {
        let bytes = read(&file.host)?;
        let in_language = !program.is_dir || profile.claims(file);
        if in_language {
            if let Err(why) = program_text(&bytes, !program.is_dir) {
                let shown = if program.is_dir {
                    path.join(&file.name)
                } else {
                    path.to_owned()
                };
                return Ok(Err(format!("source {}: {why}", shown.display())));
            }
        }
        contents.push(substituted(bytes, constants));
    }
    let text = |contents: &[Vec<u8>], i: usize| {
        std::str::from_utf8(&contents[i])
            .unwrap_or_default()
            .to_owned()
    };
    let mut lone = None;
    if let Some(include) = include {
        if !program.is_dir {
            // One file joins the included ones as a directory; a Java file is named after
            // its class, as it would be alone.
            if profile.needs_class() {
                match profile.prepare(&text(&contents, 0), memory) {
                    Ok(vars) => program.files[0].name = vars.source_file_name().to_owned(),
                    Err(e) if e.is_submission_fault() => return Ok(Err(e.to_string())),
                    Err(e) => return Err(e.into()),
                }
            }
            program.is_dir = true;
            lone = Some(program.files[0].name.clone());
        }
        add_included(&mut program, &mut contents, include)?;
    }
    let vars = if program.is_dir {
        let files: Vec<(String, String)> = program
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| profile.claims(f))
            .map(|(i, f)| (f.name.clone(), text(&contents, i)))
            .collect();
        let files: Vec<(String, &str)> =
            files.iter().map(|(n, t)| (n.clone(), t.as_str())).collect();
        match profile.prepare_dir(path, &files, entry, memory) {
            // A lone file among included ones is the entry point unless one of those is.
            Err(e) if e.is_submission_fault() && entry.is_none() && lone.is_some() => {
                profile.prepare_dir(path, &files, lone.as_deref(), memory)
            }
            other => other,
        }
    } else {
        profile.prepare(&text(&contents, 0), memory)
    };
    let vars = match vars {
        Ok(vars) => vars,
        Err(e) if e.is_submission_fault() => return Ok(Err(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    Ok(Ok((Given { program, contents }, vars)))
}

fn read(host: &Path) -> Result<Vec<u8>, JudgeError> {
    std::fs::read(host).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => JudgeError::MissingSource(host.to_owned()),
        _ => JudgeError::io("read source", host, e),
    })
}

/// `bytes` with `constants` replaced, when they are given and the bytes are text.
fn substituted(bytes: Vec<u8>, constants: Option<&Constants>) -> Vec<u8> {
    match (constants, String::from_utf8(bytes)) {
        (Some(constants), Ok(text)) => constants.substitute(&text).into_bytes(),
        (_, Ok(text)) => text.into_bytes(),
        (_, Err(not_text)) => not_text.into_bytes(),
    }
}

/// Adds the included files to the submission's, replacing a submission file of the same
/// name, as the package format says.
fn add_included(
    program: &mut Program,
    contents: &mut Vec<Vec<u8>>,
    include: Included,
) -> Result<(), JudgeError> {
    let bad = |why: String| JudgeError::Include {
        path: include.dir.to_owned(),
        why,
    };
    let extra = match Program::list(include.dir) {
        Ok(extra) => extra,
        Err(ProgramError::Refused { why, .. }) => return Err(bad(why)),
        Err(ProgramError::Missing(path)) => {
            return Err(bad(format!("{} is missing", path.display())))
        }
        Err(ProgramError::Io { op, path, source }) => {
            return Err(JudgeError::io(op, &path, source))
        }
    };
    for file in extra.files {
        let bytes = substituted(read(&file.host)?, Some(include.constants));
        match program.files.iter().position(|f| f.name == file.name) {
            Some(i) => {
                program.files[i] = file;
                contents[i] = bytes;
            }
            None => {
                program.files.push(file);
                contents.push(bytes);
            }
        }
    }
    Ok(())
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
        for (name, mode, bytes) in self.placed(vars) {
            let target = work.join(name);
            if let Some(parent) = target.parent() {
                make_dirs(sandbox, work, parent)?;
            }
            dirs.write_given(&target, bytes, mode)?;
        }
        Ok(())
    }

    /// Each file as [`Given::place`] writes it: its name in the work directory, its
    /// permission bits and its bytes.
    pub fn placed<'a>(&'a self, vars: &'a Vars) -> impl Iterator<Item = (&'a str, u32, &'a [u8])> {
        self.program
            .files
            .iter()
            .zip(&self.contents)
            .map(move |(file, bytes)| {
                if self.program.is_dir {
                    (file.name.as_str(), file.mode | 0o400, bytes.as_slice())
                } else {
                    (vars.source_file_name(), 0o644 | 0o400, bytes.as_slice())
                }
            })
    }
}

/// Make `dir` and its missing parents below `work`, each given to the sandbox's host uid.
pub(crate) fn make_dirs(sandbox: &Sandbox, work: &Path, dir: &Path) -> Result<(), JudgeError> {
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
            prepare(&dir.path().join("missing.c"), c, None, None, 64 << 20, None),
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
        let (given, vars) = prepare(&root, python, None, None, 64 << 20, None)
            .unwrap()
            .unwrap();
        assert_eq!(vars.source_file_name(), "main.py");
        assert_eq!(
            vars.sources(),
            ["main.py", "pkg/__init__.py", "pkg/util.py"]
        );
        assert!(!given.has_build());

        std::fs::write(root.join("pkg/bad.py"), [b'#', 0xff]).unwrap();
        let why = prepare(&root, python, None, None, 64 << 20, None)
            .unwrap()
            .unwrap_err();
        assert!(why.contains("pkg/bad.py: invalid UTF-8"), "{why}");
    }

    #[test]
    fn included_files_join_a_submission_and_replace_its_files_of_the_same_name() {
        let profiles = ProfileSet::builtin().unwrap();
        let python = profiles.get("python3").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let sol = dir.path().join("sol.py");
        std::fs::write(&sol, "from helper import N\nprint(N, '{{N}}')\n").unwrap();
        let include = dir.path().join("include/python3");
        std::fs::create_dir_all(&include).unwrap();
        std::fs::write(include.join("helper.py"), "N = {{N}}\n").unwrap();
        let constants = Constants::from_yaml(
            Path::new("problem.yaml"),
            Some(serde_yaml::from_str("N: 7").unwrap()),
        )
        .unwrap();
        let included = || {
            Some(Included {
                dir: &include,
                constants: &constants,
            })
        };
        let (given, vars) = prepare(&sol, python, None, None, 64 << 20, included())
            .unwrap()
            .unwrap();
        // The lone file keeps its name and is the entry point; constants reach only the
        // package's file (the submission is a contestant's here).
        assert_eq!(vars.source_file_name(), "sol.py");
        let names: Vec<&str> = given
            .program
            .files
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, ["sol.py", "helper.py"]);
        assert_eq!(given.contents[1], b"N = 7\n");
        assert!(String::from_utf8_lossy(&given.contents[0]).contains("'{{N}}'"));

        // A driver named as the language's main file is the entry point; an included file
        // replaces the submission's file of the same name.
        std::fs::write(include.join("main.py"), "import sol\n").unwrap();
        let solution = dir.path().join("solution");
        std::fs::create_dir_all(&solution).unwrap();
        std::fs::write(solution.join("sol.py"), "print(1)\n").unwrap();
        std::fs::write(solution.join("helper.py"), "N = 0\n").unwrap();
        let (given, vars) = prepare(&solution, python, None, None, 64 << 20, included())
            .unwrap()
            .unwrap();
        assert_eq!(vars.source_file_name(), "main.py");
        let helper = given
            .program
            .files
            .iter()
            .position(|f| f.name == "helper.py")
            .unwrap();
        assert_eq!(given.contents[helper], b"N = 7\n");
        assert_eq!(given.program.files.len(), 3);
    }

    #[test]
    fn a_lone_java_file_among_included_ones_is_named_after_its_class() {
        let profiles = ProfileSet::builtin().unwrap();
        let java = profiles.get("java").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let sol = dir.path().join("solution.java");
        std::fs::write(
            &sol,
            "public class Main { public static void main(String[] a) { Lib.go(); } }\n",
        )
        .unwrap();
        let include = dir.path().join("include");
        std::fs::create_dir_all(&include).unwrap();
        std::fs::write(
            include.join("Lib.java"),
            "class Lib { static void go() {} }\n",
        )
        .unwrap();
        let constants = Constants::default();
        let (given, vars) = prepare(
            &sol,
            java,
            None,
            None,
            256 << 20,
            Some(Included {
                dir: &include,
                constants: &constants,
            }),
        )
        .unwrap()
        .unwrap();
        assert_eq!(vars.source_file_name(), "Main.java");
        assert_eq!(vars.class(), Some("Main"));
        let names: Vec<&str> = given
            .program
            .files
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names, ["Main.java", "Lib.java"]);
    }
}

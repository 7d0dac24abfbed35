//! Output validators in a problem package: finding the programs and telling their language.
//!
//! A program is a single file or a directory of files (a single file counts as a directory
//! holding only it). Its language comes from the file extensions, as the package format's
//! language table gives them; headers and other files are carried along but not compiled. A
//! directory with a `build` or `run` script at its top is built and run by them instead (the
//! format's build-run program); a directory holding nothing but one directory is that
//! directory's program. A Python file whose `#!` line names python2 is refused, since only
//! Python 3 runs here.

use std::fs;
use std::path::{Path, PathBuf};

use super::natural::natural_cmp;
use super::{TestSetError, ValidatorLanguage, ValidatorSource};

const C_EXTS: &[&str] = &["c"];
const CPP_EXTS: &[&str] = &["cc", "cpp", "cxx", "c++", "C"];
const PY_EXTS: &[&str] = &["py", "py3"];
/// Source files of languages in the format's table that this judge cannot build: a validator
/// holding one is refused rather than built from its other files.
const OTHER_LANG_EXTS: &[&str] = &[
    "java", "kt", "py2", "go", "rs", "js", "ts", "rb", "cs", "fs", "hs", "ml", "pas", "scala",
    "swift", "d", "lua", "php", "pl", "pm", "jl", "cr", "ex", "erl", "dart", "zig", "nim", "f90",
    "adb", "ads", "cob", "sim",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    C,
    Cpp,
    Python,
}

impl Lang {
    fn of(file: &Path) -> Option<Lang> {
        let ext = file.extension()?.to_str()?;
        if C_EXTS.contains(&ext) {
            Some(Lang::C)
        } else if CPP_EXTS.contains(&ext) {
            Some(Lang::Cpp)
        } else if PY_EXTS.contains(&ext) {
            Some(Lang::Python)
        } else {
            None
        }
    }

    fn label(self) -> &'static str {
        match self {
            Lang::C => "C",
            Lang::Cpp => "C++",
            Lang::Python => "Python",
        }
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, TestSetError> {
    let read_err = |source| TestSetError::ReadDir {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .map_or(true, |n| n.starts_with('.'));
        if !hidden {
            paths.push(path);
        }
    }
    paths.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
    Ok(paths)
}

/// Every program in `dir` (legacy `output_validators/`), in natural order.
pub fn programs_in(dir: &Path) -> Result<Vec<ValidatorSource>, TestSetError> {
    read_dir_sorted(dir)?.iter().map(|p| program(p)).collect()
}

/// A package's input validators: each program in `input_validators/` (or the older
/// `input_format_validators/`), or the one program `input_validator/`; and the files and
/// programs this judge cannot run, with why (Checktestdata `.ctd` and VIVA `.viva` files, a
/// language it cannot build). Judging needs none of them, so none of this is an error.
#[derive(Debug, Default)]
pub struct InputValidators {
    pub programs: Vec<ValidatorSource>,
    pub not_run: Vec<(PathBuf, String)>,
}

pub fn input_validators(root: &Path) -> Result<InputValidators, TestSetError> {
    let mut out = InputValidators::default();
    let add = |path: &Path, out: &mut InputValidators| {
        let ext = path.extension().and_then(|e| e.to_str());
        if path.is_file() && matches!(ext, Some("ctd" | "viva")) {
            let tool = if ext == Some("ctd") {
                "Checktestdata"
            } else {
                "VIVA"
            };
            out.not_run
                .push((path.to_owned(), format!("{tool} is not available here")));
            return;
        }
        match program(path) {
            Ok(program) => out.programs.push(program),
            Err(e) => out.not_run.push((path.to_owned(), e.to_string())),
        }
    };
    for dir in ["input_validators", "input_format_validators"] {
        let dir = root.join(dir);
        if dir.is_dir() {
            for path in read_dir_sorted(&dir)? {
                add(&path, &mut out);
            }
        }
    }
    let one = root.join("input_validator");
    if one.is_dir() {
        add(&one, &mut out);
    }
    Ok(out)
}

/// One program: a file, or a directory of files.
pub fn program(path: &Path) -> Result<ValidatorSource, TestSetError> {
    let files = if path.is_dir() {
        let files = read_dir_sorted(path)?;
        let script = |name: &str| files.iter().any(|f| f.ends_with(name) && f.is_file());
        if script("build") || script("run") {
            return Ok(ValidatorSource {
                name: file_name(path),
                path: path.to_path_buf(),
                language: ValidatorLanguage::BuildRun {
                    build: script("build"),
                },
                sources: Vec::new(),
            });
        }
        // `output_validator/` holding the program as its one directory, and no source.
        let subdirs: Vec<&PathBuf> = files.iter().filter(|f| f.is_dir()).collect();
        if let [only] = subdirs.as_slice() {
            if !files.iter().any(|f| f.is_file() && Lang::of(f).is_some()) {
                return program(only);
            }
        }
        files.into_iter().filter(|f| f.is_file()).collect()
    } else {
        vec![path.to_path_buf()]
    };

    if let Some(file) = files.iter().find(|f| {
        f.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| OTHER_LANG_EXTS.contains(&e))
    }) {
        return Err(TestSetError::ValidatorUnsupportedLanguage {
            path: path.to_path_buf(),
            file: file.clone(),
        });
    }

    let sources: Vec<(Lang, PathBuf)> = files
        .into_iter()
        .filter_map(|f| Lang::of(&f).map(|l| (l, f)))
        .collect();
    let Some(lang) = sources.first().map(|(l, _)| *l) else {
        return Err(TestSetError::ValidatorNoSources {
            path: path.to_path_buf(),
        });
    };
    if sources.iter().any(|(l, _)| *l != lang) {
        let mut labels: Vec<&str> = sources.iter().map(|(l, _)| l.label()).collect();
        labels.dedup();
        return Err(TestSetError::ValidatorMixedLanguages {
            path: path.to_path_buf(),
            languages: labels.join(", "),
        });
    }
    let sources: Vec<PathBuf> = sources.into_iter().map(|(_, f)| f).collect();

    let language = match lang {
        Lang::C => ValidatorLanguage::C,
        Lang::Cpp => ValidatorLanguage::Cpp,
        Lang::Python => {
            for file in &sources {
                if is_python2(file)? {
                    return Err(TestSetError::ValidatorPython2 { file: file.clone() });
                }
            }
            let main = match sources.as_slice() {
                [only] => only.clone(),
                _ => sources
                    .iter()
                    .find(|f| f.file_name().is_some_and(|n| n == "main.py"))
                    .or_else(|| {
                        sources
                            .iter()
                            .find(|f| f.file_name().is_some_and(|n| n == "__main__.py"))
                    })
                    .cloned()
                    .ok_or_else(|| TestSetError::ValidatorNoPythonMain {
                        path: path.to_path_buf(),
                    })?,
            };
            ValidatorLanguage::Python3 { main }
        }
    };
    Ok(ValidatorSource {
        name: file_name(path),
        path: path.to_path_buf(),
        language,
        sources,
    })
}

/// A program's name: a directory's name, a file's stem.
fn file_name(path: &Path) -> String {
    if path.is_dir() {
        path.file_name()
    } else {
        path.file_stem()
    }
    .map(|n| n.to_string_lossy().into_owned())
    .unwrap_or_default()
}

fn is_python2(file: &Path) -> Result<bool, TestSetError> {
    let text = fs::read(file).map_err(|source| TestSetError::ReadFile {
        path: file.to_path_buf(),
        source,
    })?;
    let first_line = text.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let line = String::from_utf8_lossy(first_line);
    Ok(line.starts_with("#!") && line.contains("python2"))
}

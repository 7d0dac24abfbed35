//! Test discovery for `--tests DIR`: which inputs to run, against which answers, judged how.
//!
//! Two layouts are accepted. A *flat directory* holds `NAME.in` files, each paired with
//! `NAME.ans` or `NAME.out`. A *problem package* (Kattis/ICPC problem package format, as
//! problemtools reads it; recognised by `problem.yaml` or a `data/` directory) holds tests in
//! `data/sample` and `data/secret`, nested in groups, with metadata in `problem.yaml`.
//! The steps, in order:
//! 1. decide the layout;
//! 2. for a package, read `problem.yaml` (format version, type, validation, limits) and a
//!    DOMjudge-style `.timelimit` file;
//! 3. walk the test directories: samples first, then secret, each directory's tests and
//!    subgroups interleaved in natural order (`2` before `10`), `testdata.yaml` validator flags
//!    inherited from the nearest ancestor group;
//! 4. pair every input with exactly one answer, checking both are readable files;
//! 5. for custom validation, find the output validators and their language;
//! 6. for a scored problem, settle how each group's tests add up to its score (`scoring`).
//!
//! Any inconsistency is an error naming the file; nothing is returned half-configured.

pub mod archive;
mod constants;
pub use constants::Constants;
mod error;
mod limits;
mod natural;
mod package;
mod scoring;
mod validator;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::TestSetError;
pub use natural::natural_cmp;
pub use package::{invalid_inputs, InvalidInput};
pub use scoring::{Aggregation, GroupRule, OnReject, ScoreGroup, ScoreItem, Scoring, VerdictRule};
pub use validator::{input_validators, InputValidators};

/// Everything needed to judge a submission against a tests directory.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSet {
    /// The directory given.
    pub root: PathBuf,
    pub format: Format,
    /// `problem.yaml`'s `problem_format_version`, as written (`2025-09`), if any.
    pub format_version: Option<String>,
    /// In the order to run them.
    pub tests: Vec<TestCase>,
    pub validation: Validation,
    /// A multi-pass problem (`type: multi-pass`, legacy `validation: custom multi-pass`): the
    /// validator's `nextpass.in` is the input of another run of the submission.
    pub multi_pass: bool,
    pub limits: PackageLimits,
    /// How tests add up to a score, for a scored problem (`type: scoring`); `None` for a
    /// pass-fail problem and for flat directories.
    pub scoring: Option<Scoring>,
    /// `problem.yaml`'s `constants`, empty when it has none.
    pub constants: Constants,
    /// What the package holds that the judge reads but does not act on, one sentence each
    /// (an `.interaction` sample without input is the statement's, not a test).
    pub notes: Vec<String>,
}

/// The layout a [`TestSet`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Flat,
    /// The legacy problem package format (`problem_format_version` absent, `legacy` or
    /// `legacy-icpc`).
    LegacyPackage,
    /// The 2023-07 and later formats (`type` list, `output_validator/`, `testdata.yaml`
    /// `output_validator_args`).
    NewPackage,
}

/// One test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// For packages, the path under `data/` without extension (`sample/1`,
    /// `secret/group1/05`); for flat directories, the file stem.
    pub name: String,
    pub input: PathBuf,
    pub answer: PathBuf,
    /// The group directory under `data/` (`sample`, `secret/group1`); `None` for flat
    /// directories.
    pub group: Option<String>,
    /// Arguments for the output validator (default or custom) after its three standard ones:
    /// `problem.yaml`'s `validator_flags`, then the nearest `testdata.yaml`'s
    /// `output_validator_flags` / `output_validator_args`, or the test's own `<name>.yaml`'s
    /// `output_validator_args`.
    pub validator_flags: Vec<String>,
    /// Command-line arguments for the submission (2025-09 `args`, from the test's
    /// `<name>.yaml` or the nearest `test_group.yaml`).
    pub args: Vec<String>,
    /// Arguments for the input validators (`input_validator_args`, legacy
    /// `input_validator_flags`), from the test's `<name>.yaml` or the nearest group file.
    pub input_validator_args: InputValidatorArgs,
}

/// Input validators' arguments for a test: the same for every validator, or per validator
/// name (those not named get none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum InputValidatorArgs {
    #[default]
    None,
    All(Vec<String>),
    ByName(BTreeMap<String, Vec<String>>),
}

impl InputValidatorArgs {
    /// The arguments of the validator called `name`.
    pub fn for_validator(&self, name: &str) -> &[String] {
        match self {
            InputValidatorArgs::None => &[],
            InputValidatorArgs::All(args) => args,
            InputValidatorArgs::ByName(map) => map.get(name).map_or(&[], Vec::as_slice),
        }
    }
}

/// How output is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validation {
    /// Token-by-token comparison; its options are in [`TestCase::validator_flags`].
    Default,
    /// Output validators run on the program's output; all must accept.
    Custom {
        validators: Vec<ValidatorSource>,
        /// The validators report a score (`custom score`).
        score: bool,
    },
    /// The validators talk to the program (`custom interactive`). Kept apart from
    /// [`Validation::Custom`] so that a judge without interactive support must say so.
    Interactive {
        validators: Vec<ValidatorSource>,
        score: bool,
    },
}

/// An output validator found in the package, not yet built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorSource {
    /// The program's name: its file stem or directory name.
    pub name: String,
    /// The validator's file or directory (the include directory is this or its parent).
    pub path: PathBuf,
    pub language: ValidatorLanguage,
    /// Files to compile together (C, C++) or the Python files, in natural order.
    pub sources: Vec<PathBuf>,
}

/// A validator's language, from its file extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidatorLanguage {
    C,
    Cpp,
    /// Run `main` with a Python 3 interpreter.
    Python3 {
        main: PathBuf,
    },
    /// A directory built by its `build` script (if `build`) and run as its `run` program.
    BuildRun {
        build: bool,
    },
}

/// Limits a package sets; `None` means the judge's default applies.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageLimits {
    /// An explicit time limit (`limits.time_limit`, or a `.timelimit` file). The legacy
    /// format derives it from the slowest accepted solution instead, using the two factors
    /// below.
    pub time_limit: Option<Duration>,
    /// Time limit = slowest accepted run × this (`ac_to_time_limit`: legacy default 5, 2023-07
    /// default 2).
    pub time_multiplier: f64,
    /// A submission that should be too slow must still be too slow at time limit × this
    /// (`time_limit_to_tle`: legacy default 2, 2023-07 default 1.5).
    pub time_safety_margin: f64,
    /// A derived time limit is rounded up to a multiple of this many seconds (default 1).
    pub time_resolution: f64,
    pub memory_mib: Option<u64>,
    pub output_mib: Option<u64>,
    pub code_kib: Option<u64>,
    pub compilation_time: Option<Duration>,
    pub compilation_memory_mib: Option<u64>,
    pub validation_time: Option<Duration>,
    pub validation_memory_mib: Option<u64>,
    pub validation_output_mib: Option<u64>,
    /// The most passes of a multi-pass problem (`limits.validation_passes`, default 2).
    pub validation_passes: u32,
}

impl PackageLimits {
    /// The defaults of a package in `format`: the time factors differ between the legacy and
    /// the 2023-07 formats.
    pub fn defaults(format: Format) -> PackageLimits {
        match format {
            Format::NewPackage => PackageLimits {
                time_multiplier: 2.0,
                time_safety_margin: 1.5,
                ..PackageLimits::default()
            },
            Format::Flat | Format::LegacyPackage => PackageLimits::default(),
        }
    }
}

impl Default for PackageLimits {
    fn default() -> Self {
        PackageLimits {
            time_limit: None,
            time_multiplier: 5.0,
            time_safety_margin: 2.0,
            time_resolution: 1.0,
            memory_mib: None,
            output_mib: None,
            code_kib: None,
            compilation_time: None,
            compilation_memory_mib: None,
            validation_time: None,
            validation_memory_mib: None,
            validation_output_mib: None,
            validation_passes: 2,
        }
    }
}

/// Reads the tests in `dir`, a flat directory or a problem package.
pub fn discover(dir: &Path) -> Result<TestSet, TestSetError> {
    let meta = fs::metadata(dir).map_err(|source| TestSetError::ReadDir {
        path: dir.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(TestSetError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    if dir.join("problem.yaml").exists() || dir.join("data").is_dir() {
        return package::discover(dir);
    }
    let listing = list_dir(dir)?;
    let tests: Vec<TestCase> = pair_tests(&listing.files, false)?
        .into_iter()
        .map(|(stem, input, answer)| TestCase {
            name: stem,
            input,
            answer,
            group: None,
            validator_flags: Vec::new(),
            args: Vec::new(),
            input_validator_args: InputValidatorArgs::None,
        })
        .collect();
    if tests.is_empty() {
        return Err(TestSetError::NoTests {
            dir: dir.to_path_buf(),
        });
    }
    let limits = PackageLimits {
        time_limit: limits::read_timelimit_file(dir)?.map(|(_, time)| time),
        ..PackageLimits::default()
    };
    Ok(TestSet {
        root: dir.to_path_buf(),
        format: Format::Flat,
        format_version: None,
        tests,
        validation: Validation::Default,
        multi_pass: false,
        limits,
        scoring: None,
        constants: Constants::default(),
        notes: Vec::new(),
    })
}

/// A directory's visible entries by name: files and subdirectories (symbolic links followed).
struct Listing {
    files: Vec<(String, PathBuf)>,
    dirs: Vec<(String, PathBuf)>,
}

/// Whether a file name is one test discovery cares about, so a broken link to it is an error.
fn is_test_file(name: &str) -> bool {
    [".in", ".ans", ".out"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

fn list_dir(dir: &Path) -> Result<Listing, TestSetError> {
    let read_err = |source| TestSetError::ReadDir {
        path: dir.to_path_buf(),
        source,
    };
    let mut listing = Listing {
        files: Vec::new(),
        dirs: Vec::new(),
    };
    for entry in fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            return Err(TestSetError::NonUtf8Name { path });
        };
        if name.starts_with('.') {
            continue;
        }
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => listing.dirs.push((name, path)),
            Ok(_) => listing.files.push((name, path)),
            Err(source) if is_test_file(&name) => {
                return Err(TestSetError::ReadFile { path, source })
            }
            // A broken link that is no test file does not concern test discovery.
            Err(_) => {}
        }
    }
    Ok(listing)
}

#[derive(Default)]
struct Slot {
    input: Option<PathBuf>,
    ans: Option<PathBuf>,
    out: Option<PathBuf>,
}

/// Pairs `NAME.in` with `NAME.ans` or `NAME.out` among one directory's files, in natural
/// order of `NAME`. Other files are ignored. In a package (`ans_first`) `NAME.ans` is the
/// answer and a `NAME.out` beside it the statement's output; in a flat directory both are
/// ambiguous.
fn pair_tests(
    files: &[(String, PathBuf)],
    ans_first: bool,
) -> Result<Vec<(String, PathBuf, PathBuf)>, TestSetError> {
    let mut slots: BTreeMap<&str, Slot> = BTreeMap::new();
    for (name, path) in files {
        let Some((stem, ext)) = name.rsplit_once('.') else {
            continue;
        };
        let slot = slots.entry(stem).or_default();
        match ext {
            "in" => slot.input = Some(path.clone()),
            "ans" => slot.ans = Some(path.clone()),
            "out" => slot.out = Some(path.clone()),
            _ => {}
        }
    }
    let mut stems: Vec<&str> = slots.keys().copied().collect();
    stems.sort_by(|a, b| natural_cmp(a, b));
    let mut pairs = Vec::new();
    for stem in stems {
        let slot = slots.remove(stem).unwrap_or_default();
        let answer = match (slot.ans, slot.out) {
            (Some(ans), Some(_)) if ans_first => Some(ans),
            (Some(ans), Some(out)) => return Err(TestSetError::AmbiguousAnswer { ans, out }),
            (ans, out) => ans.or(out),
        };
        match (slot.input, answer) {
            (None, None) => {}
            (Some(input), None) => {
                return Err(TestSetError::MissingAnswer {
                    input,
                    stem: stem.to_string(),
                })
            }
            (None, Some(answer)) => {
                return Err(TestSetError::MissingInput {
                    answer,
                    stem: stem.to_string(),
                })
            }
            (Some(input), Some(answer)) => {
                check_readable(&input)?;
                check_readable(&answer)?;
                pairs.push((stem.to_string(), input, answer));
            }
        }
    }
    Ok(pairs)
}

/// A test file must be a regular file we can open; checked now so a run never starts on a
/// test it cannot read.
fn check_readable(path: &Path) -> Result<(), TestSetError> {
    let meta = fs::metadata(path).map_err(|source| TestSetError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(TestSetError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    File::open(path).map_err(|source| TestSetError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests;

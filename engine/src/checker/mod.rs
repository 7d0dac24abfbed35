//! Built-in output checkers: does a submission's output match the answer file?
//!
//! A problem names its checker and gives it flags (`validator_flags`, as in the Kattis problem
//! format). Checking goes: (1) [`Checker::from_name`] turns the name and flags into a validated
//! [`Checker`], where every error about a bad flag is born; (2) [`check_files`] opens the answer
//! file, then the output file (a missing one is a [`CheckerError`]: a judge error, not a wrong
//! answer); (3) the checker reads both as streams, buffer by buffer, never holding a whole file;
//! (4) at the first difference it stops and returns a [`CheckOutcome`] with one human sentence and
//! a short escaped excerpt of both sides ([`Difference`]).
//!
//! The checkers are:
//! - [`Checker::Default`]: the ICPC / Kattis default output validator (see [`DefaultOptions`]);
//! - [`Checker::Exact`]: byte-identical files;
//! - [`Checker::Lines`]: line by line, ignoring trailing whitespace on each line (so CRLF equals
//!   LF) and blank lines at the end of the file.
//!
//! Custom validators (Kattis output validators, testlib checkers) are programs; they run in the
//! sandbox, not here.

mod default;
mod diff;
mod exact;
mod lines;
mod stream;

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use default::DefaultOptions;
pub use diff::escape;

use stream::{ByteStream, ReadError};

/// A built-in checker, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Checker {
    /// Token by token, as the ICPC / Kattis default output validator.
    Default(DefaultOptions),
    /// Byte-identical.
    Exact,
    /// Line by line, ignoring trailing whitespace on lines and trailing blank lines.
    Lines,
}

impl Checker {
    /// Names accepted by [`Checker::from_name`].
    pub const NAMES: [&'static str; 3] = ["default", "exact", "lines"];

    /// The checker called `name`, configured by `validator_flags` (whitespace-separated words;
    /// only `default` takes any, see [`DefaultOptions::from_flags`]).
    pub fn from_name(name: &str, validator_flags: &str) -> Result<Checker, CheckerError> {
        let no_flags = |checker: &'static str| {
            if validator_flags.trim().is_empty() {
                Ok(())
            } else {
                Err(CheckerError::FlagsNotSupported {
                    checker,
                    flags: validator_flags.to_owned(),
                })
            }
        };
        match name {
            "default" => Ok(Checker::Default(DefaultOptions::from_flags(
                validator_flags,
            )?)),
            "exact" => no_flags("exact").map(|()| Checker::Exact),
            "lines" => no_flags("lines").map(|()| Checker::Lines),
            _ => Err(CheckerError::UnknownChecker {
                name: name.to_owned(),
            }),
        }
    }

    /// The name [`Checker::from_name`] takes for this checker.
    pub fn name(&self) -> &'static str {
        match self {
            Checker::Default(_) => "default",
            Checker::Exact => "exact",
            Checker::Lines => "lines",
        }
    }
}

/// The verdict of a built-in checker on one output.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub accepted: bool,
    /// One sentence for a human: what matched, or the first difference.
    pub message: String,
    /// Where the first difference is; `None` when accepted.
    pub diff: Option<Difference>,
}

impl CheckOutcome {
    pub(crate) fn accepted(message: String) -> CheckOutcome {
        CheckOutcome {
            accepted: true,
            message,
            diff: None,
        }
    }

    pub(crate) fn wrong(message: String, diff: Difference) -> CheckOutcome {
        CheckOutcome {
            accepted: false,
            message,
            diff: Some(diff),
        }
    }
}

/// The first difference between output and answer, for a human.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// 1-based line of the output where the difference is.
    pub output_line: u64,
    /// 1-based line of the answer at the same point.
    pub answer_line: u64,
    /// Byte offset of the difference in the output (0-based).
    pub output_offset: u64,
    /// Byte offset of the difference in the answer (0-based).
    pub answer_offset: u64,
    /// The answer's text around the difference, escaped ([`escape`]); `…` marks a cut. Empty
    /// when the whole answer matched and the output goes on.
    pub expected: String,
    /// The output's text around the difference, escaped; empty when the output has ended.
    pub got: String,
}

/// Which file a checker was reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    Output,
    Answer,
}

impl fmt::Display for FileRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileRole::Output => "output file",
            FileRole::Answer => "answer file",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckerError {
    #[error("unknown checker {name:?}: the built-in checkers are default, exact and lines")]
    UnknownChecker { name: String },
    #[error("the {checker} checker takes no validator flags, but got {flags:?}")]
    FlagsNotSupported {
        checker: &'static str,
        flags: String,
    },
    #[error(
        "unknown validator flag {flag:?}: the default checker knows case_sensitive, \
         space_change_sensitive, float_tolerance, float_absolute_tolerance and \
         float_relative_tolerance"
    )]
    UnknownFlag { flag: String },
    #[error("validator flag {flag} needs a number after it")]
    MissingTolerance { flag: &'static str },
    #[error("validator flag {flag}: {value:?} is not a finite, non-negative number")]
    BadTolerance { flag: &'static str, value: String },
    #[error("cannot open the {role} {path}: {source}")]
    Open {
        role: FileRole,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the {role} {path}: {source}")]
    Read {
        role: FileRole,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Checks the output file against the answer file, reading both as streams.
pub fn check_files(
    checker: &Checker,
    output: &Path,
    answer: &Path,
) -> Result<CheckOutcome, CheckerError> {
    let open = |role: FileRole, path: &Path| {
        File::open(path).map_err(|source| CheckerError::Open {
            role,
            path: path.to_owned(),
            source,
        })
    };
    // The answer first: its absence is the judge's fault whatever the output is.
    let answer_file = open(FileRole::Answer, answer)?;
    let output_file = open(FileRole::Output, output)?;
    check_readers(checker, output_file, answer_file).map_err(|e| CheckerError::Read {
        role: e.role,
        path: match e.role {
            FileRole::Output => output.to_owned(),
            FileRole::Answer => answer.to_owned(),
        },
        source: e.source,
    })
}

/// Checks an output held in memory against an answer held in memory.
pub fn check_bytes(checker: &Checker, output: &[u8], answer: &[u8]) -> CheckOutcome {
    match check_readers(checker, output, answer) {
        Ok(outcome) => outcome,
        Err(e) => unreachable!("reading a byte slice cannot fail: {}", e.source),
    }
}

fn check_readers<O: Read, A: Read>(
    checker: &Checker,
    output: O,
    answer: A,
) -> Result<CheckOutcome, ReadError> {
    let mut out = ByteStream::new(output, FileRole::Output);
    let mut ans = ByteStream::new(answer, FileRole::Answer);
    match checker {
        Checker::Default(options) => default::check(options, &mut out, &mut ans),
        Checker::Exact => exact::check(&mut out, &mut ans),
        Checker::Lines => lines::check(&mut out, &mut ans),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::stream::tests::Trickle;
    use super::*;

    /// Runs `checker` on in-memory data, and again with reads of 1 and 7 bytes at a time:
    /// where the buffer refills must never change the outcome.
    pub(crate) fn run(checker: &Checker, output: &[u8], answer: &[u8]) -> CheckOutcome {
        let whole = check_bytes(checker, output, answer);
        for step in [1, 7] {
            let trickled = check_readers(
                checker,
                Trickle { data: output, step },
                Trickle { data: answer, step },
            )
            .unwrap();
            assert_eq!(trickled, whole, "reads of {step} bytes change the outcome");
        }
        whole
    }

    #[test]
    fn names_select_checkers() {
        assert_eq!(
            Checker::from_name("default", "").unwrap(),
            Checker::Default(DefaultOptions::default())
        );
        assert_eq!(Checker::from_name("exact", "").unwrap(), Checker::Exact);
        assert_eq!(Checker::from_name("lines", "  ").unwrap(), Checker::Lines);
    }

    #[test]
    fn name_round_trips() {
        for name in Checker::NAMES {
            assert_eq!(Checker::from_name(name, "").unwrap().name(), name);
        }
    }

    #[test]
    fn default_checker_gets_its_flags() {
        let Checker::Default(options) = Checker::from_name("default", "case_sensitive").unwrap()
        else {
            panic!("default is not the default checker");
        };
        assert!(options.case_sensitive());
    }

    #[test]
    fn unknown_checker_is_an_error_naming_it() {
        let err = Checker::from_name("diff", "").unwrap_err();
        assert!(matches!(&err, CheckerError::UnknownChecker { name } if name == "diff"));
        assert!(err.to_string().contains("\"diff\""), "{err}");
    }

    #[test]
    fn exact_and_lines_refuse_flags() {
        for name in ["exact", "lines"] {
            let err = Checker::from_name(name, "case_sensitive").unwrap_err();
            assert!(
                matches!(&err, CheckerError::FlagsNotSupported { checker, flags }
                    if *checker == name && flags == "case_sensitive"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn missing_answer_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out");
        std::fs::write(&output, "42\n").unwrap();
        let answer = dir.path().join("no-such.ans");
        let err = check_files(&Checker::Exact, &output, &answer).unwrap_err();
        assert!(
            matches!(&err, CheckerError::Open { role: FileRole::Answer, path, .. } if *path == answer),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("answer file") && text.contains("no-such.ans"),
            "{text}"
        );
    }

    #[test]
    fn missing_answer_is_reported_even_without_output() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_files(
            &Checker::Lines,
            &dir.path().join("out"),
            &dir.path().join("ans"),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                CheckerError::Open {
                    role: FileRole::Answer,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn missing_output_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let answer = dir.path().join("1.ans");
        std::fs::write(&answer, "42\n").unwrap();
        let output = dir.path().join("missing.out");
        let err = check_files(&Checker::Exact, &output, &answer).unwrap_err();
        assert!(
            matches!(&err, CheckerError::Open { role: FileRole::Output, path, .. } if *path == output),
            "{err:?}"
        );
    }

    #[test]
    fn unreadable_answer_is_a_read_error_naming_it() {
        // A directory opens but cannot be read.
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("out");
        std::fs::write(&output, "42\n").unwrap();
        let err = check_files(&Checker::Exact, &output, dir.path()).unwrap_err();
        assert!(
            matches!(&err, CheckerError::Read { role: FileRole::Answer, path, .. } if path == dir.path()),
            "{err:?}"
        );
    }

    #[test]
    fn files_are_checked_like_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (output, answer) = (dir.path().join("out"), dir.path().join("ans"));
        std::fs::write(&output, "1 2 4\n").unwrap();
        std::fs::write(&answer, "1 2 3\n").unwrap();
        let checker = Checker::from_name("default", "").unwrap();
        let from_files = check_files(&checker, &output, &answer).unwrap();
        assert!(!from_files.accepted);
        assert_eq!(from_files, check_bytes(&checker, b"1 2 4\n", b"1 2 3\n"));
    }
}

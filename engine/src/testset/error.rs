//! Errors of test discovery: each names the file or directory at fault and says what was
//! expected there.

use std::io;
use std::path::PathBuf;

use crate::limits::LimitError;

/// Everything that can be wrong with a tests directory or problem package.
#[derive(Debug, thiserror::Error)]
pub enum TestSetError {
    #[error("cannot read directory {path}: {source}")]
    ReadDir { path: PathBuf, source: io::Error },

    #[error("cannot read {path}: {source}")]
    ReadFile { path: PathBuf, source: io::Error },

    #[error("{path} is not a directory; expected a directory of tests or a problem package")]
    NotADirectory { path: PathBuf },

    #[error("{path} is not a regular file")]
    NotAFile { path: PathBuf },

    #[error("file name {path} is not valid UTF-8; rename it")]
    NonUtf8Name { path: PathBuf },

    #[error("input {input} has no answer: expected {stem}.ans or {stem}.out next to it")]
    MissingAnswer { input: PathBuf, stem: String },

    #[error("answer {answer} has no input: expected {stem}.in next to it")]
    MissingInput { answer: PathBuf, stem: String },

    #[error("{path}: {what} is not supported")]
    Unsupported { path: PathBuf, what: String },

    #[error("both {ans} and {out} exist for one test; keep only one answer file")]
    AmbiguousAnswer { ans: PathBuf, out: PathBuf },

    #[error(
        "no tests in {dir}: expected NAME.in files with NAME.ans or NAME.out, or a problem \
         package with data/sample and data/secret"
    )]
    NoTests { dir: PathBuf },

    #[error("malformed {path}: {message}")]
    Yaml { path: PathBuf, message: String },

    #[error(
        "{path}: unknown validation \"{value}\"; expected \"default\", or \"custom\" optionally \
         followed by \"interactive\" and/or \"score\""
    )]
    UnknownValidation { path: PathBuf, value: String },

    #[error(
        "{path}: unknown problem type \"{value}\"; expected pass-fail, scoring, interactive, multi-pass or submit-answer"
    )]
    UnknownProblemType { path: PathBuf, value: String },

    #[error("{path}: problem type \"{value}\" is not supported by this judge")]
    UnsupportedProblemType { path: PathBuf, value: String },

    #[error(
        "{path}: unsupported problem_format_version \"{value}\"; supported: legacy, \
         legacy-icpc, 2023-07-draft, 2023-07, 2025-09"
    )]
    UnsupportedFormatVersion { path: PathBuf, value: String },

    /// A time, size or factor out of the bounds of [`crate::limits`]; it names the file.
    #[error("{0}")]
    Limit(#[from] LimitError),

    #[error("{path}: bad value {value} for {key}; expected {expected}")]
    BadLimit {
        path: PathBuf,
        key: &'static str,
        value: String,
        expected: &'static str,
    },

    #[error("{path} must hold a time limit in seconds, such as 2 or 1.5, not \"{content}\"")]
    BadTimeLimitFile { path: PathBuf, content: String },

    #[error(
        "time limits disagree: {yaml} says {yaml_secs} s, {file} says {file_secs} s; \
         remove one"
    )]
    ConflictingTimeLimits {
        yaml: PathBuf,
        yaml_secs: f64,
        file: PathBuf,
        file_secs: f64,
    },

    #[error("{path} asks for custom validation, but {dir} holds no output validator")]
    MissingValidator { path: PathBuf, dir: PathBuf },

    #[error(
        "output validator {path} has no C, C++ or Python source (.c, .cpp, .cc, .cxx, .c++, .C, \
         .py, .py3)"
    )]
    ValidatorNoSources { path: PathBuf },

    #[error("output validator {path} mixes languages ({languages}); keep one")]
    ValidatorMixedLanguages { path: PathBuf, languages: String },

    #[error(
        "output validator {path} uses {file}, a language this judge cannot build; write it in \
         C, C++ or Python 3"
    )]
    ValidatorUnsupportedLanguage { path: PathBuf, file: PathBuf },

    #[error("output validator {path} has several Python files and no main.py to start from")]
    ValidatorNoPythonMain { path: PathBuf },

    #[error("output validator file {file} is Python 2 (by its #! line); this judge runs Python 3")]
    ValidatorPython2 { file: PathBuf },
    #[error("{path}: bad {key} \"{value}\"; expected {expected}")]
    BadGrading {
        path: PathBuf,
        key: String,
        value: String,
        expected: &'static str,
    },

    #[error("{path}: {key} is only for scoring problems; add \"type: scoring\" to problem.yaml")]
    ScoringOnly { path: PathBuf, key: &'static str },

    #[error("{path}: {key} is not allowed in the {group} group; give scores in secret and its subgroups")]
    GradingNotHere {
        path: PathBuf,
        key: &'static str,
        group: &'static str,
    },

    #[error(
        "scoring is described twice, in {first} and in {second}; use one style: legacy \
         testdata.yaml keys, 2023-07 testdata.yaml keys, or group_scores in problem.yaml"
    )]
    MixedGrading { first: PathBuf, second: PathBuf },

    #[error("{path}: {what} is not supported by this judge")]
    UnsupportedGrading { path: PathBuf, what: String },

    #[error("{path}: group_scores: {group}: {problem}")]
    GroupScores {
        path: PathBuf,
        group: String,
        problem: String,
    },
}

//! What stops a submission from being judged at all: the engine's or the problem's fault, never
//! the submission's (that is a verdict).

use std::io;
use std::path::PathBuf;

use crate::checker::CheckerError;
use crate::hostdir::HostDirError;
use crate::limits::LimitError;
use crate::profile::ProfileError;
use crate::sandbox::SandboxError;
use crate::testset::TestSetError;

#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("{0}")]
    Profile(#[from] ProfileError),
    #[error("{0}")]
    TestSet(#[from] TestSetError),
    #[error("{0}")]
    Sandbox(#[from] SandboxError),
    #[error("{0}")]
    Checker(#[from] CheckerError),
    #[error("{0}")]
    Limit(#[from] LimitError),
    #[error("{0}")]
    HostDir(#[from] HostDirError),
    #[error("source {0}: no such file")]
    MissingSource(PathBuf),
    #[error("judging was cancelled")]
    Cancelled,
    #[error("package include directory {path}: {why}")]
    Include { path: PathBuf, why: String },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "problem {root} has its own output validator; the built-in checker {checker:?} cannot \
         replace it"
    )]
    CheckerWithValidator { root: PathBuf, checker: String },
    #[error(
        "problem {root} is interactive and needs exactly one interactor in its output \
         validator directory, not {count}"
    )]
    Interactors { root: PathBuf, count: usize },
    #[error(
        "problem {root} is multi-pass and needs exactly one output validator to give each \
         pass's input, not {count}"
    )]
    MultiPassValidators { root: PathBuf, count: usize },
    #[error(
        "the pipes between submission and interactor were still open {0:?} after the pair \
         started, though both runs had ended"
    )]
    RelayStuck(std::time::Duration),
    #[error("output validator {path}: no {profile:?} language profile to build it with")]
    NoValidatorProfile {
        path: PathBuf,
        profile: &'static str,
    },
    #[error("output validator {path} does not compile: {message}")]
    ValidatorBuild { path: PathBuf, message: String },
}

impl JudgeError {
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
        source: io::Error,
    ) -> JudgeError {
        JudgeError::Io {
            what,
            path: path.into(),
            source,
        }
    }
}

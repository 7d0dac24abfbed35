//! The package's submissions and what each is expected to get: its folder's verdict, a
//! DOMjudge `@EXPECTED_RESULTS@` tag, and what `submissions.yaml` and `submissions.json`
//! declare.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use judge_engine::program::Program;
use judge_engine::testset::natural_cmp;
use judge_engine::verdict::Verdict;

use super::expectations::{self, Declared, Expectations};
use crate::{submissions, Failure};

/// The folders of `submissions/` and the verdict each expects (the problemtools names).
pub const FOLDERS: [(&str, Verdict); 8] = [
    ("accepted", Verdict::AC),
    ("partially_accepted", Verdict::AC),
    ("wrong_answer", Verdict::WA),
    ("time_limit_exceeded", Verdict::TLE),
    ("run_time_error", Verdict::RE),
    ("memory_limit_exceeded", Verdict::MLE),
    ("output_limit_exceeded", Verdict::OLE),
    ("compile_error", Verdict::CE),
];

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("problem {problem}: no submissions/ directory to verify")]
    NoSubmissionsDir { problem: PathBuf },
    #[error(
        "submissions folder {path}: {name:?} names no verdict, and {submission} has no \
         @EXPECTED_RESULTS@ tag to say what it expects; use one of accepted, wrong_answer, \
         time_limit_exceeded, run_time_error, memory_limit_exceeded, output_limit_exceeded, \
         compile_error, rejected, brute_force, or partially_accepted on a scored problem"
    )]
    UnknownFolder {
        path: PathBuf,
        name: String,
        submission: PathBuf,
    },
    #[error(
        "submission {path}: its @EXPECTED_RESULTS@ tag ({tag}) does not include {verdict}, \
         the verdict of its folder {folder:?} (in a folder with a verdict, DOMjudge keeps \
         only the folder's)"
    )]
    TagAgainstFolder {
        path: PathBuf,
        folder: String,
        tag: String,
        verdict: Verdict,
    },
    #[error(
        "submissions folder {path}: partially_accepted is for scored problems, and this one is \
         pass-fail (add \"type: scoring\" to problem.yaml, or move its submissions)"
    )]
    PartialOnPassFail { path: PathBuf },
    #[error(
        "submission {path}: @EXPECTED_RESULTS@ names {name:?}, not a DOMjudge result (CORRECT, \
         WRONG-ANSWER, NO-OUTPUT, TIMELIMIT, RUN-ERROR, MEMORY-LIMIT, OUTPUT-LIMIT, \
         COMPILER-ERROR)"
    )]
    UnknownExpectedResult { path: PathBuf, name: String },
    #[error("problem {problem}: no submission in any folder of submissions/")]
    NoSubmissions { problem: PathBuf },
    #[error("cannot list {path}: {source}")]
    List { path: PathBuf, source: io::Error },
}

/// The verdict a folder of `submissions/` expects.
pub fn expected_verdict(folder: &str) -> Option<Verdict> {
    FOLDERS.iter().find(|(f, _)| *f == folder).map(|(_, v)| *v)
}

/// What a folder expects of a scored submission's score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Score {
    /// Any score (or a pass-fail problem).
    Any,
    /// The problem's maximum (`accepted`).
    Full,
    /// Less than the maximum (`partially_accepted`).
    Partial,
}

/// A submission and what its folder expects.
pub(super) struct Case {
    pub(super) path: PathBuf,
    pub(super) folder: String,
    /// The folder's verdict, or the first of a DOMjudge `@EXPECTED_RESULTS@` tag's; none for
    /// a folder whose requirements alone decide (`rejected`, `brute_force`).
    pub(super) expected: Option<Verdict>,
    /// The other verdicts the tag allows.
    pub(super) also: Vec<Verdict>,
    /// A tag, not a folder, says what it expects (a folder with no verdict of its own).
    pub(super) tagged: bool,
    pub(super) score: Score,
    /// What `submissions.yaml` says about it.
    pub(super) declared: Declared,
}

impl Case {
    /// The verdict to compare `got` with: `got` itself when the tag allows it.
    pub(super) fn expecting(&self, got: Verdict) -> Verdict {
        match self.expected {
            Some(expected) if !self.also.contains(&got) => expected,
            _ => got,
        }
    }

    /// What it expects, for a human: `TLE`, or `one of TLE, WA`.
    pub(super) fn describe_expected(&self) -> String {
        let Some(expected) = self.expected else {
            return format!("what {} requires", self.folder);
        };
        if self.also.is_empty() {
            expected.code().to_owned()
        } else {
            let all: Vec<&str> = std::iter::once(expected)
                .chain(self.also.iter().copied())
                .map(Verdict::code)
                .collect();
            format!("one of {}", all.join(", "))
        }
    }
}

/// The marker of DOMjudge's expected-results tag in a source file.
const EXPECTED_RESULTS: &str = "@EXPECTED_RESULTS@:";

/// DOMjudge's result names and the verdicts they are.
const DOMJUDGE_RESULTS: [(&str, Verdict); 8] = [
    ("CORRECT", Verdict::AC),
    ("WRONG-ANSWER", Verdict::WA),
    ("NO-OUTPUT", Verdict::WA),
    ("TIMELIMIT", Verdict::TLE),
    ("RUN-ERROR", Verdict::RE),
    ("MEMORY-LIMIT", Verdict::MLE),
    ("OUTPUT-LIMIT", Verdict::OLE),
    ("COMPILER-ERROR", Verdict::CE),
];

/// The verdicts a source's `@EXPECTED_RESULTS@: A, B` tag allows, in its order, if it has
/// one (DOMjudge's convention). An unknown name is an error.
/// A directory submission's tag is the first any of its files has.
pub(super) fn expected_results(path: &Path) -> Result<Option<Vec<Verdict>>, VerifyError> {
    if path.is_dir() {
        let Ok(program) = Program::list(path) else {
            return Ok(None); // judged (and reported) as it is
        };
        for file in &program.files {
            if let Some(tagged) = tag_in(&file.host, path)? {
                return Ok(Some(tagged));
            }
        }
        return Ok(None);
    }
    tag_in(path, path)
}

/// The tag in the file `file` of the submission `path`.
fn tag_in(file: &Path, path: &Path) -> Result<Option<Vec<Verdict>>, VerifyError> {
    let Ok(bytes) = fs::read(file) else {
        return Ok(None); // judged (and reported) as it is
    };
    let text = String::from_utf8_lossy(&bytes);
    let Some(at) = text.find(EXPECTED_RESULTS) else {
        return Ok(None);
    };
    let line = text[at + EXPECTED_RESULTS.len()..]
        .lines()
        .next()
        .unwrap_or("");
    let mut verdicts = Vec::new();
    for part in line.split(',') {
        let name: String = part
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-' || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        let upper = name.to_ascii_uppercase().replace('_', "-");
        let verdict = DOMJUDGE_RESULTS
            .iter()
            .find(|(n, _)| *n == upper)
            .map(|(_, v)| *v)
            .ok_or_else(|| VerifyError::UnknownExpectedResult {
                path: path.to_owned(),
                name: name.clone(),
            })?;
        if !verdicts.contains(&verdict) {
            verdicts.push(verdict);
        }
    }
    Ok((!verdicts.is_empty()).then_some(verdicts))
}

/// The package's submissions, folder by folder in natural order; `scored` for a scored problem.
/// `format_rules` for a 2025-09 package: its folders' requirements decide.
pub(super) fn cases(
    problem: &Path,
    scored: bool,
    format_rules: bool,
) -> Result<Vec<Case>, Failure> {
    let dir = problem.join("submissions");
    if !dir.is_dir() {
        return Err(VerifyError::NoSubmissionsDir {
            problem: problem.to_owned(),
        }
        .into());
    }
    let list = |source| VerifyError::List {
        path: dir.clone(),
        source,
    };
    let mut entries = Vec::new();
    for entry in fs::read_dir(&dir).map_err(list)? {
        let entry = entry.map_err(list)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            entries.push((name, entry.path()));
        }
    }
    entries.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    let expectations = Expectations::read(&dir)?
        .with_domjudge(problem)?
        .with_folder_requirements(format_rules);
    let mut cases = Vec::new();
    for (name, path) in entries {
        if name == expectations::FILE {
            continue;
        }
        if !path.is_dir() {
            eprintln!(
                "judge: warning: {}: not in a verdict folder, not judged",
                path.display()
            );
            continue;
        }
        let folder_verdict = expected_verdict(&name);
        let score = match name.as_str() {
            "partially_accepted" if !scored => {
                return Err(VerifyError::PartialOnPassFail { path }.into())
            }
            "partially_accepted" => Score::Partial,
            "accepted" if scored => Score::Full,
            _ => Score::Any,
        };
        for s in submissions::programs_in(&path)? {
            // DOMjudge's convention: in a folder with a verdict, a tag must include it and the
            // folder's verdict stands; in any other folder (mixed/, rejected/), the tag says
            // which verdicts the submission may get.
            let (expected, also, tagged) = match (folder_verdict, expected_results(&s.path)?) {
                (Some(verdict), Some(tag)) if !tag.contains(&verdict) => {
                    let tag: Vec<&str> = tag.iter().map(|v| v.code()).collect();
                    return Err(VerifyError::TagAgainstFolder {
                        path: s.path,
                        folder: name,
                        tag: tag.join(", "),
                        verdict,
                    }
                    .into());
                }
                (Some(verdict), _) => (Some(verdict), Vec::new(), false),
                (None, Some(tag)) => (Some(tag[0]), tag[1..].to_vec(), true),
                (None, None) if expectations::RULE_FOLDERS.contains(&name.as_str()) => {
                    (None, Vec::new(), false)
                }
                (None, None) => {
                    return Err(VerifyError::UnknownFolder {
                        path,
                        name,
                        submission: s.path,
                    }
                    .into())
                }
            };
            let rel = s.path.strip_prefix(&dir).unwrap_or(&s.path);
            let declared = expectations.declared(&rel.to_string_lossy(), &name);
            cases.push(Case {
                path: s.path,
                folder: name.clone(),
                expected,
                also,
                tagged,
                score,
                declared,
            });
        }
    }
    if cases.is_empty() {
        return Err(VerifyError::NoSubmissions {
            problem: problem.to_owned(),
        }
        .into());
    }
    Ok(cases)
}

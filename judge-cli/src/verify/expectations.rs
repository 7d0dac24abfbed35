//! `submissions/submissions.yaml` (BAPCtools, and the 2025-09 format): what each submission,
//! chosen by a glob over its path below `submissions/`, declares about itself.
//!
//! Understood, per entry: `language` (a profile name) and `entrypoint` (a directory's main
//! file or Java class); `permitted` (every test's verdict must be one of these) and `required`
//! (some test's verdict must be one of these), over the verdict codes AC, WA, TLE and RTE (our
//! RE, MLE and OLE are RTE); `use_for_time_limit: false` (not used to derive the time limit);
//! `author(s)` and `message` (shown nowhere, accepted). A pattern's `*` matches within one
//! name, `{a,b}` either; a submission is matched when its path or a directory above it is. An
//! entry for a verdict folder itself (`time_limit_exceeded:`) replaces that folder's default;
//! other entries add requirements to it. Refused, with an error naming the file and key:
//! requirements per test group (`sample:`, `secret/*:`), `score`, unknown keys.

use std::fs;
use std::path::{Path, PathBuf};

use judge_engine::verdict::Verdict;
use serde::Deserialize;

/// The file's name, in `submissions/`.
pub const FILE: &str = "submissions.yaml";

/// Why the file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: {why}", path.display())]
pub struct ExpectationsError {
    pub path: PathBuf,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TimeLimitUse {
    Flag(bool),
    Bound(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    language: Option<String>,
    entrypoint: Option<String>,
    permitted: Option<OneOrMany>,
    required: Option<OneOrMany>,
    use_for_time_limit: Option<TimeLimitUse>,
    #[serde(alias = "authors")]
    author: Option<serde_yaml::Value>,
    message: Option<String>,
    score: Option<serde_yaml::Value>,
}

/// A verdict code of the format: what a test's verdict counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Ac,
    Wa,
    Tle,
    Rte,
}

impl Code {
    fn parse(text: &str) -> Option<Code> {
        match text {
            "AC" => Some(Code::Ac),
            "WA" => Some(Code::Wa),
            "TLE" => Some(Code::Tle),
            "RTE" => Some(Code::Rte),
            _ => None,
        }
    }

    /// The code a test's verdict counts as (`None` for IE and CE: no test verdict).
    pub fn of(verdict: Verdict) -> Option<Code> {
        match verdict {
            Verdict::AC => Some(Code::Ac),
            Verdict::WA => Some(Code::Wa),
            Verdict::TLE => Some(Code::Tle),
            Verdict::RE | Verdict::MLE | Verdict::OLE => Some(Code::Rte),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Code::Ac => "AC",
            Code::Wa => "WA",
            Code::Tle => "TLE",
            Code::Rte => "RTE",
        }
    }
}

/// One entry's requirement on a submission's test verdicts.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// The pattern it came from, for messages.
    pub pattern: String,
    pub permitted: Option<Vec<Code>>,
    pub required: Option<Vec<Code>>,
}

impl Rule {
    /// Why the test verdicts `tests` (name, verdict) break the rule, if they do.
    pub fn broken(&self, tests: &[(String, Verdict)]) -> Option<String> {
        let names = |codes: &[Code]| {
            codes
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(permitted) = &self.permitted {
            for (name, verdict) in tests {
                if !Code::of(*verdict).is_some_and(|c| permitted.contains(&c)) {
                    return Some(format!(
                        "submissions.yaml {}: test {name} is {verdict}, not one of the \
                         permitted {}",
                        self.pattern,
                        names(permitted)
                    ));
                }
            }
        }
        if let Some(required) = &self.required {
            let met = tests
                .iter()
                .any(|(_, v)| Code::of(*v).is_some_and(|c| required.contains(&c)));
            if !met {
                return Some(format!(
                    "submissions.yaml {}: no test is one of the required {}",
                    self.pattern,
                    names(required)
                ));
            }
        }
        None
    }
}

/// What the file says about one submission.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Declared {
    pub language: Option<String>,
    pub entrypoint: Option<String>,
    pub rules: Vec<Rule>,
    /// An entry for its folder itself replaces the folder's default verdict.
    pub replaces_folder: bool,
    /// `use_for_time_limit: false`.
    pub not_for_time_limit: bool,
}

/// The parsed file: entries in file order.
pub struct Expectations {
    entries: Vec<(String, RawEntryChecked)>,
}

struct RawEntryChecked {
    language: Option<String>,
    entrypoint: Option<String>,
    rule: Option<Rule>,
    not_for_time_limit: bool,
}

impl Expectations {
    /// Reads `dir/submissions.yaml`, if there is one.
    pub fn read(dir: &Path) -> Result<Option<Expectations>, ExpectationsError> {
        let path = dir.join(FILE);
        if !path.exists() {
            return Ok(None);
        }
        let bad = |why: String| ExpectationsError {
            path: path.clone(),
            why,
        };
        let text = fs::read_to_string(&path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        // A mapping keeps the file's order: for language and entrypoint, the last match wins.
        let raw: serde_yaml::Mapping = if text.trim().is_empty() {
            serde_yaml::Mapping::new()
        } else {
            serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?
        };
        let mut entries = Vec::new();
        for (key, value) in raw {
            let pattern = match key {
                serde_yaml::Value::String(pattern) => pattern,
                other => return Err(bad(format!("{other:?} is not a submission pattern"))),
            };
            let raw: RawEntry = serde_yaml::from_value(value).map_err(|e| {
                bad(format!(
                    "{pattern}: {e} (requirements per test group are not supported: give \
                     permitted and required for the whole submission)"
                ))
            })?;
            if raw.score.is_some() {
                return Err(bad(format!("{pattern}: score is not supported")));
            }
            let _ = (raw.author, raw.message);
            let codes = |key: &str, list: Option<OneOrMany>| -> Result<_, ExpectationsError> {
                list.map(|l| {
                    l.into_vec()
                        .iter()
                        .map(|c| {
                            Code::parse(c).ok_or_else(|| {
                                bad(format!(
                                    "{pattern}: {key}: {c:?} is not a verdict (AC, WA, TLE, RTE)"
                                ))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
            };
            let permitted = codes("permitted", raw.permitted)?;
            let required = codes("required", raw.required)?;
            let rule = (permitted.is_some() || required.is_some()).then(|| Rule {
                pattern: pattern.clone(),
                permitted,
                required,
            });
            let not_for_time_limit = match raw.use_for_time_limit {
                None | Some(TimeLimitUse::Flag(true)) => false,
                Some(TimeLimitUse::Flag(false)) => true,
                Some(TimeLimitUse::Bound(b)) if b == "lower" || b == "upper" => false,
                Some(TimeLimitUse::Bound(b)) => {
                    return Err(bad(format!(
                        "{pattern}: use_for_time_limit: {b:?} is not true, false, lower or upper"
                    )))
                }
            };
            entries.push((
                pattern,
                RawEntryChecked {
                    language: raw.language,
                    entrypoint: raw.entrypoint,
                    rule,
                    not_for_time_limit,
                },
            ));
        }
        Ok(Some(Expectations { entries }))
    }

    /// What the entries matching `rel` (a submission's path below `submissions/`, with `/`)
    /// declare; `folder` is its verdict folder.
    pub fn declared(&self, rel: &str, folder: &str) -> Declared {
        let mut out = Declared::default();
        for (pattern, entry) in &self.entries {
            if !matches(pattern, rel) {
                continue;
            }
            if entry.language.is_some() {
                out.language.clone_from(&entry.language);
            }
            if entry.entrypoint.is_some() {
                out.entrypoint.clone_from(&entry.entrypoint);
            }
            if let Some(rule) = &entry.rule {
                if pattern == folder {
                    out.replaces_folder = true;
                }
                out.rules.push(rule.clone());
            }
            out.not_for_time_limit |= entry.not_for_time_limit;
        }
        out
    }
}

/// Whether `pattern` matches `path` or a directory above it.
pub fn matches(pattern: &str, path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    expand(pattern).iter().any(|p| {
        let want: Vec<&str> = p.split('/').collect();
        want.len() <= parts.len() && want.iter().zip(&parts).all(|(w, n)| glob(w, n))
    })
}

/// Every pattern `{a,b}` stands for.
fn expand(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_owned()];
    };
    let Some(close) = pattern[open..].find('}').map(|c| open + c) else {
        return vec![pattern.to_owned()];
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    pattern[open + 1..close]
        .split(',')
        .flat_map(|choice| expand(&format!("{head}{choice}{tail}")))
        .collect()
}

/// `*` matches any run of characters within one name.
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, rest)) => {
            let Some(after) = name.strip_prefix(head) else {
                return false;
            };
            (0..=after.len())
                .filter(|&i| after.is_char_boundary(i))
                .any(|i| glob(rest, &after[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_within_names_and_directories_above() {
        assert!(matches("accepted/sol.py", "accepted/sol.py"));
        assert!(matches("accepted", "accepted/sol.py"));
        assert!(matches("time_limit_exceeded/*", "time_limit_exceeded/x.c"));
        assert!(matches("*/slow*", "accepted/slow_but_ok.cpp"));
        assert!(!matches("*/slow*", "accepted/fast.cpp"));
        assert!(matches("accepted/author.{py,cpp}", "accepted/author.cpp"));
        assert!(!matches("accepted/author.{py,cpp}", "accepted/author.java"));
        // A directory submission is matched by its own name and its files' paths are not needed.
        assert!(matches(
            "run_time_error/not_defined",
            "run_time_error/not_defined"
        ));
        assert!(!matches("accepted/sol.py", "accepted"));
        assert!(!matches("*", "accepted/x/y") || matches("*", "accepted"));
    }

    fn file(
        text: &str,
    ) -> (
        tempfile::TempDir,
        Result<Option<Expectations>, ExpectationsError>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE), text).unwrap();
        let read = Expectations::read(dir.path());
        (dir, read)
    }

    #[test]
    fn entries_give_language_entry_point_and_rules() {
        let (_d, read) = file(
            "run_time_error/not_defined:\n  language: python3\n  entrypoint: main.py\n  \
             authors: [A, B]\naccepted:\n  permitted: [AC]\nwrong_answer/*:\n  permitted: \
             [AC, WA]\n  required: WA\n  use_for_time_limit: false\n",
        );
        let e = read.unwrap().unwrap();
        let d = e.declared("run_time_error/not_defined", "run_time_error");
        assert_eq!(d.language.as_deref(), Some("python3"));
        assert_eq!(d.entrypoint.as_deref(), Some("main.py"));
        assert!(d.rules.is_empty());
        let acc = e.declared("accepted/x.c", "accepted");
        assert!(acc.replaces_folder);
        assert_eq!(acc.rules[0].permitted, Some(vec![Code::Ac]));
        let wa = e.declared("wrong_answer/x.c", "wrong_answer");
        assert!(!wa.replaces_folder && wa.not_for_time_limit);
        let rule = &wa.rules[0];
        let tests = |v: &[Verdict]| -> Vec<(String, Verdict)> {
            v.iter()
                .enumerate()
                .map(|(i, v)| (format!("secret/{i}"), *v))
                .collect()
        };
        assert_eq!(rule.broken(&tests(&[Verdict::AC, Verdict::WA])), None);
        let no_wa = rule.broken(&tests(&[Verdict::AC, Verdict::AC])).unwrap();
        assert!(no_wa.contains("required WA"), "{no_wa}");
        let tle = rule.broken(&tests(&[Verdict::WA, Verdict::TLE])).unwrap();
        assert!(tle.contains("test secret/1 is TLE"), "{tle}");
        // MLE counts as RTE.
        assert_eq!(Code::of(Verdict::MLE), Some(Code::Rte));
    }

    #[test]
    fn what_is_not_supported_is_an_error_naming_the_key() {
        for (text, needle) in [
            ("a.py:\n  sample:\n    permitted: [AC]\n", "per test group"),
            ("a.py:\n  score: 10\n", "score is not supported"),
            ("a.py:\n  permitted: [OK]\n", "\"OK\" is not a verdict"),
            ("a.py:\n  use_for_time_limit: maybe\n", "use_for_time_limit"),
        ] {
            let (_d, read) = file(text);
            let err = read.err().unwrap().to_string();
            assert!(err.contains(FILE) && err.contains(needle), "{text}: {err}");
        }
    }
}

//! `submissions/submissions.yaml` (the 2025-09 format, and BAPCtools): what each submission,
//! chosen by a glob over its path below `submissions/`, declares about itself, and the
//! requirements of the format's default folders.
//!
//! Understood, per entry: `language` (a profile name) and `entrypoint` (a directory's main
//! file or Java class); `permitted` (every test's verdict must be one of these), `required`
//! (some test's verdict must be one of these) over the verdict codes AC, WA, TLE and RTE (our
//! RE, MLE and OLE are RTE), `message` (some test's judge message contains it) and `score`
//! (the submission's score, a number or an inclusive `[low, high]`); the same requirements
//! (but `score`) under a test-group key (`sample`, `secret/group1`, `secret/*-hard`: a glob
//! over test paths below `data/`, matching a test or a group above it); `use_for_time_limit:
//! false` (not used to derive the time limit; `lower` and `upper` are accepted);
//! `author(s)` and `model_solution` (accepted, unused). A submission pattern's `*` matches
//! within one name, `{a,b}` either; a submission is matched when its path or a directory above
//! it is.
//!
//! The default folders' requirements are the format's: `accepted` all AC, `wrong_answer` AC or
//! WA with a WA, `time_limit_exceeded` AC or TLE with a TLE, `run_time_error` AC or RTE with
//! an RTE, `rejected` some test not AC, `brute_force` no WA with a TLE or RTE. They decide a
//! submission's verdict when the package has a `submissions.yaml` (with none, a folder names
//! the submission's final verdict, as problemtools judges), and always for `rejected` and
//! `brute_force`. An entry for a folder itself (`wrong_answer:`) overrides the keys it gives
//! and inherits the others; every other matching entry adds its requirements. Unknown keys,
//! and `score` per test group, are errors naming the file and the key.

use std::fs;
use std::path::{Path, PathBuf};

use judge_engine::verdict::Verdict;
use serde_yaml::Value;

/// The file's name, in `submissions/`.
pub const FILE: &str = "submissions.yaml";

/// DOMjudge's file of entry points and languages, in the package directory.
pub const DOMJUDGE_FILE: &str = "submissions.json";

/// The profile a DOMjudge language id names: its ids where they differ from ours.
fn profile_for_langid(id: &str) -> String {
    match id {
        "py3" | "py" => "python3",
        "cc" | "c++" => "cpp",
        other => other,
    }
    .to_owned()
}

/// The folders the format gives requirements to, and those requirements.
const DEFAULTS: [(&str, &[Code], &[Code]); 6] = [
    ("accepted", &[Code::Ac], ALL),
    ("rejected", ALL, &[Code::Rte, Code::Tle, Code::Wa]),
    ("wrong_answer", &[Code::Ac, Code::Wa], &[Code::Wa]),
    ("time_limit_exceeded", &[Code::Ac, Code::Tle], &[Code::Tle]),
    ("run_time_error", &[Code::Ac, Code::Rte], &[Code::Rte]),
    (
        "brute_force",
        &[Code::Ac, Code::Rte, Code::Tle],
        &[Code::Rte, Code::Tle],
    ),
];

const ALL: &[Code] = &[Code::Ac, Code::Wa, Code::Tle, Code::Rte];

/// Folders that name no single verdict: only their requirements say what is expected.
pub const RULE_FOLDERS: [&str; 2] = ["rejected", "brute_force"];

/// Why the file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: {why}", path.display())]
pub struct ExpectationsError {
    pub path: PathBuf,
    pub why: String,
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

/// One requirement on a submission's test verdicts.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Where it came from, for messages: `submissions.yaml PATTERN`, or the folder's default.
    pub origin: String,
    /// The tests it is about (a glob below `data/`), or all.
    pub tests: Option<String>,
    pub permitted: Vec<Code>,
    pub required: Vec<Code>,
    pub message: Option<String>,
}

/// One test's outcome, as a rule sees it.
pub struct Outcome<'a> {
    pub name: &'a str,
    pub verdict: Verdict,
    pub message: &'a str,
}

fn names(codes: &[Code]) -> String {
    codes
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Rule {
    /// Why the tests' outcomes break the rule, if they do.
    pub fn broken(&self, tests: &[Outcome]) -> Option<String> {
        let within = match &self.tests {
            Some(group) => format!(" {group}"),
            None => String::new(),
        };
        let chosen: Vec<&Outcome> = tests
            .iter()
            .filter(|t| self.tests.as_ref().map_or(true, |g| matches(g, t.name)))
            .collect();
        if chosen.is_empty() {
            return Some(format!("{}{within}: no test is in it", self.origin));
        }
        for t in &chosen {
            if !Code::of(t.verdict).is_some_and(|c| self.permitted.contains(&c)) {
                return Some(format!(
                    "{}{within}: test {} is {}, not one of the permitted {}",
                    self.origin,
                    t.name,
                    t.verdict,
                    names(&self.permitted)
                ));
            }
        }
        let met = chosen
            .iter()
            .any(|t| Code::of(t.verdict).is_some_and(|c| self.required.contains(&c)));
        if !met {
            return Some(format!(
                "{}{within}: no test is one of the required {}",
                self.origin,
                names(&self.required)
            ));
        }
        if let Some(message) = &self.message {
            if !chosen.iter().any(|t| t.message.contains(message.as_str())) {
                return Some(format!(
                    "{}{within}: no test's judge message contains {message:?}",
                    self.origin
                ));
            }
        }
        None
    }

    /// The rule for a person: `permitted AC, WA; required WA`.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{}: permitted {}; required {}",
            self.origin,
            names(&self.permitted),
            names(&self.required)
        );
        if let Some(group) = &self.tests {
            out.push_str(&format!(" (tests {group})"));
        }
        if let Some(message) = &self.message {
            out.push_str(&format!("; message {message:?}"));
        }
        out
    }
}

/// What the file and the folder say about one submission.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Declared {
    pub language: Option<String>,
    pub entrypoint: Option<String>,
    pub rules: Vec<Rule>,
    /// The rules, not the folder's single verdict, decide whether it is as expected.
    pub by_rules: bool,
    /// `use_for_time_limit: false`.
    pub not_for_time_limit: bool,
    /// `use_for_time_limit: lower`.
    pub lower_bound: bool,
    /// The score it must have (inclusive), and the pattern that says so.
    pub score: Option<(f64, f64, String)>,
}

/// Requirements as an entry (or a test group of one) gives them; `None` where not given.
#[derive(Clone, Debug, Default)]
struct Given {
    permitted: Option<Vec<Code>>,
    required: Option<Vec<Code>>,
    message: Option<String>,
}

impl Given {
    fn any(&self) -> bool {
        self.permitted.is_some() || self.required.is_some() || self.message.is_some()
    }

    fn rule(&self, origin: String, tests: Option<String>) -> Rule {
        Rule {
            origin,
            tests,
            permitted: self.permitted.clone().unwrap_or_else(|| ALL.to_vec()),
            required: self.required.clone().unwrap_or_else(|| ALL.to_vec()),
            message: self.message.clone(),
        }
    }
}

#[derive(Default)]
struct Entry {
    language: Option<String>,
    entrypoint: Option<String>,
    given: Given,
    groups: Vec<(String, Given)>,
    score: Option<(f64, f64)>,
    not_for_time_limit: bool,
    lower_bound: bool,
}

/// The parsed file (entries in file order), or its absence.
#[derive(Default)]
pub struct Expectations {
    /// Whether the package has the file: then the default folders' requirements decide.
    present: bool,
    entries: Vec<(String, Entry)>,
}

/// Whether a key of an entry names test groups (the format: `sample`, `secret`, or a glob).
fn is_group_key(key: &str) -> bool {
    key.starts_with("sample") || key.starts_with("secret") || key.starts_with('*')
}

impl Expectations {
    /// Reads `dir/submissions.yaml`, if there is one.
    pub fn read(dir: &Path) -> Result<Expectations, ExpectationsError> {
        let path = dir.join(FILE);
        if !path.exists() {
            return Ok(Expectations::default());
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
            let Value::String(pattern) = key else {
                return Err(bad(format!("{} is not a submission pattern", shown(&key))));
            };
            let entry = parse_entry(&value).map_err(|why| bad(format!("{pattern}: {why}")))?;
            entries.push((pattern, entry));
        }
        Ok(Expectations {
            present: true,
            entries,
        })
    }

    /// The format's folder requirements decide even without the file (a 2025-09 package,
    /// whose format defines them for every package).
    pub fn with_folder_requirements(mut self, on: bool) -> Expectations {
        self.present |= on;
        self
    }

    /// Adds the entry points and languages of DOMjudge's `submissions.json` in the package
    /// directory `problem`, if it has one: `{"submissions/accepted/multi/": {"entry_point":
    /// "main.py", "langid": "py3"}}` (keys are paths in the package; `team` is accepted and
    /// unused). This file's own entries come after and win.
    pub fn with_domjudge(mut self, problem: &Path) -> Result<Expectations, ExpectationsError> {
        let path = problem.join(DOMJUDGE_FILE);
        if !path.exists() {
            return Ok(self);
        }
        let bad = |why: String| ExpectationsError {
            path: path.clone(),
            why,
        };
        let text = fs::read_to_string(&path).map_err(|e| bad(format!("cannot read it: {e}")))?;
        let raw: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let mut entries = Vec::new();
        for (key, value) in raw {
            let Some(rel) = key.strip_prefix("submissions/") else {
                return Err(bad(format!("{key:?} is not a path under submissions/")));
            };
            let rel = rel.trim_end_matches('/').to_owned();
            let serde_json::Value::Object(fields) = value else {
                return Err(bad(format!("{key}: not an object")));
            };
            let mut entry = Entry::default();
            for (field, value) in fields {
                let text = || match &value {
                    serde_json::Value::String(s) => Ok(s.clone()),
                    other => Err(bad(format!("{key}: {field}: {other} is not a string"))),
                };
                match field.as_str() {
                    "entry_point" => entry.entrypoint = Some(text()?),
                    "langid" => entry.language = Some(profile_for_langid(&text()?)),
                    "team" => {}
                    other => {
                        return Err(bad(format!(
                            "{key}: unknown key {other:?} (known: entry_point, langid, team)"
                        )))
                    }
                }
            }
            entries.push((rel, entry));
        }
        entries.append(&mut self.entries);
        self.entries = entries;
        Ok(self)
    }

    /// What the file and the folder declare about the submission at `rel` (its path below
    /// `submissions/`, with `/`) in the folder `folder`.
    pub fn declared(&self, rel: &str, folder: &str) -> Declared {
        let mut out = Declared::default();
        let own = self
            .entries
            .iter()
            .find(|(pattern, _)| pattern == folder)
            .map(|(_, e)| e);
        let default = DEFAULTS.iter().find(|(f, _, _)| *f == folder);
        if let Some((_, permitted, required)) =
            default.filter(|_| self.present || RULE_FOLDERS.contains(&folder))
        {
            // The folder's own entry overrides what it gives and inherits the rest.
            let mut given = Given {
                permitted: Some(permitted.to_vec()),
                required: Some(required.to_vec()),
                message: None,
            };
            let mut origin = format!("the {folder} folder");
            if let Some(own) = own.filter(|e| e.given.any()) {
                origin = format!("{FILE} {folder}");
                given.permitted = own.given.permitted.clone().or(given.permitted);
                given.required = own.given.required.clone().or(given.required);
                given.message = own.given.message.clone();
            }
            out.rules.push(given.rule(origin, None));
            out.by_rules = true;
        }
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
            out.not_for_time_limit |= entry.not_for_time_limit;
            out.lower_bound |= entry.lower_bound;
            if let Some((low, high)) = entry.score {
                out.score = Some((low, high, pattern.clone()));
            }
            let origin = format!("{FILE} {pattern}");
            let folder_own = pattern == folder;
            if entry.given.any() && !(folder_own && out.by_rules) {
                // A folder without a default of the format: its own entry replaces its verdict.
                out.by_rules |= folder_own;
                out.rules.push(entry.given.rule(origin.clone(), None));
            }
            for (group, given) in &entry.groups {
                out.rules
                    .push(given.rule(origin.clone(), Some(group.clone())));
            }
        }
        out
    }
}

/// One entry of the file.
fn parse_entry(value: &Value) -> Result<Entry, String> {
    let Value::Mapping(map) = value else {
        return Err(
            "not a mapping of keys (language, entrypoint, permitted, required, ...)".into(),
        );
    };
    let mut entry = Entry::default();
    for (key, value) in map {
        let Value::String(key) = key else {
            return Err(format!("{} is not a key", shown(key)));
        };
        match key.as_str() {
            "language" => entry.language = Some(string(key, value)?),
            "entrypoint" => entry.entrypoint = Some(string(key, value)?),
            "author" | "authors" | "model_solution" => {}
            "score" => entry.score = Some(score(value)?),
            "use_for_time_limit" => match for_time_limit(value)? {
                TimeLimitUse::Never => entry.not_for_time_limit = true,
                TimeLimitUse::Lower => entry.lower_bound = true,
                TimeLimitUse::ByRules | TimeLimitUse::Upper => {}
            },
            k if is_group_key(k) => {
                let Value::Mapping(group) = value else {
                    return Err(format!("{k}: not a mapping of requirements"));
                };
                let mut given = Given::default();
                for (gk, gv) in group {
                    let Value::String(gk) = gk else {
                        return Err(format!("{k}: {} is not a key", shown(gk)));
                    };
                    match gk.as_str() {
                        "score" => {
                            return Err(format!("{k}: score per test group is not supported"))
                        }
                        "use_for_time_limit" => {
                            for_time_limit(gv).map_err(|e| format!("{k}: {e}"))?;
                        }
                        other => {
                            requirement(&mut given, other, gv).map_err(|e| format!("{k}: {e}"))?
                        }
                    }
                }
                entry.groups.push((k.to_owned(), given));
            }
            other => requirement(&mut entry.given, other, value)?,
        }
    }
    Ok(entry)
}

/// A YAML value as the file wrote it, for messages.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => serde_yaml::to_string(other)
            .map(|t| t.trim().to_owned())
            .unwrap_or_default(),
    }
}

/// `permitted`, `required` or `message` into `given`; anything else is unknown.
fn requirement(given: &mut Given, key: &str, value: &Value) -> Result<(), String> {
    match key {
        "permitted" => given.permitted = Some(codes(key, value)?),
        "required" => given.required = Some(codes(key, value)?),
        "message" => given.message = Some(string(key, value)?),
        other => {
            return Err(format!(
                "unknown key {other:?} (known: language, entrypoint, permitted, required, \
                 message, score, use_for_time_limit, authors, model_solution, and test groups \
                 sample..., secret..., *...)"
            ))
        }
    }
    Ok(())
}

fn string(key: &str, value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("{key}: {} is not a string", shown(other))),
    }
}

fn codes(key: &str, value: &Value) -> Result<Vec<Code>, String> {
    let list: Vec<&Value> = match value {
        Value::Sequence(items) => items.iter().collect(),
        one => vec![one],
    };
    list.into_iter()
        .map(|v| {
            v.as_str()
                .and_then(Code::parse)
                .ok_or_else(|| format!("{key}: {} is not a verdict (AC, WA, TLE, RTE)", shown(v)))
        })
        .collect()
}

fn score(value: &Value) -> Result<(f64, f64), String> {
    let bad = || format!("score: {} is not a number or [low, high]", shown(value));
    match value {
        Value::Number(n) => n.as_f64().map(|n| (n, n)).ok_or_else(bad),
        Value::Sequence(pair) => match pair.as_slice() {
            [low, high] => match (low.as_f64(), high.as_f64()) {
                (Some(low), Some(high)) if low <= high => Ok((low, high)),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// `use_for_time_limit`: true, false, `lower` or `upper`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeLimitUse {
    /// As its requirements say (`true`, or not given).
    #[default]
    ByRules,
    /// `false`: never.
    Never,
    /// `lower`: a lower bound, as `permitted: [AC, WA, RTE]` would make it.
    Lower,
    /// `upper`: an upper bound, as `required: [TLE]` would make it.
    Upper,
}

fn for_time_limit(value: &Value) -> Result<TimeLimitUse, String> {
    match value {
        Value::Bool(true) => Ok(TimeLimitUse::ByRules),
        Value::Bool(false) => Ok(TimeLimitUse::Never),
        Value::String(s) if s == "lower" => Ok(TimeLimitUse::Lower),
        Value::String(s) if s == "upper" => Ok(TimeLimitUse::Upper),
        other => Err(format!(
            "use_for_time_limit: {} is not true, false, lower or upper",
            shown(other)
        )),
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
        assert!(matches(
            "run_time_error/not_defined",
            "run_time_error/not_defined"
        ));
        assert!(!matches("accepted/sol.py", "accepted"));
        // Test groups: a test is matched by its group.
        assert!(matches("secret/*-hard", "secret/03-hard/1"));
        assert!(!matches("secret/*-hard", "secret/03-easy/1"));
        assert!(matches("sample", "sample/1"));
    }

    fn file(text: &str) -> Result<Expectations, ExpectationsError> {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE), text).unwrap();
        Expectations::read(dir.path())
    }

    fn outcomes(v: &[Verdict]) -> Vec<(String, Verdict)> {
        v.iter()
            .enumerate()
            .map(|(i, v)| (format!("secret/{i}"), *v))
            .collect()
    }

    fn broken(d: &Declared, tests: &[(String, Verdict)]) -> Option<String> {
        let tests: Vec<Outcome> = tests
            .iter()
            .map(|(name, verdict)| Outcome {
                name,
                verdict: *verdict,
                message: "",
            })
            .collect();
        d.rules.iter().find_map(|r| r.broken(&tests))
    }

    #[test]
    fn without_a_file_only_rejected_and_brute_force_have_rules() {
        let none = Expectations::default();
        let wa = none.declared("wrong_answer/a.c", "wrong_answer");
        assert!(!wa.by_rules && wa.rules.is_empty());
        let rejected = none.declared("rejected/a.c", "rejected");
        assert!(rejected.by_rules);
        assert_eq!(
            broken(&rejected, &outcomes(&[Verdict::AC, Verdict::TLE])),
            None
        );
        let all_ac = broken(&rejected, &outcomes(&[Verdict::AC])).unwrap();
        assert!(all_ac.contains("required RTE, TLE, WA"), "{all_ac}");
        let brute = none.declared("brute_force/a.c", "brute_force");
        assert_eq!(
            broken(&brute, &outcomes(&[Verdict::AC, Verdict::MLE])),
            None
        );
        let wrong = broken(&brute, &outcomes(&[Verdict::WA, Verdict::TLE])).unwrap();
        assert!(wrong.contains("secret/0 is WA"), "{wrong}");
    }

    #[test]
    fn entries_give_language_entry_point_and_rules() {
        let e = file(
            "run_time_error/not_defined:\n  language: python3\n  entrypoint: main.py\n  \
             authors: [A, B]\n  model_solution: false\nwrong_answer/*:\n  \
             use_for_time_limit: false\nwrong_answer/m*:\n  message: x\n",
        )
        .unwrap();
        let d = e.declared("run_time_error/not_defined", "run_time_error");
        assert_eq!(d.language.as_deref(), Some("python3"));
        assert_eq!(d.entrypoint.as_deref(), Some("main.py"));
        // With the file, the folder's default decides.
        assert!(d.by_rules);
        assert_eq!(d.rules.len(), 1);
        let wa = e.declared("wrong_answer/x.c", "wrong_answer");
        assert!(wa.by_rules && wa.not_for_time_limit);
        assert_eq!(broken(&wa, &outcomes(&[Verdict::AC, Verdict::WA])), None);
        let no_wa = broken(&wa, &outcomes(&[Verdict::AC, Verdict::AC])).unwrap();
        assert!(no_wa.contains("required WA"), "{no_wa}");
        let tle = broken(&wa, &outcomes(&[Verdict::WA, Verdict::TLE])).unwrap();
        assert!(tle.contains("test secret/1 is TLE"), "{tle}");
        // MLE counts as RTE.
        assert_eq!(Code::of(Verdict::MLE), Some(Code::Rte));
        // The glob's message requirement is added to the folder's.
        let m = e.declared("wrong_answer/m.c", "wrong_answer");
        assert_eq!(m.rules.len(), 2);
        let test = |message| Outcome {
            name: "secret/0",
            verdict: Verdict::WA,
            message,
        };
        assert!(m
            .rules
            .iter()
            .all(|r| r.broken(&[test("wrong: x")]).is_none()));
        let why = m.rules[1].broken(&[test("wrong")]).unwrap();
        assert!(why.contains("judge message contains \"x\""), "{why}");
    }

    #[test]
    fn a_folders_own_entry_overrides_what_it_gives_and_inherits_the_rest() {
        let e = file("wrong_answer:\n  permitted: [AC, WA, TLE]\n").unwrap();
        let wa = e.declared("wrong_answer/x.c", "wrong_answer");
        assert_eq!(wa.rules.len(), 1);
        assert_eq!(broken(&wa, &outcomes(&[Verdict::TLE, Verdict::WA])), None);
        // required: [WA] is inherited.
        assert!(broken(&wa, &outcomes(&[Verdict::TLE, Verdict::AC])).is_some());
        let e = file("wrong_answer:\n  required: [AC, WA]\n").unwrap();
        let wa = e.declared("wrong_answer/x.c", "wrong_answer");
        assert_eq!(broken(&wa, &outcomes(&[Verdict::AC])), None);
    }

    #[test]
    fn test_group_requirements_apply_to_their_tests_only() {
        let e = file(
            "time_limit_exceeded/easy_ok.py:\n  secret/*-easy:\n    permitted: [AC]\n  \
             secret/*-hard:\n    required: [TLE]\n  score: [10, 20]\n",
        )
        .unwrap();
        let d = e.declared("time_limit_exceeded/easy_ok.py", "time_limit_exceeded");
        assert_eq!(
            d.score,
            Some((10.0, 20.0, "time_limit_exceeded/easy_ok.py".into()))
        );
        let run = |easy: Verdict, hard: Verdict| {
            broken(
                &d,
                &[
                    ("secret/1-easy/a".to_owned(), easy),
                    ("secret/2-hard/a".to_owned(), hard),
                ],
            )
        };
        assert_eq!(run(Verdict::AC, Verdict::TLE), None);
        let easy = run(Verdict::TLE, Verdict::TLE).unwrap();
        assert!(
            easy.contains("secret/*-easy") && easy.contains("secret/1-easy/a"),
            "{easy}"
        );
        let hard = run(Verdict::AC, Verdict::AC).unwrap();
        assert!(hard.contains("required TLE"), "{hard}");
    }

    #[test]
    fn domjudge_submissions_json_gives_entry_points_and_languages() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(DOMJUDGE_FILE),
            r#"{"submissions/accepted/multi/": {"entry_point": "main.py", "langid": "py3",
               "team": "jury"}}"#,
        )
        .unwrap();
        let e = Expectations::default().with_domjudge(dir.path()).unwrap();
        let d = e.declared("accepted/multi", "accepted");
        assert_eq!(d.entrypoint.as_deref(), Some("main.py"));
        assert_eq!(d.language.as_deref(), Some("python3"));
        // It does not switch on the format's folder requirements.
        assert!(!d.by_rules);
        fs::write(
            dir.path().join(DOMJUDGE_FILE),
            r#"{"submissions/accepted/multi/": {"main": "x"}}"#,
        )
        .unwrap();
        let err = Expectations::default()
            .with_domjudge(dir.path())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains(DOMJUDGE_FILE) && err.contains("unknown key \"main\""),
            "{err}"
        );
    }

    #[test]
    fn what_is_not_supported_is_an_error_naming_the_key() {
        for (text, needle) in [
            ("a.py:\n  sample:\n    score: 10\n", "score per test group"),
            ("a.py:\n  permitted: [OK]\n", "\"OK\" is not a verdict"),
            ("a.py:\n  use_for_time_limit: maybe\n", "use_for_time_limit"),
            ("a.py:\n  verdict: AC\n", "unknown key \"verdict\""),
            ("a.py:\n  score: [3, 1]\n", "score"),
            ("a.py: AC\n", "not a mapping"),
        ] {
            let err = file(text).err().unwrap().to_string();
            assert!(err.contains(FILE) && err.contains(needle), "{text}: {err}");
        }
    }
}

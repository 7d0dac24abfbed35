//! Problem packages: `problem.yaml`, the test data tree under `data/`, and output validators.
//!
//! Steps: parse `problem.yaml` (an absent or empty file means all defaults; unknown keys are
//! errors, as the format requires), settle the format version, problem type and validation;
//! turn `limits` into [`PackageLimits`], reconciled with a `.timelimit` file; walk
//! `data/sample` then `data/secret`, reading `testdata.yaml` (or its 2025-09 name,
//! `test_group.yaml`) flags on the way down; finally
//! find the output validators when validation is custom.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_yaml::Value;

use super::natural::natural_cmp;
use super::scoring::{self, GroupNode, NodeItem, ProblemGrading, RawGrading};
use super::{limits, validator, Constants, InputValidatorArgs};
use super::{list_dir, pair_tests, Format, TestCase, TestSet, TestSetError, Validation};

/// Groups nest at most this deep; deeper means a symbolic-link loop.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProblem {
    problem_format_version: Option<String>,
    #[serde(rename = "type")]
    kind: Option<OneOrMany>,
    validation: Option<String>,
    validator_flags: Option<String>,
    limits: Option<limits::RawLimits>,
    // Metadata of the legacy and newer formats; accepted, not used for judging.
    #[serde(rename = "name")]
    _name: Option<IgnoredAny>,
    #[serde(rename = "uuid")]
    _uuid: Option<IgnoredAny>,
    #[serde(rename = "version")]
    _version: Option<IgnoredAny>,
    #[serde(rename = "author")]
    _author: Option<IgnoredAny>,
    #[serde(rename = "credits")]
    _credits: Option<IgnoredAny>,
    #[serde(rename = "source")]
    _source: Option<IgnoredAny>,
    #[serde(rename = "source_url")]
    _source_url: Option<IgnoredAny>,
    #[serde(rename = "license")]
    _license: Option<IgnoredAny>,
    #[serde(rename = "rights_owner")]
    _rights_owner: Option<IgnoredAny>,
    #[serde(rename = "embargo_until")]
    _embargo_until: Option<IgnoredAny>,
    /// Legacy: `objective` and `show_test_data_groups` of a scoring problem.
    grading: Option<scoring::RawProblemGrading>,
    /// This judge's own: points per group for packages whose groups have no `testdata.yaml`.
    group_scores: Option<BTreeMap<String, Value>>,
    #[serde(rename = "keywords")]
    _keywords: Option<IgnoredAny>,
    #[serde(rename = "languages")]
    _languages: Option<IgnoredAny>,
    #[serde(rename = "allow_file_writing")]
    _allow_file_writing: Option<IgnoredAny>,
    constants: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// `input_validator_args` (or legacy `input_validator_flags`): a string of words, a list, or
/// a map of validator names to either.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawInputArgs {
    Same(OneOrMany),
    ByName(std::collections::BTreeMap<String, OneOrMany>),
}

impl RawInputArgs {
    fn settle(self) -> InputValidatorArgs {
        match self {
            RawInputArgs::Same(args) => InputValidatorArgs::All(args.into_vec()),
            RawInputArgs::ByName(map) => InputValidatorArgs::ByName(
                map.into_iter().map(|(k, v)| (k, v.into_vec())).collect(),
            ),
        }
    }
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => s.split_whitespace().map(str::to_string).collect(),
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTestdata {
    output_validator_flags: Option<OneOrMany>,
    output_validator_args: Option<OneOrMany>,
    /// The submission's command-line arguments (2025-09).
    args: Option<Vec<String>>,
    // Grading: see `scoring`.
    on_reject: Option<String>,
    grading: Option<String>,
    grader_flags: Option<String>,
    accept_score: Option<Value>,
    reject_score: Option<Value>,
    range: Option<String>,
    scoring: Option<scoring::RawScoring>,
    max_score: Option<Value>,
    score_aggregation: Option<String>,
    // Input validation (`judge verify`); other settings accepted, not used for judging.
    input_validator_flags: Option<RawInputArgs>,
    input_validator_args: Option<RawInputArgs>,
    #[serde(rename = "answer_validator_args")]
    _answer_validator_args: Option<IgnoredAny>,
    #[serde(rename = "static_validation")]
    _static_validation: Option<IgnoredAny>,
    #[serde(rename = "full_feedback")]
    _full_feedback: Option<IgnoredAny>,
    // 2025-09 visualizers: not run by a judge.
    #[serde(rename = "input_visualizer_args")]
    _input_visualizer_args: Option<IgnoredAny>,
    #[serde(rename = "test_case_visualizer_args")]
    _test_case_visualizer_args: Option<IgnoredAny>,
    #[serde(rename = "output_visualizer_args")]
    _output_visualizer_args: Option<IgnoredAny>,
}

/// A test's own `<name>.yaml` (2023-07 and later): what it sets for itself.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTestCase {
    args: Option<Vec<String>>,
    output_validator_args: Option<OneOrMany>,
    input_validator_args: Option<RawInputArgs>,
    // Accepted, not used for judging.
    #[serde(rename = "input_visualizer_args")]
    _input_visualizer_args: Option<IgnoredAny>,
    #[serde(rename = "output_visualizer_args")]
    _output_visualizer_args: Option<IgnoredAny>,
    #[serde(rename = "full_feedback")]
    _full_feedback: Option<IgnoredAny>,
    #[serde(rename = "hint")]
    _hint: Option<IgnoredAny>,
    #[serde(rename = "description")]
    _description: Option<IgnoredAny>,
}

/// Reads a YAML file into `T`; a missing file, an empty one or one holding only comments
/// gives `T::default()`.
fn read_yaml<T: DeserializeOwned + Default>(path: &Path) -> Result<T, TestSetError> {
    read_yaml_with(path, &Constants::default())
}

/// As [`read_yaml`], with `constants` substituted in the text first (a group's settings file).
fn read_yaml_with<T: DeserializeOwned + Default>(
    path: &Path,
    constants: &Constants,
) -> Result<T, TestSetError> {
    if !path.exists() {
        return Ok(T::default());
    }
    let text = fs::read_to_string(path).map_err(|source| TestSetError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    let text = constants.substitute(&text);
    let malformed = |e: serde_yaml::Error| TestSetError::Yaml {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    match serde_yaml::from_str::<Value>(&text).map_err(malformed)? {
        Value::Null => Ok(T::default()),
        _ => serde_yaml::from_str(&text).map_err(malformed),
    }
}

pub fn discover(root: &Path) -> Result<TestSet, TestSetError> {
    let yaml_path = root.join("problem.yaml");
    let mut raw: RawProblem = read_yaml(&yaml_path)?;

    let format = match raw.problem_format_version.as_deref() {
        None | Some("legacy") | Some("legacy-icpc") => Format::LegacyPackage,
        Some("2023-07-draft" | "2023-07" | "2025-09-draft" | "2025-09") => Format::NewPackage,
        Some(other) => {
            return Err(TestSetError::UnsupportedFormatVersion {
                path: yaml_path,
                value: other.to_string(),
            })
        }
    };
    let constants = Constants::from_yaml(&yaml_path, raw.constants.take())?;
    let kinds = problem_kinds(&yaml_path, raw.kind)?;
    let mut how = match &raw.validation {
        Some(v) => parse_validation(&yaml_path, v)?,
        None => How::default(),
    };
    if kinds.interactive {
        how.custom = true;
        how.interactive = true;
    }
    if kinds.multi_pass {
        how.custom = true;
        how.multi_pass = true;
    }
    // Newer packages have no `validation` key: a custom validator is used when present.
    let new_validator_dir = root.join("output_validator");
    if format == Format::NewPackage && new_validator_dir.is_dir() {
        how.custom = true;
    }
    if how.custom && kinds.scoring && format == Format::NewPackage {
        how.score = true;
    }

    let limits = limits::from_yaml(&yaml_path, format, raw.limits.unwrap_or_default())?;
    let limits = limits::with_timelimit_file(root, &yaml_path, limits)?;

    let base_flags: Vec<String> = raw
        .validator_flags
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let data = root.join("data");
    let (root_settings, root_grading, root_file) = read_testdata(&data, &constants)?;
    let cx = WalkCx {
        base_flags: &base_flags,
        constants: &constants,
        test_files: format == Format::NewPackage,
    };
    let mut tests = Vec::new();
    let mut tree = GroupNode {
        name: String::new(),
        file: root_file,
        grading: root_grading,
        items: Vec::new(),
    };
    for group in ["sample", "secret"] {
        let dir = data.join(group);
        if group_exists(&dir)? {
            let node = walk(&dir, group, &root_settings, &cx, 0, &mut tests)?;
            tree.items.push(NodeItem::Group(Box::new(node)));
        }
    }
    if tests.is_empty() {
        return Err(TestSetError::NoTests { dir: data });
    }
    let test_names: Vec<String> = tests.iter().map(|t| t.name.clone()).collect();
    let scoring = scoring::settle(
        &ProblemGrading {
            path: &yaml_path,
            format,
            scoring: kinds.scoring,
            validator_scores: how.custom && how.score,
            grading: raw.grading,
            group_scores: raw.group_scores,
        },
        &tree,
        &test_names,
    )?;

    let validation = if how.custom {
        let validators = if format == Format::NewPackage && new_validator_dir.is_dir() {
            vec![validator::program(&new_validator_dir)?]
        } else {
            let dir = root.join("output_validators");
            let found = if dir.is_dir() {
                validator::programs_in(&dir)?
            } else {
                Vec::new()
            };
            if found.is_empty() {
                return Err(TestSetError::MissingValidator {
                    path: yaml_path,
                    dir,
                });
            }
            found
        };
        if how.interactive {
            Validation::Interactive {
                validators,
                score: how.score,
            }
        } else {
            Validation::Custom {
                validators,
                score: how.score,
            }
        }
    } else {
        Validation::Default
    };

    let notes = interaction_samples(&data.join("sample"))
        .into_iter()
        .map(|path| {
            format!(
                "{} has no .in: an interaction sample shown in the statement, not run as a test",
                path.display()
            )
        })
        .collect();
    Ok(TestSet {
        root: root.to_path_buf(),
        format,
        format_version: raw.problem_format_version.clone(),
        tests,
        validation,
        multi_pass: how.multi_pass,
        limits,
        scoring,
        constants,
        notes,
    })
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Kinds {
    scoring: bool,
    interactive: bool,
    multi_pass: bool,
}

/// `type`: a legacy string or a 2023-07 list of pass-fail, scoring, interactive, multi-pass,
/// submit-answer.
fn problem_kinds(path: &Path, raw: Option<OneOrMany>) -> Result<Kinds, TestSetError> {
    let mut kinds = Kinds::default();
    for kind in raw.map(OneOrMany::into_vec).unwrap_or_default() {
        match kind.as_str() {
            "pass-fail" => {}
            "scoring" => kinds.scoring = true,
            "interactive" => kinds.interactive = true,
            "multi-pass" => kinds.multi_pass = true,
            "submit-answer" => {
                return Err(TestSetError::UnsupportedProblemType {
                    path: path.to_path_buf(),
                    value: kind,
                })
            }
            _ => {
                return Err(TestSetError::UnknownProblemType {
                    path: path.to_path_buf(),
                    value: kind,
                })
            }
        }
    }
    Ok(kinds)
}

#[derive(Debug, Default, PartialEq, Eq)]
struct How {
    custom: bool,
    interactive: bool,
    score: bool,
    multi_pass: bool,
}

/// `validation`: `default`, or `custom` followed by any of `interactive`, `score`,
/// `multi-pass`, once each.
fn parse_validation(path: &Path, value: &str) -> Result<How, TestSetError> {
    let unknown = || TestSetError::UnknownValidation {
        path: path.to_path_buf(),
        value: value.to_string(),
    };
    let mut words = value.split_whitespace();
    let mut how = How::default();
    match words.next() {
        Some("default") => {}
        Some("custom") => how.custom = true,
        _ => return Err(unknown()),
    }
    for word in words {
        let flag = match word {
            "interactive" if how.custom => &mut how.interactive,
            "score" if how.custom => &mut how.score,
            "multi-pass" if how.custom => &mut how.multi_pass,
            _ => return Err(unknown()),
        };
        if *flag {
            return Err(unknown());
        }
        *flag = true;
    }
    Ok(how)
}

/// A group's settings file: `test_group.yaml` (its 2025-09 name) or `testdata.yaml`; both in
/// one directory is an error naming both. The file need not exist.
fn group_file(dir: &Path) -> Result<PathBuf, TestSetError> {
    let new = dir.join("test_group.yaml");
    let old = dir.join("testdata.yaml");
    match (new.exists(), old.exists()) {
        (true, true) => Err(TestSetError::Yaml {
            path: new,
            message: format!(
                "{} is the same file under its older name: keep one",
                old.display()
            ),
        }),
        (true, false) => Ok(new),
        _ => Ok(old),
    }
}

/// What a group's settings file sets for its tests (each `None` when it says nothing).
#[derive(Debug, Clone, Default)]
struct Inherited {
    flags: Option<Vec<String>>,
    args: Option<Vec<String>>,
    input_args: Option<InputValidatorArgs>,
}

/// What a directory's `test_group.yaml` or `testdata.yaml` says: the output-validator
/// arguments and submission arguments it sets, if any, its grading keys, and which file that
/// was.
fn read_testdata(
    dir: &Path,
    constants: &Constants,
) -> Result<(Inherited, RawGrading, PathBuf), TestSetError> {
    let path = group_file(dir)?;
    let raw: RawTestdata = read_yaml_with(&path, constants)?;
    let args = raw.args;
    let input_args = match (raw.input_validator_flags, raw.input_validator_args) {
        (Some(_), Some(_)) => {
            return Err(TestSetError::Yaml {
                path,
                message: "give input_validator_flags or input_validator_args, not both".into(),
            })
        }
        (flags, args) => flags.or(args).map(RawInputArgs::settle),
    };
    let grading = RawGrading {
        on_reject: raw.on_reject,
        grading: raw.grading,
        grader_flags: raw.grader_flags,
        accept_score: raw.accept_score,
        reject_score: raw.reject_score,
        range: raw.range,
        scoring: raw.scoring,
        max_score: raw.max_score,
        score_aggregation: raw.score_aggregation,
    };
    match (raw.output_validator_flags, raw.output_validator_args) {
        (Some(_), Some(_)) => Err(TestSetError::Yaml {
            path,
            message: "give output_validator_flags or output_validator_args, not both".into(),
        }),
        (flags, validator_args) => Ok((
            Inherited {
                flags: flags.or(validator_args).map(OneOrMany::into_vec),
                args,
                input_args,
            },
            grading,
            path,
        )),
    }
}

/// Whether a top-level group directory exists; a broken link or a file in its place is an
/// error rather than a silently skipped group.
fn group_exists(dir: &Path) -> Result<bool, TestSetError> {
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(true),
        Ok(_) => Err(TestSetError::NotADirectory {
            path: dir.to_path_buf(),
        }),
        Err(_) if fs::symlink_metadata(dir).is_err() => Ok(false),
        Err(source) => Err(TestSetError::ReadDir {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

enum Item {
    Test {
        stem: String,
        input: PathBuf,
        answer: PathBuf,
    },
    Group {
        name: String,
        dir: PathBuf,
    },
}

impl Item {
    fn key(&self) -> &str {
        match self {
            Item::Test { stem, .. } => stem,
            Item::Group { name, .. } => name,
        }
    }
}

/// What every group of a package shares while its tests are listed.
struct WalkCx<'a> {
    base_flags: &'a [String],
    constants: &'a Constants,
    /// Tests may have their own `<name>.yaml` (2023-07 and later).
    test_files: bool,
}

/// Adds the tests of group `dir` (named `rel` under `data/`) and of its subgroups, in natural
/// order of test stems and group names together; a test sorts before a group of equal name.
/// Returns the group as a node of the group tree, for scoring.
fn walk(
    dir: &Path,
    rel: &str,
    inherited: &Inherited,
    cx: &WalkCx<'_>,
    depth: usize,
    out: &mut Vec<TestCase>,
) -> Result<GroupNode, TestSetError> {
    if depth > MAX_DEPTH {
        return Err(TestSetError::ReadDir {
            path: dir.to_path_buf(),
            source: std::io::Error::other(format!(
                "test groups nest more than {MAX_DEPTH} deep (a symbolic-link loop?)"
            )),
        });
    }
    let (own, grading, file) = read_testdata(dir, cx.constants)?;
    let settings = Inherited {
        flags: own.flags.or_else(|| inherited.flags.clone()),
        args: own.args.or_else(|| inherited.args.clone()),
        input_args: own.input_args.or_else(|| inherited.input_args.clone()),
    };
    let mut node = GroupNode {
        name: rel.to_string(),
        file,
        grading,
        items: Vec::new(),
    };
    let listing = list_dir(dir)?;
    if let Some((_, files)) = listing
        .dirs
        .iter()
        .find(|(name, _)| name.ends_with(".files"))
    {
        return Err(TestSetError::Unsupported {
            path: files.clone(),
            what: "a test's .files directory (input files in the submission's working \
                   directory, 2025-09)"
                .into(),
        });
    }
    let mut items: Vec<Item> = pair_tests(&listing.files, true)?
        .into_iter()
        .map(|(stem, input, answer)| Item::Test {
            stem,
            input,
            answer,
        })
        .chain(
            listing
                .dirs
                .into_iter()
                .map(|(name, dir)| Item::Group { name, dir }),
        )
        .collect();
    items.sort_by(|a, b| {
        natural_cmp(a.key(), b.key())
            .then_with(|| matches!(a, Item::Group { .. }).cmp(&matches!(b, Item::Group { .. })))
    });
    for item in items {
        match item {
            Item::Test {
                stem,
                input,
                answer,
            } => {
                let own: RawTestCase = if cx.test_files {
                    read_yaml(&dir.join(format!("{stem}.yaml")))?
                } else {
                    RawTestCase::default()
                };
                let flags = own
                    .output_validator_args
                    .map(OneOrMany::into_vec)
                    .or_else(|| settings.flags.clone());
                node.items.push(NodeItem::Test(out.len()));
                out.push(TestCase {
                    name: format!("{rel}/{stem}"),
                    input,
                    answer,
                    group: Some(rel.to_string()),
                    validator_flags: cx
                        .base_flags
                        .iter()
                        .chain(flags.iter().flatten())
                        .cloned()
                        .collect(),
                    args: own
                        .args
                        .or_else(|| settings.args.clone())
                        .unwrap_or_default(),
                    input_validator_args: own
                        .input_validator_args
                        .map(RawInputArgs::settle)
                        .or_else(|| settings.input_args.clone())
                        .unwrap_or_default(),
                });
            }
            Item::Group { name, dir } => {
                let rel = format!("{rel}/{name}");
                let group = walk(&dir, &rel, &settings, cx, depth + 1, out)?;
                node.items.push(NodeItem::Group(Box::new(group)));
            }
        }
    }
    Ok(node)
}

/// An input under `data/invalid_input/` (2023-07 and later), which input validation must
/// reject.
#[derive(Debug, Clone)]
pub struct InvalidInput {
    /// `invalid_input/too_big`.
    pub name: String,
    pub path: PathBuf,
    pub input_validator_args: InputValidatorArgs,
}

/// The package's `data/invalid_input/` inputs, in natural order, each with the
/// `input_validator_args` of its own `NAME.yaml` or its nearest `test_group.yaml`.
pub fn invalid_inputs(root: &Path) -> Result<Vec<InvalidInput>, TestSetError> {
    fn walk(
        dir: &Path,
        rel: &str,
        inherited: Option<&InputValidatorArgs>,
        depth: usize,
        out: &mut Vec<InvalidInput>,
    ) -> Result<(), TestSetError> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        let (own, _, _) = read_testdata(dir, &Constants::default())?;
        let args = own.input_args.as_ref().or(inherited);
        let listing = list_dir(dir)?;
        let mut inputs: Vec<&(String, PathBuf)> = listing
            .files
            .iter()
            .filter(|(name, _)| name.ends_with(".in"))
            .collect();
        inputs.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        for (name, path) in inputs {
            let stem = name.trim_end_matches(".in");
            let own: RawTestCase = read_yaml(&dir.join(format!("{stem}.yaml")))?;
            out.push(InvalidInput {
                name: format!("{rel}/{stem}"),
                path: path.clone(),
                input_validator_args: own
                    .input_validator_args
                    .map(RawInputArgs::settle)
                    .or_else(|| args.cloned())
                    .unwrap_or_default(),
            });
        }
        let mut dirs = listing.dirs;
        dirs.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        for (name, sub) in dirs {
            walk(&sub, &format!("{rel}/{name}"), args, depth + 1, out)?;
        }
        Ok(())
    }
    let dir = root.join("data/invalid_input");
    let mut out = Vec::new();
    if dir.is_dir() {
        walk(&dir, "invalid_input", None, 0, &mut out)?;
    }
    Ok(out)
}

/// The `.interaction` files of `dir` with no `.in` beside them, in name order.
fn interaction_samples(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "interaction"))
        .filter(|p| !p.with_extension("in").exists())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn how(v: &str) -> Result<How, TestSetError> {
        parse_validation(Path::new("problem.yaml"), v)
    }

    #[test]
    fn validation_values() {
        assert_eq!(how("default").unwrap(), How::default());
        assert_eq!(
            how("custom").unwrap(),
            How {
                custom: true,
                ..How::default()
            }
        );
        assert_eq!(
            how("custom score interactive").unwrap(),
            How {
                custom: true,
                interactive: true,
                score: true,
                multi_pass: false,
            }
        );
        assert_eq!(
            how("custom interactive multi-pass").unwrap(),
            How {
                custom: true,
                interactive: true,
                multi_pass: true,
                ..How::default()
            }
        );
    }

    #[test]
    fn bad_validation_values() {
        for v in [
            "",
            "fancy",
            "default interactive",
            "custom custom",
            "custom interactive interactive",
            "custom bogus",
            "interactive custom",
            "custom multi-pass multi-pass",
            "default multi-pass",
        ] {
            assert!(
                matches!(how(v), Err(TestSetError::UnknownValidation { .. })),
                "{v:?}"
            );
        }
    }

    #[test]
    fn kinds_accept_string_and_list() {
        let p = Path::new("problem.yaml");
        let one = problem_kinds(p, Some(OneOrMany::One("scoring".into()))).unwrap();
        assert!(one.scoring && !one.interactive);
        let many = problem_kinds(
            p,
            Some(OneOrMany::Many(vec![
                "pass-fail".into(),
                "interactive".into(),
            ])),
        )
        .unwrap();
        assert!(many.interactive && !many.scoring);
        let multi = problem_kinds(p, Some(OneOrMany::One("multi-pass".into()))).unwrap();
        assert!(multi.multi_pass && !multi.interactive);
        assert!(matches!(
            problem_kinds(p, Some(OneOrMany::One("submit-answer".into()))),
            Err(TestSetError::UnsupportedProblemType { .. })
        ));
        assert!(matches!(
            problem_kinds(p, Some(OneOrMany::One("pass-fial".into()))),
            Err(TestSetError::UnknownProblemType { .. })
        ));
    }
}

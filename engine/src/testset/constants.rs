//! `problem.yaml`'s `constants` (2023-07 and later): named values that `{{name}}` sequences
//! in some of a package's files stand for.
//!
//! The specification replaces them in Markdown statements, input and output validators,
//! included code, example submissions and `test_group.yaml` (`testdata.yaml`), never in test
//! data or `problem.yaml` itself. A sequence naming no constant stays as it is. The engine
//! replaces them where it reads those files: a group's settings file before parsing it
//! (`package.rs`), a validator's sources when it copies them to build (`judge::compile`), and
//! an example submission's source when `judge verify` judges it
//! ([`crate::judge::Options::constants`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml::Value;

use super::TestSetError;

/// Names and the text each stands for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constants(BTreeMap<String, String>);

/// A constant's text: an integer, a float or a string.
fn scalar(name: &str, value: Value) -> Result<String, String> {
    match value {
        Value::Number(n) => Ok(n.to_string()),
        Value::String(s) => Ok(s),
        other => Err(format!(
            "{name}: {other:?} is not an integer, a float or a string"
        )),
    }
}

impl Constants {
    /// The `constants` map of `problem.yaml` at `path`: names as the specification's regex
    /// `[a-zA-Z_][a-zA-Z0-9_]*` says, values integers, floats or strings, or (as BAPCtools
    /// writes them) a map of a `value` and named variants, `VARIANT_NAME` each.
    pub fn from_yaml(path: &Path, value: Option<Value>) -> Result<Constants, TestSetError> {
        let bad = |message: String| TestSetError::Yaml {
            path: path.to_path_buf(),
            message: format!("constants: {message}"),
        };
        let map = match value {
            None | Some(Value::Null) => return Ok(Constants::default()),
            Some(Value::Mapping(map)) => map,
            Some(_) => return Err(bad("must be a map of names to values".into())),
        };
        let mut constants = BTreeMap::new();
        for (name, value) in map {
            let Value::String(name) = name else {
                return Err(bad(format!("{name:?} is not a name")));
            };
            if !is_name(&name) {
                return Err(bad(format!(
                    "{name:?} is not a name ([a-zA-Z_][a-zA-Z0-9_]*)"
                )));
            }
            match value {
                // BAPCtools' variants: `FIVE: {value: 5, STRING: "5"}` is `{{FIVE}}` and
                // `{{STRING_FIVE}}`.
                Value::Mapping(variants) => {
                    let mut has_value = false;
                    for (key, value) in variants {
                        let Value::String(key) = key else {
                            return Err(bad(format!("{name}: {key:?} is not a variant name")));
                        };
                        let text = scalar(&name, value).map_err(&bad)?;
                        if key == "value" {
                            has_value = true;
                            constants.insert(name.clone(), text);
                        } else if is_name(&key) {
                            constants.insert(format!("{key}_{name}"), text);
                        } else {
                            return Err(bad(format!(
                                "{name}: {key:?} is not a variant name ([a-zA-Z_][a-zA-Z0-9_]*)"
                            )));
                        }
                    }
                    if !has_value {
                        return Err(bad(format!("{name}: a map of variants needs its `value`")));
                    }
                }
                other => {
                    let text = scalar(&name, other).map_err(&bad)?;
                    constants.insert(name, text);
                }
            }
        }
        Ok(Constants(constants))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `text` with every `{{name}}` of a defined constant replaced by its value.
    pub fn substitute(&self, text: &str) -> String {
        if self.0.is_empty() || !text.contains("{{") {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let value = after
                .find("}}")
                .map(|close| (&after[..close], close))
                .and_then(|(name, close)| self.0.get(name).map(|v| (v, close)));
            match value {
                Some((value, close)) => {
                    out.push_str(value);
                    rest = &after[close + 2..];
                }
                None => {
                    out.push_str("{{");
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constants(yaml: &str) -> Result<Constants, TestSetError> {
        let value: Value = serde_yaml::from_str(yaml).unwrap();
        Constants::from_yaml(Path::new("problem.yaml"), Some(value))
    }

    #[test]
    fn defined_names_are_replaced_and_others_left_alone() {
        let c = constants("max_n: 1000\neps: 1.0e-6\nword: hello\n").unwrap();
        assert_eq!(
            c.substitute("n <= {{max_n}}, tol {{eps}}, {{word}} {{unknown}} {{ max_n }} {{"),
            "n <= 1000, tol 1e-6, hello {{unknown}} {{ max_n }} {{"
        );
        assert_eq!(c.substitute("{{max_n}}{{max_n}}"), "10001000");
        assert_eq!(Constants::default().substitute("{{max_n}}"), "{{max_n}}");
    }

    #[test]
    fn a_map_of_variants_defines_the_value_and_each_variant() {
        let c = constants("FIVE:\n  value: 5\n  STRING: \"5\"\n  WORD: five\nSIX: 6\n").unwrap();
        assert_eq!(
            c.substitute("{{FIVE}} {{STRING_FIVE}} {{WORD_FIVE}} {{SIX}} {{FIVE_WORD}}"),
            "5 5 five 6 {{FIVE_WORD}}"
        );
        let err = constants("FIVE:\n  INT: 5\n").unwrap_err().to_string();
        assert!(
            err.contains("FIVE: a map of variants needs its `value`"),
            "{err}"
        );
        let err = constants("FIVE:\n  value: [5]\n").unwrap_err().to_string();
        assert!(err.contains("not an integer"), "{err}");
    }

    #[test]
    fn bad_constants_name_problem_yaml() {
        let err = constants("9lives: 1\n").unwrap_err().to_string();
        assert!(
            err.contains("problem.yaml") && err.contains("\"9lives\" is not a name"),
            "{err}"
        );
        let err = constants("x: [1, 2]\n").unwrap_err().to_string();
        assert!(
            err.contains("x: ") && err.contains("not an integer"),
            "{err}"
        );
        assert!(constants("[1]").is_err());
    }
}

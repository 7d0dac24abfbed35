//! What a profile file says, as serde reads it, before any validation.
//!
//! Reading happens in two passes so that every mistake gets a precise message: first the text
//! is parsed as a plain TOML table and every table's keys are checked against the lists below
//! (so an unknown key names its table and the keys it could have been); then the text is
//! deserialized into these structs, whose `deny_unknown_fields` is the backstop, and whose type
//! errors carry the line they occur on.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::ProfileError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub name: String,
    pub extensions: Vec<String>,
    pub source_name: String,
    pub exe_name: Option<String>,
    #[serde(default)]
    pub mounts: Vec<RawMount>,
    pub compile: Option<RawCompile>,
    pub run: RawRun,
    /// What provides the toolchain (a Debian package), for the message when it is missing.
    pub package: Option<String>,
    /// A command (run on the host) that prints the toolchain's version.
    pub version: Option<Vec<String>>,
    /// Interpreter names a file's `#!` line may give to choose this profile.
    #[serde(default)]
    pub shebangs: Vec<String>,
    /// How `{class}` is found: java, kotlin or scala.
    pub main_class: Option<String>,
    /// A root filesystem image instead of the host's directories.
    pub rootfs: Option<RawRootfs>,
    /// The sandbox backend of the profile's steps: `namespaces` or `ptrace`.
    pub sandbox: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRootfs {
    pub image: String,
    pub overlay: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawMount {
    /// The same path outside and inside the sandbox.
    Same(String),
    Mapped(RawMappedMount),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMappedMount {
    pub host: String,
    pub sandbox: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCompile {
    pub command: Vec<String>,
    pub time_limit_secs: f64,
    pub memory_limit_mib: u64,
    pub processes: u32,
    pub output_limit_mib: u64,
    pub address_space_limit: Option<bool>,
    pub heap_headroom_mib: Option<u64>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub syscalls: Option<RawSyscalls>,
    pub prepared: Option<RawPrepared>,
}

/// A file the engine prepares once and offers to every run of a step.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrepared {
    pub input: String,
    pub output: String,
    pub command: Vec<String>,
    pub flags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    pub command: Vec<String>,
    pub processes: u32,
    pub address_space_limit: Option<bool>,
    pub heap_headroom_mib: Option<u64>,
    pub time_factor: Option<f64>,
    pub memory_error: Option<String>,
    pub network: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub syscalls: Option<RawSyscalls>,
    pub prepared: Option<RawPrepared>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSyscalls {
    pub base: Option<bool>,
    #[serde(default)]
    pub extra: Vec<String>,
}

/// Keys of each table, for the first pass. Kept in step with the structs above by the
/// `key_lists_match_serde` test.
pub const TOP_KEYS: &[&str] = &[
    "name",
    "extensions",
    "source_name",
    "exe_name",
    "mounts",
    "compile",
    "run",
    "package",
    "version",
    "shebangs",
    "main_class",
    "rootfs",
    "sandbox",
];
pub const ROOTFS_KEYS: &[&str] = &["image", "overlay"];
pub const COMPILE_KEYS: &[&str] = &[
    "command",
    "time_limit_secs",
    "memory_limit_mib",
    "processes",
    "output_limit_mib",
    "address_space_limit",
    "heap_headroom_mib",
    "env",
    "syscalls",
    "prepared",
];
pub const PREPARED_KEYS: &[&str] = &["input", "output", "command", "flags"];
pub const RUN_KEYS: &[&str] = &[
    "command",
    "processes",
    "address_space_limit",
    "heap_headroom_mib",
    "time_factor",
    "memory_error",
    "network",
    "env",
    "syscalls",
    "prepared",
];
pub const SYSCALLS_KEYS: &[&str] = &["base", "extra"];
pub const MOUNT_KEYS: &[&str] = &["host", "sandbox"];

/// Parses profile text: unknown keys first, then types.
pub fn parse(origin: &str, text: &str) -> Result<RawProfile, ProfileError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| syntax_error(origin, text, &e))?;
    check_keys(origin, &table)?;
    toml::from_str(text).map_err(|e| syntax_error(origin, text, &e))
}

/// Required keys of each table (serde would report them without saying which table).
const TOP_REQUIRED: &[&str] = &["name", "extensions", "source_name", "run"];
const COMPILE_REQUIRED: &[&str] = &[
    "command",
    "time_limit_secs",
    "memory_limit_mib",
    "processes",
    "output_limit_mib",
];
const RUN_REQUIRED: &[&str] = &["command", "processes"];

fn check_keys(origin: &str, top: &toml::Table) -> Result<(), ProfileError> {
    check_table(origin, "the top level", top, TOP_KEYS, TOP_REQUIRED)?;
    for (section, keys, required) in [
        ("compile", COMPILE_KEYS, COMPILE_REQUIRED),
        ("run", RUN_KEYS, RUN_REQUIRED),
    ] {
        let Some(toml::Value::Table(t)) = top.get(section) else {
            continue;
        };
        check_table(origin, &format!("[{section}]"), t, keys, required)?;
        if let Some(toml::Value::Table(s)) = t.get("syscalls") {
            check_table(
                origin,
                &format!("{section}.syscalls"),
                s,
                SYSCALLS_KEYS,
                &[],
            )?;
        }
        if let Some(toml::Value::Table(p)) = t.get("prepared") {
            check_table(
                origin,
                &format!("[{section}.prepared]"),
                p,
                PREPARED_KEYS,
                PREPARED_KEYS,
            )?;
        }
    }
    if let Some(toml::Value::Table(t)) = top.get("rootfs") {
        check_table(origin, "rootfs", t, ROOTFS_KEYS, &["image"])?;
    }
    if let Some(toml::Value::Array(mounts)) = top.get("mounts") {
        for (i, m) in mounts.iter().enumerate() {
            if let toml::Value::Table(t) = m {
                check_table(origin, &format!("mounts[{i}]"), t, MOUNT_KEYS, MOUNT_KEYS)?;
            }
        }
    }
    Ok(())
}

fn check_table(
    origin: &str,
    table_name: &str,
    table: &toml::Table,
    known: &[&str],
    required: &[&'static str],
) -> Result<(), ProfileError> {
    if let Some(key) = table.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(ProfileError::UnknownKey {
            origin: origin.to_string(),
            table: table_name.to_string(),
            key: key.clone(),
            expected: known.join(", "),
        });
    }
    if let Some(key) = required.iter().find(|k| !table.contains_key(**k)) {
        return Err(ProfileError::MissingKey {
            origin: origin.to_string(),
            table: table_name.to_string(),
            key,
            required: required.join(", "),
        });
    }
    Ok(())
}

/// Turns a TOML error into one line that names the place in the file.
fn syntax_error(origin: &str, text: &str, e: &toml::de::Error) -> ProfileError {
    let offset = e.span().map_or(0, |s| s.start).min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = text[line_start..offset].chars().count() + 1;
    let snippet = text[line_start..]
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    ProfileError::Syntax {
        origin: origin.to_string(),
        line,
        column,
        snippet,
        message: e.message().trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde's own list of fields, read from its "unknown field" message.
    fn serde_fields<T: for<'de> Deserialize<'de> + std::fmt::Debug>(wrap: &str) -> Vec<String> {
        let text = wrap.replace("KEY", "zz_not_a_key = 1");
        let err = toml::from_str::<T>(&text)
            .unwrap_err()
            .message()
            .to_string();
        let list = err.split("expected one of").nth(1).unwrap_or_else(|| {
            err.split("expected")
                .nth(1)
                .expect("serde lists the fields")
        });
        // serde writes "`a`, `b`, `c`" but "`a` or `b`" for two.
        let mut fields: Vec<String> = list
            .replace(" or ", ",")
            .split(',')
            .map(|f| f.trim().trim_matches('`').to_string())
            .filter(|f| !f.is_empty())
            .collect();
        fields.sort();
        fields
    }

    fn sorted(keys: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn key_lists_match_serde() {
        assert_eq!(serde_fields::<RawProfile>("KEY"), sorted(TOP_KEYS));
        assert_eq!(serde_fields::<RawCompile>("KEY"), sorted(COMPILE_KEYS));
        assert_eq!(serde_fields::<RawRun>("KEY"), sorted(RUN_KEYS));
        assert_eq!(serde_fields::<RawSyscalls>("KEY"), sorted(SYSCALLS_KEYS));
        assert_eq!(serde_fields::<RawPrepared>("KEY"), sorted(PREPARED_KEYS));
        assert_eq!(serde_fields::<RawMappedMount>("KEY"), sorted(MOUNT_KEYS));
        assert_eq!(serde_fields::<RawRootfs>("KEY"), sorted(ROOTFS_KEYS));
    }

    #[test]
    fn unknown_key_names_its_table() {
        let text = "name = \"x\"\nextensions = []\nsource_name = \"a\"\n\
                    [compile]\ncompiel = 1\n[run]\ncommand = [\"/bin/x\"]\nprocesses = 1\n";
        match parse("p.toml", text) {
            Err(ProfileError::UnknownKey {
                table,
                key,
                expected,
                ..
            }) => {
                assert_eq!(table, "[compile]");
                assert_eq!(key, "compiel");
                assert!(expected.starts_with("command, time_limit_secs"));
            }
            other => panic!("expected UnknownKey, got {other:?}"),
        }
    }

    #[test]
    fn unknown_key_in_inline_syscalls_table() {
        let text = "name = \"x\"\nextensions = []\nsource_name = \"a\"\n\
                    [run]\ncommand = [\"/bin/x\"]\nprocesses = 1\n\
                    syscalls = { base = true, extras = [] }\n";
        let err = parse("p.toml", text).unwrap_err().to_string();
        assert_eq!(
            err,
            "profile p.toml: unknown key \"extras\" in run.syscalls; expected one of: base, extra"
        );
    }

    #[test]
    fn type_error_names_the_line() {
        let text = "name = \"x\"\nextensions = []\nsource_name = \"a\"\n\
                    [run]\ncommand = [\"/bin/x\"]\nprocesses = \"many\"\n";
        match parse("p.toml", text) {
            Err(ProfileError::Syntax { line, snippet, .. }) => {
                assert_eq!(line, 6);
                assert_eq!(snippet, "processes = \"many\"");
            }
            other => panic!("expected Syntax, got {other:?}"),
        }
    }

    #[test]
    fn broken_toml_is_a_syntax_error() {
        let err = parse("p.toml", "name = \n").unwrap_err();
        assert!(
            matches!(err, ProfileError::Syntax { line: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn missing_required_key_names_its_table() {
        let text = "name = \"x\"\nextensions = []\n[run]\ncommand = [\"/bin/x\"]\nprocesses = 1\n";
        let err = parse("p.toml", text).unwrap_err().to_string();
        assert_eq!(
            err,
            "profile p.toml: missing key \"source_name\" in the top level, which needs all of: \
             name, extensions, source_name, run"
        );
        let text = "name = \"x\"\nextensions = []\nsource_name = \"a\"\n\
                    [run]\ncommand = [\"/bin/x\"]\nprocesses = 1\n[compile]\ncommand = [\"/bin/x\"]\n";
        let err = parse("p.toml", text).unwrap_err();
        assert!(
            matches!(&err, ProfileError::MissingKey { table, key: "time_limit_secs", .. } if table == "[compile]"),
            "{err:?}"
        );
    }

    #[test]
    fn mapped_mount_needs_both_paths() {
        let text = "name = \"x\"\nextensions = []\nsource_name = \"a\"\n\
                    mounts = [{ host = \"/h\" }]\n[run]\ncommand = [\"/bin/x\"]\nprocesses = 1\n";
        let err = parse("p.toml", text).unwrap_err().to_string();
        assert!(
            err.contains("missing key \"sandbox\" in mounts[0]"),
            "{err}"
        );
    }

    #[test]
    fn mount_forms() {
        let text = "name = \"x\"\nextensions = []\nsource_name = \"a\"\n\
                    mounts = [\"/etc/x\", { host = \"/h\", sandbox = \"/s\" }]\n\
                    [run]\ncommand = [\"/bin/x\"]\nprocesses = 1\n";
        let raw = parse("p.toml", text).unwrap();
        assert!(matches!(&raw.mounts[0], RawMount::Same(p) if p == "/etc/x"));
        assert!(
            matches!(&raw.mounts[1], RawMount::Mapped(m) if m.host == "/h" && m.sandbox == "/s")
        );
    }
}

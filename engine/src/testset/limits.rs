//! Package limits: `problem.yaml`'s `limits` map and a DOMjudge-style `.timelimit` file,
//! checked and reconciled into [`PackageLimits`].
//!
//! Steps: every number is checked as it is read, times, sizes and factors against the bounds
//! of [`crate::limits`] (so a `.timelimit` of 100000 is refused, naming the file), the one
//! count for being positive; the legacy time factors and their 2023-07 spelling
//! (`time_multipliers`) fold into one pair, with the format's defaults (legacy 5 and 2, 2023-07
//! 2 and 1.5); then a
//! `.timelimit` file supplies the time limit, and must agree with `limits.time_limit` when both
//! are given.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{Format, PackageLimits, TestSetError};
use crate::limits::{self, LimitError, Source};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    time_multiplier: Option<f64>,
    time_safety_margin: Option<f64>,
    time_multipliers: Option<RawMultipliers>,
    time_limit: Option<f64>,
    time_resolution: Option<f64>,
    memory: Option<u64>,
    output: Option<u64>,
    code: Option<u64>,
    compilation_time: Option<f64>,
    compilation_memory: Option<u64>,
    validation_time: Option<f64>,
    validation_memory: Option<u64>,
    validation_output: Option<u64>,
    validation_passes: Option<u64>,
}

/// The 2023-07 spelling of the two legacy time factors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMultipliers {
    ac_to_time_limit: Option<f64>,
    time_limit_to_tle: Option<f64>,
}

fn at(path: &Path, key: &'static str) -> Source {
    Source::File {
        path: path.to_path_buf(),
        key: Some(key),
    }
}

fn time(path: &Path, key: &'static str, v: Option<f64>) -> Result<Option<Duration>, LimitError> {
    v.map(|secs| limits::time_secs(at(path, key), secs))
        .transpose()
}

/// More passes than this are taken as this many: each is a run of the submission.
pub const MAX_PASSES: u32 = 1000;

/// A size in MiB, kept in MiB once checked.
fn mib(path: &Path, key: &'static str, v: Option<u64>) -> Result<Option<u64>, LimitError> {
    v.map(|m| limits::size_mib(at(path, key), m).map(|_| m))
        .transpose()
}

fn factor(path: &Path, key: &'static str, v: Option<f64>) -> Result<Option<f64>, LimitError> {
    v.map(|x| limits::factor(at(path, key), x)).transpose()
}

fn positive_int(
    path: &Path,
    key: &'static str,
    v: Option<u64>,
) -> Result<Option<u64>, TestSetError> {
    match v {
        Some(0) => Err(TestSetError::BadLimit {
            path: path.to_path_buf(),
            key,
            value: "0".to_string(),
            expected: "a positive whole number",
        }),
        other => Ok(other),
    }
}

pub fn from_yaml(
    path: &Path,
    format: Format,
    raw: RawLimits,
) -> Result<PackageLimits, TestSetError> {
    let multipliers = raw.time_multipliers.unwrap_or_default();
    let defaults = PackageLimits::defaults(format);
    // The legacy spelling wins if a file gives both.
    let multiplier = raw.time_multiplier.or(multipliers.ac_to_time_limit);
    let margin = raw.time_safety_margin.or(multipliers.time_limit_to_tle);
    let resolution = time(path, "limits.time_resolution", raw.time_resolution)?;
    let passes = positive_int(path, "limits.validation_passes", raw.validation_passes)?;
    Ok(PackageLimits {
        time_limit: time(path, "limits.time_limit", raw.time_limit)?,
        time_multiplier: factor(path, "limits.time_multiplier", multiplier)?
            .unwrap_or(defaults.time_multiplier),
        time_safety_margin: factor(path, "limits.time_safety_margin", margin)?
            .unwrap_or(defaults.time_safety_margin),
        time_resolution: resolution.map_or(defaults.time_resolution, |r| r.as_secs_f64()),
        memory_mib: mib(path, "limits.memory", raw.memory)?,
        output_mib: mib(path, "limits.output", raw.output)?,
        code_kib: raw
            .code
            .map(|kib| limits::size_kib(at(path, "limits.code"), kib).map(|_| kib))
            .transpose()?,
        compilation_time: time(path, "limits.compilation_time", raw.compilation_time)?,
        compilation_memory_mib: mib(path, "limits.compilation_memory", raw.compilation_memory)?,
        validation_time: time(path, "limits.validation_time", raw.validation_time)?,
        validation_memory_mib: mib(path, "limits.validation_memory", raw.validation_memory)?,
        validation_output_mib: mib(path, "limits.validation_output", raw.validation_output)?,
        validation_passes: passes.map_or(defaults.validation_passes, |n| {
            n.min(u64::from(MAX_PASSES)) as u32
        }),
    })
}

/// A `.timelimit` file gives the time limit when `problem.yaml` does not; both must agree.
pub fn with_timelimit_file(
    root: &Path,
    yaml: &Path,
    mut limits: PackageLimits,
) -> Result<PackageLimits, TestSetError> {
    let Some((file, file_time)) = read_timelimit_file(root)? else {
        return Ok(limits);
    };
    let file_secs = file_time.as_secs_f64();
    match limits.time_limit {
        Some(t) if (t.as_secs_f64() - file_secs).abs() > 1e-9 => {
            Err(TestSetError::ConflictingTimeLimits {
                yaml: yaml.to_path_buf(),
                yaml_secs: t.as_secs_f64(),
                file,
                file_secs,
            })
        }
        _ => {
            limits.time_limit = Some(file_time);
            Ok(limits)
        }
    }
}
/// Reads a DOMjudge-style `.timelimit` file (seconds) if `dir` has one: a number, within the
/// bounds of any time limit.
pub fn read_timelimit_file(dir: &Path) -> Result<Option<(PathBuf, Duration)>, TestSetError> {
    let path = dir.join(".timelimit");
    if !path.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&path).map_err(|source| TestSetError::ReadFile {
        path: path.clone(),
        source,
    })?;
    let content = text.trim();
    let Ok(secs) = content.parse::<f64>() else {
        return Err(TestSetError::BadTimeLimitFile {
            path,
            content: content.to_string(),
        });
    };
    let source = Source::File {
        path: path.clone(),
        key: None,
    };
    Ok(Some((path, limits::time_secs(source, secs)?)))
}

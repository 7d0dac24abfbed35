//! Package limits: `problem.yaml`'s `limits` map and a DOMjudge-style `.timelimit` file,
//! checked and reconciled into [`PackageLimits`].
//!
//! Steps: every number must be positive (and finite); the legacy time factors and their
//! 2023-07 spelling (`time_multipliers`) fold into one pair, with the legacy defaults 5 and 2;
//! then a `.timelimit` file supplies the time limit, and must agree with `limits.time_limit`
//! when both are given.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{PackageLimits, TestSetError};

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

fn positive_secs(
    path: &Path,
    key: &'static str,
    v: Option<f64>,
) -> Result<Option<f64>, TestSetError> {
    match v {
        Some(x) if !(x.is_finite() && x > 0.0) => Err(TestSetError::BadLimit {
            path: path.to_path_buf(),
            key,
            value: x.to_string(),
            expected: "a positive number",
        }),
        other => Ok(other),
    }
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

pub fn from_yaml(path: &Path, raw: RawLimits) -> Result<PackageLimits, TestSetError> {
    let secs = |key, v| positive_secs(path, key, v).map(|s| s.map(Duration::from_secs_f64));
    let multipliers = raw.time_multipliers.unwrap_or_default();
    let defaults = PackageLimits::default();
    // The legacy spelling wins if a file gives both.
    let multiplier = raw.time_multiplier.or(multipliers.ac_to_time_limit);
    let margin = raw.time_safety_margin.or(multipliers.time_limit_to_tle);
    positive_secs(path, "limits.time_resolution", raw.time_resolution)?;
    positive_int(path, "limits.validation_passes", raw.validation_passes)?;
    Ok(PackageLimits {
        time_limit: secs("limits.time_limit", raw.time_limit)?,
        time_multiplier: positive_secs(path, "limits.time_multiplier", multiplier)?
            .unwrap_or(defaults.time_multiplier),
        time_safety_margin: positive_secs(path, "limits.time_safety_margin", margin)?
            .unwrap_or(defaults.time_safety_margin),
        memory_mib: positive_int(path, "limits.memory", raw.memory)?,
        output_mib: positive_int(path, "limits.output", raw.output)?,
        code_kib: positive_int(path, "limits.code", raw.code)?,
        compilation_time: secs("limits.compilation_time", raw.compilation_time)?,
        compilation_memory_mib: positive_int(
            path,
            "limits.compilation_memory",
            raw.compilation_memory,
        )?,
        validation_time: secs("limits.validation_time", raw.validation_time)?,
        validation_memory_mib: positive_int(
            path,
            "limits.validation_memory",
            raw.validation_memory,
        )?,
        validation_output_mib: positive_int(
            path,
            "limits.validation_output",
            raw.validation_output,
        )?,
    })
}

/// A `.timelimit` file gives the time limit when `problem.yaml` does not; both must agree.
pub fn with_timelimit_file(
    root: &Path,
    yaml: &Path,
    mut limits: PackageLimits,
) -> Result<PackageLimits, TestSetError> {
    let Some((file, file_secs)) = read_timelimit_file(root)? else {
        return Ok(limits);
    };
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
            limits.time_limit = Some(Duration::from_secs_f64(file_secs));
            Ok(limits)
        }
    }
}
/// Reads a DOMjudge-style `.timelimit` file (seconds) if `dir` has one.
pub fn read_timelimit_file(dir: &Path) -> Result<Option<(PathBuf, f64)>, TestSetError> {
    let path = dir.join(".timelimit");
    if !path.exists() {
        return Ok(None);
    }
    let text = fs::read_to_string(&path).map_err(|source| TestSetError::ReadFile {
        path: path.clone(),
        source,
    })?;
    let content = text.trim();
    match content.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => Ok(Some((path, secs))),
        _ => Err(TestSetError::BadTimeLimitFile {
            path,
            content: content.to_string(),
        }),
    }
}

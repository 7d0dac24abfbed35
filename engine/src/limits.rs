//! Limits: the one place that says which limits are acceptable, and what a run gets from them.
//!
//! Limits come from four sources: command-line flags, a problem package (`problem.yaml`'s
//! `limits` map, a `.timelimit` file), a language profile, and [`Options`] given by a library
//! user. Each source checks its numbers through the constructors here when it reads them, so
//! that the bounds and the messages are the same everywhere:
//! - a time is above 0 and at most an hour ([`MAX_TIME`]);
//! - a size (memory, output, code) is above 0 and at most the host's memory
//!   ([`host_memory`], `MemTotal` of `/proc/meminfo`, read once);
//! - a process count is at least 1 and at most [`MAX_PROCESSES`];
//! - a factor (a profile's time factor, a package's time multipliers) is finite, above 0 and at
//!   most [`MAX_FACTOR`].
//!
//! A value out of bounds is a [`LimitError`] naming its [`Source`] (`--time-limit`,
//! `problem.yaml: limits.memory`, `profile java.toml: run.time_factor`,
//! `Options::time_limit`), the value and the bound.
//!
//! Then, in order: [`test_limits`] settles a submission's limits (an option first, then the
//! package's, then the defaults); the `sandbox::Limits` of each kind of step are derived here and
//! only here: [`test_run`], [`interactive_run`] and [`interactor`], [`compile`], [`validator`].
//! The derivations use saturating arithmetic, so no value, even one that never passed a check
//! (a hand-built [`PackageLimits`]), can make them overflow or panic. A product of two valid
//! values can still pass a bound: the CPU time of a run, time limit × the profile's time factor,
//! is clamped to [`MAX_TIME`] ([`run_time`]), never refused, since each factor was valid alone.

use std::fmt;
use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use crate::judge::Options;
use crate::profile::{CompileLimits, RunLimits};
use crate::sandbox::Limits;
use crate::testset::PackageLimits;

/// The longest time limit any source may give.
pub const MAX_TIME: Duration = Duration::from_secs(3600);
/// The most processes (and threads) a step may have at once: the kernel's traditional default
/// `pid_max`, far above what any compiler or contest program needs.
pub const MAX_PROCESSES: u32 = 32768;
/// The largest factor (a profile's time factor, a package's time multipliers).
pub const MAX_FACTOR: f64 = 100.0;

/// The time limit when neither the options nor the package give one.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(1);
/// The memory limit when neither the options nor the package give one.
pub const DEFAULT_MEMORY_LIMIT: u64 = 256 << 20;
/// The output limit when neither the options nor the package give one.
pub const DEFAULT_OUTPUT_LIMIT: u64 = 64 << 20;

/// How much longer than the pair's wall limit an interactor may take: time to see the
/// submission's end and give its verdict.
pub const INTERACTOR_GRACE: Duration = Duration::from_secs(1);
/// A validator's CPU time when the package gives none.
pub const VALIDATOR_TIME: Duration = Duration::from_secs(30);
/// A validator's memory in MiB when the package gives none.
pub const VALIDATOR_MEMORY_MIB: u64 = 2048;
/// A validator's output in MiB when the package gives none.
pub const VALIDATOR_OUTPUT_MIB: u64 = 8;
/// A validator's processes.
pub const VALIDATOR_PROCESSES: u64 = 16;

/// The host's memory bound when `/proc/meminfo` cannot be read: 4 TiB, the bound the
/// command line had before it knew the host.
const FALLBACK_HOST_MEMORY: u64 = 1 << 42;
const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;

/// Where a limit was given, for the message that refuses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag, such as `--time-limit`.
    Flag(&'static str),
    /// A key of a file (`problem.yaml`, `limits.memory`), or a whole file (`.timelimit`) when
    /// `key` is `None`.
    File {
        path: PathBuf,
        key: Option<&'static str>,
    },
    /// A key of a language profile; `origin` as profile errors name it
    /// (`profiles/java.toml (built in)`).
    Profile { origin: String, key: &'static str },
    /// A field of [`Options`], such as `time_limit`.
    Options(&'static str),
    /// A field of a service's request, such as `cmd[0].cpuLimit`.
    Request(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "{flag}"),
            Source::File { path, key: None } => write!(f, "{}", path.display()),
            Source::File {
                path,
                key: Some(key),
            } => write!(f, "{}: {key}", path.display()),
            Source::Profile { origin, key } => write!(f, "profile {origin}: {key}"),
            Source::Options(field) => write!(f, "Options::{field}"),
            Source::Request(field) => write!(f, "{field}"),
        }
    }
}

/// A limit out of bounds: where it was given, the value, and the bound it breaks.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LimitError {
    #[error("{at}: {value}: a time limit must be above 0 and at most an hour")]
    Time { at: Source, value: String },
    #[error(
        "{at}: {value}: a size must be above 0 and at most the host's memory ({})",
        size_text(*host as f64)
    )]
    Size {
        at: Source,
        value: String,
        host: u64,
    },
    #[error(
        "{at}: {value}: a heap headroom must be at most the host's memory ({})",
        size_text(*host as f64)
    )]
    Headroom {
        at: Source,
        value: String,
        host: u64,
    },
    #[error("{at}: {value}: a process count must be at least 1 and at most {MAX_PROCESSES}")]
    Processes { at: Source, value: String },
    #[error("{at}: {value}: a factor must be above 0 and at most {MAX_FACTOR}")]
    Factor { at: Source, value: String },
}

impl LimitError {
    /// Where the refused limit was given.
    pub fn at(&self) -> &Source {
        match self {
            LimitError::Time { at, .. }
            | LimitError::Size { at, .. }
            | LimitError::Headroom { at, .. }
            | LimitError::Processes { at, .. }
            | LimitError::Factor { at, .. } => at,
        }
    }
}

/// The host's memory in bytes (`MemTotal`), read once; 4 TiB if `/proc/meminfo` says nothing.
pub fn host_memory() -> u64 {
    static HOST: OnceLock<u64> = OnceLock::new();
    *HOST.get_or_init(|| {
        fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| mem_total(&text))
            .unwrap_or(FALLBACK_HOST_MEMORY)
    })
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    kib.checked_mul(KIB).filter(|&bytes| bytes > 0)
}

/// A number as a message shows it: plain in the usual range, else in exponent form (so that
/// 1e300 is not 301 digits).
fn number(x: f64) -> String {
    if x == 0.0 || (x.is_finite() && (1e-4..1e15).contains(&x.abs())) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A size in bytes in the largest binary unit it fills, to two decimals.
fn size_text(bytes: f64) -> String {
    let units = [
        (1u64 << 40, "TiB"),
        (1 << 30, "GiB"),
        (MIB, "MiB"),
        (KIB, "KiB"),
    ];
    let Some((scale, unit)) = units
        .iter()
        .find(|(scale, _)| bytes.is_finite() && bytes >= *scale as f64)
    else {
        return format!("{} bytes", number(bytes));
    };
    let value = (bytes / *scale as f64 * 100.0).round() / 100.0;
    format!("{} {unit}", number(value))
}

/// A time limit given in seconds (flags, package files, profiles).
pub fn time_secs(at: Source, secs: f64) -> Result<Duration, LimitError> {
    let refused = || LimitError::Time {
        at: at.clone(),
        value: format!("{} s", number(secs)),
    };
    if !(secs.is_finite() && secs > 0.0 && secs <= MAX_TIME.as_secs_f64()) {
        return Err(refused());
    }
    // In range, so this cannot panic; but a tiny positive value rounds to no time at all.
    let time = Duration::from_secs_f64(secs);
    if time.is_zero() {
        return Err(refused());
    }
    Ok(time)
}

/// A time limit given as a [`Duration`] ([`Options`]).
pub fn time(at: Source, time: Duration) -> Result<Duration, LimitError> {
    if time.is_zero() || time > MAX_TIME {
        return Err(LimitError::Time {
            at,
            value: format!("{} s", number(time.as_secs_f64())),
        });
    }
    Ok(time)
}

fn size_within(
    at: Source,
    value: String,
    bytes: Option<u64>,
    host: u64,
) -> Result<u64, LimitError> {
    match bytes {
        Some(b) if b >= 1 && b <= host => Ok(b),
        _ => Err(LimitError::Size { at, value, host }),
    }
}

/// A size in bytes, possibly fractional (a flag's `1.5G`).
pub fn size_bytes(at: Source, bytes: f64) -> Result<u64, LimitError> {
    let whole = (bytes.is_finite() && bytes >= 1.0 && bytes <= u64::MAX as f64)
        // Truncating a fraction of a byte, as the flag always did.
        .then_some(bytes as u64);
    size_within(at, size_text(bytes), whole, host_memory())
}

/// A size in bytes ([`Options`]).
pub fn size(at: Source, bytes: u64) -> Result<u64, LimitError> {
    size_within(at, size_text(bytes as f64), Some(bytes), host_memory())
}

/// A size in MiB (package files, profiles); the bytes it makes.
pub fn size_mib(at: Source, mib: u64) -> Result<u64, LimitError> {
    size_within(
        at,
        format!("{mib} MiB"),
        mib.checked_mul(MIB),
        host_memory(),
    )
}

/// A size in KiB (`problem.yaml`'s `limits.code`); the bytes it makes.
pub fn size_kib(at: Source, kib: u64) -> Result<u64, LimitError> {
    size_within(
        at,
        format!("{kib} KiB"),
        kib.checked_mul(KIB),
        host_memory(),
    )
}

/// A profile's heap headroom in MiB: what a step's memory limit keeps back from the heap it
/// gives a runtime. Unlike a limit it may be 0. The bytes it makes.
pub fn headroom_mib(at: Source, mib: u64) -> Result<u64, LimitError> {
    let host = host_memory();
    match mib.checked_mul(MIB) {
        Some(bytes) if bytes <= host => Ok(bytes),
        _ => Err(LimitError::Headroom {
            at,
            value: format!("{mib} MiB"),
            host,
        }),
    }
}

/// A count of processes and threads alive at once.
pub fn processes(at: Source, count: u64) -> Result<u32, LimitError> {
    match u32::try_from(count) {
        Ok(n) if (1..=MAX_PROCESSES).contains(&n) => Ok(n),
        _ => Err(LimitError::Processes {
            at,
            value: count.to_string(),
        }),
    }
}

/// A factor: a profile's time factor, a package's time multiplier or safety margin.
pub fn factor(at: Source, factor: f64) -> Result<f64, LimitError> {
    if !(factor.is_finite() && factor > 0.0 && factor <= MAX_FACTOR) {
        return Err(LimitError::Factor {
            at,
            value: number(factor),
        });
    }
    Ok(factor)
}

/// The limits a submission's tests run under.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TestLimits {
    pub time: Duration,
    pub memory: u64,
    pub output: u64,
}

/// A submission's limits: each option (checked here) first, then the package's, then the
/// defaults. `options.wall_limit` is checked too, though the wall limit is derived later
/// ([`test_run`], [`interactive_run`]).
pub fn test_limits(options: &Options, package: &PackageLimits) -> Result<TestLimits, LimitError> {
    let option_time =
        |field, value: Option<Duration>| value.map(|t| time(Source::Options(field), t)).transpose();
    let option_size =
        |field, value: Option<u64>| value.map(|b| size(Source::Options(field), b)).transpose();
    let time = option_time("time_limit", options.time_limit)?;
    let memory = option_size("memory_limit", options.memory_limit)?;
    let output = option_size("output_limit", options.output_limit)?;
    option_time("wall_limit", options.wall_limit)?;
    Ok(TestLimits {
        time: time.or(package.time_limit).unwrap_or(DEFAULT_TIME_LIMIT),
        memory: memory
            .or(package.memory_mib.map(mib))
            .unwrap_or(DEFAULT_MEMORY_LIMIT),
        output: output
            .or(package.output_mib.map(mib))
            .unwrap_or(DEFAULT_OUTPUT_LIMIT),
    })
}

/// MiB to bytes, saturating (checked values never saturate).
fn mib(mib: u64) -> u64 {
    mib.saturating_mul(MIB)
}

/// Twice `time` plus `slack`: the wall-clock limit of a step whose CPU time is `time`.
fn wall(time: Duration, slack: Duration) -> Duration {
    time.saturating_mul(2).saturating_add(slack)
}

/// The time limit a package without one gets from its slowest accepted run, as problemtools
/// derives it: `slowest` × `multiplier` (`ac_to_time_limit`), rounded up to a whole multiple of
/// `resolution` seconds, at least one multiple, and at most [`MAX_TIME`]. The factors come
/// checked from the package; a resolution that is no positive number counts as 1 s.
pub fn derived_time_limit(slowest: Duration, multiplier: f64, resolution: f64) -> Duration {
    let resolution = if resolution.is_finite() && resolution > 0.0 {
        resolution
    } else {
        1.0
    };
    let exact = slowest.as_secs_f64() * multiplier;
    // A product that is a whole multiple up to rounding error stays that multiple.
    let steps = ((exact / resolution) - 1e-9).ceil().max(1.0);
    let secs = (steps * resolution).min(MAX_TIME.as_secs_f64());
    Duration::try_from_secs_f64(secs).unwrap_or(MAX_TIME)
}

/// The CPU time of a run: the time limit × the profile's time factor, clamped to [`MAX_TIME`]
/// (and to the time limit itself should the factor be no number at all).
pub fn run_time(time: Duration, factor: f64) -> Duration {
    // `f64::min` drops a NaN; a negative product is refused by `try_from_secs_f64`.
    let secs = (time.as_secs_f64() * factor).min(MAX_TIME.as_secs_f64());
    Duration::try_from_secs_f64(secs).unwrap_or(time)
}

/// How far a test's wall time may go past its CPU limit: the larger of a second and half the
/// limit. A program that sleeps or blocks is TLE once past it (DOMjudge's kind of overshoot,
/// wide enough that a CPU-bound program on a busy host is not cut by waiting for a core).
pub fn test_wall(cpu: Duration) -> Duration {
    cpu.saturating_add((cpu / 2).max(Duration::from_secs(1)))
}

/// A test run of a submission: the profile's time factor on the time limit, `wall` or else
/// [`test_wall`] of that as the wall limit, the memory limit also as the stack (and as the
/// address space when the profile allows it and no cgroup limits memory), the profile's
/// processes.
pub fn test_run(
    limits: &TestLimits,
    run: &RunLimits,
    cgroups: bool,
    wall: Option<Duration>,
) -> Limits {
    let time = run_time(limits.time, run.time_factor);
    Limits {
        cpu_time: Some(time),
        wall_time: wall.unwrap_or_else(|| test_wall(time)),
        memory: Some(limits.memory),
        address_space: (run.address_space_limit && !cgroups).then_some(limits.memory),
        stack: Some(limits.memory),
        output: Some(limits.output),
        processes: Some(u64::from(run.processes)),
        ..Limits::default()
    }
}

/// The submission's side of an interactive test: as [`test_run`], but its wall limit is the
/// pair's, `pair_wall` or else twice its CPU time.
pub fn interactive_run(
    limits: &TestLimits,
    run: &RunLimits,
    cgroups: bool,
    pair_wall: Option<Duration>,
) -> Limits {
    let mut sandbox = test_run(limits, run, cgroups, pair_wall);
    let time = sandbox.cpu_time.unwrap_or(limits.time);
    sandbox.wall_time = pair_wall.unwrap_or(time.saturating_mul(2));
    sandbox
}

/// The interactor's side of an interactive test: its own (validator) limits, with a wall
/// limit [`INTERACTOR_GRACE`] past the pair's, so that when a silent pair runs out, the
/// submission is the one stopped.
pub fn interactor(own: &Limits, pair_wall: Duration) -> Limits {
    Limits {
        wall_time: pair_wall.saturating_add(INTERACTOR_GRACE),
        ..own.clone()
    }
}

/// A compile step, as its profile says: a wall limit of twice the CPU time plus 5 s, the
/// memory limit also as the address space when the profile allows it and no cgroup limits
/// memory.
pub fn compile(limits: &CompileLimits, cgroups: bool) -> Limits {
    Limits {
        cpu_time: Some(limits.time),
        wall_time: wall(limits.time, Duration::from_secs(5)),
        memory: Some(limits.memory_bytes),
        address_space: (limits.address_space_limit && !cgroups).then_some(limits.memory_bytes),
        output: Some(limits.output_bytes),
        processes: Some(u64::from(limits.processes)),
        ..Limits::default()
    }
}

/// An output validator or interactor: the package's validation limits, or generous defaults
/// ([`VALIDATOR_TIME`], [`VALIDATOR_MEMORY_MIB`], [`VALIDATOR_OUTPUT_MIB`]); a wall limit of
/// twice the CPU time plus 5 s.
pub fn validator(package: &PackageLimits) -> Limits {
    let time = package.validation_time.unwrap_or(VALIDATOR_TIME);
    Limits {
        cpu_time: Some(time),
        wall_time: wall(time, Duration::from_secs(5)),
        memory: Some(mib(package
            .validation_memory_mib
            .unwrap_or(VALIDATOR_MEMORY_MIB))),
        output: Some(mib(package
            .validation_output_mib
            .unwrap_or(VALIDATOR_OUTPUT_MIB))),
        processes: Some(VALIDATOR_PROCESSES),
        ..Limits::default()
    }
}

#[cfg(test)]
mod tests;

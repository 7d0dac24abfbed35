//! From a finished run and its limits to how it ended: normal exit, or TLE, MLE, OLE, RE.
//!
//! When several apply, the precedence is that of the established judges (DOMjudge, Kattis, DMOJ):
//! time before memory before output before runtime error. A program killed for its time limit
//! also died by a signal, and a program over its memory limit often crashes on a failed
//! allocation; those are consequences, not the cause.

use std::fmt;

use crate::sandbox::{ExitStatus, LimitHit, Limits, RunResult};

/// The judge's answer for a test or a submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// Accepted.
    AC,
    /// Wrong answer.
    WA,
    /// Time limit exceeded.
    TLE,
    /// Memory limit exceeded.
    MLE,
    /// Output limit exceeded.
    OLE,
    /// Runtime error.
    RE,
    /// Compile error.
    CE,
    /// Internal error: the judge, the package or a validator failed, not the submission.
    IE,
}

impl Verdict {
    pub const ALL: [Verdict; 8] = [
        Verdict::AC,
        Verdict::WA,
        Verdict::TLE,
        Verdict::MLE,
        Verdict::OLE,
        Verdict::RE,
        Verdict::CE,
        Verdict::IE,
    ];

    /// The two- or three-letter code.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::AC => "AC",
            Verdict::WA => "WA",
            Verdict::TLE => "TLE",
            Verdict::MLE => "MLE",
            Verdict::OLE => "OLE",
            Verdict::RE => "RE",
            Verdict::CE => "CE",
            Verdict::IE => "IE",
        }
    }

    /// The verdict a run's outcome gives before its output is checked (`None` for a normal
    /// exit, which the checker decides).
    pub fn of_outcome(outcome: Outcome) -> Option<Verdict> {
        match outcome {
            Outcome::Normal => None,
            Outcome::TimeLimit => Some(Verdict::TLE),
            Outcome::MemoryLimit => Some(Verdict::MLE),
            Outcome::OutputLimit => Some(Verdict::OLE),
            Outcome::RuntimeError(_) => Some(Verdict::RE),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Verdict {
    type Err = String;

    fn from_str(s: &str) -> Result<Verdict, String> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.code().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown verdict {s:?}"))
    }
}

/// How a run ended, judged against its limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exited with code 0 within every limit.
    Normal,
    /// CPU or wall-clock limit.
    TimeLimit,
    /// OOM kill, or a peak at or above the memory limit.
    MemoryLimit,
    /// Wrote past the output (file size) limit.
    OutputLimit,
    /// Any other signal or a nonzero exit.
    RuntimeError(RuntimeError),
}

/// Why a run counts as a runtime error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeError {
    ExitCode(i32),
    Signal(i32),
    /// Killed by seccomp (SIGSYS) for a call not on its allowlist.
    DisallowedSyscall,
}

/// Classify `result` against `limits`. `output_len` is the size of the program's output file,
/// when the caller has one: reaching the output limit counts even if the program ignored
/// SIGXFSZ and carried on.
pub fn classify(result: &RunResult, limits: &Limits, output_len: Option<u64>) -> Outcome {
    let over_cpu = limits.cpu_time.is_some_and(|l| result.cpu_time > l);
    let time = matches!(
        result.killed_by,
        Some(LimitHit::CpuTime | LimitHit::WallTime)
    ) || over_cpu
        || result.wall_time > limits.wall_time
        || result.status == ExitStatus::Signaled(libc::SIGXCPU);
    if time {
        return Outcome::TimeLimit;
    }
    if result.oom_killed || limits.memory.is_some_and(|l| result.memory >= l) {
        return Outcome::MemoryLimit;
    }
    let output_full = matches!((limits.output, output_len), (Some(l), Some(n)) if n >= l);
    if result.status == ExitStatus::Signaled(libc::SIGXFSZ)
        || output_full
        || result.killed_by == Some(LimitHit::Output)
    {
        return Outcome::OutputLimit;
    }
    match result.status {
        ExitStatus::Exited(0) => Outcome::Normal,
        ExitStatus::Exited(code) => Outcome::RuntimeError(RuntimeError::ExitCode(code)),
        ExitStatus::Signaled(libc::SIGSYS) => {
            Outcome::RuntimeError(RuntimeError::DisallowedSyscall)
        }
        ExitStatus::Signaled(sig) => Outcome::RuntimeError(RuntimeError::Signal(sig)),
    }
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::ExitCode(code) => write!(f, "exit code {code}"),
            RuntimeError::Signal(sig) => match signal_name(*sig) {
                Some(name) => write!(f, "killed by signal {sig} ({name})"),
                None => write!(f, "killed by signal {sig}"),
            },
            RuntimeError::DisallowedSyscall => f.write_str("disallowed system call"),
        }
    }
}

/// The conventional name of a signal.
pub fn signal_name(sig: i32) -> Option<&'static str> {
    nix::sys::signal::Signal::try_from(sig)
        .ok()
        .map(|s| s.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits() -> Limits {
        Limits {
            cpu_time: Some(Duration::from_secs(1)),
            wall_time: Duration::from_secs(3),
            memory: Some(256 << 20),
            output: Some(1 << 20),
            ..Limits::default()
        }
    }

    fn ran(status: ExitStatus) -> RunResult {
        RunResult {
            status,
            cpu_time: Duration::from_millis(100),
            wall_time: Duration::from_millis(120),
            memory: 10 << 20,
            killed_by: None,
            oom_killed: false,
            ended: std::time::Instant::now(),
            captured: None,
        }
    }

    #[test]
    fn too_much_on_a_captured_stream_is_over_the_output_limit() {
        let mut r = ran(ExitStatus::Signaled(libc::SIGKILL));
        r.killed_by = Some(LimitHit::Output);
        assert_eq!(classify(&r, &limits(), Some(0)), Outcome::OutputLimit);
    }

    #[test]
    fn clean_exit_is_normal() {
        assert_eq!(
            classify(&ran(ExitStatus::Exited(0)), &limits(), None),
            Outcome::Normal
        );
    }

    #[test]
    fn killed_for_cpu_or_wall_is_tle() {
        for hit in [LimitHit::CpuTime, LimitHit::WallTime] {
            let mut r = ran(ExitStatus::Signaled(libc::SIGKILL));
            r.killed_by = Some(hit);
            assert_eq!(classify(&r, &limits(), None), Outcome::TimeLimit);
        }
    }

    #[test]
    fn finishing_just_over_the_cpu_limit_is_tle() {
        let mut r = ran(ExitStatus::Exited(0));
        r.cpu_time = Duration::from_millis(1001);
        assert_eq!(classify(&r, &limits(), None), Outcome::TimeLimit);
        r.cpu_time = Duration::from_millis(1000);
        assert_eq!(classify(&r, &limits(), None), Outcome::Normal);
    }

    #[test]
    fn sigxcpu_from_the_rlimit_backstop_is_tle() {
        assert_eq!(
            classify(&ran(ExitStatus::Signaled(libc::SIGXCPU)), &limits(), None),
            Outcome::TimeLimit
        );
    }

    #[test]
    fn oom_kill_or_peak_at_the_limit_is_mle() {
        let mut r = ran(ExitStatus::Signaled(libc::SIGKILL));
        r.oom_killed = true;
        assert_eq!(classify(&r, &limits(), None), Outcome::MemoryLimit);
        let mut r = ran(ExitStatus::Signaled(libc::SIGSEGV));
        r.memory = 256 << 20;
        assert_eq!(classify(&r, &limits(), None), Outcome::MemoryLimit);
        r.memory = (256 << 20) - 1;
        assert_ne!(classify(&r, &limits(), None), Outcome::MemoryLimit);
    }

    #[test]
    fn sigxfsz_or_a_full_output_file_is_ole() {
        assert_eq!(
            classify(&ran(ExitStatus::Signaled(libc::SIGXFSZ)), &limits(), None),
            Outcome::OutputLimit
        );
        assert_eq!(
            classify(&ran(ExitStatus::Exited(0)), &limits(), Some(1 << 20)),
            Outcome::OutputLimit
        );
        assert_eq!(
            classify(&ran(ExitStatus::Exited(0)), &limits(), Some((1 << 20) - 1)),
            Outcome::Normal
        );
    }

    #[test]
    fn signals_and_exit_codes_are_runtime_errors() {
        assert_eq!(
            classify(&ran(ExitStatus::Exited(3)), &limits(), None),
            Outcome::RuntimeError(RuntimeError::ExitCode(3))
        );
        assert_eq!(
            classify(&ran(ExitStatus::Signaled(libc::SIGSEGV)), &limits(), None),
            Outcome::RuntimeError(RuntimeError::Signal(libc::SIGSEGV))
        );
        assert_eq!(
            classify(&ran(ExitStatus::Signaled(libc::SIGSYS)), &limits(), None),
            Outcome::RuntimeError(RuntimeError::DisallowedSyscall)
        );
    }

    #[test]
    fn precedence_is_time_then_memory_then_output_then_runtime_error() {
        let mut r = ran(ExitStatus::Signaled(libc::SIGXFSZ));
        r.oom_killed = true;
        r.killed_by = Some(LimitHit::CpuTime);
        assert_eq!(classify(&r, &limits(), None), Outcome::TimeLimit);
        r.killed_by = None;
        assert_eq!(classify(&r, &limits(), None), Outcome::MemoryLimit);
        r.oom_killed = false;
        assert_eq!(classify(&r, &limits(), None), Outcome::OutputLimit);
    }

    #[test]
    fn verdict_codes_round_trip() {
        for v in Verdict::ALL {
            assert_eq!(v.code().parse::<Verdict>(), Ok(v));
        }
        assert!("XX".parse::<Verdict>().is_err());
    }

    #[test]
    fn runtime_errors_read_well() {
        assert_eq!(
            RuntimeError::Signal(11).to_string(),
            "killed by signal 11 (SIGSEGV)"
        );
        assert_eq!(RuntimeError::ExitCode(3).to_string(), "exit code 3");
        assert_eq!(
            RuntimeError::DisallowedSyscall.to_string(),
            "disallowed system call"
        );
    }
}

//! The parent's watch over a running sandbox: read the child's records, enforce the clocks, reap.
//!
//! The parent sleeps in `ppoll` on the sync socket with a timeout set to the nearest deadline:
//! - until the init reports the program started, the setup deadline;
//! - then the wall-clock limit;
//! - and, with a cgroup, the CPU timer: after reading the run's CPU usage, the parent sleeps
//!   until the remaining budget could first be spent (remaining / CPUs the run may use), reads
//!   again, and so on, so the sleeps shrink as the budget runs out and a spinning program is
//!   killed within a fraction of a millisecond past its limit, with a dozen reads or so. No fixed
//!   polling tick. The same wake-ups look for an OOM kill, after which the whole run is killed at
//!   once (a half-killed run can stall in the kernel's memory reclaim).
//!
//! On a deadline it kills the run: the cgroup first (every process, also ones that fork), then
//! the init, whose death makes the kernel kill every process of the PID namespace. The socket's
//! end of file says the init is gone; then the init is reaped with its rusage, and nothing is
//! left: no zombie, no descriptor, no mount (they lived in the child's mount namespace).

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use super::error::SandboxError;
use super::stage::{Record, RecordKind};
use super::LimitHit;
use crate::cgroup::RunCgroup;

/// How long the init may take to build the sandbox before it is considered stuck.
pub(crate) const SETUP_TIMEOUT: Duration = Duration::from_secs(10);
/// The shortest sleep of the CPU timer: below it a read costs more than it saves.
const MIN_CPU_STEP: Duration = Duration::from_micros(200);
/// How often a run with a memory limit is checked for an OOM kill.
const OOM_POLL: Duration = Duration::from_millis(20);
/// How long a killed run may take to report its end before the sandbox is declared wedged.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// A cloned child not yet reaped. Dropping it kills and reaps it, so an early return anywhere in
/// the parent leaves no process behind.
#[derive(Debug)]
pub(crate) struct Child {
    pid: libc::pid_t,
    reaped: bool,
}

impl Child {
    pub(crate) fn new(pid: libc::pid_t) -> Child {
        Child { pid, reaped: false }
    }

    pub(crate) fn kill(&self) {
        if !self.reaped {
            // SAFETY: the pid is our unreaped child, so it cannot have been reused.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }

    /// Wait until the child has exited, without reaping it: its /proc entry stays readable.
    pub(crate) fn wait_exited(&self) -> Result<(), SandboxError> {
        loop {
            // SAFETY: an all-zero siginfo is valid to overwrite.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: a valid out-pointer; the pid is our unreaped child.
            let rc = unsafe {
                libc::waitid(
                    libc::P_PID,
                    self.pid as libc::id_t,
                    &mut info,
                    libc::WEXITED | libc::WNOWAIT | libc::__WALL,
                )
            };
            if rc == 0 {
                return Ok(());
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EINTR) {
                return Err(SandboxError::parent(format!("waitid {}", self.pid), err));
            }
        }
    }

    /// The CPU time the child (the init) spent itself over its whole life, exit included, from
    /// the scheduler's nanosecond count. Read once it has exited and before it is reaped.
    pub(crate) fn own_cpu(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/schedstat", self.pid)).ok()?;
        let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
        Some(Duration::from_nanos(ns))
    }

    /// Wait for the child; its wait status and resource usage.
    pub(crate) fn reap(&mut self) -> Result<(i32, libc::rusage), SandboxError> {
        loop {
            let mut status = 0;
            // SAFETY: an all-zero rusage is valid to overwrite.
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: valid out-pointers; the pid is our child.
            let rc = unsafe { libc::wait4(self.pid, &mut status, libc::__WALL, &mut ru) };
            if rc == self.pid {
                self.reaped = true;
                return Ok((status, ru));
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EINTR) {
                self.reaped = true;
                return Err(SandboxError::parent(format!("wait4 {}", self.pid), err));
            }
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
            let _ = self.reap();
        }
    }
}

/// What the parent learned while the child ran.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    /// The first error record, if any step failed.
    pub error: Option<Record>,
    /// When the init reported the program's fork.
    pub started: Option<Instant>,
    /// The init's own CPU time when it forked the program (its share of the cgroup's count).
    pub init_cpu: Duration,
    /// The program's end, as the init reported it.
    pub exited: Option<Record>,
    /// When that report arrived.
    pub ended: Option<Instant>,
    /// Which limit made us kill the run.
    pub killed: Option<LimitHit>,
}

/// The clocks a run is held to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clocks {
    pub wall: Duration,
    pub cpu: Option<Duration>,
    /// Watch for OOM kills (the run has a memory limit).
    pub oom: bool,
    /// How many CPUs the run can burn at once.
    pub cpus: u32,
}

/// When a watch is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Until {
    /// The init is gone (a fresh sandbox: its init ends with the program).
    Eof,
    /// The init reported the program's end (a reused environment: its init stays).
    Exited,
}

/// What the watch needs from the run.
pub(crate) struct Watched<'a> {
    pub sock: &'a OwnedFd,
    pub clocks: Clocks,
    pub cgroup: Option<&'a dyn RunCgroup>,
    /// CPU time the cgroup had counted before the program (a reused cgroup's baseline); `None`
    /// to take the init's own time from its Started record.
    pub cpu_base: Option<Duration>,
    /// OOM kills the cgroup had counted before the program (a reused cgroup's baseline).
    pub oom_base: u64,
    /// When the program was started, if the caller knows (it sent the request itself); else
    /// the init's Started record says.
    pub started: Option<Instant>,
    pub until: Until,
    /// Kill the run.
    pub kill: &'a dyn Fn(),
}

/// Watch a run until it is over.
pub(crate) fn watch(w: Watched<'_>) -> Result<Watch, SandboxError> {
    let mut watch = Watch {
        started: w.started,
        init_cpu: w.cpu_base.unwrap_or_default(),
        ..Watch::default()
    };
    let setup_deadline = Instant::now() + SETUP_TIMEOUT;
    let mut next_check: Option<Instant> =
        (w.started.is_some() && w.cgroup.is_some() && (w.clocks.cpu.is_some() || w.clocks.oom))
            .then(Instant::now);
    let mut buf = [0u8; Record::SIZE];
    let kill = |watch: &mut Watch, why: LimitHit| {
        (w.kill)();
        watch.killed.get_or_insert(why);
    };
    loop {
        let mut now = Instant::now();
        if watch.killed.is_none() && next_check.is_some_and(|t| now >= t) {
            if let Some(cgroup) = w.cgroup {
                next_check = check_cgroup(cgroup, &mut watch, w.clocks, w.oom_base, &kill)?;
                now = Instant::now();
            }
        }
        let deadline = match watch.started {
            None => setup_deadline,
            Some(t) => t + w.clocks.wall,
        };
        if watch.killed.is_none() && now >= deadline {
            let why = if watch.started.is_some() {
                LimitHit::WallTime
            } else {
                LimitHit::Setup
            };
            kill(&mut watch, why);
        }
        let timeout = match watch.killed {
            // Killed: the end follows at once, but do not wait forever on a wedged init.
            Some(_) => Some(KILL_GRACE),
            None => {
                let wake = next_check.map_or(deadline, |t| t.min(deadline));
                Some(wake.saturating_duration_since(now))
            }
        };
        if !poll_readable(w.sock, timeout)? {
            if watch.killed.is_some() && now.elapsed() >= KILL_GRACE {
                return Err(SandboxError::Unresponsive);
            }
            continue;
        }
        // SAFETY: `buf` is a writable buffer of the given size.
        let n = unsafe {
            libc::recv(
                w.sock.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EINTR) | Some(libc::EAGAIN) => continue,
                // The init died with a record unread: treat as end of file.
                Some(libc::ECONNRESET) => break,
                _ => return Err(SandboxError::parent("recv from sync socket", err)),
            }
        }
        if n == 0 {
            if w.until == Until::Exited {
                return Err(SandboxError::Unresponsive);
            }
            break;
        }
        if n as usize != Record::SIZE {
            return Err(SandboxError::Protocol(n as usize));
        }
        let record = Record::from_bytes(&buf);
        match record.kind() {
            Some(RecordKind::Error) => {
                watch.error.get_or_insert(record);
            }
            Some(RecordKind::Started) if watch.started.is_none() => {
                watch.started = Some(Instant::now());
                watch.init_cpu = w
                    .cpu_base
                    .unwrap_or(Duration::from_micros(record.utime_us + record.stime_us));
                if w.cgroup.is_some() && (w.clocks.cpu.is_some() || w.clocks.oom) {
                    next_check = Some(Instant::now());
                }
            }
            Some(RecordKind::Started) => {}
            Some(RecordKind::Exited) => {
                watch.exited = Some(record);
                watch.ended = Some(Instant::now());
                if w.until == Until::Exited {
                    break;
                }
            }
            _ => return Err(SandboxError::Protocol(n as usize)),
        }
    }
    Ok(watch)
}

/// One wake-up of the CPU timer: kill the run if it spent its CPU budget or met the OOM killer,
/// else say when to look again.
fn check_cgroup(
    cgroup: &dyn RunCgroup,
    watch: &mut Watch,
    clocks: Clocks,
    oom_base: u64,
    kill: &impl Fn(&mut Watch, LimitHit),
) -> Result<Option<Instant>, SandboxError> {
    let mut step = None;
    if let Some(limit) = clocks.cpu {
        let used = cgroup.cpu_usage()?.saturating_sub(watch.init_cpu);
        if used >= limit {
            kill(watch, LimitHit::CpuTime);
            return Ok(None);
        }
        // The soonest the program could spend the rest, with every CPU it may use busy.
        let remaining = (limit - used) / clocks.cpus.max(1);
        step = Some(remaining.max(MIN_CPU_STEP));
    }
    if clocks.oom {
        if cgroup.oom_kills()? > oom_base {
            if let Err(e) = cgroup.kill_all() {
                return Err(e.into());
            }
            return Ok(None);
        }
        step = Some(step.map_or(OOM_POLL, |s| s.min(OOM_POLL)));
    }
    Ok(step.map(|s| Instant::now() + s))
}

/// Sleep until `sock` is readable or `timeout` passes (None: no timeout). Nanosecond timeouts:
/// ppoll, not poll's milliseconds.
fn poll_readable(sock: &OwnedFd, timeout: Option<Duration>) -> Result<bool, SandboxError> {
    let mut pfd = libc::pollfd {
        fd: sock.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs() as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: one valid pollfd; the timespec pointer is null or valid; no signal mask change.
    let rc = unsafe { libc::ppoll(&mut pfd, 1, ts_ptr, std::ptr::null()) };
    if rc < 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EINTR) {
            return Ok(false);
        }
        return Err(SandboxError::parent("ppoll on sync socket", err));
    }
    Ok(rc > 0)
}

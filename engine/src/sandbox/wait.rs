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

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::capture::Drain;
use super::error::{HostStep, SandboxError};
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

    pub(crate) fn pid(&self) -> libc::pid_t {
        self.pid
    }

    /// Someone else reaped the child (the ptrace backend's tracer): never signal its pid again.
    pub(crate) fn forget_reaped(&mut self) {
        self.reaped = true;
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
                return Err(SandboxError::host(HostStep::Wait(self.pid), err));
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
                return Err(SandboxError::host(HostStep::Wait(self.pid), err));
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

impl Clocks {
    /// The clocks of a run with `limits`, on `cpus` CPUs unless its cpuset says fewer.
    pub(crate) fn of(limits: &super::Limits, cpus: u32) -> Clocks {
        Clocks {
            wall: limits.wall_time,
            cpu: limits.cpu_time,
            oom: limits.memory.is_some(),
            cpus: limits
                .cpus
                .as_deref()
                .and_then(super::spec::cpu_count)
                .map_or(cpus, |n| n as u32),
        }
    }
}

/// The deadlines of one run, shared by the fresh sandbox's watch and a reused environment's:
/// the setup deadline until the program starts, then the wall-clock limit, the CPU timer and
/// the OOM poll (see the module comment). [`Supervisor::tick`] kills the run on a deadline and
/// says how long the caller may sleep.
pub(crate) struct Supervisor<'a> {
    clocks: Clocks,
    cgroup: Option<&'a dyn RunCgroup>,
    /// CPU time the cgroup had counted before the program.
    cpu_base: Duration,
    oom_base: u64,
    setup_deadline: Instant,
    next_check: Option<Instant>,
    kill: &'a dyn Fn(),
    /// The init's own CPU time so far, when it can be read live (a fresh sandbox's reaper):
    /// what the CPU timer takes off the cgroup's count, as the report takes off the init's
    /// lifetime CPU, so that a run killed for CPU time always reports at least its limit.
    init_cpu_now: Option<&'a dyn Fn() -> Option<Duration>>,
    /// A captured stream, read on the same wake-ups.
    drain: Option<&'a mut Drain>,
    pub watch: Watch,
}

impl<'a> Supervisor<'a> {
    /// `started`: when the program was started, if the caller knows (it sent the request
    /// itself); else call [`Supervisor::started`] when the init says. `cpu_base`: the cgroup's
    /// count before the program (a reused cgroup), if known now.
    pub(crate) fn new(
        clocks: Clocks,
        cgroup: Option<&'a dyn RunCgroup>,
        cpu_base: Option<Duration>,
        oom_base: u64,
        started: Option<Instant>,
        kill: &'a dyn Fn(),
    ) -> Supervisor<'a> {
        let mut supervisor = Supervisor {
            clocks,
            cgroup,
            cpu_base: cpu_base.unwrap_or_default(),
            oom_base,
            setup_deadline: Instant::now() + SETUP_TIMEOUT,
            next_check: None,
            kill,
            init_cpu_now: None,
            drain: None,
            watch: Watch::default(),
        };
        if let Some(at) = started {
            supervisor.started(at, None);
        }
        supervisor
    }

    /// The program started at `at`; `init_cpu` is the init's own share of the cgroup's count
    /// then, unless the base was given to [`Supervisor::new`].
    pub(crate) fn started(&mut self, at: Instant, init_cpu: Option<Duration>) {
        if self.watch.started.is_some() {
            return;
        }
        self.watch.started = Some(at);
        if let Some(cpu) = init_cpu {
            self.cpu_base = cpu;
        }
        self.watch.init_cpu = self.cpu_base;
        if self.cgroup.is_some() && (self.clocks.cpu.is_some() || self.clocks.oom) {
            self.next_check = Some(Instant::now());
        }
    }

    /// Read the init's own CPU time live with `f` (see the field).
    pub(crate) fn init_cpu_now(mut self, f: &'a dyn Fn() -> Option<Duration>) -> Supervisor<'a> {
        self.init_cpu_now = Some(f);
        self
    }

    /// Read `drain` on the run's wake-ups, and end the run if it carries more than its limit.
    pub(crate) fn drain(mut self, drain: Option<&'a mut Drain>) -> Supervisor<'a> {
        self.drain = drain;
        self
    }

    /// The captured stream's descriptor to poll, or -1 (ignored by poll).
    pub(crate) fn drain_fd(&self) -> RawFd {
        self.drain.as_ref().map_or(-1, |d| d.poll_fd())
    }

    /// Read what the captured stream holds now; past its limit, kill the run.
    pub(crate) fn read_drain(&mut self) -> Result<(), SandboxError> {
        let over = match self.drain.as_mut() {
            Some(drain) => drain
                .read_available()
                .map_err(|e| SandboxError::host(HostStep::ReadCapture, e))?,
            None => false,
        };
        if over {
            self.kill(LimitHit::Output);
        }
        Ok(())
    }

    /// The run has ended: read the rest of the captured stream (what was written before the
    /// end is in the pipe; whatever still holds the write end is about to be killed).
    pub(crate) fn finish(mut self) -> Result<Watch, SandboxError> {
        self.read_drain()?;
        if self.watch.killed.is_none() && self.drain.as_ref().is_some_and(|d| d.over()) {
            self.watch.killed = Some(LimitHit::Output);
        }
        Ok(self.watch)
    }

    /// Kill the run for `why` (once).
    pub(crate) fn kill(&mut self, why: LimitHit) {
        if self.watch.killed.is_none() {
            (self.kill)();
            self.watch.killed = Some(why);
        }
    }

    /// Enforce the deadlines due now; the time until the next one, or the grace a killed run
    /// has to report its end.
    pub(crate) fn tick(&mut self) -> Result<Duration, SandboxError> {
        let mut now = Instant::now();
        if self.watch.killed.is_none() && self.next_check.is_some_and(|t| now >= t) {
            if let Some(cgroup) = self.cgroup {
                self.next_check = self.check_cgroup(cgroup)?;
                now = Instant::now();
            }
        }
        let deadline = match self.watch.started {
            None => self.setup_deadline,
            Some(t) => t + self.clocks.wall,
        };
        if self.watch.killed.is_none() && now >= deadline {
            let why = if self.watch.started.is_some() {
                LimitHit::WallTime
            } else {
                LimitHit::Setup
            };
            self.kill(why);
        }
        Ok(match self.watch.killed {
            // Killed: the end follows at once, but do not wait forever on a wedged init.
            Some(_) => KILL_GRACE,
            None => {
                let wake = self.next_check.map_or(deadline, |t| t.min(deadline));
                wake.saturating_duration_since(now)
            }
        })
    }

    /// Whether a killed run has had its grace and still not ended.
    pub(crate) fn overdue(&self, since: Instant) -> bool {
        self.watch.killed.is_some() && since.elapsed() >= KILL_GRACE
    }

    /// One wake-up of the CPU timer: kill the run if it spent its CPU budget or met the OOM
    /// killer, else say when to look again.
    fn check_cgroup(&mut self, cgroup: &dyn RunCgroup) -> Result<Option<Instant>, SandboxError> {
        let mut step = None;
        if let Some(limit) = self.clocks.cpu {
            // The init's CPU since the program started (reaping, its clock) is not the
            // program's: take off what it has used so far when that can be read.
            let base = self
                .init_cpu_now
                .and_then(|f| f())
                .map_or(self.cpu_base, |now| now.max(self.cpu_base));
            let used = cgroup.cpu_usage()?.saturating_sub(base);
            if used >= limit {
                self.kill(LimitHit::CpuTime);
                return Ok(None);
            }
            // The soonest the program could spend the rest, with every CPU it may use busy.
            let remaining = (limit - used) / self.clocks.cpus.max(1);
            step = Some(remaining.max(MIN_CPU_STEP));
        }
        if self.clocks.oom {
            if cgroup.oom_kills()? > self.oom_base {
                // A half-killed run can stall in reclaim: end all of it now.
                cgroup.kill_all()?;
                return Ok(None);
            }
            step = Some(step.map_or(OOM_POLL, |s| s.min(OOM_POLL)));
        }
        Ok(step.map(|s| Instant::now() + s))
    }
}

/// Watch a fresh sandbox until its init is gone: its records on `sock`, the clocks.
pub(crate) fn watch(sock: &OwnedFd, mut supervisor: Supervisor<'_>) -> Result<Watch, SandboxError> {
    let mut buf = [0u8; Record::SIZE];
    loop {
        let timeout = supervisor.tick()?;
        let now = Instant::now();
        let [init_ready, drain_ready] =
            poll_readable(&mut [sock.as_raw_fd(), supervisor.drain_fd()], timeout)?;
        if drain_ready {
            supervisor.read_drain()?;
        }
        if !init_ready {
            if supervisor.overdue(now) {
                return Err(SandboxError::Unresponsive);
            }
            continue;
        }
        // SAFETY: `buf` is a writable buffer of the given size.
        let n = unsafe {
            libc::recv(
                sock.as_raw_fd(),
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
                _ => return Err(SandboxError::host(HostStep::Receive, err)),
            }
        }
        if n == 0 {
            break;
        }
        if n as usize != Record::SIZE {
            return Err(SandboxError::Protocol(n as usize));
        }
        let record = Record::from_bytes(&buf);
        match record.kind() {
            Some(RecordKind::Error) => {
                supervisor.watch.error.get_or_insert(record);
            }
            Some(RecordKind::Started) => supervisor.started(
                Instant::now(),
                Some(Duration::from_micros(record.utime_us + record.stime_us)),
            ),
            Some(RecordKind::Exited) => {
                supervisor.watch.exited = Some(record);
                supervisor.watch.ended = Some(Instant::now());
            }
            _ => return Err(SandboxError::Protocol(n as usize)),
        }
    }
    supervisor.finish()
}

/// Sleep until one of `fds` is readable (or hung up) or `timeout` passes; which ones are.
/// Nanosecond timeouts: ppoll, not poll's milliseconds.
pub(crate) fn poll_readable<const N: usize>(
    fds: &mut [RawFd; N],
    timeout: Duration,
) -> Result<[bool; N], SandboxError> {
    let mut pfds = fds.map(|fd| libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    });
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: N valid pollfds (negative fds are ignored), a valid timespec, no mask change.
    let rc = unsafe { libc::ppoll(pfds.as_mut_ptr(), N as libc::nfds_t, &ts, std::ptr::null()) };
    if rc < 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EINTR) {
            return Ok([false; N]);
        }
        return Err(SandboxError::host(HostStep::Poll, err));
    }
    Ok(pfds.map(|p| p.revents != 0))
}

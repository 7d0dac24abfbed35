//! Reaping in a sandbox's PID 1: wait for children, add up what they used, report the program's
//! end as an `Exited` record.
//!
//! Everything here is usable in the child after clone: no allocation, no locks, no panics.
//! Orphans re-parented to PID 1 are reaped on the way and their time counts as the program's.

use std::os::fd::RawFd;

use super::stage::{Record, RecordKind, Stage};
use super::sys;

/// What a reaped process (and the descendants it reaped) used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub utime_us: u64,
    pub stime_us: u64,
    pub maxrss_kib: u64,
}

impl Usage {
    pub fn of(ru: &libc::rusage) -> Usage {
        let us = |tv: &libc::timeval| {
            (tv.tv_sec as u64)
                .wrapping_mul(1_000_000)
                .wrapping_add(tv.tv_usec as u64)
        };
        Usage {
            utime_us: us(&ru.ru_utime),
            stime_us: us(&ru.ru_stime),
            maxrss_kib: ru.ru_maxrss as u64,
        }
    }

    pub fn add(&mut self, other: &Usage) {
        self.utime_us = self.utime_us.wrapping_add(other.utime_us);
        self.stime_us = self.stime_us.wrapping_add(other.stime_us);
        self.maxrss_kib = self.maxrss_kib.max(other.maxrss_kib);
    }

    /// This process's own usage so far.
    pub fn own() -> Usage {
        // SAFETY: an all-zero rusage is valid to overwrite.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid out-pointer.
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        Usage::of(&ru)
    }
}

/// One reaped child: its pid, wait status and usage.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reaped {
    pub pid: libc::pid_t,
    pub status: i32,
    pub usage: Usage,
}

/// Reap one child; with `hang` false, `Ok(None)` when none has ended. `Err(ECHILD)` when there
/// are no children at all.
pub(crate) fn reap_one(hang: bool) -> Result<Option<Reaped>, i32> {
    let flags = libc::__WALL | if hang { 0 } else { libc::WNOHANG };
    loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value to be overwritten.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: status and ru are valid out-pointers.
        let pid = unsafe { libc::wait4(-1, &mut status, flags, &mut ru) };
        match pid {
            0 => return Ok(None),
            p if p > 0 => {
                return Ok(Some(Reaped {
                    pid: p,
                    status,
                    usage: Usage::of(&ru),
                }))
            }
            _ if sys::errno() == libc::EINTR => continue,
            _ => return Err(sys::errno()),
        }
    }
}

/// The record of the program's end: its wait status, and the usage of it and of everything
/// reaped on the way.
pub(crate) fn exited(status: i32, usage: Usage, wall_ns: u64, index: u32) -> Record {
    Record {
        kind: RecordKind::Exited as u32,
        index,
        status,
        utime_us: usage.utime_us,
        stime_us: usage.stime_us,
        maxrss_kib: usage.maxrss_kib,
        wall_ns,
        ..Record::default()
    }
}

/// Reap every child until `program` ends, then report its end on `sync`.
pub(crate) fn report_end(sync: RawFd, program: libc::pid_t, start: u64) {
    let mut usage = Usage::default();
    loop {
        match reap_one(true) {
            Ok(Some(reaped)) => {
                usage.add(&reaped.usage);
                if reaped.pid == program {
                    let wall = sys::monotonic_ns().wrapping_sub(start);
                    sys::send_record(sync, &exited(reaped.status, usage, wall, 0));
                    return;
                }
            }
            Ok(None) => {}
            Err(errno) => {
                sys::send_record(sync, &Record::error(Stage::Wait, 0, errno));
                return;
            }
        }
    }
}

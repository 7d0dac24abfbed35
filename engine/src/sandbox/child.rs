//! The child side: everything between clone and execve, in raw system calls only.
//!
//! The engine is multithreaded, and clone copies only the calling thread: a lock another thread
//! held stays held forever in the child. So from here on nothing allocates, locks, panics or logs.
//! Every input was prepared by the parent in [`ChildContext`]; every failure goes back as a
//! fixed-size record `{stage, index, errno}` and the child exits.
//!
//! The cloned child becomes PID 1 of the new PID namespace: the sandbox's init. In order, it
//! 1. waits until the parent has written its uid and gid maps (and attached its cgroup), and
//!    opens each bind-mount source as a path-only handle with the engine's rights;
//! 2. becomes the unprivileged user and group. This comes before the mounts because the kernel
//!    refuses to create files (the new root's mount points) for an id the user namespace does
//!    not map, and the host root the child starts as is not mapped. The namespace's capabilities
//!    survive the switch for the same reason: its uid 0 is unmapped, so the kernel's "root gave
//!    up root" rule never fires. Apart from those handles, the child never touches a file as
//!    host root;
//! 3. builds and enters the new root ([`MountPlan::enter`]), with the capabilities it holds in
//!    its own user namespace only, and sets that namespace's limit of nested user namespaces
//!    to 0;
//! 4. sets the hostname, calls `setsid` (no controlling terminal, against TIOCSTI), asks for
//!    SIGKILL on the parent's death, moves stdio to 0-2 and the sync socket to 3, closes the rest;
//! 5. drops every capability (the bounding set included), sets no_new_privs, makes itself
//!    non-dumpable, applies the rlimits, enters the working directory, resets signals;
//! 6. forks the program, which installs the seccomp filter last and calls execve.
//!
//! The init stays behind as PID 1 so that the program gets ordinary signal semantics (a PID 1
//! ignores signals it has no handler for, SIGXFSZ and SIGABRT included). It reaps whatever
//! reaches it, and when the program ends it reports the wait status and usage, then exits, which
//! makes the kernel kill everything left in the namespace.

use std::ffi::CStr;
use std::os::fd::RawFd;

use super::mount::MountPlan;
use super::rlimit::Rlimit;
use super::seccomp;
use super::stage::{Record, RecordKind, Stage};
use super::sys::{self, fail};

/// The descriptor the sync socket is moved to in the child; close-on-exec.
pub(crate) const SYNC_FD: RawFd = 3;

/// Everything the child needs, built before clone. Raw pointers point into the parent's
/// (copied) memory, which stays valid in the child.
pub(crate) struct ChildContext<'a> {
    /// The child's end of the sync socket (any number above 3).
    pub sync: RawFd,
    /// Descriptors to become stdin, stdout and stderr (each above 3).
    pub stdio: [RawFd; 3],
    pub plan: &'a MountPlan,
    pub hostname: &'a CStr,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub last_cap: u32,
    pub rlimits: &'a [Rlimit],
    pub cwd: &'a CStr,
    pub program: &'a CStr,
    /// NULL-terminated.
    pub argv: &'a [*const libc::c_char],
    /// NULL-terminated.
    pub envp: &'a [*const libc::c_char],
    pub filters: &'a [libc::sock_fprog; 3],
    /// A reused environment: instead of forking a program, execute the engine's own binary
    /// (this descriptor) as the environment's init.
    pub init_exe: Option<RawFd>,
}

/// Where a reused environment's child keeps the engine's binary until it executes it.
pub(crate) const EXE_FD: RawFd = SYNC_FD + 1;

/// Run the init. Never returns: it execs nothing itself, it exits.
pub(crate) fn init(ctx: &ChildContext) -> ! {
    let mut sync = ctx.sync;
    // Die with the parent already during setup (the setting is cleared again by setresuid).
    death_signal(sync);

    // 1. Wait for the id maps.
    let mut go = [0u8; 1];
    // SAFETY: reading one byte into a stack buffer.
    let n = unsafe { libc::read(sync, go.as_mut_ptr().cast(), 1) };
    if n != 1 {
        let errno = if n < 0 { sys::errno() } else { libc::EPIPE };
        fail(sync, Stage::WaitRelease, 0, errno);
    }

    // Still with the engine's uid: take a handle on every mount source (see mount.rs).
    if let Err((index, errno)) = ctx.plan.open_sources() {
        fail(sync, Stage::OpenSource, index, errno);
    }

    // 2. The unprivileged user and group. Raw calls: glibc's wrappers broadcast the change to
    // every thread it knows of, under a lock another thread of the engine may have held at clone.
    // SAFETY: plain id arguments.
    let rc = unsafe { libc::syscall(libc::SYS_setresgid, ctx.gid, ctx.gid, ctx.gid) };
    step(sync, Stage::SetGid, rc);
    // SAFETY: plain id arguments.
    let rc = unsafe { libc::syscall(libc::SYS_setresuid, ctx.uid, ctx.uid, ctx.uid) };
    step(sync, Stage::SetUid, rc);

    // 3. The filesystem.
    if let Err((stage, index, errno)) = ctx.plan.enter() {
        fail(sync, stage, index, errno);
    }
    // No nested user namespace, the one way an unprivileged process regains capabilities: this
    // holds even if the seccomp filter had a hole. (The limit lives in our own user namespace,
    // where the init still has CAP_SYS_RESOURCE.)
    if let Err(errno) = sys::write_file(c"/proc/sys/user/max_user_namespaces", b"0") {
        fail(sync, Stage::NestedUserns, 0, errno);
    }

    // 4. Hostname, session, parent death, descriptors.
    // SAFETY: the hostname is NUL-terminated and its length is passed.
    let rc = unsafe { libc::sethostname(ctx.hostname.as_ptr(), ctx.hostname.count_bytes()) };
    step(sync, Stage::Hostname, rc as libc::c_long);
    // SAFETY: setsid takes no arguments.
    let rc = unsafe { libc::setsid() };
    step(sync, Stage::Setsid, rc as libc::c_long);
    // Again: changing credentials cleared the first request.
    death_signal(sync);
    for (target, &fd) in ctx.stdio.iter().enumerate() {
        // SAFETY: duplicating a descriptor the parent opened for us onto 0, 1 or 2.
        let rc = unsafe { libc::dup2(fd, target as RawFd) };
        step(sync, Stage::Stdio, rc as libc::c_long);
    }
    // The sync socket moves to its fixed number, close-on-exec unless the init inherits it.
    let flags = if ctx.init_exe.is_some() {
        0
    } else {
        libc::O_CLOEXEC
    };
    // SAFETY: duplicating a descriptor we hold onto a fixed number.
    let rc = unsafe { libc::dup3(sync, SYNC_FD, flags) };
    step(sync, Stage::Stdio, rc as libc::c_long);
    sync = SYNC_FD;
    let mut keep = SYNC_FD;
    if let Some(exe) = ctx.init_exe {
        // SAFETY: duplicating a descriptor we hold onto a fixed number.
        let rc = unsafe { libc::dup3(exe, EXE_FD, libc::O_CLOEXEC) };
        step(sync, Stage::Stdio, rc as libc::c_long);
        keep = EXE_FD;
    }
    if let Err(errno) = sys::close_from(keep as u32 + 1) {
        fail(sync, Stage::CloseFds, 0, errno);
    }

    // 5. No capabilities, no new privileges, limits.
    drop_capabilities(sync, ctx.last_cap);
    // SAFETY: prctl with integer arguments.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    step(sync, Stage::NoNewPrivs, rc as libc::c_long);
    // The program (same uid) must not reach the init through /proc/1/mem, environ or exe.
    // SAFETY: prctl with integer arguments.
    let rc = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    step(sync, Stage::Dumpable, rc as libc::c_long);
    for (index, limit) in ctx.rlimits.iter().enumerate() {
        if let Err(errno) = limit.apply() {
            fail(sync, Stage::Rlimit, index as u32, errno);
        }
    }
    // SAFETY: the path is NUL-terminated.
    let rc = unsafe { libc::chdir(ctx.cwd.as_ptr()) };
    step(sync, Stage::Chdir, rc as libc::c_long);
    if let Err(errno) = sys::reset_signals() {
        fail(sync, Stage::Signals, 0, errno);
    }

    // 6. The program, or a reused environment's init.
    if ctx.init_exe.is_some() {
        let argv = [super::init::INIT_ARGV0.as_ptr(), std::ptr::null()];
        let envp: [*const libc::c_char; 1] = [std::ptr::null()];
        // SAFETY: execveat of our own binary through its descriptor, with NULL-terminated
        // argv and envp on this stack.
        unsafe {
            libc::syscall(
                libc::SYS_execveat,
                EXE_FD,
                c"".as_ptr(),
                argv.as_ptr(),
                envp.as_ptr(),
                libc::AT_EMPTY_PATH,
            )
        };
        fail(sync, Stage::ExecInit, 0, sys::errno());
    }
    let start = sys::monotonic_ns();
    let program = match sys::fork() {
        Ok(0) => exec(ctx, sync),
        Ok(pid) => pid,
        Err(errno) => fail(sync, Stage::Fork, 0, errno),
    };
    // The init's own CPU time so far: everything the run's cgroup counted before the program
    // existed, which the parent subtracts.
    // SAFETY: an all-zero rusage is valid to overwrite.
    let mut own: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut own) };
    let own = Usage::of(&own);
    let started = Record {
        kind: RecordKind::Started as u32,
        utime_us: own.utime_us,
        stime_us: own.stime_us,
        ..Record::default()
    };
    sys::send_record(sync, &started);
    report_end(sync, program, start);
    sys::exit(0)
}

/// The program's side of the fork: seccomp last, then execve.
fn exec(ctx: &ChildContext, sync: RawFd) -> ! {
    if let Err(errno) = seccomp::install(ctx.filters) {
        fail(sync, Stage::Seccomp, 0, errno);
    }
    // SAFETY: program, argv and envp are NUL-terminated strings in NULL-terminated arrays that
    // the parent built before clone.
    unsafe { libc::execve(ctx.program.as_ptr(), ctx.argv.as_ptr(), ctx.envp.as_ptr()) };
    fail(sync, Stage::Execve, 0, sys::errno())
}

/// Reap every child until the program itself ends, then report its end. Orphans re-parented to
/// the init are reaped on the way and their time counts as the program's.
pub(crate) fn report_end(sync: RawFd, program: libc::pid_t, start: u64) {
    let mut others = Usage::default();
    loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value to be overwritten.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: status and ru are valid out-pointers.
        let pid = unsafe { libc::wait4(-1, &mut status, libc::__WALL, &mut ru) };
        if pid < 0 {
            let errno = sys::errno();
            if errno == libc::EINTR {
                continue;
            }
            sys::send_record(sync, &Record::error(Stage::Wait, 0, errno));
            return;
        }
        let usage = Usage::of(&ru);
        others.add(&usage);
        if pid != program {
            continue;
        }
        let wall = sys::monotonic_ns().wrapping_sub(start);
        let record = Record {
            kind: RecordKind::Exited as u32,
            status,
            utime_us: others.utime_us,
            stime_us: others.stime_us,
            maxrss_kib: others.maxrss_kib,
            wall_ns: wall,
            ..Record::default()
        };
        sys::send_record(sync, &record);
        return;
    }
}

#[derive(Default)]
struct Usage {
    utime_us: u64,
    stime_us: u64,
    maxrss_kib: u64,
}

impl Usage {
    fn of(ru: &libc::rusage) -> Usage {
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

    fn add(&mut self, other: &Usage) {
        self.utime_us = self.utime_us.wrapping_add(other.utime_us);
        self.stime_us = self.stime_us.wrapping_add(other.stime_us);
        self.maxrss_kib = self.maxrss_kib.max(other.maxrss_kib);
    }
}

/// Fail the stage if a `-1 and errno` call failed.
fn step(sync: RawFd, stage: Stage, rc: libc::c_long) {
    if let Err(errno) = sys::check(rc) {
        fail(sync, stage, 0, errno);
    }
}

fn death_signal(sync: RawFd) {
    // SAFETY: prctl with integer arguments.
    let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    step(sync, Stage::DeathSignal, rc as libc::c_long);
}

/// Bounding set, ambient set, then effective, permitted and inheritable: all empty.
fn drop_capabilities(sync: RawFd, last_cap: u32) {
    let mut cap = 0;
    while cap <= last_cap {
        // SAFETY: prctl with integer arguments.
        let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) };
        step(sync, Stage::CapBounding, rc as libc::c_long);
        cap += 1;
    }
    // SAFETY: prctl with integer arguments.
    let rc = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    if rc != 0 && sys::errno() != libc::EINVAL {
        fail(sync, Stage::CapAmbient, 0, sys::errno());
    }
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let header = Header {
        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3: two data words
        pid: 0,
    };
    let none = [
        Data {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        },
        Data {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        },
    ];
    // SAFETY: a version-3 header and two data words, as capset expects.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &header as *const Header, none.as_ptr()) };
    step(sync, Stage::CapSet, rc);
}

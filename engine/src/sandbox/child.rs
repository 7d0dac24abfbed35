//! The child side: everything between clone and execve, in raw system calls only.
//!
//! The engine is multithreaded, and clone copies only the calling thread: a lock another thread
//! held stays held forever in the child. So from here on nothing allocates, locks, panics or logs.
//! Every input was prepared by the parent in [`ChildContext`]; every failure goes back as a
//! fixed-size record `{stage, index, errno}` and the child exits.
//!
//! The cloned child becomes PID 1 of the new PID namespace. It runs as the user namespace's root,
//! which the id maps send to a host uid of its own (never the program's): the program, a
//! different user, can neither signal it, nor change its limits or CPUs, nor read its memory.
//! In order, it
//! 1. waits until the parent has written its uid and gid maps (and attached its cgroup), and
//!    opens each bind-mount source as a path-only handle with the engine's rights;
//! 2. becomes the namespace's root. This comes before the mounts because the kernel refuses to
//!    create files (the new root's mount points) for an id the user namespace does not map, and
//!    the host root the child starts as is not mapped. The namespace's capabilities survive the
//!    switch (no uid involved was the namespace's 0 before). Apart from those handles, the child
//!    never touches a file as host root;
//! 3. builds and enters the new root ([`MountPlan::enter`]), with the capabilities it holds in
//!    its own user namespace only, and sets that namespace's limit of nested user namespaces
//!    to 0;
//! 4. sets the hostname, brings up `lo` for a loopback network, calls `setsid` (no controlling terminal, against TIOCSTI), asks for
//!    SIGKILL on the parent's death, moves stdio to 0-2 and the sync socket to 3, closes the rest;
//! 5. empties the capability bounding set and keeps only what its role needs ([`caps`]), sets
//!    no_new_privs, makes itself non-dumpable, applies the rlimits, enters the working directory,
//!    resets signals;
//! 6. a fresh sandbox: forks the program, which becomes the program's user (losing every
//!    capability), installs the seccomp filter last and calls execve; the child stays as the
//!    run's **reaper** (below). A reused environment: executes the engine's own binary as the
//!    environment's init (`env/init.rs`).
//!
//! The reaper stays behind as PID 1 so that the program gets ordinary signal semantics (a PID 1
//! ignores signals it has no handler for, SIGXFSZ and SIGABRT included). It reaps whatever
//! reaches it, and when the program ends it reports the wait status and usage, then exits, which
//! makes the kernel kill everything left in the namespace.

use std::ffi::CStr;
use std::os::fd::RawFd;

use super::caps::{self, Caps};
use super::env::proto::{EXE_FD, INIT_ARGV0};
use super::mount::MountPlan;
use super::reap::{self, Usage};
use super::rlimit::Rlimit;
use super::seccomp;
use super::stage::{Record, RecordKind, Stage, SYNC_FD};
use super::sys::{self, fail};

/// Everything the child needs, built before clone. Raw pointers point into the parent's
/// (copied) memory, which stays valid in the child.
pub(crate) struct ChildContext<'a> {
    /// The child's end of the sync socket (any number above 4).
    pub sync: RawFd,
    /// Descriptors to become stdin, stdout and stderr (each above 4).
    pub stdio: [RawFd; 3],
    pub plan: &'a MountPlan,
    pub hostname: &'a CStr,
    /// The program's uid and gid inside.
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
    pub filters: &'a [libc::sock_fprog],
    /// A reused environment: instead of forking a program, execute the engine's own binary
    /// (this descriptor) as the environment's init.
    pub init_exe: Option<RawFd>,
    /// Bring up `lo` in the new network namespace (a loopback network).
    pub loopback: bool,
    /// Rootless: the one id mapped is the program's, there is no namespace root to become, and
    /// the child builds the sandbox with the capabilities clone gave it in its namespace.
    pub rootless: bool,
}

/// Set up the sandbox, then become the reaper or the environment's init. Never returns.
pub(crate) fn run(ctx: &ChildContext) -> ! {
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

    // 2. The namespace's root: its own unprivileged host uid. (Rootless: the child's uid is
    // the program's already, the only one mapped.)
    if !ctx.rootless {
        if let Err(errno) = caps::switch_user(0, 0) {
            fail(sync, Stage::SetUid, 0, errno);
        }
    }

    // 3. The filesystem.
    if let Err((stage, index, errno)) = ctx.plan.enter() {
        fail(sync, stage, index, errno);
    }
    // No nested user namespace, the one way an unprivileged process regains capabilities: this
    // holds even if the seccomp filter had a hole. (The limit lives in our own user namespace,
    // where the child has CAP_SYS_RESOURCE.)
    if let Err(errno) = sys::write_file(c"/proc/sys/user/max_user_namespaces", b"0") {
        fail(sync, Stage::NestedUserns, 0, errno);
    }

    // 4. Hostname, session, parent death, descriptors.
    // SAFETY: the hostname is NUL-terminated and its length is passed.
    let rc = unsafe { libc::sethostname(ctx.hostname.as_ptr(), ctx.hostname.count_bytes()) };
    step(sync, Stage::Hostname, rc as libc::c_long);
    // The namespace's own loopback interface, with CAP_NET_ADMIN over this namespace only.
    if ctx.loopback {
        if let Err(errno) = sys::loopback_up() {
            fail(sync, Stage::Loopback, 0, errno);
        }
    }
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

    // 5. Only the capabilities of our role; no new privileges; limits.
    // The environment's init keeps its capabilities through the exec (as the namespace's root
    // it gets the bounding set's, capped by what it had, under no_new_privs), and empties the
    // bounding set itself afterwards, hence CAP_SETPCAP.
    // Rootless, the reaper switches no one: it keeps nothing, and the program inherits that.
    let role = match ctx.init_exe {
        Some(_) => caps::ENV_INIT.with(caps::CAP_SETPCAP),
        None if ctx.rootless => Caps(0),
        None => caps::REAPER,
    }
    .known(ctx.last_cap);
    let bounding = if ctx.init_exe.is_some() {
        role
    } else {
        Caps(0)
    };
    if let Err(errno) = caps::limit_bounding(ctx.last_cap, bounding) {
        fail(sync, Stage::CapBounding, 0, errno);
    }
    if let Err(errno) = caps::set(role) {
        fail(sync, Stage::CapSet, 0, errno);
    }
    // SAFETY: prctl with integer arguments.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    step(sync, Stage::NoNewPrivs, rc as libc::c_long);
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
        let argv = [INIT_ARGV0.as_ptr(), std::ptr::null()];
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
    // Only the program holds its streams now: its closing one ends it for the other side.
    sys::close_stdio();
    // The reaper's own CPU time so far: everything the run's cgroup counted before the program
    // existed, which the parent subtracts.
    let own = Usage::own();
    let started = Record {
        kind: RecordKind::Started as u32,
        utime_us: own.utime_us,
        stime_us: own.stime_us,
        ..Record::default()
    };
    sys::send_record(sync, &started);
    reap::report_end(sync, program, start);
    sys::exit(0)
}

/// The program's side of the fork: the program's user (no capabilities left), seccomp last,
/// then execve.
fn exec(ctx: &ChildContext, sync: RawFd) -> ! {
    if !ctx.rootless {
        if let Err(errno) = caps::switch_user(ctx.uid, ctx.gid) {
            fail(sync, Stage::SwitchUser, 0, errno);
        }
    }
    if let Err(errno) = seccomp::install(ctx.filters) {
        fail(sync, Stage::Seccomp, 0, errno);
    }
    // SAFETY: program, argv and envp are NUL-terminated strings in NULL-terminated arrays that
    // the parent built before clone.
    unsafe { libc::execve(ctx.program.as_ptr(), ctx.argv.as_ptr(), ctx.envp.as_ptr()) };
    fail(sync, Stage::Execve, 0, sys::errno())
}

/// Fail the stage if a `-1 and errno` call failed.
pub(crate) fn step(sync: RawFd, stage: Stage, rc: libc::c_long) {
    if let Err(errno) = sys::check(rc) {
        fail(sync, stage, 0, errno);
    }
}

/// SIGKILL when the parent (the thread that cloned us) ends.
pub(crate) fn death_signal(sync: RawFd) {
    // SAFETY: prctl with integer arguments.
    let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    step(sync, Stage::DeathSignal, rc as libc::c_long);
}

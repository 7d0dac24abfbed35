//! A spare: a run's process forked ahead by the environment's init, waiting for its request.
//!
//! The init forks it on one of the sockets the engine gave (the engine holds the other end);
//! the engine moves it into the run cgroup it will use (from outside: the sandbox's cgroup
//! namespace would hide that cgroup from it) and later sends the request straight to it. Until
//! then it keeps the init's user, which no run can reach. Taking its request, it
//! 1. acknowledges it (a `Started` record on its socket: the engine knows it is alive and
//!    running) and writes a byte to its pipe to the init, which then forks the spare for the run
//!    after this one and knows to clean up after this one's end;
//! 2. becomes the program's user, which clears every capability it inherited from the init;
//! 3. takes its stdin, stdout and stderr from the request, starts a session, sets the run's
//!    rlimits and working directory;
//! 4. calls execve; its socket and pipe close there (close-on-exec). A step that fails is an
//!    `Error` record on the socket, then exit.
//!
//! It inherits the init's seccomp programs, so it costs no filter load.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::proto::{self, Request, RunRequest};
use crate::sandbox::caps;
use crate::sandbox::stage::{Record, RecordKind, Stage, SYNC_FD};
use crate::sandbox::sys;

/// The spare's end of its socket, in the spare.
const SOCK: RawFd = SYNC_FD;
/// The spare's end of its pipe to the init, in the spare.
const RAN: RawFd = SYNC_FD + 1;

/// A forked spare, seen from the init.
pub(super) struct Forked {
    pub pid: libc::pid_t,
    /// The init's end of the spare's pipe: a byte arrives when the spare runs a program.
    pub ran: OwnedFd,
}

/// Fork a spare that will run as `uid`/`gid`, reached on `sock` (the init's copy is closed).
pub(super) fn fork(sock: OwnedFd, uid: u32, gid: u32) -> Result<Forked, i32> {
    let ours = sock;
    let (ran, ran_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)
            .map_err(|e| e as i32)?;
    match sys::fork()? {
        0 => {
            drop(ran);
            life(ours, ran_w, uid, gid)
        }
        pid => Ok(Forked { pid, ran }),
    }
}

/// The spare's life: wait for the request, become the program.
fn life(sock: OwnedFd, ran: OwnedFd, uid: u32, gid: u32) -> ! {
    // Our socket replaces the init's at 3 (it cannot be there already), then our pipe goes to
    // 4 (if the socket was there, its copy at 3 is the one kept); nothing of the init's stays
    // open.
    for (fd, target) in [(&sock, SOCK), (&ran, RAN)] {
        if fd.as_raw_fd() == target {
            continue;
        }
        // SAFETY: duplicating a descriptor we own onto a fixed number.
        if unsafe { libc::dup3(fd.as_raw_fd(), target, libc::O_CLOEXEC) } < 0 {
            sys::exit(71);
        }
    }
    std::mem::forget((sock, ran));
    if sys::close_from(RAN as u32 + 1).is_err() || sys::reset_signals().is_err() {
        sys::exit(71);
    }
    let mut buf = vec![0u8; proto::MAX_REQUEST];
    match proto::receive(SOCK, &mut buf) {
        Ok(Some((n, fds))) => match Request::decode(&buf[..n]) {
            Some(Request::Run(run)) => activate(&run, &fds, uid, gid),
            _ => sys::fail(SOCK, Stage::Ack, 0, libc::EINVAL),
        },
        // The engine dropped the environment.
        _ => sys::exit(0),
    }
}

/// Become the program: the steps of the module comment.
fn activate(run: &RunRequest, fds: &[OwnedFd], uid: u32, gid: u32) -> ! {
    let started = Record {
        kind: RecordKind::Started as u32,
        wall_ns: sys::monotonic_ns(),
        ..Record::default()
    };
    sys::send_record(SOCK, &started);
    // Tell the init: it forks the next spare now, and cleans up after this one's end.
    // SAFETY: writing one byte from a literal to our pipe.
    unsafe { libc::write(RAN, b"r".as_ptr().cast(), 1) };
    if fds.len() < 3 {
        sys::fail(SOCK, Stage::Stdio, 0, libc::EBADF);
    }
    if let Err(errno) = caps::switch_user(uid, gid) {
        sys::fail(SOCK, Stage::SwitchUser, 0, errno);
    }
    let ptrs = |v: &[std::ffi::CString]| {
        let mut p: Vec<*const libc::c_char> = v.iter().map(|s| s.as_ptr()).collect();
        p.push(std::ptr::null());
        p
    };
    let argv = ptrs(&run.argv);
    let envp = ptrs(&run.env);
    for (target, fd) in fds[..3].iter().enumerate() {
        // SAFETY: duplicating a received descriptor onto 0, 1 or 2 (it is above 3).
        if unsafe { libc::dup2(fd.as_raw_fd(), target as RawFd) } < 0 {
            sys::fail(SOCK, Stage::Stdio, 0, sys::errno());
        }
    }
    // SAFETY: setsid takes no arguments.
    unsafe { libc::setsid() };
    for (index, limit) in run.rlimits.iter().enumerate() {
        if let Err(errno) = limit.apply() {
            sys::fail(SOCK, Stage::Rlimit, index as u32, errno);
        }
    }
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::chdir(run.cwd.as_ptr()) } != 0 {
        sys::fail(SOCK, Stage::Chdir, 0, sys::errno());
    }
    // SAFETY: NUL-terminated strings in NULL-terminated arrays built above.
    unsafe { libc::execve(argv[0], argv.as_ptr(), envp.as_ptr()) };
    sys::fail(SOCK, Stage::Execve, 0, sys::errno())
}

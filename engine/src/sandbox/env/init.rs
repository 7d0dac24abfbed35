//! The init of a reused environment: a small, single-threaded PID 1 that keeps spares ready,
//! reaps, and makes the environment as new after every run.
//!
//! A reused environment is built once like a fresh sandbox (namespaces, root, limits); then,
//! instead of forking a program, its child executes *the engine's own binary* in a hidden mode:
//! argv[0] is [`INIT_ARGV0`], and a constructor in `.init_array` (which runs before `main`, in
//! any binary that links the engine: the `judge` command, a test binary, a user's program) sees
//! it and serves the environment instead of returning. It is a fresh, single-threaded process,
//! so unlike the child after clone it may allocate.
//!
//! The init runs as the user namespace's root (its own unprivileged host uid), never as the
//! program's user: a run cannot signal it, change its limits or CPUs, or read its memory, and
//! neither can it reach a spare, which keeps the init's user until it takes its request. In
//! order, the init
//! 1. makes itself non-dumpable, marks its socket (descriptor 3) close-on-exec, routes SIGCHLD
//!    to a signalfd, says Ready;
//! 2. on the confine request: empties its capability bounding set, keeps only the capabilities
//!    of [`caps::ENV_INIT`], installs the environment's seccomp programs in itself (every spare
//!    inherits them, so no run pays for loading a filter into the kernel), and offers spares;
//! 3. sleeps in poll on its socket and its signalfd. A request is handled at once; a child's end
//!    is reaped: a spare's end (the program's, or a spare that died) is reported as Exited, with
//!    what it and the orphans reaped on the way used; after a spare that ran a program the
//!    environment is cleaned ([`super::clean`]) first, and Exited and Cleaned go together (the
//!    engine wakes once, and its work never waits behind the init's on one CPU). A spare that takes its
//!    request says so on its pipe: then, with the PID counter reset, the init forks the spare for
//!    the next run (on the next socket the engine gave) and announces it (Spare), while the
//!    program runs rather than between two runs;
//! 4. exits when the engine's end of the socket closes, whenever that happens, a run going on
//!    or not: its death ends the PID namespace and every process in it.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::FileExt;

use super::clean;
use super::proto::{self, Confinement, Request, INIT_ARGV0};
use super::spare;
use crate::sandbox::caps::{self, Caps};
use crate::sandbox::reap::{self, Usage};
use crate::sandbox::stage::{Dirt, Record, RecordKind, Stage, SYNC_FD};
use crate::sandbox::{seccomp, sys};

/// The socket to the engine.
const SOCK: RawFd = SYNC_FD;
/// Spares kept waiting besides the one running a program: one, for the next run (each alive
/// spare has a run cgroup of its own, and there are two).
const SPARES: usize = 1;

type Constructor =
    extern "C" fn(libc::c_int, *const *const libc::c_char, *const *const libc::c_char);

/// Runs before `main` in every binary that links the engine; returns at once unless this process
/// was started as an environment's init.
#[used]
#[link_section = ".init_array"]
pub(crate) static HIDDEN_INIT: Constructor = hidden_init;

extern "C" fn hidden_init(
    argc: libc::c_int,
    argv: *const *const libc::c_char,
    _envp: *const *const libc::c_char,
) {
    if argc != 1 || argv.is_null() {
        return;
    }
    // SAFETY: glibc passes the process's argv, with argc valid entries.
    let arg0 = unsafe { *argv };
    if arg0.is_null() {
        return;
    }
    // SAFETY: argv entries are NUL-terminated strings.
    if unsafe { CStr::from_ptr(arg0) } != INIT_ARGV0 {
        return;
    }
    // Never return into the engine's main.
    let code = std::panic::catch_unwind(serve).unwrap_or(70);
    sys::exit(code)
}

fn reply(kind: RecordKind, stage: u32, errno: i32) {
    let record = Record {
        kind: kind as u32,
        stage,
        errno,
        ..Record::default()
    };
    sys::send_record(SOCK, &record);
}

/// The init's life; returns the exit code.
fn serve() -> i32 {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    // SAFETY: fcntl on our own socket.
    unsafe { libc::fcntl(SOCK, libc::F_SETFD, libc::FD_CLOEXEC) };
    let sigfd = match child_signals() {
        Ok(fd) => fd,
        Err(errno) => {
            reply(RecordKind::Error, Stage::InitSetup as u32, errno);
            return 71;
        }
    };
    reply(RecordKind::Ready, 0, 0);
    let mut init = Init {
        buf: vec![0u8; proto::MAX_REQUEST],
        sigfd,
        confinement: None,
        spares: Vec::new(),
        stock: std::collections::VecDeque::new(),
        ended: Vec::new(),
        tmp: clean::Tmp::default(),
        next_seq: 1,
        others: Usage::default(),
        dirty: false,
        reported: false,
        last_pid: std::fs::OpenOptions::new()
            .write(true)
            .open("/proc/sys/kernel/ns_last_pid")
            .ok(),
    };
    loop {
        // The engine, the children's ends, and each waiting spare's pipe (it says when it takes
        // its request).
        let mut fds: Vec<libc::pollfd> = [SOCK, init.sigfd.as_raw_fd()]
            .into_iter()
            .chain(
                init.spares
                    .iter()
                    .filter(|s| !s.activated)
                    .map(|s| s.ran.as_raw_fd()),
            )
            .map(|fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: a valid array of pollfds and its length, no timeout.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if rc < 0 {
            if sys::errno() == libc::EINTR {
                continue;
            }
            return 71;
        }
        if fds[2..].iter().any(|p| p.revents != 0) {
            init.activations();
        }
        if fds[1].revents != 0 {
            init.reap();
        }
        if fds[0].revents != 0 {
            if let Err(code) = init.receive() {
                return code;
            }
        }
        if init.dirty && !init.reported {
            init.clean();
        }
    }
}

/// Block SIGCHLD and read it from a signalfd instead, so that one poll waits for both the
/// engine and the children.
fn child_signals() -> Result<OwnedFd, i32> {
    // SAFETY: an all-zero sigset is valid to fill; sigemptyset/sigaddset only write to it.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: see above.
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
    }
    // SAFETY: a valid signal set; the old mask is not requested.
    let rc = unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    sys::check(rc as libc::c_long)?;
    // SAFETY: a valid signal set; -1 asks for a new descriptor.
    let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
    sys::check(fd as libc::c_long)?;
    // SAFETY: signalfd just returned this descriptor and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A spare the init forked and announced, alive.
struct Spare {
    seq: u32,
    pid: libc::pid_t,
    /// A byte here: it took its request, and goes on to run a program.
    ran: OwnedFd,
    /// It did.
    activated: bool,
}

impl Spare {
    /// Whether it took its request (it wrote to its pipe then).
    fn took_request(&mut self) -> bool {
        if !self.activated {
            let mut byte = 0u8;
            // SAFETY: reading one byte into a stack variable from our non-blocking pipe.
            self.activated =
                unsafe { libc::read(self.ran.as_raw_fd(), (&mut byte as *mut u8).cast(), 1) } == 1;
        }
        self.activated
    }
}

/// The init's state.
struct Init {
    buf: Vec<u8>,
    sigfd: OwnedFd,
    confinement: Option<Confinement>,
    /// The spares alive, oldest first.
    spares: Vec<Spare>,
    /// Sockets the engine gave, one for each spare to come.
    stock: std::collections::VecDeque<OwnedFd>,
    /// The ends of programs, not reported yet: they go with the clean-up's report.
    ended: Vec<Record>,
    /// `/tmp` after the last clean-up.
    tmp: clean::Tmp,
    next_seq: u32,
    /// What the orphans reaped since the last spare's end used.
    others: Usage,
    /// A clean-up is due: a spare ended, or the engine asked.
    dirty: bool,
    /// The last clean-up failed and was reported: wait for the engine's reset request.
    reported: bool,
    /// /proc/sys/kernel/ns_last_pid, when this kernel lets the init write it.
    last_pid: Option<std::fs::File>,
}

impl Init {
    /// Read and handle one request; `Err` is the exit code when the engine is gone.
    fn receive(&mut self) -> Result<(), i32> {
        let (n, fds) = match proto::receive(SOCK, &mut self.buf) {
            Ok(Some(message)) => message,
            Ok(None) => return Err(0),
            Err(_) => return Err(71),
        };
        match Request::decode(&self.buf[..n]) {
            Some(Request::Reset) => {
                self.dirty = true;
                self.reported = false;
            }
            Some(Request::Sockets) => {
                self.stock.extend(fds);
                // Spares put off for want of a socket.
                if !self.dirty && !self.reported {
                    self.offer();
                }
            }
            Some(Request::Confine(c)) if self.confinement.is_none() => match confine(&c) {
                Ok(()) => {
                    self.confinement = Some(c);
                    self.dirty = true;
                }
                Err((stage, errno)) => reply(RecordKind::Error, stage as u32, errno),
            },
            _ => reply(RecordKind::Cleaned, Dirt::Request as u32, libc::EINVAL),
        }
        Ok(())
    }

    /// A spare took its request: fork the one for the run after, now, while the program runs
    /// (not between two runs, where the fork would hold up the engine).
    fn activations(&mut self) {
        let mut any = false;
        for spare in &mut self.spares {
            any |= !spare.activated && spare.took_request();
        }
        if any && !self.dirty && !self.reported {
            self.offer();
        }
    }

    /// Reap every child that ended: report a spare's end, add up an orphan's usage. Only the
    /// end of a spare that took its request calls for a clean-up: a spare that died waiting ran
    /// nothing but the init's code, and another run may be going on.
    fn reap(&mut self) {
        let mut info = [0u8; 128];
        // SAFETY: draining the signalfd into a stack buffer of signalfd_siginfo's size.
        while unsafe { libc::read(self.sigfd.as_raw_fd(), info.as_mut_ptr().cast(), 128) } > 0 {}
        while let Ok(Some(reaped)) = reap::reap_one(false) {
            let Some(i) = self.spares.iter().position(|s| s.pid == reaped.pid) else {
                self.others.add(&reaped.usage);
                continue;
            };
            let mut spare = self.spares.remove(i);
            let mut usage = std::mem::take(&mut self.others);
            usage.add(&reaped.usage);
            let record = reap::exited(reaped.status, usage, 0, spare.seq);
            if spare.took_request() {
                // Reported with the clean-up: the engine, woken once, finds both.
                self.ended.push(record);
                self.dirty = true;
            } else {
                sys::send_record(SOCK, &record);
            }
        }
    }

    /// Make the environment as new and say so; the first time, offer the first spares (later
    /// ones are forked as runs start).
    fn clean(&mut self) {
        if self.confinement.is_none() {
            return;
        }
        let spares: Vec<libc::pid_t> = self.spares.iter().map(|s| s.pid).collect();
        let dirt = clean::reset(&mut self.tmp, &spares);
        for record in self.ended.drain(..) {
            sys::send_record(SOCK, &record);
        }
        if let Some((dirt, errno)) = dirt {
            self.reported = true;
            return reply(RecordKind::Cleaned, dirt as u32, errno);
        }
        self.dirty = false;
        self.others = Usage::default();
        reply(RecordKind::Cleaned, 0, 0);
        self.offer();
    }

    /// Fork a spare if none is waiting (unless the sockets ran out), announced.
    fn offer(&mut self) {
        let Some(confinement) = &self.confinement else {
            return;
        };
        let (uid, gid) = (confinement.uid, confinement.gid);
        while self.spares.iter().filter(|s| !s.activated).count() < SPARES {
            let Some(sock) = self.stock.pop_front() else {
                return;
            };
            // Children of the run that ends next get numbers from here, whatever earlier runs
            // forked: the first spare is 2 or 3.
            if let Some(file) = &self.last_pid {
                let _ = file.write_at(b"1", 0);
            }
            match spare::fork(sock, uid, gid) {
                Ok(forked) => {
                    let seq = self.next_seq;
                    self.next_seq += 1;
                    let record = Record {
                        kind: RecordKind::Spare as u32,
                        index: seq,
                        status: forked.pid,
                        ..Record::default()
                    };
                    sys::send_record(SOCK, &record);
                    self.spares.push(Spare {
                        seq,
                        pid: forked.pid,
                        ran: forked.ran,
                        activated: false,
                    });
                }
                Err(errno) => {
                    self.reported = true;
                    self.dirty = true;
                    return reply(RecordKind::Cleaned, Dirt::Fork as u32, errno);
                }
            }
        }
    }
}

/// Keep only the init's capabilities (the bounding set emptied), then install the seccomp
/// programs.
fn confine(c: &Confinement) -> Result<(), (Stage, i32)> {
    caps::limit_bounding(c.last_cap, Caps(0)).map_err(|e| (Stage::CapBounding, e))?;
    caps::set(caps::ENV_INIT.known(c.last_cap)).map_err(|e| (Stage::Capabilities, e))?;
    let progs: Vec<libc::sock_fprog> = c
        .filters
        .iter()
        .map(|f| libc::sock_fprog {
            len: (f.len() / 8) as u16,
            filter: f.as_ptr() as *mut libc::sock_filter,
        })
        .collect();
    seccomp::install(&progs).map_err(|e| (Stage::Seccomp, e))
}

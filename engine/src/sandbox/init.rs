//! The init of a reused environment: a small, single-threaded PID 1 that starts each run.
//!
//! A reused environment is built once like a fresh sandbox (namespaces, root, user, no
//! capabilities); then, instead of forking a program, its child executes *the engine's own
//! binary* in a hidden mode: argv[0] is [`INIT_ARGV0`], and a constructor in `.init_array`
//! (which runs before `main`, in any binary that links the engine: the `judge` command, a test
//! binary, a user's program) sees it and serves requests instead of returning. It is a fresh,
//! single-threaded process, so unlike the child after clone it may allocate.
//!
//! The init, in order:
//! 1. makes itself non-dumpable (the runs share its uid; they must not reach its memory through
//!    `/proc/1/mem`), marks its socket (descriptor 3) close-on-exec, says Ready;
//! 2. on the confine request, installs the environment's seccomp programs in itself, once: every
//!    program it forks inherits them, so no run pays for compiling a filter in the kernel (about
//!    half a millisecond), and the init itself runs under the same allowlist;
//! 3. for each run request: reaps what is left, forks the program, which joins the run's cgroup
//!    by writing `0` to the `cgroup.procs` descriptors it was sent, takes its stdio, starts a
//!    session, sets its rlimits and working directory and executes; the init reports Started,
//!    reaps until the program ends, reports Exited, then cleans up at once (below);
//! 4. cleaning up (also on a reset request): checks that no process is left (every process of
//!    the namespace descends from the init, so a leftover shows as a live child), empties `/tmp`
//!    (and with it `/dev/shm`), removes every SysV IPC object, and reports Cleaned with what it
//!    found;
//! 5. exits when the engine's end of the socket closes: its death ends the PID namespace.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::proto::{self, Request, RunRequest};
use super::stage::{Dirt, Record, RecordKind, Stage};
use super::{child, seccomp, sys};

/// argv[0] of the hidden init mode.
pub(crate) const INIT_ARGV0: &CStr = c"judge-sandbox-init";
/// The socket to the engine.
const SOCK: RawFd = child::SYNC_FD;

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

/// The init's life; returns the exit code.
fn serve() -> i32 {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    // SAFETY: fcntl on our own socket.
    unsafe { libc::fcntl(SOCK, libc::F_SETFD, libc::FD_CLOEXEC) };
    reply(RecordKind::Ready, 0, 0);
    let mut buf = vec![0u8; proto::MAX_REQUEST];
    // Kept alive as long as the init: the kernel holds its own copy, but nothing is lost.
    let mut confinement: Vec<Vec<u8>> = Vec::new();
    loop {
        let (n, fds) = match proto::receive(SOCK, &mut buf) {
            Ok(Some(message)) => message,
            Ok(None) => return 0,
            Err(_) => return 71,
        };
        match Request::decode(&buf[..n]) {
            Some(Request::Run(run)) => {
                start(&run, fds);
                reset();
            }
            Some(Request::Reset) => reset(),
            Some(Request::Confine(filters)) if confinement.is_empty() => {
                confinement = filters;
                confine(&confinement);
            }
            _ => reply(RecordKind::Cleaned, Dirt::Request as u32, libc::EINVAL),
        }
    }
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

/// Reap every zombie; true if some child is still alive.
fn reap_all() -> bool {
    loop {
        // SAFETY: a non-blocking wait with no out-pointers.
        let pid = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG | libc::__WALL) };
        match pid {
            0 => return true,
            p if p > 0 => continue,
            _ => return false,
        }
    }
}

/// Install the environment's seccomp programs in the init itself.
fn confine(filters: &[Vec<u8>]) {
    let progs: Vec<libc::sock_fprog> = filters
        .iter()
        .map(|f| libc::sock_fprog {
            len: (f.len() / 8) as u16,
            filter: f.as_ptr() as *mut libc::sock_filter,
        })
        .collect();
    match seccomp::install(&progs) {
        Ok(()) => reply(RecordKind::Cleaned, 0, 0),
        Err(errno) => reply(RecordKind::Error, Stage::Seccomp as u32, errno),
    }
}

/// Fork and run one program; report its start and its end.
fn start(run: &RunRequest, fds: Vec<OwnedFd>) {
    reap_all();
    if fds.len() < 3 {
        reply(RecordKind::Error, Stage::Stdio as u32, libc::EBADF);
        reply(RecordKind::Exited, 0, 0);
        return;
    }
    let ptrs = |v: &[CString]| {
        let mut p: Vec<*const libc::c_char> = v.iter().map(|s| s.as_ptr()).collect();
        p.push(std::ptr::null());
        p
    };
    let argv = ptrs(&run.argv);
    let envp = ptrs(&run.env);
    let begin = sys::monotonic_ns();
    match sys::fork() {
        Ok(0) => program(run, &fds, &argv, &envp),
        Ok(pid) => {
            drop(fds);
            reply(RecordKind::Started, 0, 0);
            child::report_end(SOCK, pid, begin);
        }
        Err(errno) => {
            reply(RecordKind::Error, Stage::Fork as u32, errno);
            reply(RecordKind::Exited, 0, 0);
        }
    }
}

/// The forked program's side (already under the seccomp programs): join the cgroup, take
/// stdio, limits, execve.
fn program(
    run: &RunRequest,
    fds: &[OwnedFd],
    argv: &[*const libc::c_char],
    envp: &[*const libc::c_char],
) -> ! {
    for procs in &fds[3..] {
        // SAFETY: writing two bytes from a literal to a descriptor we were sent.
        let n = unsafe { libc::write(procs.as_raw_fd(), b"0\n".as_ptr().cast(), 2) };
        if n < 0 {
            sys::fail(SOCK, Stage::JoinCgroup, 0, sys::errno());
        }
    }
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
    // SAFETY: NUL-terminated strings in NULL-terminated arrays built before the fork.
    unsafe { libc::execve(argv[0], argv.as_ptr(), envp.as_ptr()) };
    sys::fail(SOCK, Stage::Execve, 0, sys::errno())
}

/// Make the environment as new, or say what is wrong with it.
fn reset() {
    if reap_all() {
        return reply(RecordKind::Cleaned, Dirt::Processes as u32, 0);
    }
    if let Err(e) = empty_dir(std::path::Path::new("/tmp")) {
        return reply(
            RecordKind::Cleaned,
            Dirt::Tmp as u32,
            e.raw_os_error().unwrap_or(0),
        );
    }
    if let Err(errno) = remove_ipc() {
        return reply(RecordKind::Cleaned, Dirt::Ipc as u32, errno);
    }
    reply(RecordKind::Cleaned, 0, 0)
}

fn empty_dir(dir: &std::path::Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            // A directory the run made read-only must still go.
            let _ = std::fs::set_permissions(
                &path,
                std::os::unix::fs::PermissionsExt::from_mode(0o700),
            );
            empty_dir(&path)?;
            std::fs::remove_dir(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Remove every SysV message queue, semaphore set and shared memory segment of the IPC
/// namespace, as /proc lists them.
fn remove_ipc() -> Result<(), i32> {
    for (file, column) in [("msg", 1), ("sem", 1), ("shm", 1)] {
        let text = std::fs::read_to_string(format!("/proc/sysvipc/{file}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let Some(id) = line
                .split_whitespace()
                .nth(column)
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            // SAFETY: IPC_RMID with a null buffer is valid for all three kinds.
            let rc = unsafe {
                match file {
                    "msg" => libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()),
                    "sem" => libc::semctl(id, 0, libc::IPC_RMID),
                    _ => libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()),
                }
            };
            if rc != 0 {
                return Err(sys::errno());
            }
        }
    }
    Ok(())
}

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
//! 3. keeps one process forked ahead, the spare, which has already joined the run's cgroup (by
//!    writing `0` to the `cgroup.procs` descriptors sent with the confine request) and waits on
//!    a socket of its own: fork and cgroup migration happen between runs, not in them;
//! 4. for each run request: hands it (with stdio) to the spare, which takes its stdio, starts a
//!    session, sets its rlimits and working directory and executes; the init reports Started,
//!    reaps until the program ends, reports Exited, then cleans up at once (below) and forks the
//!    next spare;
//! 5. cleaning up (also on a reset request): checks that no process is left (every process of
//!    the namespace descends from the init, so a leftover shows as a live child), empties `/tmp`
//!    (and with it `/dev/shm`), removes every SysV IPC object, and reports Cleaned with what it
//!    found;
//! 6. exits when the engine's end of the socket closes: its death ends the PID namespace.

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
    let mut init = Init {
        buf: vec![0u8; proto::MAX_REQUEST],
        ..Init::default()
    };
    loop {
        if init.next.is_none() {
            init.prepare_spare();
        }
        if let Some((pid, slot)) = init.running {
            // Fork the next spare first if its slot only waits for the engine's word.
            if init.next.is_none() && init.awaiting.is_some() {
                if let Err(code) = init.receive() {
                    return code;
                }
                continue;
            }
            child::report_end(SOCK, pid, sys::monotonic_ns());
            init.running = None;
            init.awaiting = Some(slot);
            init.dirty = true;
            continue;
        }
        if init.dirty && !init.reported {
            init.clean();
            continue;
        }
        if let Err(code) = init.receive() {
            return code;
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

/// A run's process forked ahead into a run cgroup (a slot), waiting on a socket of its own for
/// its request; `theirs` is the engine's end, handed over when the spare is offered.
struct Spare {
    pid: libc::pid_t,
    slot: usize,
    theirs: OwnedFd,
}

/// The init's state. There are two run cgroups (slots), used in turn: while a program runs in
/// one, the next spare joins the other, so neither fork nor cgroup migration is on a run's path
/// and no spare is ever counted in a run's accounting.
#[derive(Default)]
struct Init {
    buf: Vec<u8>,
    /// The seccomp programs, kept as long as the init lives.
    confinement: Vec<Vec<u8>>,
    /// Each slot's `cgroup.procs` files, which a process joins that run cgroup through.
    procs: [Vec<OwnedFd>; 2],
    /// Whether a slot may take a new spare: the engine has read its last run's accounting.
    free: [bool; 2],
    /// The offered spare (idle, or running the engine's program) and its slot.
    running: Option<(libc::pid_t, usize)>,
    /// The spare to offer after the next clean-up.
    next: Option<Spare>,
    /// The slot whose run ended and whose accounting the engine has not confirmed yet.
    awaiting: Option<usize>,
    /// A run ended (or a reset was asked): clean up before offering anything.
    dirty: bool,
    /// The last clean-up failed and was reported: wait for the engine's reset request.
    reported: bool,
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
            Some(Request::Run(run)) if self.running.is_none() && !self.dirty => {
                self.start(&run, fds)
            }
            Some(Request::Reset) => {
                self.dirty = true;
                self.reported = false;
            }
            Some(Request::Accounted(slot)) if slot < 2 => {
                self.free[slot] = true;
                if self.awaiting == Some(slot) {
                    self.awaiting = None;
                }
            }
            Some(Request::Confine(filters)) if self.confinement.is_empty() => {
                self.confinement = filters;
                let mut fds = fds;
                let half = fds.len() / 2;
                let second = fds.split_off(half);
                self.procs = [fds, second];
                self.confine();
            }
            _ => reply(RecordKind::Cleaned, Dirt::Request as u32, libc::EINVAL),
        }
        Ok(())
    }

    /// Install the environment's seccomp programs in the init itself; both slots are free.
    fn confine(&mut self) {
        let progs: Vec<libc::sock_fprog> = self
            .confinement
            .iter()
            .map(|f| libc::sock_fprog {
                len: (f.len() / 8) as u16,
                filter: f.as_ptr() as *mut libc::sock_filter,
            })
            .collect();
        match seccomp::install(&progs) {
            Ok(()) => {
                self.free = [true, true];
                self.dirty = true;
            }
            Err(errno) => reply(RecordKind::Error, Stage::Seccomp as u32, errno),
        }
    }

    /// Fork a spare into a free slot that no offered spare uses.
    fn prepare_spare(&mut self) {
        let busy = self.running.map(|(_, slot)| slot);
        let Some(slot) = (0..2).find(|&s| self.free[s] && Some(s) != busy) else {
            return;
        };
        let Ok((ours, theirs)) = nix::sys::socket::socketpair(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::SeqPacket,
            None,
            nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        ) else {
            return;
        };
        match sys::fork() {
            Ok(0) => {
                drop(theirs);
                spare(&self.procs[slot], ours)
            }
            Ok(pid) => {
                self.free[slot] = false;
                self.next = Some(Spare { pid, slot, theirs });
            }
            Err(_) => {}
        }
    }

    /// Clean up after a run; when clean, offer the next spare (its socket and slot go to the
    /// engine with the Cleaned report).
    fn clean(&mut self) {
        let spare = self.next.as_ref().map(|s| s.pid);
        if let Some((dirt, errno)) = reset(spare) {
            self.reported = true;
            return reply(RecordKind::Cleaned, dirt as u32, errno);
        }
        self.dirty = false;
        let mut record = Record {
            kind: RecordKind::Cleaned as u32,
            ..Record::default()
        };
        match self.next.take() {
            Some(spare) => {
                record.index = spare.slot as u32;
                if proto::send(SOCK, record.as_bytes(), &[spare.theirs.as_raw_fd()]).is_ok() {
                    self.running = Some((spare.pid, spare.slot));
                }
            }
            None => {
                record.index = u32::MAX;
                sys::send_record(SOCK, &record);
            }
        }
    }

    /// Run one program the engine sent here because no spare was offered: fork it on request
    /// into slot 0.
    fn start(&mut self, run: &RunRequest, fds: Vec<OwnedFd>) {
        let begin = sys::monotonic_ns();
        let pid = match sys::fork() {
            Ok(0) => {
                join(&self.procs[0]);
                program(run, &fds)
            }
            Ok(pid) => pid,
            Err(errno) => {
                reply(RecordKind::Error, Stage::Fork as u32, errno);
                reply(RecordKind::Exited, 0, 0);
                return;
            }
        };
        drop(fds);
        self.free[0] = false;
        reply(RecordKind::Started, 0, 0);
        child::report_end(SOCK, pid, begin);
        self.awaiting = Some(0);
        self.dirty = true;
    }
}

/// Join the run's cgroup in every hierarchy.
fn join(procs: &[OwnedFd]) {
    for fd in procs {
        // SAFETY: writing two bytes from a literal to a descriptor we were sent.
        let n = unsafe { libc::write(fd.as_raw_fd(), b"0\n".as_ptr().cast(), 2) };
        if n < 0 {
            sys::fail(SOCK, Stage::JoinCgroup, 0, sys::errno());
        }
    }
}

/// The spare's life: join the run's cgroup, wait for the request, become the program.
fn spare(procs: &[OwnedFd], sock: OwnedFd) -> ! {
    join(procs);
    let mut buf = vec![0u8; proto::MAX_REQUEST];
    match proto::receive(sock.as_raw_fd(), &mut buf) {
        Ok(Some((n, fds))) => match Request::decode(&buf[..n]) {
            Some(Request::Run(run)) => program(&run, &fds),
            _ => sys::exit(127),
        },
        _ => sys::exit(0),
    }
}

/// The program's side (already under the seccomp programs and in the run's cgroup): take
/// stdio, start a session, limits, working directory, execve.
fn program(run: &RunRequest, fds: &[OwnedFd]) -> ! {
    if fds.len() < 3 {
        sys::fail(SOCK, Stage::Stdio, 0, libc::EBADF);
    }
    let ptrs = |v: &[CString]| {
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

/// Make the environment as new, or say what is wrong with it.
/// Make the environment as new, or say what is wrong with it. `spare` is the one child allowed
/// to live on.
fn reset(spare: Option<libc::pid_t>) -> Option<(Dirt, i32)> {
    reap_zombies();
    if children().into_iter().any(|pid| Some(pid) != spare) {
        Some((Dirt::Processes, 0))
    } else if let Err(e) = empty_tmp() {
        Some((Dirt::Tmp, e.raw_os_error().unwrap_or(0)))
    } else if let Err(errno) = remove_ipc() {
        Some((Dirt::Ipc, errno))
    } else {
        None
    }
}

fn reap_zombies() {
    // SAFETY: non-blocking waits with no out-pointers.
    while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG | libc::__WALL) } > 0 {}
}

/// The init's live children. Every process of the namespace descends from the init, so a
/// process a run left behind shows here (orphans are re-parented to PID 1).
fn children() -> Vec<libc::pid_t> {
    let parse = |text: &str| {
        text.split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    if let Ok(text) = std::fs::read_to_string("/proc/self/task/1/children") {
        return parse(&text);
    }
    // Kernels without CONFIG_PROC_CHILDREN: every process whose parent is 1.
    let mut out = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<libc::pid_t>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // Fields after the command's closing parenthesis: state, ppid, ...
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<libc::pid_t>().ok());
            if ppid == Some(1) && pid != 1 {
                out.push(pid);
            }
        }
    }
    out
}

/// Empty `/tmp` (and so `/dev/shm`); a tmpfs whose only inode is its root is empty already,
/// which one statfs tells without reading the directory.
fn empty_tmp() -> std::io::Result<()> {
    if let Ok(fs) = nix::sys::statfs::statfs("/tmp") {
        if fs.files().saturating_sub(fs.files_free()) <= 1 {
            return Ok(());
        }
    }
    empty_dir(std::path::Path::new("/tmp"))
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

/// The kernel's `struct shm_info` (libc lacks it); only the first field is read.
#[repr(C)]
#[derive(Default)]
struct ShmInfo {
    used_ids: libc::c_int,
    counts: [libc::c_ulong; 5],
}

/// `shmctl`'s command for [`ShmInfo`].
const SHM_INFO: libc::c_int = 14;

/// Whether the IPC namespace holds any SysV object: three cheap counts before any /proc read.
fn ipc_in_use() -> bool {
    let mut shm = ShmInfo::default();
    // SAFETY: the *_INFO commands fill the structures passed; zeroed ones are valid to overwrite.
    unsafe {
        let mut sem: libc::seminfo = std::mem::zeroed();
        let mut msg: libc::msginfo = std::mem::zeroed();
        let shm_used = libc::shmctl(0, SHM_INFO, (&mut shm as *mut ShmInfo).cast());
        let sem_used = libc::semctl(0, 0, libc::SEM_INFO, &mut sem as *mut libc::seminfo);
        let msg_used = libc::msgctl(0, libc::MSG_INFO, (&mut msg as *mut libc::msginfo).cast());
        shm_used < 0
            || sem_used < 0
            || msg_used < 0
            || shm.used_ids > 0
            || sem.semusz > 0
            || msg.msgpool > 0
    }
}

/// Remove every SysV message queue, semaphore set and shared memory segment of the IPC
/// namespace, as /proc lists them.
fn remove_ipc() -> Result<(), i32> {
    if !ipc_in_use() {
        return Ok(());
    }
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

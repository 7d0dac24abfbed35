//! The ptrace backend: a run without namespaces, for hosts where they are not available (an
//! unprivileged container: Docker's default seccomp profile forbids `unshare` and the
//! namespace flags of `clone`; kernels with unprivileged user namespaces turned off).
//!
//! The design documents' fork/exec layering, with a tracer:
//! 1. the parent prepares everything: the program's paths moved to the host's (see
//!    [`policy`]), a `/tmp` of the run's own, the rlimits, the seccomp programs;
//! 2. it clones the child (no namespace flags; born in the run's cgroup on v2) and, before
//!    releasing it, **attaches** with `PTRACE_SEIZE` (exit-kill, fork/clone/exec events,
//!    seccomp stops), as one step of the same sequence as the cgroup attach and the command's
//!    sync hooks; the child is still root and a copy of the engine, so the attach needs no
//!    `CAP_SYS_PTRACE`;
//! 3. the child, in raw system calls only, drops every group and becomes the run's
//!    unprivileged host uid (each pool worker has its own), which clears its capabilities; sets
//!    `no_new_privs` and the rlimits (with `RLIMIT_NPROC` standing in for the cgroup's process
//!    cap when there is none: the uid is the worker's alone); installs the profile's seccomp
//!    allowlist and two more programs: the calls that name a path, another process or a socket
//!    address stop for the tracer (`SECCOMP_RET_TRACE`), links, device nodes and SysV IPC
//!    answer EPERM; and executes the program;
//! 4. the engine's thread is the tracer: at each stop it reads the call's arguments (strings
//!    with `process_vm_readv`, or `PTRACE_PEEKDATA` where that is refused), resolves the path
//!    as the kernel will, and allows the call or makes it fail (`EACCES`, `EPERM`) without
//!    running it; every process and thread the program makes is traced from its first
//!    instruction; signals and `prlimit` reach only the run's own processes. A second thread
//!    holds the run to its clocks as for a namespaced run and kills it (cgroup, then every
//!    traced process) on a limit.
//!
//! What is lost against namespaces (the README's table says it too): the program sees the
//! host's process list where `/proc` is not hidden (it cannot open other processes' files),
//! shares the host's network namespace (sockets other than `AF_UNIX` still answer
//! EAFNOSUPPORT, abstract and unlisted `AF_UNIX` addresses EACCES), its hostname and its clock
//! of PIDs; a path is checked when the call stops, so another thread of the program could
//! change the string before the kernel reads it (the uid's own permissions are then the
//! barrier: it owns nothing on the host but the run's directories).

pub(crate) mod policy;

use std::collections::BTreeSet;
use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};

use self::policy::{Access, Policy};
use super::child::{death_signal, step};
use super::error::{HostStep, SandboxError};
use super::rlimit::Rlimit;
use super::spawn::{self, Accounting, Prepared};
use super::spec::{MountKind, Spec, SpecError};
use super::stage::{Record, RecordKind, Stage, SYNC_FD};
use super::sys::{self, fail};
use super::wait::{self, Clocks, Supervisor};
use super::{caps, seccomp, Network, RunResult, Sandbox};
use crate::cgroup::CgroupLimits;
use crate::hostdir::{Cap, SandboxDir};

/// Ptrace options: the tracee dies with the tracer, and every process it makes is traced.
const OPTIONS: libc::c_int = libc::PTRACE_O_EXITKILL
    | libc::PTRACE_O_TRACESECCOMP
    | libc::PTRACE_O_TRACEFORK
    | libc::PTRACE_O_TRACEVFORK
    | libc::PTRACE_O_TRACECLONE
    | libc::PTRACE_O_TRACEEXEC;

/// The longest path the tracer reads (the kernel's `PATH_MAX`).
const PATH_MAX: usize = 4096;

/// Held (shared) from a child's clone to its attach, and (alone) while a tracer thread has
/// other file-system ids (see [`Tracer::link`]).
static FS_IDS: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// The first descriptor the program inherits a moved mount's source on.
const KEPT_FD: RawFd = SYNC_FD + 1;

/// At most this many moved mounts.
const MAX_KEPT: usize = 64;

/// Where the parent keeps those sources until the child moves them down: above anything the
/// child moves first.
const KEPT_ABOVE: RawFd = 200;

/// Open `source` for the program to inherit (no access right, only a path), on a descriptor
/// above [`KEPT_ABOVE`].
fn open_above(source: &Path) -> Result<OwnedFd, SandboxError> {
    use std::os::fd::FromRawFd;
    let path = CString::new(source.as_os_str().as_bytes())
        .map_err(|_| SpecError::Nul(format!("mount source {}", source.display())))?;
    // SAFETY: a NUL-terminated path; the descriptor returned is ours.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(SandboxError::host(
            HostStep::OpenSource(source.to_path_buf()),
            std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: `fd` was just opened and nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: F_DUPFD_CLOEXEC on a valid descriptor returns a new one we then own.
    let high = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, KEPT_ABOVE) };
    if high < 0 {
        return Err(SandboxError::host(
            HostStep::DupDescriptor,
            std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: as above.
    Ok(unsafe { OwnedFd::from_raw_fd(high) })
}

/// Everything the child needs, built before clone.
struct ChildContext<'a> {
    sync: RawFd,
    stdio: [RawFd; 3],
    uid: libc::uid_t,
    gid: libc::gid_t,
    rlimits: &'a [Rlimit],
    /// Descriptors the program inherits from [`KEPT_FD`] on.
    kept: &'a [RawFd],
    cwd: &'a CStr,
    program: &'a CStr,
    argv: &'a [*const libc::c_char],
    envp: &'a [*const libc::c_char],
    filters: &'a [libc::sock_fprog],
}

/// Run `spec` traced, without namespaces, to its end.
pub(crate) fn run(sandbox: &Sandbox, spec: Spec) -> Result<RunResult, SandboxError> {
    if !cfg!(target_arch = "x86_64") {
        return Err(SpecError::NotWithPtrace("this architecture (x86_64 only)").into());
    }
    if sandbox.is_rootless() {
        return Err(SpecError::NotWithPtrace("an unprivileged engine (it needs root)").into());
    }
    if spec.root.is_some() {
        return Err(SpecError::NotWithPtrace("a root image").into());
    }
    if spec.limits.network != Network::None {
        return Err(SpecError::NotWithPtrace("a loopback network").into());
    }
    if spec.inside.is_some() {
        return Err(SpecError::NotWithPtrace("inside ids").into());
    }
    // The run's writable directories of its own: its /tmp and each tmpfs mount.
    let mut own: Vec<SandboxDir> = Vec::new();
    let mut policy = Policy::default();
    // Sources the program reaches through inherited descriptors (see `policy`).
    let mut kept: Vec<OwnedFd> = Vec::new();
    let mut place = |source: &Path, target: &Path, writable: bool| -> Result<(), SandboxError> {
        policy.allow(source, writable);
        if source != target {
            if kept.len() >= MAX_KEPT {
                return Err(SpecError::NotWithPtrace("more than 64 moved mounts").into());
            }
            kept.push(open_above(source)?);
            let number = KEPT_FD + kept.len() as RawFd - 1;
            policy.move_to(target, PathBuf::from(format!("/proc/self/fd/{number}")));
        }
        Ok(())
    };
    let tmp_cap = Cap::bytes(spec.limits.tmp_size);
    let tmp = sandbox.dirs().sandbox_dir("tmp", Some(tmp_cap))?;
    place(tmp.path(), Path::new("/tmp"), true)?;
    own.push(tmp);
    for mount in &spec.mounts {
        match &mount.kind {
            MountKind::Bind { source, writable } => place(source, &mount.target, *writable)?,
            MountKind::Tmpfs { size } => {
                let dir = sandbox
                    .dirs()
                    .sandbox_dir("tmpfs", Some(Cap::bytes(*size)))?;
                place(dir.path(), &mount.target, true)?;
                own.push(dir);
            }
        }
    }
    let policy = policy;
    let moved = |c: &CString| CString::new(policy.to_host(c.as_bytes())).ok();
    let program = moved(&spec.program).ok_or(SpecError::Nul("program".into()))?;
    let cwd = moved(&spec.cwd).ok_or(SpecError::Nul("working directory".into()))?;
    let argv: Vec<CString> = spec.argv.iter().filter_map(moved).collect();
    let mut env: Vec<CString> = Vec::with_capacity(spec.env.len() + 1);
    for var in &spec.env {
        let bytes = var.as_bytes();
        let (key, value) = match bytes.iter().position(|&b| b == b'=') {
            Some(eq) => bytes.split_at(eq + 1),
            None => (bytes, &[][..]),
        };
        let mut out = key.to_vec();
        out.extend(policy.to_host(value));
        env.extend(CString::new(out).ok());
    }
    if !env.iter().any(|v| v.as_bytes().starts_with(b"TMPDIR=")) {
        let mut var = b"TMPDIR=".to_vec();
        var.extend(policy.to_host(b"/tmp"));
        env.extend(CString::new(var).ok());
    }

    let cgroups = sandbox.cgroups.is_some();
    let (mut prepared, stdio, mut drain) = Prepared::new(spec, cgroups)?;
    let limits = prepared.spec.limits.clone();
    if !cgroups {
        if let Some(processes) = limits.processes {
            // The uid is this run's worker's alone, so its process count is the run's.
            prepared.rlimits.push(Rlimit {
                resource: libc::RLIMIT_NPROC,
                value: processes,
            });
        }
    }
    let cgroup = match &sandbox.cgroups {
        Some(c) => Some(c.create(&CgroupLimits {
            memory_bytes: limits.memory,
            pids: limits.processes,
            cpu_quota: limits.cpu_quota.clone(),
            cpuset: limits.cpus.clone(),
        })?),
        None => None,
    };
    let filter = prepared.spec.filter.for_network(Network::None)?;
    let extra = seccomp::ptrace_programs()?;
    let (parent_sock, child_sock) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| SandboxError::host(HostStep::Socketpair, e))?;
    let config = sandbox.config();
    let into = cgroup
        .as_ref()
        .and_then(|c| c.clone_into_fd())
        .map(|fd| fd.as_raw_fd());
    let tracked = Mutex::new(Tracked {
        pids: BTreeSet::new(),
        gone: BTreeSet::new(),
    });
    let clocks = Clocks::of(&limits, sandbox.cpus);
    let rlimits = &prepared.rlimits;
    let (argv, env, cwd, program, policy, tracked, kept) =
        (&argv, &env, &cwd, &program, &policy, &tracked, &kept);
    let kill = || {
        if let Some(cgroup) = &cgroup {
            let _ = cgroup.kill_all();
        }
        locked(tracked).kill_all();
    };
    let (to_tracer, from_main) = std::sync::mpsc::channel::<bool>();
    let (to_main, from_tracer) =
        std::sync::mpsc::channel::<Result<(libc::pid_t, bool), SandboxError>>();
    let (watch, traced) = std::thread::scope(|scope| {
        // The tracer: it clones the child (a ptrace attach and a parent-death signal belong to
        // a thread), attaches once the child is in its cgroup, and traces it to the end.
        let tracer = std::thread::Builder::new()
            .name("judge-ptrace".into())
            .spawn_scoped(scope, move || {
                let ptrs = |v: &[CString]| {
                    let mut p: Vec<*const libc::c_char> = v.iter().map(|s| s.as_ptr()).collect();
                    p.push(std::ptr::null());
                    p
                };
                let (argv_p, envp_p) = (ptrs(argv), ptrs(env));
                let kept_raw: Vec<RawFd> = kept.iter().map(|fd| fd.as_raw_fd()).collect();
                // Ours first: installing a program is a call the allowlist does not allow, so
                // the allowlist goes in last.
                let mut filters: Vec<libc::sock_fprog> = extra.iter().map(seccomp::fprog).collect();
                filters.extend(filter.fprogs());
                let ctx = ChildContext {
                    sync: child_sock.as_raw_fd(),
                    stdio: stdio.each_ref().map(|fd| fd.as_raw_fd()),
                    uid: config.host_uid,
                    gid: config.host_gid,
                    rlimits,
                    kept: &kept_raw,
                    cwd,
                    program,
                    argv: &argv_p,
                    envp: &envp_p,
                    filters: &filters,
                };
                // No tracer thread changes its ids between this clone and the attach.
                let attaching = FS_IDS.read().unwrap_or_else(|p| p.into_inner());
                let (pid, placed) = match clone_child(&ctx, into) {
                    Ok(cloned) => cloned,
                    Err(e) => {
                        let _ = to_main.send(Err(e));
                        return None;
                    }
                };
                let mut child = wait::Child::new(pid);
                locked(tracked).pids.insert(pid);
                // The tracer's copy of the child's end: what it reports after exec reaches
                // the watcher as the child's own records did before.
                let reports = child_sock.try_clone();
                drop(child_sock);
                drop(stdio);
                let reports = match reports {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = to_main.send(Err(SandboxError::host(HostStep::DupDescriptor, e)));
                        return None;
                    }
                };
                let _ = to_main.send(Ok((pid, placed)));
                // In its cgroup now (or to be killed): attach.
                if from_main.recv() != Ok(true) {
                    return None;
                }
                // SAFETY: PTRACE_SEIZE of our own child with an options word.
                let rc = unsafe {
                    libc::ptrace(
                        libc::PTRACE_SEIZE,
                        pid,
                        std::ptr::null_mut::<libc::c_void>(),
                        OPTIONS as usize,
                    )
                };
                if rc != 0 {
                    let err = std::io::Error::last_os_error();
                    let _ = to_main.send(Err(SandboxError::host(HostStep::Ptrace("seize"), err)));
                    return None;
                }
                drop(attaching);
                let _ = to_main.send(Ok((pid, placed)));
                let ids = (config.host_uid, config.host_gid);
                Some(trace(&mut child, ids, policy, tracked, reports))
            })
            .map_err(|e| SandboxError::host(HostStep::Watcher, e));
        let tracer = match tracer {
            Ok(t) => t,
            Err(e) => return (Err(e), None),
        };
        let ready = || {
            from_tracer
                .recv()
                .unwrap_or(Err(SandboxError::Unresponsive))
        };
        // Between clone and release: the cgroup, the attach, the command's hooks.
        let started = ready().and_then(|(pid, placed)| {
            if let (Some(cgroup), false) = (&cgroup, placed) {
                cgroup.attach(pid)?;
            }
            let _ = to_tracer.send(true);
            ready()?;
            for hook in &prepared.spec.hooks {
                hook.call(pid).map_err(SandboxError::Hook)?;
            }
            // SAFETY: one byte from a stack buffer to our end of the socket.
            let n = unsafe { libc::send(parent_sock.as_raw_fd(), [1u8].as_ptr().cast(), 1, 0) };
            if n != 1 {
                return Err(SandboxError::host(
                    HostStep::ReleaseChild,
                    std::io::Error::last_os_error(),
                ));
            }
            Ok(())
        });
        let watch = match started {
            Ok(()) => {
                let supervisor = Supervisor::new(clocks, cgroup.as_deref(), None, 0, None, &kill)
                    .drain(drain.as_mut());
                wait::watch(&parent_sock, supervisor)
            }
            Err(e) => {
                // The child never ran its program: kill it, and let the tracer go.
                let _ = to_tracer.send(false);
                kill();
                Err(e)
            }
        };
        let traced = tracer.join().unwrap_or(None);
        (watch, traced)
    });
    let traced = match (watch.as_ref(), traced) {
        (Ok(_), Some(traced)) => traced?,
        (_, _) => return Err(watch.err().unwrap_or(SandboxError::Unresponsive)),
    };
    let watch = watch?;
    let accounting = match &cgroup {
        Some(cgroup) => Some(Accounting::read(cgroup.as_ref(), traced.before_exec)?),
        None => None,
    };
    if let Some(cgroup) = cgroup {
        cgroup.remove()?;
    }
    let mut result = spawn::finish(&prepared, watch, traced.status, &traced.usage, accounting)?;
    result.captured = drain.map(super::capture::Drain::finish);
    drop(own);
    Ok(result)
}

/// The run's processes the tracer has seen and not reaped: the only ones a kill may name.
struct Tracked {
    pids: BTreeSet<libc::pid_t>,
    /// Those it reaped: a fork event reported after its child's end does not bring it back.
    gone: BTreeSet<libc::pid_t>,
}

fn locked(tracked: &Mutex<Tracked>) -> std::sync::MutexGuard<'_, Tracked> {
    tracked.lock().unwrap_or_else(|p| p.into_inner())
}

impl Tracked {
    fn kill_all(&self) {
        for &pid in &self.pids {
            // SAFETY: a traced process not yet reaped by us (removed under this lock before
            // it is), so the pid cannot have been reused.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// What the tracer saw of the program.
struct Traced {
    status: i32,
    usage: libc::rusage,
    /// The program's CPU time before its first exec (the child's setup), taken off the
    /// cgroup's count.
    before_exec: Duration,
}

/// Clone the child with signals blocked; the pid and whether it was born in `into`.
fn clone_child(
    ctx: &ChildContext,
    into: Option<RawFd>,
) -> Result<(libc::pid_t, bool), SandboxError> {
    use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow};
    let mut old_mask = SigSet::empty();
    pthread_sigmask(
        SigmaskHow::SIG_SETMASK,
        Some(&SigSet::all()),
        Some(&mut old_mask),
    )
    .map_err(|e| SandboxError::host(HostStep::BlockSignals, e))?;
    let mut placed = into.is_some();
    let no_copy = crate::hostdir::cloning();
    let result = match sys::clone_process(0, into) {
        Err(libc::ENOSYS | libc::E2BIG | libc::EINVAL) if into.is_some() => {
            placed = false;
            sys::clone_process(0, None)
        }
        other => other,
    };
    if let Ok(0) = result {
        child(ctx);
    }
    drop(no_copy);
    let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&old_mask), None);
    let pid = result.map_err(|e| SandboxError::host(HostStep::Clone, Errno::from_raw(e)))?;
    Ok((pid, placed))
}

/// The child: raw system calls only (see `child.rs` for why), then the program.
fn child(ctx: &ChildContext) -> ! {
    let sync = ctx.sync;
    death_signal(sync);
    let mut go = [0u8; 1];
    // SAFETY: reading one byte into a stack buffer.
    let n = unsafe { libc::read(sync, go.as_mut_ptr().cast(), 1) };
    if n != 1 {
        fail(
            sync,
            Stage::WaitRelease,
            0,
            if n < 0 { sys::errno() } else { libc::EPIPE },
        );
    }
    // SAFETY: setsid takes no arguments.
    let rc = unsafe { libc::setsid() };
    step(sync, Stage::Setsid, rc as libc::c_long);
    for (target, &fd) in ctx.stdio.iter().enumerate() {
        // SAFETY: duplicating a descriptor the parent opened for us onto 0, 1 or 2.
        let rc = unsafe { libc::dup2(fd, target as RawFd) };
        step(sync, Stage::Stdio, rc as libc::c_long);
    }
    // SAFETY: duplicating a descriptor we hold onto a fixed number, closed at exec.
    let rc = unsafe { libc::dup3(sync, SYNC_FD, libc::O_CLOEXEC) };
    step(sync, Stage::Stdio, rc as libc::c_long);
    let sync = SYNC_FD;
    // The moved mounts' sources, inherited through exec.
    for (i, &fd) in ctx.kept.iter().enumerate() {
        // SAFETY: duplicating a descriptor the parent opened (above every target) onto ours.
        let rc = unsafe { libc::dup2(fd, KEPT_FD + i as RawFd) };
        step(sync, Stage::Stdio, rc as libc::c_long);
    }
    if let Err(errno) = sys::close_from((KEPT_FD as usize + ctx.kept.len()) as u32) {
        fail(sync, Stage::CloseFds, 0, errno);
    }
    // No group of the engine's, then the run's uid: from root to another uid, the kernel
    // clears every capability.
    // SAFETY: setgroups with an empty list.
    let rc = unsafe { libc::syscall(libc::SYS_setgroups, 0usize, std::ptr::null::<libc::gid_t>()) };
    step(sync, Stage::SetGid, rc);
    if let Err(errno) = caps::switch_user(ctx.uid, ctx.gid) {
        fail(sync, Stage::SwitchUser, 0, errno);
    }
    // Changing credentials cleared the parent-death signal, and made the process
    // non-dumpable, which stops a tracer without CAP_SYS_PTRACE (a container's) from reading
    // its memory until exec: the execve's path could not be checked. Dumpable is what it will
    // be after exec anyway, and only its own uid could use it.
    death_signal(sync);
    // SAFETY: prctl with integer arguments.
    let rc = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) };
    step(sync, Stage::Dumpable, rc as libc::c_long);
    // SAFETY: prctl with integer arguments.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    step(sync, Stage::NoNewPrivs, rc as libc::c_long);
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
    if let Err(errno) = seccomp::install(ctx.filters) {
        fail(sync, Stage::Seccomp, 0, errno);
    }
    // SAFETY: NUL-terminated strings in NULL-terminated arrays built before clone.
    unsafe { libc::execve(ctx.program.as_ptr(), ctx.argv.as_ptr(), ctx.envp.as_ptr()) };
    fail(sync, Stage::Execve, 0, sys::errno())
}

/// Trace the run from its release to the end of its last process. The watcher learns the
/// program's start and end on `reports`.
fn trace(
    child: &mut wait::Child,
    ids: (u32, u32),
    policy: &Policy,
    tracked: &Mutex<Tracked>,
    reports: OwnedFd,
) -> Result<Traced, SandboxError> {
    // Every process of the run is traced, so the tracer can end all of them.
    let kill = || locked(tracked).kill_all();
    let main = child.pid();
    let mut started: Option<Instant> = None;
    let mut before_exec = Duration::ZERO;
    let mut main_end: Option<(i32, libc::rusage)> = None;
    let mut tracer = Tracer {
        policy,
        ids,
        tracked,
        peek_only: false,
    };
    // Until no child or tracee of this thread is left (ECHILD).
    let result = loop {
        // Which tracee has something to say; left unconsumed so that an exit is taken off the
        // tracked set (under its lock) before its pid can be reused.
        // SAFETY: an all-zero siginfo is valid to overwrite.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: a valid out-pointer; only this thread's children and tracees are waited for.
        let rc = unsafe {
            libc::waitid(
                libc::P_ALL,
                0,
                &mut info,
                libc::WEXITED | libc::WSTOPPED | libc::WNOWAIT | libc::__WALL | libc::__WNOTHREAD,
            )
        };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EINTR) => continue,
                // No tracee left at all.
                Some(libc::ECHILD) => break Ok(()),
                _ => break Err(SandboxError::host(HostStep::Wait(main), err)),
            }
        }
        // SAFETY: waitid filled in a child's siginfo.
        let pid = unsafe { info.si_pid() };
        let exited = matches!(
            info.si_code,
            libc::CLD_EXITED | libc::CLD_KILLED | libc::CLD_DUMPED
        );
        let mut status = 0;
        // SAFETY: an all-zero rusage is valid to overwrite.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        {
            // Exits are taken off the set in the same critical section as they are consumed.
            let mut t = locked(tracked);
            // SAFETY: valid out-pointers; `pid` has an event waiting for this thread.
            let got = unsafe {
                libc::wait4(
                    pid,
                    &mut status,
                    libc::__WALL | libc::__WNOTHREAD,
                    &mut usage,
                )
            };
            if got != pid {
                continue;
            }
            if exited {
                t.pids.remove(&pid);
                t.gone.insert(pid);
            } else if t.pids.insert(pid) && main_end.is_some() {
                // A process first seen after the program's end: it goes too.
                // SAFETY: a traced process we have not reaped.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            if pid == main {
                child.forget_reaped();
                main_end = Some((status, usage));
                if let Some(at) = started {
                    report(&reports, exited_record(status, &usage, at));
                }
                // The program's end is the run's: nothing it left may go on.
                kill();
            }
            continue;
        }
        if !libc::WIFSTOPPED(status) {
            continue;
        }
        let event = (status >> 16) & 0xff;
        let signal = libc::WSTOPSIG(status);
        let outcome = match event {
            libc::PTRACE_EVENT_SECCOMP => tracer.syscall(pid),
            libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE => {
                let mut new: libc::c_ulong = 0;
                // SAFETY: PTRACE_GETEVENTMSG writes one word to the pointer given.
                let rc = unsafe {
                    libc::ptrace(
                        libc::PTRACE_GETEVENTMSG,
                        pid,
                        std::ptr::null_mut::<libc::c_void>(),
                        &mut new as *mut libc::c_ulong,
                    )
                };
                let new = new as libc::pid_t;
                let mut t = locked(tracked);
                if rc == 0 && new > 0 && !t.gone.contains(&new) {
                    t.pids.insert(new);
                }
                drop(t);
                resume(pid, 0)
            }
            libc::PTRACE_EVENT_EXEC => {
                if started.is_none() && pid == main {
                    before_exec = own_cpu(pid);
                    started = Some(Instant::now());
                    // The CPU time before exec is the child's setup: the watcher's base.
                    report(
                        &reports,
                        Record {
                            kind: RecordKind::Started as u32,
                            utime_us: before_exec.as_micros() as u64,
                            ..Record::default()
                        },
                    );
                }
                resume(pid, 0)
            }
            // A group stop, or the first stop of a new tracee.
            libc::PTRACE_EVENT_STOP => resume(pid, 0),
            // A signal on its way: deliver it.
            _ => resume(pid, signal),
        };
        // A tracee that vanished under us (killed) is not the tracer's failure.
        if let Err(e) = outcome {
            if e != Errno::ESRCH {
                break Err(SandboxError::host(HostStep::Ptrace("resume"), e));
            }
        }
    };
    if result.is_err() {
        kill();
    }
    result?;
    drop(reports);
    let (status, usage) = main_end.ok_or(SandboxError::host(
        HostStep::Wait(main),
        std::io::Error::from_raw_os_error(libc::ECHILD),
    ))?;
    Ok(Traced {
        status,
        usage,
        before_exec,
    })
}

/// The end of the program, as the namespaced init reports it.
fn exited_record(status: i32, usage: &libc::rusage, started: Instant) -> Record {
    let us = |t: &libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Record {
        kind: RecordKind::Exited as u32,
        status,
        utime_us: us(&usage.ru_utime),
        stime_us: us(&usage.ru_stime),
        maxrss_kib: usage.ru_maxrss as u64,
        wall_ns: started.elapsed().as_nanos() as u64,
        ..Record::default()
    }
}

fn report(sock: &OwnedFd, record: Record) {
    sys::send_record(sock.as_raw_fd(), &record);
}

/// A process's CPU time so far, from the scheduler's nanosecond count.
fn own_cpu(pid: libc::pid_t) -> Duration {
    std::fs::read_to_string(format!("/proc/{pid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

fn resume(pid: libc::pid_t, signal: libc::c_int) -> Result<(), Errno> {
    // SAFETY: PTRACE_CONT of a stopped tracee with a signal number as data.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_CONT,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            signal as usize,
        )
    };
    if rc != 0 {
        return Err(Errno::last());
    }
    Ok(())
}

/// The tracer's decisions.
struct Tracer<'a> {
    policy: &'a Policy,
    /// The tracee's host uid and gid.
    ids: (u32, u32),
    tracked: &'a Mutex<Tracked>,
    /// `process_vm_readv` was refused (no `CAP_SYS_PTRACE` over a tracee of another uid):
    /// read with `PTRACE_PEEKDATA` from then on.
    peek_only: bool,
}

impl Tracer<'_> {
    /// A seccomp stop of `pid`: allow the call, or make it fail without running.
    fn syscall(&mut self, pid: libc::pid_t) -> Result<(), Errno> {
        let mut regs = get_regs(pid)?;
        let a = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
        if let Err(errno) = self.decide(pid, regs.orig_rax as libc::c_long, a) {
            // Skip the call; its result is the error.
            regs.orig_rax = u64::MAX;
            regs.rax = (-(errno as i64)) as u64;
            set_regs(pid, &regs)?;
        }
        resume(pid, 0)
    }

    fn decide(&mut self, pid: libc::pid_t, nr: libc::c_long, a: [u64; 6]) -> Result<(), i32> {
        const CWD: u64 = libc::AT_FDCWD as u64;
        let empty_path = |flags: u64| flags & libc::AT_EMPTY_PATH as u64 != 0;
        match nr {
            libc::SYS_open => self.path(pid, CWD, a[0], open_access(a[1])),
            libc::SYS_creat => self.path(pid, CWD, a[0], Access::Write),
            libc::SYS_openat => self.path(pid, a[0], a[1], open_access(a[2])),
            libc::SYS_openat2 => {
                let flags = self.read_u64(pid, a[2]).ok_or(libc::EFAULT)?;
                self.path(pid, a[0], a[1], open_access(flags))
            }
            libc::SYS_execve => self.path(pid, CWD, a[0], Access::Exec),
            libc::SYS_execveat if empty_path(a[4]) => Ok(()),
            libc::SYS_execveat => self.path(pid, a[0], a[1], Access::Exec),
            libc::SYS_stat
            | libc::SYS_lstat
            | libc::SYS_access
            | libc::SYS_readlink
            | libc::SYS_chdir => self.path(pid, CWD, a[0], Access::Read),
            libc::SYS_newfstatat if empty_path(a[3]) => Ok(()),
            libc::SYS_statx if empty_path(a[2]) => Ok(()),
            libc::SYS_faccessat2 if empty_path(a[3]) => Ok(()),
            libc::SYS_newfstatat
            | libc::SYS_statx
            | libc::SYS_faccessat
            | libc::SYS_faccessat2
            | libc::SYS_readlinkat => self.path(pid, a[0], a[1], Access::Read),
            libc::SYS_mkdir
            | libc::SYS_rmdir
            | libc::SYS_unlink
            | libc::SYS_truncate
            | libc::SYS_chmod
            | libc::SYS_chown
            | libc::SYS_lchown
            | libc::SYS_utime
            | libc::SYS_utimes => self.path(pid, CWD, a[0], Access::Write),
            // A null path: the call is on a descriptor the program holds.
            libc::SYS_utimensat if a[1] == 0 => Ok(()),
            libc::SYS_fchownat if empty_path(a[4]) => Ok(()),
            libc::SYS_mkdirat
            | libc::SYS_unlinkat
            | libc::SYS_fchmodat
            | libc::SYS_fchownat
            | libc::SYS_futimesat
            | libc::SYS_utimensat => self.path(pid, a[0], a[1], Access::Write),
            libc::SYS_rename => {
                self.path(pid, CWD, a[0], Access::Write)?;
                self.path(pid, CWD, a[1], Access::Write)
            }
            libc::SYS_renameat | libc::SYS_renameat2 => {
                self.path(pid, a[0], a[1], Access::Write)?;
                self.path(pid, a[2], a[3], Access::Write)
            }
            libc::SYS_statfs
            | libc::SYS_getxattr
            | libc::SYS_lgetxattr
            | libc::SYS_listxattr
            | libc::SYS_llistxattr => self.path(pid, CWD, a[0], Access::Read),
            libc::SYS_inotify_add_watch => self.path(pid, CWD, a[1], Access::Read),
            libc::SYS_connect | libc::SYS_bind => self.address(pid, a[1], a[2]),
            // A datagram's address, when it names one.
            libc::SYS_sendto if a[4] == 0 => Ok(()),
            libc::SYS_sendto => self.address(pid, a[4], a[5]),
            libc::SYS_sendmsg => self.message(pid, a[1]),
            libc::SYS_sendmmsg => {
                // Each `struct mmsghdr`: a `msghdr` (56 bytes) and a length, padded to 64.
                for i in 0..a[2].min(1024) {
                    self.message(pid, a[1] + 64 * i)?;
                }
                Ok(())
            }
            libc::SYS_kill => self.may_signal(a[0] as i32 as libc::pid_t, true),
            libc::SYS_tkill
            | libc::SYS_tgkill
            | libc::SYS_rt_sigqueueinfo
            | libc::SYS_rt_tgsigqueueinfo => self.may_signal(a[0] as i32 as libc::pid_t, false),
            // A process named by its pid, 0 being the caller itself.
            libc::SYS_prlimit64
            | libc::SYS_sched_setaffinity
            | libc::SYS_sched_getaffinity
            | libc::SYS_sched_getparam
            | libc::SYS_sched_getscheduler
            | libc::SYS_sched_getattr
            | libc::SYS_getpgid
            | libc::SYS_getsid => match a[0] as i32 {
                0 => Ok(()),
                pid => self.may_signal(pid, false),
            },
            _ => Ok(()),
        }
    }

    /// A signal (or a limit) for `target`: only the run's own processes; with `group`, also 0
    /// (the caller's group) and a group led by one of them.
    fn may_signal(&self, target: libc::pid_t, group: bool) -> Result<(), i32> {
        let tracked = locked(self.tracked);
        let ok = match target {
            0 => group,
            t if t > 0 => tracked.pids.contains(&t),
            -1 => false,
            t => group && tracked.pids.contains(&-t),
        };
        if ok {
            Ok(())
        } else {
            Err(libc::EPERM)
        }
    }

    /// The path at `addr`, relative to `dirfd`, used for `access`.
    fn path(&mut self, pid: libc::pid_t, dirfd: u64, addr: u64, access: Access) -> Result<(), i32> {
        let raw = self.read_string(pid, addr).ok_or(libc::EFAULT)?;
        if raw.is_empty() {
            // The kernel answers ENOENT itself.
            return Ok(());
        }
        let path = self.absolute(pid, dirfd as i32, &raw).ok_or(libc::EACCES)?;
        let real = self.resolve(&path);
        if !self.allowed(&real, access) {
            return Err(libc::EACCES);
        }
        // The string again: a thread that changed it meanwhile gets nothing.
        if self.read_string(pid, addr).as_deref() != Some(&raw[..]) {
            return Err(libc::EACCES);
        }
        Ok(())
    }

    fn allowed(&self, real: &Path, access: Access) -> bool {
        if self.policy.allows(real, access) {
            return true;
        }
        // /proc/PID of the run's own processes: readable, and a descriptor that is no path (a
        // pipe, a socket) writable too; never through a link to elsewhere that was not
        // followed (`root`, `cwd`, `exe`, `map_files`, `ns`, a directory's `fd/N/...`).
        let parts: Vec<&OsStr> = real.components().skip(1).map(|c| c.as_os_str()).collect();
        if parts.first() != Some(&OsStr::new("proc")) {
            return false;
        }
        let Some(pid) = parts
            .get(1)
            .and_then(|c| c.to_str()?.parse::<libc::pid_t>().ok())
        else {
            return false;
        };
        if !locked(self.tracked).pids.contains(&pid) {
            return false;
        }
        let links = ["root", "cwd", "exe", "map_files", "ns"];
        if parts.iter().any(|c| links.iter().any(|l| c == l)) {
            return false;
        }
        let fd = parts.iter().position(|c| c == &OsStr::new("fd"));
        if let Some(i) = fd {
            if parts.len() > i + 2 {
                return false;
            }
        }
        match access {
            Access::Read => true,
            Access::Exec => false,
            Access::Write => fd.is_some_and(|i| parts.len() == i + 2),
        }
    }

    /// `raw` made absolute from the tracee's view: its working directory or `dirfd`, and its
    /// own `/proc/self`.
    fn absolute(&self, pid: libc::pid_t, dirfd: i32, raw: &[u8]) -> Option<PathBuf> {
        let p = Path::new(OsStr::from_bytes(raw));
        let path = if p.is_absolute() {
            p.to_path_buf()
        } else {
            let base = if dirfd == libc::AT_FDCWD {
                self.link(Path::new(&format!("/proc/{pid}/cwd")))?
            } else {
                self.link(Path::new(&format!("/proc/{pid}/fd/{dirfd}")))?
            };
            if !base.is_absolute() {
                return None;
            }
            base.join(p)
        };
        let tgid = tgid(pid)?;
        let text = path.as_os_str().as_bytes();
        let swap = |prefix: &[u8], with: String| -> Option<PathBuf> {
            let rest = text.strip_prefix(prefix)?;
            if !(rest.is_empty() || rest.starts_with(b"/")) {
                return None;
            }
            let mut out = with.into_bytes();
            out.extend_from_slice(rest);
            Some(PathBuf::from(OsStr::from_bytes(&out)))
        };
        Some(
            swap(b"/proc/self", format!("/proc/{tgid}"))
                .or_else(|| swap(b"/proc/thread-self", format!("/proc/{tgid}/task/{pid}")))
                .unwrap_or(path),
        )
    }

    /// Read the link `path` of a tracee's `/proc` with the tracee's own file-system ids on
    /// this thread: a tracer without `CAP_SYS_PTRACE` (a container's root) may not read
    /// another uid's `/proc/PID/fd` or `cwd`, but that uid may.
    fn link(&self, path: &Path) -> Option<PathBuf> {
        match std::fs::read_link(path) {
            Ok(target) => return Some(target),
            Err(e) if e.kind() != std::io::ErrorKind::PermissionDenied => return None,
            Err(_) => {}
        }
        let (uid, gid) = self.ids;
        // Changing file-system ids makes the kernel mark the engine's memory non-dumpable,
        // which a ptrace attach by another thread at that moment would fail on: none starts
        // while the ids are changed, and dumpable is set back.
        let _alone = FS_IDS.write().unwrap_or_else(|p| p.into_inner());
        // SAFETY: prctl with integer arguments.
        let dumpable = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) };
        // SAFETY: setfsgid/setfsuid change this thread's file-system ids only; they are set
        // back below before anything else runs on this thread.
        let (old_gid, old_uid) = unsafe {
            let g = libc::syscall(libc::SYS_setfsgid, gid);
            let u = libc::syscall(libc::SYS_setfsuid, uid);
            (g, u)
        };
        let target = std::fs::read_link(path);
        // SAFETY: as above, back to the engine's ids, and its dumpable flag as it was.
        unsafe {
            libc::syscall(libc::SYS_setfsuid, old_uid);
            libc::syscall(libc::SYS_setfsgid, old_gid);
            if dumpable >= 0 {
                libc::prctl(libc::PR_SET_DUMPABLE, dumpable, 0, 0, 0);
            }
        }
        target.ok()
    }

    /// The host path the kernel will reach for the absolute `path`: a tracee's own `/proc`
    /// links (`cwd`, `root`, `exe`, `fd/N`) followed as the tracee sees them, then every link
    /// as [`policy::resolve`] does. A link to something that is not a path (a pipe) stays.
    fn resolve(&self, path: &Path) -> PathBuf {
        let mut parts = path.components();
        // The length of `/proc/PID[/task/TID]/{cwd,root,exe,fd/N}` at the start, for a PID of
        // the run's.
        let proc_link = (|| {
            let mut it = path.components().skip(1);
            if it.next()?.as_os_str() != "proc" {
                return None;
            }
            let pid: libc::pid_t = it.next()?.as_os_str().to_str()?.parse().ok()?;
            if !locked(self.tracked).pids.contains(&pid) {
                return None;
            }
            let mut depth = 3;
            let mut name = it.next()?.as_os_str().to_owned();
            if name == "task" {
                it.next()?;
                name = it.next()?.as_os_str().to_owned();
                depth += 2;
            }
            match name.to_str()? {
                "cwd" | "root" | "exe" => Some(depth + 1),
                "fd" => it.next().map(|_| depth + 2),
                _ => None,
            }
        })();
        let Some(depth) = proc_link else {
            return policy::resolve(path);
        };
        let link: PathBuf = parts.by_ref().take(depth).collect();
        let rest: PathBuf = parts.collect();
        match self.link(&link) {
            Some(target) if target.is_absolute() => policy::resolve(&target.join(rest)),
            // A descriptor that is no path (a pipe) is the link itself; one that could not be
            // read stays a link, which [`Tracer::allowed`] refuses.
            _ => policy::lexical(path),
        }
    }

    /// A socket address: `AF_UNIX` with a path the program may write; never abstract.
    fn address(&mut self, pid: libc::pid_t, addr: u64, len: u64) -> Result<(), i32> {
        let len = (len as usize).min(std::mem::size_of::<libc::sockaddr_un>());
        if len < 2 {
            return Ok(());
        }
        let bytes = self.read_bytes(pid, addr, len).ok_or(libc::EFAULT)?;
        let family = u16::from_ne_bytes([bytes[0], bytes[1]]);
        if family != libc::AF_UNIX as u16 {
            // The socket itself could only be AF_UNIX (the allowlist refuses the others).
            return Ok(());
        }
        let path = &bytes[2..];
        match path.first() {
            // An unnamed socket (autobind, or nothing): the kernel's.
            None => Ok(()),
            // An abstract name is the host's network namespace's: not for a run.
            Some(0) => Err(libc::EACCES),
            Some(_) => {
                let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                let name = &path[..end];
                let abs = self
                    .absolute(pid, libc::AT_FDCWD, name)
                    .ok_or(libc::EACCES)?;
                let real = self.resolve(&abs);
                if self.policy.allows(&real, Access::Write) {
                    Ok(())
                } else {
                    Err(libc::EACCES)
                }
            }
        }
    }

    /// The address a `struct msghdr` at `addr` names, if any.
    fn message(&mut self, pid: libc::pid_t, addr: u64) -> Result<(), i32> {
        let name = self.read_u64(pid, addr).ok_or(libc::EFAULT)?;
        let len = self.read_u64(pid, addr + 8).ok_or(libc::EFAULT)? & 0xffff_ffff;
        if name == 0 {
            return Ok(());
        }
        self.address(pid, name, len)
    }

    fn read_u64(&mut self, pid: libc::pid_t, addr: u64) -> Option<u64> {
        let b = self.read_bytes(pid, addr, 8)?;
        Some(u64::from_ne_bytes(b.try_into().ok()?))
    }

    /// A NUL-terminated string of at most `PATH_MAX` bytes at `addr`.
    fn read_string(&mut self, pid: libc::pid_t, addr: u64) -> Option<Vec<u8>> {
        if addr == 0 {
            return None;
        }
        let mut out = Vec::new();
        let mut at = addr;
        while out.len() < PATH_MAX {
            // Up to the end of the page: the next may not be mapped.
            let room = (4096 - (at % 4096)) as usize;
            let chunk = self.read_bytes(pid, at, room.min(PATH_MAX - out.len()))?;
            if let Some(end) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..end]);
                return Some(out);
            }
            out.extend_from_slice(&chunk);
            at += chunk.len() as u64;
        }
        None
    }

    fn read_bytes(&mut self, pid: libc::pid_t, addr: u64, len: usize) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; len];
        if !self.peek_only {
            let local = libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: len,
            };
            let remote = libc::iovec {
                iov_base: addr as *mut libc::c_void,
                iov_len: len,
            };
            // SAFETY: one local iovec over `buf`, one remote one the kernel checks.
            let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
            if n == len as isize {
                return Some(buf);
            }
            if Errno::last() != Errno::EPERM {
                return None;
            }
            self.peek_only = true;
        }
        // Aligned words only: one that straddled the end of a page could fault though every
        // byte asked for is mapped.
        let first = addr & !7;
        let mut at = first;
        while at < addr + len as u64 {
            Errno::clear();
            // SAFETY: PTRACE_PEEKDATA of a stopped tracee returns a word (errno tells errors).
            let word = unsafe {
                libc::ptrace(
                    libc::PTRACE_PEEKDATA,
                    pid,
                    at as usize as *mut libc::c_void,
                    std::ptr::null_mut::<libc::c_void>(),
                )
            };
            if word == -1 && Errno::last() != Errno::UnknownErrno {
                return None;
            }
            for (k, byte) in word.to_ne_bytes().iter().enumerate() {
                let pos = at + k as u64;
                if pos >= addr && pos < addr + len as u64 {
                    buf[(pos - addr) as usize] = *byte;
                }
            }
            at += 8;
        }
        Some(buf)
    }
}

/// What `open`'s flags ask for.
fn open_access(flags: u64) -> Access {
    let flags = flags as libc::c_int;
    let writes = flags & libc::O_ACCMODE != libc::O_RDONLY
        || flags & (libc::O_CREAT | libc::O_TRUNC | libc::O_APPEND) != 0;
    if writes {
        Access::Write
    } else {
        Access::Read
    }
}

fn tgid(pid: libc::pid_t) -> Option<libc::pid_t> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))?
        .trim()
        .parse()
        .ok()
}

#[cfg(target_arch = "x86_64")]
fn get_regs(pid: libc::pid_t) -> Result<libc::user_regs_struct, Errno> {
    // SAFETY: an all-zero register set is valid to overwrite.
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    // SAFETY: PTRACE_GETREGS of a stopped tracee into a register set of the right type.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_GETREGS,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            &mut regs as *mut libc::user_regs_struct,
        )
    };
    if rc != 0 {
        return Err(Errno::last());
    }
    Ok(regs)
}

#[cfg(target_arch = "x86_64")]
fn set_regs(pid: libc::pid_t, regs: &libc::user_regs_struct) -> Result<(), Errno> {
    // SAFETY: PTRACE_SETREGS of a stopped tracee from a register set of the right type.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_SETREGS,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            regs as *const libc::user_regs_struct,
        )
    };
    if rc != 0 {
        return Err(Errno::last());
    }
    Ok(())
}

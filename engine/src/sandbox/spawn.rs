//! The parent side: prepare, clone, sync.
//!
//! 1. **Prepare.** Every C string, pointer array, the mount plan, the rlimits and the seccomp
//!    programs are built here, before clone, because the child may not allocate.
//! 2. **Clone.** With all signals blocked on this thread (no engine handler may run in the child)
//!    and this thread's supplementary groups dropped (with `setgroups` denied in the new user
//!    namespace, the child could never drop them itself, and root's groups would follow it),
//!    clone3 creates the child in new user, PID, mount, network, IPC, UTS and cgroup namespaces.
//! 3. **Sync.** The parent writes the child's `uid_map`, `deny` to `setgroups`, then `gid_map`,
//!    and sends one byte to release it. Then it watches the sync socket for records
//!    ([`super::wait`]) and reaps the child.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};

use super::child::{self, ChildContext};
use super::error::SandboxError;
use super::mount::MountPlan;
use super::rlimit::{self, Rlimit};
use super::spec::Spec;
use super::stage::Stage;
use super::sys;
use super::wait::{self, Child, Watch};
use super::{ExitStatus, LimitHit, RunResult, Sandbox};

/// The namespaces every sandbox gets.
const NAMESPACES: u64 = (libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNS
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWCGROUP) as u64;

/// A spec with everything the child needs built.
struct Prepared {
    spec: Spec,
    plan: MountPlan,
    rlimits: Vec<Rlimit>,
}

impl Prepared {
    /// The prepared spec and the descriptors that become the child's stdio.
    fn new(mut spec: Spec) -> Result<(Prepared, [OwnedFd; 3]), SandboxError> {
        let plan = MountPlan::new(&spec.mounts, spec.limits.tmp_size)?;
        let rlimits = rlimit::plan(&spec.limits);
        let streams = std::mem::take(&mut spec.stdio);
        let mut stdio = Vec::with_capacity(3);
        for (number, stream) in streams.into_iter().enumerate() {
            let fd = stream
                .into_fd(number as i32)
                .map_err(|e| SandboxError::parent(format!("open stdio {number}"), e))?;
            stdio.push(above_sync(fd)?);
        }
        let stdio: [OwnedFd; 3] = stdio
            .try_into()
            .map_err(|_| SandboxError::parent("stdio", Errno::EINVAL))?;
        Ok((
            Prepared {
                spec,
                plan,
                rlimits,
            },
            stdio,
        ))
    }

    /// What a failed child stage was working on, for the error message.
    fn describe(&self, stage: Stage, index: u32) -> String {
        let show = |c: &CString| String::from_utf8_lossy(c.as_bytes()).into_owned();
        match stage {
            Stage::Mount => self.plan.label(index),
            Stage::Rlimit => self
                .rlimits
                .get(index as usize)
                .map_or("setrlimit".to_owned(), |r| {
                    format!("setrlimit {}", r.name())
                }),
            Stage::Execve => format!("execve {}", show(&self.spec.program)),
            Stage::Chdir => format!("chdir {}", show(&self.spec.cwd)),
            other => other.name().to_owned(),
        }
    }
}

/// Descriptors the child moves to 0-3 must not sit on 0-3 already, or one move would clobber
/// another source; move any low one above the sync socket's slot.
fn above_sync(fd: OwnedFd) -> Result<OwnedFd, SandboxError> {
    if fd.as_raw_fd() > child::SYNC_FD {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC on a valid descriptor returns a new one we then own.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, child::SYNC_FD + 1) };
    if new < 0 {
        return Err(SandboxError::parent(
            "dup descriptor",
            std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: `new` was just returned by fcntl and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// Run a validated spec to its end.
pub(crate) fn run(sandbox: &Sandbox, spec: Spec) -> Result<RunResult, SandboxError> {
    let (prepared, stdio) = Prepared::new(spec)?;
    let spec = &prepared.spec;
    let ptrs = |v: &[CString]| {
        let mut p: Vec<*const libc::c_char> = v.iter().map(|s| s.as_ptr()).collect();
        p.push(std::ptr::null());
        p
    };
    let argv = ptrs(&spec.argv);
    let envp = ptrs(&spec.env);
    let filters = spec.filter.fprogs();
    let (parent_sock, child_sock) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| SandboxError::parent("socketpair", e))?;
    let child_sock = above_sync(child_sock)?;
    let ctx = ChildContext {
        sync: child_sock.as_raw_fd(),
        stdio: stdio.each_ref().map(|fd| fd.as_raw_fd()),
        plan: &prepared.plan,
        hostname: &sandbox.hostname,
        uid: sandbox.config.inside_uid,
        gid: sandbox.config.inside_gid,
        last_cap: sandbox.last_cap,
        rlimits: &prepared.rlimits,
        cwd: &spec.cwd,
        program: &spec.program,
        argv: &argv,
        envp: &envp,
        filters: &filters,
    };
    let pid = clone_child(&ctx, sandbox)?;
    let mut child = Child::new(pid);
    // The child has its copies; ours would keep pipes open past the program's end.
    drop(child_sock);
    drop(stdio);

    write_id_maps(pid, sandbox)?;
    // Release the child.
    // SAFETY: writing one byte from a stack buffer to our end of the socket.
    let n = unsafe { libc::send(parent_sock.as_raw_fd(), [1u8].as_ptr().cast(), 1, 0) };
    if n != 1 {
        return Err(SandboxError::parent(
            "release child",
            std::io::Error::last_os_error(),
        ));
    }

    let watch = wait::watch(&child, &parent_sock, spec.limits.wall_time)?;
    let (status, rusage) = child.reap()?;
    finish(&prepared, watch, status, &rusage)
}

/// Clone the child with signals blocked and supplementary groups dropped on this thread only.
fn clone_child(ctx: &ChildContext, sandbox: &Sandbox) -> Result<libc::pid_t, SandboxError> {
    use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow};
    let mut old_mask = SigSet::empty();
    pthread_sigmask(
        SigmaskHow::SIG_SETMASK,
        Some(&SigSet::all()),
        Some(&mut old_mask),
    )
    .map_err(|e| SandboxError::parent("block signals", e))?;
    let groups = set_thread_groups(&[]);
    let result = match groups {
        Ok(()) => sys::clone_process(NAMESPACES, None),
        Err(e) => Err(e),
    };
    if let Ok(0) = result {
        child::init(ctx);
    }
    let restored = set_thread_groups(&sandbox.groups);
    let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&old_mask), None);
    let pid = match (groups, result) {
        (Err(e), _) => return Err(SandboxError::parent("setgroups", Errno::from_raw(e))),
        (_, Err(e)) => return Err(SandboxError::parent("clone3", Errno::from_raw(e))),
        (_, Ok(pid)) => pid,
    };
    if let Err(e) = restored {
        let mut child = Child::new(pid);
        child.kill();
        let _ = child.reap();
        return Err(SandboxError::parent(
            "restore supplementary groups",
            Errno::from_raw(e),
        ));
    }
    Ok(pid)
}

/// Set the calling thread's supplementary groups (the raw call: glibc's wrapper would change
/// every thread of the engine).
fn set_thread_groups(groups: &[libc::gid_t]) -> Result<(), i32> {
    // SAFETY: `groups` is a valid array of the given length (or empty with a valid pointer).
    let rc = unsafe { libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) };
    sys::check(rc).map(|_| ())
}

/// Map one unprivileged id inside to one unprivileged id on the host.
fn write_id_maps(pid: libc::pid_t, sandbox: &Sandbox) -> Result<(), SandboxError> {
    let c = &sandbox.config;
    let write = |file: &str, content: String| {
        let path = format!("/proc/{pid}/{file}");
        std::fs::write(&path, content).map_err(|e| SandboxError::parent(format!("write {path}"), e))
    };
    write("uid_map", format!("{} {} 1\n", c.inside_uid, c.host_uid))?;
    write("setgroups", "deny".to_owned())?;
    write("gid_map", format!("{} {} 1\n", c.inside_gid, c.host_gid))
}

/// Turn what was observed into the run's result, or the child's error.
fn finish(
    prepared: &Prepared,
    watch: Watch,
    init_status: i32,
    init_usage: &libc::rusage,
) -> Result<RunResult, SandboxError> {
    if let Some(error) = watch.error {
        let stage = Stage::from_u32(error.stage).unwrap_or(Stage::Wait);
        return Err(SandboxError::Child {
            stage,
            what: prepared.describe(stage, error.index),
            errno: Errno::from_raw(error.errno),
        });
    }
    let Some(started) = watch.started else {
        if watch.killed == Some(LimitHit::Setup) {
            return Err(SandboxError::SetupTimeout(wait::SETUP_TIMEOUT.as_secs()));
        }
        return Err(SandboxError::SilentDeath(init_status));
    };
    let result = match watch.exited {
        Some(rec) => RunResult {
            status: ExitStatus::from_wait(rec.status),
            cpu_time: Duration::from_micros(rec.utime_us + rec.stime_us),
            wall_time: Duration::from_nanos(rec.wall_ns),
            memory: rec.maxrss_kib * 1024,
            killed_by: watch.killed,
            oom_killed: false,
        },
        // The init died before the program ended: killed by us (or the OOM killer). What it
        // reaped on its way out counts in its own rusage.
        None => RunResult {
            status: ExitStatus::from_wait(init_status),
            cpu_time: tv(&init_usage.ru_utime) + tv(&init_usage.ru_stime),
            wall_time: started.elapsed(),
            memory: init_usage.ru_maxrss as u64 * 1024,
            killed_by: watch.killed,
            oom_killed: false,
        },
    };
    Ok(result)
}

fn tv(t: &libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

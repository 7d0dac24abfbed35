//! The parent side: prepare, clone, sync.
//!
//! 1. **Prepare.** Every C string, pointer array, the mount plan, the rlimits and the seccomp
//!    programs are built here, before clone, because the child may not allocate.
//! 2. **Clone.** With all signals blocked on this thread (no engine handler may run in the child)
//!    and this thread's supplementary groups dropped (with `setgroups` denied in the new user
//!    namespace, the child could never drop them itself, and root's groups would follow it),
//!    clone3 creates the child in new user, PID, mount, network, IPC, UTS and cgroup namespaces.
//!    On cgroup v2 the child is born in its run's cgroup (`CLONE_INTO_CGROUP`).
//! 3. **Sync.** The parent writes the child's `uid_map`, `deny` to `setgroups`, then `gid_map`,
//!    attaches the child to its run's cgroup (v1, or a kernel without `CLONE_INTO_CGROUP`), and
//!    sends one byte to release it. Then it watches the sync socket for records
//!    ([`super::wait`]), reaps the child, reads the cgroup's accounting and removes it.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};

use super::capture::{open_stream, Drain};
use super::child::{self, ChildContext};
use super::env::proto::EXE_FD;
use super::error::{HostStep, SandboxError};
use super::mount::MountPlan;
use super::rlimit::{self, Rlimit};
use super::spec::Spec;
use super::stage::Stage;
use super::sys;
use super::wait::{self, Child, Clocks, Supervisor, Watch};
use super::{ExitStatus, LimitHit, RunResult, Sandbox};
use crate::cgroup::{CgroupLimits, RunCgroup};

/// The namespaces every sandbox gets.
pub(crate) const NAMESPACES: u64 = (libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNS
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWCGROUP) as u64;

/// A spec with everything the child needs built.
pub(crate) struct Prepared {
    pub(crate) spec: Spec,
    plan: MountPlan,
    pub(crate) rlimits: Vec<Rlimit>,
}

impl Prepared {
    /// The prepared spec, the descriptors that become the child's stdio and the drain of a
    /// captured stream.
    pub(crate) fn new(
        mut spec: Spec,
        cgroups: bool,
    ) -> Result<(Prepared, [OwnedFd; 3], Option<Drain>), SandboxError> {
        let mut plan = MountPlan::new(&spec.mounts, spec.limits.tmp_size)?;
        if let Some(image) = &spec.root {
            plan.set_root(image)?;
        }
        let rlimits = rlimit::plan(&spec.limits, cgroups);
        let streams = std::mem::take(&mut spec.stdio);
        let mut stdio = Vec::with_capacity(3);
        let mut drain = None;
        for (number, stream) in streams.into_iter().enumerate() {
            let fd = open_stream(stream, number, spec.limits.output, &mut drain)?;
            stdio.push(above_sync(fd)?);
        }
        let stdio: [OwnedFd; 3] = stdio
            .try_into()
            .map_err(|_| SandboxError::host(HostStep::OpenStdio(3), Errno::EINVAL))?;
        Ok((
            Prepared {
                spec,
                plan,
                rlimits,
            },
            stdio,
            drain,
        ))
    }

    /// What a failed child stage was working on, for the error message.
    pub(crate) fn describe(&self, stage: Stage, index: u32) -> String {
        let show = |c: &CString| String::from_utf8_lossy(c.as_bytes()).into_owned();
        match stage {
            Stage::Mount => self.plan.label(index),
            Stage::OpenSource => {
                self.plan
                    .label(index)
                    .replacen("mount", "open mount source for", 1)
            }
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

/// Descriptors the child moves to 0-4 must not sit on 0-4 already, or one move would clobber
/// another source; move any low one above the slots the child fills.
fn above_sync(fd: OwnedFd) -> Result<OwnedFd, SandboxError> {
    if fd.as_raw_fd() > EXE_FD {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC on a valid descriptor returns a new one we then own.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, EXE_FD + 1) };
    if new < 0 {
        return Err(SandboxError::host(
            HostStep::DupDescriptor,
            std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: `new` was just returned by fcntl and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// Run a validated spec to its end.
pub(crate) fn run(sandbox: &Sandbox, spec: Spec) -> Result<RunResult, SandboxError> {
    let (mut prepared, stdio, mut drain) = Prepared::new(spec, sandbox.cgroups.is_some())?;
    if sandbox.rootless {
        rlimit::within_hard_limits(&mut prepared.rlimits);
    }
    let limits = prepared.spec.limits.clone();
    // Declared before the child: dropped after it, so an early return kills the child first.
    let cgroup = match &sandbox.cgroups {
        Some(cgroups) => Some(cgroups.create(&CgroupLimits {
            memory_bytes: limits.memory,
            // The init lives in the cgroup too.
            pids: limits.processes.map(|p| p + 1),
            cpu_quota: limits.cpu_quota.clone(),
            cpuset: limits.cpus.clone(),
        })?),
        None => None,
    };
    let (mut child, parent_sock) = launch(sandbox, &mut prepared, stdio, cgroup.as_deref(), None)?;
    let limits = &limits;
    let clocks = Clocks::of(limits, sandbox.cpus);
    let kill = || {
        // The reaper first: its death makes the kernel SIGKILL the whole PID namespace at once.
        // Then the cgroup, which also catches whatever could have left the namespace.
        child.kill();
        if let Some(cgroup) = &cgroup {
            let _ = cgroup.kill_all();
        }
    };
    let init_cpu_now = || child.own_cpu();
    let supervisor = Supervisor::new(clocks, cgroup.as_deref(), None, 0, None, &kill)
        .init_cpu_now(&init_cpu_now)
        .drain(drain.as_mut());
    let watch = wait::watch(&parent_sock, supervisor)?;
    // The cgroup also counted the init: its setup, and its exit, which tears down the
    // namespaces. Take its own lifetime CPU off, read while it is a zombie.
    child.wait_exited()?;
    let init_cpu = child.own_cpu().unwrap_or(watch.init_cpu);
    let accounting = match &cgroup {
        Some(cgroup) => Some(Accounting::read(cgroup.as_ref(), init_cpu)?),
        None => None,
    };
    let (status, rusage) = child.reap()?;
    if let Some(cgroup) = cgroup {
        cgroup.remove()?;
    }
    let mut result = finish(&prepared, watch, status, &rusage, accounting)?;
    result.captured = drain.map(Drain::finish);
    Ok(result)
}

/// Prepare the child's context, clone it, write its id maps, put it in `cgroup` and release it.
/// With `init_exe`, the child executes the engine's binary as a reused environment's init
/// instead of forking the spec's program.
pub(crate) fn launch(
    sandbox: &Sandbox,
    prepared: &mut Prepared,
    stdio: [OwnedFd; 3],
    cgroup: Option<&dyn RunCgroup>,
    init_exe: Option<OwnedFd>,
) -> Result<(Child, OwnedFd), SandboxError> {
    let init_exe = init_exe.map(above_sync).transpose()?;
    let (parent_sock, child_sock) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| SandboxError::host(HostStep::Socketpair, e))?;
    let child_sock = above_sync(child_sock)?;
    // Mount sources go on descriptors above every one the child must keep until it moves them.
    let highest = stdio
        .iter()
        .map(|fd| fd.as_raw_fd())
        .chain([child_sock.as_raw_fd()])
        .chain(init_exe.as_ref().map(|fd| fd.as_raw_fd()))
        .max()
        .unwrap_or(EXE_FD);
    prepared.plan.assign_slots(highest + 1);
    let spec = &prepared.spec;
    let ptrs = |v: &[CString]| {
        let mut p: Vec<*const libc::c_char> = v.iter().map(|s| s.as_ptr()).collect();
        p.push(std::ptr::null());
        p
    };
    let argv = ptrs(&spec.argv);
    let envp = ptrs(&spec.env);
    let filters = spec.filter.for_network(spec.limits.network)?.fprogs();
    let inside = spec
        .inside
        .unwrap_or((sandbox.config.inside_uid, sandbox.config.inside_gid));
    let ctx = ChildContext {
        sync: child_sock.as_raw_fd(),
        stdio: stdio.each_ref().map(|fd| fd.as_raw_fd()),
        plan: &prepared.plan,
        hostname: &sandbox.hostname,
        uid: inside.0,
        gid: inside.1,
        last_cap: sandbox.last_cap,
        rlimits: &prepared.rlimits,
        cwd: &spec.cwd,
        program: &spec.program,
        argv: &argv,
        envp: &envp,
        filters: &filters,
        init_exe: init_exe.as_ref().map(|fd| fd.as_raw_fd()),
        loopback: spec.limits.network == super::Network::Loopback,
        rootless: sandbox.rootless,
    };
    let into = cgroup
        .and_then(|c| c.clone_into_fd())
        .map(|fd| fd.as_raw_fd());
    let (pid, placed) = clone_child(&ctx, sandbox, into)?;
    let child = Child::new(pid);
    // The child has its copies; ours would keep pipes open past the program's end.
    drop(child_sock);
    drop(stdio);

    write_id_maps(pid, sandbox, inside)?;
    // The steps between clone and exec: the engine's own (joining the run's cgroup where the
    // child was not born in it), then the command's hooks, in order. A failure leaves the
    // child unreleased, and dropping it kills it.
    let mut steps: Vec<SyncStep<'_>> = Vec::new();
    if let (Some(cgroup), false) = (cgroup, placed) {
        steps.push(SyncStep::JoinCgroup(cgroup));
    }
    steps.extend(prepared.spec.hooks.iter().map(SyncStep::Hook));
    for step in steps {
        step.run(pid)?;
    }
    // Release the child.
    // SAFETY: writing one byte from a stack buffer to our end of the socket.
    let n = unsafe { libc::send(parent_sock.as_raw_fd(), [1u8].as_ptr().cast(), 1, 0) };
    if n != 1 {
        return Err(SandboxError::host(
            HostStep::ReleaseChild,
            std::io::Error::last_os_error(),
        ));
    }
    Ok((child, parent_sock))
}

/// One step the parent runs on the child between clone and its release (see
/// [`super::SyncHook`]).
enum SyncStep<'a> {
    JoinCgroup(&'a dyn RunCgroup),
    Hook(&'a super::SyncHook),
}

impl SyncStep<'_> {
    fn run(&self, pid: libc::pid_t) -> Result<(), SandboxError> {
        match self {
            SyncStep::JoinCgroup(cgroup) => Ok(cgroup.attach(pid)?),
            SyncStep::Hook(hook) => hook.call(pid).map_err(SandboxError::Hook),
        }
    }
}

/// What the run's cgroup counted.
pub(crate) struct Accounting {
    cpu: Duration,
    memory: Option<u64>,
    oom_kills: u64,
}

impl Accounting {
    pub(crate) fn read(
        cgroup: &dyn RunCgroup,
        init_cpu: Duration,
    ) -> Result<Accounting, SandboxError> {
        Ok(Accounting {
            cpu: cgroup.cpu_usage()?.saturating_sub(init_cpu),
            memory: cgroup.memory_peak()?,
            oom_kills: cgroup.oom_kills()?,
        })
    }
}

/// Clone the child with signals blocked and supplementary groups dropped on this thread only.
/// Returns the pid and whether the child was born in the cgroup `into`.
fn clone_child(
    ctx: &ChildContext,
    sandbox: &Sandbox,
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
    // Rootless: an unprivileged engine cannot drop its groups (see the module docs of
    // `Sandbox` on what that costs).
    let groups = if sandbox.rootless {
        Ok(())
    } else {
        set_thread_groups(&[])
    };
    let mut placed = into.is_some();
    let no_copy = crate::hostdir::cloning();
    let result = match groups {
        Ok(()) => match sys::clone_process(NAMESPACES, into) {
            // A kernel without CLONE_INTO_CGROUP: attach after clone instead.
            Err(libc::ENOSYS | libc::E2BIG | libc::EINVAL) if into.is_some() => {
                placed = false;
                sys::clone_process(NAMESPACES, None)
            }
            other => other,
        },
        Err(e) => Err(e),
    };
    if let Ok(0) = result {
        child::run(ctx);
    }
    drop(no_copy);
    let restored = if sandbox.rootless {
        Ok(())
    } else {
        set_thread_groups(&sandbox.groups)
    };
    let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&old_mask), None);
    let pid = match (groups, result) {
        (Err(e), _) => return Err(SandboxError::host(HostStep::SetGroups, Errno::from_raw(e))),
        (_, Err(e)) => return Err(SandboxError::host(HostStep::Clone, Errno::from_raw(e))),
        (_, Ok(pid)) => pid,
    };
    if let Err(e) = restored {
        let mut child = Child::new(pid);
        child.kill();
        let _ = child.reap();
        return Err(SandboxError::host(
            HostStep::RestoreGroups,
            Errno::from_raw(e),
        ));
    }
    Ok((pid, placed))
}

/// Set the calling thread's supplementary groups (the raw call: glibc's wrapper would change
/// every thread of the engine).
fn set_thread_groups(groups: &[libc::gid_t]) -> Result<(), i32> {
    // SAFETY: `groups` is a valid array of the given length (or empty with a valid pointer).
    let rc = unsafe { libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) };
    sys::check(rc).map(|_| ())
}

/// Map two ids inside to two unprivileged ids on the host: the namespace's root (the sandbox's
/// PID 1) to one, the program's user to the other.
fn write_id_maps(
    pid: libc::pid_t,
    sandbox: &Sandbox,
    (inside_uid, inside_gid): (u32, u32),
) -> Result<(), SandboxError> {
    let c = &sandbox.config;
    let write = |file: &str, content: String| {
        let path = std::path::PathBuf::from(format!("/proc/{pid}/{file}"));
        std::fs::write(&path, content)
            .map_err(|e| SandboxError::host(HostStep::WriteIdMap(path), e))
    };
    if sandbox.rootless {
        // An unprivileged engine may map one id, its own, and only with setgroups denied: the
        // program's ids inside are the engine's on the host, and the namespace has no root.
        write("uid_map", format!("{inside_uid} {} 1\n", c.host_uid))?;
        write("setgroups", "deny".to_owned())?;
        return write("gid_map", format!("{inside_gid} {} 1\n", c.host_gid));
    }
    write(
        "uid_map",
        format!("0 {} 1\n{} {} 1\n", c.init_host_uid, inside_uid, c.host_uid),
    )?;
    write("setgroups", "deny".to_owned())?;
    write(
        "gid_map",
        format!("0 {} 1\n{} {} 1\n", c.init_host_gid, inside_gid, c.host_gid),
    )
}

/// Turn what was observed into the run's result, or the child's error.
pub(crate) fn finish(
    prepared: &Prepared,
    watch: Watch,
    init_status: i32,
    init_usage: &libc::rusage,
    accounting: Option<Accounting>,
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
    let mut result = match watch.exited {
        Some(rec) => RunResult {
            status: ExitStatus::from_wait(rec.status),
            cpu_time: Duration::from_micros(rec.utime_us + rec.stime_us),
            wall_time: Duration::from_nanos(rec.wall_ns),
            memory: rec.maxrss_kib * 1024,
            killed_by: watch.killed,
            oom_killed: false,
            ended: watch.ended.unwrap_or_else(Instant::now),
            captured: None,
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
            ended: Instant::now(),
            captured: None,
        },
    };
    if let Some(accounting) = accounting {
        result.cpu_time = accounting.cpu;
        if let Some(peak) = accounting.memory {
            result.memory = peak;
        }
        result.oom_killed = accounting.oom_kills > 0;
    }
    Ok(result)
}

fn tv(t: &libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

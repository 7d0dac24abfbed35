//! Thin wrappers over the raw system calls the sandbox needs and libc does not wrap, or wraps in a
//! way that is unsafe after clone (glibc's `fork` runs atfork handlers and takes locks).
//!
//! Everything here is usable in the child after clone: no allocation, no locks, no panics. Each
//! wrapper returns the errno on failure.

use std::ffi::CStr;
use std::os::fd::RawFd;

use super::stage::{Record, Stage};

/// The calling thread's errno.
pub(crate) fn errno() -> i32 {
    // SAFETY: __errno_location returns the calling thread's errno slot, valid for the thread's
    // lifetime; after clone the child's thread pointer still addresses its copy of that slot.
    unsafe { *libc::__errno_location() }
}

/// Turn a `-1 and errno` return into a Result.
pub(crate) fn check(rc: libc::c_long) -> Result<libc::c_long, i32> {
    if rc == -1 {
        Err(errno())
    } else {
        Ok(rc)
    }
}

/// clone3's flag to start the child in the cgroup `cgroup` names (libc's constant is too narrow).
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// The kernel's `struct clone_args` (v2, with `cgroup`).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// Create a child process that continues on a copy of the caller's stack, like fork but with
/// `flags` (namespaces) and, where given, born inside the cgroup `cgroup_fd` (clone3 only).
/// Returns 0 in the child and the child's pid in the parent.
///
/// Uses clone3 and falls back to clone when the kernel lacks it; the fallback cannot place the
/// child in a cgroup, which the caller learns from `Err(ENOSYS)` when it asked for that.
pub(crate) fn clone_process(flags: u64, cgroup_fd: Option<RawFd>) -> Result<libc::pid_t, i32> {
    let mut args = CloneArgs {
        flags,
        exit_signal: libc::SIGCHLD as u64,
        ..CloneArgs::default()
    };
    if let Some(fd) = cgroup_fd {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = fd as u64;
    }
    // SAFETY: clone3 without CLONE_VM gives the child a copy of our address space, so returning
    // into this frame in both processes is sound (the same contract as fork). `args` outlives the
    // call and its size is passed along.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    match check(rc) {
        Ok(pid) => Ok(pid as libc::pid_t),
        Err(libc::ENOSYS) if cgroup_fd.is_none() => {
            // SAFETY: as above; clone with a null stack behaves like fork with extra flags.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_clone,
                    flags | libc::SIGCHLD as u64,
                    0usize,
                    0usize,
                    0usize,
                    0usize,
                )
            };
            check(rc).map(|pid| pid as libc::pid_t)
        }
        Err(e) => Err(e),
    }
}

/// Whether this process may create namespaces `flags`: a child is cloned into them and exits at
/// once. The kernel's answer, whatever its version or policy (sysctls, AppArmor, a container's
/// seccomp profile), is the errno of that clone.
pub(crate) fn probe_namespaces(flags: u64) -> Result<(), nix::errno::Errno> {
    let no_copy = crate::hostdir::cloning();
    let pid = clone_process(flags, None);
    if let Ok(0) = pid {
        exit(0);
    }
    drop(no_copy);
    let pid = pid.map_err(nix::errno::Errno::from_raw)?;
    nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None)?;
    Ok(())
}

/// A plain fork for the sandbox init: the raw clone system call, without glibc's atfork handlers.
pub(crate) fn fork() -> Result<libc::pid_t, i32> {
    // SAFETY: clone with SIGCHLD and a null stack is fork; the child continues on its own copy of
    // this stack.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::SIGCHLD as u64,
            0usize,
            0usize,
            0usize,
            0usize,
        )
    };
    check(rc).map(|pid| pid as libc::pid_t)
}

/// Send one record over the sync socket. Child side.
pub(crate) fn send_record(fd: RawFd, record: &Record) {
    let bytes = record.as_bytes();
    // SAFETY: `bytes` is a valid buffer of Record::SIZE bytes. A failed write cannot be reported
    // anywhere; the parent then sees the child die without a record.
    unsafe {
        libc::write(fd, bytes.as_ptr().cast(), bytes.len());
    }
}

/// Report a failed stage to the parent and exit. Child side.
pub(crate) fn fail(fd: RawFd, stage: Stage, index: u32, errno: i32) -> ! {
    send_record(fd, &Record::error(stage, index, errno));
    exit(1)
}

/// `_exit`: leave without running any of the engine's exit handlers.
pub(crate) fn exit(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

/// CLOCK_MONOTONIC in nanoseconds (vDSO, no lock).
pub(crate) fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to fill; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// The kernel's `struct sigaction` for rt_sigaction (glibc's differs in layout).
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// Reset every signal to its default action and unblock all of them, so the program starts
/// clean whatever the engine's threads had installed or blocked. Child side.
pub(crate) fn reset_signals() -> Result<(), i32> {
    let default = KernelSigaction {
        handler: libc::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    let mut sig: libc::c_long = 1;
    while sig <= 64 {
        if sig != libc::SIGKILL as libc::c_long && sig != libc::SIGSTOP as libc::c_long {
            // SAFETY: `default` is a valid kernel sigaction; the old action is not requested.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_rt_sigaction,
                    sig,
                    &default as *const KernelSigaction,
                    0usize,
                    8usize,
                )
            };
            check(rc)?;
        }
        sig += 1;
    }
    let empty: u64 = 0;
    // SAFETY: an 8-byte empty kernel sigset; the old mask is not requested.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            &empty as *const u64,
            0usize,
            8usize,
        )
    };
    check(rc).map(|_| ())
}

/// Close the standard streams, 0 to 2. Child side: the reaper, once the program has its own
/// copies, so that a program closing one (an interactor closing its stdout) is seen at once as
/// the end of that stream.
pub(crate) fn close_stdio() {
    // SAFETY: close_range on 0-2 only closes descriptors; the caller never uses them again.
    unsafe { libc::syscall(libc::SYS_close_range, 0u32, 2u32, 0u32) };
}

/// Close every descriptor from `first` up. Child side.
pub(crate) fn close_from(first: u32) -> Result<(), i32> {
    // SAFETY: close_range only closes descriptors; nothing in the child refers to them after.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, u32::MAX, 0u32) };
    match check(rc) {
        Ok(_) => Ok(()),
        Err(libc::ENOSYS) => {
            // Kernels before 5.9: close one by one up to the descriptor limit.
            let mut fd = first as i32;
            while fd < 65536 {
                // SAFETY: closing a descriptor number; EBADF for unused ones is ignored.
                unsafe { libc::close(fd) };
                fd += 1;
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Write `bytes` to an existing file (a sysctl). Child side.
pub(crate) fn write_file(path: &CStr, bytes: &[u8]) -> Result<(), i32> {
    // SAFETY: `path` is NUL-terminated.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
    check(fd as libc::c_long)?;
    // SAFETY: writing from a valid buffer to the descriptor just opened, then closing it.
    let (n, errno) = unsafe {
        let n = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        let errno = errno();
        libc::close(fd);
        (n, errno)
    };
    if n < 0 {
        return Err(errno);
    }
    Ok(())
}

/// `mount(2)` with optional arguments as raw pointers. Child side.
pub(crate) fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: libc::c_ulong,
    data: Option<&CStr>,
) -> Result<(), i32> {
    let ptr = |s: Option<&CStr>| s.map_or(std::ptr::null(), |s| s.as_ptr());
    // SAFETY: every pointer is null or a NUL-terminated string that outlives the call.
    let rc = unsafe {
        libc::mount(
            ptr(source),
            target.as_ptr(),
            ptr(fstype),
            flags,
            ptr(data).cast(),
        )
    };
    check(rc as libc::c_long).map(|_| ())
}

/// The kernel's `struct statfs` on 64-bit targets (glibc's hides `f_flags`, and its statvfs may
/// fall back to reading /proc/mounts with malloc).
#[repr(C)]
struct KernelStatfs {
    f_type: i64,
    f_bsize: i64,
    f_blocks: u64,
    f_bfree: u64,
    f_bavail: u64,
    f_files: u64,
    f_ffree: u64,
    f_fsid: [i32; 2],
    f_namelen: i64,
    f_frsize: i64,
    f_flags: i64,
    f_spare: [i64; 4],
}

/// The per-mount flags of the mount at `path` (statfs `f_flags`, which use the `MS_*` values).
pub(crate) fn mount_flags(path: &CStr) -> Result<libc::c_ulong, i32> {
    let mut st = std::mem::MaybeUninit::<KernelStatfs>::zeroed();
    // SAFETY: `path` is NUL-terminated and `st` is a writable buffer of the kernel's layout.
    let rc = unsafe { libc::syscall(libc::SYS_statfs, path.as_ptr(), st.as_mut_ptr()) };
    check(rc)?;
    // SAFETY: statfs succeeded, so the buffer is initialised (and was zeroed before).
    let st = unsafe { st.assume_init() };
    Ok(st.f_flags as libc::c_ulong)
}

/// Bring up the loopback interface of the calling process's network namespace (needs
/// CAP_NET_ADMIN over it). Raw system calls on the stack only: usable after clone.
pub(crate) fn loopback_up() -> Result<(), i32> {
    // SAFETY: socket with integer arguments.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(errno());
    }
    // SAFETY: ifreq is plain old data; all zeroes is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo\0") {
        *slot = *byte as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS fills the ifreq on our stack, named by its NUL-terminated name.
    let rc = unsafe { libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut request) };
    let result = if rc < 0 {
        Err(errno())
    } else {
        // SAFETY: after SIOCGIFFLAGS the union holds the flags.
        unsafe {
            request.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        }
        // SAFETY: SIOCSIFFLAGS reads the ifreq on our stack.
        let rc = unsafe { libc::ioctl(fd, libc::SIOCSIFFLAGS, &request) };
        if rc < 0 {
            Err(errno())
        } else {
            Ok(())
        }
    };
    // SAFETY: closing the socket we opened.
    unsafe { libc::close(fd) };
    result
}

//! The system-call allowlist, compiled to seccomp BPF with seccompiler.
//!
//! A [`SyscallFilter`] is built once (per language profile) and shared: it holds three compiled
//! BPF programs that the child installs just before execve.
//! 1. `clone3` answers ENOSYS, so glibc falls back to `clone`, whose flags a classic BPF filter
//!    can inspect (clone3 passes them in memory, out of the filter's reach).
//! 2. A socket of any family but `AF_UNIX` answers EAFNOSUPPORT: runtimes that probe for IPv6
//!    (the JVM) carry on, and nothing reaches a network (the namespace has none anyway).
//! 3. The allowlist: every listed call is allowed (some only with safe arguments), anything else
//!    kills the whole process with SIGSYS, which the result reports as "disallowed system call".
//!
//! The kernel runs every installed filter and takes the most severe verdict, so the first two
//! programs win over the allowlist for those calls only. Calls a hostile program would use against the host
//! (`mount`, `unshare`, `setns`, `ptrace`, `bpf`, `perf_event_open`, `io_uring_*`, `keyctl`, ...)
//! are on [`NEVER_ALLOWED`] and cannot be added by a profile.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use syscalls::Sysno;

/// The calls that statically and dynamically linked C/C++ programs, Python 3 and Java 17 make,
/// compilers included (they fork and exec their passes). Names missing on the host architecture
/// are skipped.
pub const BASE: &[&str] = &[
    // files and descriptors
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "open",
    "openat",
    "close",
    "close_range",
    "creat",
    "lseek",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "flock",
    "fsync",
    "fdatasync",
    "ftruncate",
    "truncate",
    "fallocate",
    "fadvise64",
    "sendfile",
    "copy_file_range",
    "splice",
    "tee",
    "pipe",
    "pipe2",
    "stat",
    "fstat",
    "lstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "getdents",
    "getdents64",
    "getcwd",
    "chdir",
    "fchdir",
    "mkdir",
    "mkdirat",
    "rmdir",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "umask",
    "utime",
    "utimes",
    "utimensat",
    "futimesat",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "ioctl",
    "memfd_create",
    "eventfd",
    "eventfd2",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    "inotify_init1",
    "inotify_add_watch",
    "inotify_rm_watch",
    // memory
    "brk",
    "mmap",
    "munmap",
    "mremap",
    "mprotect",
    "madvise",
    "msync",
    "mincore",
    "mlock",
    "munlock",
    "membarrier",
    "get_mempolicy",
    // processes and threads
    "clone",
    "clone3",
    "fork",
    "vfork",
    "execve",
    "exit",
    "exit_group",
    "wait4",
    "waitid",
    "kill",
    "tkill",
    "tgkill",
    "getpid",
    "getppid",
    "gettid",
    "getpgrp",
    "getpgid",
    "setpgid",
    "getsid",
    "setsid",
    "set_tid_address",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "arch_prctl",
    "prctl",
    "futex",
    "futex_waitv",
    "sched_yield",
    "sched_getaffinity",
    "sched_setaffinity",
    "sched_getparam",
    "sched_getscheduler",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getattr",
    "getpriority",
    "getrlimit",
    "setrlimit",
    "prlimit64",
    "getrusage",
    "times",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "getgroups",
    "capget",
    // signals
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_tgsigqueueinfo",
    "sigaltstack",
    "pause",
    "alarm",
    "setitimer",
    "getitimer",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_getoverrun",
    "timer_delete",
    // time and system information
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "nanosleep",
    "gettimeofday",
    "time",
    "uname",
    "sysinfo",
    "getrandom",
    "getcpu",
    // waiting on descriptors
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    // local sockets only (see the argument rules below)
    "socket",
    "socketpair",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "getsockname",
    "getpeername",
    "getsockopt",
    "setsockopt",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "shutdown",
    // SysV IPC and POSIX queues live in the run's own IPC namespace
    "shmget",
    "shmat",
    "shmdt",
    "shmctl",
    "semget",
    "semop",
    "semtimedop",
    "semctl",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
];

/// Calls no profile may allow: each is a way to attack the host, another sandbox or the kernel.
pub const NEVER_ALLOWED: &[&str] = &[
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "process_madvise",
    "pidfd_getfd",
    "bpf",
    "perf_event_open",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "keyctl",
    "add_key",
    "request_key",
    "userfaultfd",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "sethostname",
    "setdomainname",
    "acct",
    "quotactl",
    "open_by_handle_at",
    "name_to_handle_at",
    "syslog",
    "iopl",
    "ioperm",
    "personality",
    "lookup_dcookie",
    "vhangup",
    "mknod",
    "mknodat",
    "fanotify_init",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setgroups",
    "setfsuid",
    "setfsgid",
    "capset",
    "seccomp",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "kcmp",
    "move_pages",
    "migrate_pages",
    "mbind",
    "set_mempolicy",
    "landlock_create_ruleset",
    "nfsservctl",
    "uselib",
    "ustat",
    "sysfs",
    "_sysctl",
    "vm86",
    "vm86old",
    "modify_ldt",
    "lsm_set_self_attr",
];

/// The clone flags that create namespaces; a sandboxed clone may not carry any of them.
const CLONE_NAMESPACE_FLAGS: u64 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWCGROUP) as u64;

/// Terminal ioctls that inject input or talk to the console.
const TIOCSTI: u64 = 0x5412;
const TIOCLINUX: u64 = 0x541C;

/// A compiled system-call allowlist, shared by every run that uses it.
pub struct SyscallFilter {
    allowed: Vec<Sysno>,
    programs: [BpfProgram; 3],
}

impl std::fmt::Debug for SyscallFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyscallFilter")
            .field("allowed", &self.allowed.len())
            .finish()
    }
}

/// Why an allowlist cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("unknown system call {0:?} on {arch}", arch = std::env::consts::ARCH)]
    Unknown(String),
    #[error("system call {0:?} is never allowed: it can attack the host")]
    Forbidden(String),
    #[error("seccomp filters are not supported on {0}")]
    Arch(&'static str),
    #[error("compiling the seccomp filter: {0}")]
    Compile(String),
}

impl SyscallFilter {
    /// The shared base allowlist.
    pub fn base() -> Arc<SyscallFilter> {
        static BASE_FILTER: OnceLock<Arc<SyscallFilter>> = OnceLock::new();
        BASE_FILTER
            .get_or_init(|| {
                Arc::new(
                    SyscallFilter::with_extra::<&str>(&[])
                        .expect("the base allowlist compiles on this architecture"),
                )
            })
            .clone()
    }

    /// The base allowlist plus `extra` system calls, by name.
    pub fn with_extra<S: AsRef<str>>(extra: &[S]) -> Result<SyscallFilter, FilterError> {
        let mut allowed: Vec<Sysno> = BASE
            .iter()
            .filter_map(|name| Sysno::from_str(name).ok())
            .collect();
        for name in extra {
            allowed.push(resolve(name.as_ref())?);
        }
        SyscallFilter::from_sysnos(allowed)
    }

    /// Exactly these system calls (argument rules still apply to clone and ioctl).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<SyscallFilter, FilterError> {
        let allowed = names
            .iter()
            .map(|n| resolve(n.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        SyscallFilter::from_sysnos(allowed)
    }

    /// The base allowlist with sockets of any address family. For tests that show the network
    /// namespace, not the filter, keeps a program off the host's network.
    pub fn base_with_any_socket() -> Result<SyscallFilter, FilterError> {
        let mut filter = SyscallFilter::with_extra::<&str>(&[])?;
        filter.programs[1] = compile(
            BTreeMap::new(),
            SeccompAction::Allow,
            SeccompAction::KillProcess,
        )?;
        Ok(filter)
    }

    /// No allowlist at all (clone3 still answers ENOSYS). Only for tests of the layers under
    /// seccomp (capabilities, namespaces, mounts): never for a submission.
    pub fn unconfined() -> Result<SyscallFilter, FilterError> {
        let mut filter = SyscallFilter::with_extra::<&str>(&[])?;
        filter.programs[2] = compile(
            BTreeMap::new(),
            SeccompAction::Allow,
            SeccompAction::KillProcess,
        )?;
        Ok(filter)
    }

    fn from_sysnos(mut allowed: Vec<Sysno>) -> Result<SyscallFilter, FilterError> {
        allowed.sort();
        allowed.dedup();
        let mut filter = SyscallFilter {
            allowed,
            programs: [Vec::new(), Vec::new(), Vec::new()],
        };
        let allowlist = compile(
            filter.rules(true)?,
            SeccompAction::KillProcess,
            SeccompAction::Allow,
        )?;
        let mut clone3 = BTreeMap::new();
        clone3.insert(Sysno::clone3.id() as i64, Vec::new());
        let clone3 = compile(
            clone3,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::ENOSYS as u32),
        )?;
        let mut sockets = BTreeMap::new();
        for sysno in [Sysno::socket, Sysno::socketpair] {
            let other_family = SeccompCondition::new(
                0,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::Ne,
                libc::AF_UNIX as u64,
            )
            .and_then(|c| SeccompRule::new(vec![c]))
            .map_err(|e| FilterError::Compile(e.to_string()))?;
            sockets.insert(sysno.id() as i64, vec![other_family]);
        }
        let sockets = compile(
            sockets,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::EAFNOSUPPORT as u32),
        )?;
        // The allowlist goes in last: once it is in, `seccomp` itself is disallowed.
        filter.programs = [clone3, sockets, allowlist];
        Ok(filter)
    }

    /// The allowlist's rules: each allowed call with its argument rules (`restricted`), or none.
    fn rules(&self, restricted: bool) -> Result<BTreeMap<i64, Vec<SeccompRule>>, FilterError> {
        let mut rules = BTreeMap::new();
        for sysno in &self.allowed {
            let args = if restricted {
                argument_rules(*sysno)?
            } else {
                Vec::new()
            };
            rules.insert(sysno.id() as i64, args);
        }
        Ok(rules)
    }

    /// Whether `name` is on the list.
    pub fn allows(&self, name: &str) -> bool {
        Sysno::from_str(name).is_ok_and(|s| self.allowed.binary_search(&s).is_ok())
    }

    /// The programs as bytes, in installation order, for a reused environment's init.
    pub(crate) fn program_bytes(&self) -> Vec<Vec<u8>> {
        self.programs
            .iter()
            .map(|p| {
                p.iter()
                    .flat_map(|i| {
                        let mut b = [0u8; 8];
                        b[..2].copy_from_slice(&i.code.to_ne_bytes());
                        b[2] = i.jt;
                        b[3] = i.jf;
                        b[4..].copy_from_slice(&i.k.to_ne_bytes());
                        b
                    })
                    .collect()
            })
            .collect()
    }

    /// The programs in a form the child can hand to the kernel. The result borrows `self`.
    pub(crate) fn fprogs(&self) -> [libc::sock_fprog; 3] {
        self.programs.each_ref().map(|p| libc::sock_fprog {
            // The kernel caps a filter at 4096 instructions; ours stay far below.
            len: p.len() as u16,
            // seccompiler's sock_filter is repr(C) with the kernel's layout, as libc's is.
            filter: p.as_ptr() as *mut libc::sock_filter,
        })
    }
}

fn resolve(name: &str) -> Result<Sysno, FilterError> {
    if NEVER_ALLOWED.contains(&name) {
        return Err(FilterError::Forbidden(name.to_owned()));
    }
    Sysno::from_str(name).map_err(|_| FilterError::Unknown(name.to_owned()))
}

fn compile(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<BpfProgram, FilterError> {
    SeccompFilter::new(rules, mismatch, matched, target_arch()?)
        .and_then(BpfProgram::try_from)
        .map_err(|e| FilterError::Compile(e.to_string()))
}

fn target_arch() -> Result<TargetArch, FilterError> {
    match std::env::consts::ARCH {
        "x86_64" => Ok(TargetArch::x86_64),
        "aarch64" => Ok(TargetArch::aarch64),
        "riscv64" => Ok(TargetArch::riscv64),
        other => Err(FilterError::Arch(other)),
    }
}

/// Argument rules for the calls that are safe only with some arguments. An empty list allows the
/// call whatever its arguments.
fn argument_rules(sysno: Sysno) -> Result<Vec<SeccompRule>, FilterError> {
    let compile = |e: seccompiler::BackendError| FilterError::Compile(e.to_string());
    let cond =
        |arg: u8, len, op, value| SeccompCondition::new(arg, len, op, value).map_err(compile);
    let rule = |conds: Vec<SeccompCondition>| SeccompRule::new(conds).map_err(compile);
    use SeccompCmpArgLen::{Dword, Qword};
    match sysno {
        // No new namespaces: fork and threads only.
        Sysno::clone => Ok(vec![rule(vec![cond(
            0,
            Qword,
            SeccompCmpOp::MaskedEq(CLONE_NAMESPACE_FLAGS),
            0,
        )?])?]),
        // No typing into a terminal, no console control.
        Sysno::ioctl => Ok(vec![rule(vec![
            cond(1, Dword, SeccompCmpOp::Ne, TIOCSTI)?,
            cond(1, Dword, SeccompCmpOp::Ne, TIOCLINUX)?,
        ])?]),
        _ => Ok(Vec::new()),
    }
}

/// Install the filters in the calling process. Child side: a raw system call on data prepared
/// before clone; returns the errno on failure.
pub(crate) fn install(fprogs: &[libc::sock_fprog]) -> Result<(), i32> {
    for fprog in fprogs {
        // SAFETY: `fprog` points at a BPF program that the parent compiled and keeps alive (the
        // child's copy of its memory); the kernel copies it during the call.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                fprog as *const libc::sock_fprog,
            )
        };
        if rc != 0 {
            return Err(super::sys::errno());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_compiles_and_allows_the_basics() {
        let base = SyscallFilter::base();
        for name in [
            "read",
            "write",
            "mmap",
            "execve",
            "exit_group",
            "clone",
            "futex",
        ] {
            assert!(base.allows(name), "{name} missing from base");
        }
    }

    #[test]
    fn base_contains_nothing_never_allowed() {
        let base = SyscallFilter::base();
        for name in NEVER_ALLOWED {
            assert!(!base.allows(name), "{name} is in the base allowlist");
        }
    }

    #[test]
    fn forbidden_extra_is_an_error() {
        let err = SyscallFilter::with_extra(&["ptrace"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "system call \"ptrace\" is never allowed: it can attack the host"
        );
    }

    #[test]
    fn unknown_extra_is_an_error() {
        let err = SyscallFilter::with_extra(&["frobnicate"]).unwrap_err();
        assert!(matches!(err, FilterError::Unknown(n) if n == "frobnicate"));
    }

    #[test]
    fn extra_is_added() {
        let base = SyscallFilter::base();
        assert!(!base.allows("sync"));
        let more = SyscallFilter::with_extra(&["sync"]).unwrap();
        assert!(more.allows("sync"));
    }

    #[test]
    fn programs_fit_the_kernel_limit() {
        let base = SyscallFilter::base();
        for prog in base.fprogs() {
            assert!(prog.len > 0 && prog.len <= 4096);
        }
    }
}

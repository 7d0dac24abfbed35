//! The system-call allowlist, compiled to seccomp BPF with seccompiler.
//!
//! A [`SyscallFilter`] is built once (per language profile) and shared: it holds four compiled
//! BPF programs that the child installs just before execve.
//! 1. `clone3` answers ENOSYS, so glibc falls back to `clone`, whose flags a classic BPF filter
//!    can inspect (clone3 passes them in memory, out of the filter's reach).
//! 2. A socket of any family but `AF_UNIX` answers EAFNOSUPPORT: runtimes that probe for IPv6
//!    (the JVM) carry on, and nothing reaches a network (the namespace has none anyway).
//! 3. `fallocate` with any mode but 0 answers EOPNOTSUPP: `FALLOC_FL_KEEP_SIZE` would reserve
//!    host disk blocks past `RLIMIT_FSIZE` (the size never grows, so the limit never fires); mode
//!    0 grows the file and obeys the limit, and glibc's `posix_fallocate` falls back to writing.
//! 4. The allowlist: every listed call is allowed (some only with safe arguments), anything else
//!    kills the whole process with SIGSYS, which the result reports as "disallowed system call".
//!
//! A reused environment's init installs its filter once, in itself, and its spares inherit it
//! ([`SyscallFilter::env_program_bytes`]): that variant also allows the calls the init makes
//! ([`INIT_NEEDS`]), and `setresuid`/`setresgid` only with the program's own ids, with which a
//! spare leaves the init's user (a no-op for the program, which has those ids already).
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
    // the kernel restarts a sleep a signal interrupted through it (Go's preemption signals)
    "restart_syscall",
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

/// The calls a reused environment's init and its spares make, allowed in an environment's
/// filter whatever the profile's list (all in [`BASE`] but `signalfd4`).
pub const INIT_NEEDS: &[&str] = &[
    "read",
    "write",
    "pwrite64",
    "openat",
    "close",
    "close_range",
    "fcntl",
    "lseek",
    "fstat",
    "newfstatat",
    "statx",
    "statfs",
    "getdents64",
    "unlinkat",
    "rmdir",
    "unlink",
    "chmod",
    "fchmodat",
    "utimensat",
    "mmap",
    "munmap",
    "mremap",
    "brk",
    "madvise",
    "futex",
    "poll",
    "ppoll",
    "signalfd4",
    "rt_sigaction",
    "rt_sigprocmask",
    "wait4",
    "waitid",
    "clone",
    "socketpair",
    "sendmsg",
    "recvmsg",
    "dup2",
    "dup3",
    "setsid",
    "prlimit64",
    "setrlimit",
    "chdir",
    "execve",
    "getpid",
    "clock_nanosleep",
    "nanosleep",
    "shmctl",
    "semctl",
    "msgctl",
    "exit",
    "exit_group",
    "sigaltstack",
    "getrandom",
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

/// How many BPF programs a filter installs.
const PROGRAMS: usize = 4;

/// What kind of filter: the real allowlist, or one of the test-only variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Allowlist,
    /// The allowlist, with `AF_INET` and `AF_INET6` sockets besides `AF_UNIX`
    /// ([`Network::Loopback`](super::Network::Loopback)).
    Inet,
    AnySocket,
    Unconfined,
}

/// The programs of a filter's reused-environment variant, and the ids they were made for.
type EnvPrograms = ((u32, u32), Vec<Vec<u8>>);

/// A compiled system-call allowlist, shared by every run that uses it.
pub struct SyscallFilter {
    allowed: Vec<Sysno>,
    kind: Kind,
    programs: [BpfProgram; PROGRAMS],
    /// The reused-environment variant, compiled on first use for one pair of ids.
    env: std::sync::Mutex<Option<EnvPrograms>>,
    /// The variant with internet sockets, compiled on first use (for a loopback network).
    inet: std::sync::OnceLock<Box<SyscallFilter>>,
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

    /// Every call any of `filters` allows (their argument rules still apply): one allowlist for
    /// a service whose clients run the programs of many profiles in one environment.
    pub fn union<'a>(
        filters: impl IntoIterator<Item = &'a SyscallFilter>,
    ) -> Result<SyscallFilter, FilterError> {
        let mut allowed = SyscallFilter::base().allowed.clone();
        for filter in filters {
            allowed.extend_from_slice(&filter.allowed);
        }
        SyscallFilter::from_sysnos(allowed)
    }

    /// The base allowlist with sockets of any address family. For tests that show the network
    /// namespace, not the filter, keeps a program off the host's network.
    pub fn base_with_any_socket() -> Result<SyscallFilter, FilterError> {
        SyscallFilter::build(SyscallFilter::base().allowed.clone(), Kind::AnySocket)
    }

    /// No allowlist at all (clone3 still answers ENOSYS). Only for tests of the layers under
    /// seccomp (capabilities, namespaces, mounts): never for a submission.
    pub fn unconfined() -> Result<SyscallFilter, FilterError> {
        SyscallFilter::build(SyscallFilter::base().allowed.clone(), Kind::Unconfined)
    }

    fn from_sysnos(allowed: Vec<Sysno>) -> Result<SyscallFilter, FilterError> {
        SyscallFilter::build(allowed, Kind::Allowlist)
    }

    fn build(mut allowed: Vec<Sysno>, kind: Kind) -> Result<SyscallFilter, FilterError> {
        allowed.sort();
        allowed.dedup();
        let programs = compile_programs(&allowed, kind, None)?;
        Ok(SyscallFilter {
            allowed,
            kind,
            programs,
            env: std::sync::Mutex::new(None),
            inet: std::sync::OnceLock::new(),
        })
    }

    /// The filter a run with `network` gets: this one, or for a loopback network its variant
    /// that also allows `AF_INET` and `AF_INET6` sockets (compiled once).
    pub fn for_network(&self, network: super::Network) -> Result<&SyscallFilter, FilterError> {
        if network == super::Network::None || self.kind != Kind::Allowlist {
            return Ok(self);
        }
        if let Some(inet) = self.inet.get() {
            return Ok(inet);
        }
        let built = Box::new(SyscallFilter::build(self.allowed.clone(), Kind::Inet)?);
        Ok(self.inet.get_or_init(|| built))
    }

    /// The programs of this filter's reused-environment variant (see the module comment), as
    /// bytes in installation order, for an environment whose programs run as `uid`/`gid`.
    pub(crate) fn env_program_bytes(
        &self,
        uid: u32,
        gid: u32,
    ) -> Result<Vec<Vec<u8>>, FilterError> {
        let mut cache = self.env.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((ids, bytes)) = cache.as_ref() {
            if *ids == (uid, gid) {
                return Ok(bytes.clone());
            }
        }
        let mut allowed = self.allowed.clone();
        allowed.extend(INIT_NEEDS.iter().filter_map(|n| Sysno::from_str(n).ok()));
        allowed.sort();
        allowed.dedup();
        let programs = compile_programs(&allowed, self.kind, Some((uid, gid)))?;
        let bytes: Vec<Vec<u8>> = programs.iter().map(program_bytes).collect();
        *cache = Some(((uid, gid), bytes.clone()));
        Ok(bytes)
    }

    /// Whether `name` is on the list.
    pub fn allows(&self, name: &str) -> bool {
        Sysno::from_str(name).is_ok_and(|s| self.allowed.binary_search(&s).is_ok())
    }

    /// The programs in a form the child can hand to the kernel. The result borrows `self`.
    pub(crate) fn fprogs(&self) -> [libc::sock_fprog; PROGRAMS] {
        self.programs.each_ref().map(|p| libc::sock_fprog {
            // The kernel caps a filter at 4096 instructions; ours stay far below.
            len: p.len() as u16,
            // seccompiler's sock_filter is repr(C) with the kernel's layout, as libc's is.
            filter: p.as_ptr() as *mut libc::sock_filter,
        })
    }
}

/// A program as bytes (8 an instruction, the kernel's `sock_filter` layout).
fn program_bytes(program: &BpfProgram) -> Vec<u8> {
    program
        .iter()
        .flat_map(|i| {
            let mut b = [0u8; 8];
            b[..2].copy_from_slice(&i.code.to_ne_bytes());
            b[2] = i.jt;
            b[3] = i.jf;
            b[4..].copy_from_slice(&i.k.to_ne_bytes());
            b
        })
        .collect()
}

/// The four programs of a filter allowing `allowed` (see the module comment); with `env_ids`,
/// the reused-environment variant for programs running as those ids.
fn compile_programs(
    allowed: &[Sysno],
    kind: Kind,
    env_ids: Option<(u32, u32)>,
) -> Result<[BpfProgram; PROGRAMS], FilterError> {
    let rule = |conds: Vec<SeccompCondition>| {
        SeccompRule::new(conds).map_err(|e| FilterError::Compile(e.to_string()))
    };
    let cond = |arg: u8, op, value: u64| {
        SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value)
            .map_err(|e| FilterError::Compile(e.to_string()))
    };
    let mut clone3 = BTreeMap::new();
    clone3.insert(Sysno::clone3.id() as i64, Vec::new());
    let clone3 = compile(
        clone3,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
    )?;
    let mut sockets = BTreeMap::new();
    if kind != Kind::AnySocket {
        let mut families = vec![libc::AF_UNIX];
        if kind == Kind::Inet {
            families.extend([libc::AF_INET, libc::AF_INET6]);
        }
        for sysno in [Sysno::socket, Sysno::socketpair] {
            let other_family = families
                .iter()
                .map(|&f| cond(0, SeccompCmpOp::Ne, f as u64))
                .collect::<Result<Vec<_>, _>>()?;
            sockets.insert(sysno.id() as i64, vec![rule(other_family)?]);
        }
    }
    let sockets = compile(
        sockets,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EAFNOSUPPORT as u32),
    )?;
    let mut fallocate = BTreeMap::new();
    fallocate.insert(
        Sysno::fallocate.id() as i64,
        vec![rule(vec![cond(1, SeccompCmpOp::Ne, 0)?])?],
    );
    let fallocate = compile(
        fallocate,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EOPNOTSUPP as u32),
    )?;
    let mut rules = BTreeMap::new();
    if kind != Kind::Unconfined {
        for sysno in allowed {
            rules.insert(sysno.id() as i64, argument_rules(*sysno)?);
        }
        if let Some((uid, gid)) = env_ids {
            for (sysno, id) in [(Sysno::setresuid, uid), (Sysno::setresgid, gid)] {
                let own = rule(vec![
                    cond(0, SeccompCmpOp::Eq, id.into())?,
                    cond(1, SeccompCmpOp::Eq, id.into())?,
                    cond(2, SeccompCmpOp::Eq, id.into())?,
                ])?;
                rules.insert(sysno.id() as i64, vec![own]);
            }
        }
    }
    let (mismatch, matched) = match kind {
        Kind::Unconfined => (SeccompAction::Allow, SeccompAction::KillProcess),
        _ => (SeccompAction::KillProcess, SeccompAction::Allow),
    };
    let allowlist = compile(rules, mismatch, matched)?;
    // The allowlist goes in last: once it is in, `seccomp` itself is disallowed.
    Ok([clone3, sockets, fallocate, allowlist])
}

fn resolve(name: &str) -> Result<Sysno, FilterError> {
    if NEVER_ALLOWED.contains(&name) {
        return Err(FilterError::Forbidden(name.to_owned()));
    }
    Sysno::from_str(name).map_err(|_| FilterError::Unknown(name.to_owned()))
}

/// The calls the ptrace backend's tracer decides on (see `sandbox/ptrace`): paths, signals to,
/// limits of and facts about other processes, and socket addresses.
pub(crate) const TRACED: &[&str] = &[
    "open",
    "openat",
    "openat2",
    "creat",
    "execve",
    "execveat",
    "stat",
    "lstat",
    "newfstatat",
    "statx",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "chdir",
    "mkdir",
    "mkdirat",
    "rmdir",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "truncate",
    "chmod",
    "fchmodat",
    "chown",
    "lchown",
    "fchownat",
    "utime",
    "utimes",
    "futimesat",
    "utimensat",
    "statfs",
    "getxattr",
    "lgetxattr",
    "listxattr",
    "llistxattr",
    "inotify_add_watch",
    "connect",
    "bind",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "kill",
    "tkill",
    "tgkill",
    "rt_sigqueueinfo",
    "rt_tgsigqueueinfo",
    "prlimit64",
    "sched_setaffinity",
    "sched_getaffinity",
    "sched_getparam",
    "sched_getscheduler",
    "sched_getattr",
    "getpgid",
    "getsid",
];

/// Calls the ptrace backend answers EPERM without a look: links (a link the program made could
/// point its next path anywhere the tracer did not check), device nodes, and SysV IPC, which
/// without an IPC namespace is the host's.
const PTRACE_REFUSED: &[&str] = &[
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "mknod",
    "mknodat",
    "shmget",
    "shmat",
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

/// The two programs the ptrace backend installs after a filter's own: [`TRACED`] calls stop
/// for the tracer (`SECCOMP_RET_TRACE`), [`PTRACE_REFUSED`] ones fail with EPERM; everything
/// else is left to the filter's own programs (the kernel takes the most severe verdict, so a
/// call the allowlist kills is still killed). Compiled once.
pub(crate) fn ptrace_programs() -> Result<&'static [BpfProgram; 2], FilterError> {
    static PROGRAMS: OnceLock<Result<[BpfProgram; 2], String>> = OnceLock::new();
    let built = PROGRAMS.get_or_init(|| {
        let rules = |names: &[&str]| {
            let mut rules = BTreeMap::new();
            for name in names {
                // A name this architecture lacks is simply not there to trace.
                if let Ok(sysno) = Sysno::from_str(name) {
                    rules.insert(sysno.id() as i64, Vec::new());
                }
            }
            rules
        };
        let traced = compile(rules(TRACED), SeccompAction::Allow, SeccompAction::Trace(0));
        let refused = compile(
            rules(PTRACE_REFUSED),
            SeccompAction::Allow,
            SeccompAction::Errno(libc::EPERM as u32),
        );
        match (traced, refused) {
            (Ok(t), Ok(r)) => Ok([t, r]),
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        }
    });
    built.as_ref().map_err(|e| FilterError::Compile(e.clone()))
}

/// A program as the kernel takes it (the program must outlive every use of the result).
pub(crate) fn fprog(program: &BpfProgram) -> libc::sock_fprog {
    libc::sock_fprog {
        len: program.len() as u16,
        // seccompiler's sock_filter is repr(C) with the kernel's layout, as libc's is.
        filter: program.as_ptr() as *mut libc::sock_filter,
    }
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
    fn a_union_allows_what_any_member_allows_and_no_more() {
        let sync = SyscallFilter::with_extra(&["sync"]).unwrap();
        let syncfs = SyscallFilter::with_extra(&["syncfs"]).unwrap();
        let both = SyscallFilter::union([&sync, &syncfs]).unwrap();
        assert!(both.allows("sync") && both.allows("syncfs") && both.allows("read"));
        assert!(!both.allows("acct"));
        assert!(SyscallFilter::union([]).unwrap().allows("read"));
    }

    #[test]
    fn an_environments_filter_lets_only_the_programs_own_ids_through_setresuid() {
        let base = SyscallFilter::base();
        let a = base.env_program_bytes(1000, 1000).unwrap();
        let b = base.env_program_bytes(1001, 1000).unwrap();
        assert_eq!(a.len(), PROGRAMS);
        assert_ne!(a[3], b[3], "the ids are in the allowlist");
        assert_eq!(a[..3], b[..3]);
        assert!(!base.allows("setresuid"), "not in the profile's own list");
    }

    #[test]
    fn programs_fit_the_kernel_limit() {
        let base = SyscallFilter::base();
        for prog in base.fprogs() {
            assert!(prog.len > 0 && prog.len <= 4096);
        }
    }
}

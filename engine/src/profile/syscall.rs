//! System-call allowlists: the base set every program gets, and name-to-number resolution
//! against the host architecture's table from the `syscalls` crate.
//!
//! The base set is what a single-threaded program needs from `execve` to `exit_group`:
//! memory, I/O on inherited and read-only files, time, signals aimed at itself, and the few
//! queries libc and language runtimes make at start-up. It was derived by tracing statically
//! and dynamically linked C, C++ and Rust programs and the CPython interpreter. Process and
//! thread creation are deliberately absent: profiles that need them (compilers, the JVM) add
//! them in `extra`.

use std::str::FromStr;

use syscalls::Sysno;

/// The base allowlist, by name. It is the union over architectures: a name the host's table
/// lacks (`open`, `stat` and `arch_prctl` do not exist on aarch64) is skipped, unlike names a
/// profile writes, which must all exist.
const BASE: &[&str] = &[
    // The sandbox installs the filter before it executes the program.
    "execve",
    "exit",
    "exit_group",
    // Memory.
    "brk",
    "mmap",
    "munmap",
    "mremap",
    "mprotect",
    "madvise",
    // Files: the mounts are read-only, so opening is safe to allow.
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "lseek",
    "close",
    "open",
    "openat",
    "stat",
    "fstat",
    "lstat",
    "newfstatat",
    "statx",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "getcwd",
    "getdents64",
    "fcntl",
    "dup",
    "dup2",
    "dup3",
    // isatty() and terminal queries on the standard streams.
    "ioctl",
    "poll",
    "ppoll",
    // Process start-up: libc, the dynamic loader, thread-local storage.
    "arch_prctl",
    "set_tid_address",
    "set_robust_list",
    "rseq",
    "futex",
    "getrandom",
    "prlimit64",
    "getrlimit",
    "getrusage",
    "sysinfo",
    "uname",
    "sched_yield",
    "sched_getaffinity",
    // Identity queries.
    "getpid",
    "gettid",
    "getppid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    // Signals: handlers, and abort() raising SIGABRT on itself, so a failed assertion is a
    // runtime error rather than a system-call violation.
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "tgkill",
    // Time.
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "times",
    "nanosleep",
    "clock_nanosleep",
];

/// The base allowlist resolved for the host architecture, sorted and without repeats.
pub fn base_syscalls() -> Vec<Sysno> {
    let mut set: Vec<Sysno> = BASE
        .iter()
        .filter_map(|name| Sysno::from_str(name).ok())
        .collect();
    set.sort();
    set.dedup();
    set
}

/// Resolves a system-call name on the host architecture.
pub fn resolve(name: &str) -> Option<Sysno> {
    Sysno::from_str(name).ok()
}

/// Builds a step's allowlist: the base set when `base` is true, plus `extra`, sorted and
/// without repeats. Returns the first unknown name as the error.
pub fn allowlist(base: bool, extra: &[String]) -> Result<Vec<Sysno>, &str> {
    let mut set = if base { base_syscalls() } else { Vec::new() };
    for name in extra {
        set.push(resolve(name).ok_or(name.as_str())?);
    }
    set.sort();
    set.dedup();
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_covers_program_lifecycle() {
        let base = base_syscalls();
        for needed in [
            Sysno::execve,
            Sysno::read,
            Sysno::write,
            Sysno::mmap,
            Sysno::exit_group,
        ] {
            assert!(base.contains(&needed), "{needed} missing from base");
        }
    }

    #[test]
    fn base_excludes_process_creation() {
        let base = base_syscalls();
        for forbidden in [
            Sysno::clone,
            Sysno::clone3,
            Sysno::vfork,
            Sysno::kill,
            Sysno::socket,
        ] {
            assert!(
                !base.contains(&forbidden),
                "{forbidden} must not be in base"
            );
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn base_keeps_arch_specific_names_on_x86_64() {
        assert!(base_syscalls().contains(&Sysno::arch_prctl));
    }

    #[test]
    fn allowlist_adds_extra_and_dedups() {
        let extra = vec!["clone".to_string(), "read".to_string()];
        let list = allowlist(true, &extra).unwrap();
        assert!(list.contains(&Sysno::clone));
        assert_eq!(list.iter().filter(|s| **s == Sysno::read).count(), 1);
        assert!(list.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn allowlist_without_base_is_only_extra() {
        let extra = vec!["write".to_string()];
        assert_eq!(allowlist(false, &extra).unwrap(), vec![Sysno::write]);
    }

    #[test]
    fn unknown_name_is_returned() {
        let extra = vec!["read".to_string(), "frobnicate".to_string()];
        assert_eq!(allowlist(true, &extra), Err("frobnicate"));
    }
}

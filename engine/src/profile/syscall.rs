//! A profile step's system-call allowlist: the sandbox's base list
//! ([`crate::sandbox::seccomp::BASE`], which runs C, C++, Python 3 and Java 17, compilers
//! included) plus the names the profile adds, compiled once to seccomp programs at load.
//!
//! Names are checked against the host architecture's table, and a name on
//! [`crate::sandbox::seccomp::NEVER_ALLOWED`] (`mount`, `ptrace`, `unshare`, ...) is refused:
//! no profile can open a way out of the sandbox.

use std::sync::Arc;

use crate::sandbox::{FilterError, SyscallFilter};

/// Build a step's allowlist: the base list when `base` is true, plus `extra`.
pub fn allowlist(base: bool, extra: &[String]) -> Result<Arc<SyscallFilter>, FilterError> {
    let filter = if base {
        SyscallFilter::with_extra(extra)?
    } else {
        SyscallFilter::from_names(extra)?
    };
    Ok(Arc::new(filter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_covers_programs_threads_and_compilers() {
        let list = allowlist(true, &[]).unwrap();
        for name in [
            "execve",
            "read",
            "mmap",
            "clone",
            "vfork",
            "wait4",
            "exit_group",
        ] {
            assert!(list.allows(name), "{name} missing from base");
        }
    }

    #[test]
    fn extra_is_added() {
        let list = allowlist(true, &["sync".to_string()]).unwrap();
        assert!(list.allows("sync"));
        assert!(!allowlist(true, &[]).unwrap().allows("sync"));
    }

    #[test]
    fn without_base_only_extra() {
        let list = allowlist(false, &["write".to_string()]).unwrap();
        assert!(list.allows("write"));
        assert!(!list.allows("read"));
    }

    #[test]
    fn unknown_and_forbidden_names_are_refused() {
        assert!(matches!(
            allowlist(true, &["frobnicate".to_string()]),
            Err(FilterError::Unknown(n)) if n == "frobnicate"
        ));
        assert!(matches!(
            allowlist(true, &["mount".to_string()]),
            Err(FilterError::Forbidden(n)) if n == "mount"
        ));
    }
}

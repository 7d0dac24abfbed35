//! Capabilities of the sandbox's PID 1, in raw system calls (usable in the child after clone).
//!
//! The child becomes the user namespace's root (mapped to an unprivileged host uid of its own)
//! and builds the sandbox with the namespace's capabilities. Before anything of the program
//! runs, it empties the bounding set (nothing can be gained at an exec) and keeps, in its
//! permitted and effective sets, only what its role as PID 1 needs ([`REAPER`], [`ENV_INIT`]).
//! A program's process gives all of them up by switching to the program's uid: when every uid
//! goes from 0 to another, the kernel clears permitted, effective and ambient capabilities.

use super::sys;

pub(crate) const CAP_DAC_OVERRIDE: u32 = 1;
pub(crate) const CAP_FOWNER: u32 = 3;
pub(crate) const CAP_SETGID: u32 = 6;
pub(crate) const CAP_SETUID: u32 = 7;
pub(crate) const CAP_SETPCAP: u32 = 8;
pub(crate) const CAP_SYS_ADMIN: u32 = 21;

/// A set of capabilities as a bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Caps(pub u64);

impl Caps {
    pub const fn of(caps: &[u32]) -> Caps {
        let mut mask = 0u64;
        let mut i = 0;
        while i < caps.len() {
            mask |= 1 << caps[i];
            i += 1;
        }
        Caps(mask)
    }

    pub const fn with(self, cap: u32) -> Caps {
        Caps(self.0 | 1 << cap)
    }

    /// Only the capabilities this kernel knows (up to `last_cap`).
    pub const fn known(self, last_cap: u32) -> Caps {
        if last_cap >= 63 {
            self
        } else {
            Caps(self.0 & ((1u64 << (last_cap + 1)) - 1))
        }
    }

    pub const fn has(self, cap: u32) -> bool {
        self.0 & (1 << cap) != 0
    }
}

/// A fresh sandbox's PID 1: it forks the program, which switches to the program's user.
pub(crate) const REAPER: Caps = Caps::of(&[CAP_SETGID, CAP_SETUID]);

/// A reused environment's init: switching spares to the program's user, emptying `/tmp` of
/// whatever modes the run left (and resetting its own), removing the run's SysV IPC objects and
/// resetting the PID counter (both CAP_SYS_ADMIN, in the sandbox's own namespaces; the init's
/// seccomp filter keeps `mount` and the like out of its reach anyway).
pub(crate) const ENV_INIT: Caps = Caps::of(&[
    CAP_SETGID,
    CAP_SETUID,
    CAP_DAC_OVERRIDE,
    CAP_FOWNER,
    CAP_SYS_ADMIN,
]);

/// Empty the bounding set but for `keep`, and clear the ambient set.
pub(crate) fn limit_bounding(last_cap: u32, keep: Caps) -> Result<(), i32> {
    let mut cap = 0;
    while cap <= last_cap {
        if !keep.has(cap) {
            // SAFETY: prctl with integer arguments.
            let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) };
            sys::check(rc as libc::c_long)?;
        }
        cap += 1;
    }
    // SAFETY: prctl with integer arguments.
    let rc = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    if rc != 0 && sys::errno() != libc::EINVAL {
        return Err(sys::errno());
    }
    Ok(())
}

/// Set the permitted and effective sets to `keep`, the inheritable set to nothing.
pub(crate) fn set(keep: Caps) -> Result<(), i32> {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    let header = Header {
        version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3: two data words
        pid: 0,
    };
    let low = keep.0 as u32;
    let high = (keep.0 >> 32) as u32;
    let data = [
        Data {
            effective: low,
            permitted: low,
            inheritable: 0,
        },
        Data {
            effective: high,
            permitted: high,
            inheritable: 0,
        },
    ];
    // SAFETY: a version-3 header and two data words, as capset expects.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &header as *const Header, data.as_ptr()) };
    sys::check(rc).map(|_| ())
}

/// Become `uid`/`gid` in every id (real, effective, saved): raw calls, as glibc's wrappers
/// would broadcast the change to threads the child does not have.
pub(crate) fn switch_user(uid: libc::uid_t, gid: libc::gid_t) -> Result<(), i32> {
    // SAFETY: plain id arguments.
    let rc = unsafe { libc::syscall(libc::SYS_setresgid, gid, gid, gid) };
    sys::check(rc)?;
    // SAFETY: plain id arguments.
    let rc = unsafe { libc::syscall(libc::SYS_setresuid, uid, uid, uid) };
    sys::check(rc).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_hold_what_they_name() {
        assert!(REAPER.has(CAP_SETUID) && REAPER.has(CAP_SETGID));
        assert!(!REAPER.has(CAP_DAC_OVERRIDE));
        assert!(ENV_INIT.has(CAP_SYS_ADMIN));
        assert!(!ENV_INIT.known(20).has(CAP_SYS_ADMIN));
        assert!(ENV_INIT.known(40).has(CAP_SYS_ADMIN));
        assert!(ENV_INIT.with(CAP_SETPCAP).has(CAP_SETPCAP));
    }
}

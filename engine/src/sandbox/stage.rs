//! The sync record: the fixed-size message the sandbox child sends its parent.
//!
//! After clone the child can only make raw system calls, so it cannot format an error message. It
//! sends one fixed-size [`Record`] over the sync socket instead: `{kind, stage, index, errno}` plus,
//! at the end of a run, the program's wait status and resource usage. The parent turns an error
//! record into a typed error that names the stage, e.g. `mount /usr: EPERM`, using the index to find
//! the mount or rlimit the stage was working on.

use std::fmt;
use std::os::fd::RawFd;

/// The descriptor the sync socket is moved to in the child (and the init keeps it there).
pub(crate) const SYNC_FD: RawFd = 3;

/// Where in the child a failure happened. The discriminants travel in [`Record::stage`].
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the parent to write the id maps and release the child.
    WaitRelease = 1,
    /// Opening a bind-mount source (the index names which).
    OpenSource,
    /// Making every mount private so nothing propagates back to the host.
    MountPrivate,
    /// Mounting the tmpfs that becomes the new root.
    RootTmpfs,
    /// Creating the directory the old root is moved to.
    OldRootDir,
    /// Entering the new root with `pivot_root`.
    PivotRoot,
    /// One step of the mount plan (the index names which).
    Mount,
    /// Detaching the old root.
    DetachOldRoot,
    /// Remounting the new root read-only.
    RemountRoot,
    /// Forbidding nested user namespaces.
    NestedUserns,
    /// Setting the hostname in the new UTS namespace.
    Hostname,
    /// Leaving the controlling terminal with `setsid`.
    Setsid,
    /// `PR_SET_PDEATHSIG`.
    DeathSignal,
    /// Moving the stdio descriptors to 0, 1 and 2.
    Stdio,
    /// Closing every other descriptor.
    CloseFds,
    /// Switching to the unprivileged group.
    SetGid,
    /// Switching to the unprivileged user.
    SetUid,
    /// Dropping the capability bounding set.
    CapBounding,
    /// Clearing ambient capabilities.
    CapAmbient,
    /// Clearing effective, permitted and inheritable capabilities.
    CapSet,
    /// `PR_SET_NO_NEW_PRIVS`.
    NoNewPrivs,
    /// `PR_SET_DUMPABLE` 0 for the init.
    Dumpable,
    /// One resource limit (the index names which).
    Rlimit,
    /// Entering the working directory.
    Chdir,
    /// Resetting signal dispositions and the mask.
    Signals,
    /// Forking the program from the sandbox init.
    Fork,
    /// Installing the seccomp filter.
    Seccomp,
    /// Executing the program.
    Execve,
    /// Waiting for the program.
    Wait,
    /// The program joining its run's cgroup.
    JoinCgroup,
    /// Executing a reused environment's init.
    ExecInit,
    /// Keeping only the capabilities an init needs.
    Capabilities,
    /// The program becoming the unprivileged user (from the init's user).
    SwitchUser,
    /// A reused environment's spare answering its request.
    Ack,
    /// A reused environment's init setting itself up (signals, descriptors).
    InitSetup,
    /// Bringing up `lo` in the run's network namespace (a loopback network).
    Loopback,
    /// Building the root from a root filesystem image (its overlay).
    RootImage,
}

impl Stage {
    const ALL: [Stage; 37] = [
        Stage::WaitRelease,
        Stage::OpenSource,
        Stage::MountPrivate,
        Stage::RootTmpfs,
        Stage::OldRootDir,
        Stage::PivotRoot,
        Stage::Mount,
        Stage::DetachOldRoot,
        Stage::RemountRoot,
        Stage::NestedUserns,
        Stage::Hostname,
        Stage::Setsid,
        Stage::DeathSignal,
        Stage::Stdio,
        Stage::CloseFds,
        Stage::SetGid,
        Stage::SetUid,
        Stage::CapBounding,
        Stage::CapAmbient,
        Stage::CapSet,
        Stage::NoNewPrivs,
        Stage::Dumpable,
        Stage::Rlimit,
        Stage::Chdir,
        Stage::Signals,
        Stage::Fork,
        Stage::Seccomp,
        Stage::Execve,
        Stage::Wait,
        Stage::JoinCgroup,
        Stage::ExecInit,
        Stage::Capabilities,
        Stage::SwitchUser,
        Stage::Ack,
        Stage::InitSetup,
        Stage::Loopback,
        Stage::RootImage,
    ];

    /// The stage a record names, if the number is one of ours.
    pub fn from_u32(value: u32) -> Option<Stage> {
        Stage::ALL.iter().copied().find(|s| *s as u32 == value)
    }

    /// The short name used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Stage::WaitRelease => "wait for id maps",
            Stage::OpenSource => "open mount source",
            Stage::MountPrivate => "make mounts private",
            Stage::RootTmpfs => "mount root tmpfs",
            Stage::OldRootDir => "mkdir old root",
            Stage::PivotRoot => "pivot_root",
            Stage::Mount => "mount",
            Stage::DetachOldRoot => "detach old root",
            Stage::RemountRoot => "remount root read-only",
            Stage::NestedUserns => "limit nested user namespaces",
            Stage::Hostname => "sethostname",
            Stage::Setsid => "setsid",
            Stage::DeathSignal => "PR_SET_PDEATHSIG",
            Stage::Stdio => "dup2 stdio",
            Stage::CloseFds => "close descriptors",
            Stage::SetGid => "setresgid",
            Stage::SetUid => "setresuid",
            Stage::CapBounding => "drop capability bounding set",
            Stage::CapAmbient => "clear ambient capabilities",
            Stage::CapSet => "capset",
            Stage::NoNewPrivs => "PR_SET_NO_NEW_PRIVS",
            Stage::Dumpable => "PR_SET_DUMPABLE",
            Stage::Rlimit => "setrlimit",
            Stage::Chdir => "chdir",
            Stage::Signals => "reset signals",
            Stage::Fork => "fork",
            Stage::Seccomp => "seccomp",
            Stage::Execve => "execve",
            Stage::Wait => "wait4",
            Stage::JoinCgroup => "join cgroup",
            Stage::ExecInit => "exec environment init",
            Stage::Capabilities => "keep the init's capabilities",
            Stage::SwitchUser => "switch to the program's user",
            Stage::Ack => "answer the run request",
            Stage::InitSetup => "set up the environment's init",
            Stage::Loopback => "bring up lo",
            Stage::RootImage => "mount the root image",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a [`Record`] reports.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// A step failed: `stage`, `index` and `errno` say which and why.
    Error = 1,
    /// The init forked the program: the run's clock starts now.
    Started = 2,
    /// The program ended: `status` is its wait status, the usage fields its rusage.
    Exited = 3,
    /// A reused environment's init is up and waiting for runs.
    Ready = 4,
    /// A reused environment's init cleaned up after a run: `stage` 0 is clean, else a
    /// [`Dirt`] code, `errno` the error that stopped the cleaning.
    Cleaned = 5,
    /// A reused environment's init forked a spare: `index` is its number, `status` its pid in
    /// the environment; its socket comes along.
    Spare = 6,
}

/// What a reused environment's init found wrong when cleaning up after a run.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dirt {
    /// Something in `/tmp` could not be removed.
    Tmp = 2,
    /// A SysV IPC object could not be removed.
    Ipc = 3,
    /// The request could not be read.
    Request = 4,
    /// A socket of the run outlived it (kept alive by descriptors in flight).
    Sockets = 5,
    /// A spare could not be forked.
    Fork = 6,
}

impl Dirt {
    /// What was found, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Dirt::Tmp => "/tmp could not be made as new",
            Dirt::Ipc => "a SysV IPC object could not be removed",
            Dirt::Request => "the init could not read a request",
            Dirt::Sockets => "a socket of the run outlived it",
            Dirt::Fork => "the init could not fork the next spare",
        }
    }

    pub fn from_u32(value: u32) -> Option<Dirt> {
        [
            Dirt::Tmp,
            Dirt::Ipc,
            Dirt::Request,
            Dirt::Sockets,
            Dirt::Fork,
        ]
        .into_iter()
        .find(|d| *d as u32 == value)
    }
}

/// The fixed-size message of the sync channel. Plain old data: written with one `write` by the
/// child, read with one `recv` by the parent (the socket is `SOCK_SEQPACKET`, so it arrives whole).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub kind: u32,
    pub stage: u32,
    pub index: u32,
    pub errno: i32,
    /// The wait status of the program (for `Exited`).
    pub status: i32,
    pub _pad: u32,
    /// User CPU time in microseconds, the program and the descendants the init reaped.
    pub utime_us: u64,
    /// System CPU time in microseconds.
    pub stime_us: u64,
    /// Peak resident set in KiB (`ru_maxrss`).
    pub maxrss_kib: u64,
    /// Wall time from fork to reap, in nanoseconds, measured by the init.
    pub wall_ns: u64,
}

impl Record {
    /// The size on the wire.
    pub const SIZE: usize = std::mem::size_of::<Record>();

    pub const fn error(stage: Stage, index: u32, errno: i32) -> Record {
        Record {
            kind: RecordKind::Error as u32,
            stage: stage as u32,
            index,
            errno,
            status: 0,
            _pad: 0,
            utime_us: 0,
            stime_us: 0,
            maxrss_kib: 0,
            wall_ns: 0,
        }
    }

    pub fn kind(&self) -> Option<RecordKind> {
        match self.kind {
            1 => Some(RecordKind::Error),
            2 => Some(RecordKind::Started),
            3 => Some(RecordKind::Exited),
            4 => Some(RecordKind::Ready),
            5 => Some(RecordKind::Cleaned),
            6 => Some(RecordKind::Spare),
            _ => None,
        }
    }

    /// The bytes to send.
    pub fn as_bytes(&self) -> &[u8; Record::SIZE] {
        // SAFETY: Record is repr(C) plain old data made only of integers with explicit padding,
        // so every byte is initialised and the size matches.
        unsafe { &*(self as *const Record as *const [u8; Record::SIZE]) }
    }

    /// Rebuild a record from received bytes.
    pub fn from_bytes(bytes: &[u8; Record::SIZE]) -> Record {
        let mut record = Record::default();
        // SAFETY: every bit pattern is a valid Record (integers only); the sizes are equal and the
        // destination is a properly aligned, exclusively borrowed Record.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                &mut record as *mut Record as *mut u8,
                Record::SIZE,
            );
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_round_trips_through_its_number() {
        for stage in Stage::ALL {
            assert_eq!(Stage::from_u32(stage as u32), Some(stage));
        }
        assert_eq!(Stage::from_u32(0), None);
        assert_eq!(Stage::from_u32(9999), None);
    }

    #[test]
    fn record_round_trips_through_bytes() {
        let mut record = Record::error(Stage::Mount, 3, libc::EPERM);
        record.utime_us = 12345;
        record.wall_ns = u64::MAX;
        let back = Record::from_bytes(record.as_bytes());
        assert_eq!(back, record);
        assert_eq!(back.kind(), Some(RecordKind::Error));
        assert_eq!(Stage::from_u32(back.stage), Some(Stage::Mount));
    }

    #[test]
    fn record_has_no_implicit_padding() {
        let fields = 6 * 4 + 4 * 8;
        assert_eq!(Record::SIZE, fields);
    }
}

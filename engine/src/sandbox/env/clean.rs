//! The init's clean-up between runs: whatever one run left must not reach the next.
//!
//! In order ([`reset`]):
//! 1. no socket of the run is left: the sandbox's network namespace holds no socket at all
//!    (`sockets: used 0` in its `/proc/net/sockstat`; the spares' sockets were made in the
//!    engine's). A run can keep a socket (listening on an abstract name, or holding an open file)
//!    alive after its end by leaving its descriptor in flight in an unreachable `SCM_RIGHTS`
//!    cycle; the kernel's garbage collector frees such cycles, so the init makes it run (closing
//!    a socket while descriptors are in flight starts it) and waits a little before calling the
//!    environment dirty;
//! 2. `/tmp` (and with it `/dev/shm`) is as a fresh mount: empty, no inode in use but its root
//!    (an unlinked file kept open in flight would show here), mode 1777 and owner root (which
//!    no run could change: the init owns it), times set to now. A `/tmp` whose change time and
//!    inode count show that the run did not touch it is left as it is;
//! 3. no SysV IPC object is left.
//!
//! Processes a run leaves behind are the engine's to find (its run cgroup's `pids.current`,
//! read with the accounting) and kill; then it asks for another clean-up, for what they may
//! have done meanwhile.
//!
//! Anything that cannot be made as new is reported as [`Dirt`]; the engine then replaces the
//! environment rather than give the next run a dirty one.

use std::ffi::CStr;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::sandbox::stage::Dirt;
use crate::sandbox::sys;

/// How long the socket garbage collector may take to free a run's in-flight descriptors.
const GC_WAIT: Duration = Duration::from_millis(50);

/// The state of `/tmp` after the last clean-up: its change time, to tell an untouched `/tmp`.
#[derive(Debug, Default)]
pub(super) struct Tmp {
    changed: Option<(i64, i64)>,
}

/// Make the environment as new, or say what is wrong with it. `spares` are the init's children
/// that belong there: any other one is a process the run left, which the engine kills (and then
/// asks again), so the collector is not waited for while one lives.
pub(super) fn reset(tmp: &mut Tmp, spares: &[libc::pid_t]) -> Option<(Dirt, i32)> {
    let leftovers = || children().into_iter().any(|pid| !spares.contains(&pid));
    let stray = || sockets_in_use() != 0;
    if stray() && (leftovers() || !collect_garbage(|| !stray())) {
        return Some((Dirt::Sockets, libc::EBUSY));
    }
    if let Err(e) = renew_tmp(tmp) {
        return Some((Dirt::Tmp, e.raw_os_error().unwrap_or(libc::EIO)));
    }
    if tmp_inodes_in_use() > 1 && (leftovers() || !collect_garbage(|| tmp_inodes_in_use() <= 1)) {
        return Some((Dirt::Tmp, libc::EBUSY));
    }
    if let Err(errno) = remove_ipc() {
        return Some((Dirt::Ipc, errno));
    }
    None
}

/// The init's live children. Kernels without CONFIG_PROC_CHILDREN: every process whose parent
/// is 1.
fn children() -> Vec<libc::pid_t> {
    let parse = |text: &str| {
        text.split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    if let Ok(text) = std::fs::read_to_string("/proc/self/task/1/children") {
        return parse(&text);
    }
    let mut out = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<libc::pid_t>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // Fields after the command's closing parenthesis: state, ppid, ...
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<libc::pid_t>().ok());
            if ppid == Some(1) && pid != 1 {
                out.push(pid);
            }
        }
    }
    out
}

/// The sockets of the network namespace, from its `/proc/net/sockstat` (`sockets: used N`).
fn sockets_in_use() -> u64 {
    let text = std::fs::read_to_string("/proc/net/sockstat").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("sockets: used "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(u64::MAX)
}

/// Wait for the unix socket garbage collector to free what a run left in flight, until `done`,
/// for at most [`GC_WAIT`]. The kernel runs the collector when a socket is released while
/// descriptors are in flight (at the run's end, then), at once on older kernels, from a
/// workqueue on newer ones. Once, in case none is under way: put a socket in flight in itself
/// and close it (the collector frees it along with the run's).
fn collect_garbage(done: impl Fn() -> bool) -> bool {
    if let Ok((a, b)) = nix::sys::socket::socketpair(
        nix::sys::socket::AddressFamily::Unix,
        nix::sys::socket::SockType::Datagram,
        None,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
    ) {
        let _ = super::proto::send(a.as_raw_fd(), b"gc", &[b.as_raw_fd()]);
        drop(b);
        drop(a);
    }
    let deadline = Instant::now() + GC_WAIT;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Inodes in use on `/tmp`'s filesystem (1: only its root).
fn tmp_inodes_in_use() -> u64 {
    nix::sys::statfs::statfs("/tmp")
        .map_or(u64::MAX, |fs| fs.files().saturating_sub(fs.files_free()))
}

/// Empty `/tmp`, give it back its mode, check its owner, and set its times to now: what a fresh
/// mount shows. An untouched `/tmp` (the change time of the last clean-up, only its root in
/// use) is left as it is: nothing of the run can be in it, and neither its mode nor its times
/// can change without its change time.
fn renew_tmp(tmp: &mut Tmp) -> std::io::Result<()> {
    let changed = |meta: &std::fs::Metadata| Some((meta.ctime(), meta.ctime_nsec()));
    let inodes = tmp_inodes_in_use();
    let meta = std::fs::symlink_metadata("/tmp")?;
    if inodes <= 1 && tmp.changed.is_some() && changed(&meta) == tmp.changed {
        return Ok(());
    }
    if inodes > 1 {
        empty_dir(Path::new("/tmp"))?;
    }
    if meta.uid() != 0 || meta.gid() != 0 {
        return Err(std::io::Error::from_raw_os_error(libc::EPERM));
    }
    let path: &CStr = c"/tmp";
    // SAFETY: a NUL-terminated path.
    sys::check(unsafe { libc::chmod(path.as_ptr(), 0o1777) } as libc::c_long)
        .map_err(std::io::Error::from_raw_os_error)?;
    // SAFETY: a NUL-terminated path; null times mean "now" for both.
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, path.as_ptr(), std::ptr::null(), 0) };
    sys::check(rc as libc::c_long).map_err(std::io::Error::from_raw_os_error)?;
    tmp.changed = changed(&std::fs::symlink_metadata("/tmp")?);
    Ok(())
}

fn empty_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // The init may enter and remove whatever modes the run gave (CAP_DAC_OVERRIDE).
        if entry.file_type()?.is_dir() {
            empty_dir(&path)?;
            std::fs::remove_dir(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The kernel's `struct shm_info` (libc lacks it); only the first field is read.
#[repr(C)]
#[derive(Default)]
struct ShmInfo {
    used_ids: libc::c_int,
    counts: [libc::c_ulong; 5],
}

/// `shmctl`'s command for [`ShmInfo`].
const SHM_INFO: libc::c_int = 14;

/// Whether the IPC namespace holds any SysV object: three cheap counts before any /proc read.
fn ipc_in_use() -> bool {
    let mut shm = ShmInfo::default();
    // SAFETY: the *_INFO commands fill the structures passed; zeroed ones are valid to overwrite.
    unsafe {
        let mut sem: libc::seminfo = std::mem::zeroed();
        let mut msg: libc::msginfo = std::mem::zeroed();
        let shm_used = libc::shmctl(0, SHM_INFO, (&mut shm as *mut ShmInfo).cast());
        let sem_used = libc::semctl(0, 0, libc::SEM_INFO, &mut sem as *mut libc::seminfo);
        let msg_used = libc::msgctl(0, libc::MSG_INFO, (&mut msg as *mut libc::msginfo).cast());
        shm_used < 0
            || sem_used < 0
            || msg_used < 0
            || shm.used_ids > 0
            || sem.semusz > 0
            || msg.msgpool > 0
    }
}

/// Remove every SysV message queue, semaphore set and shared memory segment of the IPC
/// namespace, as /proc lists them.
fn remove_ipc() -> Result<(), i32> {
    if !ipc_in_use() {
        return Ok(());
    }
    for (file, column) in [("msg", 1), ("sem", 1), ("shm", 1)] {
        let text = std::fs::read_to_string(format!("/proc/sysvipc/{file}")).unwrap_or_default();
        for line in text.lines().skip(1) {
            let Some(id) = line
                .split_whitespace()
                .nth(column)
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            // SAFETY: IPC_RMID with a null buffer is valid for all three kinds.
            let rc = unsafe {
                match file {
                    "msg" => libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()),
                    "sem" => libc::semctl(id, 0, libc::IPC_RMID),
                    _ => libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()),
                }
            };
            if rc != 0 {
                return Err(sys::errno());
            }
        }
    }
    Ok(())
}

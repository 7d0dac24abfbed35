//! Ending every process of a run, and removing its directories, without cgroup.kill.
//!
//! Order: freeze the cgroup and wait (bounded) until the kernel says it is frozen; read the pids;
//! SIGKILL each; thaw. While frozen nothing in the cgroup can fork or exit, so the pid list is
//! complete and no pid can be reused under us; the SIGKILLs take effect at the thaw. Signals cannot
//! be caught, blocked or ignored, so handlers do not matter. If freezing does not finish in time
//! (a task stuck in the kernel), kill anyway and repeat while new pids appear. Removal then polls
//! until every `cgroup.procs` is empty and rmdirs, all within one deadline.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::{control, CgroupError};

/// How long to wait for the freezer to report frozen. Freezing takes microseconds unless a task
/// sleeps uninterruptibly (an OOM victim waiting for a lock, say); then killing without the
/// freeze, round after round, beats waiting.
const FREEZE_WAIT: Duration = Duration::from_millis(20);
/// How long to keep killing new pids when the cgroup never froze.
const KILL_ROUNDS_WAIT: Duration = Duration::from_millis(250);

/// A cgroup freezer: v1 `freezer.state`, or v2 `cgroup.freeze` with `cgroup.events`.
pub(super) trait Freeze {
    fn freeze(&self) -> Result<(), CgroupError>;
    /// Whether every task is frozen now (not just requested to be).
    fn is_frozen(&self) -> Result<bool, CgroupError>;
    fn thaw(&self) -> Result<(), CgroupError>;
    /// How long to wait for `is_frozen`.
    fn freeze_wait(&self) -> Duration {
        FREEZE_WAIT
    }
}

/// For leftovers whose freezer directory is missing: kill round after round instead.
pub(super) struct NoFreezer;

impl Freeze for NoFreezer {
    fn freeze(&self) -> Result<(), CgroupError> {
        Ok(())
    }
    fn is_frozen(&self) -> Result<bool, CgroupError> {
        Ok(false)
    }
    fn thaw(&self) -> Result<(), CgroupError> {
        Ok(())
    }
    fn freeze_wait(&self) -> Duration {
        Duration::ZERO
    }
}

/// Poll `done` with a short, growing sleep until it holds or `wait` has passed.
pub(super) fn poll_until(
    wait: Duration,
    mut done: impl FnMut() -> Result<bool, CgroupError>,
) -> Result<bool, CgroupError> {
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_micros(100);
    loop {
        if done()? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}

/// SIGKILL every process in `dirs`: freeze, kill, thaw (see the module comment).
pub(super) fn freeze_and_kill(freezer: &dyn Freeze, dirs: &[&Path]) -> Result<(), CgroupError> {
    // The usual case at removal: the sandbox has reaped everything. Nobody is left to fork.
    if control::read_procs_union(dirs.iter().copied())?.is_empty() {
        return Ok(());
    }
    let deadline = Instant::now() + KILL_ROUNDS_WAIT;
    let mut signalled = BTreeSet::new();
    loop {
        freezer.freeze()?;
        let round = poll_until(freezer.freeze_wait(), || freezer.is_frozen())
            .and_then(|frozen| Ok((frozen, signal_new(dirs, &mut signalled)?)));
        // Thaw even when something failed: frozen tasks would otherwise stay, SIGKILL pending.
        freezer.thaw()?;
        let (frozen, fresh_pids) = round?;
        if frozen || fresh_pids == 0 || Instant::now() >= deadline {
            return Ok(());
        }
    }
}

/// SIGKILL the pids in `dirs` not signalled before; returns how many were new.
fn signal_new(dirs: &[&Path], signalled: &mut BTreeSet<i32>) -> Result<usize, CgroupError> {
    let pids = control::read_procs_union(dirs.iter().copied())?;
    let mut fresh = 0;
    for pid in pids {
        match kill(Pid::from_raw(pid), Signal::SIGKILL) {
            // Gone between the read and the kill: that is what we wanted.
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(source) => {
                return Err(CgroupError::Kill {
                    pid,
                    path: dirs.first().map(|d| d.to_path_buf()).unwrap_or_default(),
                    source,
                })
            }
        }
        if signalled.insert(pid) {
            fresh += 1;
        }
    }
    Ok(fresh)
}

/// Wait until no process is left in `dirs`, then rmdir each (all before `deadline`).
pub(super) fn wait_and_rmdir(dirs: &[&Path], wait: Duration) -> Result<(), CgroupError> {
    let start = Instant::now();
    let mut left = Vec::new();
    let empty = poll_until(wait, || {
        left = control::read_procs_union(dirs.iter().copied())?;
        Ok(left.is_empty())
    })?;
    if !empty {
        return Err(CgroupError::StillPopulated {
            path: dirs.first().map(|d| d.to_path_buf()).unwrap_or_default(),
            pids: left,
            waited: wait,
        });
    }
    for dir in dirs {
        let remaining = wait.saturating_sub(start.elapsed());
        rmdir(dir, remaining)?;
    }
    Ok(())
}

/// rmdir, retrying EBUSY (a cgroup whose last task is still exiting) until `wait` passes;
/// a directory already gone counts as removed.
fn rmdir(dir: &Path, wait: Duration) -> Result<(), CgroupError> {
    let mut last_err = None;
    let removed = poll_until(wait, || match std::fs::remove_dir(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
            last_err = Some(e);
            Ok(false)
        }
        Err(e) => Err(CgroupError::io("rmdir", dir, e)),
    })?;
    if removed {
        return Ok(());
    }
    let source = last_err.unwrap_or_else(|| std::io::Error::from_raw_os_error(libc::EBUSY));
    Err(CgroupError::io("rmdir", dir, source))
}

/// The distinct directories among `dirs`, in order (cpu and cpuacct may share a v1 mount).
pub(super) fn unique_dirs(dirs: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    let mut unique: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        if !unique.contains(&dir) {
            unique.push(dir);
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn poll_until_stops_when_done() {
        let calls = Cell::new(0);
        let done = poll_until(Duration::from_secs(5), || {
            calls.set(calls.get() + 1);
            Ok(calls.get() == 3)
        })
        .unwrap();
        assert!(done);
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn poll_until_gives_up_after_the_wait() {
        let start = Instant::now();
        assert!(!poll_until(Duration::from_millis(20), || Ok(false)).unwrap());
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(20) && took < Duration::from_millis(500));
    }

    struct Recording<'a>(&'a std::cell::RefCell<Vec<&'static str>>, bool);

    impl Freeze for Recording<'_> {
        fn freeze(&self) -> Result<(), CgroupError> {
            self.0.borrow_mut().push("freeze");
            Ok(())
        }
        fn is_frozen(&self) -> Result<bool, CgroupError> {
            Ok(self.1)
        }
        fn thaw(&self) -> Result<(), CgroupError> {
            self.0.borrow_mut().push("thaw");
            Ok(())
        }
    }

    #[test]
    fn empty_cgroup_is_not_frozen_at_all() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cgroup.procs"), "").unwrap();
        let log = std::cell::RefCell::new(Vec::new());
        freeze_and_kill(&Recording(&log, true), &[dir.path()]).unwrap();
        assert!(log.borrow().is_empty(), "{:?}", log.borrow());
    }

    #[test]
    fn unreadable_procs_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = std::cell::RefCell::new(Vec::new());
        let err = freeze_and_kill(&Recording(&log, true), &[dir.path()]).unwrap_err();
        assert!(err.to_string().contains("cgroup.procs"), "{err}");
    }

    /// A freezer whose cgroup.procs becomes unreadable once frozen.
    struct Vanishing<'a>(&'a Path, &'a std::cell::RefCell<Vec<&'static str>>);

    impl Freeze for Vanishing<'_> {
        fn freeze(&self) -> Result<(), CgroupError> {
            std::fs::remove_file(self.0.join("cgroup.procs")).unwrap();
            self.1.borrow_mut().push("freeze");
            Ok(())
        }
        fn is_frozen(&self) -> Result<bool, CgroupError> {
            Ok(true)
        }
        fn thaw(&self) -> Result<(), CgroupError> {
            self.1.borrow_mut().push("thaw");
            Ok(())
        }
    }

    #[test]
    fn failure_while_frozen_still_thaws() {
        let dir = tempfile::tempdir().unwrap();
        // A pid that cannot exist (above the kernel's PID_MAX_LIMIT), so nothing real is touched.
        std::fs::write(dir.path().join("cgroup.procs"), "5000000\n").unwrap();
        let log = std::cell::RefCell::new(Vec::new());
        let err = freeze_and_kill(&Vanishing(dir.path(), &log), &[dir.path()]).unwrap_err();
        assert!(err.to_string().contains("cgroup.procs"), "{err}");
        assert_eq!(*log.borrow(), ["freeze", "thaw"]);
    }

    #[test]
    fn wait_and_rmdir_reports_processes_that_stay() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        std::fs::write(run.join("cgroup.procs"), "4242\n").unwrap();
        let err = wait_and_rmdir(&[&run], Duration::from_millis(10)).unwrap_err();
        assert!(
            matches!(&err, CgroupError::StillPopulated { pids, .. } if pids == &[4242]),
            "{err}"
        );
        assert!(run.exists());
    }

    #[test]
    fn rmdir_of_a_missing_directory_is_success() {
        let dir = tempfile::tempdir().unwrap();
        rmdir(&dir.path().join("gone"), Duration::ZERO).unwrap();
    }

    #[test]
    fn unique_dirs_keeps_first_occurrence_order() {
        let dirs = unique_dirs(["/a", "/b", "/a", "/c"].map(PathBuf::from));
        assert_eq!(dirs, ["/a", "/b", "/c"].map(PathBuf::from));
    }
}

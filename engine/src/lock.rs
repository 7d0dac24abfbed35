//! Which engines are alive: an engine id, and directory locks held for an engine's whole life.
//!
//! Every engine (one [`crate::sandbox::Sandbox`]) picks a random [`EngineId`] and owns one
//! directory per resource kind that other engines can see: its cgroup group
//! (`<parent>/judge-<id>` in every hierarchy) and its base of host directories
//! (`<tmp>/judge/<id>`). It holds an exclusive `flock` on each of those directories for as long
//! as it lives. The kernel drops a flock when the last descriptor of its open file closes, which
//! happens when the engine exits, crashes or is killed, whatever PID namespace or container it
//! ran in. So a directory of another engine is stale exactly when its lock can be taken; no pid,
//! start time or clock is involved, and a live engine's directories are never touched.
//!
//! Sweeping and creating happen under a second lock, on the directory that holds the engines'
//! directories ([`sweep_and_claim`]): a new engine's directory is locked before any other
//! engine's sweep can see it unlocked.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// An engine's identity: 16 random hexadecimal digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EngineId(String);

impl EngineId {
    /// A fresh identity from the kernel's random source.
    pub fn random() -> io::Result<EngineId> {
        let mut bytes = [0u8; 8];
        File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        Ok(EngineId(format!("{:016x}", u64::from_ne_bytes(bytes))))
    }

    /// The identity written in `text`, if it is one.
    pub fn parse(text: &str) -> Option<EngineId> {
        (text.len() == 16
            && text
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| EngineId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EngineId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An exclusive lock on a directory, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DirLock {
    _lock: Flock<File>,
    path: PathBuf,
}

impl DirLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Lock `dir`; with `wait` false, `Ok(None)` when someone else holds it.
pub fn lock_dir(dir: &Path, wait: bool) -> io::Result<Option<DirLock>> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(dir)?;
    let arg = if wait {
        FlockArg::LockExclusive
    } else {
        FlockArg::LockExclusiveNonblock
    };
    loop {
        match Flock::lock(file, arg) {
            Ok(lock) => {
                return Ok(Some(DirLock {
                    _lock: lock,
                    path: dir.to_path_buf(),
                }))
            }
            Err((_, Errno::EWOULDBLOCK)) => return Ok(None),
            Err((again, Errno::EINTR)) => file = again,
            Err((_, errno)) => return Err(io::Error::from(errno)),
        }
    }
}

/// What a sweep found in one holder directory.
#[derive(Debug, Default)]
pub struct Swept {
    /// Directories of engines that are gone, with their ids, locked by us: remove them, then
    /// drop the locks.
    pub stale: Vec<(EngineId, DirLock)>,
}

/// Under an exclusive lock on `holder`: take the lock of every other engine's directory in it
/// whose engine is gone (`name_of` maps a directory name to the id it carries), then create our
/// own directory with `create` and lock it. Returns our lock and the stale directories, still
/// locked so that nobody else sweeps them at the same time.
pub fn sweep_and_claim<E>(
    holder: &Path,
    me: &EngineId,
    name_of: impl Fn(&str) -> Option<EngineId>,
    create: impl FnOnce() -> Result<PathBuf, E>,
    io_error: impl Fn(&'static str, &Path, io::Error) -> E,
) -> Result<(DirLock, Swept), E> {
    let _holder = lock_dir(holder, true)
        .map_err(|e| io_error("lock", holder, e))?
        .ok_or_else(|| io_error("lock", holder, io::Error::from(Errno::EWOULDBLOCK)))?;
    let mut swept = Swept::default();
    let entries = std::fs::read_dir(holder).map_err(|e| io_error("list", holder, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error("list", holder, e))?;
        let Some(id) = entry.file_name().to_str().and_then(&name_of) else {
            continue;
        };
        if &id == me || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        // Else alive, or gone between the listing and the lock.
        if let Ok(Some(lock)) = lock_dir(&entry.path(), false) {
            swept.stale.push((id, lock));
        }
    }
    let dir = create()?;
    let mine = lock_dir(&dir, false)
        .map_err(|e| io_error("lock", &dir, e))?
        .ok_or_else(|| io_error("lock", &dir, io::Error::from(Errno::EWOULDBLOCK)))?;
    Ok((mine, swept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sixteen_lowercase_hex_digits_and_parse_back() {
        let id = EngineId::random().unwrap();
        assert_eq!(id.as_str().len(), 16);
        assert_eq!(EngineId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(EngineId::random().unwrap(), id);
        for bad in [
            "",
            "123",
            "0123456789abcdeg",
            "0123456789ABCDEF",
            "0123456789abcdef0",
        ] {
            assert_eq!(EngineId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_held_lock_cannot_be_taken_and_a_dropped_one_can() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_dir(dir.path(), false).unwrap().unwrap();
        assert!(lock_dir(dir.path(), false).unwrap().is_none());
        drop(held);
        assert!(lock_dir(dir.path(), false).unwrap().is_some());
    }

    #[test]
    fn a_lock_held_by_another_process_counts_until_it_exits() {
        let dir = tempfile::tempdir().unwrap();
        // flock(1) holds the lock for as long as its child runs (`-o`: the child does not).
        let mut holder = std::process::Command::new("flock")
            .arg("-o")
            .arg(dir.path())
            .args(["sleep", "30"])
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while lock_dir(dir.path(), false).unwrap().is_some() {
            assert!(
                std::time::Instant::now() < deadline,
                "flock(1) never locked"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        holder.kill().unwrap();
        holder.wait().unwrap();
        // The lock went with the killed process.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while lock_dir(dir.path(), false).unwrap().is_none() {
            assert!(std::time::Instant::now() < deadline, "lock never released");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    #[test]
    fn sweep_takes_the_gone_and_leaves_the_living() {
        let holder = tempfile::tempdir().unwrap();
        let me = EngineId::random().unwrap();
        let alive = EngineId::random().unwrap();
        let gone = EngineId::random().unwrap();
        for id in [&alive, &gone] {
            std::fs::create_dir(holder.path().join(format!("e-{id}"))).unwrap();
        }
        std::fs::create_dir(holder.path().join("unrelated")).unwrap();
        let _alive_lock = lock_dir(&holder.path().join(format!("e-{alive}")), false)
            .unwrap()
            .unwrap();
        let ours = holder.path().join(format!("e-{me}"));
        let (mine, swept) = sweep_and_claim(
            holder.path(),
            &me,
            |name| name.strip_prefix("e-").and_then(EngineId::parse),
            || std::fs::create_dir(&ours).map(|()| ours.clone()),
            |_, _, e| e,
        )
        .unwrap();
        assert_eq!(mine.path(), ours);
        let ids: Vec<&EngineId> = swept.stale.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, vec![&gone]);
        // Ours is held: another sweep sees it alive.
        assert!(lock_dir(&ours, false).unwrap().is_none());
    }
}

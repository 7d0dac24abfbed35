//! The ptrace backend's path policy: what a traced program may read, write and execute, from
//! the run's mounts.
//!
//! Without a mount namespace the program sees the host's filesystem, so a mount cannot move a
//! directory to where the program expects it. The run's mounts become **prefixes** instead:
//! - a bind of a host `source` at `target`: `source` may be read (and written, when the mount
//!   is writable). Most mounts have `target == source`; where they differ (a judge's `/work`,
//!   in the engine's 0700 base), the engine opens `source` for the program, which inherits it
//!   as descriptor N, and the program's path, working directory, arguments and environment are
//!   rewritten from `target` to `/proc/self/fd/N` before it starts: a path through that link
//!   needs no right on the directories above `source`;
//! - a tmpfs (and the sandbox's own `/tmp`): a directory of the run's own, writable, likewise;
//! - a few host files every program needs: `/dev/null`, `/dev/zero`, `/dev/full`,
//!   `/dev/random`, `/dev/urandom` (read and write), `/proc/meminfo`, `/proc/cpuinfo`,
//!   `/proc/stat`, `/sys/devices/system/cpu` (read); and `/proc/PID` of the run's own
//!   processes (the caller decides those).
//!
//! Paths are decided after resolving them as the kernel will (the tracee's working directory
//! or directory descriptor, `/proc/self`, every symbolic link), so `/proc/self/root/etc` or a
//! link planted in a writable directory cannot lead anywhere the policy did not allow (the
//! program cannot make links: `link` and `symlink` answer EPERM).

use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// What a call does with a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    Exec,
}

/// Files any program may read, besides its prefixes.
const READABLE: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/proc/meminfo",
    "/proc/cpuinfo",
    "/proc/stat",
    "/sys/devices/system/cpu",
];

/// Files any program may write.
const WRITABLE: &[&str] = &["/dev/null", "/dev/zero", "/dev/full"];

/// The prefixes of one run, and how its own paths map to the host's.
#[derive(Debug, Default)]
pub(crate) struct Policy {
    read: Vec<PathBuf>,
    write: Vec<PathBuf>,
    /// `(target, source)`: the program's path `target/...` is the host's `source/...`.
    moved: Vec<(PathBuf, PathBuf)>,
}

impl Policy {
    /// Let the program read the host's `source` (and write it when `writable`).
    pub(crate) fn allow(&mut self, source: &Path, writable: bool) {
        let source = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
        if writable {
            self.write.push(source.clone());
        }
        self.read.push(source);
    }

    /// The program's paths below `target` are reached through `through` (a path the program
    /// can use, such as `/proc/self/fd/N`).
    pub(crate) fn move_to(&mut self, target: &Path, through: PathBuf) {
        self.moved.push((target.to_path_buf(), through));
        // The longest target first, so that `/work/x` wins over `/work`.
        self.moved
            .sort_by_key(|(t, _)| std::cmp::Reverse(t.as_os_str().len()));
    }

    /// `text` (a path, an argument, an environment value) as the program must write it: each
    /// moved target replaced where a path can start (at the beginning, after `:` as in a class
    /// path, after `=` as in `-XX:SharedArchiveFile=`) and where it ends (at the end, `/` or
    /// `:`).
    pub(crate) fn to_host(&self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        let mut i = 0;
        'scan: while i < text.len() {
            let at_start = i == 0 || matches!(text[i - 1], b':' | b'=');
            if at_start {
                for (target, through) in &self.moved {
                    let t = target.as_os_str().as_bytes();
                    let rest = &text[i..];
                    if rest.starts_with(t)
                        && matches!(rest.get(t.len()), None | Some(b'/') | Some(b':'))
                    {
                        out.extend_from_slice(through.as_os_str().as_bytes());
                        i += t.len();
                        continue 'scan;
                    }
                }
            }
            out.push(text[i]);
            i += 1;
        }
        out
    }

    /// Whether the resolved host path `path` may be used for `access`.
    pub(crate) fn allows(&self, path: &Path, access: Access) -> bool {
        let under = |prefixes: &[PathBuf]| prefixes.iter().any(|p| path.starts_with(p));
        match access {
            Access::Write => under(&self.write) || WRITABLE.iter().any(|f| path == Path::new(f)),
            Access::Read | Access::Exec => {
                under(&self.read)
                    || under(&self.write)
                    || READABLE.iter().any(|f| path.starts_with(f))
            }
        }
    }
}

/// `path` with `.` and `..` taken out lexically (for a path that does not exist, where the
/// kernel's own walk will fail anyway).
pub(crate) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// The host path the kernel will reach for `path` (absolute): every link resolved; for a name
/// that does not exist yet, its directory resolved and the name put back.
pub(crate) fn resolve(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let lexical = lexical(path);
    match (lexical.parent(), lexical.file_name()) {
        (Some(dir), Some(name)) => match std::fs::canonicalize(dir) {
            Ok(real) => real.join(name),
            Err(_) => lexical,
        },
        _ => lexical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_targets_map_to_their_sources_longest_first() {
        let mut p = Policy::default();
        p.move_to(Path::new("/work"), "/nonexistent/src".into());
        p.move_to(Path::new("/work/out"), "/nonexistent/out".into());
        assert_eq!(p.to_host(b"/work/a.out"), b"/nonexistent/src/a.out");
        assert_eq!(p.to_host(b"/work/out/x"), b"/nonexistent/out/x");
        assert_eq!(p.to_host(b"/work"), b"/nonexistent/src");
        assert_eq!(p.to_host(b"/workshop"), b"/workshop");
        assert_eq!(p.to_host(b"/usr/bin/gcc"), b"/usr/bin/gcc");
        assert_eq!(
            p.to_host(b"/lib/x.jar:/work/a.jar"),
            b"/lib/x.jar:/nonexistent/src/a.jar"
        );
        assert_eq!(
            p.to_host(b"-Xfile=/work/c.jsa"),
            b"-Xfile=/nonexistent/src/c.jsa"
        );
        assert_eq!(p.to_host(b"x/work"), b"x/work");
    }

    #[test]
    fn prefixes_decide_by_whole_components() {
        let mut p = Policy::default();
        p.allow(Path::new("/nonexistent/ro"), false);
        p.allow(Path::new("/nonexistent/rw"), true);
        assert!(p.allows(Path::new("/nonexistent/ro/f"), Access::Read));
        assert!(!p.allows(Path::new("/nonexistent/ro/f"), Access::Write));
        assert!(!p.allows(Path::new("/nonexistent/rox"), Access::Read));
        assert!(p.allows(Path::new("/nonexistent/rw/f"), Access::Write));
        assert!(p.allows(Path::new("/dev/null"), Access::Write));
        assert!(!p.allows(Path::new("/dev/sda"), Access::Read));
        assert!(!p.allows(Path::new("/etc/passwd"), Access::Read));
        assert!(p.allows(Path::new("/sys/devices/system/cpu/online"), Access::Read));
    }

    #[test]
    fn resolution_follows_links_and_dots() {
        assert_eq!(lexical(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(lexical(Path::new("/../../etc")), PathBuf::from("/etc"));
        // /proc/self/root is a link to / (for this process): resolved, it is not under /proc.
        let me = format!("/proc/{}/root/etc", std::process::id());
        assert_eq!(resolve(Path::new(&me)), PathBuf::from("/etc"));
        assert_eq!(
            resolve(Path::new("/tmp/does-not-exist-judge")),
            std::fs::canonicalize("/tmp")
                .unwrap()
                .join("does-not-exist-judge")
        );
    }
}

//! Precompiled headers: a profile's `[compile.precompiled_header]` built once per compiler and
//! flags, in the sandbox like any compile, and offered read-only to every later compile.
//!
//! An entry is `precompiled/<profile>-<key>/`: the header's precompiled form at the header's
//! name plus `.gch` (`bits/stdc++.h.gch`), and `manifest`, every file the header read (from the
//! compiler's dependency file) with its size and modification time. The key covers the
//! profile, the build command and the compiler's binary, so a new compiler or new flags build
//! a new entry (and the profile's older entries go); the manifest is checked before every use,
//! so a header upgraded under the same compiler rebuilds it too. GCC itself refuses a
//! precompiled header built with other options (`-Winvalid-pch` says so); the compile then
//! reads the header as usual, slower but right.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{publish, temporary, Cache, Key};
use crate::hostdir::{self, Links};
use crate::judge::compile;
use crate::judge::step::{self, Step};
use crate::profile::{Precompiled, Profile, WORK_DIR};
use crate::sandbox::Sandbox;

/// The cache's part for precompiled headers.
pub(super) const DIR: &str = "precompiled";

/// The file a build precompiles: it includes the header, nothing else.
const STUB: &str = "precompile.h";

/// Where a build writes, inside its work directory.
const OUT: &str = "out";

const MANIFEST: &str = "manifest";

/// What this process knows of one precompiled header.
#[derive(Debug)]
pub(super) enum HeaderState {
    Ready(Header),
    /// Its build failed; the profile compiles without it until the engine restarts.
    Failed(String),
}

#[derive(Debug)]
pub(super) struct Header {
    dir: PathBuf,
    read: Vec<Read>,
}

/// A file the header read, as it was when it was precompiled.
#[derive(Debug, PartialEq, Eq)]
struct Read {
    path: PathBuf,
    size: u64,
    mtime: (i64, i64),
}

impl Read {
    fn now(path: &Path) -> Option<Read> {
        let meta = fs::metadata(path).ok()?;
        Some(Read {
            path: path.to_path_buf(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
        })
    }

    fn unchanged(&self) -> bool {
        Read::now(&self.path).as_ref() == Some(self)
    }
}

impl Header {
    fn fresh(&self) -> bool {
        self.dir.is_dir() && self.read.iter().all(Read::unchanged)
    }

    /// The entry at `dir`, if it is whole and nothing it read has changed.
    fn load(dir: &Path) -> Option<Header> {
        let text = fs::read_to_string(dir.join(MANIFEST)).ok()?;
        let read = text
            .lines()
            .map(|line| {
                let mut fields = line.splitn(4, ' ');
                let size = fields.next()?.parse().ok()?;
                let secs = fields.next()?.parse().ok()?;
                let nanos = fields.next()?.parse().ok()?;
                Some(Read {
                    path: PathBuf::from(fields.next()?),
                    size,
                    mtime: (secs, nanos),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let header = Header {
            dir: dir.to_path_buf(),
            read,
        };
        header.fresh().then_some(header)
    }
}

impl Cache {
    /// The host directory holding `profile`'s precompiled header, built now if it must be;
    /// `None` when the profile has none or it cannot be built (the compile goes on without).
    pub(crate) fn precompiled(&self, sandbox: &Sandbox, profile: &Profile) -> Option<PathBuf> {
        let header = profile.compile()?.precompiled()?;
        let (name, key) = entry_name(profile, header);
        // One build at a time: a second compile waits for the first's header.
        let mut headers = self.headers();
        match headers.get(&key) {
            Some(HeaderState::Ready(h)) if h.fresh() => return Some(h.dir.clone()),
            Some(HeaderState::Failed(_)) => return None,
            _ => {}
        }
        let dir = self.dir.join(DIR).join(&name);
        let state = match Header::load(&dir) {
            Some(h) => HeaderState::Ready(h),
            None => match self.build(sandbox, profile, header, &dir) {
                Ok(h) => HeaderState::Ready(h),
                Err(why) => HeaderState::Failed(why),
            },
        };
        let found = match &state {
            HeaderState::Ready(h) => Some(h.dir.clone()),
            HeaderState::Failed(_) => None,
        };
        headers.insert(key, state);
        found
    }

    /// Why `profile`'s precompiled header could not be built, if it was tried and failed.
    pub fn precompiled_failure(&self, profile: &Profile) -> Option<String> {
        let header = profile.compile()?.precompiled()?;
        match self.headers().get(&entry_name(profile, header).1) {
            Some(HeaderState::Failed(why)) => Some(why.clone()),
            _ => None,
        }
    }

    fn build(
        &self,
        sandbox: &Sandbox,
        profile: &Profile,
        header: &Precompiled,
        dir: &Path,
    ) -> Result<Header, String> {
        let fail = |e: &dyn std::fmt::Display| format!("precompiling {}: {e}", header.header());
        let cap = compile::work_cap(profile);
        let work = step::sandbox_dir(sandbox, "precompile", Some(cap)).map_err(|e| fail(&e))?;
        let dirs = sandbox.dirs();
        dirs.write_given(
            &work.path().join(STUB),
            format!("#include <{}>\n", header.header()).as_bytes(),
            0o644,
        )
        .map_err(|e| fail(&e))?;
        let gch = format!("{}.gch", header.header());
        let out = work.path().join(OUT);
        let mut made = out.clone();
        fs::create_dir(&made).map_err(|e| fail(&e))?;
        dirs.give(&made).map_err(|e| fail(&e))?;
        for part in Path::new(&gch)
            .parent()
            .into_iter()
            .flat_map(Path::components)
        {
            made.push(part);
            fs::create_dir(&made).map_err(|e| fail(&e))?;
            dirs.give(&made).map_err(|e| fail(&e))?;
        }
        let argv = header.build_argv(
            &format!("{WORK_DIR}/{STUB}"),
            &format!("{WORK_DIR}/{OUT}/{gch}"),
        );
        let (Some(step_info), Some(limits)) =
            (profile.compile(), compile::limits(sandbox, profile))
        else {
            return Err(fail(&"the profile has no compile step"));
        };
        let step = Step::new(
            argv,
            profile.precompile_env(),
            &profile.mounts(),
            limits,
            step_info.syscalls().clone(),
        );
        let report = compile::run_compiler(sandbox, step, work.path()).map_err(|e| fail(&e))?;
        if !report.ok {
            return Err(fail(&report.message.trim()));
        }
        let (gch_dir, gch_name) = split(&out.join(&gch));
        match hostdir::read_file(&gch_dir, &gch_name, 0) {
            Ok(Some(_)) => {}
            _ => return Err(fail(&format!("the command wrote no {gch}"))),
        }
        let deps = hostdir::read_file(&gch_dir, &format!("{gch_name}.d"), 4 << 20)
            .ok()
            .flatten()
            .unwrap_or_default();
        let read = dependencies(&String::from_utf8_lossy(&deps))
            .iter()
            .filter_map(|p| Read::now(p))
            .collect::<Vec<_>>();
        let _ = fs::remove_file(gch_dir.join(format!("{gch_name}.d")));
        self.store(dir, &out, &gch, &read).map_err(|e| fail(&e))?;
        Ok(Header {
            dir: dir.to_path_buf(),
            read,
        })
    }

    /// Copy the build's output into the entry `dir`, readable by the sandbox (which sees it
    /// read-only), with its manifest; the profile's other entries go.
    fn store(&self, dir: &Path, out: &Path, gch: &str, read: &[Read]) -> io::Result<()> {
        let parent = self.dir.join(DIR);
        let tmp = temporary(&parent);
        fs::create_dir(&tmp)?;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))?;
        hostdir::copy_tree(out, &tmp, Links::Keep, None).map_err(io::Error::other)?;
        fs::set_permissions(tmp.join(gch), fs::Permissions::from_mode(0o644))?;
        let manifest: String = read
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} {}\n",
                    r.size,
                    r.mtime.0,
                    r.mtime.1,
                    r.path.display()
                )
            })
            .collect();
        fs::write(tmp.join(MANIFEST), manifest)?;
        let _ = fs::remove_dir_all(dir);
        publish(&tmp, dir)?;
        // Entries of the same profile built by an older compiler or other flags.
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let prefix = name
            .as_deref()
            .and_then(|n| n.rsplit_once('-'))
            .map(|(profile, _)| format!("{profile}-"));
        if let (Some(name), Some(prefix)) = (name, prefix) {
            for entry in fs::read_dir(&parent)?.flatten() {
                let other = entry.file_name().to_string_lossy().into_owned();
                if other != name && other.starts_with(&prefix) && !other.starts_with('.') {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        Ok(())
    }
}

/// `<profile>-<key>` of `header`'s entry, and its whole key.
fn entry_name(profile: &Profile, header: &Precompiled) -> (String, String) {
    let argv = header.build_argv("{source}", "{exe}");
    let mut key = Key::new("precompiled header 1");
    key.part(profile.name().as_bytes())
        .part(header.header().as_bytes())
        .strings(&argv)
        .strings(&header.flags())
        .strings(profile.precompile_env().iter().flat_map(|(k, v)| [k, v]));
    if let Some(program) = argv.first() {
        key.program(program);
    }
    let key = key.hex();
    (format!("{}-{}", profile.name(), &key[..16]), key)
}

/// `path`'s directory and file name.
fn split(path: &Path) -> (PathBuf, String) {
    (
        path.parent().map(Path::to_path_buf).unwrap_or_default(),
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}

/// The host files a make dependency file (`gcc -MD -MF`) lists: absolute paths outside the
/// work directory, which is gone after the build.
fn dependencies(text: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = text
        .split_whitespace()
        .filter(|t| *t != "\\" && !t.ends_with(':'))
        .filter(|t| t.starts_with('/') && !Path::new(t).starts_with(WORK_DIR))
        .map(PathBuf::from)
        .collect();
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dependency_file_lists_host_headers_only() {
        let text = "/work/out/bits/stdc++.h.gch: /work/precompile.h \\\n \
                    /usr/include/c++/12/cassert /usr/include/stdc-predef.h \\\n \
                    /usr/include/c++/12/cassert\n";
        assert_eq!(
            dependencies(text),
            vec![
                PathBuf::from("/usr/include/c++/12/cassert"),
                PathBuf::from("/usr/include/stdc-predef.h"),
            ]
        );
    }

    #[test]
    fn a_header_is_stale_when_a_file_it_read_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("h");
        fs::write(&file, "one").unwrap();
        let header = Header {
            dir: dir.path().to_path_buf(),
            read: vec![Read::now(&file).unwrap()],
        };
        assert!(header.fresh());
        fs::write(&file, "three").unwrap();
        assert!(!header.fresh(), "a header whose file grew is still used");
        fs::remove_file(&file).unwrap();
        assert!(!header.fresh(), "a header whose file went is still used");
    }
}

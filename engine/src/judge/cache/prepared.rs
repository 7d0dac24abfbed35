//! Prepared files: a profile's `[compile.prepared]` or `[run.prepared]` (C++'s precompiled
//! `<bits/stdc++.h>`, the JVM's class-data archive) built once per toolchain and flags, in the
//! sandbox with the compile step's limits, and offered read-only to every later run of the step.
//!
//! An entry is `prepared/<profile>-<stage>-<key>/`: the output at its name
//! (`bits/stdc++.h.gch`), and `manifest`, every file the build read (from a make dependency
//! file it may write at `{exe}.d`, as `gcc -MD -MF` does) with its size and modification time.
//! The key covers the profile, the stage, the input, the build command and flags and the
//! binary the command starts, so a new toolchain or new flags make a new entry (and the
//! profile's older entries for the stage go); the manifest is checked before every use, so a
//! header upgraded under the same compiler rebuilds it too. A toolchain checks what it is
//! given as well: GCC refuses a precompiled header built with other options (`-Winvalid-pch`
//! says so) and the JVM an archive of another JVM, and they then do without, slower but right.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{publish, temporary, Cache, Key};
use crate::hostdir::{self, Links};
use crate::judge::compile;
use crate::judge::source;
use crate::judge::step::{self, Step};
use crate::profile::{Prepared, Profile, Stage, WORK_DIR};
use crate::sandbox::Sandbox;

/// The cache's part for prepared files.
pub(super) const DIR: &str = "prepared";

/// The file holding a build's input.
const INPUT: &str = "prepare.in";

/// Where a build writes, inside its work directory.
const OUT: &str = "out";

const MANIFEST: &str = "manifest";

/// What this process knows of one prepared file.
#[derive(Debug)]
pub(super) enum PreparedState {
    Ready(Built),
    /// Its build failed; the step runs without it until the engine restarts.
    Failed(String),
}

#[derive(Debug)]
pub(super) struct Built {
    dir: PathBuf,
    read: Vec<Read>,
}

/// A file the build read, as it was when it ran.
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

impl Built {
    fn fresh(&self) -> bool {
        self.dir.is_dir() && self.read.iter().all(Read::unchanged)
    }

    /// The entry at `dir`, if it is whole and nothing it read has changed.
    fn load(dir: &Path) -> Option<Built> {
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
        let built = Built {
            dir: dir.to_path_buf(),
            read,
        };
        built.fresh().then_some(built)
    }
}

impl Cache {
    /// The host directory holding `profile`'s prepared file for `stage`, built now if it
    /// must be; `None` when there is none or it cannot be built (the step goes on without).
    pub(crate) fn prepared(
        &self,
        sandbox: &Sandbox,
        profile: &Profile,
        stage: Stage,
    ) -> Option<PathBuf> {
        let prepared = profile.prepared(stage)?;
        let (name, key) = entry_name(profile, stage, prepared);
        // One build at a time: a second step waits for the first's file.
        let mut states = self.prepared_states();
        match states.get(&key) {
            Some(PreparedState::Ready(h)) if h.fresh() => return Some(h.dir.clone()),
            Some(PreparedState::Failed(_)) => return None,
            _ => {}
        }
        let dir = self.dir.join(DIR).join(&name);
        let state = match Built::load(&dir) {
            Some(h) => PreparedState::Ready(h),
            None => match self.build(sandbox, profile, prepared, &dir) {
                Ok(h) => PreparedState::Ready(h),
                Err(why) => PreparedState::Failed(why),
            },
        };
        let found = match &state {
            PreparedState::Ready(h) => Some(h.dir.clone()),
            PreparedState::Failed(_) => None,
        };
        states.insert(key, state);
        found
    }

    /// Why `profile`'s prepared file for `stage` could not be built, if it was tried and failed.
    pub fn prepared_failure(&self, profile: &Profile, stage: Stage) -> Option<String> {
        let prepared = profile.prepared(stage)?;
        match self
            .prepared_states()
            .get(&entry_name(profile, stage, prepared).1)
        {
            Some(PreparedState::Failed(why)) => Some(why.clone()),
            _ => None,
        }
    }

    fn build(
        &self,
        sandbox: &Sandbox,
        profile: &Profile,
        prepared: &Prepared,
        dir: &Path,
    ) -> Result<Built, String> {
        let output = prepared.output();
        let fail = |e: &dyn std::fmt::Display| format!("preparing {output}: {e}");
        let cap = compile::work_cap(profile);
        let work = step::sandbox_dir(sandbox, "prepare", Some(cap)).map_err(|e| fail(&e))?;
        sandbox
            .dirs()
            .write_given(&work.path().join(INPUT), prepared.input().as_bytes(), 0o644)
            .map_err(|e| fail(&e))?;
        let out = work.path().join(OUT);
        if let Some(parent) = out.join(output).parent() {
            source::make_dirs(sandbox, work.path(), parent).map_err(|e| fail(&e))?;
        }
        let argv = prepared.build_argv(
            &format!("{WORK_DIR}/{INPUT}"),
            &format!("{WORK_DIR}/{OUT}/{output}"),
        );
        let (Some(compile_step), Some(limits)) =
            (profile.compile(), compile::limits(sandbox, profile))
        else {
            return Err(fail(&"the profile has no compile step"));
        };
        let step = Step::new(
            argv,
            profile.precompile_env(),
            &profile.mounts(),
            limits,
            compile_step.syscalls().clone(),
        );
        let report = compile::run_compiler(sandbox, step, work.path()).map_err(|e| fail(&e))?;
        if !report.ok {
            return Err(fail(&report.message.trim()));
        }
        let (out_dir, out_name) = split(&out.join(output));
        match hostdir::read_file(&out_dir, &out_name, 0) {
            Ok(Some(_)) => {}
            _ => return Err(fail(&"the command wrote no such file")),
        }
        let deps = hostdir::read_file(&out_dir, &format!("{out_name}.d"), 4 << 20)
            .ok()
            .flatten()
            .unwrap_or_default();
        let read = dependencies(&String::from_utf8_lossy(&deps))
            .iter()
            .filter_map(|p| Read::now(p))
            .collect::<Vec<_>>();
        let _ = fs::remove_file(out_dir.join(format!("{out_name}.d")));
        self.store(dir, &out, output, &read).map_err(|e| fail(&e))?;
        Ok(Built {
            dir: dir.to_path_buf(),
            read,
        })
    }

    /// Copy the build's output into the entry `dir`, readable by the sandbox (which sees it
    /// read-only), with its manifest; the profile's other entries for the stage go.
    fn store(&self, dir: &Path, out: &Path, output: &str, read: &[Read]) -> io::Result<()> {
        let parent = self.dir.join(DIR);
        let tmp = temporary(&parent);
        fs::create_dir(&tmp)?;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))?;
        hostdir::copy_tree(out, &tmp, Links::Keep, None).map_err(io::Error::other)?;
        fs::set_permissions(tmp.join(output), fs::Permissions::from_mode(0o644))?;
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

/// `<profile>-<stage>-<key>` of the entry of `prepared`, and its whole key.
fn entry_name(profile: &Profile, stage: Stage, prepared: &Prepared) -> (String, String) {
    let argv = prepared.build_argv("{source}", "{exe}");
    let mut key = Key::new("prepared 1");
    key.part(profile.name().as_bytes())
        .part(stage.name().as_bytes())
        .part(prepared.input().as_bytes())
        .part(prepared.output().as_bytes())
        .strings(&argv)
        .strings(&prepared.flags())
        .strings(profile.precompile_env().iter().flat_map(|(k, v)| [k, v]));
    if let Some(program) = argv.first() {
        key.program(program);
    }
    let key = key.hex();
    (
        format!("{}-{}-{}", profile.name(), stage.name(), &key[..16]),
        key,
    )
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
        let text = "/work/out/bits/stdc++.h.gch: /work/prepare.in \\\n \
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
        let header = Built {
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

//! The set of profiles in use: built-in ones, a directory of them, and overrides on top.
//!
//! Layers apply in order: the built-in profiles (embedded in the binary, so an installed
//! `judge` needs no profiles directory) or a base directory, then each `--profiles DIR`. A
//! later layer replaces a profile of the same name and takes over the extensions it claims;
//! two profiles of one layer claiming the same extension is an error, as nothing could say
//! which one was meant.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Profile, ProfileError};
use crate::program::Program;

/// The profile of a directory with `build` and `run` scripts.
pub const BUILD_RUN: &str = "build-run";

/// One built-in profile per name: `(file name, text)`, embedded from `profiles/NAME.toml`.
macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$((
            concat!($name, ".toml"),
            include_str!(concat!("../../../profiles/", $name, ".toml")),
        )),*]
    };
}

/// The shipped profiles, embedded at build time from the repository's `profiles/` directory.
const BUILTIN: &[(&str, &str)] = builtin![
    "ada",
    "awk",
    "bash",
    "build-run",
    "c",
    "cpp",
    "cpp20",
    "csharp",
    "fortran",
    "go",
    "haskell",
    "java",
    "javascript",
    "kotlin",
    "lisp",
    "lua",
    "ocaml",
    "pascal",
    "perl",
    "php",
    "prolog",
    "pypy3",
    "python2",
    "python3",
    "r",
    "ruby",
    "rust",
    "scala",
];

/// Profiles by name, and which profile each extension selects.
#[derive(Debug, Clone, Default)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Profile>,
    by_extension: BTreeMap<String, String>,
}

impl ProfileSet {
    /// The repository's `profiles/` directory, for library users and tests working from a
    /// checkout.
    pub fn shipped_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../profiles")
    }

    /// The shipped profiles as embedded in this binary.
    pub fn builtin() -> Result<ProfileSet, ProfileError> {
        let layer = BUILTIN
            .iter()
            .map(|(file, text)| {
                let stem = file.trim_end_matches(".toml");
                Profile::from_toml(&format!("profiles/{file} (built in)"), stem, text)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut set = ProfileSet::default();
        set.add_layer(layer)?;
        Ok(set)
    }

    /// Every `*.toml` file of `dir`, as one layer.
    pub fn load_dir(dir: &Path) -> Result<ProfileSet, ProfileError> {
        let mut set = ProfileSet::default();
        set.add_layer(read_dir_layer(dir)?)?;
        Ok(set)
    }

    /// The base profiles (`base_dir`, or the built-in ones when `None`) with each of
    /// `override_dirs` laid on top in order.
    pub fn load_with_overrides<P: AsRef<Path>>(
        base_dir: Option<&Path>,
        override_dirs: &[P],
    ) -> Result<ProfileSet, ProfileError> {
        let mut set = match base_dir {
            Some(dir) => ProfileSet::load_dir(dir)?,
            None => ProfileSet::builtin()?,
        };
        for dir in override_dirs {
            set.add_layer(read_dir_layer(dir.as_ref())?)?;
        }
        Ok(set)
    }

    fn add_layer(&mut self, layer: Vec<Profile>) -> Result<(), ProfileError> {
        let mut claims: BTreeMap<&str, &Profile> = BTreeMap::new();
        for p in &layer {
            for ext in p.extensions() {
                if let Some(first) = claims.insert(ext, p) {
                    return Err(ProfileError::DuplicateExtension {
                        ext: ext.clone(),
                        first: first.origin().to_string(),
                        second: p.origin().to_string(),
                    });
                }
            }
        }
        for p in layer {
            // A replaced profile gives up the extensions it claimed before.
            self.by_extension.retain(|_, owner| *owner != p.name());
            for ext in p.extensions() {
                self.by_extension.insert(ext.clone(), p.name().to_string());
            }
            self.profiles.insert(p.name().to_string(), p);
        }
        Ok(())
    }

    /// The profile called `name`.
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// Profile names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// Profiles, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    /// The profile for a source file: the one named `lang` if given, otherwise the one that
    /// claims the file's extension.
    pub fn for_source(&self, path: &Path, lang: Option<&str>) -> Result<&Profile, ProfileError> {
        if let Some(lang) = lang {
            return self.get(lang).ok_or_else(|| ProfileError::UnknownLanguage {
                lang: lang.to_string(),
                known: self.names().collect::<Vec<_>>().join(", "),
            });
        }
        if let Some(profile) = self.by_shebang(path) {
            return Ok(profile);
        }
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
        let profile = ext
            .as_deref()
            .and_then(|e| self.by_extension.get(e))
            .and_then(|name| self.profiles.get(name));
        profile.ok_or_else(|| ProfileError::UnknownExtension {
            path: path.to_path_buf(),
            what: match &ext {
                Some(e) => format!("extension .{e}"),
                None => "files without an extension".to_string(),
            },
            known: self.known_extensions(),
        })
    }

    /// The profile a script's `#!` line names (`#!/usr/bin/env pypy3`), before its extension
    /// is considered: the package format tells `python2`, `python3` and `pypy3` apart so.
    fn by_shebang(&self, path: &Path) -> Option<&Profile> {
        let mut head = [0u8; 256];
        let n = {
            use std::io::Read;
            let mut file = std::fs::File::open(path).ok()?;
            file.read(&mut head).ok()?
        };
        let line = head[..n].split(|&b| b == b'\n').next()?;
        let line = std::str::from_utf8(line.strip_prefix(b"#!")?).ok()?;
        line.split_whitespace()
            .map(|word| word.rsplit('/').next().unwrap_or(word))
            .find_map(|name| {
                self.profiles
                    .values()
                    .find(|p| p.shebangs().iter().any(|s| s == name))
            })
    }

    /// The profile for a submission at `path`, a file or a directory (see [`Self::for_program`]).
    pub fn for_path(&self, path: &Path, lang: Option<&str>) -> Result<&Profile, ProfileError> {
        if lang.is_some() || !path.is_dir() {
            return self.for_source(path, lang);
        }
        self.for_program(&Program::list(path)?, lang)
    }

    /// The profile for a submission: the one named `lang` if given; for a file, the one that
    /// claims its extension; for a directory with a `build` or `run` script, `build-run`;
    /// for another directory, the one whose extensions most of its files have (a tie between
    /// two languages is the submission's fault, as the package format says).
    pub fn for_program(
        &self,
        program: &Program,
        lang: Option<&str>,
    ) -> Result<&Profile, ProfileError> {
        if lang.is_some() || !program.is_dir {
            return self.for_source(&program.path, lang);
        }
        let no_language = || ProfileError::NoLanguageInDir {
            path: program.path.clone(),
            known: self.known_extensions(),
        };
        if program.has_scripts() {
            return self.get(BUILD_RUN).ok_or_else(no_language);
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for file in &program.files {
            if let Some(name) = file.extension().and_then(|e| self.by_extension.get(e)) {
                *counts.entry(name).or_default() += 1;
            }
        }
        let most = counts.values().copied().max().ok_or_else(no_language)?;
        let leaders: Vec<&str> = counts
            .iter()
            .filter(|(_, n)| **n == most)
            .map(|(name, _)| *name)
            .collect();
        match leaders.as_slice() {
            [one] => self.get(one).ok_or_else(no_language),
            several => Err(ProfileError::AmbiguousLanguage {
                path: program.path.clone(),
                counts: several
                    .iter()
                    .map(|name| format!("{most} {name}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// `.c (c), .cc (cpp), ...` for error messages.
    fn known_extensions(&self) -> String {
        let list: Vec<String> = self
            .by_extension
            .iter()
            .map(|(ext, name)| format!(".{ext} ({name})"))
            .collect();
        if list.is_empty() {
            "none".to_string()
        } else {
            list.join(", ")
        }
    }
}

/// Loads every `*.toml` in `dir`, sorted by file name so errors are reproducible.
fn read_dir_layer(dir: &Path) -> Result<Vec<Profile>, ProfileError> {
    let read_err = |source| ProfileError::ReadDir {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(ProfileError::NoProfiles {
            dir: dir.to_path_buf(),
        });
    }
    files.sort();
    files.iter().map(|f| Profile::load(f)).collect()
}

//! Errors of the profile module: every way a profile file, a profile directory or a language
//! choice can be wrong, each rendered as one sentence that names the file, the key and the fix.

use std::io;
use std::path::PathBuf;

use crate::limits::LimitError;

/// Everything that can go wrong while loading, choosing or preparing a language profile.
///
/// `origin` fields name where a profile came from, e.g. `profiles/java.toml` or
/// `profiles/java.toml (built in)`.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read profile {path}: {source}")]
    ReadFile { path: PathBuf, source: io::Error },

    #[error("cannot read profiles directory {path}: {source}")]
    ReadDir { path: PathBuf, source: io::Error },

    #[error("profiles directory {dir} holds no *.toml profile")]
    NoProfiles { dir: PathBuf },

    #[error("profile {origin}: line {line}, column {column} (`{snippet}`): {message}")]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        snippet: String,
        message: String,
    },

    #[error("profile {origin}: unknown key \"{key}\" in {table}; expected one of: {expected}")]
    UnknownKey {
        origin: String,
        table: String,
        key: String,
        expected: String,
    },

    #[error("profile {origin}: missing key \"{key}\" in {table}, which needs all of: {required}")]
    MissingKey {
        origin: String,
        table: String,
        key: &'static str,
        required: String,
    },

    #[error("profile {origin}: bad value for {key}: {problem}")]
    BadValue {
        origin: String,
        key: String,
        problem: String,
    },

    /// A time, size, process count or factor out of the bounds of [`crate::limits`]; it names
    /// the profile and the key.
    #[error("{0}")]
    Limit(#[from] LimitError),

    #[error(
        "profile {origin}: unknown system call \"{name}\" in {key} (not in the {arch} table); \
         check the spelling against `man 2 syscalls`"
    )]
    UnknownSyscall {
        origin: String,
        key: String,
        name: String,
        arch: &'static str,
    },

    #[error(
        "profile {origin}: system call \"{name}\" in {key} is never allowed: it would let a \
         submission attack the host; remove it"
    )]
    ForbiddenSyscall {
        origin: String,
        key: String,
        name: String,
    },

    #[error("profile {origin}: {key}: {error}")]
    Syscalls {
        origin: String,
        key: String,
        error: String,
    },

    #[error(
        "profile {origin}: unknown placeholder {{{name}}} in {key}; known placeholders: {known}"
    )]
    UnknownPlaceholder {
        origin: String,
        key: String,
        name: String,
        known: String,
    },

    #[error("profile {origin}: {key} uses {{{name}}}, which this profile cannot provide: {why}")]
    UnavailablePlaceholder {
        origin: String,
        key: String,
        name: &'static str,
        why: &'static str,
    },

    #[error(
        "profile {origin}: name \"{name}\" differs from the file name; rename the file to \
         {name}.toml or set name = \"{stem}\""
    )]
    NameMismatch {
        origin: String,
        name: String,
        stem: String,
    },

    #[error(
        "extension .{ext} is claimed by both profile {first} and profile {second}; \
         remove it from one of them"
    )]
    DuplicateExtension {
        ext: String,
        first: String,
        second: String,
    },

    #[error(
        "profile {origin}: {key} runs {program}, which is missing or not executable on this \
         machine (looked for {host_path}); install it, fix the path, or override this profile with \
         --profiles DIR"
    )]
    ProgramMissing {
        origin: String,
        key: &'static str,
        program: String,
        host_path: PathBuf,
    },

    #[error(
        "profile {origin}: {key} runs {program}, which resolves to {target}, outside every \
         read-only mount of the sandbox; add a mount for it in `mounts`"
    )]
    ProgramOutsideMounts {
        origin: String,
        key: &'static str,
        program: String,
        target: PathBuf,
    },

    #[error(
        "profile {origin}: mount source {host} does not exist on this machine; install what it \
         belongs to, fix `mounts`, or override this profile with --profiles DIR"
    )]
    MountMissing { origin: String, host: PathBuf },

    #[error("unknown language \"{lang}\"; known languages: {known} (add one with --profiles DIR)")]
    UnknownLanguage { lang: String, known: String },

    #[error(
        "cannot tell the language of {path}: no profile handles {what}; known extensions: \
         {known}; pass --lang NAME or add a profile with --profiles DIR"
    )]
    UnknownExtension {
        path: PathBuf,
        what: String,
        known: String,
    },

    #[error("profile {origin}: the source declares {wanted}, so there is no class to run")]
    NoMainClass {
        origin: String,
        wanted: &'static str,
    },

    #[error(
        "submission {path}: several classes declare main ({classes}) and none is Main; name \
         the one to run as its entry point"
    )]
    SeveralMainClasses { path: PathBuf, classes: String },

    #[error(
        "submission {path}: {count} {language} files ({files}) and none is the entry point \
         ({wanted}); name it as the entry point"
    )]
    NoEntryPoint {
        path: PathBuf,
        count: usize,
        language: String,
        files: String,
        wanted: String,
    },

    #[error("submission {path}: its entry point {entry} is not one of its {language} files")]
    MissingEntryPoint {
        path: PathBuf,
        entry: String,
        language: String,
    },

    #[error(
        "submission {path}: a directory holding no file in a known language (known extensions: \
         {known}) and no build or run script"
    )]
    NoLanguageInDir { path: PathBuf, known: String },

    /// The submission's files could not be listed.
    #[error("{0}")]
    Program(#[from] crate::program::ProgramError),

    #[error(
        "submission {path}: cannot tell its language: {counts}, as many files of each; name \
         the language"
    )]
    AmbiguousLanguage { path: PathBuf, counts: String },

    #[error(
        "profile {origin}: memory limit of {memory_mib} MiB leaves no heap after the \
         run.heap_headroom_mib of {headroom_mib} MiB; raise the memory limit or lower \
         heap_headroom_mib with --profiles DIR"
    )]
    MemoryBelowHeadroom {
        origin: String,
        memory_mib: u64,
        headroom_mib: u64,
    },
}

impl ProfileError {
    /// Whether the submission, not the judge or its profiles, is at fault: it is a compile
    /// error like any other, never a judging failure.
    /// The toolchain's program or a directory it needs is not on this host.
    pub fn is_missing_tool(&self) -> bool {
        matches!(
            self,
            ProfileError::ProgramMissing { .. } | ProfileError::MountMissing { .. }
        )
    }

    pub fn is_submission_fault(&self) -> bool {
        matches!(
            self,
            ProfileError::NoMainClass { .. }
                | ProfileError::SeveralMainClasses { .. }
                | ProfileError::NoEntryPoint { .. }
                | ProfileError::MissingEntryPoint { .. }
                | ProfileError::NoLanguageInDir { .. }
                | ProfileError::AmbiguousLanguage { .. }
                | ProfileError::Program(crate::program::ProgramError::Refused { .. })
        )
    }
}

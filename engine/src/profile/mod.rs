//! Language profiles: how to compile and run each language inside the sandbox, read from TOML.
//!
//! A profile names the language and its file extensions, the file name the source is saved as
//! in the sandbox's work directory [`WORK_DIR`], an optional compile step and a run step (each an
//! argv template, environment, limits and a system-call allowlist), and the read-only mounts the
//! tools need beyond [`DEFAULT_MOUNTS`]. The order of work:
//! 1. load: [`ProfileSet`] reads the built-in profiles (embedded from `profiles/`) or a
//!    directory, then override directories on top, each file checked key by key and value by
//!    value into a [`Profile`];
//! 2. choose: [`ProfileSet::for_source`] picks by `--lang` name or by file extension,
//!    [`ProfileSet::for_program`] for a directory by most files (or `build-run` for scripts);
//! 3. check: [`Profile::check_available`] looks for the compiler or interpreter on this
//!    machine, only for the profile in use, so a missing rustc does not stop C from judging;
//! 4. prepare: [`Profile::prepare`] (a file) or [`Profile::prepare_dir`] (a directory) reads
//!    what the submission decides (the Java class, the entry point) and fixes the memory
//!    limit, giving [`Vars`];
//! 5. expand: [`Profile::compile_argv`], [`Profile::run_argv`] and the `_env` variants fill the
//!    templates' placeholders (see [`Placeholder`]).
//!
//! The TOML schema (units are in the key names):
//! ```toml
//! name = "java"                    # must equal the file stem
//! extensions = ["java"]            # without dots; [] = only reachable with --lang
//! source_name = "{class}.java"     # file name in /work; only {class} may appear
//! exe_name = "main"                # optional, default "main"
//! mounts = ["/etc/java-17-openjdk", { host = "/opt/x", sandbox = "/opt/y" }]
//!
//! [compile]                        # optional
//! command = ["/usr/bin/javac", "-d", "{dir}", "{sources}"]  # {sources}: one arg per file
//! time_limit_secs = 30             # CPU time
//! memory_limit_mib = 2048
//! processes = 64                   # tasks (processes and threads) at once
//! output_limit_mib = 64            # largest file written, and the compiler's output
//! address_space_limit = false      # optional, default true: RLIMIT_AS = memory limit may be
//!                                  # set (the judge does so only when it has no cgroup)
//! heap_headroom_mib = 256          # optional, default 64: {heap_mib} = memory - headroom
//! env = { LANG = "C.UTF-8" }       # values are templates
//! syscalls = { base = true, extra = [] }
//!
//! [run]
//! command = ["/usr/bin/java", "-Xmx{heap_mib}m", "-cp", "{dir}", "{class}"]
//! processes = 64
//! address_space_limit = false
//! heap_headroom_mib = 64
//! time_factor = 1.0                # optional, multiplies the problem's time limit
//! memory_error = "java.lang.OutOfMemoryError"  # optional: this on stderr of a failed run = MLE
//! network = "none"                 # optional: "loopback" brings up the run's own lo
//! env = {}
//! syscalls = { base = true, extra = [] }   # the sandbox's base list plus `extra`
//! ```
//!
//! A profile may name a root filesystem image instead of binding the host's directories:
//! `rootfs = { image = "/srv/judge/rootfs/python3.12", overlay = true }` (top level). Its
//! steps' `/` is then the image, read-only below an overlay whose upper layer is a tmpfs
//! fresh for every run (`overlay = false`: a read-only root); the default host mounts are
//! not bound, the profile's own `mounts` still are.
//!
//! `sandbox = "ptrace"` (top level) runs the profile's steps with the ptrace backend (no
//! namespaces; see `sandbox/ptrace`); `"namespaces"` insists on namespaces; without the key
//! the engine's backend is used.

mod convert;
mod error;
mod java;
mod jvm;
mod raw;
mod set;
mod syscall;
mod template;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::sandbox::SyscallFilter;

pub use error::ProfileError;
pub use java::java_main_class;
pub use jvm::MainClass;
pub use set::{ProfileSet, BUILD_RUN};
pub use syscalls::Sysno;
pub use template::Placeholder;

use template::{Template, Values};

/// The work directory inside the sandbox; the source is copied here and compiled here.
pub const WORK_DIR: &str = "/work";

/// Read-only mounts every profile gets, at the same path inside the sandbox. Those missing on
/// the host (no `/lib64` on some systems) are left out by [`Profile::mounts`].
pub const DEFAULT_MOUNTS: &[&str] = &["/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache"];

const MIB: u64 = 1 << 20;

/// An expanded command: argv and environment.
type Expanded = (Vec<String>, Vec<(String, String)>);

/// A read-only bind mount: `host` appears at `sandbox` inside the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub host: PathBuf,
    pub sandbox: PathBuf,
}

impl Mount {
    fn same(path: &str) -> Mount {
        Mount {
            host: PathBuf::from(path),
            sandbox: PathBuf::from(path),
        }
    }
}

/// Limits of a compile step, all fixed by the profile.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileLimits {
    /// CPU time of all the compiler's processes together.
    pub time: Duration,
    pub memory_bytes: u64,
    /// Tasks (processes and threads) alive at once.
    pub processes: u32,
    /// Largest file the compiler may write, and the cap on its captured output.
    pub output_bytes: u64,
    /// Whether to set RLIMIT_AS to the memory limit (false for the JVM, which reserves far
    /// more address space than it uses; the cgroup limit still applies).
    pub address_space_limit: bool,
}

/// The profile's adjustments to the problem's limits for the run step.
#[derive(Debug, Clone, PartialEq)]
pub struct RunLimits {
    /// Tasks (processes and threads) alive at once.
    pub processes: u32,
    /// Whether to set RLIMIT_AS to the memory limit.
    pub address_space_limit: bool,
    /// Multiplies the problem's time limit (1.0 unless the profile says otherwise).
    pub time_factor: f64,
    /// The run's network (`run.network`: `"none"`, the default, or `"loopback"`).
    pub network: crate::sandbox::Network,
}

/// The compile step of a profile.
#[derive(Debug, Clone)]
pub struct CompileStep {
    command: Vec<Template>,
    env: Vec<(String, Template)>,
    syscalls: Arc<SyscallFilter>,
    limits: CompileLimits,
    heap_headroom_bytes: u64,
    prepared: Option<Prepared>,
}

/// A file the engine prepares once per toolchain and flags (a step's `prepared` table: a
/// precompiled header, a JVM class-data archive), keeps in its cache and offers, read-only at
/// [`PREPARED_DIR`], to every run of the step.
#[derive(Debug, Clone)]
pub struct Prepared {
    input: String,
    output: String,
    command: Vec<Template>,
    flags: Vec<Template>,
}

/// Where a prepared file's directory appears in a step's sandbox.
pub const PREPARED_DIR: &str = "/judge/prepared";

/// The step a prepared file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Compile,
    Run,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Compile => "compile",
            Stage::Run => "run",
        }
    }
}

impl Prepared {
    /// The text the command prepares from (given to it as the file `{source}`).
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The file it writes, relative to its directory (`bits/stdc++.h.gch`).
    pub fn output(&self) -> &str {
        &self.output
    }

    /// The command that prepares it: `{source}` is a file holding [`Self::input`], `{exe}`
    /// where the output goes.
    pub fn build_argv(&self, source: &str, out: &str) -> Vec<String> {
        let values = Values {
            source,
            exe: out,
            ..Values::fixed()
        };
        self.command
            .iter()
            .flat_map(|t| t.expand_args(&values))
            .collect()
    }

    /// Give a step the prepared file kept in the host directory `dir`: mounted at
    /// [`PREPARED_DIR`], and [`Self::flags`] after the program's name in `argv`.
    pub fn offer(&self, dir: PathBuf, argv: &mut Vec<String>, mounts: &mut Vec<Mount>) {
        let at = 1.min(argv.len());
        argv.splice(at..at, self.flags());
        mounts.push(Mount {
            host: dir,
            sandbox: PathBuf::from(PREPARED_DIR),
        });
    }

    /// What a step adds after its program's name to use it: `{dir}` is [`PREPARED_DIR`].
    pub fn flags(&self) -> Vec<String> {
        let values = Values {
            dir: PREPARED_DIR,
            ..Values::fixed()
        };
        self.flags
            .iter()
            .flat_map(|t| t.expand_args(&values))
            .collect()
    }
}

impl CompileStep {
    pub fn limits(&self) -> &CompileLimits {
        &self.limits
    }

    /// The file prepared for this step, if there is one.
    pub fn prepared(&self) -> Option<&Prepared> {
        self.prepared.as_ref()
    }

    /// The compiled system-call allowlist, shared by every run of this step.
    pub fn syscalls(&self) -> &Arc<SyscallFilter> {
        &self.syscalls
    }
}

/// The run step of a profile.
#[derive(Debug, Clone)]
pub struct RunStep {
    command: Vec<Template>,
    env: Vec<(String, Template)>,
    syscalls: Arc<SyscallFilter>,
    limits: RunLimits,
    heap_headroom_bytes: u64,
    memory_error: Option<String>,
    prepared: Option<Prepared>,
}

impl RunStep {
    pub fn limits(&self) -> &RunLimits {
        &self.limits
    }

    /// Text the language runtime prints to stderr when an allocation fails inside its own
    /// heap limit (`java.lang.OutOfMemoryError`, `MemoryError`): a failed run whose stderr holds
    /// it is a memory limit, not a runtime error.
    pub fn memory_error(&self) -> Option<&str> {
        self.memory_error.as_deref()
    }

    /// The file prepared for this step, if there is one.
    pub fn prepared(&self) -> Option<&Prepared> {
        self.prepared.as_ref()
    }

    /// The compiled system-call allowlist, shared by every run of this step.
    pub fn syscalls(&self) -> &Arc<SyscallFilter> {
        &self.syscalls
    }
}

/// A validated language profile.
#[derive(Debug, Clone)]
pub struct Profile {
    name: String,
    origin: String,
    extensions: Vec<String>,
    source_name: Template,
    exe_name: String,
    compile: Option<CompileStep>,
    run: RunStep,
    mounts: Vec<Mount>,
    package: Option<String>,
    version: Vec<String>,
    shebangs: Vec<String>,
    main_class: MainClass,
    rootfs: Option<Rootfs>,
    /// `sandbox = "namespaces" | "ptrace"`: the backend of its steps (`None`: the engine's).
    backend: Option<crate::sandbox::Backend>,
}

/// A profile's root filesystem image (`rootfs = { image = "...", overlay = true }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rootfs {
    /// The image directory on the host.
    pub image: PathBuf,
    /// Writable through a fresh upper layer per run (true, the default), or read-only.
    pub overlay: bool,
}

/// What one submission fixes about a profile's templates: file names, the Java class, the
/// memory limit. Made by [`Profile::prepare`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vars {
    source_file_name: String,
    /// Every source file of the language, relative to [`WORK_DIR`]: `{sources}`.
    sources: Vec<String>,
    class: Option<String>,
    memory_limit_bytes: u64,
}

impl Vars {
    /// The name the source must be saved as inside [`WORK_DIR`] (`Main.java`, `main.cpp`).
    pub fn source_file_name(&self) -> &str {
        &self.source_file_name
    }

    /// Every source file of the language, relative to [`WORK_DIR`].
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// The class found in a Java source, when the profile needs one.
    pub fn class(&self) -> Option<&str> {
        self.class.as_deref()
    }

    /// The run step's memory limit.
    pub fn memory_limit_bytes(&self) -> u64 {
        self.memory_limit_bytes
    }
}

impl Profile {
    /// Loads one profile file. Its name must equal the file stem.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = fs::read_to_string(path).map_err(|source| ProfileError::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Profile::from_toml(&path.display().to_string(), &stem, &text)
    }

    /// Parses and validates profile text; `origin` names it in errors, `stem` is the file name
    /// without `.toml`.
    pub fn from_toml(origin: &str, stem: &str, text: &str) -> Result<Profile, ProfileError> {
        let raw = raw::parse(origin, text)?;
        convert::convert(origin, stem, raw)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the profile came from, as error messages name it.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// What provides the toolchain (a Debian package), if the profile says.
    pub fn package(&self) -> Option<&str> {
        self.package.as_deref()
    }

    /// The host command that prints the toolchain's version (empty if none).
    pub fn version_command(&self) -> &[String] {
        &self.version
    }

    /// Interpreter names in a `#!` line that choose this profile.
    pub fn shebangs(&self) -> &[String] {
        &self.shebangs
    }

    /// Extensions (without the dot) that select this profile.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// Whether a program's file is in this profile's language (by its extension).
    pub fn claims(&self, file: &crate::program::ProgramFile) -> bool {
        file.extension()
            .is_some_and(|e| self.extensions.iter().any(|x| x == e))
    }

    /// The package format's language code for this profile (`include/<code>/`): its name,
    /// with the C++ standards sharing `cpp`.
    pub fn language_code(&self) -> &str {
        match self.name.as_str() {
            "cpp20" => "cpp",
            name => name,
        }
    }

    pub fn compile(&self) -> Option<&CompileStep> {
        self.compile.as_ref()
    }

    pub fn run(&self) -> &RunStep {
        &self.run
    }

    /// Every read-only mount for this profile: the defaults present on this machine, then the
    /// profile's own.
    pub fn mounts(&self) -> Vec<Mount> {
        let defaults = if self.rootfs.is_some() {
            &[][..]
        } else {
            DEFAULT_MOUNTS
        };
        defaults
            .iter()
            .filter(|p| Path::new(p).exists())
            .map(|p| Mount::same(p))
            .chain(self.mounts.iter().cloned())
            .collect()
    }

    /// The root image of this profile's steps, their upper layer capped at `upper_size` bytes.
    pub fn root_image(&self, upper_size: u64) -> Option<crate::sandbox::RootImage> {
        self.rootfs.as_ref().map(|r| crate::sandbox::RootImage {
            path: r.image.clone(),
            writable: r.overlay,
            upper_size,
        })
    }

    /// The sandbox backend its steps ask for, if any (`sandbox = "ptrace"`).
    pub fn backend(&self) -> Option<crate::sandbox::Backend> {
        self.backend
    }

    /// The profile's own mounts, without the defaults.
    pub fn extra_mounts(&self) -> &[Mount] {
        &self.mounts
    }

    /// Absolute sandbox path of the executable the compile step writes.
    pub fn exe_path(&self) -> String {
        format!("{WORK_DIR}/{}", self.exe_name)
    }

    /// Whether some template uses `{class}`, so the source must declare a main class.
    pub fn needs_class(&self) -> bool {
        self.templates().any(|t| t.uses(Placeholder::Class))
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        let compile = self
            .compile
            .iter()
            .flat_map(|c| c.command.iter().chain(c.env.iter().map(|(_, t)| t)));
        let run = self
            .run
            .command
            .iter()
            .chain(self.run.env.iter().map(|(_, t)| t));
        std::iter::once(&self.source_name).chain(compile).chain(run)
    }

    /// Fixes what a one-file submission decides: finds the Java main class when a template
    /// needs it, names the source file, and checks the run's memory limit leaves a heap.
    pub fn prepare(
        &self,
        source_text: &str,
        memory_limit_bytes: u64,
    ) -> Result<Vars, ProfileError> {
        let class = if self.needs_class() {
            // Java names the file after the class; Kotlin and Scala name the class after
            // the file, or not at all.
            let file = self.source_name.expand(&self.values(None, 0, 0));
            Some(
                self.main_class
                    .find(&file, source_text)
                    .ok_or_else(|| self.no_main_class())?,
            )
        } else {
            None
        };
        self.check_heap(memory_limit_bytes)?;
        // The file is named after the class alone, without its package.
        let simple = class.as_deref().map(|c| c.rsplit('.').next().unwrap_or(c));
        let name = self.source_name.expand(&Values {
            class: simple.unwrap_or(""),
            ..self.values(None, 0, 0)
        });
        Ok(Vars {
            sources: vec![name.clone()],
            source_file_name: name,
            class,
            memory_limit_bytes,
        })
    }

    fn no_main_class(&self) -> ProfileError {
        ProfileError::NoMainClass {
            origin: self.origin.clone(),
            wanted: match self.main_class {
                MainClass::Java => "no class with `public static void main(String[])`",
                MainClass::Kotlin => "no top-level `fun main`",
                MainClass::Scala => "no top-level `object` with `def main` or `extends App`",
            },
        }
    }

    /// Fixes what a directory submission decides. `files` are its files in this profile's
    /// language, each `(path relative to the directory, text)`, kept under their own names;
    /// `entry` is the entry point its package names, if any. The Java main class is the one
    /// class declaring `main` (or `Main` among several); otherwise the entry point is the only
    /// file, or `main.<extension>` (`__main__.py` for Python), when a template needs one.
    pub fn prepare_dir(
        &self,
        dir: &Path,
        files: &[(String, &str)],
        entry: Option<&str>,
        memory_limit_bytes: u64,
    ) -> Result<Vars, ProfileError> {
        self.check_heap(memory_limit_bytes)?;
        let sources: Vec<String> = files.iter().map(|(name, _)| name.clone()).collect();
        let first = sources.first().cloned().unwrap_or_default();
        let (source_file_name, class) = if self.needs_class() {
            let found: Vec<(String, &String)> = files
                .iter()
                .filter_map(|(name, text)| self.main_class.find(name, text).map(|c| (c, name)))
                .collect();
            let simple = |c: &str| c.rsplit('.').next().unwrap_or(c).to_owned();
            let chosen = match (entry, found.as_slice()) {
                (Some(entry), _) => found
                    .iter()
                    .find(|(c, _)| c == entry || simple(c) == entry)
                    .map(|(c, name)| (c.clone(), (*name).clone()))
                    .or_else(|| Some((entry.to_owned(), first.clone()))),
                (None, [(c, name)]) => Some((c.clone(), (*name).clone())),
                (None, []) => None,
                (None, several) => match several.iter().find(|(c, _)| simple(c) == "Main") {
                    Some((c, name)) => Some((c.clone(), (*name).clone())),
                    None => {
                        let classes: Vec<&str> = several.iter().map(|(c, _)| c.as_str()).collect();
                        return Err(ProfileError::SeveralMainClasses {
                            path: dir.to_owned(),
                            classes: classes.join(", "),
                        });
                    }
                },
            };
            let (class, name) = chosen.ok_or_else(|| self.no_main_class())?;
            (name, Some(class))
        } else if self.templates().any(|t| t.uses(Placeholder::Source)) {
            (self.entry_file(dir, &sources, entry)?, None)
        } else {
            (first, None)
        };
        Ok(Vars {
            source_file_name,
            sources,
            class,
            memory_limit_bytes,
        })
    }

    /// The entry file of a directory submission whose command names one file.
    fn entry_file(
        &self,
        dir: &Path,
        sources: &[String],
        entry: Option<&str>,
    ) -> Result<String, ProfileError> {
        if let Some(entry) = entry {
            return sources
                .iter()
                .find(|s| *s == entry)
                .cloned()
                .ok_or_else(|| ProfileError::MissingEntryPoint {
                    path: dir.to_owned(),
                    entry: entry.to_owned(),
                    language: self.name.clone(),
                });
        }
        if let [only] = sources {
            return Ok(only.clone());
        }
        let mut wanted: Vec<String> = self
            .extensions
            .iter()
            .map(|e| format!("main.{e}"))
            .collect();
        if self.extensions.iter().any(|e| e == "py") {
            wanted.push("__main__.py".to_owned());
        }
        wanted
            .iter()
            .find(|w| sources.contains(w))
            .cloned()
            .ok_or_else(|| ProfileError::NoEntryPoint {
                path: dir.to_owned(),
                count: sources.len(),
                language: self.name.clone(),
                files: sources.join(", "),
                wanted: wanted.join(" or "),
            })
    }

    /// A run whose command sizes a heap needs a memory limit above the heap's headroom.
    fn check_heap(&self, memory_limit_bytes: u64) -> Result<(), ProfileError> {
        let run_uses_heap = self
            .run
            .command
            .iter()
            .chain(self.run.env.iter().map(|(_, t)| t))
            .any(|t| t.uses(Placeholder::HeapMib));
        if run_uses_heap && memory_limit_bytes < self.run.heap_headroom_bytes + MIB {
            return Err(ProfileError::MemoryBelowHeadroom {
                origin: self.origin.clone(),
                memory_mib: memory_limit_bytes / MIB,
                headroom_mib: self.run.heap_headroom_bytes / MIB,
            });
        }
        Ok(())
    }

    fn values<'a>(&'a self, vars: Option<&'a Vars>, memory: u64, headroom: u64) -> Values<'a> {
        Values {
            class: vars.and_then(|v| v.class.as_deref()).unwrap_or(""),
            heap_mib: memory.saturating_sub(headroom) / MIB,
            memory_mib: memory / MIB,
            ..Values::fixed()
        }
    }

    fn expand_all(
        &self,
        vars: &Vars,
        memory: u64,
        headroom: u64,
        command: &[Template],
        env: &[(String, Template)],
    ) -> Expanded {
        let source = format!("{WORK_DIR}/{}", vars.source_file_name);
        let sources: Vec<String> = vars
            .sources
            .iter()
            .map(|s| format!("{WORK_DIR}/{s}"))
            .collect();
        let exe = self.exe_path();
        let values = Values {
            source: &source,
            sources: &sources,
            exe: &exe,
            ..self.values(Some(vars), memory, headroom)
        };
        let argv = command
            .iter()
            .flat_map(|t| t.expand_args(&values))
            .collect();
        let env = env
            .iter()
            .map(|(k, t)| (k.clone(), t.expand(&values)))
            .collect();
        (argv, env)
    }

    fn compile_expanded(&self, vars: &Vars) -> Option<Expanded> {
        let c = self.compile.as_ref()?;
        Some(self.expand_all(
            vars,
            c.limits.memory_bytes,
            c.heap_headroom_bytes,
            &c.command,
            &c.env,
        ))
    }

    fn run_expanded(&self, vars: &Vars) -> Expanded {
        self.expand_all(
            vars,
            vars.memory_limit_bytes,
            self.run.heap_headroom_bytes,
            &self.run.command,
            &self.run.env,
        )
    }

    /// The compiler's argv, or `None` for interpreted languages.
    pub fn compile_argv(&self, vars: &Vars) -> Option<Vec<String>> {
        self.compile_expanded(vars).map(|(argv, _)| argv)
    }

    /// The file prepared for `stage`, if there is one.
    pub fn prepared(&self, stage: Stage) -> Option<&Prepared> {
        match stage {
            Stage::Compile => self.compile.as_ref()?.prepared(),
            Stage::Run => self.run.prepared(),
        }
    }

    /// The compile step's environment for a command that names no submission's files (a
    /// prepared file's build); empty without a compile step.
    pub fn precompile_env(&self) -> Vec<(String, String)> {
        let Some(c) = self.compile.as_ref() else {
            return Vec::new();
        };
        let values = self.values(None, c.limits.memory_bytes, c.heap_headroom_bytes);
        c.env
            .iter()
            .map(|(k, t)| (k.clone(), t.expand(&values)))
            .collect()
    }

    /// The compiler's environment (nothing else is inherited), or `None` without a compile step.
    pub fn compile_env(&self, vars: &Vars) -> Option<Vec<(String, String)>> {
        self.compile_expanded(vars).map(|(_, env)| env)
    }

    /// The program's argv.
    pub fn run_argv(&self, vars: &Vars) -> Vec<String> {
        self.run_expanded(vars).0
    }

    /// The program's environment (nothing else is inherited).
    pub fn run_env(&self, vars: &Vars) -> Vec<(String, String)> {
        self.run_expanded(vars).1
    }

    /// Checks that the mounts and the programs the steps start exist on this machine, following
    /// symbolic links as the sandbox will see them.
    /// Why this profile cannot be used on this host, in a contestant's words: `pypy3 is not
    /// installed on this host (Debian package pypy3)`; `None` when it can.
    pub fn not_installed(&self) -> Option<String> {
        self.not_installed_because(&self.check_available().err()?)
    }

    /// What [`Self::not_installed`] says for `e`, an error of [`Self::check_available`];
    /// `None` when `e` is not a missing toolchain.
    pub fn not_installed_because(&self, e: &ProfileError) -> Option<String> {
        let tool = match e {
            ProfileError::ProgramMissing { program, .. } => Path::new(program)
                .file_name()
                .map_or_else(|| program.clone(), |n| n.to_string_lossy().into_owned()),
            ProfileError::MountMissing { host, .. } => host.display().to_string(),
            _ => return None,
        };
        let from = match &self.package {
            Some(package) => format!(" (profile {}: {package})", self.name),
            None => format!(" (profile {})", self.name),
        };
        Some(format!("{tool} is not installed on this host{from}"))
    }

    pub fn check_available(&self) -> Result<(), ProfileError> {
        for m in &self.mounts {
            if !m.host.exists() {
                return Err(ProfileError::MountMissing {
                    origin: self.origin.clone(),
                    host: m.host.clone(),
                });
            }
        }
        // With a root image, a program is looked for in the image (under the profile's own
        // mounts, which go on top of it).
        let base: Vec<Mount> = match &self.rootfs {
            Some(r) => vec![Mount {
                host: r.image.clone(),
                sandbox: PathBuf::from("/"),
            }],
            None => DEFAULT_MOUNTS.iter().map(|p| Mount::same(p)).collect(),
        };
        let all: Vec<Mount> = base
            .into_iter()
            .chain(self.mounts.iter().cloned())
            .collect();
        let steps = self
            .compile
            .iter()
            .map(|c| ("compile.command", &c.command[0]))
            .chain(std::iter::once(("run.command", &self.run.command[0])));
        for (key, first) in steps {
            if let Some(program) = first.as_literal() {
                self.check_program(key, &program, &all)?;
            }
        }
        Ok(())
    }

    fn check_program(
        &self,
        key: &'static str,
        program: &str,
        mounts: &[Mount],
    ) -> Result<(), ProfileError> {
        let missing = |host_path: PathBuf| ProfileError::ProgramMissing {
            origin: self.origin.clone(),
            key,
            program: program.to_string(),
            host_path,
        };
        let mut inside = PathBuf::from(program);
        // Bounded like the kernel's own limit on symbolic-link hops.
        for _ in 0..40 {
            let Some(host) = to_host(&inside, mounts) else {
                return Err(ProfileError::ProgramOutsideMounts {
                    origin: self.origin.clone(),
                    key,
                    program: program.to_string(),
                    target: inside,
                });
            };
            let meta = fs::symlink_metadata(&host).map_err(|_| missing(host.clone()))?;
            if meta.file_type().is_symlink() {
                let target = fs::read_link(&host).map_err(|_| missing(host.clone()))?;
                let base = inside.parent().unwrap_or(Path::new("/"));
                inside = normalize(&base.join(target));
                continue;
            }
            if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
                return Ok(());
            }
            return Err(missing(host));
        }
        Err(missing(PathBuf::from(program)))
    }
}

/// Maps a sandbox path to the host path behind it, through the mount whose sandbox path is the
/// longest prefix.
fn to_host(inside: &Path, mounts: &[Mount]) -> Option<PathBuf> {
    let m = mounts
        .iter()
        .filter(|m| inside.starts_with(&m.sandbox))
        .max_by_key(|m| m.sandbox.components().count())?;
    let rest = inside.strip_prefix(&m.sandbox).ok()?;
    Some(m.host.join(rest))
}

/// Resolves `.` and `..` lexically, as symbolic-link targets are relative to their directory.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(part) => out.push(part),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;

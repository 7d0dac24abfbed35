//! Compiling, once, in the sandbox: the submission (with its profile's compile step and limits)
//! and a package's output validators (C and C++ with the `c` and `cpp` profiles' compilers,
//! Python run from its copied directory).
//!
//! A submission that does not compile is a CE with the compiler's message, capped in size; a
//! validator that does not compile is the problem's fault, an error.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::hostdir::{self, Cap, Links, SandboxDir};

use super::source::Given;
use super::step::{self, Step};
use super::Cache;
use super::JudgeError;
use crate::profile::{Profile, ProfileSet, Stage, Vars, BUILD_RUN, WORK_DIR};
use crate::sandbox::{Limits, Mount, Sandbox, Stdio, SyscallFilter};
use crate::testset::{Constants, ValidatorLanguage, ValidatorSource};
use crate::verdict::{classify, Outcome, RuntimeError};

/// How much of the compiler's output a report keeps.
pub const MESSAGE_CAP: usize = 16 << 10;

/// The outcome of a compile step.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileReport {
    pub ok: bool,
    /// The compiler's output (stdout and stderr), capped at [`MESSAGE_CAP`] bytes.
    pub message: String,
    /// CPU time of the compiler and everything it started.
    pub time: Duration,
    /// The same files were compiled before: this is that compile's report, and the judgement
    /// starts from a copy of what it left (see [`super::Cache`]).
    pub cached: bool,
}

impl CompileReport {
    pub(crate) fn nothing_to_do() -> CompileReport {
        CompileReport {
            ok: true,
            message: String::new(),
            time: Duration::ZERO,
            cached: false,
        }
    }

    pub(crate) fn failed(message: impl Into<String>) -> CompileReport {
        CompileReport {
            ok: false,
            message: message.into(),
            time: Duration::ZERO,
            cached: false,
        }
    }
}

/// Limits of a compile step as the profile gives them.
pub(crate) fn limits(sandbox: &Sandbox, profile: &Profile) -> Option<Limits> {
    let limits = profile.compile()?.limits();
    Some(crate::limits::compile(limits, sandbox.has_cgroups()))
}

/// Where a compile step's messages (its stdout and stderr) go: a file in its own work
/// directory, a tmpfs charged to the compile's memory, so that an output limit large enough
/// for a big executable cannot fill the host's disk with messages. Hidden, so no file of a
/// submission (whose hidden files are left out) can be named so.
const MESSAGES: &str = ".judge-compile.out";

/// Run a compile step whose work directory is `work`.
pub(crate) fn run_compiler(
    sandbox: &Sandbox,
    step: Step,
    work: &Path,
) -> Result<CompileReport, JudgeError> {
    let out_path = work.join(MESSAGES);
    // A new file: never through a link someone left at that name.
    let out = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&out_path)
        .map_err(|e| JudgeError::io("create", &out_path, e))?;
    sandbox.dirs().give(&out_path)?;
    let err = out
        .try_clone()
        .map_err(|e| JudgeError::io("duplicate", &out_path, e))?;
    let limits = step.limits.clone();
    let result = step
        .mount(Mount::writable(work, WORK_DIR))
        .run(sandbox, Stdio::Null, out, err)?;
    // The compiler could have replaced the file: read without following a link, then gone.
    let mut message = step::read_written(work, MESSAGES, MESSAGE_CAP);
    let _ = fs::remove_file(&out_path);
    let outcome = classify(&result, &limits, None);
    let ok = outcome == Outcome::Normal;
    // A compiler that reports an error and exits says enough; anything else gets a note.
    let why = match outcome {
        Outcome::TimeLimit => "the compiler exceeded its time limit".to_owned(),
        Outcome::MemoryLimit => "the compiler exceeded its memory limit".to_owned(),
        Outcome::OutputLimit => "the compiler's output exceeded its limit".to_owned(),
        Outcome::RuntimeError(RuntimeError::ExitCode(_)) if !message.trim().is_empty() => {
            String::new()
        }
        Outcome::RuntimeError(e) => format!("the compiler failed: {e}"),
        Outcome::Normal => String::new(),
    };
    if !why.is_empty() {
        if !message.is_empty() && !message.ends_with('\n') {
            message.push('\n');
        }
        message.push_str(&why);
    }
    Ok(CompileReport {
        ok,
        message,
        time: result.cpu_time,
        cached: false,
    })
}

/// Put the submission's files in `work` and compile them. A build-run program builds only if
/// it has a `build` script, and must leave an executable `run`. With a `cache`, files compiled
/// before by the same command are copied from it instead, what a compile leaves is kept, and
/// the profile's prepared file for compiles (a precompiled header) is offered to the compiler.
pub(crate) fn submission(
    sandbox: &Sandbox,
    profile: &Profile,
    vars: &Vars,
    given: &Given,
    work: &Path,
    cache: Option<&Arc<Cache>>,
) -> Result<CompileReport, JudgeError> {
    let build_run = profile.name() == BUILD_RUN;
    let (Some(compile), Some(mut argv), Some(env), Some(limits)) = (
        profile.compile(),
        profile.compile_argv(vars),
        profile.compile_env(vars),
        limits(sandbox, profile),
    ) else {
        given.place(sandbox, work, vars)?;
        return Ok(CompileReport::nothing_to_do());
    };
    if build_run && !given.has_build() {
        given.place(sandbox, work, vars)?;
        return runnable_after(work, CompileReport::nothing_to_do());
    }
    let claim = cache.map(|c| c.claim(profile, &argv, &env, given.placed(vars)));
    let _compiling = claim.as_ref().map(|c| c.hold());
    if let (Some(cache), Some(claim)) = (cache, &claim) {
        if let Some(report) = cache.restore(claim, work, sandbox.dirs().owner()) {
            return Ok(report);
        }
    }
    given.place(sandbox, work, vars)?;
    let mut mounts = profile.mounts();
    if let (Some(dir), Some(prepared)) = (
        cache.and_then(|c| c.prepared(sandbox, profile, Stage::Compile)),
        compile.prepared(),
    ) {
        prepared.offer(dir, &mut argv, &mut mounts);
    }
    let step = Step::new(argv, env, &mounts, limits, compile.syscalls().clone()).root_of(profile);
    let mut report = run_compiler(sandbox, step, work)?;
    if build_run {
        report = runnable_after(work, report)?;
    }
    if let (Some(cache), Some(claim)) = (cache, &claim) {
        cache.keep(claim, work, &report);
    }
    Ok(report)
}

/// A build-run program's `report`, failed unless `work` holds its `run` program.
fn runnable_after(work: &Path, report: CompileReport) -> Result<CompileReport, JudgeError> {
    if !report.ok {
        return Ok(report);
    }
    Ok(match runnable(work) {
        Ok(()) => report,
        Err(why) => CompileReport {
            ok: false,
            message: format!("{}{why}", report.message),
            ..report
        },
    })
}

/// Whether `work` (which the build may have written) holds the `run` program: an executable
/// regular file, or a link, which the sandbox resolves in its own view. Never followed here.
fn runnable(work: &Path) -> Result<(), String> {
    let path = work.join("run");
    match fs::symlink_metadata(&path) {
        Err(_) => Err("no `run` program in the directory after the build".to_owned()),
        Ok(meta) if meta.file_type().is_symlink() => Ok(()),
        Ok(meta) if !meta.is_file() => Err("`run` is not a file".to_owned()),
        Ok(meta) if meta.permissions().mode() & 0o111 == 0 => {
            Err("`run` is not executable (chmod +x it, or have `build` do so)".to_owned())
        }
        Ok(_) => Ok(()),
    }
}

/// Which protocol a validator speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// Kattis: `validator input answer feedback_dir [flags] < output`; 42 AC, 43 WA.
    Kattis,
    /// testlib: `checker input output answer`; 0 AC, 1 WA, 2 presentation error, 3 failure.
    Testlib,
}

/// A validator ready to run: its directory is mounted read-only at `/work`.
#[derive(Debug)]
pub(crate) struct BuiltValidator {
    pub path: PathBuf,
    pub protocol: Protocol,
    pub dir: SandboxDir,
    /// The command inside the sandbox, before the protocol's arguments.
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub mounts: Vec<crate::profile::Mount>,
    pub syscalls: Arc<SyscallFilter>,
}

/// Copy a validator's files, compile it if it needs it, and say how to run it.
pub(crate) fn validator(
    sandbox: &Sandbox,
    profiles: &ProfileSet,
    source: &ValidatorSource,
    constants: &Constants,
) -> Result<BuiltValidator, JudgeError> {
    let profile_name = match source.language {
        ValidatorLanguage::C => "c",
        ValidatorLanguage::Cpp => "cpp",
        ValidatorLanguage::Python3 { .. } => "python3",
        ValidatorLanguage::BuildRun { .. } => BUILD_RUN,
    };
    let profile = profiles
        .get(profile_name)
        .ok_or_else(|| JudgeError::NoValidatorProfile {
            path: source.path.clone(),
            profile: profile_name,
        })?;
    profile.check_available()?;
    let dir = step::sandbox_dir(sandbox, "validator", Some(work_cap(profile)))?;
    // A package's files, trusted as the package is: its links are followed, and its constants
    // replaced in them (the specification replaces them in validators' sources).
    if source.path.is_dir() {
        hostdir::copy_tree_rewriting(
            &source.path,
            dir.path(),
            Links::Follow,
            Some(sandbox.dirs().owner()),
            &|text| constants.substitute(text),
        )?;
    } else {
        // A program of one file is a directory holding only it.
        let bytes = fs::read(&source.path).map_err(|e| JudgeError::io("read", &source.path, e))?;
        let bytes = match String::from_utf8(bytes) {
            Ok(text) => constants.substitute(&text).into_bytes(),
            Err(not_text) => not_text.into_bytes(),
        };
        let name = source.path.file_name().unwrap_or_default();
        sandbox
            .dirs()
            .write_given(&dir.path().join(name), &bytes, 0o644)?;
    }
    // Where a file of the program is in the sandbox, below `/work`.
    let inside = |file: &Path| {
        let rel = match file.strip_prefix(&source.path) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel,
            _ => Path::new(file.file_name().unwrap_or_default()),
        };
        format!("{WORK_DIR}/{}", rel.display())
    };
    let protocol = protocol_of(source)?;
    let run_env = profile
        .compile_env(&profile.prepare("", 256 << 20)?)
        .unwrap_or_default();
    let (argv, syscalls) = match &source.language {
        ValidatorLanguage::BuildRun { build } => {
            let vars = profile.prepare("", 256 << 20)?;
            if let (true, Some(compile), Some(argv), Some(env)) = (
                *build,
                profile.compile(),
                profile.compile_argv(&vars),
                profile.compile_env(&vars),
            ) {
                let limits = limits(sandbox, profile).unwrap_or_default();
                let step = Step::new(
                    argv,
                    env,
                    &profile.mounts(),
                    limits,
                    compile.syscalls().clone(),
                );
                let report = run_compiler(sandbox, step, dir.path())?;
                if !report.ok {
                    return Err(JudgeError::ValidatorBuild {
                        path: source.path.clone(),
                        message: report.message,
                    });
                }
            }
            if let Err(why) = runnable(dir.path()) {
                return Err(JudgeError::ValidatorBuild {
                    path: source.path.clone(),
                    message: why,
                });
            }
            (profile.run_argv(&vars), profile.run().syscalls().clone())
        }
        ValidatorLanguage::Python3 { main } => (
            vec!["/usr/bin/python3".to_owned(), inside(main)],
            profile.run().syscalls().clone(),
        ),
        lang => {
            let compile = profile
                .compile()
                .ok_or_else(|| JudgeError::NoValidatorProfile {
                    path: source.path.clone(),
                    profile: profile_name,
                })?;
            let mut argv = match lang {
                ValidatorLanguage::C => vec!["/usr/bin/gcc", "-std=gnu17", "-O2", "-static"],
                _ => vec!["/usr/bin/g++", "-std=gnu++17", "-O2", "-static"],
            }
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
            argv.extend(["-o".to_owned(), format!("{WORK_DIR}/validator")]);
            argv.extend(source.sources.iter().map(|file| inside(file)));
            argv.push("-lm".to_owned());
            let limits = limits(sandbox, profile).unwrap_or_default();
            let step = Step::new(
                argv,
                run_env.clone(),
                &profile.mounts(),
                limits,
                compile.syscalls().clone(),
            );
            let report = run_compiler(sandbox, step, dir.path())?;
            if !report.ok {
                return Err(JudgeError::ValidatorBuild {
                    path: source.path.clone(),
                    message: report.message,
                });
            }
            (
                vec![format!("{WORK_DIR}/validator")],
                compile.syscalls().clone(),
            )
        }
    };
    Ok(BuiltValidator {
        path: source.path.clone(),
        protocol,
        dir,
        argv,
        env: run_env,
        mounts: profile.mounts(),
        syscalls,
    })
}

/// testlib checkers include `testlib.h`; everything else follows the Kattis convention.
fn protocol_of(source: &ValidatorSource) -> Result<Protocol, JudgeError> {
    for file in &source.sources {
        let text = fs::read(file).map_err(|e| JudgeError::io("read", file, e))?;
        if String::from_utf8_lossy(&text).contains("testlib.h") {
            return Ok(Protocol::Testlib);
        }
    }
    Ok(Protocol::Kattis)
}

/// The cap of a work directory the profile's compiler writes in: what its memory limit allows
/// anyway (a tmpfs's pages are charged to the writer's cgroup), 256 MiB without a compile step.
pub(crate) fn work_cap(profile: &Profile) -> Cap {
    Cap::bytes(
        profile
            .compile()
            .map_or(256 << 20, |c| c.limits().memory_bytes),
    )
}

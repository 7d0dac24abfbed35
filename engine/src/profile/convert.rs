//! Validation: turning a [`RawProfile`] into a [`Profile`] the engine can use.
//!
//! Every message about a bad value in a profile is born here. The steps, in order: name and
//! extensions; file names; mounts; then each step's command (parsed templates, an absolute
//! program visible in the sandbox), environment, limits (checked by [`crate::limits`], whose
//! messages name this profile and the key) and system calls; finally the
//! placeholders each template uses are checked against what the profile can provide.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::error::ProfileError;
use super::raw::{RawCompile, RawMount, RawPrepared, RawProfile, RawRun, RawSyscalls};
use super::syscall;
use super::template::{Placeholder, Template, TemplateError};
use super::{CompileStep, Mount, Prepared, Profile, RunStep, DEFAULT_MOUNTS, WORK_DIR};
use crate::limits::{self, Source};
use crate::sandbox::{FilterError, SyscallFilter};

/// Heap headroom when a step uses `{heap_mib}` without saying.
const DEFAULT_HEAP_HEADROOM_MIB: u64 = 64;

struct Ctx<'a> {
    origin: &'a str,
}

impl Ctx<'_> {
    /// Where a limit under `key` of this profile was given.
    fn at(&self, key: &'static str) -> Source {
        Source::Profile {
            origin: self.origin.to_string(),
            key,
        }
    }

    fn bad(&self, key: impl Into<String>, problem: impl Into<String>) -> ProfileError {
        ProfileError::BadValue {
            origin: self.origin.to_string(),
            key: key.into(),
            problem: problem.into(),
        }
    }

    fn template(&self, key: &str, text: &str) -> Result<Template, ProfileError> {
        Template::parse(text).map_err(|e| match e {
            TemplateError::Unknown(name) => ProfileError::UnknownPlaceholder {
                origin: self.origin.to_string(),
                key: key.to_string(),
                name,
                known: Placeholder::known_list(),
            },
            other => self.bad(key, other.to_string()),
        })
    }
}

/// Validates `raw`. `stem` is the file name without `.toml`; the profile's name must equal it
/// so that overriding by file and by name agree.
pub fn convert(origin: &str, stem: &str, raw: RawProfile) -> Result<Profile, ProfileError> {
    let cx = Ctx { origin };
    if raw.name != stem {
        return Err(ProfileError::NameMismatch {
            origin: origin.to_string(),
            name: raw.name,
            stem: stem.to_string(),
        });
    }
    if raw.name.is_empty()
        || !raw
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_+-".contains(c))
    {
        return Err(cx.bad(
            "name",
            format!(
                "\"{}\" must be lowercase letters, digits, `_`, `+` or `-`",
                raw.name
            ),
        ));
    }
    let extensions = extensions(&cx, raw.extensions)?;
    let source_name = cx.template("source_name", &raw.source_name)?;
    file_name(&cx, "source_name", &raw.source_name)?;
    if let Some(p) = source_name
        .placeholders()
        .find(|p| *p != Placeholder::Class)
    {
        return Err(cx.bad(
            "source_name",
            format!(
                "only {{class}} may appear in a file name, not {{{}}}",
                p.name()
            ),
        ));
    }
    let exe_name = raw.exe_name.unwrap_or_else(|| "main".to_string());
    file_name(&cx, "exe_name", &exe_name)?;
    if exe_name.contains(['{', '}']) {
        return Err(cx.bad("exe_name", "must be a plain file name without placeholders"));
    }
    let mounts = raw
        .mounts
        .into_iter()
        .enumerate()
        .map(|(i, m)| mount(&cx, i, m))
        .collect::<Result<Vec<_>, _>>()?;
    let rootfs = raw.rootfs.map(|r| rootfs(&cx, r)).transpose()?;
    let backend =
        match raw.sandbox.as_deref() {
            None => None,
            Some(name) => Some(crate::sandbox::Backend::parse(name).ok_or_else(|| {
                cx.bad("sandbox", format!("{name:?}: write namespaces or ptrace"))
            })?),
        };
    if backend == Some(crate::sandbox::Backend::Ptrace) && rootfs.is_some() {
        return Err(cx.bad("sandbox", "a root image needs namespaces, not ptrace"));
    }
    // What a step's program may be found under: the mounts, or all of an image.
    let visible: Vec<Mount> = match &rootfs {
        Some(_) => vec![Mount::same("/")],
        None => DEFAULT_MOUNTS
            .iter()
            .map(|p| Mount::same(p))
            .chain(mounts.iter().cloned())
            .collect(),
    };
    let compile = raw
        .compile
        .map(|c| compile_step(&cx, c, &visible))
        .transpose()?;
    let run = run_step(&cx, raw.run, &visible)?;
    if run.prepared.is_some() && compile.is_none() {
        return Err(cx.bad(
            "run.prepared",
            "needs a [compile] step: a prepared file is built with the compile step's limits",
        ));
    }

    if let Some(version) = &raw.version {
        if version.first().map_or(true, |p| !p.starts_with('/')) {
            return Err(cx.bad(
                "version",
                "must be a command whose first word is an absolute path",
            ));
        }
    }
    if let Some(bad) = raw
        .shebangs
        .iter()
        .find(|s| s.is_empty() || s.contains(['/', ' ']))
    {
        return Err(cx.bad(
            "shebangs",
            format!("\"{bad}\" must be an interpreter's name, like \"pypy3\""),
        ));
    }
    let main_class = match raw.main_class.as_deref() {
        None => super::MainClass::default(),
        Some(name) => super::MainClass::from_name(name).ok_or_else(|| {
            cx.bad(
                "main_class",
                format!(
                    "\"{name}\" is not one of {} (how {{class}} is found)",
                    super::MainClass::NAMES.join(", ")
                ),
            )
        })?,
    };
    let profile = Profile {
        name: raw.name,
        origin: origin.to_string(),
        extensions,
        source_name,
        exe_name,
        compile,
        run,
        mounts,
        package: raw.package,
        version: raw.version.unwrap_or_default(),
        shebangs: raw.shebangs,
        main_class,
        rootfs,
        backend,
    };
    check_placeholder_sources(&cx, &profile)?;
    Ok(profile)
}

/// `rootfs = { image = "/srv/judge/rootfs/x", overlay = true }`: the image must be an
/// absolute path to a directory that exists now.
fn rootfs(cx: &Ctx<'_>, raw: super::raw::RawRootfs) -> Result<super::Rootfs, ProfileError> {
    let image = std::path::PathBuf::from(&raw.image);
    if !image.is_absolute() {
        return Err(cx.bad(
            "rootfs.image",
            format!("{:?} is not an absolute path", raw.image),
        ));
    }
    match std::fs::metadata(&image) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(cx.bad(
                "rootfs.image",
                format!("{:?} is not a directory", raw.image),
            ))
        }
        Err(e) => return Err(cx.bad("rootfs.image", format!("{:?}: {e}", raw.image))),
    }
    Ok(super::Rootfs {
        image,
        overlay: raw.overlay.unwrap_or(true),
    })
}

fn extensions(cx: &Ctx<'_>, raw: Vec<String>) -> Result<Vec<String>, ProfileError> {
    let mut out: Vec<String> = Vec::new();
    for ext in raw {
        if ext.is_empty() || ext.starts_with('.') || ext.contains(['/', ' ']) {
            return Err(cx.bad(
                "extensions",
                format!("\"{ext}\" must be an extension without the dot, like \"cpp\""),
            ));
        }
        if out.contains(&ext) {
            return Err(cx.bad("extensions", format!("\"{ext}\" is listed twice")));
        }
        out.push(ext);
    }
    Ok(out)
}

fn file_name(cx: &Ctx<'_>, key: &str, name: &str) -> Result<(), ProfileError> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(cx.bad(
            key,
            format!("\"{name}\" must be a plain file name (it is created in {WORK_DIR})"),
        ));
    }
    Ok(())
}

fn absolute_clean(path: &str) -> bool {
    let p = Path::new(path);
    p.is_absolute()
        && p.components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
}

fn mount(cx: &Ctx<'_>, i: usize, raw: RawMount) -> Result<Mount, ProfileError> {
    let (host, sandbox) = match raw {
        RawMount::Same(p) => (p.clone(), p),
        RawMount::Mapped(m) => (m.host, m.sandbox),
    };
    let key = format!("mounts[{i}]");
    for (what, p) in [("host", &host), ("sandbox", &sandbox)] {
        if !absolute_clean(p) {
            return Err(cx.bad(
                &key,
                format!("{what} path \"{p}\" must be absolute, without `.` or `..`"),
            ));
        }
    }
    let target = Path::new(&sandbox);
    let work = Path::new(WORK_DIR);
    if target == Path::new("/") || target.starts_with(work) || work.starts_with(target) {
        return Err(cx.bad(
            &key,
            format!("sandbox path \"{sandbox}\" would cover / or the work directory {WORK_DIR}"),
        ));
    }
    Ok(Mount {
        host: PathBuf::from(host),
        sandbox: PathBuf::from(sandbox),
    })
}

fn command(
    cx: &Ctx<'_>,
    key: &str,
    raw: &[String],
    mounts: &[Mount],
) -> Result<Vec<Template>, ProfileError> {
    let templates = raw
        .iter()
        .enumerate()
        .map(|(i, a)| cx.template(&format!("{key}[{i}]"), a))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = templates.first() else {
        return Err(cx.bad(key, "must name at least the program to run"));
    };
    match (first.as_literal(), first.leading_placeholder()) {
        (_, Some(Placeholder::Dir | Placeholder::Source | Placeholder::Exe)) => {}
        (Some(program), _) if absolute_clean(&program) => {
            if !mounts
                .iter()
                .any(|m| Path::new(&program).starts_with(&m.sandbox))
            {
                return Err(cx.bad(
                    key,
                    format!("program {program} is not under any mount, so the sandbox cannot see it; add a mount"),
                ));
            }
        }
        _ => {
            return Err(cx.bad(
                key,
                format!(
                    "program \"{}\" must be an absolute path such as /usr/bin/gcc or start with \
                     {{exe}}, {{dir}} or {{source}}: the sandbox does not search PATH",
                    raw[0]
                ),
            ))
        }
    }
    Ok(templates)
}

fn env(
    cx: &Ctx<'_>,
    section: &str,
    raw: std::collections::BTreeMap<String, String>,
) -> Result<Vec<(String, Template)>, ProfileError> {
    raw.into_iter()
        .map(|(k, v)| {
            let key = format!("{section}.env.{k}");
            if k.is_empty() || k.contains(['=', '\0']) {
                return Err(cx.bad(&key, "variable names must be non-empty without `=`"));
            }
            Ok((k, cx.template(&key, &v)?))
        })
        .collect()
}

fn syscalls(
    cx: &Ctx<'_>,
    section: &str,
    raw: Option<RawSyscalls>,
) -> Result<Arc<SyscallFilter>, ProfileError> {
    let raw = raw.unwrap_or(RawSyscalls {
        base: None,
        extra: Vec::new(),
    });
    let key = format!("{section}.syscalls.extra");
    syscall::allowlist(raw.base.unwrap_or(true), &raw.extra).map_err(|e| match e {
        FilterError::Unknown(name) => ProfileError::UnknownSyscall {
            origin: cx.origin.to_string(),
            key,
            name,
            arch: std::env::consts::ARCH,
        },
        FilterError::Forbidden(name) => ProfileError::ForbiddenSyscall {
            origin: cx.origin.to_string(),
            key,
            name,
        },
        other => ProfileError::Syscalls {
            origin: cx.origin.to_string(),
            key,
            error: other.to_string(),
        },
    })
}

fn compile_step(
    cx: &Ctx<'_>,
    raw: RawCompile,
    mounts: &[Mount],
) -> Result<CompileStep, ProfileError> {
    let time = limits::time_secs(cx.at("compile.time_limit_secs"), raw.time_limit_secs)?;
    let memory_bytes = limits::size_mib(cx.at("compile.memory_limit_mib"), raw.memory_limit_mib)?;
    let headroom = raw.heap_headroom_mib.unwrap_or(DEFAULT_HEAP_HEADROOM_MIB);
    let heap_headroom_bytes = limits::headroom_mib(cx.at("compile.heap_headroom_mib"), headroom)?;
    let command = command(cx, "compile.command", &raw.command, mounts)?;
    let env = env(cx, "compile", raw.env)?;
    let uses_heap = command
        .iter()
        .chain(env.iter().map(|(_, t)| t))
        .any(|t| t.uses(Placeholder::HeapMib));
    if uses_heap && headroom >= raw.memory_limit_mib {
        return Err(cx.bad(
            "compile.heap_headroom_mib",
            format!(
                "{headroom} MiB leaves no heap within compile.memory_limit_mib = {} MiB",
                raw.memory_limit_mib
            ),
        ));
    }
    Ok(CompileStep {
        command,
        env,
        syscalls: syscalls(cx, "compile", raw.syscalls)?,
        limits: super::CompileLimits {
            time,
            memory_bytes,
            processes: limits::processes(cx.at("compile.processes"), raw.processes.into())?,
            output_bytes: limits::size_mib(
                cx.at("compile.output_limit_mib"),
                raw.output_limit_mib,
            )?,
            address_space_limit: raw.address_space_limit.unwrap_or(true),
        },
        heap_headroom_bytes,
        prepared: raw
            .prepared
            .map(|p| prepared(cx, "compile", p, mounts))
            .transpose()?,
    })
}

/// A step's `prepared` table: an output that is a plain relative name, a command that writes
/// `{exe}` from `{source}`, and flags that may name only `{dir}`.
fn prepared(
    cx: &Ctx<'_>,
    section: &str,
    raw: RawPrepared,
    mounts: &[Mount],
) -> Result<Prepared, ProfileError> {
    let key = format!("{section}.prepared");
    if raw.output.is_empty()
        || !Path::new(&raw.output)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(cx.bad(
            format!("{key}.output"),
            format!(
                "\"{}\" must be a relative file name such as bits/stdc++.h.gch",
                raw.output
            ),
        ));
    }
    let command = command(cx, &format!("{key}.command"), &raw.command, mounts)?;
    for needed in [Placeholder::Source, Placeholder::Exe] {
        if !command.iter().any(|t| t.uses(needed)) {
            return Err(cx.bad(
                format!("{key}.command"),
                format!(
                    "must use {{{}}} ({{source}} is the file holding the input, {{exe}} where \
                     the output goes)",
                    needed.name()
                ),
            ));
        }
    }
    let flags = raw
        .flags
        .iter()
        .enumerate()
        .map(|(i, a)| cx.template(&format!("{key}.flags[{i}]"), a))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(p) = flags
        .iter()
        .flat_map(|t| t.placeholders())
        .find(|p| *p != Placeholder::Dir)
    {
        return Err(cx.bad(
            format!("{key}.flags"),
            format!(
                "may use only {{dir}} (the prepared file's directory), not {{{}}}",
                p.name()
            ),
        ));
    }
    Ok(Prepared {
        input: raw.input,
        output: raw.output,
        command,
        flags,
    })
}

fn run_step(cx: &Ctx<'_>, raw: RawRun, mounts: &[Mount]) -> Result<RunStep, ProfileError> {
    let time_factor = limits::factor(cx.at("run.time_factor"), raw.time_factor.unwrap_or(1.0))?;
    if raw.memory_error.as_deref() == Some("") {
        return Err(cx.bad("run.memory_error", "must not be empty"));
    }
    let headroom = raw.heap_headroom_mib.unwrap_or(DEFAULT_HEAP_HEADROOM_MIB);
    let network = match raw.network.as_deref() {
        None => crate::sandbox::Network::None,
        Some(text) => crate::sandbox::Network::parse(text).ok_or_else(|| {
            cx.bad(
                "run.network",
                format!("{text:?} is not \"none\" or \"loopback\""),
            )
        })?,
    };
    Ok(RunStep {
        memory_error: raw.memory_error,
        command: command(cx, "run.command", &raw.command, mounts)?,
        env: env(cx, "run", raw.env)?,
        syscalls: syscalls(cx, "run", raw.syscalls)?,
        limits: super::RunLimits {
            processes: limits::processes(cx.at("run.processes"), raw.processes.into())?,
            address_space_limit: raw.address_space_limit.unwrap_or(true),
            time_factor,
            network,
        },
        heap_headroom_bytes: limits::headroom_mib(cx.at("run.heap_headroom_mib"), headroom)?,
        prepared: raw
            .prepared
            .map(|p| prepared(cx, "run", p, mounts))
            .transpose()?,
    })
}

/// `{exe}` exists only if something compiles it.
fn check_placeholder_sources(cx: &Ctx<'_>, p: &Profile) -> Result<(), ProfileError> {
    let mut uses: Vec<(String, &Template)> = Vec::new();
    if let Some(c) = &p.compile {
        uses.extend(
            c.command
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("compile.command[{i}]"), t)),
        );
        uses.extend(c.env.iter().map(|(k, t)| (format!("compile.env.{k}"), t)));
    }
    uses.extend(
        p.run
            .command
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("run.command[{i}]"), t)),
    );
    uses.extend(p.run.env.iter().map(|(k, t)| (format!("run.env.{k}"), t)));
    for (key, t) in uses {
        // Many arguments cannot be spliced into one, nor into an environment variable.
        if t.uses(Placeholder::Sources) && !(t.is_sources() && key.contains(".command[")) {
            return Err(cx.bad(
                &key,
                "{sources} stands for one argument per source file: it must be a whole \
                 command argument, alone",
            ));
        }
        if p.compile.is_none() && t.uses(Placeholder::Exe) {
            return Err(ProfileError::UnavailablePlaceholder {
                origin: cx.origin.to_string(),
                key,
                name: "exe",
                why: "the executable is written by [compile], and this profile has no [compile]",
            });
        }
    }
    Ok(())
}

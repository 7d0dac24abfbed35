//! From a go-judge request to what the engine will do: every field checked, every limit
//! bounded, every file it names opened, before anything runs. A request that cannot be done
//! is an [`ExecError::Invalid`] naming the field (`cmd[0].files[3]: ...`), HTTP 400.
//!
//! The engine's sandbox rules win over the request: no request asks for network,
//! capabilities, another root filesystem or a writable host path; `src` files are read only
//! under the server's allowed directories; runs stay pinned to their worker's CPU.

use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::model::{Cmd, CmdFile, PipeIndex, Request};
use super::{ExecConfig, ExecError};
use crate::cgroup::CpuQuota;
use crate::hostdir::beneath;
use crate::limits::{self, Source};
use crate::sandbox::Limits;
use crate::service::files::FileStore;

/// The working directory of every command, where `copyIn` puts files and `copyOut` takes them.
pub const WORK_DIR: &str = "/w";

/// Descriptors a command may be given: stdin, stdout and stderr.
pub const DESCRIPTORS: usize = 3;

/// A request, checked.
#[derive(Debug)]
pub(super) struct Plan {
    pub cmds: Vec<CmdPlan>,
    pub pipes: Vec<PipePlan>,
}

/// One command, checked.
#[derive(Debug)]
pub(super) struct CmdPlan {
    /// The program's path inside the sandbox.
    pub program: PathBuf,
    /// `argv`, `argv[0]` as given.
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub limits: Limits,
    pub files: [Descriptor; DESCRIPTORS],
    pub copy_in: Vec<(PathBuf, CopyIn)>,
    pub copy_out: Vec<CopyOut>,
    pub copy_out_max: u64,
    pub copy_out_truncate: bool,
}

/// What one descriptor of a command is.
#[derive(Debug)]
pub(super) enum Descriptor {
    /// Not given: `/dev/null`.
    Null,
    /// An end of a `pipeMapping` pipe (given `null` in `files`).
    Pipe,
    /// Read from this (a `content` is written to a file first).
    Input(Input),
    /// Collected into `files` (or `fileIds`) under `name`, at most `max` bytes.
    Collector { name: String, max: u64, pipe: bool },
}

/// File content from a request.
#[derive(Debug)]
pub(super) enum Input {
    Bytes(Vec<u8>),
    /// A `src` or `fileId`, opened for reading.
    File(File),
}

/// A `copyIn` entry.
#[derive(Debug)]
pub(super) enum CopyIn {
    File(Input),
    Symlink(String),
}

/// A `copyOut` or `copyOutCached` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct CopyOut {
    pub name: String,
    pub optional: bool,
    /// Into the file store (`copyOutCached`) instead of the answer.
    pub cached: bool,
}

/// A pipe between two commands.
#[derive(Debug)]
pub(super) struct PipePlan {
    pub writer: PipeIndex,
    pub reader: PipeIndex,
    /// Copied through the engine, which keeps up to `max` bytes under `name` (when it has one)
    /// in the writer's `files`.
    pub proxy: Option<(String, u64)>,
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> ExecError {
    ExecError::Invalid {
        field: field.into(),
        problem: problem.into(),
    }
}

impl Plan {
    pub fn new(
        request: Request,
        config: &ExecConfig,
        store: &FileStore,
    ) -> Result<Plan, ExecError> {
        if request.cmd.is_empty() {
            return Err(invalid("cmd", "no cmd provided"));
        }
        if request.cmd.len() > config.max_cmds {
            return Err(invalid(
                "cmd",
                format!("at most {} commands run together", config.max_cmds),
            ));
        }
        let mut pipe_ends = vec![[false; DESCRIPTORS]; request.cmd.len()];
        let mut pipes = Vec::new();
        for (i, pipe) in request.pipe_mapping.iter().enumerate() {
            let field = format!("pipeMapping[{i}]");
            for (end, at) in [("in", pipe.input), ("out", pipe.output)] {
                let Some(files) = request.cmd.get(at.index) else {
                    return Err(invalid(
                        format!("{field}.{end}.index"),
                        format!("there is no cmd[{}]", at.index),
                    ));
                };
                if at.fd >= DESCRIPTORS {
                    return Err(invalid(
                        format!("{field}.{end}.fd"),
                        "only descriptors 0, 1 and 2 are supported",
                    ));
                }
                if files.files.get(at.fd).is_some_and(Option::is_some) {
                    return Err(invalid(
                        format!("{field}.{end}"),
                        format!("cmd[{}].files[{}] is not null", at.index, at.fd),
                    ));
                }
                if std::mem::replace(&mut pipe_ends[at.index][at.fd], true) {
                    return Err(invalid(
                        format!("{field}.{end}"),
                        format!(
                            "cmd[{}] descriptor {} is already a pipe end",
                            at.index, at.fd
                        ),
                    ));
                }
            }
            pipes.push(PipePlan {
                writer: pipe.input,
                reader: pipe.output,
                proxy: pipe.proxy.then(|| {
                    let max = if pipe.max == 0 {
                        config.copy_out_max
                    } else {
                        pipe.max
                    };
                    (pipe.name.clone(), max)
                }),
            });
        }
        let cmds = request
            .cmd
            .into_iter()
            .enumerate()
            .map(|(i, cmd)| cmd_plan(i, cmd, &pipe_ends[i], config, store))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Plan { cmds, pipes })
    }
}

fn cmd_plan(
    index: usize,
    cmd: Cmd,
    pipe_ends: &[bool; DESCRIPTORS],
    config: &ExecConfig,
    store: &FileStore,
) -> Result<CmdPlan, ExecError> {
    let at = |field: &str| format!("cmd[{index}].{field}");
    if cmd.tty {
        return Err(invalid(at("tty"), "terminals are not supported"));
    }
    if !cmd.copy_out_dir.is_empty() {
        return Err(invalid(
            at("copyOutDir"),
            "the server never writes a host directory a request names",
        ));
    }
    let Some(first) = cmd.args.first() else {
        return Err(invalid(at("args"), "empty: the program is args[0]"));
    };
    let program = program_path(first).ok_or_else(|| {
        invalid(
            at("args[0]"),
            format!("{first:?} is neither an absolute path nor a file in {WORK_DIR}"),
        )
    })?;
    let mut env = Vec::with_capacity(cmd.env.len());
    for (i, pair) in cmd.env.iter().enumerate() {
        match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => env.push((key.to_owned(), value.to_owned())),
            _ => return Err(invalid(at(&format!("env[{i}]")), "not KEY=VALUE")),
        }
    }
    let limits = limits(index, &cmd, config)?;
    if cmd.files.len() > DESCRIPTORS {
        return Err(invalid(
            at("files"),
            format!(
                "{} descriptors given; only 0, 1 and 2 are supported",
                cmd.files.len()
            ),
        ));
    }
    let mut files = [Descriptor::Null, Descriptor::Null, Descriptor::Null];
    let mut collected = Vec::new();
    for (fd, file) in cmd.files.iter().enumerate() {
        let field = at(&format!("files[{fd}]"));
        files[fd] = match file {
            None if pipe_ends[fd] => Descriptor::Pipe,
            None => Descriptor::Null,
            Some(file) => descriptor(&field, file, config, store)?,
        };
        if let Descriptor::Collector { name, .. } = &files[fd] {
            collected.push(name.clone());
        }
    }
    for (fd, end) in pipe_ends.iter().enumerate() {
        if *end {
            files[fd] = Descriptor::Pipe;
        }
    }
    let mut copy_in = Vec::with_capacity(cmd.copy_in.len());
    for (name, file) in &cmd.copy_in {
        let field = at(&format!("copyIn[{name:?}]"));
        let rel = work_relative(name)
            .ok_or_else(|| invalid(&field, format!("not a path inside {WORK_DIR} without `..`")))?;
        let entry = match file.symlink.as_deref() {
            Some(target) => CopyIn::Symlink(target.to_owned()),
            None => match descriptor(&field, file, config, store)? {
                Descriptor::Input(input) => CopyIn::File(input),
                _ => return Err(invalid(&field, "a collector cannot be copied in")),
            },
        };
        copy_in.push((rel, entry));
    }
    let mut copy_out = Vec::new();
    for (list, cached, names) in [
        ("copyOut", false, &cmd.copy_out),
        ("copyOutCached", true, &cmd.copy_out_cached),
    ] {
        for (i, name) in names.iter().enumerate() {
            let (name, optional) = match name.strip_suffix('?') {
                Some(name) => (name, true),
                None => (name.as_str(), false),
            };
            if !collected.iter().any(|c| c == name) && work_relative(name).is_none() {
                return Err(invalid(
                    at(&format!("{list}[{i}]")),
                    format!("{name:?} is not a path inside {WORK_DIR} without `..`"),
                ));
            }
            copy_out.push(CopyOut {
                name: name.to_owned(),
                optional,
                cached,
            });
        }
    }
    let copy_out_max = match cmd.copy_out_max {
        0 => config.copy_out_max,
        max => max.min(config.copy_out_max),
    };
    let argv = cmd.args;
    Ok(CmdPlan {
        program,
        argv,
        env,
        limits,
        files,
        copy_in,
        copy_out,
        copy_out_max,
        copy_out_truncate: cmd.copy_out_truncate,
    })
}

/// `args[0]`: an absolute path, or a name in the working directory (as `execve` finds a
/// relative path from `/w`).
fn program_path(arg: &str) -> Option<PathBuf> {
    if arg.starts_with('/') {
        return Some(PathBuf::from(arg));
    }
    work_relative(arg).map(|rel| Path::new(WORK_DIR).join(rel))
}

/// A name of a file in the working directory: relative (or under `/w/`), plain components.
pub(super) fn work_relative(name: &str) -> Option<PathBuf> {
    let name = name.strip_prefix("/w/").unwrap_or(name);
    let name = name.strip_prefix("./").unwrap_or(name);
    let rel = PathBuf::from(name);
    beneath::is_plain_relative(&rel).then_some(rel)
}

/// One `files` or `copyIn` entry.
fn descriptor(
    field: &str,
    file: &CmdFile,
    config: &ExecConfig,
    store: &FileStore,
) -> Result<Descriptor, ExecError> {
    if file.stream_in.is_some() || file.stream_out.is_some() {
        return Err(invalid(field, "streams are not supported"));
    }
    if let Some(src) = &file.src {
        return Ok(Descriptor::Input(Input::File(open_src(
            field, src, config,
        )?)));
    }
    if let Some(content) = &file.content {
        return Ok(Descriptor::Input(Input::Bytes(
            content.clone().into_bytes(),
        )));
    }
    if let Some(id) = &file.file_id {
        let Some((_, file)) = store.open(id) else {
            return Err(invalid(field, format!("no cached file has the id {id:?}")));
        };
        return Ok(Descriptor::Input(Input::File(file)));
    }
    if let (Some(name), Some(max)) = (&file.name, file.max) {
        if name.is_empty() {
            return Err(invalid(field, "a collector needs a name"));
        }
        return Ok(Descriptor::Collector {
            name: name.clone(),
            max: max.min(config.output_limit),
            pipe: file.pipe,
        });
    }
    Err(invalid(
        field,
        "needs one of src, content, fileId, or name with max",
    ))
}

/// A host file a request names: a regular file whose real path (links resolved, by the kernel,
/// after it is open) is under one of the allowed directories.
fn open_src(field: &str, src: &str, config: &ExecConfig) -> Result<File, ExecError> {
    if config.allow_src.is_empty() {
        return Err(invalid(
            field,
            "src files are not allowed (start the server with --allow-src DIR)",
        ));
    }
    // Non-blocking: a FIFO in an allowed directory must not hang the request.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(src)
        .map_err(|e| invalid(field, format!("{src}: {e}")))?;
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let real = std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map_err(|e| ExecError::Engine(format!("resolving {src}: {e}")))?;
    if !config.allow_src.iter().any(|dir| real.starts_with(dir)) {
        return Err(invalid(
            field,
            format!("{src} is not under an allowed directory (--allow-src)"),
        ));
    }
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(invalid(field, format!("{src} is not a regular file")));
    }
    Ok(file)
}

/// The sandbox limits of one command: each bounded as every limit of the engine is, the
/// server's defaults where the request gives none.
fn limits(index: usize, cmd: &Cmd, config: &ExecConfig) -> Result<Limits, ExecError> {
    let at = |field: &str| Source::Request(format!("cmd[{index}].{field}"));
    let bounded = ExecError::Limit;
    let nanos = Duration::from_nanos;
    let cpu = match cmd.cpu_limit {
        0 => None,
        ns => Some(limits::time(at("cpuLimit"), nanos(ns)).map_err(bounded)?),
    };
    let clock = match (cmd.clock_limit, cmd.real_cpu_limit) {
        (0, 0) => match cpu {
            Some(cpu) => limits::test_wall(cpu),
            None => config.default_clock,
        },
        (0, ns) => limits::time(at("realCpuLimit"), nanos(ns)).map_err(bounded)?,
        (ns, _) => limits::time(at("clockLimit"), nanos(ns)).map_err(bounded)?,
    };
    let memory = match cmd.memory_limit {
        0 => config.default_memory,
        bytes => limits::size(at("memoryLimit"), bytes).map_err(bounded)?,
    };
    let stack = match cmd.stack_limit {
        0 => None,
        bytes => Some(limits::size(at("stackLimit"), bytes).map_err(bounded)?),
    };
    let processes = match cmd.proc_limit {
        0 => config.default_processes,
        n => u64::from(limits::processes(at("procLimit"), n).map_err(bounded)?),
    };
    if !cmd.cpu_set_limit.is_empty()
        && crate::sandbox::spec::cpu_count(&cmd.cpu_set_limit).is_none()
    {
        return Err(invalid(
            format!("cmd[{index}].cpuSetLimit"),
            format!(
                "{:?} is not a CPU list such as \"0\" or \"0-3\"",
                cmd.cpu_set_limit
            ),
        ));
    }
    let cpu_quota = match cmd.cpu_rate_limit {
        0 => None,
        rate if !config.cpu_quota => {
            return Err(invalid(
                format!("cmd[{index}].cpuRateLimit"),
                format!("{rate}: this host's cgroups have no CPU controller"),
            ))
        }
        rate => {
            let period = Duration::from_millis(100);
            Some(CpuQuota {
                quota: period * u32::try_from(rate.min(1_000_000)).unwrap_or(1) / 1000,
                period,
            })
        }
    };
    let strict = cmd.data_segment_limit || cmd.strict_memory_limit;
    Ok(Limits {
        wall_time: clock,
        cpu_time: cpu,
        memory: Some(memory),
        address_space: cmd.address_space_limit.then_some(memory),
        data_segment: strict.then_some(memory),
        stack,
        output: Some(config.output_limit),
        open_files: config.open_files,
        processes: Some(processes),
        tmp_size: config.tmp_size,
        cpus: None,
        cpu_quota,
        network: crate::sandbox::Network::None,
    })
}

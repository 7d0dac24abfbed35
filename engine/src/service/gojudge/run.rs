//! One checked request on one pool worker: working directories, copy-in, descriptors and
//! pipes, the runs, then what the collectors caught and what copy-out takes, into results.
//!
//! The first command runs in the worker's reused environment, whose `/w` is the worker's own
//! scratch directory, emptied and reset before the request and emptied again after it; any
//! other command of the request runs at the same time in a fresh sandbox with a fresh `/w`,
//! pinned to the same CPU. Every descriptor the engine keeps an end of (a collector's pipe,
//! a proxy) is drained by a thread of its own, so no program ever waits on the engine.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use super::model::{CmdResult, FileError, FileErrorType, Status};
use super::plan::{CmdPlan, CopyIn, CopyOut, Descriptor, Input, Plan, DESCRIPTORS, WORK_DIR};
use super::{ExecConfig, ExecError};
use crate::hostdir::{beneath, Cap, HostDirError, SandboxDir};
use crate::pool::Worker;
use crate::sandbox::{Command, Layout, Limits, Mount, RunResult, SandboxError, Stdio};
use crate::service::files::FileStore;
use crate::verdict::{classify, Outcome, RuntimeError};

fn engine(what: &str, e: impl std::fmt::Display) -> ExecError {
    ExecError::Engine(format!("{what}: {e}"))
}

/// What a drain thread caught: the first bytes (up to its cap) and how many crossed.
type Caught = (Vec<u8>, u64);

/// Where a collector's bytes are.
enum Collector {
    /// A file of the engine's scratch directory the program wrote.
    File {
        name: String,
        max: u64,
        path: PathBuf,
    },
    /// A thread reading a pipe (a `pipe: true` collector, or a named proxy).
    Drain {
        name: String,
        max: u64,
        /// Only a collector over its `max` is over its limit: a proxy keeps going.
        limits: bool,
        thread: JoinHandle<Caught>,
    },
}

/// Read `from` to its end, keeping its first `keep` bytes; with `to`, copy everything there
/// too (a proxy), carrying on when `to`'s reader has gone.
fn drain(mut from: File, mut to: Option<File>, keep: u64) -> JoinHandle<Caught> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut total = 0u64;
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let room = keep.saturating_sub(kept.len() as u64) as usize;
            kept.extend_from_slice(&buf[..n.min(room)]);
            total += n as u64;
            if let Some(out) = &mut to {
                if out.write_all(&buf[..n]).is_err() {
                    // The reader is gone: what follows is read and dropped.
                    to = None;
                }
            }
        }
        (kept, total)
    })
}

fn pipe() -> Result<(File, File), ExecError> {
    let (read, write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| engine("pipe", e))?;
    Ok((File::from(read), File::from(write)))
}

/// A command's result before it ran (or when its run failed on the engine's side).
type Failed = Box<CmdResult>;

fn failed(status: Status, error: impl Into<String>) -> Failed {
    Box::new(CmdResult::failed(status, error))
}

/// One command made ready: what its result is made of once it has run.
struct Ready {
    collectors: Vec<Collector>,
    dir: PathBuf,
    limits: Limits,
    copy_out: Vec<CopyOut>,
    copy_out_max: u64,
    truncate: bool,
}

/// Run every command of `plan` on `worker`; one result each, in order.
pub(super) fn group(
    worker: &mut Worker,
    plan: Plan,
    config: &ExecConfig,
    store: &FileStore,
) -> Result<Vec<CmdResult>, ExecError> {
    let sandbox = worker.shared_sandbox();
    let owner = sandbox.dirs().owner();
    let cap = Cap::bytes(config.work_size);
    let scratch = worker
        .private_dir()
        .map_err(|e| engine("scratch directory", e))?;
    let count = plan.cmds.len();
    let (mut stdio, mut collectors, proxies) = pipes(&plan)?;
    // The first command's `/w` is the worker's, the others' their own.
    let first = worker
        .scratch_work(cap)
        .map_err(|e| engine("working directory", e))?;
    let others = (1..count)
        .map(|_| sandbox.dirs().sandbox_dir("w", Some(cap)))
        .collect::<Result<Vec<SandboxDir>, _>>()
        .map_err(|e| engine("working directory", e))?;
    let mut ready = Vec::with_capacity(count);
    let mut starts = Vec::with_capacity(count);
    for (index, cmd) in plan.cmds.into_iter().enumerate() {
        let dir = match index {
            0 => first.clone(),
            i => others[i - 1].path().to_path_buf(),
        };
        let slots = std::mem::take(&mut stdio[index]);
        let caught = std::mem::take(&mut collectors[index]);
        let (made, start) = prepare(index, cmd, slots, caught, dir, &scratch, owner)?;
        ready.push(made);
        starts.push(start);
    }
    let layout = |dir: &Path| Layout {
        mounts: config
            .mounts
            .iter()
            .cloned()
            .chain([Mount::writable(dir, WORK_DIR)])
            .collect(),
        tmp_size: config.tmp_size,
        cpus: None,
        syscalls: config.syscalls.clone(),
        network: crate::sandbox::Network::None,
    };
    let pin = worker.cpu().map(|c| c.to_string());
    // Run them all at once: the first here, in the worker's environment, the others beside it.
    let mut outcomes: Vec<Result<RunResult, Failed>> = Vec::with_capacity(count);
    let rest = starts.split_off(1);
    let first_start = starts.pop().expect("one command at least");
    std::thread::scope(|scope| {
        let threads: Vec<_> = rest
            .into_iter()
            .zip(&others)
            .map(|(start, dir)| {
                let layout = layout(dir.path());
                let sandbox = sandbox.clone();
                let pin = pin.clone();
                scope.spawn(move || {
                    let mut command = start?;
                    command.mounts(layout.mounts).syscalls(layout.syscalls);
                    command.limits_mut().tmp_size = layout.tmp_size;
                    command.limits_mut().cpus = pin;
                    sandbox.run(command).map_err(internal)
                })
            })
            .collect();
        outcomes.push(first_start.and_then(|c| worker.run(layout(&first), c).map_err(internal)));
        for thread in threads {
            outcomes.push(
                thread.join().unwrap_or_else(|_| {
                    Err(failed(Status::InternalError, "a run's thread panicked"))
                }),
            );
        }
    });
    for proxy in proxies {
        let _ = proxy.join();
    }
    let results = ready
        .into_iter()
        .zip(outcomes)
        .map(|(ready, outcome)| conclude(ready, outcome, store))
        .collect();
    // Nothing of this request stays in the worker's `/w` (its tmpfs pages are memory).
    worker
        .release_scratch()
        .map_err(|e| engine("working directory", e))?;
    Ok(results)
}

/// Every pipe of the request: each command's pipe ends, the collectors of named proxies (in
/// their writer's results), and the threads of unnamed proxies.
#[allow(clippy::type_complexity)]
fn pipes(
    plan: &Plan,
) -> Result<
    (
        Vec<[Option<Stdio>; DESCRIPTORS]>,
        Vec<Vec<Collector>>,
        Vec<JoinHandle<Caught>>,
    ),
    ExecError,
> {
    let count = plan.cmds.len();
    let mut stdio: Vec<[Option<Stdio>; DESCRIPTORS]> =
        (0..count).map(|_| [None, None, None]).collect();
    let mut collectors: Vec<Vec<Collector>> = (0..count).map(|_| Vec::new()).collect();
    let mut proxies = Vec::new();
    for pipe_plan in &plan.pipes {
        let (from_writer, writer_end) = pipe()?;
        let (w, r) = (pipe_plan.writer, pipe_plan.reader);
        stdio[w.index][w.fd] = Some(Stdio::from(writer_end));
        let Some((name, max)) = &pipe_plan.proxy else {
            stdio[r.index][r.fd] = Some(Stdio::from(from_writer));
            continue;
        };
        let (reader_end, to_reader) = pipe()?;
        stdio[r.index][r.fd] = Some(Stdio::from(reader_end));
        let thread = drain(from_writer, Some(to_reader), *max);
        if name.is_empty() {
            proxies.push(thread);
        } else {
            collectors[w.index].push(Collector::Drain {
                name: name.clone(),
                max: *max,
                limits: false,
                thread,
            });
        }
    }
    Ok((stdio, collectors, proxies))
}

/// A run that failed on the engine's side is that command's internal error.
fn internal(e: SandboxError) -> Failed {
    failed(Status::InternalError, e.to_string())
}

/// Copy in, open the descriptors, build the command (or the result that says why it cannot
/// run).
fn prepare(
    index: usize,
    cmd: CmdPlan,
    mut slots: [Option<Stdio>; DESCRIPTORS],
    mut collectors: Vec<Collector>,
    dir: PathBuf,
    scratch: &Path,
    owner: (u32, u32),
) -> Result<(Ready, Result<Command, Failed>), ExecError> {
    let mut ready = Ready {
        collectors: Vec::new(),
        dir,
        limits: cmd.limits.clone(),
        copy_out: cmd.copy_out,
        copy_out_max: cmd.copy_out_max,
        truncate: cmd.copy_out_truncate,
    };
    for (rel, entry) in cmd.copy_in {
        if let Err(e) = copy_in(&ready.dir, &rel, entry, owner) {
            let kind = match &e {
                HostDirError::Io { op: "write", .. } => FileErrorType::CopyInCopyContent,
                _ => FileErrorType::CopyInCreateFile,
            };
            let message = inside(&rel, &e);
            let mut result = CmdResult::failed(Status::FileError, message.clone());
            result.file_error.push(FileError {
                name: rel.display().to_string(),
                kind,
                message,
            });
            // Its pipe ends close here: the other side sees the end of its input.
            return Ok((ready, Err(Box::new(result))));
        }
    }
    for (fd, descriptor) in cmd.files.into_iter().enumerate() {
        let stdio = match descriptor {
            Descriptor::Null => Stdio::Null,
            Descriptor::Pipe => slots[fd].take().unwrap_or(Stdio::Null),
            Descriptor::Input(Input::File(file)) => Stdio::from(file),
            Descriptor::Input(Input::Bytes(bytes)) => {
                let path = scratch.join(format!("{index}.{fd}.in"));
                std::fs::write(&path, &bytes)
                    .and_then(|()| File::open(&path))
                    .map(Stdio::from)
                    .map_err(|e| engine("input file", e))?
            }
            Descriptor::Collector {
                name,
                max,
                pipe: false,
            } => {
                let path = scratch.join(format!("{index}.{fd}.out"));
                let file = File::create(&path).map_err(|e| engine("collector file", e))?;
                collectors.push(Collector::File { name, max, path });
                Stdio::from(file)
            }
            Descriptor::Collector {
                name,
                max,
                pipe: true,
            } => {
                let (read, write) = pipe()?;
                collectors.push(Collector::Drain {
                    name,
                    max,
                    limits: true,
                    thread: drain(read, None, max + 1),
                });
                Stdio::from(write)
            }
        };
        slots[fd] = Some(stdio);
    }
    let [stdin, stdout, stderr] = slots.map(|s| s.unwrap_or(Stdio::Null));
    let mut command = Command::new(&cmd.program);
    command
        .arg0(&cmd.argv[0])
        .args(&cmd.argv[1..])
        .envs(cmd.env)
        .current_dir(WORK_DIR)
        .limits(cmd.limits)
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr);
    ready.collectors = collectors;
    Ok((ready, Ok(command)))
}

fn copy_in(dir: &Path, rel: &Path, entry: CopyIn, owner: (u32, u32)) -> Result<(), HostDirError> {
    match entry {
        CopyIn::Symlink(target) => beneath::symlink(dir, rel, Path::new(&target), owner),
        CopyIn::File(Input::Bytes(bytes)) => {
            beneath::write_file(dir, rel, &mut bytes.as_slice(), 0o755, owner).map(drop)
        }
        CopyIn::File(Input::File(mut file)) => {
            beneath::write_file(dir, rel, &mut file, 0o755, owner).map(drop)
        }
    }
}

/// What went wrong with the file `rel` of `/w`, said with its path inside the sandbox (the
/// host's directories are none of the client's business).
fn inside(rel: &Path, e: &HostDirError) -> String {
    let path = Path::new(WORK_DIR).join(rel);
    match e {
        HostDirError::NotAFile { .. } => format!("{}: not a regular file", path.display()),
        HostDirError::Io { op, source, .. } => format!("{op} {}: {source}", path.display()),
        e => format!("{}: {e}", path.display()),
    }
}

/// go-judge's status for how a run ended, and its exit status (the code, or the signal).
pub(super) fn status_of(result: &RunResult, limits: &Limits) -> (Status, i32) {
    let exit = result
        .exit_code()
        .or_else(|| result.signal())
        .unwrap_or_default();
    let status = match classify(result, limits, None) {
        Outcome::Normal => Status::Accepted,
        Outcome::TimeLimit => Status::TimeLimitExceeded,
        Outcome::MemoryLimit => Status::MemoryLimitExceeded,
        Outcome::OutputLimit => Status::OutputLimitExceeded,
        Outcome::RuntimeError(RuntimeError::ExitCode(_)) => Status::NonzeroExitStatus,
        Outcome::RuntimeError(RuntimeError::Signal(_)) => Status::Signalled,
        Outcome::RuntimeError(RuntimeError::DisallowedSyscall) => Status::DangerousSyscall,
    };
    (status, exit)
}

/// A command's result: its status, what its collectors caught and what it copies out.
fn conclude(mut ready: Ready, outcome: Result<RunResult, Failed>, store: &FileStore) -> CmdResult {
    let mut result = match &outcome {
        Ok(run) => {
            let (status, exit) = status_of(run, &ready.limits);
            CmdResult {
                status,
                exit_status: exit,
                time: run.cpu_time.as_nanos() as u64,
                memory: run.memory,
                run_time: run.wall_time.as_nanos() as u64,
                ..CmdResult::failed(status, "")
            }
        }
        Err(failed) => (**failed).clone(),
    };
    let ran_normally = result.status == Status::Accepted;
    let mut over = false;
    let cached = |name: &str| ready.copy_out.iter().any(|c| c.cached && c.name == name);
    let mut collected = Vec::new();
    for collector in std::mem::take(&mut ready.collectors) {
        let (name, max, limits, caught) = match collector {
            Collector::File { name, max, path } => {
                let caught = File::open(&path).and_then(|f| {
                    let total = f.metadata()?.len();
                    let mut kept = Vec::new();
                    f.take(max).read_to_end(&mut kept)?;
                    Ok((kept, total))
                });
                (name, max, true, caught.unwrap_or_default())
            }
            Collector::Drain {
                name,
                max,
                limits,
                thread,
            } => (name, max, limits, thread.join().unwrap_or_default()),
        };
        let (mut bytes, total) = caught;
        bytes.truncate(max as usize);
        if limits && total > max {
            over = true;
            result.file_error.push(FileError {
                name: name.clone(),
                kind: FileErrorType::CollectSizeExceeded,
                message: format!("{total} bytes written, at most {max} collected"),
            });
        }
        collected.push(name.clone());
        keep(&mut result, store, &name, &bytes, cached(&name));
    }
    if outcome.is_ok() {
        for out in &ready.copy_out {
            if collected.contains(&out.name) {
                continue;
            }
            if let Err(error) = copy_out(&mut result, store, &ready, out) {
                result.file_error.push(error);
            }
        }
    }
    if ran_normally && over {
        result.status = Status::OutputLimitExceeded;
    } else if ran_normally && !result.file_error.is_empty() {
        result.status = Status::FileError;
        if result.error.is_empty() {
            result.error = result.file_error[0].message.clone();
        }
    }
    result
}

/// Put `bytes` in the answer's `files`, or in the store and its id in `fileIds`.
fn keep(result: &mut CmdResult, store: &FileStore, name: &str, bytes: &[u8], cached: bool) {
    if !cached {
        result
            .files
            .insert(name.to_owned(), String::from_utf8_lossy(bytes).into_owned());
        return;
    }
    match store.add(name, &mut &bytes[..]) {
        Ok(id) => {
            result.file_ids.insert(name.to_owned(), id);
        }
        Err(e) => result.file_error.push(FileError {
            name: name.to_owned(),
            kind: FileErrorType::CopyOutCreateFile,
            message: e.to_string(),
        }),
    }
}

/// One `copyOut` file from the command's `/w`, never through a link.
fn copy_out(
    result: &mut CmdResult,
    store: &FileStore,
    ready: &Ready,
    out: &CopyOut,
) -> Result<(), FileError> {
    let error = |kind, message: String| FileError {
        name: out.name.clone(),
        kind,
        message,
    };
    let rel = super::plan::work_relative(&out.name)
        .ok_or_else(|| error(FileErrorType::CopyOutOpen, "not a path in /w".to_owned()))?;
    let (file, size) = match beneath::open_file(&ready.dir, &rel) {
        Ok(Some(found)) => found,
        Ok(None) if out.optional => return Ok(()),
        Ok(None) => {
            return Err(error(
                FileErrorType::CopyOutOpen,
                format!("{}: no such file", Path::new(WORK_DIR).join(&rel).display()),
            ))
        }
        Err(e @ HostDirError::NotAFile { .. }) => {
            return Err(error(
                FileErrorType::CopyOutNotRegularFile,
                inside(&rel, &e),
            ))
        }
        Err(e) => return Err(error(FileErrorType::CopyOutOpen, inside(&rel, &e))),
    };
    if size > ready.copy_out_max && !ready.truncate {
        return Err(error(
            FileErrorType::CopyOutSizeExceeded,
            format!(
                "{}: {size} bytes, more than the {} allowed",
                out.name, ready.copy_out_max
            ),
        ));
    }
    let mut bytes = Vec::new();
    file.take(ready.copy_out_max.min(size))
        .read_to_end(&mut bytes)
        .map_err(|e| error(FileErrorType::CopyOutCopyContent, e.to_string()))?;
    let before = result.file_error.len();
    keep(result, store, &out.name, &bytes, out.cached);
    match result.file_error.len() > before {
        true => Err(result.file_error.pop().expect("just pushed")),
        false => Ok(()),
    }
}

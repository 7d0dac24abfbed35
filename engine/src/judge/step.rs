//! One sandboxed step of judging (a compile, a test run, a validator run): the directories it
//! uses and the way its command, mounts, limits and streams are put together.
//!
//! Directories on the host, all made by [`crate::hostdir`] in the engine's base:
//! - a work directory, owned by the sandbox's host uid, mounted at `/work`: writable (and
//!   size-capped) while the compiler runs, read-only while tests run;
//! - a scratch directory, the engine's own (mode 0700), for the streams it captures: the
//!   sandbox only ever gets their descriptors.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::JudgeError;
use crate::hostdir::{self, Cap, SandboxDir, ScratchDir};
use crate::profile;
use crate::sandbox::{Command, Layout, Limits, Mount, RunResult, Sandbox, Stdio, SyscallFilter};

/// A directory the sandboxed program may write to (owned by its host uid), capped at `cap`.
pub(crate) fn sandbox_dir(
    sandbox: &Sandbox,
    kind: &str,
    cap: Option<Cap>,
) -> Result<SandboxDir, JudgeError> {
    Ok(sandbox.dirs().sandbox_dir(kind, cap)?)
}

/// A directory for the engine alone.
pub(crate) fn scratch_dir(sandbox: &Sandbox) -> Result<ScratchDir, JudgeError> {
    Ok(sandbox.dirs().scratch_dir("scratch")?)
}

/// At most `cap` bytes of the file `name` in `dir`, a directory a sandbox wrote, as text with a
/// note when it was cut; never through a link (see [`hostdir::read_file`]). A name that is not
/// a regular file reads as a note saying so.
pub(crate) fn read_written(dir: &Path, name: &str, cap: usize) -> String {
    match hostdir::read_file(dir, name, cap + 1) {
        Ok(Some(bytes)) => capped_text(bytes, cap),
        Ok(None) => String::new(),
        Err(e) => format!("[judge: {e}]"),
    }
}

fn capped_text(mut bytes: Vec<u8>, cap: usize) -> String {
    let cut = bytes.len() > cap;
    bytes.truncate(cap);
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if cut {
        text.push_str("\n[... cut]");
    }
    text
}

/// Create a file to capture a stream in.
pub(crate) fn capture(path: &Path) -> Result<File, JudgeError> {
    File::create(path).map_err(|e| JudgeError::io("create", path, e))
}

/// At most `cap` bytes of a file of the engine's own (in its scratch directory) as text, with
/// a note when it was cut.
pub(crate) fn read_capped(path: &Path, cap: usize) -> String {
    let Ok(file) = File::open(path) else {
        return String::new();
    };
    let mut bytes = Vec::new();
    let _ = file.take(cap as u64 + 1).read_to_end(&mut bytes);
    capped_text(bytes, cap)
}

/// A step to run in the sandbox.
pub(crate) struct Step {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub mounts: Vec<Mount>,
    pub cwd: String,
    pub limits: Limits,
    pub syscalls: Arc<SyscallFilter>,
    /// The profile's root image, if it has one (the step then runs in a fresh sandbox).
    pub root: Option<crate::sandbox::RootImage>,
    /// The backend the profile asks for, if any (ptrace runs in a fresh sandbox).
    pub backend: Option<crate::sandbox::Backend>,
}

impl Step {
    /// A step with a profile's read-only mounts, working in `/work`.
    pub fn new(
        argv: Vec<String>,
        env: Vec<(String, String)>,
        mounts: &[profile::Mount],
        limits: Limits,
        syscalls: Arc<SyscallFilter>,
    ) -> Step {
        Step {
            argv,
            env,
            mounts: mounts
                .iter()
                .map(|m| Mount::read_only(&m.host, &m.sandbox))
                .collect(),
            cwd: profile::WORK_DIR.to_owned(),
            limits,
            syscalls,
            root: None,
            backend: None,
        }
    }

    /// Run on `profile`'s root image and with its sandbox backend, if it names them.
    pub fn root_of(mut self, profile: &profile::Profile) -> Step {
        self.root = profile.root_image(self.limits.tmp_size);
        self.backend = profile.backend();
        self
    }

    pub fn mount(mut self, mount: Mount) -> Step {
        self.mounts.push(mount);
        self
    }

    /// The sandbox command with its own mounts, for a fresh sandbox.
    pub fn command(
        self,
        stdin: Stdio,
        stdout: impl Into<Stdio>,
        stderr: impl Into<Stdio>,
    ) -> Command {
        let (layout, mut cmd) = self.split(stdin, stdout, stderr);
        cmd.mounts(layout.mounts).syscalls(layout.syscalls);
        cmd
    }

    /// The environment layout (mounts, allowlist) and the command without them, for a worker.
    pub fn split(
        self,
        stdin: Stdio,
        stdout: impl Into<Stdio>,
        stderr: impl Into<Stdio>,
    ) -> (Layout, Command) {
        let mut argv = self.argv.into_iter();
        let program = argv.next().unwrap_or_default();
        let mut cmd = Command::new(program);
        cmd.args(argv)
            .envs(self.env)
            .current_dir(self.cwd)
            .limits(self.limits.clone())
            .stdin(stdin)
            .stdout(stdout)
            .stderr(stderr);
        if let Some(root) = self.root {
            cmd.root_image(root);
        }
        if let Some(backend) = self.backend {
            cmd.backend(backend);
        }
        let layout = Layout {
            mounts: self.mounts,
            tmp_size: self.limits.tmp_size,
            cpus: None,
            syscalls: self.syscalls,
            network: self.limits.network,
        };
        (layout, cmd)
    }

    /// Run in a fresh sandbox with the given streams.
    pub fn run(
        self,
        sandbox: &Sandbox,
        stdin: Stdio,
        stdout: File,
        stderr: File,
    ) -> Result<RunResult, JudgeError> {
        Ok(sandbox.run(self.command(stdin, stdout, stderr))?)
    }
}

/// Where a test's files go in the scratch directory.
pub(crate) fn scratch_file(dir: &Path, index: usize, ext: &str) -> PathBuf {
    dir.join(format!("{index}.{ext}"))
}

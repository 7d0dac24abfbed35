//! What to run: the [`Command`] builder and its validated form, [`Spec`].
//!
//! A [`Command`] reads like `std::process::Command`: a program, its arguments, environment, working
//! directory and stdio, plus what only a sandbox has: the mounts the program sees, its limits and
//! its system-call allowlist. Unlike `std`, the environment starts empty: nothing of the engine's
//! leaks in. [`Command::validate`] checks everything once and turns it into a [`Spec`], whose
//! strings are already C strings, so that the parent can build the rest of the plan before clone.

use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::seccomp::SyscallFilter;

/// Where one of the program's standard streams comes from or goes to.
#[derive(Debug, Default)]
pub enum Stdio {
    /// `/dev/null`.
    #[default]
    Null,
    /// The engine's own descriptor of the same number.
    Inherit,
    /// This descriptor (a file, a pipe end, a socket).
    Fd(OwnedFd),
    /// A pipe the engine drains while the program runs, keeping this many of its first and
    /// last bytes in [`RunResult::captured`](super::RunResult::captured). It takes no disk;
    /// more than the output limit on it ends the run as over that limit. For stdout or stderr,
    /// one stream per command.
    Capture(usize),
}

impl Stdio {
    pub fn null() -> Stdio {
        Stdio::Null
    }

    pub fn inherit() -> Stdio {
        Stdio::Inherit
    }

    /// See [`Stdio::Capture`].
    pub fn capture(keep: usize) -> Stdio {
        Stdio::Capture(keep)
    }

    /// Resolve to a descriptor the child can `dup2` from.
    pub(crate) fn into_fd(self, number: i32) -> io::Result<OwnedFd> {
        match self {
            Stdio::Null => Ok(File::options()
                .read(number == 0)
                .write(number != 0)
                .open("/dev/null")?
                .into()),
            // SAFETY: the borrowed descriptor is one of the engine's standard streams, which the
            // process keeps open; we only duplicate it.
            Stdio::Inherit => unsafe { std::os::fd::BorrowedFd::borrow_raw(number) }
                .as_fd()
                .try_clone_to_owned(),
            Stdio::Fd(fd) => Ok(fd),
            // Opened with its drain by `open_streams`.
            Stdio::Capture(_) => Err(io::Error::from_raw_os_error(libc::EINVAL)),
        }
    }
}

impl From<File> for Stdio {
    fn from(file: File) -> Stdio {
        Stdio::Fd(file.into())
    }
}

impl From<OwnedFd> for Stdio {
    fn from(fd: OwnedFd) -> Stdio {
        Stdio::Fd(fd)
    }
}

/// One thing mounted into the sandbox's otherwise empty root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub(crate) kind: MountKind,
    pub(crate) target: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MountKind {
    /// A bind mount of a host path.
    Bind { source: PathBuf, writable: bool },
    /// A fresh tmpfs of at most `size` bytes.
    Tmpfs { size: u64 },
}

impl Mount {
    /// Bind `source` from the host at `target` inside, read-only, nosuid, nodev.
    pub fn read_only(source: impl Into<PathBuf>, target: impl Into<PathBuf>) -> Mount {
        Mount {
            kind: MountKind::Bind {
                source: source.into(),
                writable: false,
            },
            target: target.into(),
        }
    }

    /// Bind `source` from the host at `target` inside, writable, nosuid, nodev.
    pub fn writable(source: impl Into<PathBuf>, target: impl Into<PathBuf>) -> Mount {
        Mount {
            kind: MountKind::Bind {
                source: source.into(),
                writable: true,
            },
            target: target.into(),
        }
    }

    /// A host path at the same place inside, read-only.
    pub fn host(path: impl Into<PathBuf>) -> Mount {
        let path = path.into();
        Mount::read_only(path.clone(), path)
    }

    /// A writable tmpfs of at most `size` bytes at `target`.
    pub fn tmpfs(target: impl Into<PathBuf>, size: u64) -> Mount {
        Mount {
            kind: MountKind::Tmpfs { size },
            target: target.into(),
        }
    }

    pub fn target(&self) -> &Path {
        &self.target
    }
}

/// The host directories a dynamically linked program needs: `/usr` and the library and binary
/// directories beside it (symlinks into `/usr` on merged-/usr systems; they stay symlinks inside),
/// and the dynamic loader's cache, without which every start probes dozens of directories for
/// each library.
pub fn system_mounts() -> Vec<Mount> {
    [
        "/usr",
        "/lib",
        "/lib64",
        "/lib32",
        "/libx32",
        "/bin",
        "/sbin",
        "/etc/ld.so.cache",
    ]
    .iter()
    .filter(|p| Path::new(p).symlink_metadata().is_ok())
    .map(|p| Mount::host(*p))
    .collect()
}

/// How a run is isolated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// Fresh user, PID, mount, network, IPC, UTS and cgroup namespaces (the default).
    #[default]
    Namespaces,
    /// No namespaces: the program runs as the sandbox's unprivileged host uid on the host's
    /// filesystem, traced; a seccomp filter stops it on every call that names a path, another
    /// process or a socket address, and the tracer answers from the run's mounts (see
    /// `sandbox/ptrace`). For hosts without user namespaces (an unprivileged container).
    Ptrace,
}

impl Backend {
    /// `namespaces` or `ptrace`.
    pub fn parse(text: &str) -> Option<Backend> {
        match text {
            "namespaces" => Some(Backend::Namespaces),
            "ptrace" => Some(Backend::Ptrace),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Namespaces => "namespaces",
            Backend::Ptrace => "ptrace",
        }
    }
}

/// Resource limits of one run. The cgroup layer enforces memory, processes and CPU time exactly;
/// the rest are rlimits set in the child.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Wall-clock time from the program's start; the whole PID namespace is killed past it.
    pub wall_time: Duration,
    /// CPU time (user + system, every thread and process). `RLIMIT_CPU` is set a second above it
    /// as a backstop.
    pub cpu_time: Option<Duration>,
    /// Memory (resident plus page cache the run charges), swap off.
    pub memory: Option<u64>,
    /// `RLIMIT_AS`, for languages that do not reserve huge address ranges.
    pub address_space: Option<u64>,
    /// `RLIMIT_DATA`: the data segment and private writable mappings (go-judge's
    /// `dataSegmentLimit`).
    pub data_segment: Option<u64>,
    /// `RLIMIT_STACK`.
    pub stack: Option<u64>,
    /// `RLIMIT_FSIZE`: the largest file the program can write, its output included.
    pub output: Option<u64>,
    /// `RLIMIT_NOFILE`.
    pub open_files: u64,
    /// Processes and threads of the program alive at once (the sandbox's init comes on top).
    pub processes: Option<u64>,
    /// Size of the writable tmpfs on `/tmp`.
    pub tmp_size: u64,
    /// The CPUs the run may use, as a cpuset list ("0", "0-1,3"); every process stays on them.
    pub cpus: Option<String>,
    /// CPU bandwidth: `quota` of CPU time per `period`, over all the run's CPUs.
    pub cpu_quota: Option<crate::cgroup::CpuQuota>,
    /// What the run's own network namespace offers (never the host's network).
    pub network: Network,
}

/// The network inside a run. Every run has a network namespace of its own, so nothing of the
/// host's network (its 127.0.0.1 included) is ever reachable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Network {
    /// No interface is up, and sockets other than `AF_UNIX` answer `EAFNOSUPPORT`.
    #[default]
    None,
    /// The namespace's `lo` is up, and `AF_INET`/`AF_INET6` sockets are allowed: a program can
    /// serve and connect to itself on 127.0.0.1 and ::1, and reach nothing else.
    Loopback,
}

impl Network {
    /// `none` or `loopback`.
    pub fn parse(text: &str) -> Option<Network> {
        match text {
            "none" => Some(Network::None),
            "loopback" => Some(Network::Loopback),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Network::None => "none",
            Network::Loopback => "loopback",
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            wall_time: Duration::from_secs(10),
            cpu_time: None,
            memory: None,
            address_space: None,
            data_segment: None,
            stack: None,
            output: None,
            open_files: 256,
            processes: None,
            tmp_size: 64 << 20,
            cpus: None,
            cpu_quota: None,
            network: Network::None,
        }
    }
}

/// A root filesystem image (a directory: a debootstrap tree, an unpacked container image) that
/// becomes the run's `/` instead of an empty root with host directories bound in. It is the
/// read-only lower layer of an overlayfs whose upper layer is a tmpfs of `upper_size` bytes,
/// fresh for every run: with `writable`, the program may write wherever the image's own
/// permissions let its uid, and every write is gone when the run ends; without, the root is
/// read-only. The spec's mounts, `/proc`, `/dev` and `/tmp` go on top as usual (their mount
/// points are made in the upper layer when the image lacks them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootImage {
    pub path: PathBuf,
    pub writable: bool,
    pub upper_size: u64,
}

/// What a [`SyncHook`] may fail a start with.
pub type HookError = Box<dyn std::error::Error + Send + Sync>;

/// A step the parent runs between clone and exec (go-sandbox's `SyncFunc`): it gets the child's
/// pid (in the engine's PID namespace) once the child exists, its id maps are written and it is
/// in its run's cgroup, and before the child may go on to exec. An error fails the start: the
/// child is killed and the run ends with [`SandboxError::Hook`](super::SandboxError::Hook)
/// carrying it. Hooks run in the order given, after the engine's own step (joining the run's
/// cgroup where the child was not born in it), which goes through the same sequence.
///
/// A command with a hook always runs in a fresh sandbox: a pool worker that reuses
/// environments runs it fresh (a reused environment's programs are forked by its init).
#[derive(Clone)]
pub struct SyncHook(Arc<dyn Fn(libc::pid_t) -> Result<(), HookError> + Send + Sync>);

impl SyncHook {
    pub fn new(
        hook: impl Fn(libc::pid_t) -> Result<(), HookError> + Send + Sync + 'static,
    ) -> SyncHook {
        SyncHook(Arc::new(hook))
    }

    pub(crate) fn call(&self, pid: libc::pid_t) -> Result<(), HookError> {
        (self.0)(pid)
    }
}

impl std::fmt::Debug for SyncHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncHook")
    }
}

/// A program to run in the sandbox, built like `std::process::Command`.
#[derive(Debug)]
pub struct Command {
    program: PathBuf,
    argv0: Option<OsString>,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    cwd: PathBuf,
    stdio: [Stdio; 3],
    mounts: Vec<Mount>,
    limits: Limits,
    filter: Option<Arc<SyscallFilter>>,
    hooks: Vec<SyncHook>,
    root: Option<RootImage>,
    inside: Option<(u32, u32)>,
    backend: Option<Backend>,
}

impl Command {
    /// Run `program`, an absolute path as seen inside the sandbox.
    pub fn new(program: impl Into<PathBuf>) -> Command {
        Command {
            program: program.into(),
            argv0: None,
            args: Vec::new(),
            env: Vec::new(),
            cwd: PathBuf::from("/"),
            stdio: [Stdio::Null, Stdio::Null, Stdio::Null],
            mounts: Vec::new(),
            limits: Limits::default(),
            filter: None,
            hooks: Vec::new(),
            root: None,
            inside: None,
            backend: None,
        }
    }

    /// Isolate the run with `backend` (by default the sandbox's: namespaces, or ptrace where
    /// the host has no namespaces for it, see [`Sandbox::backend`](super::Sandbox::backend)).
    /// A ptrace run gets a fresh sandbox.
    pub fn backend(&mut self, backend: Backend) -> &mut Command {
        self.backend = Some(backend);
        self
    }

    /// The uid and gid the program sees (not 0), instead of the engine's
    /// [`SandboxConfig::inside_uid`](super::SandboxConfig::inside_uid) and gid; its host ids
    /// stay the engine's. Such a run gets a fresh sandbox (an environment's ids are its own).
    pub fn inside_ids(&mut self, uid: u32, gid: u32) -> &mut Command {
        self.inside = Some((uid, gid));
        self
    }

    /// Build the run's root from `image` (see [`RootImage`]). Such a run gets a fresh sandbox:
    /// a pool worker that reuses environments runs it fresh.
    pub fn root_image(&mut self, image: RootImage) -> &mut Command {
        self.root = Some(image);
        self
    }

    /// Whether the command needs a sandbox of its own: a sync hook, a root image or inside ids
    /// of its own.
    pub fn needs_fresh_sandbox(&self) -> bool {
        !self.hooks.is_empty()
            || self.root.is_some()
            || self.inside.is_some()
            || self.backend == Some(Backend::Ptrace)
    }

    /// Run `hook` between clone and exec (see [`SyncHook`]).
    pub fn sync_hook(&mut self, hook: SyncHook) -> &mut Command {
        self.hooks.push(hook);
        self
    }

    /// Set `argv[0]` (the program path by default).
    pub fn arg0(&mut self, arg0: impl AsRef<OsStr>) -> &mut Command {
        self.argv0 = Some(arg0.as_ref().to_owned());
        self
    }

    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Add an environment variable. The environment starts empty.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (k, v) in vars {
            self.env(k, v);
        }
        self
    }

    /// The working directory inside the sandbox (`/` by default).
    pub fn current_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Command {
        self.cwd = dir.into();
        self
    }

    pub fn stdin(&mut self, stdio: impl Into<Stdio>) -> &mut Command {
        self.stdio[0] = stdio.into();
        self
    }

    pub fn stdout(&mut self, stdio: impl Into<Stdio>) -> &mut Command {
        self.stdio[1] = stdio.into();
        self
    }

    pub fn stderr(&mut self, stdio: impl Into<Stdio>) -> &mut Command {
        self.stdio[2] = stdio.into();
        self
    }

    pub fn mount(&mut self, mount: Mount) -> &mut Command {
        self.mounts.push(mount);
        self
    }

    pub fn mounts(&mut self, mounts: impl IntoIterator<Item = Mount>) -> &mut Command {
        self.mounts.extend(mounts);
        self
    }

    pub fn limits(&mut self, limits: Limits) -> &mut Command {
        self.limits = limits;
        self
    }

    pub fn limits_mut(&mut self) -> &mut Limits {
        &mut self.limits
    }

    /// The system-call allowlist ([`SyscallFilter::base`] unless set).
    pub fn syscalls(&mut self, filter: Arc<SyscallFilter>) -> &mut Command {
        self.filter = Some(filter);
        self
    }

    /// Check everything and build the C strings the child will use.
    pub fn validate(self) -> Result<Spec, SpecError> {
        if self.inside.is_some_and(|(uid, gid)| uid == 0 || gid == 0) {
            return Err(SpecError::InsideRoot);
        }
        let program = inside_path(&self.program, "program")?;
        let cwd = inside_path(&self.cwd, "working directory")?;
        let argv0 = self
            .argv0
            .unwrap_or_else(|| self.program.as_os_str().to_owned());
        let mut argv = vec![cstring(&argv0, "argv[0]")?];
        for (i, arg) in self.args.iter().enumerate() {
            argv.push(cstring(arg, &format!("argument {}", i + 1))?);
        }
        let mut env = Vec::with_capacity(self.env.len());
        for (key, value) in &self.env {
            if key.is_empty() || key.as_bytes().contains(&b'=') {
                return Err(SpecError::EnvKey(key.clone()));
            }
            let mut pair = key.clone();
            pair.push("=");
            pair.push(value);
            env.push(cstring(&pair, &format!("environment variable {key:?}"))?);
        }
        let mut targets: Vec<&Path> = Vec::new();
        for mount in &self.mounts {
            check_target(&mount.target)?;
            if targets.contains(&mount.target.as_path()) {
                return Err(SpecError::DuplicateTarget(mount.target.clone()));
            }
            targets.push(&mount.target);
            if let MountKind::Bind { source, .. } = &mount.kind {
                if !source.is_absolute() {
                    return Err(SpecError::RelativeSource(source.clone()));
                }
                source
                    .symlink_metadata()
                    .map_err(|error| SpecError::MountSource {
                        path: source.clone(),
                        error,
                    })?;
            }
        }
        if self.limits.wall_time.is_zero() {
            return Err(SpecError::ZeroWallTime);
        }
        if self.limits.cpu_time.is_some_and(|t| t.is_zero()) {
            return Err(SpecError::ZeroCpuTime);
        }
        if let Some(cpus) = &self.limits.cpus {
            if cpu_count(cpus).is_none() {
                return Err(SpecError::BadCpuList(cpus.clone()));
            }
        }
        let captures = self
            .stdio
            .iter()
            .filter(|s| matches!(s, Stdio::Capture(_)))
            .count();
        if captures > 1 || matches!(self.stdio[0], Stdio::Capture(_)) {
            return Err(SpecError::Capture);
        }
        let filter = self.filter.unwrap_or_else(SyscallFilter::base);
        Ok(Spec {
            program,
            argv,
            env,
            cwd,
            stdio: self.stdio,
            mounts: self.mounts,
            limits: self.limits,
            filter,
            hooks: self.hooks,
            root: self.root,
            inside: self.inside,
            backend: self.backend,
        })
    }
}

/// A validated [`Command`]: every path checked, every string a C string.
#[derive(Debug)]
pub struct Spec {
    pub(crate) program: CString,
    pub(crate) argv: Vec<CString>,
    pub(crate) env: Vec<CString>,
    pub(crate) cwd: CString,
    pub(crate) stdio: [Stdio; 3],
    pub(crate) mounts: Vec<Mount>,
    pub(crate) limits: Limits,
    pub(crate) filter: Arc<SyscallFilter>,
    pub(crate) hooks: Vec<SyncHook>,
    pub(crate) root: Option<RootImage>,
    /// The program's uid and gid inside, when not the engine's.
    pub(crate) inside: Option<(u32, u32)>,
    /// `None`: the sandbox's.
    pub(crate) backend: Option<Backend>,
}

impl Spec {
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The program path as seen inside.
    pub fn program(&self) -> &Path {
        Path::new(OsStr::from_bytes(self.program.as_bytes()))
    }
}

/// Why a [`Command`] cannot run. Each names the offending value.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{what} {path:?} must be an absolute path inside the sandbox")]
    NotAbsolute { what: &'static str, path: PathBuf },
    #[error("{0} contains a NUL byte")]
    Nul(String),
    #[error("environment variable name {0:?} is empty or contains '='")]
    EnvKey(OsString),
    #[error("mount target {0:?} must be an absolute path without `.` or `..`")]
    BadTarget(PathBuf),
    #[error("mount target {0:?} is reserved: the sandbox itself provides /, /proc, /dev and /tmp")]
    ReservedTarget(PathBuf),
    #[error("mount target {0:?} is listed twice")]
    DuplicateTarget(PathBuf),
    #[error("mount source {0:?} must be an absolute host path")]
    RelativeSource(PathBuf),
    #[error("mount source {path:?}: {error}")]
    MountSource { path: PathBuf, error: io::Error },
    #[error("only one of stdout and stderr can be captured, and never stdin")]
    Capture,
    #[error("the wall-time limit must be above zero")]
    ZeroWallTime,
    #[error("the CPU-time limit must be above zero")]
    ZeroCpuTime,
    #[error("a run in a reused environment cannot add mounts: they belong to its layout")]
    MountsInEnv,
    #[error("a run in a reused environment must use the environment's own system-call allowlist")]
    FilterNotEnv,
    #[error("a run in a reused environment must use the environment's own network setting")]
    NetworkNotEnv,
    #[error(
        "a run with a sync hook, a root image or inside ids of its own needs a fresh sandbox, \
         not a reused environment"
    )]
    HooksInEnv,
    #[error("the uid and gid inside must not be 0 (the namespace's root is the sandbox's init)")]
    InsideRoot,
    #[error("the ptrace backend cannot give a run {0}: that needs namespaces")]
    NotWithPtrace(&'static str),
    #[error("root image {path:?}: {error}")]
    RootImage { path: PathBuf, error: io::Error },
    #[error("CPU list {0:?} is not of the form \"0\", \"0-3\" or \"0,2-3\"")]
    BadCpuList(String),
}

/// How many CPUs a cpuset list such as "0-1,3" names; None if it is malformed or empty.
pub fn cpu_count(list: &str) -> Option<usize> {
    let mut count = 0;
    for part in list.trim().split(',') {
        let (lo, hi) = match part.split_once('-') {
            Some((lo, hi)) => (
                lo.trim().parse::<usize>().ok()?,
                hi.trim().parse::<usize>().ok()?,
            ),
            None => {
                let n = part.trim().parse::<usize>().ok()?;
                (n, n)
            }
        };
        if hi < lo {
            return None;
        }
        count += hi - lo + 1;
    }
    (count > 0).then_some(count)
}

fn inside_path(path: &Path, what: &'static str) -> Result<CString, SpecError> {
    if !path.is_absolute() {
        return Err(SpecError::NotAbsolute {
            what,
            path: path.to_owned(),
        });
    }
    cstring(path.as_os_str(), what)
}

fn cstring(s: &OsStr, what: &str) -> Result<CString, SpecError> {
    CString::new(s.as_bytes()).map_err(|_| SpecError::Nul(what.to_owned()))
}

fn check_target(target: &Path) -> Result<(), SpecError> {
    let mut components = target.components();
    if components.next() != Some(Component::RootDir) {
        return Err(SpecError::BadTarget(target.to_owned()));
    }
    let mut first = None;
    for component in components {
        match component {
            Component::Normal(name) => {
                first.get_or_insert(name);
            }
            _ => return Err(SpecError::BadTarget(target.to_owned())),
        }
    }
    match first.map(|f| f.as_bytes()) {
        None | Some(b"proc") | Some(b"dev") | Some(b"tmp") => {
            Err(SpecError::ReservedTarget(target.to_owned()))
        }
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_program_is_rejected() {
        let err = Command::new("a.out").validate().unwrap_err();
        assert!(matches!(
            err,
            SpecError::NotAbsolute {
                what: "program",
                ..
            }
        ));
    }

    #[test]
    fn nul_in_argument_is_rejected_and_named() {
        let mut cmd = Command::new("/bin/true");
        cmd.arg("ok").arg("bad\0arg");
        let err = cmd.validate().unwrap_err();
        assert_eq!(err.to_string(), "argument 2 contains a NUL byte");
    }

    #[test]
    fn environment_is_empty_unless_set() {
        let spec = Command::new("/bin/true").validate().unwrap();
        assert!(spec.env.is_empty());
        let mut cmd = Command::new("/bin/true");
        cmd.env("A", "1");
        assert_eq!(
            cmd.validate().unwrap().env,
            vec![CString::new("A=1").unwrap()]
        );
    }

    #[test]
    fn env_key_with_equals_is_rejected() {
        let mut cmd = Command::new("/bin/true");
        cmd.env("A=B", "1");
        assert!(matches!(cmd.validate(), Err(SpecError::EnvKey(_))));
    }

    #[test]
    fn argv0_defaults_to_program() {
        let mut cmd = Command::new("/bin/echo");
        cmd.arg("hi");
        let spec = cmd.validate().unwrap();
        assert_eq!(spec.argv[0].as_bytes(), b"/bin/echo");
        assert_eq!(spec.argv[1].as_bytes(), b"hi");
    }

    #[test]
    fn reserved_and_malformed_targets_are_rejected() {
        for target in ["/", "/proc", "/dev/x", "/tmp", "relative", "/a/../b"] {
            let mut cmd = Command::new("/bin/true");
            cmd.mount(Mount::read_only("/usr", target));
            assert!(cmd.validate().is_err(), "{target} accepted");
        }
    }

    #[test]
    fn missing_mount_source_names_the_path() {
        let mut cmd = Command::new("/bin/true");
        cmd.mount(Mount::read_only("/no/such/dir", "/x"));
        let err = cmd.validate().unwrap_err();
        assert!(
            err.to_string().starts_with("mount source \"/no/such/dir\""),
            "{err}"
        );
    }

    #[test]
    fn duplicate_target_is_rejected() {
        let mut cmd = Command::new("/bin/true");
        cmd.mount(Mount::host("/usr")).mount(Mount::host("/usr"));
        assert!(matches!(cmd.validate(), Err(SpecError::DuplicateTarget(_))));
    }

    #[test]
    fn cpu_lists_are_counted_and_checked() {
        assert_eq!(cpu_count("0"), Some(1));
        assert_eq!(cpu_count("0-3"), Some(4));
        assert_eq!(cpu_count("0,2-3"), Some(3));
        assert_eq!(cpu_count(""), None);
        assert_eq!(cpu_count("3-1"), None);
        assert_eq!(cpu_count("a"), None);
        let mut cmd = Command::new("/bin/true");
        cmd.limits_mut().cpus = Some("x".into());
        assert!(matches!(cmd.validate(), Err(SpecError::BadCpuList(_))));
    }

    #[test]
    fn zero_wall_time_is_rejected() {
        let mut cmd = Command::new("/bin/true");
        cmd.limits_mut().wall_time = Duration::ZERO;
        assert!(matches!(cmd.validate(), Err(SpecError::ZeroWallTime)));
    }
}

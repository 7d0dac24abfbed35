//! Shared helpers of the sandbox integration tests: the root check, compiling the hostile
//! programs of `testcases/sandbox/`, and running a command with its output captured.

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{Read, Seek};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process;
use std::sync::{Mutex, OnceLock};

use judge_engine::sandbox::{
    system_mounts, Command, Layout, Mount, RunResult, Sandbox, SandboxConfig, SandboxError, Stdio,
    SyscallFilter,
};

/// Whether this test can run. Tests need root; outside CI they skip with a note, but when
/// `CI=true` a test that cannot run fails, never skips quietly.
pub fn root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("this test needs root and CI=true: it must run, not skip");
    }
    eprintln!("skipped: this test needs root");
    false
}

/// One sandbox for the whole test binary.
pub fn sandbox() -> &'static Sandbox {
    shared_sandbox()
}

fn shared_sandbox() -> &'static std::sync::Arc<Sandbox> {
    static SANDBOX: OnceLock<std::sync::Arc<Sandbox>> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        std::sync::Arc::new(Sandbox::new(SandboxConfig::default()).expect("sandbox"))
    })
}

/// A worker pool on the shared sandbox; dropped (and cleaned up) at the end of the test.
pub fn pool(workers: usize, reuse: bool) -> judge_engine::pool::Pool {
    judge_engine::pool::Pool::new(
        shared_sandbox().clone(),
        judge_engine::pool::PoolConfig {
            workers,
            reuse,
            queue: 2 * workers,
            cpus: None,
        },
    )
    .expect("pool")
}

pub fn testcases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testcases")
}

/// A directory of compiled test programs, readable by the sandbox's unprivileged host uid and
/// mounted read-only at /work inside.
pub fn bin_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("judge-test-bin")
            .tempdir()
            .expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        dir
    })
    .path()
}

/// The layout of the reuse and pool tests: the system directories, the compiled test programs
/// at `/work`, a 16 MiB `/tmp` and the base allowlist.
pub fn layout() -> Layout {
    let mut mounts = system_mounts();
    mounts.push(Mount::read_only(bin_dir(), "/work"));
    Layout {
        mounts,
        tmp_size: 16 << 20,
        cpus: None,
        syscalls: SyscallFilter::base(),
        network: judge_engine::sandbox::Network::None,
    }
}

/// Compile `testcases/sandbox/<name>.<ext>` (or `testcases/<dir>/<name>.<ext>` when `source`
/// names a directory) once (C with gcc, C++ with g++; `-static` when
/// `static_link`); returns the path inside the sandbox.
pub fn compile(source: &str, static_link: bool) -> String {
    static DONE: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let stem = source.replace(['.', '/'], "_");
    let out_name = if static_link {
        format!("{stem}-static")
    } else {
        stem
    };
    let mut done = DONE.lock().unwrap();
    let done = done.get_or_insert_with(HashSet::new);
    if !done.contains(&out_name) {
        let src = if source.contains('/') {
            testcases().join(source)
        } else {
            testcases().join("sandbox").join(source)
        };
        let compiler = if source.ends_with(".cpp") {
            "g++"
        } else {
            "gcc"
        };
        let mut cc = process::Command::new(compiler);
        cc.arg("-O2")
            .arg("-o")
            .arg(bin_dir().join(&out_name))
            .arg(&src);
        if static_link {
            cc.arg("-static");
        }
        if source.ends_with(".c") || source.ends_with(".cpp") {
            cc.arg("-pthread");
        }
        let status = cc.status().expect("run the compiler");
        assert!(status.success(), "compiling {}", src.display());
        done.insert(out_name.clone());
    }
    format!("/work/{out_name}")
}

/// Copy a file from `testcases/sandbox/` into the bin dir; returns its path inside.
pub fn copy_source(name: &str) -> String {
    std::fs::copy(testcases().join("sandbox").join(name), bin_dir().join(name)).unwrap();
    format!("/work/{name}")
}

/// A command for a program in the bin dir: system directories and /work mounted, cwd /work.
pub fn command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.mounts(system_mounts())
        .mount(Mount::read_only(bin_dir(), "/work"))
        .current_dir("/work");
    cmd
}

#[derive(Debug)]
pub struct Output {
    pub result: RunResult,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Run with stdout and stderr captured.
pub fn try_run(mut cmd: Command) -> Result<Output, SandboxError> {
    let mut out = tempfile::tempfile().unwrap();
    let mut err = tempfile::tempfile().unwrap();
    cmd.stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(err.try_clone().unwrap()));
    let result = sandbox().run(cmd)?;
    let read = |f: &mut std::fs::File| {
        let mut s = String::new();
        f.rewind().unwrap();
        f.read_to_string(&mut s).unwrap();
        s
    };
    Ok(Output {
        result,
        stdout: read(&mut out),
        stderr: read(&mut err),
    })
}

/// Run, expecting the sandbox itself to work.
pub fn run(cmd: Command) -> Output {
    try_run(cmd).expect("sandbox run")
}

/// Host processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            if String::from_utf8_lossy(&cmdline).contains(marker) {
                found.push(pid);
            }
        }
    }
    found
}

/// Run `f` with this thread's supplementary groups set to `groups` (the raw call changes only
/// the calling thread, which is the one that clones the sandbox).
pub fn with_thread_groups<T>(groups: &[libc::gid_t], f: impl FnOnce() -> T) -> T {
    // SAFETY: a valid array of gids and its length.
    let rc = unsafe { libc::syscall(libc::SYS_setgroups, groups.len(), groups.as_ptr()) };
    assert_eq!(rc, 0, "setgroups");
    let out = f();
    // SAFETY: an empty list.
    let rc = unsafe { libc::syscall(libc::SYS_setgroups, 0usize, std::ptr::null::<libc::gid_t>()) };
    assert_eq!(rc, 0, "setgroups");
    out
}

/// Whether a `/proc/PID/status` text is of a process running as one of the sandbox's default
/// host uids (programs and namespace roots of every set: 60000 to 60127).
pub fn sandbox_uid(status: &str) -> bool {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u32>().ok())
        .is_some_and(|uid| (60000..60000 + 2 * judge_engine::sandbox::DEFAULT_SLOTS).contains(&uid))
}

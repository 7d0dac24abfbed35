//! A bare clone + execve + wait, with a chosen set of namespaces and nothing else: the baseline
//! `judge bench` compares the sandbox with, one namespace at a time.
//!
//! The parent prepares the C strings, clones with the flags, writes the id maps when a user
//! namespace is asked for (the child waits on a pipe for them), and reaps. The child makes only
//! raw system calls, as in the real sandbox.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, OwnedFd};

use super::error::{HostStep, SandboxError};
use super::{sys, ExitStatus};

/// The namespaces `judge bench` measures one by one, with their names.
pub const NAMESPACES: [(&str, i32); 7] = [
    ("user", libc::CLONE_NEWUSER),
    ("pid", libc::CLONE_NEWPID),
    ("mount", libc::CLONE_NEWNS),
    ("network", libc::CLONE_NEWNET),
    ("ipc", libc::CLONE_NEWIPC),
    ("uts", libc::CLONE_NEWUTS),
    ("cgroup", libc::CLONE_NEWCGROUP),
];

/// fork + execve + wait with glibc's `fork`, as any program without a sandbox starts another:
/// the baseline every figure of `judge bench` is a ratio to.
pub fn fork_wait(program: &CStr) -> Result<ExitStatus, SandboxError> {
    let argv = [program.as_ptr(), std::ptr::null()];
    let envp: [*const libc::c_char; 1] = [std::ptr::null()];
    let no_copy = crate::hostdir::cloning();
    // SAFETY: the child only calls async-signal-safe execve and _exit on data built before.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: NUL-terminated strings in NULL-terminated arrays built before fork.
        unsafe { libc::execve(program.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
        sys::exit(127);
    }
    drop(no_copy);
    if pid < 0 {
        return Err(SandboxError::host(
            HostStep::Clone,
            std::io::Error::last_os_error(),
        ));
    }
    let (status, _) = super::wait::Child::new(pid).reap()?;
    Ok(ExitStatus::from_wait(status))
}

/// Run `program` (no arguments, empty environment) in new namespaces `flags` and wait for it.
pub fn spawn_wait(program: &CStr, flags: i32) -> Result<ExitStatus, SandboxError> {
    let argv = [program.as_ptr(), std::ptr::null()];
    let envp: [*const libc::c_char; 1] = [std::ptr::null()];
    let user = flags & libc::CLONE_NEWUSER != 0;
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| SandboxError::host(HostStep::Pipe, e))?;
    let no_copy = crate::hostdir::cloning();
    let pid = sys::clone_process(flags as u64, None)
        .map_err(|e| SandboxError::host(HostStep::Clone, std::io::Error::from_raw_os_error(e)))?;
    if pid == 0 {
        if user {
            let mut byte = 0u8;
            // SAFETY: reading one byte into a stack variable.
            unsafe { libc::read(read.as_raw_fd(), (&mut byte as *mut u8).cast(), 1) };
        }
        // SAFETY: NUL-terminated strings in NULL-terminated arrays built before clone.
        unsafe { libc::execve(program.as_ptr(), argv.as_ptr(), envp.as_ptr()) };
        sys::exit(127);
    }
    drop(no_copy);
    drop(read);
    let mut child = super::wait::Child::new(pid);
    if user {
        let uid = nix::unistd::geteuid().as_raw();
        let gid = nix::unistd::getegid().as_raw();
        let write_map = |file: &str, content: String| {
            let path = std::path::PathBuf::from(format!("/proc/{pid}/{file}"));
            std::fs::write(&path, content)
                .map_err(|e| SandboxError::host(HostStep::WriteIdMap(path), e))
        };
        write_map("uid_map", format!("0 {uid} 1\n"))?;
        write_map("setgroups", "deny".to_owned())?;
        write_map("gid_map", format!("0 {gid} 1\n"))?;
    }
    if user {
        release(write)?;
    }
    let (status, _) = child.reap()?;
    Ok(ExitStatus::from_wait(status))
}

fn release(write: OwnedFd) -> Result<(), SandboxError> {
    nix::unistd::write(&write, &[1u8])
        .map_err(|e| SandboxError::host(HostStep::ReleaseChild, e))?;
    Ok(())
}

//! The ptrace backend (`Backend::Ptrace`): no namespaces, a tracer deciding every call that
//! names a path, another process or a socket address. A hostile probe tries the ways out a
//! namespace-less run has (host files, `/proc/self/root`, other processes, links, SysV IPC,
//! abstract sockets and datagrams, facts about other processes, a child of its own) and the
//! limits still hold.

mod common;

use std::time::Duration;

use common::{command, compile, root, run, try_run};
use judge_engine::sandbox::{Backend, Command, SandboxError};

fn traced(program: &str) -> Command {
    let mut cmd = command(program);
    cmd.backend(Backend::Ptrace);
    cmd
}

#[test]
fn the_probe_gets_only_what_its_mounts_allow() {
    if !root() {
        return;
    }
    let probe = compile("ptrace_probe.c", false);
    let out = run(traced(&probe));
    assert!(out.result.success(), "{:?} {}", out.result, out.stderr);
    let uid = common::sandbox().config().host_uid;
    let expected = [
        format!("uid {uid}"),
        "read /etc/passwd EACCES".into(),
        "read /proc/self/root/etc/passwd EACCES".into(),
        "read /proc/thread-self/root/etc/passwd EACCES".into(),
        "read /proc/1/cmdline EACCES".into(),
        "read /proc/self/status ok".into(),
        "read own program ok".into(),
        "write own program EACCES".into(),
        "write /tmp/escape EACCES".into(),
        "write TMPDIR/mine ok".into(),
        "symlink to /etc/passwd EPERM".into(),
        "mkdir /var/tmp/escape EACCES".into(),
        "stat /home EACCES".into(),
        "chdir / EACCES".into(),
        "write /dev/null ok".into(),
        "kill 1 EPERM".into(),
        "kill parent EPERM".into(),
        "kill self ok".into(),
        "shmget EPERM".into(),
        "connect abstract EACCES".into(),
        "socket inet EAFNOSUPPORT".into(),
        "sendto abstract EACCES".into(),
        "statfs /home EACCES".into(),
        "getsid 1 EPERM".into(),
        "sched_getaffinity 1 EPERM".into(),
        "child read /etc/passwd EACCES".into(),
        "child exited ok".into(),
    ];
    assert_eq!(out.lines(), expected, "{}", out.stderr);
    assert!(!std::path::Path::new("/tmp/judge-ptrace-escape").exists());
    assert!(!std::path::Path::new("/var/tmp/judge-ptrace-escape").exists());
}

#[test]
fn a_call_the_allowlist_forbids_still_kills() {
    if !root() {
        return;
    }
    let probe = compile("ptrace_probe.c", false);
    let mut cmd = traced(&probe);
    cmd.arg("unshare");
    let out = run(cmd);
    assert!(
        out.result.disallowed_syscall(),
        "{:?} {}",
        out.result,
        out.stdout
    );
    assert!(!out.stdout.contains("survived"));
}

#[test]
fn the_cpu_limit_and_the_wall_limit_hold_and_time_is_measured() {
    if !root() {
        return;
    }
    let spin = compile("limits/spin_ignore_signals.c", false);
    let mut cmd = traced(&spin);
    cmd.limits_mut().cpu_time = Some(Duration::from_millis(300));
    let out = run(cmd);
    assert_eq!(
        out.result.killed_by,
        Some(judge_engine::sandbox::LimitHit::CpuTime),
        "{:?}",
        out.result
    );
    assert!(
        out.result.cpu_time >= Duration::from_millis(300),
        "{:?}",
        out.result
    );
    assert!(
        out.result.cpu_time < Duration::from_millis(600),
        "{:?}",
        out.result
    );
}

#[test]
fn a_missing_program_is_the_childs_error() {
    if !root() {
        return;
    }
    let err = try_run(traced("/work/does-not-exist")).unwrap_err();
    assert!(
        matches!(&err, SandboxError::Child { errno, .. } if *errno == nix::errno::Errno::ENOENT),
        "{err:?}"
    );
}

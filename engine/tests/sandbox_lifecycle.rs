//! How runs end: exit codes, signals, the wall-clock limit, and engine errors with their stage.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::{command, compile, processes_with, root, run, try_run};
use judge_engine::sandbox::{ExitStatus, LimitHit, Mount, Stage};
use nix::errno::Errno;

#[test]
fn wall_limit_kills_a_sleeper_together_with_its_children() {
    if !root() {
        return;
    }
    let marker = format!("wall-sleeper-{}", std::process::id());
    let mut cmd = command(&compile("fork_sleepers.c", false));
    cmd.arg0(&marker);
    cmd.limits_mut().wall_time = Duration::from_millis(300);
    let out = run(cmd);
    assert_eq!(out.result.killed_by, Some(LimitHit::WallTime));
    assert_eq!(out.result.status, ExitStatus::Signaled(libc::SIGKILL));
    assert_eq!(out.stdout.trim(), "forked", "the children were forked");
    assert!(
        out.result.wall_time >= Duration::from_millis(300),
        "{:?}",
        out.result
    );
    assert_eq!(processes_with(&marker), Vec::<u32>::new(), "survivors");
}

#[test]
fn exit_code_and_signal_are_reported() {
    if !root() {
        return;
    }
    let mut cmd = judge_engine::sandbox::Command::new("/bin/sh");
    cmd.mounts(judge_engine::sandbox::system_mounts())
        .args(["-c", "exit 3"]);
    let out = run(cmd);
    assert_eq!(out.result.status, ExitStatus::Exited(3));
    assert!(!out.result.success());

    let mut cmd = judge_engine::sandbox::Command::new("/bin/sh");
    cmd.mounts(judge_engine::sandbox::system_mounts())
        .args(["-c", "kill -SEGV $$"]);
    let out = run(cmd);
    assert_eq!(out.result.status, ExitStatus::Signaled(libc::SIGSEGV));
}

#[test]
fn abort_ends_with_sigabrt_because_the_program_is_not_pid_1() {
    if !root() {
        return;
    }
    let mut cmd = judge_engine::sandbox::Command::new("/bin/sh");
    cmd.mounts(judge_engine::sandbox::system_mounts())
        .args(["-c", "kill -ABRT $$; echo survived"]);
    let out = run(cmd);
    assert_eq!(out.result.status, ExitStatus::Signaled(libc::SIGABRT));
    assert_eq!(out.stdout, "");
}

#[test]
fn exec_of_a_missing_file_is_an_engine_error_with_its_stage() {
    if !root() {
        return;
    }
    let err = try_run(command("/work/no-such-program")).unwrap_err();
    assert_eq!(
        err.child_errno(),
        Some((Stage::Execve, Errno::ENOENT)),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "sandbox stage execve /work/no-such-program: ENOENT (No such file or directory)"
    );
}

#[test]
fn exec_of_a_non_executable_file_is_an_engine_error() {
    if !root() {
        return;
    }
    let path = common::copy_source("hello.c");
    let err = try_run(command(&path)).unwrap_err();
    assert_eq!(
        err.child_errno(),
        Some((Stage::Execve, Errno::EACCES)),
        "{err}"
    );
}

#[test]
fn a_failing_mount_is_an_error_naming_it() {
    if !root() {
        return;
    }
    // A mount point inside a read-only bind that the host directory does not have.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(&compile("hostname.c", false));
    cmd.mount(Mount::read_only(dir.path(), "/usr/no-such-dir"));
    let err = try_run(cmd).unwrap_err();
    assert_eq!(
        err.child_errno(),
        Some((Stage::Mount, Errno::ENOENT)),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("sandbox stage mount /usr/no-such-dir: ENOENT"),
        "{err}"
    );
}

#[test]
fn a_source_behind_a_private_directory_mounts_but_its_files_keep_their_permissions() {
    if !root() {
        return;
    }
    // The engine reaches the source (like a toolchain under /root); the program still only
    // reads what the files' own permissions let its unprivileged uid read.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let inner = dir.path().join("inner");
    std::fs::create_dir(&inner).unwrap();
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(inner.join("public"), "x").unwrap();
    std::fs::set_permissions(inner.join("public"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(inner.join("private"), "x").unwrap();
    std::fs::set_permissions(
        inner.join("private"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let mut cmd = command(&compile("try_open.c", false));
    cmd.mount(Mount::read_only(&inner, "/data"))
        .args(["r", "/data/public", "/data/private"]);
    let out = run(cmd);
    assert_eq!(out.lines(), vec!["/data/public ok", "/data/private EACCES"]);
}

#[test]
fn wall_and_cpu_time_are_measured() {
    if !root() {
        return;
    }
    let mut cmd = judge_engine::sandbox::Command::new("/bin/sleep");
    cmd.mounts(judge_engine::sandbox::system_mounts())
        .arg("0.2");
    let out = run(cmd);
    assert!(out.result.success());
    assert!(
        out.result.wall_time >= Duration::from_millis(200),
        "{:?}",
        out.result
    );
    assert!(
        out.result.wall_time < Duration::from_secs(2),
        "{:?}",
        out.result
    );
    // Sleeping costs next to no CPU; starting `sleep` costs some, about 40 times more under
    // the cgroup v2 guest's software emulation.
    let start_up = if std::env::var_os("JUDGE_IN_GUEST").is_some() {
        Duration::from_millis(1000)
    } else {
        Duration::from_millis(100)
    };
    assert!(out.result.cpu_time < start_up, "{:?}", out.result);
}

#[test]
fn stdin_is_the_given_file_and_tmp_is_writable_but_capped() {
    if !root() {
        return;
    }
    let mut input = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut input, b"from stdin\n").unwrap();
    std::io::Seek::rewind(&mut input).unwrap();
    let mut cmd = judge_engine::sandbox::Command::new("/bin/sh");
    cmd.mounts(judge_engine::sandbox::system_mounts())
        .args([
            "-c",
            "cat; head -c 2000000 /dev/zero > /tmp/big; echo rc=$?; ls -l /tmp/big | cut -d' ' -f5",
        ])
        .stdin(input);
    cmd.limits_mut().tmp_size = 1 << 20;
    let out = run(cmd);
    let lines = out.lines();
    assert_eq!(lines[0], "from stdin");
    assert_eq!(
        lines[1], "rc=1",
        "writing past the /tmp size must fail: {}",
        out.stderr
    );
    assert_eq!(lines[2], "1048576");
}

/// Regression: the child once called glibc's setresuid, which broadcasts the change to every
/// thread glibc knows of under its thread-list lock. If another engine thread was starting or
/// stopping at clone time, the child inherited that lock held and hung until the setup timeout.
#[test]
fn the_child_does_not_hang_while_other_threads_start_and_stop() {
    if !root() {
        return;
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::spawn(|| ()).join().unwrap();
            }
        })
    };
    let program = compile("hostname.c", false);
    for _ in 0..300 {
        let mut cmd = command(&program);
        cmd.limits_mut().wall_time = Duration::from_secs(5);
        let out = try_run(cmd);
        if out.is_err() {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        assert!(out.unwrap().result.success());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churn.join().unwrap();
}

//! Every isolation property of the sandbox, each attacked by a real hostile program from
//! `testcases/sandbox/`. Each test fails if its property breaks.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::sync::Arc;

use common::{command, compile, root, run};
use judge_engine::sandbox::{ExitStatus, Mount, SyscallFilter};

fn unconfined() -> Arc<SyscallFilter> {
    Arc::new(SyscallFilter::unconfined().unwrap())
}

#[test]
fn runs_as_an_unprivileged_uid_without_capabilities() {
    if !root() {
        return;
    }
    let out = run(command(&compile("uid_caps.c", false)));
    assert!(out.result.success(), "{:?} {}", out.result, out.stderr);
    assert!(
        out.stdout.contains("uid=1000 euid=1000 gid=1000 egid=1000"),
        "{}",
        out.stdout
    );
    for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert!(
            out.stdout.contains(&format!("{set}:\t0000000000000000")),
            "{set} not empty: {}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("NoNewPrivs:\t1"), "{}", out.stdout);
    // No supplementary group of the engine (root's group 0) came along.
    let groups = out
        .lines()
        .into_iter()
        .find(|l| l.starts_with("Groups:"))
        .unwrap();
    assert_eq!(groups.trim_start_matches("Groups:").trim(), "", "{groups}");
}

#[test]
fn runs_as_the_configured_unprivileged_uid_on_the_host() {
    if !root() {
        return;
    }
    // The marker lets us find the sandboxed process from the host while it sleeps.
    let marker = format!("hostuid-{}", std::process::id());
    let prog = compile("fork_sleepers.c", false);
    let mut cmd = command(&prog);
    cmd.arg0(&marker);
    cmd.limits_mut().wall_time = std::time::Duration::from_millis(1500);
    let handle = std::thread::spawn(move || run(cmd));
    let mut uids = Vec::new();
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        let pids = common::processes_with(&marker);
        if pids.len() >= 4 {
            for pid in pids {
                let status =
                    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                if let Some(line) = status.lines().find(|l| l.starts_with("Uid:")) {
                    uids.push(line.to_owned());
                }
            }
            break;
        }
    }
    handle.join().unwrap();
    assert!(!uids.is_empty(), "never saw the sandboxed processes");
    for line in uids {
        assert_eq!(
            line, "Uid:\t60000\t60000\t60000\t60000",
            "a sandboxed process on the host"
        );
    }
}

#[test]
fn cannot_read_etc_shadow() {
    if !root() {
        return;
    }
    // /etc is mounted on purpose: the file is there, and permissions must stop the read.
    let mut cmd = command(&compile("try_open.c", false));
    cmd.mount(Mount::host("/etc")).args(["r", "/etc/shadow"]);
    let out = run(cmd);
    assert_eq!(out.stdout.trim(), "/etc/shadow EACCES");
}

#[test]
fn cannot_read_a_root_group_file_through_the_engines_groups() {
    if !root() {
        return;
    }
    // Readable by group root only: the engine's supplementary group 0 must not follow the child.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let secret = dir.path().join("secret");
    std::fs::File::create(&secret)
        .unwrap()
        .write_all(b"x")
        .unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o040)).unwrap();
    let mut cmd = command(&compile("try_open.c", false));
    cmd.mount(Mount::read_only(dir.path(), "/data"))
        .args(["r", "/data/secret"]);
    // The engine's thread holds group 0 as a supplementary group, as root's often does.
    let out = common::with_thread_groups(&[0], || run(cmd));
    assert_eq!(out.stdout.trim(), "/data/secret EACCES");
    let status =
        common::with_thread_groups(&[0, 4242], || run(command(&compile("uid_caps.c", false))));
    let groups = status
        .lines()
        .into_iter()
        .find(|l| l.starts_with("Groups:"))
        .unwrap();
    assert_eq!(groups.trim_start_matches("Groups:").trim(), "", "{groups}");
}

#[test]
fn sees_only_its_own_processes() {
    if !root() {
        return;
    }
    let out = run(command(&compile("list_pids.c", false)));
    let lines = out.lines();
    let own = lines[0].strip_prefix("self=").unwrap();
    let visible: Vec<&str> = lines[1..].to_vec();
    assert_eq!(visible, vec![own], "visible processes: {visible:?}");
}

#[test]
fn cannot_connect_to_a_host_loopback_listener() {
    if !root() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    // Sockets of any family allowed: the network namespace alone must stop the connection.
    let mut cmd = command(&compile("connect_tcp.c", false));
    cmd.arg(&port)
        .syscalls(Arc::new(SyscallFilter::base_with_any_socket().unwrap()));
    let out = run(cmd);
    assert!(out.stdout.starts_with("connect "), "{}", out.stdout);
    assert_ne!(out.stdout.trim(), "connected");
    // And the base allowlist refuses to make the socket at all.
    let mut cmd = command(&compile("connect_tcp.c", false));
    cmd.arg(&port);
    let out = run(cmd);
    assert_eq!(out.stdout.trim(), "socket EAFNOSUPPORT", "{:?}", out.result);
}

#[test]
fn cannot_connect_to_a_host_abstract_unix_socket() {
    if !root() {
        return;
    }
    let name = format!("judge-test-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let _listener = UnixListener::bind_addr(&addr).unwrap();
    let mut cmd = command(&compile("connect_abstract.c", false));
    cmd.arg(&name);
    let out = run(cmd);
    assert_eq!(out.stdout.trim(), "connect ECONNREFUSED");
}

/// Each privileged call is fatal under the base allowlist, and fails for lack of privilege even
/// with no allowlist at all.
#[test]
fn cannot_mount_unshare_ptrace_sethostname_or_chroot() {
    if !root() {
        return;
    }
    let prog = compile("privileged.c", false);
    for call in [
        "mount",
        "umount",
        "unshare",
        "unshare_mount",
        "setns",
        "ptrace",
        "sethostname",
        "chroot",
        "bpf",
        "setuid",
    ] {
        let mut cmd = command(&prog);
        cmd.arg(call);
        let out = run(cmd);
        assert!(
            out.result.disallowed_syscall(),
            "{call}: {:?} {}",
            out.result,
            out.stdout
        );

        let mut cmd = command(&prog);
        cmd.arg(call).syscalls(unconfined());
        let out = run(cmd);
        let line = out.stdout.trim();
        assert!(line.starts_with(call), "{call}: {line:?}");
        assert!(
            !line.ends_with(" ok"),
            "{call} succeeded without seccomp: {line}"
        );
    }
}

#[test]
fn holds_no_descriptor_above_2() {
    if !root() {
        return;
    }
    // A descriptor the engine holds without close-on-exec: closing is the child's job.
    let leaky = std::fs::File::open("/etc/hostname").unwrap();
    // SAFETY: duplicating a descriptor we own into a new number we then close.
    let dup = unsafe { libc::fcntl(leaky.as_raw_fd(), libc::F_DUPFD, 10) };
    assert!(dup >= 10);
    let out = run(command(&compile("list_fds.c", false)));
    // SAFETY: closing the descriptor duplicated above.
    unsafe { libc::close(dup) };
    assert_eq!(out.lines(), vec!["0", "1", "2"]);
}

#[test]
fn cannot_create_files_in_usr_etc_or_root() {
    if !root() {
        return;
    }
    let prog = compile("create_files.c", false);
    let targets = [
        "/usr/pwned",
        "/etc/pwned",
        "/pwned",
        "/work/pwned",
        "/dev/pwned",
        "/tmp/ok",
    ];
    for filter in [None, Some(unconfined())] {
        let mut cmd = command(&prog);
        cmd.mount(Mount::host("/etc")).args(targets);
        if let Some(f) = filter {
            cmd.syscalls(f);
        }
        let out = run(cmd);
        let lines = out.lines();
        assert_eq!(lines.len(), targets.len(), "{}", out.stdout);
        for line in &lines[..5] {
            assert!(
                line.ends_with("EROFS") || line.ends_with("EACCES"),
                "{line}"
            );
        }
        assert_eq!(lines[5], "/tmp/ok ok", "/tmp must stay writable");
    }
    assert!(!std::path::Path::new("/usr/pwned").exists());
    assert!(!std::path::Path::new("/etc/pwned").exists());
}

#[test]
fn sees_a_hostname_that_is_not_the_hosts() {
    if !root() {
        return;
    }
    let out = run(command(&compile("hostname.c", false)));
    let host = nix::unistd::gethostname().unwrap();
    assert_eq!(out.stdout.trim(), "judge");
    assert_ne!(out.stdout.trim(), host.to_str().unwrap());
}

#[test]
fn kill_minus_one_kills_nothing_outside() {
    if !root() {
        return;
    }
    // A canary owned by the very uid the sandbox runs as on the host: only the PID namespace
    // protects it.
    let mut canary = std::process::Command::new("/bin/sleep");
    std::os::unix::process::CommandExt::uid(&mut canary, 60000);
    let mut canary = canary.arg("30").spawn().unwrap();
    let out = run(command(&compile("kill_all.c", false)));
    assert_eq!(out.lines(), vec!["kill ok", "child signal=9"]);
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(
        canary.try_wait().unwrap().is_none(),
        "the host canary was killed"
    );
    canary.kill().unwrap();
    canary.wait().unwrap();
}

#[test]
fn cannot_open_the_parents_exe_for_writing() {
    if !root() {
        return;
    }
    let mut cmd = command(&compile("try_open.c", false));
    cmd.args(["w", "/proc/%d/exe", "/proc/1/exe", "/proc/self/exe"]);
    let out = run(cmd);
    let lines = out.lines();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    for line in lines {
        assert!(!line.ends_with(" ok"), "{line}");
    }
}

#[test]
fn does_not_see_the_engines_environment() {
    if !root() {
        return;
    }
    // Every test process has PATH and CARGO_* variables; none may reach the program.
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some() || std::env::var_os("PATH").is_some());
    let mut cmd = command(&compile("print_env.c", false));
    cmd.env("GIVEN", "1");
    let out = run(cmd);
    assert_eq!(out.stdout.trim(), "GIVEN=1");
    // Nor through the init, a copy of the engine, in /proc.
    let mut cmd = command(&compile("try_open.c", false));
    cmd.args([
        "r",
        "/proc/1/environ",
        "/proc/1/cmdline",
        "/proc/%d/environ",
    ]);
    let out = run(cmd);
    for line in out.lines() {
        assert!(!line.ends_with(" ok"), "{line}");
    }
}

#[test]
fn dev_holds_only_the_harmless_devices() {
    if !root() {
        return;
    }
    let mut cmd = judge_engine::sandbox::Command::new("/usr/bin/ls");
    cmd.mounts(judge_engine::sandbox::system_mounts())
        .arg("/dev");
    let out = run(cmd);
    let mut names = out.lines();
    names.sort();
    assert_eq!(
        names,
        vec!["fd", "full", "null", "random", "shm", "stderr", "stdin", "stdout", "urandom", "zero"]
    );
}

#[test]
fn disallowed_system_call_is_reported_as_such() {
    if !root() {
        return;
    }
    let mut cmd = command(&compile("clone_calls.c", false));
    cmd.arg("newuser");
    let out = run(cmd);
    assert_eq!(out.result.status, ExitStatus::Signaled(libc::SIGSYS));
    assert!(out.result.disallowed_syscall());
    assert_eq!(out.stdout, "");
}

#[test]
fn clone3_answers_enosys_and_threads_and_fork_still_work() {
    if !root() {
        return;
    }
    let prog = compile("clone_calls.c", false);
    for (case, expected) in [
        ("clone3", "clone3 ENOSYS"),
        ("threads", "threads ok"),
        ("fork", "fork exit=7"),
    ] {
        let mut cmd = command(&prog);
        cmd.arg(case);
        let out = run(cmd);
        assert_eq!(out.stdout.trim(), expected, "{:?}", out.result);
    }
}

#[test]
fn tiocsti_is_fatal() {
    if !root() {
        return;
    }
    let out = run(command(&compile("tiocsti.c", false)));
    assert!(
        out.result.disallowed_syscall(),
        "{:?} {}",
        out.result,
        out.stdout
    );
}

#[test]
fn a_capped_writable_directory_takes_no_more_than_its_cap_and_no_host_disk() {
    if !root() {
        return;
    }
    let cap = judge_engine::hostdir::Cap::bytes(4 << 20);
    let dir = common::sandbox()
        .dirs()
        .sandbox_dir("work", Some(cap))
        .unwrap();
    let mut cmd = common::command("/bin/dd");
    cmd.args(["if=/dev/zero", "of=/out/fill", "bs=1M", "count=64"])
        .mount(judge_engine::sandbox::Mount::writable(dir.path(), "/out"));
    let out = common::run(cmd);
    assert!(
        out.stderr.contains("No space left on device"),
        "{}",
        out.stderr
    );
    let written = std::fs::metadata(dir.path().join("fill")).unwrap().len();
    assert!(written <= 4 << 20, "{written} bytes written");
    let fs = nix::sys::statfs::statfs(dir.path()).unwrap();
    assert_eq!(
        fs.filesystem_type(),
        nix::sys::statfs::TMPFS_MAGIC,
        "not on the host's disk"
    );
}

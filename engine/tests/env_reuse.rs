//! Reused environments: many runs in one set of namespaces, and no state leaking from one run to
//! the next. Each leak test plants something in run N and looks for it in run N+1.

mod common;

use judge_engine::sandbox::{system_mounts, Command, Env, Layout, Mount};

use common::{bin_dir, compile, root};

fn layout() -> Layout {
    let mut mounts = system_mounts();
    mounts.push(Mount::read_only(bin_dir(), "/work"));
    Layout {
        mounts,
        tmp_size: 16 << 20,
        cpus: None,
    }
}

fn env() -> Env {
    Env::new(common::sandbox(), layout()).expect("environment")
}

/// Run in `env` with output captured.
fn run(env: &mut Env, mut cmd: Command) -> common::Output {
    let mut out = tempfile::tempfile().unwrap();
    let mut err = tempfile::tempfile().unwrap();
    cmd.stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap());
    let result = env.run(cmd).expect("run in environment");
    let read = |f: &mut std::fs::File| {
        use std::io::{Read, Seek};
        let mut s = String::new();
        f.rewind().unwrap();
        f.read_to_string(&mut s).unwrap();
        s
    };
    common::Output {
        result,
        stdout: read(&mut out),
        stderr: read(&mut err),
    }
}

#[test]
fn an_environment_serves_many_runs() {
    if !root() {
        return;
    }
    let mut env = env();
    for i in 0..20 {
        let mut cmd = Command::new("/bin/echo");
        cmd.arg(format!("run {i}"));
        let out = run(&mut env, cmd);
        assert!(out.result.success(), "{:?} {}", out.result, out.stderr);
        assert_eq!(out.stdout, format!("run {i}\n"));
    }
    assert!(!env.is_broken());
    assert_eq!(env.runs(), 20);
}

#[test]
fn the_program_is_confined_as_in_a_fresh_sandbox() {
    if !root() {
        return;
    }
    let mut env = env();
    let out = run(&mut env, Command::new(compile("uid_caps.c", false)));
    assert!(out.stdout.contains("uid=1000 euid=1000"), "{}", out.stdout);
    assert!(
        out.stdout.contains("CapEff:\t0000000000000000"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("NoNewPrivs:\t1"), "{}", out.stdout);
    let mut cmd = Command::new(compile("privileged.c", false));
    cmd.arg("mount");
    assert!(run(&mut env, cmd).result.disallowed_syscall());
    // The init is neither visible nor reachable.
    let mut cmd = Command::new(compile("try_open.c", false));
    cmd.args(["w", "/proc/1/mem", "/proc/1/exe"]);
    for line in run(&mut env, cmd).lines() {
        assert!(!line.ends_with(" ok"), "{line}");
    }
    let out = run(&mut env, Command::new(compile("list_pids.c", false)));
    let lines = out.lines();
    let own = lines[0].strip_prefix("self=").unwrap();
    assert_eq!(lines[1..].to_vec(), vec![own]);
}

//! Reused environments: many runs in one set of namespaces, and no state leaking from one run to
//! the next. Each leak test plants something in run N and looks for it in run N+1.

mod common;

use judge_engine::sandbox::{Command, Env};

use common::{compile, layout, root};

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
    env.settle();
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

/// Run N plants `what`, run N+1 in the same environment looks for it.
fn plant_then_look(what: &str, plant_env: &[(&str, &str)]) -> (String, String, Env) {
    let mut env = env();
    let mut cmd = Command::new(compile("plant.c", false));
    cmd.arg(what).envs(plant_env.iter().copied());
    let planted = run(&mut env, cmd);
    let mut cmd = Command::new(compile("look.c", false));
    cmd.arg(what);
    let looked = run(&mut env, cmd);
    (planted.stdout, looked.stdout, env)
}

#[test]
fn no_file_in_tmp_or_dev_shm_survives_into_the_next_run() {
    if !root() {
        return;
    }
    let (planted, looked, mut env) = plant_then_look("files", &[]);
    assert_eq!(planted.trim(), "planted");
    assert_eq!(looked.trim(), "clean");
    env.settle();
    assert!(!env.is_broken());
}

#[test]
fn no_process_survives_into_the_next_run() {
    if !root() {
        return;
    }
    let (planted, looked, mut env) = plant_then_look("process", &[]);
    assert_eq!(planted.trim(), "planted");
    assert_eq!(looked.trim(), "clean");
    env.settle();
    assert!(
        !env.is_broken(),
        "a killed daemon must not spoil the environment"
    );
}

#[test]
fn no_sysv_ipc_object_survives_into_the_next_run() {
    if !root() {
        return;
    }
    let (planted, looked, _) = plant_then_look("ipc", &[]);
    assert_eq!(planted.trim(), "planted");
    assert_eq!(looked.trim(), "clean");
}

#[test]
fn no_abstract_socket_survives_into_the_next_run() {
    if !root() {
        return;
    }
    let (planted, looked, _) = plant_then_look("socket", &[]);
    assert_eq!(planted.trim(), "planted");
    assert_eq!(looked.trim(), "clean");
}

#[test]
fn no_environment_variable_survives_into_the_next_run() {
    if !root() {
        return;
    }
    let mut env = env();
    let mut cmd = Command::new(compile("look.c", false));
    cmd.arg("env").env("PLANTED", "1");
    assert_eq!(run(&mut env, cmd).stdout.trim(), "found environment");
    let mut cmd = Command::new(compile("look.c", false));
    cmd.arg("env");
    assert_eq!(run(&mut env, cmd).stdout.trim(), "clean");
}

#[test]
fn limits_and_accounting_hold_per_run() {
    if !root() {
        return;
    }
    let mut env = env();
    let burn = compile("limits/burn_cpu.c", true);
    let touch = compile("limits/touch_memory.c", true);
    for ms in [300, 100] {
        let mut cmd = Command::new(&burn);
        cmd.arg(ms.to_string());
        let out = run(&mut env, cmd);
        let reported = out.result.cpu_time.as_secs_f64() * 1e3;
        // The program's clock at its end and at main's start: the run's CPU is at least the
        // work in main and at most the whole process's (the spare's set-up before its
        // request is the engine's, and not counted), each within 5 %.
        let clock: Vec<f64> = out
            .stdout
            .trim()
            .strip_prefix("cpu_ms ")
            .unwrap()
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        let (end, start) = (clock[0], clock[1]);
        assert!(
            reported >= (end - start) * 0.95 && reported <= end * 1.05,
            "{ms} ms of work: reported {reported}, the program's clock {start} to {end}"
        );
        assert!(end - start >= ms as f64, "{clock:?}");
    }
    for mib in [100u64, 20] {
        let mut cmd = Command::new(&touch);
        cmd.arg(mib.to_string());
        let out = run(&mut env, cmd);
        let reported = out.result.memory as f64 / (1 << 20) as f64;
        assert!(
            (reported - mib as f64).abs() / (mib as f64) < 0.05,
            "{mib} MiB reported {reported}"
        );
    }
    let mut cmd = Command::new(&touch);
    cmd.arg("1024");
    cmd.limits_mut().memory = Some(128 << 20);
    let out = run(&mut env, cmd);
    assert!(out.result.oom_killed, "{:?}", out.result);
    let mut cmd = Command::new(compile("limits/spin_ignore_signals.c", true));
    cmd.limits_mut().cpu_time = Some(std::time::Duration::from_millis(200));
    let out = run(&mut env, cmd);
    assert_eq!(
        out.result.killed_by,
        Some(judge_engine::sandbox::LimitHit::CpuTime)
    );
    // And the environment still serves a clean run after all that, with a memory limit too:
    // the earlier OOM kill is not this run's.
    let mut cmd = Command::new(&touch);
    cmd.arg("10");
    cmd.limits_mut().memory = Some(128 << 20);
    let out = run(&mut env, cmd);
    assert!(out.result.success(), "{:?}", out.result);
    assert!(!out.result.oom_killed);
    env.settle();
    assert!(!env.is_broken());
}

/// `look WHAT` in `env`, which must succeed; its stdout.
fn look(env: &mut Env, what: &str) -> String {
    let mut cmd = Command::new(compile("look.c", false));
    cmd.arg(what);
    let out = run(env, cmd);
    assert!(
        out.result.success(),
        "look {what}: {:?} {}",
        out.result,
        out.stderr
    );
    out.stdout
}

/// `plant WHAT` in `env`; its stdout.
fn plant(env: &mut Env, what: &str) -> String {
    let mut cmd = Command::new(compile("plant.c", false));
    cmd.arg(what);
    run(env, cmd).stdout
}

/// The resource-limit lines of `look limits` (its pid line differs from run to run).
fn limit_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split(" pid ").next().unwrap_or(l).to_owned())
        .collect()
}

#[test]
fn a_run_cannot_signal_stop_limit_or_move_the_init_or_the_next_runs_spare() {
    if !root() {
        return;
    }
    let mut env = env();
    let before = look(&mut env, "limits");
    let out = run(&mut env, Command::new(compile("neighbours.c", false)));
    assert_eq!(
        out.stdout.trim(),
        "signal 0 stop 0 prlimit 0 affinity 0 kill 0",
        "{:?}",
        out.result
    );
    // The next runs start, end and see the limits they were given, not the attacker's.
    for _ in 0..3 {
        assert_eq!(limit_lines(&look(&mut env, "limits")), limit_lines(&before));
    }
    env.settle();
    assert!(!env.is_broken());
}

#[test]
fn a_fresh_sandboxs_init_is_out_of_its_programs_reach_too() {
    if !root() {
        return;
    }
    let out = common::run(common::command(&compile("neighbours.c", false)));
    assert_eq!(
        out.stdout.trim(),
        "signal 0 stop 0 prlimit 0 affinity 0 kill 0"
    );
    assert!(out.result.success(), "{:?}", out.result);
}

#[test]
fn tmp_is_as_fresh_for_every_run_as_a_new_mount_mode_owner_and_times_included() {
    if !root() {
        return;
    }
    let mut env = env();
    let fresh = look(&mut env, "tmpmode");
    assert_eq!(fresh.trim(), "mode 1777 uid 0 gid 0 entries 0 times recent");
    assert_eq!(
        plant(&mut env, "tmpmode").trim(),
        "chmod refused times refused touch ok dir ok"
    );
    assert_eq!(look(&mut env, "tmpmode"), fresh);
    // And a fresh sandbox's /tmp looks the same.
    let mut cmd = common::command(&compile("look.c", false));
    cmd.arg("tmpmode");
    assert_eq!(common::run(cmd).stdout, fresh);
}

#[test]
fn a_descriptor_cycle_keeps_no_socket_or_file_alive_into_the_next_run() {
    if !root() {
        return;
    }
    let mut env = env();
    assert_eq!(plant(&mut env, "cycle").trim(), "planted");
    assert_eq!(look(&mut env, "cycle").trim(), "clean");
    env.settle();
    assert!(
        !env.is_broken(),
        "the collector freed the cycle: nothing to replace"
    );
}

#[test]
fn the_hosts_device_nodes_can_be_used_but_not_changed() {
    if !root() {
        return;
    }
    let mtime = || std::fs::metadata("/dev/null").unwrap().modified().unwrap();
    let before = mtime();
    let mut env = env();
    assert_eq!(
        plant(&mut env, "devices").trim(),
        "times EROFS chmod refused write ok"
    );
    let mut cmd = common::command(&compile("plant.c", false));
    cmd.arg("devices");
    assert_eq!(
        common::run(cmd).stdout.trim(),
        "times EROFS chmod refused write ok"
    );
    assert_eq!(mtime(), before, "a run moved the host's /dev/null");
}

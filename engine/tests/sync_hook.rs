//! The sync hook (`Command::sync_hook`): the parent's step between clone and exec. It sees the
//! child before exec, with its id maps and cgroup in place; an error it returns fails the start
//! with that error, and the program never runs; a pool worker that reuses environments runs a
//! hooked command in a fresh sandbox.

mod common;

use std::sync::{Arc, Mutex};

use common::{command, compile, root, run};
use judge_engine::sandbox::{Mount, SandboxError, SyncHook};

/// What a hook saw of the child.
#[derive(Debug, Default, Clone)]
struct Seen {
    pid: i32,
    uid_map: String,
    exe: String,
    cgroup: String,
    calls: usize,
}

fn observing(seen: &Arc<Mutex<Seen>>) -> SyncHook {
    let seen = seen.clone();
    SyncHook::new(move |pid| {
        let mut s = seen.lock().unwrap();
        s.calls += 1;
        s.pid = pid;
        s.uid_map = std::fs::read_to_string(format!("/proc/{pid}/uid_map"))?;
        s.exe = std::fs::read_link(format!("/proc/{pid}/exe"))?
            .display()
            .to_string();
        s.cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))?;
        Ok(())
    })
}

#[test]
fn the_hook_sees_the_child_before_exec_with_its_id_maps_and_cgroup() {
    if !root() {
        return;
    }
    let program = compile("hello.c", false);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut cmd = command(&program);
    cmd.sync_hook(observing(&seen));
    let out = run(cmd);
    assert!(out.result.success(), "{:?}", out.result);
    assert!(!out.stdout.is_empty());
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.calls, 1);
    assert!(seen.pid > 1);
    // Mapped already: the namespace's ids go to unprivileged host ids.
    assert!(!seen.uid_map.trim().is_empty(), "{seen:?}");
    for line in seen.uid_map.lines() {
        let host = line.split_whitespace().nth(1).unwrap();
        assert_ne!(host, "0", "host root mapped: {seen:?}");
    }
    // Not the program yet: the child is still the engine's binary.
    let me = std::fs::read_link("/proc/self/exe").unwrap();
    assert_eq!(seen.exe, me.display().to_string(), "{seen:?}");
    // In its run's cgroup, not the engine's.
    let mine = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    if judge_engine::sandbox::running_as_root() && common::sandbox().has_cgroups() {
        assert_ne!(seen.cgroup, mine, "{seen:?}");
    }
}

#[test]
fn a_hook_error_fails_the_start_and_the_program_never_runs() {
    if !root() {
        return;
    }
    let program = compile("create_files.c", false);
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let pid = Arc::new(Mutex::new(0));
    let mut cmd = command(&program);
    cmd.arg("/out/made")
        .mounts([Mount::writable(dir.path(), "/out")]);
    let second_ran = Arc::new(Mutex::new(false));
    {
        let pid = pid.clone();
        cmd.sync_hook(SyncHook::new(move |p| {
            *pid.lock().unwrap() = p;
            Err("refused by the test's hook".into())
        }));
        let second_ran = second_ran.clone();
        cmd.sync_hook(SyncHook::new(move |_| {
            *second_ran.lock().unwrap() = true;
            Ok(())
        }));
    }
    let err = common::sandbox().run(cmd).unwrap_err();
    assert!(matches!(err, SandboxError::Hook(_)), "{err:?}");
    assert!(
        err.to_string().contains("refused by the test's hook"),
        "{err}"
    );
    assert!(!*second_ran.lock().unwrap(), "a hook ran after one failed");
    // The program never ran, and the child is gone.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let pid = *pid.lock().unwrap();
    assert!(pid > 1);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the child {pid} is still there"
    );
}

#[test]
fn a_pool_worker_that_reuses_environments_runs_a_hooked_command_fresh() {
    if !root() {
        return;
    }
    let program = compile("hello.c", false);
    let pool = common::pool(1, true);
    let seen = Arc::new(Mutex::new(Seen::default()));
    for hooked in [false, true, false] {
        let (program, hook) = (program.clone(), observing(&seen));
        let result = pool
            .submit(move |worker| {
                let mut cmd = judge_engine::sandbox::Command::new(&program);
                cmd.current_dir("/work");
                if hooked {
                    cmd.sync_hook(hook);
                }
                worker.run(common::layout(), cmd).unwrap()
            })
            .wait();
        assert!(result.success(), "{result:?}");
    }
    assert_eq!(seen.lock().unwrap().calls, 1);
    let stats = pool.stats();
    assert_eq!(stats.envs_built, 1, "{stats:?}");
    assert_eq!(stats.envs_reused, 1, "{stats:?}");
}

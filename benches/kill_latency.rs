//! How far past its CPU limit a spinning program gets before the sandbox kills it: median and
//! maximum over 50 runs, as reported by the run's cgroup.
//!
//! `cargo bench -p judge-benches --bench kill_latency` (as root). Needs gcc for the spinner.

use std::time::Duration;

use judge_benches::median_max;
use judge_engine::sandbox::{
    system_mounts, Command, LimitHit, Limits, Mount, Sandbox, SandboxConfig,
};

const RUNS: usize = 50;
const LIMIT: Duration = Duration::from_millis(200);

fn main() {
    // `cargo bench` passes --bench; a filter argument is accepted and ignored.
    let sandbox = Sandbox::new(SandboxConfig::default()).expect("sandbox (run as root)");
    assert!(sandbox.has_cgroups(), "{:?}", sandbox.warnings());
    let dir = tempfile_dir();
    let src = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testcases/limits/spin_ignore_signals.c"
    );
    let status = std::process::Command::new("gcc")
        .args(["-O2", "-static", "-o"])
        .arg(dir.join("spin"))
        .arg(src)
        .status()
        .expect("gcc");
    assert!(status.success());
    let mut overshoot_ms = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let mut cmd = Command::new("/work/spin");
        cmd.mounts(system_mounts())
            .mount(Mount::read_only(&dir, "/work"))
            .limits(Limits {
                cpu_time: Some(LIMIT),
                wall_time: Duration::from_secs(10),
                ..Limits::default()
            });
        let result = sandbox.run(cmd).unwrap();
        assert_eq!(result.killed_by, Some(LimitHit::CpuTime), "{result:?}");
        overshoot_ms.push((result.cpu_time.as_secs_f64() - LIMIT.as_secs_f64()) * 1e3);
    }
    let (median, max) = median_max(overshoot_ms);
    println!(
        "kill latency past a {} ms CPU limit over {RUNS} runs: median {median:.2} ms, max {max:.2} ms",
        LIMIT.as_millis()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("judge-kill-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

//! `/bin/true` bare (fork + exec + wait) and through the sandbox, side by side in one run.
//!
//! `cargo bench -p judge-benches --bench sandbox` (as root).

use std::ffi::CString;

use criterion::{criterion_group, criterion_main, Criterion};
use judge_benches::bare_fork_exec_wait;
use judge_engine::sandbox::{
    system_mounts, Command, Env, Layout, Sandbox, SandboxConfig, SyscallFilter,
};

fn spawn_true(c: &mut Criterion) {
    let path = CString::new("/bin/true").unwrap();
    let with_cgroups = Sandbox::new(SandboxConfig::default()).expect("sandbox (run as root)");
    let without_cgroups = Sandbox::new(SandboxConfig {
        cgroup: None,
        ..SandboxConfig::default()
    })
    .unwrap();
    let mut group = c.benchmark_group("true");
    group.bench_function("bare fork+exec+wait", |b| {
        b.iter(|| assert_eq!(bare_fork_exec_wait(&path), 0))
    });
    for (name, sandbox) in [
        ("sandbox without cgroup", &without_cgroups),
        ("sandbox with cgroup", &with_cgroups),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut cmd = Command::new("/bin/true");
                cmd.mounts(system_mounts());
                assert!(sandbox.run(cmd).unwrap().success());
            })
        });
    }
    let mut env = Env::new(
        &with_cgroups,
        Layout {
            mounts: system_mounts(),
            tmp_size: 16 << 20,
            cpus: None,
            syscalls: SyscallFilter::base(),
        },
    )
    .unwrap();
    group.bench_function("reused environment", |b| {
        b.iter(|| {
            let result = env.run(Command::new("/bin/true")).unwrap();
            assert!(result.success());
        })
    });
    group.finish();
}

criterion_group!(benches, spawn_true);
criterion_main!(benches);

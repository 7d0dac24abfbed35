//! `/bin/true` bare (fork + exec + wait) and through each layer of isolation, side by side in
//! one run: the criterion counterpart of `judge bench`.
//!
//! `cargo bench -p judge-benches --bench sandbox` (as root).

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use judge_engine::sandbox::{
    bare, system_mounts, Command, Env, ExitStatus, Layout, Sandbox, SandboxConfig, SyscallFilter,
};

fn layers(c: &mut Criterion) {
    let with_cgroups = Sandbox::new(SandboxConfig::default()).expect("sandbox (run as root)");
    let without_cgroups = Sandbox::new(SandboxConfig {
        cgroup: None,
        ..SandboxConfig::default()
    })
    .unwrap();
    let unconfined = Arc::new(SyscallFilter::unconfined().unwrap());
    let mut group = c.benchmark_group("true");
    group.bench_function("bare fork+exec+wait", |b| {
        b.iter(|| {
            assert_eq!(
                bare::fork_wait(c"/bin/true").unwrap(),
                ExitStatus::Exited(0)
            )
        })
    });
    let all = bare::NAMESPACES.iter().fold(0, |acc, (_, f)| acc | f);
    for (name, flags) in bare::NAMESPACES.into_iter().chain([("all", all)]) {
        group.bench_function(format!("+ {name} namespace(s)"), |b| {
            b.iter(|| {
                assert_eq!(
                    bare::spawn_wait(c"/bin/true", flags).unwrap(),
                    ExitStatus::Exited(0)
                )
            })
        });
    }
    let cases = [
        (
            "+ mounts and pivot_root",
            &without_cgroups,
            Some(&unconfined),
        ),
        ("+ cgroup", &with_cgroups, Some(&unconfined)),
        ("+ seccomp: full fresh sandbox", &with_cgroups, None),
    ];
    for (name, sandbox, filter) in cases {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut cmd = Command::new("/bin/true");
                cmd.mounts(system_mounts());
                if let Some(f) = filter {
                    cmd.syscalls(f.clone());
                }
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
            network: judge_engine::sandbox::Network::None,
        },
    )
    .unwrap();
    group.bench_function("reused environment", |b| {
        b.iter(|| assert!(env.run(Command::new("/bin/true")).unwrap().success()))
    });
    group.finish();
}

criterion_group!(benches, layers);
criterion_main!(benches);

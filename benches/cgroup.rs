//! The cost of a run's cgroup: create + attach + read + remove, beside the fork + kill + wait of
//! the process that gets attached (which the first figure includes).
//!
//! `cargo bench -p judge-benches --bench cgroup` (as root).

use criterion::{criterion_group, criterion_main, Criterion};
use judge_engine::cgroup::{detect, CgroupConfig, CgroupLimits, Detected};

/// A child that waits to be killed.
fn stub() -> libc::pid_t {
    // SAFETY: the child only calls async-signal-safe pause and _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: as above.
        unsafe {
            libc::pause();
            libc::_exit(0);
        }
    }
    pid
}

fn reap(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
}

fn cgroup_per_run(c: &mut Criterion) {
    let id = judge_engine::lock::EngineId::random().expect("random engine id");
    let Detected::Available(cgroups) = detect(&CgroupConfig::default(), &id) else {
        panic!("no usable cgroups (run as root)");
    };
    let limits = CgroupLimits {
        memory_bytes: Some(256 << 20),
        pids: Some(64),
        ..CgroupLimits::default()
    };
    let mut group = c.benchmark_group("cgroup");
    group.bench_function("fork+kill+wait (baseline)", |b| {
        b.iter(|| {
            let pid = stub();
            // SAFETY: killing our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            reap(pid);
        })
    });
    group.bench_function("create+attach+read+remove", |b| {
        b.iter(|| {
            let run = cgroups.create(&limits).unwrap();
            let pid = stub();
            run.attach(pid).unwrap();
            run.cpu_usage().unwrap();
            run.memory_peak().unwrap();
            run.oom_kills().unwrap();
            run.kill_all().unwrap();
            reap(pid);
            run.remove().unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, cgroup_per_run);
criterion_main!(benches);

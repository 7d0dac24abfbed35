//! What go-judge's execution model adds to a run on a pool worker, side by side in one run:
//! `/bin/true` in the worker's reused environment (the pool alone), through
//! [`Executor::run`] (its `/w`, copy-in, descriptors and results), and `cat` with an input and
//! two collectors. The HTTP layer on top is measured by hand (see the README).
//!
//! `cargo bench -p judge-benches --bench serve` (as root).

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use judge_engine::pool::{Pool, PoolConfig};
use judge_engine::profile::ProfileSet;
use judge_engine::sandbox::{Command, Layout, Sandbox, SandboxConfig};
use judge_engine::service::files::{FileStore, StoreConfig};
use judge_engine::service::gojudge::model::{Request, Status};
use judge_engine::service::gojudge::{ExecConfig, Executor};

fn serve(c: &mut Criterion) {
    let sandbox = Arc::new(Sandbox::new(SandboxConfig::default()).expect("sandbox (run as root)"));
    let pool = Arc::new(
        Pool::new(
            sandbox.clone(),
            PoolConfig {
                workers: 1,
                ..PoolConfig::default()
            },
        )
        .unwrap(),
    );
    let profiles = ProfileSet::builtin().unwrap();
    let config = ExecConfig::for_profiles(&profiles, false).unwrap();
    let files = sandbox.dirs().scratch_dir("bench-files").unwrap();
    let store = Arc::new(FileStore::new(files.path(), StoreConfig::default()));
    let layout = Layout {
        mounts: config.mounts.clone(),
        tmp_size: config.tmp_size,
        cpus: None,
        syscalls: config.syscalls.clone(),
        network: judge_engine::sandbox::Network::None,
    };
    let executor = Executor::new(pool.clone(), store, config);
    let request = |json: &str| -> Request { serde_json::from_str(json).unwrap() };
    let mut group = c.benchmark_group("serve");
    group.bench_function("pool worker, reused environment", |b| {
        b.iter(|| {
            let layout = layout.clone();
            let ok = pool
                .submit(move |worker| worker.run(layout, Command::new("/bin/true")).unwrap())
                .wait()
                .success();
            assert!(ok);
        })
    });
    let truth = request(r#"{"cmd": [{"args": ["/bin/true"]}]}"#);
    group.bench_function("go-judge /run of /bin/true (no HTTP)", |b| {
        b.iter(|| {
            let results = executor.run(truth.clone()).unwrap();
            assert_eq!(results[0].status, Status::Accepted);
        })
    });
    let cat = request(
        r#"{"cmd": [{"args": ["/bin/cat"], "files": [{"content": "1 2\n"},
            {"name": "stdout", "max": 1024}, {"name": "stderr", "max": 1024}]}]}"#,
    );
    group.bench_function(
        "go-judge /run of cat, input and collectors (no HTTP)",
        |b| {
            b.iter(|| {
                let results = executor.run(cat.clone()).unwrap();
                assert_eq!(results[0].files["stdout"], "1 2\n");
            })
        },
    );
    group.finish();
}

criterion_group!(benches, serve);
criterion_main!(benches);

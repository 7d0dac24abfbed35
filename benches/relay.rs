//! What the engine's relay between an interactive submission and its interactor costs: 1,000
//! round trips of an 8-byte message and an 8-byte reply, over direct pipes and through the
//! relay, side by side. (Processes would add their own scheduling; threads isolate the relay.)
//!
//! `cargo bench -p judge-benches --bench relay`.

use std::fs::File;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use judge_engine::judge::relay::Relay;

const ROUND_TRIPS: usize = 1000;

/// A pipe as (read end, write end).
fn pipe() -> (File, File) {
    let (read, write) = nix::unistd::pipe().unwrap();
    (File::from(read), File::from(write))
}

/// The submission asks, the interactor answers, `ROUND_TRIPS` times.
fn converse(mut sub_in: File, mut sub_out: File, int_in: File, int_out: File) {
    let interactor = std::thread::spawn(move || {
        let (mut int_in, mut int_out) = (int_in, int_out);
        let mut buf = [0u8; 8];
        for _ in 0..ROUND_TRIPS {
            int_in.read_exact(&mut buf).unwrap();
            int_out.write_all(&buf).unwrap();
        }
    });
    let mut buf = [0u8; 8];
    for i in 0..ROUND_TRIPS {
        sub_out.write_all(&(i as u64).to_le_bytes()).unwrap();
        sub_in.read_exact(&mut buf).unwrap();
    }
    interactor.join().unwrap();
}

fn direct() {
    let (int_in, sub_out) = pipe();
    let (sub_in, int_out) = pipe();
    converse(sub_in, sub_out, int_in, int_out);
}

fn relayed() {
    let (sub_in, engine_to_sub) = pipe();
    let (engine_from_sub, sub_out) = pipe();
    let (int_in, engine_to_int) = pipe();
    let (engine_from_int, int_out) = pipe();
    let relay = Relay::new(
        std::os::fd::OwnedFd::from(engine_from_sub),
        std::os::fd::OwnedFd::from(engine_to_sub),
        std::os::fd::OwnedFd::from(engine_from_int),
        std::os::fd::OwnedFd::from(engine_to_int),
        Instant::now() + Duration::from_secs(60),
        None,
    )
    .unwrap();
    let relay = std::thread::spawn(move || relay.run().unwrap());
    converse(sub_in, sub_out, int_in, int_out);
    let relayed = relay.join().unwrap();
    assert!(!relayed.timed_out);
}

fn round_trips(c: &mut Criterion) {
    let mut group = c.benchmark_group("interaction, 1000 round trips");
    group.bench_function("direct pipes", |b| b.iter(direct));
    group.bench_function("through the relay", |b| b.iter(relayed));
    group.finish();
}

criterion_group!(benches, round_trips);
criterion_main!(benches);

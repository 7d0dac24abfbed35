//! What the engine's relay between an interactive submission and its interactor costs: 1,000
//! round trips of an 8-byte message and an 8-byte reply, over direct pipes and through the
//! relay, side by side. (Processes would add their own scheduling; threads isolate the relay.)
//!
//! `cargo bench -p judge-benches --bench relay`.

use std::io::{pipe, PipeReader, PipeWriter, Read, Write};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use judge_engine::judge::relay::Relay;

const ROUND_TRIPS: usize = 1000;

/// The submission asks, the interactor answers, `ROUND_TRIPS` times.
fn converse(
    mut sub_in: PipeReader,
    mut sub_out: PipeWriter,
    int_in: PipeReader,
    int_out: PipeWriter,
) {
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
    let (int_in, sub_out) = pipe().unwrap();
    let (sub_in, int_out) = pipe().unwrap();
    converse(sub_in, sub_out, int_in, int_out);
}

fn relayed() {
    let (sub_in, engine_to_sub) = pipe().unwrap();
    let (engine_from_sub, sub_out) = pipe().unwrap();
    let (int_in, engine_to_int) = pipe().unwrap();
    let (engine_from_int, int_out) = pipe().unwrap();
    let relay = Relay::new(
        OwnedFd::from(engine_from_sub),
        OwnedFd::from(engine_to_sub),
        OwnedFd::from(engine_from_int),
        OwnedFd::from(engine_to_int),
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

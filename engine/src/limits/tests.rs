//! Tests of the bounds and their messages, on ordinary, huge and odd values, and of the
//! sandbox limits each kind of step gets, down to values that no check would let through.

use super::*;

fn flag() -> Source {
    Source::Flag("--time-limit")
}

fn yaml(key: &'static str) -> Source {
    Source::File {
        path: "/p/problem.yaml".into(),
        key: Some(key),
    }
}

fn host_mib() -> u64 {
    host_memory() / MIB
}

#[test]
fn mem_total_is_read_in_kib() {
    let text = "MemTotal:       24683652 kB\nMemFree:        24460260 kB\n";
    assert_eq!(mem_total(text), Some(24683652 * 1024));
    assert_eq!(mem_total("MemFree: 5 kB\n"), None);
    assert_eq!(mem_total("MemTotal: lots kB\n"), None);
    assert_eq!(mem_total("MemTotal: 5 MB\n"), None);
    assert_eq!(mem_total("MemTotal: 0 kB\n"), None);
    assert_eq!(mem_total(&format!("MemTotal: {} kB\n", u64::MAX)), None);
}

#[test]
fn host_memory_is_this_hosts() {
    let expected = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| mem_total(&t))
        .unwrap_or(FALLBACK_HOST_MEMORY);
    assert_eq!(host_memory(), expected);
    assert!(host_memory() > 0);
}

#[test]
fn sources_are_named_as_their_users_know_them() {
    assert_eq!(flag().to_string(), "--time-limit");
    assert_eq!(
        yaml("limits.time_limit").to_string(),
        "/p/problem.yaml: limits.time_limit"
    );
    let file = Source::File {
        path: "/p/.timelimit".into(),
        key: None,
    };
    assert_eq!(file.to_string(), "/p/.timelimit");
    let profile = Source::Profile {
        origin: "profiles/java.toml".into(),
        key: "run.time_factor",
    };
    assert_eq!(
        profile.to_string(),
        "profile profiles/java.toml: run.time_factor"
    );
    assert_eq!(
        Source::Options("time_limit").to_string(),
        "Options::time_limit"
    );
}

#[test]
fn numbers_and_sizes_read_well_in_messages() {
    assert_eq!(number(100000.0), "100000");
    assert_eq!(number(1.5), "1.5");
    assert_eq!(number(0.0), "0");
    assert_eq!(number(1e300), "1e300");
    assert_eq!(number(1e-10), "1e-10");
    assert_eq!(number(f64::NAN), "NaN");
    assert_eq!(number(f64::INFINITY), "inf");
    assert_eq!(size_text(0.0), "0 bytes");
    assert_eq!(size_text(0.5), "0.5 bytes");
    assert_eq!(size_text(1536.0), "1.5 KiB");
    assert_eq!(size_text((256u64 << 20) as f64), "256 MiB");
    assert_eq!(size_text((3u64 << 29) as f64), "1.5 GiB");
    assert_eq!(size_text((5u64 << 40) as f64), "5 TiB");
    assert_eq!(size_text(f64::NAN), "NaN bytes");
}

#[test]
fn times_within_an_hour_are_accepted() {
    assert_eq!(time_secs(flag(), 1.0), Ok(Duration::from_secs(1)));
    assert_eq!(time_secs(flag(), 1.5), Ok(Duration::from_millis(1500)));
    assert_eq!(time_secs(flag(), 3600.0), Ok(MAX_TIME));
    assert_eq!(time_secs(flag(), 1e-9), Ok(Duration::from_nanos(1)));
    assert_eq!(time(flag(), MAX_TIME), Ok(MAX_TIME));
    assert_eq!(
        time(flag(), Duration::from_nanos(1)),
        Ok(Duration::from_nanos(1))
    );
}

#[test]
fn times_out_of_bounds_are_refused_with_the_flags_sentence() {
    for secs in [
        0.0,
        -0.0,
        -1.0,
        3600.001,
        100000.0,
        1e300,
        f64::MAX,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        // Positive, but less than a nanosecond: no time at all once a Duration.
        1e-10,
    ] {
        let err = time_secs(flag(), secs).unwrap_err();
        assert!(matches!(err, LimitError::Time { .. }), "{secs}: {err:?}");
        assert!(
            err.to_string()
                .ends_with("a time limit must be above 0 and at most an hour"),
            "{err}"
        );
    }
    for d in [
        Duration::ZERO,
        MAX_TIME + Duration::from_nanos(1),
        Duration::MAX,
    ] {
        assert!(time(flag(), d).is_err(), "{d:?}");
    }
}

#[test]
fn a_time_message_names_the_source_and_the_value() {
    let file = Source::File {
        path: "/p/.timelimit".into(),
        key: None,
    };
    assert_eq!(
        time_secs(file, 100000.0).unwrap_err().to_string(),
        "/p/.timelimit: 100000 s: a time limit must be above 0 and at most an hour"
    );
    assert_eq!(
        time_secs(flag(), 1e300).unwrap_err().to_string(),
        "--time-limit: 1e300 s: a time limit must be above 0 and at most an hour"
    );
    assert_eq!(
        time_secs(yaml("limits.time_limit"), f64::NAN)
            .unwrap_err()
            .to_string(),
        "/p/problem.yaml: limits.time_limit: NaN s: a time limit must be above 0 and at most \
         an hour"
    );
    assert_eq!(
        time(Source::Options("time_limit"), Duration::MAX)
            .unwrap_err()
            .at(),
        &Source::Options("time_limit")
    );
}

#[test]
fn sizes_up_to_the_hosts_memory_are_accepted() {
    let host = host_memory();
    assert_eq!(size_mib(yaml("limits.memory"), 256), Ok(256 << 20));
    assert_eq!(
        size_mib(yaml("limits.memory"), host_mib()),
        Ok(host_mib() * MIB)
    );
    assert_eq!(size_kib(yaml("limits.code"), 128), Ok(128 << 10));
    assert_eq!(size(Source::Options("memory_limit"), 1), Ok(1));
    assert_eq!(size(Source::Options("memory_limit"), host), Ok(host));
    assert_eq!(size_bytes(flag(), 1.5 * (1u64 << 30) as f64), Ok(3 << 29));
    assert_eq!(size_bytes(flag(), host as f64), Ok(host));
    // A fraction of a byte is dropped, as the flag always did.
    assert_eq!(size_bytes(flag(), 1.5), Ok(1));
}

#[test]
fn sizes_out_of_bounds_are_refused() {
    let host = host_memory();
    let at = || yaml("limits.memory");
    for mib in [
        0,
        host_mib() + 1,
        99999999,
        u64::MAX >> 20,
        (u64::MAX >> 20) + 1,
        u64::MAX,
    ] {
        let err = size_mib(at(), mib).unwrap_err();
        assert!(matches!(err, LimitError::Size { .. }), "{mib}: {err:?}");
    }
    for kib in [0, u64::MAX] {
        assert!(size_kib(yaml("limits.code"), kib).is_err(), "{kib}");
    }
    for bytes in [0, host + 1, u64::MAX] {
        assert!(
            size(Source::Options("output_limit"), bytes).is_err(),
            "{bytes}"
        );
    }
    for bytes in [
        0.0,
        0.5,
        -1.0,
        host as f64 + 1024.0,
        1e300,
        f64::MAX,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        assert!(size_bytes(flag(), bytes).is_err(), "{bytes}");
    }
}

#[test]
fn a_size_message_names_the_source_and_the_hosts_memory() {
    let host = size_text(host_memory() as f64);
    assert_eq!(
        size_mib(yaml("limits.memory"), 99999999)
            .unwrap_err()
            .to_string(),
        format!(
            "/p/problem.yaml: limits.memory: 99999999 MiB: a size must be above 0 and at most \
             the host's memory ({host})"
        )
    );
    assert_eq!(
        size_mib(yaml("limits.memory"), u64::MAX)
            .unwrap_err()
            .to_string(),
        format!(
            "/p/problem.yaml: limits.memory: {} MiB: a size must be above 0 and at most the \
             host's memory ({host})",
            u64::MAX
        )
    );
    assert_eq!(
        size_bytes(Source::Flag("--memory-limit"), 1e300)
            .unwrap_err()
            .to_string(),
        format!(
            "--memory-limit: {} TiB: a size must be above 0 and at most the host's memory \
             ({host})",
            number(1e300 / (1u64 << 40) as f64)
        )
    );
}

#[test]
fn headroom_may_be_zero_but_not_more_than_the_host() {
    let at = || Source::Profile {
        origin: "p.toml".into(),
        key: "run.heap_headroom_mib",
    };
    assert_eq!(headroom_mib(at(), 0), Ok(0));
    assert_eq!(headroom_mib(at(), 64), Ok(64 << 20));
    for mib in [host_mib() + 1, u64::MAX] {
        let err = headroom_mib(at(), mib).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "profile p.toml: run.heap_headroom_mib: {mib} MiB: a heap headroom must be at \
                 most the host's memory"
            )),
            "{err}"
        );
    }
}

#[test]
fn process_counts_between_1_and_the_maximum() {
    let at = || Source::Profile {
        origin: "p.toml".into(),
        key: "run.processes",
    };
    assert_eq!(processes(at(), 1), Ok(1));
    assert_eq!(processes(at(), u64::from(MAX_PROCESSES)), Ok(MAX_PROCESSES));
    for n in [
        0,
        u64::from(MAX_PROCESSES) + 1,
        u64::from(u32::MAX),
        u64::MAX,
    ] {
        assert!(processes(at(), n).is_err(), "{n}");
    }
    assert_eq!(
        processes(at(), 0).unwrap_err().to_string(),
        "profile p.toml: run.processes: 0: a process count must be at least 1 and at most 32768"
    );
}

#[test]
fn factors_finite_positive_and_at_most_the_maximum() {
    let at = || Source::Profile {
        origin: "p.toml".into(),
        key: "run.time_factor",
    };
    assert_eq!(factor(at(), 1.0), Ok(1.0));
    assert_eq!(factor(at(), 0.5), Ok(0.5));
    assert_eq!(factor(at(), MAX_FACTOR), Ok(MAX_FACTOR));
    for x in [
        0.0,
        -1.0,
        100.001,
        1e300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        assert!(factor(at(), x).is_err(), "{x}");
    }
    assert_eq!(
        factor(at(), 1e300).unwrap_err().to_string(),
        "profile p.toml: run.time_factor: 1e300: a factor must be above 0 and at most 100"
    );
}

fn run(time_factor: f64, address_space_limit: bool) -> RunLimits {
    RunLimits {
        processes: 4,
        address_space_limit,
        time_factor,
        network: crate::sandbox::Network::None,
    }
}

fn test(time: Duration) -> TestLimits {
    TestLimits {
        time,
        memory: 256 << 20,
        output: 64 << 20,
    }
}

#[test]
fn a_test_run_gets_the_factor_and_half_again_of_wall() {
    let l = test_run(&test(Duration::from_secs(2)), &run(1.5, true), false, None);
    assert_eq!(l.cpu_time, Some(Duration::from_secs(3)));
    assert_eq!(l.wall_time, Duration::from_millis(4500));
    assert_eq!(l.memory, Some(256 << 20));
    assert_eq!(l.stack, Some(256 << 20));
    assert_eq!(l.address_space, Some(256 << 20));
    assert_eq!(l.output, Some(64 << 20));
    assert_eq!(l.processes, Some(4));
    assert_eq!(l.open_files, Limits::default().open_files);
    // A cgroup limits memory: no address-space limit on top.
    let l = test_run(&test(Duration::from_secs(2)), &run(1.0, true), true, None);
    assert_eq!(l.address_space, None);
    let l = test_run(&test(Duration::from_secs(2)), &run(1.0, false), false, None);
    assert_eq!(l.address_space, None);
}

#[test]
fn a_test_wall_limit_is_at_least_a_second_over_and_a_flag_overrides_it() {
    assert_eq!(
        test_wall(Duration::from_millis(500)),
        Duration::from_millis(1500)
    );
    assert_eq!(test_wall(Duration::from_secs(2)), Duration::from_secs(3));
    assert_eq!(
        test_wall(Duration::from_secs(5)),
        Duration::from_millis(7500)
    );
    assert_eq!(test_wall(Duration::MAX), Duration::MAX);
    let l = test_run(
        &test(Duration::from_secs(5)),
        &run(1.0, true),
        true,
        Some(Duration::from_secs(6)),
    );
    assert_eq!(l.wall_time, Duration::from_secs(6));
}

#[test]
fn an_interactive_pair_shares_one_wall_limit() {
    let limits = test(Duration::from_secs(2));
    let l = interactive_run(&limits, &run(1.5, true), false, None);
    assert_eq!(l.cpu_time, Some(Duration::from_secs(3)));
    assert_eq!(l.wall_time, Duration::from_secs(6));
    let l = interactive_run(
        &limits,
        &run(1.5, true),
        false,
        Some(Duration::from_secs(9)),
    );
    assert_eq!(l.wall_time, Duration::from_secs(9));
    let own = validator(&PackageLimits::default());
    let i = interactor(&own, l.wall_time);
    assert_eq!(i.wall_time, Duration::from_secs(10));
    assert_eq!(
        Limits {
            wall_time: own.wall_time,
            ..i
        },
        own
    );
}

#[test]
fn compiles_and_validators_get_twice_plus_five_seconds_of_wall() {
    let c = CompileLimits {
        time: Duration::from_secs(30),
        memory_bytes: 1 << 30,
        processes: 8,
        output_bytes: 64 << 20,
        address_space_limit: true,
    };
    let l = compile(&c, false);
    assert_eq!(l.cpu_time, Some(Duration::from_secs(30)));
    assert_eq!(l.wall_time, Duration::from_secs(65));
    assert_eq!(l.memory, Some(1 << 30));
    assert_eq!(l.address_space, Some(1 << 30));
    assert_eq!(l.stack, None);
    assert_eq!(l.output, Some(64 << 20));
    assert_eq!(l.processes, Some(8));
    assert_eq!(compile(&c, true).address_space, None);

    let v = validator(&PackageLimits::default());
    assert_eq!(v.cpu_time, Some(VALIDATOR_TIME));
    assert_eq!(v.wall_time, Duration::from_secs(65));
    assert_eq!(v.memory, Some(2048 << 20));
    assert_eq!(v.output, Some(8 << 20));
    assert_eq!(v.processes, Some(16));
    let v = validator(&PackageLimits {
        validation_time: Some(Duration::from_secs(2)),
        validation_memory_mib: Some(512),
        validation_output_mib: Some(1),
        ..PackageLimits::default()
    });
    assert_eq!(v.cpu_time, Some(Duration::from_secs(2)));
    assert_eq!(v.wall_time, Duration::from_secs(9));
    assert_eq!(v.memory, Some(512 << 20));
    assert_eq!(v.output, Some(1 << 20));
}

#[test]
fn the_time_factor_product_is_clamped_to_an_hour() {
    assert_eq!(
        run_time(Duration::from_secs(2), 1.5),
        Duration::from_secs(3)
    );
    assert_eq!(run_time(MAX_TIME, 1.0), MAX_TIME);
    assert_eq!(run_time(MAX_TIME, MAX_FACTOR), MAX_TIME);
    assert_eq!(run_time(Duration::from_secs(1000), 10.0), MAX_TIME);
    // Values no check lets through still give a time, never a panic.
    assert_eq!(run_time(Duration::MAX, 1e300), MAX_TIME);
    assert_eq!(run_time(Duration::MAX, f64::INFINITY), MAX_TIME);
    assert_eq!(run_time(Duration::from_secs(2), f64::NAN), MAX_TIME);
    assert_eq!(
        run_time(Duration::from_secs(2), -1.0),
        Duration::from_secs(2)
    );
    assert_eq!(run_time(Duration::ZERO, 2.0), Duration::ZERO);
}

#[test]
fn no_derivation_panics_on_values_no_check_lets_through() {
    let huge = TestLimits {
        time: Duration::MAX,
        memory: u64::MAX,
        output: u64::MAX,
    };
    let l = test_run(&huge, &run(f64::MAX, true), false, None);
    assert_eq!(l.cpu_time, Some(MAX_TIME));
    let l = interactive_run(&huge, &run(f64::NAN, true), false, None);
    assert_eq!(l.wall_time, MAX_TIME * 2);
    assert_eq!(interactor(&l, Duration::MAX).wall_time, Duration::MAX);
    let c = CompileLimits {
        time: Duration::MAX,
        memory_bytes: u64::MAX,
        processes: u32::MAX,
        output_bytes: u64::MAX,
        address_space_limit: true,
    };
    assert_eq!(compile(&c, false).wall_time, Duration::MAX);
    let package = PackageLimits {
        time_limit: Some(Duration::MAX),
        memory_mib: Some(u64::MAX),
        output_mib: Some(u64::MAX),
        validation_time: Some(Duration::MAX),
        validation_memory_mib: Some(u64::MAX),
        validation_output_mib: Some(u64::MAX),
        ..PackageLimits::default()
    };
    let v = validator(&package);
    assert_eq!(v.wall_time, Duration::MAX);
    assert_eq!(v.memory, Some(u64::MAX));
    let t = test_limits(&Options::default(), &package).unwrap();
    assert_eq!(t.memory, u64::MAX);
}

#[test]
fn test_limits_check_every_option() {
    let package = PackageLimits::default();
    let fine = Options {
        time_limit: Some(Duration::from_millis(500)),
        memory_limit: Some(64 << 20),
        output_limit: Some(1 << 20),
        wall_limit: Some(Duration::from_secs(2)),
        ..Options::default()
    };
    assert_eq!(
        test_limits(&fine, &package),
        Ok(TestLimits {
            time: Duration::from_millis(500),
            memory: 64 << 20,
            output: 1 << 20,
        })
    );
    let refused = |options: Options| test_limits(&options, &package).unwrap_err();
    let err = refused(Options {
        time_limit: Some(Duration::ZERO),
        ..fine.clone()
    });
    assert_eq!(err.at(), &Source::Options("time_limit"));
    let err = refused(Options {
        memory_limit: Some(u64::MAX),
        ..fine.clone()
    });
    assert_eq!(err.at(), &Source::Options("memory_limit"));
    let err = refused(Options {
        output_limit: Some(0),
        ..fine.clone()
    });
    assert_eq!(err.at(), &Source::Options("output_limit"));
    let err = refused(Options {
        wall_limit: Some(Duration::from_secs(7200)),
        ..fine
    });
    assert_eq!(err.at(), &Source::Options("wall_limit"));
}

#[test]
fn a_derived_time_limit_is_the_slowest_run_times_the_multiplier_rounded_up() {
    let ms = Duration::from_millis;
    // 0.3 s × 5 = 1.5 s, up to 2 s; × 2 = 0.6 s, at least one step of 1 s.
    assert_eq!(
        derived_time_limit(ms(300), 5.0, 1.0),
        Duration::from_secs(2)
    );
    assert_eq!(
        derived_time_limit(ms(300), 2.0, 1.0),
        Duration::from_secs(1)
    );
    // A finer resolution, and a product that lands on a step exactly.
    assert_eq!(derived_time_limit(ms(300), 2.0, 0.25), ms(750));
    assert_eq!(
        derived_time_limit(ms(400), 5.0, 1.0),
        Duration::from_secs(2)
    );
    // Nothing ran at all: one step.
    assert_eq!(
        derived_time_limit(Duration::ZERO, 5.0, 1.0),
        Duration::from_secs(1)
    );
    // Bounded above, and odd resolutions count as a second.
    assert_eq!(
        derived_time_limit(Duration::from_secs(3000), 5.0, 1.0),
        MAX_TIME
    );
    assert_eq!(
        derived_time_limit(ms(300), 5.0, f64::NAN),
        Duration::from_secs(2)
    );
    assert_eq!(
        derived_time_limit(ms(300), 5.0, 0.0),
        Duration::from_secs(2)
    );
}

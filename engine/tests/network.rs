//! The `network` setting: `none` (the default) and `loopback`, in a fresh sandbox and in a
//! reused environment. A program may serve and connect to itself only with `loopback`; in
//! both modes the host's 127.0.0.1 listener, outside addresses and other socket families stay
//! out of reach.

mod common;

use std::net::TcpListener;

use common::{command, compile, layout, root, run};
use judge_engine::sandbox::{Command, Network, Stdio};

/// A listener on the host's 127.0.0.1 that must never see a connection.
fn host_listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    (listener, port)
}

fn assert_untouched(listener: &TcpListener) {
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the host's listener was reached: {other:?}"),
    }
}

/// The lines `loopback.c` prints, checked for `network`.
fn check(out: &str, network: Network) {
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    match network {
        Network::Loopback => assert_eq!(lines[0], "self ok", "{out}"),
        Network::None => assert_eq!(lines[0], "self socket EAFNOSUPPORT", "{out}"),
    }
    // Nothing listens on that port in the run's own namespace; without lo not even that.
    let host = lines[1].strip_prefix("host ").unwrap();
    assert_ne!(host, "connected", "{out}");
    let expected_host = match network {
        Network::Loopback => "ECONNREFUSED",
        Network::None => "EAFNOSUPPORT",
    };
    assert_eq!(host, expected_host, "{out}");
    let outside = lines[2].strip_prefix("outside ").unwrap();
    assert!(!outside.contains("connected"), "{out}");
    let expected_outside = match network {
        Network::Loopback => "ENETUNREACH ENETUNREACH",
        Network::None => "EAFNOSUPPORT EAFNOSUPPORT",
    };
    assert_eq!(outside, expected_outside, "{out}");
    assert_eq!(lines[3], "netlink EAFNOSUPPORT", "{out}");
    assert_eq!(lines[4], "packet EAFNOSUPPORT", "{out}");
}

#[test]
fn a_fresh_sandbox_has_no_network_by_default_and_only_its_own_loopback_when_asked() {
    if !root() {
        return;
    }
    let program = compile("loopback.c", false);
    let (listener, port) = host_listener();
    for network in [Network::None, Network::Loopback] {
        let mut cmd = command(&program);
        cmd.arg(&port);
        cmd.limits_mut().network = network;
        let out = run(cmd);
        assert!(out.result.success(), "{network:?}: {:?}", out.result);
        check(&out.stdout, network);
    }
    assert_untouched(&listener);
}

#[test]
fn a_reused_environment_keeps_its_network_setting_and_runs_stay_apart() {
    if !root() {
        return;
    }
    let program = compile("loopback.c", false);
    let (listener, port) = host_listener();
    let pool = common::pool(1, true);
    for network in [Network::Loopback, Network::None, Network::Loopback] {
        // Three runs in one environment: each finds the loopback as fresh as the first.
        for _ in 0..3 {
            let (program, port) = (program.clone(), port.clone());
            let (result, text) = pool
                .submit(move |worker| {
                    let mut file = tempfile::tempfile().unwrap();
                    let mut cmd = Command::new(&program);
                    cmd.arg(&port)
                        .current_dir("/work")
                        .stdout(Stdio::from(file.try_clone().unwrap()));
                    cmd.limits_mut().network = network;
                    let mut env = layout();
                    env.network = network;
                    let result = worker.run(env, cmd).unwrap();
                    let mut text = String::new();
                    std::io::Seek::rewind(&mut file).unwrap();
                    std::io::Read::read_to_string(&mut file, &mut text).unwrap();
                    (result, text)
                })
                .wait();
            assert!(result.success(), "{network:?}: {result:?}");
            check(&text, network);
        }
    }
    assert_untouched(&listener);
    // One environment per setting, each reused.
    let stats = pool.stats();
    assert_eq!(stats.envs_built, 2, "{stats:?}");
}

//! A real `nats-server` (Debian's) on 127.0.0.1 with JetStream and a temporary store, and
//! `judge worker` processes around it, for the tests of distributed judging.

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether nats-server is installed; when `CI=true` its absence fails the test.
pub fn available() -> bool {
    let found = Command::new("nats-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "nats-server is not installed and CI=true: .ci/run installs it (apt nats-server)"
            );
        }
        eprintln!("skipped: nats-server is not installed (apt install nats-server)");
    }
    found
}

pub struct NatsServer {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl NatsServer {
    pub fn start() -> NatsServer {
        let mut server = NatsServer {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
        };
        server.launch();
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .unwrap();
        let child = Command::new("nats-server")
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.dir.path().join("store"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not listen: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stop the server (SIGTERM, its JetStream store kept on disk).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            send(child.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(20);
            while child.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Stop, then start again on the same port with the same store.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A compile cache shared by the tests of this binary (keyed by content, so sharing is safe),
/// so that a submission is compiled once across them.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("nats-judge-cache")
}

/// A `judge worker` process, its stdout and stderr in files.
pub struct Worker {
    pub name: String,
    pub child: Child,
    pub log: PathBuf,
}

impl Worker {
    /// Start a worker and wait until it takes jobs.
    pub fn start(server: &NatsServer, name: &str, jobs: u32, ack_wait: &str) -> Worker {
        let log = server.dir.path().join(format!("{name}.log"));
        let out = server.dir.path().join(format!("{name}.out"));
        let child = Command::new(env!("CARGO_BIN_EXE_judge"))
            .args(["worker", "--nats", &server.url(), "--name", name, "--jobs"])
            .arg(jobs.to_string())
            .args(["--ack-wait", ack_wait, "--cache-dir"])
            .arg(cache_dir())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start judge worker");
        let mut worker = Worker {
            name: name.to_owned(),
            child,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            if text.contains(&format!("judge worker {name}: ready")) {
                break;
            }
            if let Some(status) = worker.child.try_wait().unwrap() {
                panic!("worker {name} exited ({status}): {}", worker.log());
            }
            assert!(
                Instant::now() < deadline,
                "worker {name} not ready: {}",
                worker.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        worker
    }

    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        text
    }

    /// The job this worker's log shows it judging without a result yet, if any.
    pub fn holding(&self) -> Option<String> {
        let log = self.log();
        let mut held: Vec<String> = Vec::new();
        for line in log.lines() {
            let job = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("job="))
                .map(str::to_owned);
            let Some(job) = job else { continue };
            if line.contains(": judging job=") {
                held.push(job);
            } else {
                // Stored, dropped as late, handed back.
                held.retain(|j| *j != job);
            }
        }
        held.pop()
    }

    /// Wait until the worker holds a job (judging it); that job's id.
    pub fn wait_holding(&self, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Some(job) = self.holding() {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "{} took no job: {}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Send `signal` (a name: TERM, STOP, CONT).
    pub fn signal(&self, signal: &str) {
        send(self.child.id(), signal);
    }

    /// SIGKILL, and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Wait for the worker to exit; its exit code.
    pub fn wait(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit: {}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // A stopped worker must be woken to die.
        try_send(self.child.id(), "CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Send `signal` to process `pid` with kill(1).
pub fn send(pid: u32, signal: &str) {
    assert!(try_send(pid, signal), "kill -s {signal} {pid}");
}

fn try_send(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A `judge batch --nats` process, stdout and stderr piped.
pub fn batch(server: &NatsServer, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_judge"))
        .args(["batch", "--nats", &server.url()])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start judge batch")
}

/// Ask the server, as any NATS client would (async-nats): run `f` with a JetStream context.
pub fn with_jetstream<T, F: std::future::Future<Output = T>>(
    server: &NatsServer,
    f: impl FnOnce(async_nats::jetstream::Context) -> F,
) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = async_nats::connect(server.url())
            .await
            .expect("connect to NATS");
        f(async_nats::jetstream::new(client)).await
    })
}

/// The result stored for job `id` (its JSON), if any.
pub fn result_of(server: &NatsServer, id: &str) -> Option<serde_json::Value> {
    with_jetstream(server, |js| async move {
        let kv = js.get_key_value("JUDGE_RESULTS").await.ok()?;
        let bytes = kv.get(id).await.ok()??;
        Some(serde_json::from_slice(&bytes).expect("a result is JSON"))
    })
}

/// Wait (at most `within`) for job `id`'s result.
pub fn wait_result(server: &NatsServer, id: &str, within: Duration) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        if let Some(result) = result_of(server, id) {
            return result;
        }
        assert!(Instant::now() < deadline, "no result for {id}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

//! A real `judge serve` on 127.0.0.1 for the server's tests: started on a free port, called
//! with a real HTTP client, stopped with SIGTERM (or killed when a test fails).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;

pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Where its log (stderr) goes.
    pub log: PathBuf,
    _dir: tempfile::TempDir,
    pub client: Client,
}

impl Server {
    /// `judge serve --listen 127.0.0.1:0` with `args`, once it listens.
    pub fn start(args: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("serve.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_judge"))
            .args(["serve", "--listen", "127.0.0.1:0", "--no-cache"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start judge serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let Some(base) = line.trim().strip_prefix("judge serve: listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "judge serve did not start: {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Server {
            child: Some(child),
            base: base.to_owned(),
            log,
            _dir: dir,
            client: Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.url(path))
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.client.delete(self.url(path))
    }

    /// `POST /run` with `body`; the status and the JSON answer.
    pub fn run(&self, body: &Value) -> (u16, Value) {
        let response = self.post("/run").json(body).send().expect("POST /run");
        answer(response)
    }

    /// `POST /run` that must answer 200; the results.
    pub fn results(&self, body: &Value) -> Vec<Value> {
        let (status, value) = self.run(body);
        assert_eq!(status, 200, "{value}");
        value.as_array().expect("a list of results").clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Send SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// SIGKILL: a crash, nothing finished or cleaned up.
    pub fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// SIGTERM and wait (at most a minute) for the exit.
    pub fn stop(mut self) -> ExitStatus {
        self.terminate();
        self.wait(Duration::from_secs(60))
    }

    /// Wait for the exit.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let child = self.child.as_mut().unwrap();
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status;
            }
            assert!(start.elapsed() < limit, "judge serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A metric's value in `GET /metrics` (the sample whose name and labels are `sample`).
    pub fn metric(&self, sample: &str) -> f64 {
        let text = self.get("/metrics").send().unwrap().text().unwrap();
        metric(&text, sample)
    }
}

/// The value of the sample `sample` (name and labels, as written) in Prometheus text.
pub fn metric(text: &str, sample: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {sample} in:\n{text}"))
}

/// A response's status and JSON body (`null` when it has none).
pub fn answer(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, value)
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if std::thread::panicking() {
                eprintln!("judge serve's log:\n{}", self.log());
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

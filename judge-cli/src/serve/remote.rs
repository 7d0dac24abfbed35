//! `judge serve --nats URL`: the judging API's submissions judged by `judge worker`s through
//! NATS JetStream (the protocol of `crate::nats`) instead of on this server's pool.
//!
//! A submission's problem is packed (`crate::nats::package::pack`, the same bytes for the same
//! files) and uploaded once; its job asks for events, which the server relays to the
//! submission's event stream as they come; its result (the `judge run --json` document the
//! worker made) ends it. Cancelling a submission being judged elsewhere ends it here at once;
//! the worker finishes the job and its result is ignored.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;

use super::judging::{lock, State, Submission};
use crate::nats::{self, package, Job, JobFile, JobLimits, JobResult, Store};
use crate::Failure;

/// Submissions waiting on workers at once (each holds one of the server's judging threads).
pub const IN_FLIGHT: usize = 64;
/// How often a waiting submission looks at its cancel flag and asks for its result directly.
const POLL: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub struct Remote {
    runtime: tokio::runtime::Runtime,
    client: async_nats::Client,
    store: StoreHandle,
    /// Problem id → the package's hash, once uploaded.
    packages: Mutex<HashMap<String, String>>,
    /// This server's job ids are `<prefix>.<n>`.
    prefix: String,
    limits: JobLimits,
}

/// [`Store`] has no `Debug`; this wrapper gives it one.
struct StoreHandle(Store);

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Remote {
    /// Connect (on a runtime of its own, which the judging threads block on).
    pub fn connect(url: &str, options: &judge_engine::judge::Options) -> Result<Remote, Failure> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("judge-nats")
            .enable_all()
            .build()?;
        let (client, store) = runtime.block_on(async {
            let client = nats::connect(url, "judge serve").await?;
            let store = Store::open(client.clone()).await?;
            Ok::<_, Failure>((client, store))
        })?;
        Ok(Remote {
            runtime,
            client,
            store: StoreHandle(store),
            packages: Mutex::new(HashMap::new()),
            prefix: nats::batch_id(),
            limits: JobLimits {
                time_limit_ms: options.time_limit.map(|d| d.as_millis() as u64),
                memory_limit: options.memory_limit,
                output_limit: options.output_limit,
                wall_limit_ms: options.wall_limit.map(|d| d.as_millis() as u64),
                network: options.network.map(|n| n.name().to_owned()),
            },
        })
    }

    /// The package of problem `id` (unpacked at `dir`) in the object store; its hash.
    fn package(&self, id: &str, dir: &Path) -> Result<String, String> {
        if let Some(hash) = lock(&self.packages).get(id) {
            return Ok(hash.clone());
        }
        let (bytes, hash) = package::pack(dir).map_err(|e| match e {
            Failure::Usage(m) | Failure::Engine(m) => m,
        })?;
        self.runtime
            .block_on(package::upload(&self.store.0.packages, &bytes, &hash))
            .map_err(|e| match e {
                Failure::Usage(m) | Failure::Engine(m) => m,
            })?;
        lock(&self.packages).insert(id.to_owned(), hash.clone());
        Ok(hash)
    }

    /// Judge `submission` on a worker: its final state, its label for the metrics and the CPU
    /// time its tests used.
    pub fn judge(
        &self,
        submission: &Submission,
        problem_dir: &Path,
        language: &str,
        files: Vec<JobFile>,
        single: bool,
    ) -> (State, String, Duration) {
        let failed = |e: String| (State::Failed(e), "failed".to_owned(), Duration::ZERO);
        let hash = match self.package(&submission.problem, problem_dir) {
            Ok(hash) => hash,
            Err(e) => return failed(e),
        };
        let id = format!("{}.{}", self.prefix, submission.id.replace(['.', '-'], "_"));
        let job = Job {
            id: id.clone(),
            package: hash,
            language: language.to_owned(),
            submission: submission.id.clone(),
            files,
            single,
            limits: self.limits.clone(),
            checker: None,
            run_all: false,
            events: true,
        };
        let payload = match serde_json::to_vec(&job) {
            Ok(payload) => payload,
            Err(e) => return failed(e.to_string()),
        };
        let outcome = self.runtime.block_on(self.run(submission, &id, payload));
        match outcome {
            Err(e) => failed(e),
            Ok(None) => (State::Cancelled, "cancelled".to_owned(), Duration::ZERO),
            Ok(Some(result)) => match result.report {
                Some(report) => {
                    let cpu_ms: u64 = report["tests"]
                        .as_array()
                        .map(|tests| tests.iter().filter_map(|t| t["time_ms"].as_u64()).sum())
                        .unwrap_or(0);
                    (
                        State::Done(report),
                        result.record.verdict.clone(),
                        Duration::from_millis(cpu_ms),
                    )
                }
                None => failed(format!(
                    "worker {}: {}",
                    result.worker, result.record.message
                )),
            },
        }
    }

    /// Enqueue the job and wait for its result, relaying its events; `None` when cancelled.
    async fn run(
        &self,
        submission: &Submission,
        id: &str,
        payload: Vec<u8>,
    ) -> Result<Option<JobResult>, String> {
        let store = &self.store.0;
        let mut events = self
            .client
            .subscribe(nats::events_subject(id))
            .await
            .map_err(|e| format!("NATS: {e}"))?;
        let mut watch = store
            .results
            .watch(id)
            .await
            .map_err(|e| format!("NATS: watching the result: {e}"))?;
        let message = async_nats::jetstream::message::PublishMessage::build()
            .payload(payload.into())
            .message_id(id);
        loop {
            let sent = store
                .js
                .send_publish(nats::JOBS_SUBJECT, message.clone())
                .await;
            let confirmed = match sent {
                Ok(ack) => ack.await.is_ok(),
                Err(_) => false,
            };
            if confirmed {
                break;
            }
            if submission.cancel.load(Ordering::SeqCst) {
                return Ok(None);
            }
            tokio::time::sleep(POLL).await;
        }
        tracing::info!(submission = %submission.id, job = %id, "enqueued on NATS");
        let mut poll = tokio::time::interval(POLL);
        loop {
            tokio::select! {
                biased;
                Some(event) = events.next() => relay(submission, &event.payload),
                entry = watch.next() => {
                    if let Some(Ok(entry)) = entry {
                        if let Ok(result) = serde_json::from_slice::<JobResult>(&entry.value) {
                            return Ok(Some(result));
                        }
                    }
                }
                _ = poll.tick() => {
                    if submission.cancel.load(Ordering::SeqCst) {
                        return Ok(None);
                    }
                    // A result the watch missed (the server restarted).
                    if let Ok(Some(value)) = store.results.get(id).await {
                        if let Ok(result) = serde_json::from_slice::<JobResult>(&value) {
                            // Events published before it are still relayed.
                            while let Ok(Some(event)) =
                                tokio::time::timeout(Duration::from_millis(10), events.next()).await
                            {
                                relay(submission, &event.payload);
                            }
                            return Ok(Some(result));
                        }
                    }
                }
            }
        }
    }
}

/// Pass a worker's event (`{"event": name, "data": ...}`) to the submission's stream.
fn relay(submission: &Submission, payload: &[u8]) {
    let Ok(event) = serde_json::from_slice::<Value>(payload) else {
        return;
    };
    let name = match event["event"].as_str() {
        Some("compiled") => "compiled",
        Some("test") => "test",
        _ => return,
    };
    submission.push(name, event["data"].clone());
}

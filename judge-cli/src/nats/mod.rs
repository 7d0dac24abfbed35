//! Distributed judging on NATS JetStream: `judge worker` (`worker`), `judge batch --nats`
//! (`batch`) and the problem packages they share (`package`). This module is the protocol:
//! every name, message format and retry rule both sides rely on is here, and the README's
//! "Judging on many machines" section says the same.
//!
//! # Names
//! - Stream [`JOBS_STREAM`] (`JUDGE_JOBS`): subject [`JOBS_SUBJECT`] (`judge.jobs`), work-queue
//!   retention, file storage, a [`DUPLICATE_WINDOW`] of deduplication on `Nats-Msg-Id` (the
//!   job id), so a publish retried after a lost acknowledgement enqueues once.
//! - Consumer [`CONSUMER`] (`judge-workers`): durable, pull, explicit acks, `AckWait`
//!   30 s (`judge worker --ack-wait` when the worker creates it),
//!   `MaxDeliver` = [`MAX_DELIVER`] ([`MAX_ATTEMPTS`] judgings, then deliveries that only store
//!   the IE). Every worker of every machine pulls from it.
//! - Key-value bucket [`RESULTS_BUCKET`] (`JUDGE_RESULTS`): key = job id, value = a
//!   [`JobResult`]. Written only with `create` (fails when the key exists), so the first
//!   result stored is the one result; kept [`RESULTS_TTL`].
//! - Key-value bucket [`ATTEMPTS_BUCKET`] (`JUDGE_ATTEMPTS`): key = `<job id>.<delivery>`,
//!   value = an [`Attempt`]: who took the job and when, and why it handed it back if it did.
//! - Object store [`PACKAGES_BUCKET`] (`JUDGE_PACKAGES`): a problem package as an archive
//!   (tar, tar.gz or zip), named by the SHA-256 of its bytes in lowercase hex.
//! - Subject `judge.events.<job id>` ([`events_subject`]): core NATS, best effort: for a job
//!   that asks (`events: true`), the worker publishes its `compiled` and `test` events as it
//!   judges (`judge serve --nats` does; a batch does not).
//!
//! # Messages (JSON)
//! - A job ([`Job`]): its id (`<batch id>.<n>`), the package's hash, the language profile's
//!   name, the report key of the submission, its files (base64) and the limits and checker the
//!   batch was given. Sources travel in the job; packages only by hash.
//! - A result ([`JobResult`]): the job id, the worker's name, the delivery it came from, and
//!   the record a local `judge batch` writes for the submission (`crate::report::Record`).
//!
//! # Retry policy
//! - A worker takes a job only when one of its `--jobs` slots is free (a pull of one message),
//!   records an [`Attempt`], and sends an in-progress ack (`+WPI`) every third of `AckWait`
//!   while judging. It stores the result (`create`), then acks. A job whose result is already
//!   stored (a duplicate, a stalled worker's job judged elsewhere) is acked without judging,
//!   and a result that loses the `create` race is dropped (logged).
//! - A worker that dies or stalls stops sending progress: after `AckWait` JetStream delivers
//!   the job again, to any worker. A job delivered more than [`MAX_ATTEMPTS`] times is not
//!   judged again: the worker holding it stores an IE result listing each attempt (worker,
//!   time, why it ended if known). `MaxDeliver` leaves three deliveries for that.
//! - A worker that finds, when its judging ends, that it did not run for longer than
//!   `AckWait` (stopped, frozen) neither stores nor acks: the job was delivered again and is
//!   judged afresh (the stalled judging's wall time is not to be trusted). A result that
//!   loses the `create` race is dropped as well.
//! - A package missing from the store is an IE naming it. An engine error is the
//!   submission's IE, as in a local batch. Failures to reach the server are retried (the
//!   client reconnects by itself); a worker on SIGTERM stops taking jobs and finishes those it
//!   holds; on a second SIGTERM or SIGINT it cancels them and hands them back (NAK).

pub mod batch;
pub mod package;
pub mod worker;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, consumer, kv, object_store, stream};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::report::Record;
use crate::Failure;

pub const JOBS_STREAM: &str = "JUDGE_JOBS";
pub const JOBS_SUBJECT: &str = "judge.jobs";
pub const CONSUMER: &str = "judge-workers";
pub const RESULTS_BUCKET: &str = "JUDGE_RESULTS";
pub const ATTEMPTS_BUCKET: &str = "JUDGE_ATTEMPTS";
pub const PACKAGES_BUCKET: &str = "JUDGE_PACKAGES";
/// How many deliveries of a job are judged before it ends as IE.
pub const MAX_ATTEMPTS: i64 = 3;
/// The consumer's `MaxDeliver`: the judgings, then three chances to store the IE.
pub const MAX_DELIVER: i64 = MAX_ATTEMPTS + 3;
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);
pub const RESULTS_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// The largest package a worker downloads (the unpacked size has its own bound).
pub const MAX_PACKAGE_BYTES: usize = 512 << 20;
/// How long a worker retries a failure to reach the server before handing a job back.
pub const RETRY_FOR: Duration = Duration::from_secs(60);

/// The subject of a job's events.
pub fn events_subject(job: &str) -> String {
    format!("judge.events.{job}")
}

/// One judge job: a submission, its package by hash, how to judge it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// `<batch id>.<n>`: the key of its result.
    pub id: String,
    /// The SHA-256 of the package archive in [`PACKAGES_BUCKET`].
    pub package: String,
    /// The language profile's name ("" for a directory: told from its files).
    pub language: String,
    /// What the report records as the submission (its key, see `crate::submissions`).
    pub submission: String,
    pub files: Vec<JobFile>,
    /// One file to judge (true), or a directory of them.
    pub single: bool,
    #[serde(default)]
    pub limits: JobLimits,
    #[serde(default)]
    pub checker: Option<String>,
    #[serde(default)]
    pub run_all: bool,
    /// Publish the job's events on [`events_subject`] while judging it.
    #[serde(default)]
    pub events: bool,
}

impl Job {
    /// The language profile the job names, if any (a directory's is told from its files).
    pub fn language(&self) -> Option<&str> {
        Some(self.language.as_str()).filter(|l| !l.is_empty())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobFile {
    /// A plain relative path.
    pub path: String,
    /// The bytes, base64 (standard alphabet, padded).
    pub data: String,
}

impl JobFile {
    pub fn new(path: &str, bytes: &[u8]) -> JobFile {
        JobFile {
            path: path.to_owned(),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.data)
            .map_err(|e| format!("job file {:?}: not base64: {e}", self.path))
    }
}

/// The limits a batch was given (each absent: the package's, else the default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobLimits {
    pub time_limit_ms: Option<u64>,
    pub memory_limit: Option<u64>,
    pub output_limit: Option<u64>,
    pub wall_limit_ms: Option<u64>,
    /// `none` or `loopback` (absent: the profile's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

/// A job's one result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobResult {
    pub id: String,
    pub worker: String,
    /// Which delivery of the job this came from (1 = the first).
    pub delivery: i64,
    pub record: Record,
    /// `judge run --json`'s document of the report (absent for an IE without a report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<serde_json::Value>,
}

/// A worker took a job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attempt {
    pub worker: String,
    pub delivery: i64,
    /// When it was taken, milliseconds since the Unix epoch.
    pub started_ms: u64,
    /// Why the worker handed it back, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_back: Option<String>,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The key of a job's attempt in [`ATTEMPTS_BUCKET`].
pub fn attempt_key(job: &str, delivery: i64) -> String {
    format!("{job}.{delivery}")
}

/// Whether `id` can be a job id: `<batch id>.<n>` of letters, digits, `-` and `_`.
pub fn is_job_id(id: &str) -> bool {
    let mut parts = id.split('.');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.len() <= 64
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// A fresh batch id: 16 hex digits from the kernel's random source.
pub fn batch_id() -> String {
    let mut bytes = [0u8; 8];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if random.is_err() {
        // The clock and the process id: unique enough for one host.
        let t = now_ms() ^ (u64::from(std::process::id()) << 40);
        bytes = t.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The connection: the client reconnects by itself, without end, after the first.
pub async fn connect(url: &str, name: &str) -> Result<async_nats::Client, Failure> {
    let options = async_nats::ConnectOptions::new()
        .name(name)
        .connection_timeout(Duration::from_secs(5))
        .max_reconnects(None)
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("connected to NATS"),
                async_nats::Event::Disconnected => tracing::warn!("lost the NATS connection"),
                other => tracing::debug!(event = %other, "NATS"),
            }
        });
    options
        .connect(url)
        .await
        .map_err(|e| Failure::Engine(format!("--nats {url}: cannot connect: {e}")))
}

/// The stream, buckets and object store, each created if missing.
pub struct Store {
    pub js: jetstream::Context,
    pub stream: stream::Stream,
    pub results: kv::Store,
    pub attempts: kv::Store,
    pub packages: object_store::ObjectStore,
}

fn setup_error(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::Engine(format!(
        "NATS: cannot open or create {what} (is JetStream enabled on the server, `-js`?): {e}"
    ))
}

impl Store {
    pub async fn open(client: async_nats::Client) -> Result<Store, Failure> {
        let js = jetstream::new(client);
        let stream = js
            .get_or_create_stream(stream::Config {
                name: JOBS_STREAM.to_owned(),
                subjects: vec![JOBS_SUBJECT.to_owned()],
                retention: stream::RetentionPolicy::WorkQueue,
                storage: stream::StorageType::File,
                duplicate_window: DUPLICATE_WINDOW,
                ..Default::default()
            })
            .await
            .map_err(|e| setup_error(&format!("the stream {JOBS_STREAM}"), e))?;
        let results = key_value(&js, RESULTS_BUCKET, RESULTS_TTL).await?;
        let attempts = key_value(&js, ATTEMPTS_BUCKET, RESULTS_TTL).await?;
        let packages = match js.get_object_store(PACKAGES_BUCKET).await {
            Ok(store) => store,
            Err(_) => js
                .create_object_store(object_store::Config {
                    bucket: PACKAGES_BUCKET.to_owned(),
                    description: Some("judge: problem packages by SHA-256".to_owned()),
                    storage: stream::StorageType::File,
                    ..Default::default()
                })
                .await
                .map_err(|e| setup_error(&format!("the object store {PACKAGES_BUCKET}"), e))?,
        };
        Ok(Store {
            js,
            stream,
            results,
            attempts,
            packages,
        })
    }

    /// The workers' consumer, created with `ack_wait` if missing; the `AckWait` it has.
    pub async fn consumer(
        &self,
        ack_wait: Duration,
    ) -> Result<(consumer::PullConsumer, Duration), Failure> {
        let mut consumer: consumer::PullConsumer = self
            .stream
            .get_or_create_consumer(
                CONSUMER,
                consumer::pull::Config {
                    durable_name: Some(CONSUMER.to_owned()),
                    description: Some("judge workers".to_owned()),
                    ack_policy: consumer::AckPolicy::Explicit,
                    ack_wait,
                    max_deliver: MAX_DELIVER,
                    max_ack_pending: 100_000,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| setup_error(&format!("the consumer {CONSUMER}"), e))?;
        let info = consumer
            .info()
            .await
            .map_err(|e| setup_error(&format!("the consumer {CONSUMER}"), e))?;
        let wait = info.config.ack_wait;
        Ok((consumer, wait))
    }
}

/// The key-value bucket `bucket`, its stream made if missing as the key-value specification
/// (NATS ADR-8) has it: one value per key, rollups allowed, deletes denied, direct gets,
/// new messages refused when full. (async-nats's own `create_key_value` first reads account
/// fields that a 2.9 server does not send, so the stream is made here.)
async fn key_value(
    js: &jetstream::Context,
    bucket: &str,
    ttl: Duration,
) -> Result<kv::Store, Failure> {
    js.get_or_create_stream(stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        max_age: ttl,
        storage: stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        num_replicas: 1,
        ..Default::default()
    })
    .await
    .map_err(|e| setup_error(&format!("the key-value bucket {bucket}"), e))?;
    js.get_key_value(bucket)
        .await
        .map_err(|e| setup_error(&format!("the key-value bucket {bucket}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_two_plain_parts() {
        assert!(is_job_id("0123abcd.17"));
        assert!(is_job_id("a-b_c.0"));
        for bad in [
            "", "a", "a.", ".1", "a.b.c", "a.*", "a.>", "a b.1", "../x.1",
        ] {
            assert!(!is_job_id(bad), "{bad}");
        }
    }

    #[test]
    fn batch_ids_are_fresh_hex() {
        let (a, b) = (batch_id(), batch_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
        assert!(is_job_id(&format!("{a}.0")));
    }

    #[test]
    fn a_job_round_trips_and_unknown_fields_are_refused() {
        let job = Job {
            id: "b.1".into(),
            package: "00".repeat(32),
            language: "c".into(),
            submission: "/s/a.c".into(),
            files: vec![JobFile::new("a.c", b"int main(){}\xff")],
            single: true,
            limits: JobLimits {
                time_limit_ms: Some(500),
                ..Default::default()
            },
            checker: None,
            run_all: false,
            events: false,
        };
        let text = serde_json::to_string(&job).unwrap();
        let back: Job = serde_json::from_str(&text).unwrap();
        assert_eq!(back, job);
        assert_eq!(back.files[0].bytes().unwrap(), b"int main(){}\xff");
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["extra"] = serde_json::json!(1);
        assert!(serde_json::from_value::<Job>(value).is_err());
    }
}

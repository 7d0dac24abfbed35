//! `judge batch --nats URL --problem DIR SUBMISSION...`: the local batch's plan, reports,
//! `--resume` and table, with the judging done by `judge worker`s.
//!
//! In order: plan as a local batch does (`crate::batch::Plan`); pack the problem and upload it
//! unless the store has it; watch the results of this batch (`<batch id>.>` in the results
//! bucket, history included); enqueue one job per submission (publishes confirmed by the
//! server, retried, deduplicated by job id); then record each result as it comes, once per
//! job (a result for a job already recorded is ignored), until every submission has its row.
//! A sweep every few seconds of quiet asks the bucket directly for the jobs still missing, so
//! a result the watch missed (a server restart) is still found.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use futures_util::StreamExt;

use super::{package, Job, JobFile, JobLimits, JobResult, Store, JOBS_SUBJECT};
use crate::args::BatchArgs;
use crate::batch::{Plan, Progress};
use crate::report::Record;
use crate::{Done, Failure};

/// Quiet this long: ask for the missing results directly.
const SWEEP_AFTER: Duration = Duration::from_secs(5);
/// No result for this long: say so on stderr (and again as long as it lasts).
const QUIET_NOTE: Duration = Duration::from_secs(60);
/// Jobs published before their acknowledgements are awaited.
const PUBLISH_WINDOW: usize = 256;

pub fn run(args: &BatchArgs, url: &str) -> Result<Done, Failure> {
    let plan = Plan::new(args)?;
    let limits = JobLimits {
        time_limit_ms: args.judge.time_limit.map(|d| d.as_millis() as u64),
        memory_limit: args.judge.memory_limit,
        output_limit: args.judge.output_limit,
        wall_limit_ms: args.judge.wall_limit.map(|d| d.as_millis() as u64),
        network: args.judge.network.map(|n| n.name().to_owned()),
    };
    let (bytes, hash) = package::pack(&args.problem)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let progress = Progress::new(plan.planned.len());
    let outcome = runtime.block_on(async {
        let client = super::connect(url, "judge batch").await?;
        let max_payload = client.server_info().max_payload;
        let store = Store::open(client).await?;
        if package::upload(&store.packages, &bytes, &hash).await? {
            eprintln!("judge: package {hash} uploaded ({} bytes)", bytes.len());
        }
        let batch = super::batch_id();
        // Job id → planned index, for the jobs still without a record.
        let mut waiting: HashMap<String, usize> = HashMap::new();
        let mut jobs = Vec::new();
        for (index, p) in plan.planned.iter().enumerate() {
            let id = format!("{batch}.{index}");
            let job = plan
                .profiles
                .for_source(&p.submission.path, None)
                .map_err(|e| (None, e.to_string()))
                .and_then(|profile| {
                    let language = profile.name().to_owned();
                    let source = std::fs::read(&p.submission.path).map_err(|e| {
                        (
                            Some(language.clone()),
                            format!("{}: {e}", p.submission.path.display()),
                        )
                    })?;
                    let name = p
                        .submission
                        .path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let job = Job {
                        id: id.clone(),
                        package: hash.clone(),
                        language: language.clone(),
                        submission: p.submission.key.clone(),
                        files: vec![JobFile::new(&name, &source)],
                        single: true,
                        limits: limits.clone(),
                        checker: args.judge.checker.clone(),
                        run_all: false,
                        events: false,
                    };
                    let payload = serde_json::to_vec(&job).unwrap_or_default();
                    if payload.len() > max_payload {
                        return Err((
                            Some(language),
                            format!(
                                "the job is {} bytes, more than the NATS server's max_payload \
                                 ({max_payload})",
                                payload.len()
                            ),
                        ));
                    }
                    Ok(payload)
                });
            match job {
                Ok(payload) => {
                    waiting.insert(id.clone(), index);
                    jobs.push((id, payload));
                }
                Err((language, message)) => {
                    let record = Record::failed(&p.submission.key, language.as_deref(), &message);
                    progress.submission_done();
                    if plan.record(index, record).is_break() {
                        return Ok(());
                    }
                }
            }
        }
        if jobs.is_empty() {
            return Ok(());
        }
        let filter = format!("{batch}.>");
        let mut watch = store
            .results
            .watch_with_history(&filter)
            .await
            .map_err(|e| Failure::Engine(format!("NATS: watching the results: {e}")))?;
        publish(&store, &jobs).await?;
        drop(jobs);
        eprintln!(
            "judge: batch {batch}: {} jobs enqueued on {url}",
            waiting.len()
        );
        let mut quiet = std::time::Instant::now();
        let mut noted = quiet;
        while !waiting.is_empty() {
            if quiet.elapsed() >= QUIET_NOTE && noted.elapsed() >= QUIET_NOTE {
                eprintln!(
                    "judge: batch {batch}: {} results still to come, none for {} s (is a \
                     `judge worker --nats {url}` running?)",
                    waiting.len(),
                    quiet.elapsed().as_secs()
                );
                noted = std::time::Instant::now();
            }
            let entry = tokio::time::timeout(SWEEP_AFTER, watch.next()).await;
            let found = match entry {
                Ok(Some(Ok(entry))) => vec![entry.value],
                Ok(Some(Err(e))) => {
                    tracing::debug!(error = %e, "the results watch failed; watching again");
                    watch = rewatch(&store, &filter).await;
                    Vec::new()
                }
                Ok(None) => {
                    watch = rewatch(&store, &filter).await;
                    Vec::new()
                }
                Err(_) => sweep(&store, &waiting).await,
            };
            for value in found {
                let Ok(result) = serde_json::from_slice::<JobResult>(&value) else {
                    continue;
                };
                let Some(index) = waiting.remove(&result.id) else {
                    continue;
                };
                quiet = std::time::Instant::now();
                let mut record = result.record;
                // The report's key is this batch's, whatever a worker says.
                record.submission = plan.planned[index].submission.key.clone();
                progress.tests_done(record.tests.len());
                progress.submission_done();
                if plan.record(index, record).is_break() {
                    return Ok(());
                }
            }
        }
        Ok::<(), Failure>(())
    });
    progress.finish();
    drop(runtime);
    outcome?;
    plan.finish(args.resume)
}

/// Enqueue every job, each confirmed by the server; a failed publish is sent again (the
/// server drops a second copy of a job it stored, by its id).
/// A job's id and its message.
type Encoded = (String, Vec<u8>);

async fn publish(store: &Store, jobs: &[Encoded]) -> Result<(), Failure> {
    for chunk in jobs.chunks(PUBLISH_WINDOW) {
        let mut pending: Vec<&Encoded> = chunk.iter().collect();
        let mut tries = 0;
        while !pending.is_empty() {
            tries += 1;
            let mut acks: Vec<(&Encoded, Option<PublishAckFuture>)> = Vec::new();
            for job in pending.drain(..) {
                let message = PublishMessage::build()
                    .payload(job.1.clone().into())
                    .message_id(&job.0);
                acks.push((job, store.js.send_publish(JOBS_SUBJECT, message).await.ok()));
            }
            for (job, ack) in acks {
                let confirmed = match ack {
                    Some(ack) => ack.await.is_ok(),
                    None => false,
                };
                if !confirmed {
                    pending.push(job);
                }
            }
            if !pending.is_empty() {
                if tries % 10 == 0 {
                    eprintln!(
                        "judge: {} jobs not yet accepted by the NATS server; retrying",
                        pending.len()
                    );
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    Ok(())
}

/// Watch the batch's results again (after the server went away), until that works.
async fn rewatch(store: &Store, filter: &str) -> async_nats::jetstream::kv::Watch {
    loop {
        match store.results.watch_with_history(filter).await {
            Ok(watch) => return watch,
            Err(e) => {
                tracing::debug!(error = %e, "watching the results failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// The stored results of (up to 1,000 of) the jobs still waiting.
async fn sweep(store: &Store, waiting: &HashMap<String, usize>) -> Vec<bytes::Bytes> {
    let mut found = Vec::new();
    for id in waiting.keys().take(1000) {
        if let Ok(Some(value)) = store.results.get(id).await {
            found.push(value);
        }
    }
    found
}

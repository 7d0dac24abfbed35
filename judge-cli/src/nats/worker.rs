//! `judge worker --nats URL`: take judge jobs from JetStream and judge them on this machine's
//! pool, exactly as `judge run` would; see the protocol in `super`.
//!
//! One job per pool worker at a time: a job is pulled only when a slot is free, so no job
//! waits here while its `AckWait` runs. Each job is compiled on a thread of its own and its
//! tests go to the pool, as in a local batch.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::kv;
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::Message;
use futures_util::StreamExt;
use judge_engine::hostdir::{beneath, ScratchDir};
use judge_engine::judge::{Event, JudgeError, Options};
use judge_engine::limits::{self, Source};
use judge_engine::pool::Pool;
use judge_engine::profile::ProfileSet;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::package::{Packages, Unavailable};
use super::{Attempt, Job, JobResult, Store, MAX_ATTEMPTS, RESULTS_BUCKET, RETRY_FOR};
use crate::args::{JudgeArgs, WorkerArgs};
use crate::report::{CompileJson, Record, TestJson};
use crate::{setup, Done, Failure};

/// What every job of this worker shares.
struct Worker {
    name: String,
    pool: Arc<Pool>,
    profiles: Arc<ProfileSet>,
    options: Options,
    packages: Packages,
    sources: ScratchDir,
    store: Store,
    client: async_nats::Client,
    ack_wait: Duration,
    /// Set on the second signal: running jobs stop before their next test and are handed back.
    abort: Arc<AtomicBool>,
}

pub fn run(args: &WorkerArgs) -> Result<Done, Failure> {
    crate::serve::logging(args.log_json);
    let judge = JudgeArgs {
        time_limit: None,
        memory_limit: None,
        output_limit: None,
        jobs: args.jobs,
        fresh: args.fresh,
        cpus: args.cpus.clone(),
        checker: None,
        profiles: args.profiles.clone(),
        wall_limit: None,
        cache_dir: args.cache_dir.clone(),
        no_cache: args.no_cache,
        network: None,
        host_ids: args.host_ids,
        inside_ids: args.inside_ids,
        sandbox: args.sandbox,
    };
    let profiles = Arc::new(setup::profiles(&judge)?);
    let options = setup::options(&judge, false)?;
    let sandbox = setup::sandbox(&judge)?;
    let pool = Arc::new(setup::pool(sandbox, &judge)?);
    let name = match &args.name {
        Some(name) => name.clone(),
        None => format!("{}-{}", hostname(), std::process::id()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(async {
        let client = super::connect(&args.nats, &format!("judge worker {name}")).await?;
        let store = Store::open(client.clone()).await?;
        let (consumer, ack_wait) = store.consumer(args.ack_wait).await?;
        let dirs = pool.sandbox().dirs();
        let worker = Arc::new(Worker {
            packages: Packages::new(store.packages.clone(), dirs.scratch_dir("packages")?),
            sources: dirs.scratch_dir("sources")?,
            name,
            pool: pool.clone(),
            profiles,
            options,
            store,
            client,
            ack_wait,
            abort: Arc::new(AtomicBool::new(false)),
        });
        tracing::info!(
            worker = %worker.name,
            jobs = worker.pool.workers(),
            ack_wait_s = ack_wait.as_secs_f64(),
            "worker started"
        );
        // Announced on stdout for scripts and tests, as `judge serve` announces its address.
        println!("judge worker {}: ready", worker.name);
        work(worker, consumer).await
    });
    drop(runtime);
    outcome.map(|()| Done::Judged)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "worker".to_owned())
}

/// Pull a job whenever a slot is free, until a signal; then finish (or, on a second signal,
/// hand back) what is held.
async fn work(
    worker: Arc<Worker>,
    consumer: async_nats::jetstream::consumer::PullConsumer,
) -> Result<(), Failure> {
    let slots = Arc::new(Semaphore::new(worker.pool.workers()));
    let stopping = Arc::new(tokio::sync::Notify::new());
    let stop = Arc::new(AtomicBool::new(false));
    {
        let (stop, stopping, abort) = (stop.clone(), stopping.clone(), worker.abort.clone());
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::spawn(async move {
            let mut signals = 0;
            loop {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
                signals += 1;
                if signals == 1 {
                    tracing::info!("stopping: no new jobs; finishing the jobs held");
                    stop.store(true, Ordering::SeqCst);
                    stopping.notify_waiters();
                } else {
                    tracing::info!("stopping now: handing the jobs held back");
                    abort.store(true, Ordering::SeqCst);
                }
            }
        });
    }
    let mut tasks = tokio::task::JoinSet::new();
    while !stop.load(Ordering::SeqCst) {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("never closed"),
            _ = stopping.notified() => break,
        };
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // A pull of one: it is over within `expires` whatever happens, so a signal waits at
        // most that long, and a job it brings after the signal is handed back at once.
        let batch = consumer
            .batch()
            .max_messages(1)
            .expires(Duration::from_secs(2))
            .messages()
            .await;
        let mut messages = match batch {
            Ok(messages) => messages,
            Err(e) => {
                tracing::warn!(error = %e, "pulling a job failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let mut permit = Some(permit);
        while let Some(message) = messages.next().await {
            match message {
                Ok(message) if stop.load(Ordering::SeqCst) => {
                    let _ = message.ack_with(AckKind::Nak(None)).await;
                }
                Ok(message) => {
                    let Some(permit) = permit.take() else {
                        // More than asked for: never, but never judged without a slot either.
                        let _ = message.ack_with(AckKind::Nak(None)).await;
                        continue;
                    };
                    let worker = worker.clone();
                    tasks.spawn(async move { handle(&worker, message, permit).await });
                }
                Err(e) => {
                    tracing::debug!(error = %e, "pull ended");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        // Reap the finished jobs (their results are logged by `handle`).
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    tracing::info!("worker stopped");
    Ok(())
}

/// How a job ended on this worker.
enum Outcome {
    Record(Box<Record>, Option<serde_json::Value>),
    /// Hand it back (NAK) with this reason.
    HandBack(String),
    /// This worker did not run for this long, past `AckWait`: the job is another worker's now.
    Lapsed(Duration),
}

/// One delivery of one job, from taking it to its ack. The slot (`permit`) is given back as
/// soon as the judging is over, so that the next job is pulled while this one's result is
/// stored and acked.
async fn handle(worker: &Arc<Worker>, message: Message, permit: OwnedSemaphorePermit) {
    let delivery = message.info().map_or(1, |i| i.delivered);
    let job = match serde_json::from_slice::<Job>(&message.payload) {
        Ok(job) if super::is_job_id(&job.id) => job,
        Ok(job) => {
            tracing::error!(id = %job.id, "a job with an unusable id: dropped");
            let _ = message.ack_with(AckKind::Term).await;
            return;
        }
        Err(e) => {
            // Without an id there is nowhere to put a result: the job is dropped, loudly.
            tracing::error!(error = %e, "a job that is not a judge job: dropped");
            let _ = message.ack_with(AckKind::Term).await;
            return;
        }
    };
    let id = job.id.clone();
    // A job delivered again may have been judged meanwhile (by a worker that stalled, or
    // whose ack was lost).
    if delivery > 1 && matches!(worker.store.results.get(&id).await, Ok(Some(_))) {
        tracing::info!(job = %id, delivery, "already judged: acked without judging");
        ack(&message, &id).await;
        return;
    }
    let outcome = if delivery > MAX_ATTEMPTS {
        let reasons = attempts(worker, &id, delivery).await;
        failed(
            &job,
            format!(
                "judging failed {} times without a result (a worker died, stalled past the ack \
                 wait, or handed the job back); not tried again:\n{}",
                delivery - 1,
                reasons.join("\n")
            ),
        )
    } else {
        let attempt = Attempt {
            worker: worker.name.clone(),
            delivery,
            started_ms: super::now_ms(),
            handed_back: None,
        };
        put_attempt(worker, &id, &attempt).await;
        tracing::info!(job = %id, delivery, submission = %job.submission, "judging");
        let outcome = with_progress(&message, worker.ack_wait, judge(worker, job.clone())).await;
        if let Outcome::HandBack(reason) = &outcome {
            let attempt = Attempt {
                handed_back: Some(reason.clone()),
                ..attempt
            };
            put_attempt(worker, &id, &attempt).await;
        }
        outcome
    };
    drop(permit);
    match outcome {
        Outcome::Lapsed(gap) => {
            // Neither stored nor acked: the delivery that replaced this one is judged afresh.
            tracing::warn!(
                job = %id,
                stalled_s = gap.as_secs_f64(),
                "this worker stalled past the ack wait and the job was delivered again: this \
                 late result is dropped"
            );
        }
        Outcome::HandBack(reason) => {
            tracing::warn!(job = %id, reason = %reason, "handed back");
            let _ = message.ack_with(AckKind::Nak(None)).await;
        }
        Outcome::Record(record, report) => {
            let verdict = record.verdict.clone();
            let result = JobResult {
                id: id.clone(),
                worker: worker.name.clone(),
                delivery,
                record: *record,
                report,
            };
            let stored = store_result(worker, &message, &result).await;
            match stored {
                Stored::Yes => tracing::info!(job = %id, verdict = %verdict, "result stored"),
                Stored::Duplicate => tracing::warn!(
                    job = %id,
                    "another worker stored this job's result first: this late result is dropped"
                ),
                Stored::No(e) => {
                    tracing::error!(job = %id, error = %e, "the result could not be stored: handed back");
                    let _ = message.ack_with(AckKind::Nak(None)).await;
                    return;
                }
            }
            ack(&message, &id).await;
        }
    }
}

/// Run `judging`, telling JetStream every third of `AckWait` that the job is in progress.
/// Answers the outcome, or [`Outcome::Lapsed`] when this worker went longer than `AckWait`
/// without running (stopped, frozen): JetStream has then given the job to another worker, and
/// this judging's measurements (its wall time most of all) are not to be trusted.
async fn with_progress(
    message: &Message,
    ack_wait: Duration,
    judging: impl std::future::Future<Output = Outcome>,
) -> Outcome {
    let period = (ack_wait / 3).max(Duration::from_millis(100));
    tokio::pin!(judging);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let mut last = Instant::now();
    let mut lapsed = Duration::ZERO;
    let mut note = |last: &mut Instant| {
        let gap = last.elapsed();
        if gap > ack_wait {
            lapsed = lapsed.max(gap);
        }
        *last = Instant::now();
    };
    let outcome = loop {
        tokio::select! {
            outcome = &mut judging => break outcome,
            _ = ticks.tick() => {
                note(&mut last);
                if let Err(e) = message.ack_with(AckKind::Progress).await {
                    tracing::debug!(error = %e, "an in-progress ack failed");
                }
            }
        }
    };
    note(&mut last);
    match lapsed.is_zero() {
        true => outcome,
        false => Outcome::Lapsed(lapsed),
    }
}

enum Stored {
    Yes,
    Duplicate,
    No(String),
}

/// `create` the result, retrying while the server cannot be reached (for [`RETRY_FOR`]).
async fn store_result(worker: &Worker, message: &Message, result: &JobResult) -> Stored {
    let bytes = match serde_json::to_vec(result) {
        Ok(bytes) => bytes,
        Err(e) => return Stored::No(e.to_string()),
    };
    let started = Instant::now();
    loop {
        match worker
            .store
            .results
            .create(&result.id, bytes.clone().into())
            .await
        {
            Ok(_) => return Stored::Yes,
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => return Stored::Duplicate,
            Err(e) if started.elapsed() > RETRY_FOR => {
                return Stored::No(format!("{RESULTS_BUCKET}: {e}"))
            }
            Err(e) => {
                tracing::warn!(job = %result.id, error = %e, "storing the result failed; retrying");
                let _ = message.ack_with(AckKind::Progress).await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// Ack, confirmed by the server, retried a few times; a lost ack only means one more
/// delivery, which finds the result stored and acks.
async fn ack(message: &Message, id: &str) {
    for _ in 0..5 {
        match message.double_ack().await {
            Ok(()) => return,
            Err(e) => {
                tracing::debug!(job = %id, error = %e, "ack failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    tracing::warn!(job = %id, "the ack was not confirmed: the job may be delivered again");
}

async fn put_attempt(worker: &Worker, id: &str, attempt: &Attempt) {
    let key = super::attempt_key(id, attempt.delivery);
    let bytes = serde_json::to_vec(attempt).unwrap_or_default();
    if let Err(e) = worker.store.attempts.put(&key, bytes.into()).await {
        tracing::warn!(job = %id, error = %e, "recording the attempt failed");
    }
}

/// One line per earlier delivery of job `id`: who took it, when, how it ended if known.
async fn attempts(worker: &Worker, id: &str, delivery: i64) -> Vec<String> {
    let mut lines = Vec::new();
    for d in 1..delivery {
        let key = super::attempt_key(id, d);
        let attempt = match worker.store.attempts.get(&key).await {
            Ok(Some(bytes)) => serde_json::from_slice::<Attempt>(&bytes).ok(),
            _ => None,
        };
        lines.push(match attempt {
            Some(a) => format!(
                "delivery {d}: worker {} took it at {} (Unix ms) and {}",
                a.worker,
                a.started_ms,
                match &a.handed_back {
                    Some(why) => format!("handed it back: {why}"),
                    None => "stored no result (it died or stalled)".to_owned(),
                }
            ),
            None => format!("delivery {d}: no worker recorded taking it"),
        });
    }
    lines
}

/// The job's IE: it could not be judged, for `message`.
fn failed(job: &Job, message: String) -> Outcome {
    Outcome::Record(
        Box::new(Record::failed(&job.submission, job.language(), &message)),
        None,
    )
}

/// Judge the job: its package, its source, then the judging on a thread of its own.
async fn judge(worker: &Arc<Worker>, job: Job) -> Outcome {
    let started = Instant::now();
    let root = loop {
        match worker.packages.fetch(&job.package).await {
            Ok(root) => break root,
            Err(Unavailable::Bad(message)) => return failed(&job, message),
            Err(Unavailable::Unreachable(e)) if started.elapsed() > RETRY_FOR => {
                return Outcome::HandBack(e)
            }
            Err(Unavailable::Unreachable(e)) => {
                tracing::warn!(job = %job.id, error = %e, "fetching the package failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let options = match job_options(&worker.options, &job) {
        Ok(options) => Options {
            cancel: Some(worker.abort.clone()),
            ..options
        },
        Err(e) => return failed(&job, e),
    };
    let events = {
        let (client, subject) = (worker.client.clone(), super::events_subject(&job.id));
        let runtime = tokio::runtime::Handle::current();
        let wanted = job.events;
        move |name: &'static str, data: serde_json::Value| {
            if !wanted {
                return;
            }
            let body = serde_json::json!({"event": name, "data": data}).to_string();
            // In order, on the connection that later stores the result (this is a judging
            // thread, outside the runtime, so it may block on it; publishing only queues).
            let _ = runtime.block_on(client.publish(subject.clone(), body.into()));
        }
    };
    let worker = worker.clone();
    let joined = tokio::task::spawn_blocking(move || {
        judge_blocking(&worker, &job, &root, &options, &events)
    })
    .await;
    match joined {
        Ok(outcome) => outcome,
        Err(e) => Outcome::HandBack(format!("the judging thread failed: {e}")),
    }
}

fn judge_blocking(
    worker: &Worker,
    job: &Job,
    root: &Path,
    options: &Options,
    events: &(dyn Fn(&'static str, serde_json::Value) + Sync),
) -> Outcome {
    let failed = |message: String| failed(job, message);
    let problem = match worker.packages.prepare(
        &job.package,
        root,
        job.checker.as_deref(),
        worker.pool.sandbox(),
        &worker.profiles,
    ) {
        Ok(problem) => problem,
        Err(e) => return failed(e),
    };
    let dir = worker.sources.path().join(&job.id);
    let path = match write_files(&dir, job) {
        Ok(path) => path,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return failed(e);
        }
    };
    let profile = match job.language.as_str() {
        "" => worker.profiles.for_path(&path, None),
        name => worker.profiles.for_source(&path, Some(name)),
    };
    let on_event = |event: Event| match event {
        Event::Compiled(compile) => {
            events("compiled", serde_json::json!(CompileJson::from(compile)))
        }
        Event::TestDone(index, test) => {
            let mut data = serde_json::json!(TestJson::from(test));
            data["index"] = serde_json::json!(index);
            events("test", data);
        }
    };
    let (result, language) = match profile {
        Ok(profile) => (
            problem.judge(&worker.pool, profile, &path, options, &on_event),
            profile.name().to_owned(),
        ),
        Err(e) if e.is_submission_fault() => (
            problem.compile_error(options, e.to_string()),
            job.language.clone(),
        ),
        Err(e) => (Err(JudgeError::from(e)), job.language.clone()),
    };
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Err(JudgeError::Cancelled) => Outcome::HandBack(format!("worker {} stopped", worker.name)),
        Ok(report) => Outcome::Record(
            Box::new(Record::judged(&job.submission, &language, &report)),
            Some(crate::output::json_value(&report)),
        ),
        Err(e) => Outcome::Record(
            Box::new(Record::failed(
                &job.submission,
                Some(&language)
                    .filter(|l| !l.is_empty())
                    .map(String::as_str),
                &e.to_string(),
            )),
            None,
        ),
    }
}

/// The worker's options with the job's limits, each checked as a flag's would be.
fn job_options(base: &Options, job: &Job) -> Result<Options, String> {
    let at = |field: &str| Source::Request(format!("job {} {field}", job.id));
    let time = |field: &str, ms: Option<u64>| {
        ms.map(|ms| limits::time_secs(at(field), ms as f64 / 1000.0))
            .transpose()
            .map_err(|e| e.to_string())
    };
    let size = |field: &str, bytes: Option<u64>| {
        bytes
            .map(|b| limits::size_bytes(at(field), b as f64))
            .transpose()
            .map_err(|e| e.to_string())
    };
    Ok(Options {
        time_limit: time("time_limit_ms", job.limits.time_limit_ms)?,
        wall_limit: time("wall_limit_ms", job.limits.wall_limit_ms)?,
        memory_limit: size("memory_limit", job.limits.memory_limit)?,
        output_limit: size("output_limit", job.limits.output_limit)?,
        run_all: job.run_all,
        network: match job.limits.network.as_deref() {
            None => None,
            Some(text) => Some(judge_engine::sandbox::Network::parse(text).ok_or_else(|| {
                format!("job {} network: {text:?} is not none or loopback", job.id)
            })?),
        },
        ..base.clone()
    })
}

/// Write the job's files below `dir`; the path to judge (its one file, or `dir`).
fn write_files(dir: &Path, job: &Job) -> Result<PathBuf, String> {
    if job.files.is_empty() || (job.single && job.files.len() != 1) {
        return Err(format!(
            "job {}: no files, or several for a single file",
            job.id
        ));
    }
    let mut files = Vec::with_capacity(job.files.len());
    for file in &job.files {
        let rel = PathBuf::from(&file.path);
        if !beneath::is_plain_relative(&rel) || (job.single && rel.components().count() != 1) {
            return Err(format!(
                "job file {:?}: not a plain relative path",
                file.path
            ));
        }
        files.push((rel, file.bytes()?));
    }
    crate::submissions::write_files(dir, &files, job.single)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nats::{JobFile, JobLimits};

    fn job(files: Vec<JobFile>, single: bool) -> Job {
        Job {
            id: "b.1".into(),
            package: "00".repeat(32),
            language: "c".into(),
            submission: "/s/a.c".into(),
            files,
            single,
            limits: JobLimits::default(),
            checker: None,
            run_all: false,
            events: false,
        }
    }

    #[test]
    fn a_jobs_files_are_written_below_its_directory_and_nowhere_else() {
        let dir = tempfile::tempdir().unwrap();
        let one = job(vec![JobFile::new("a.c", b"int main(){}")], true);
        let path = write_files(&dir.path().join("one"), &one).unwrap();
        assert_eq!(path, dir.path().join("one/a.c"));
        assert_eq!(std::fs::read(&path).unwrap(), b"int main(){}");
        let tree = job(
            vec![
                JobFile::new("main.py", b"import lib.x"),
                JobFile::new("lib/x.py", b"y = 1"),
            ],
            false,
        );
        let path = write_files(&dir.path().join("tree"), &tree).unwrap();
        assert_eq!(path, dir.path().join("tree"));
        assert_eq!(std::fs::read(path.join("lib/x.py")).unwrap(), b"y = 1");
        for (bad, single) in [
            ("../escape.c", true),
            ("/etc/passwd", true),
            ("d/a.c", true),
            ("a/../../b.c", false),
        ] {
            let err = write_files(
                &dir.path().join("bad"),
                &job(vec![JobFile::new(bad, b"x")], single),
            )
            .unwrap_err();
            assert!(err.contains("not a plain relative path"), "{bad}: {err}");
        }
        assert!(!dir.path().join("escape.c").exists());
        let mut not_base64 = job(vec![JobFile::new("a.c", b"x")], true);
        not_base64.files[0].data = "***".into();
        assert!(write_files(&dir.path().join("b64"), &not_base64)
            .unwrap_err()
            .contains("not base64"));
        assert!(write_files(&dir.path().join("none"), &job(vec![], true)).is_err());
    }

    #[test]
    fn a_jobs_limits_are_checked_as_flags_are() {
        let base = Options {
            time_limit: None,
            memory_limit: None,
            output_limit: None,
            run_all: false,
            wall_limit: None,
            transcript: false,
            constants: false,
            entry_point: None,
            cache: None,
            cancel: None,
            network: None,
        };
        let mut j = job(vec![JobFile::new("a.c", b"x")], true);
        j.limits = JobLimits {
            time_limit_ms: Some(1500),
            memory_limit: Some(64 << 20),
            output_limit: None,
            wall_limit_ms: Some(4000),
            network: Some("loopback".into()),
        };
        j.run_all = true;
        let options = job_options(&base, &j).unwrap();
        assert_eq!(options.time_limit, Some(Duration::from_millis(1500)));
        assert_eq!(options.wall_limit, Some(Duration::from_secs(4)));
        assert_eq!(options.memory_limit, Some(64 << 20));
        assert!(options.run_all && options.output_limit.is_none());
        assert_eq!(
            options.network,
            Some(judge_engine::sandbox::Network::Loopback)
        );
        j.limits.time_limit_ms = Some(0);
        let err = job_options(&base, &j).unwrap_err();
        assert!(err.starts_with("job b.1 time_limit_ms: "), "{err}");
        j.limits.time_limit_ms = None;
        j.limits.memory_limit = Some(u64::MAX);
        let err = job_options(&base, &j).unwrap_err();
        assert!(err.starts_with("job b.1 memory_limit: "), "{err}");
    }
}

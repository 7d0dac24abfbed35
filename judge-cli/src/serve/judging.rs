//! The judging API's engine side, independent of HTTP: problems (uploaded, or from the
//! server's `--problems` directory), submissions waiting in a bounded queue, the threads that
//! judge them on the pool, and each submission's state and events.
//!
//! - A problem is prepared (its validators built) once, on first use, and kept. An uploaded
//!   package is unpacked safely ([`archive`]) under the engine's private directory and known by
//!   the SHA-256 of the archive: uploading the same bytes again answers the same id.
//! - A submission is accepted only while the queue has room ([`Judging::submit`] answers
//!   [`Refused::Full`] otherwise); as many threads as the pool has workers each judge one
//!   submission at a time, its tests spread over the pool, as `judge batch` does.
//! - Every submission keeps its events (compiled, each test, the end) for late readers of its
//!   event stream, and a watch channel wakes the readers waiting for more.
//! - Cancelling a queued submission ends it at once; a judging one stops before its next test.
//!   On shutdown the queue is closed, queued submissions are cancelled, and the threads finish
//!   the ones they hold.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use judge_engine::hostdir::{beneath, ScratchDir};
use judge_engine::judge::{Event, JudgeError, Options, Problem};
use judge_engine::pool::Pool;
use judge_engine::profile::ProfileSet;
use serde::Deserialize;
use serde_json::{json, Value};

use super::journal;
use super::metrics::Metrics;
use super::problems::Problems;
use super::remote::Remote;
use crate::nats::JobFile;
use crate::report::{CompileJson, TestJson};

/// Finished submissions kept for `GET /submissions/ID` at most; past a tenth more, the oldest
/// finished ones go.
const KEPT: usize = 10_000;

pub(super) use crate::lock;

/// The body of `POST /submissions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSubmission {
    /// A problem's id: an uploaded package's, or a directory of `--problems`.
    pub problem: String,
    /// A language profile's name; by default chosen from `filename` (or the files).
    pub language: Option<String>,
    /// The source of a one-file submission.
    pub source: Option<String>,
    /// Its file name (default `main.<the language's extension>`).
    pub filename: Option<String>,
    /// The files of a directory submission, by relative path.
    pub files: Option<std::collections::BTreeMap<String, String>>,
}

/// Why a submission or a problem was not accepted; the message names the field.
#[derive(Debug)]
pub enum Refused {
    /// The request is wrong (400).
    Invalid(String),
    /// No such problem or submission (404).
    Unknown(String),
    /// The queue is full (429).
    Full,
    /// The server is shutting down (503).
    Closing,
    /// The engine failed (500).
    Engine(String),
}

/// Where a submission is.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum State {
    Queued,
    Judging,
    /// Judged: `judge run --json`'s document.
    Done(Value),
    Cancelled,
    /// The engine or the problem failed: IE with the reason.
    Failed(String),
}

impl State {
    pub(super) fn name(&self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Judging => "judging",
            State::Done(_) => "done",
            State::Cancelled => "cancelled",
            State::Failed(_) => "failed",
        }
    }

    fn is_final(&self) -> bool {
        matches!(self, State::Done(_) | State::Cancelled | State::Failed(_))
    }
}

/// What a submission holds until a judging thread takes it.
#[derive(Debug)]
struct Source {
    profile: String,
    /// One file (name, content), or the files of a directory.
    files: Vec<(PathBuf, String)>,
    single: bool,
}

/// One submission.
#[derive(Debug)]
pub struct Submission {
    pub id: String,
    pub problem: String,
    state: Mutex<State>,
    /// `(event name, data)` in order: `compiled`, `test`..., then `done`, `cancelled` or
    /// `failed`.
    events: Mutex<Vec<(&'static str, Value)>>,
    /// The number of events, for readers waiting for more.
    count: tokio::sync::watch::Sender<usize>,
    pub(super) cancel: Arc<AtomicBool>,
    source: Mutex<Option<Source>>,
    queued: Instant,
}

impl Submission {
    /// A new submission, queued, with no events yet.
    fn new(id: String, problem: String, source: Option<Source>) -> Arc<Submission> {
        Arc::new(Submission {
            id,
            problem,
            state: Mutex::new(State::Queued),
            events: Mutex::new(Vec::new()),
            count: tokio::sync::watch::Sender::new(0),
            cancel: Arc::new(AtomicBool::new(false)),
            source: Mutex::new(source),
            queued: Instant::now(),
        })
    }

    pub(super) fn push(&self, name: &'static str, data: Value) {
        let mut events = lock(&self.events);
        events.push((name, data));
        let n = events.len();
        drop(events);
        self.count.send_replace(n);
    }

    /// Set the state; a final one is also the last event.
    fn set(&self, state: State) {
        let event = match &state {
            State::Done(report) => Some(("done", report.clone())),
            State::Cancelled => Some(("cancelled", json!({}))),
            State::Failed(error) => Some(("failed", json!({ "error": error }))),
            _ => None,
        };
        *lock(&self.state) = state;
        if let Some((name, data)) = event {
            self.push(name, data);
        }
    }

    /// `GET /submissions/ID`: `judge run --json`'s document once judged, with the id, the
    /// problem and the state.
    pub fn json(&self) -> Value {
        let state = lock(&self.state).clone();
        let mut body = match &state {
            State::Done(report) => report.clone(),
            State::Failed(error) => json!({ "verdict": "IE", "error": error }),
            _ => json!({}),
        };
        body["id"] = json!(self.id);
        body["problem"] = json!(self.problem);
        body["status"] = json!(state.name());
        body
    }

    /// Events from `from` on, and whether the last of them ends the stream.
    pub fn events_from(&self, from: usize) -> (Vec<(&'static str, Value)>, bool) {
        let events = lock(&self.events);
        let new: Vec<_> = events.iter().skip(from).cloned().collect();
        let ended = events
            .last()
            .is_some_and(|(name, _)| matches!(*name, "done" | "cancelled" | "failed"));
        (new, ended)
    }

    /// A receiver that wakes when an event is added.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<usize> {
        self.count.subscribe()
    }
}

/// Where problems and finished submissions are, how many may wait, who judges.
pub struct JudgingConfig<'a> {
    /// `--problems`.
    pub problems_dir: Option<PathBuf>,
    /// Submissions waiting at most.
    pub queue: usize,
    /// `--state`.
    pub state: Option<&'a Path>,
    /// `--nats`.
    pub remote: Option<Remote>,
}

/// The judging API's state.
#[derive(Debug)]
pub struct Judging {
    pool: Arc<Pool>,
    profiles: Arc<ProfileSet>,
    options: Options,
    problems: Problems,
    submissions: Mutex<HashMap<String, Arc<Submission>>>,
    queue: Mutex<Option<Sender<Arc<Submission>>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    sources: ScratchDir,
    metrics: Arc<Metrics>,
    next: AtomicU64,
    /// Where every finished submission is appended and synced (`--state`), if anywhere.
    journal: Option<Mutex<std::fs::File>>,
    /// `--nats`: submissions are judged by workers through NATS, not on the pool.
    remote: Option<Remote>,
}

impl Judging {
    /// Start the judging threads.
    pub fn start(
        pool: Arc<Pool>,
        profiles: Arc<ProfileSet>,
        options: Options,
        metrics: Arc<Metrics>,
        config: JudgingConfig<'_>,
    ) -> Result<Arc<Judging>, crate::Failure> {
        let JudgingConfig {
            problems_dir,
            queue,
            state,
            remote,
        } = config;
        let dirs = pool.sandbox().dirs();
        let (journal, kept) = match state {
            Some(dir) => {
                let (file, kept) = journal::open(dir)?;
                (Some(Mutex::new(file)), kept)
            }
            None => (None, Vec::new()),
        };
        let submissions = kept
            .into_iter()
            .map(|(id, problem, state)| {
                let submission = Submission::new(id.clone(), problem, None);
                submission.set(state);
                (id, submission)
            })
            .collect();
        let judging = Arc::new(Judging {
            problems: Problems::new(problems_dir, dirs.scratch_dir("problems")?),
            sources: dirs.scratch_dir("submissions")?,
            pool,
            profiles,
            options,
            submissions: Mutex::new(submissions),
            queue: Mutex::new(None),
            threads: Mutex::new(Vec::new()),
            metrics,
            next: AtomicU64::new(0),
            journal,
            remote,
        });
        let (sender, receiver) = crossbeam_channel::bounded::<Arc<Submission>>(queue);
        *lock(&judging.queue) = Some(sender);
        let mut threads = lock(&judging.threads);
        // Locally, one submission per pool worker; through NATS, as many as wait on workers.
        let count = match judging.remote {
            Some(_) => super::remote::IN_FLIGHT,
            None => judging.pool.workers(),
        };
        for i in 0..count {
            let judging = judging.clone();
            let receiver = receiver.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("judge-submissions-{i}"))
                    .spawn(move || judging.work(receiver))
                    .map_err(|e| crate::Failure::Engine(format!("judging thread: {e}")))?,
            );
        }
        drop(threads);
        Ok(judging)
    }

    fn work(&self, receiver: Receiver<Arc<Submission>>) {
        for submission in receiver {
            self.metrics.queue_depth.dec();
            if submission.cancel.load(Ordering::SeqCst) || lock(&submission.state).is_final() {
                continue;
            }
            self.judge(&submission);
        }
    }

    /// Stop taking submissions, cancel the queued ones; the threads finish theirs and end.
    pub fn shutdown(&self) {
        lock(&self.queue).take();
        let queued: Vec<_> = lock(&self.submissions)
            .values()
            .filter(|s| *lock(&s.state) == State::Queued)
            .cloned()
            .collect();
        for submission in queued {
            submission.cancel.store(true, Ordering::SeqCst);
            self.finish(&submission, State::Cancelled);
        }
    }

    /// Wait for the judging threads to end (after [`Judging::shutdown`]).
    pub fn join(&self) {
        let threads = std::mem::take(&mut *lock(&self.threads));
        for thread in threads {
            let _ = thread.join();
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Submission>> {
        lock(&self.submissions).get(id).cloned()
    }

    /// Queue a submission; answers it at once.
    pub fn submit(&self, new: NewSubmission) -> Result<Arc<Submission>, Refused> {
        self.problem(&new.problem)?;
        let source = self.source(new)?;
        let id = format!(
            "{:x}-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis(),
            self.next.fetch_add(1, Ordering::Relaxed) + 1
        );
        let submission = Submission::new(id.clone(), source.1, Some(source.0));
        let queue = lock(&self.queue);
        let Some(sender) = queue.as_ref() else {
            return Err(Refused::Closing);
        };
        match sender.try_send(submission.clone()) {
            Ok(()) => {
                self.metrics.queue_depth.inc();
                let mut submissions = lock(&self.submissions);
                submissions.insert(id, submission.clone());
                if submissions.len() > KEPT + KEPT / 10 {
                    forget_oldest(&mut submissions, KEPT);
                }
                Ok(submission)
            }
            Err(TrySendError::Full(_)) => Err(Refused::Full),
            Err(TrySendError::Disconnected(_)) => Err(Refused::Closing),
        }
    }

    /// Cancel a submission: at once when it is queued, before its next test when judging.
    /// Answers its state after.
    pub fn cancel(&self, id: &str) -> Result<Arc<Submission>, Refused> {
        let submission = self
            .get(id)
            .ok_or_else(|| Refused::Unknown(format!("no submission has the id {id:?}")))?;
        submission.cancel.store(true, Ordering::SeqCst);
        let queued = *lock(&submission.state) == State::Queued;
        if queued {
            self.finish(&submission, State::Cancelled);
            self.metrics
                .judged("cancelled", Duration::ZERO, Duration::ZERO);
        }
        Ok(submission)
    }

    /// Set a submission's final state, kept in the journal first when there is one.
    fn finish(&self, submission: &Submission, state: State) {
        if let Some(journal) = &self.journal {
            let record = journal::record(&submission.id, &submission.problem, &state);
            if let Err(e) = journal::append(&mut lock(journal), &record) {
                tracing::error!(submission = %submission.id, error = %e, "the journal failed");
            }
        }
        submission.set(state);
    }

    /// The checked source of a new submission, and its problem.
    fn source(&self, new: NewSubmission) -> Result<(Source, String), Refused> {
        let invalid = |m: String| Refused::Invalid(m);
        if let Some(lang) = &new.language {
            if self.profiles.get(lang).is_none() {
                return Err(invalid(format!(
                    "language: no profile is named {lang:?} (known: {})",
                    self.profiles.names().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        let (files, single) = match (new.source, new.files) {
            (Some(_), Some(_)) => {
                return Err(invalid("source, files: give one of them, not both".into()))
            }
            (None, None) => return Err(invalid("source: missing (or give files)".into())),
            (Some(text), None) => {
                let name = match (&new.filename, &new.language) {
                    (Some(name), _) => name.clone(),
                    (None, Some(lang)) => {
                        let ext = self
                            .profiles
                            .get(lang)
                            .and_then(|p| p.extensions().first().cloned())
                            .unwrap_or_else(|| "txt".to_owned());
                        format!("main.{ext}")
                    }
                    (None, None) => {
                        return Err(invalid(
                            "language: missing (or give a filename whose extension tells it)"
                                .into(),
                        ))
                    }
                };
                let path = PathBuf::from(&name);
                if path.components().count() != 1 || !beneath::is_plain_relative(&path) {
                    return Err(invalid(format!(
                        "filename: {name:?} is not a plain file name"
                    )));
                }
                (vec![(path, text)], true)
            }
            (None, Some(files)) => {
                if files.is_empty() {
                    return Err(invalid("files: empty".into()));
                }
                let mut list = Vec::new();
                for (name, text) in files {
                    let path = PathBuf::from(&name);
                    if !beneath::is_plain_relative(&path) {
                        return Err(invalid(format!(
                            "files[{name:?}]: not a relative path without `..`"
                        )));
                    }
                    list.push((path, text));
                }
                (list, false)
            }
        };
        let profile = match &new.language {
            Some(lang) => lang.clone(),
            None if single => self
                .profiles
                .for_source(&files[0].0, None)
                .map_err(|e| invalid(format!("filename: {e}")))?
                .name()
                .to_owned(),
            // A directory's language is told from its files when it is judged.
            None => String::new(),
        };
        Ok((
            Source {
                profile,
                files,
                single,
            },
            new.problem,
        ))
    }

    /// The prepared problem `id`.
    fn problem(&self, id: &str) -> Result<Arc<Problem>, Refused> {
        self.problems.get(id, self.pool.sandbox(), &self.profiles)
    }

    /// `POST /problems`: see [`Problems::upload`].
    pub fn upload(&self, bytes: &[u8]) -> Result<(String, usize, bool), Refused> {
        self.problems
            .upload(bytes, self.pool.sandbox(), &self.profiles)
    }

    /// Judge one submission on this thread, its tests on the pool.
    fn judge(&self, submission: &Arc<Submission>) {
        submission.set(State::Judging);
        let waited = submission.queued.elapsed();
        self.metrics.started(waited);
        let started = Instant::now();
        if let Some(remote) = &self.remote {
            let (state, label, cpu) = self.judge_remote(remote, submission);
            self.metrics.judged(&label, cpu, started.elapsed());
            tracing::info!(submission = %submission.id, outcome = %label, "judged");
            self.finish(submission, state);
            return;
        }
        let outcome = self.judge_source(submission);
        let cancelled = submission.cancel.load(Ordering::SeqCst);
        let (state, label, cpu) = match outcome {
            _ if cancelled => (State::Cancelled, "cancelled".to_owned(), Duration::ZERO),
            Ok(report) => {
                let cpu = report.tests.iter().map(|t| t.time).sum();
                let label = report.verdict.code().to_owned();
                (State::Done(crate::output::json_value(&report)), label, cpu)
            }
            Err(e) => {
                tracing::warn!(submission = %submission.id, error = %e, "judging failed");
                (State::Failed(e), "failed".to_owned(), Duration::ZERO)
            }
        };
        self.metrics.judged(&label, cpu, started.elapsed());
        tracing::info!(submission = %submission.id, outcome = %label, "judged");
        self.finish(submission, state);
    }

    /// Judge on a worker through NATS (`--nats`).
    fn judge_remote(&self, remote: &Remote, submission: &Submission) -> (State, String, Duration) {
        let failed = |e: String| (State::Failed(e), "failed".to_owned(), Duration::ZERO);
        let Some(dir) = self.problems.dir(&submission.problem) else {
            return failed(format!("problem {}: gone", submission.problem));
        };
        let Some(source) = lock(&submission.source).take() else {
            return failed("the submission's source is gone".to_owned());
        };
        let files = source
            .files
            .iter()
            .map(|(path, text)| JobFile::new(&path.to_string_lossy(), text.as_bytes()))
            .collect();
        remote.judge(submission, &dir, &source.profile, files, source.single)
    }

    fn judge_source(
        &self,
        submission: &Arc<Submission>,
    ) -> Result<judge_engine::judge::Report, String> {
        let problem = self.problem(&submission.problem).map_err(|e| match e {
            Refused::Invalid(m) | Refused::Unknown(m) | Refused::Engine(m) => m,
            Refused::Full | Refused::Closing => "the server is closing".to_owned(),
        })?;
        let source = lock(&submission.source)
            .take()
            .ok_or("the submission's source is gone")?;
        let dir = self.sources.path().join(&submission.id);
        let written = crate::submissions::write_files(&dir, &source.files, source.single);
        let result = written.and_then(|path| {
            let profile = match source.profile.as_str() {
                "" => self.profiles.for_path(&path, None),
                name => self.profiles.for_source(&path, Some(name)),
            };
            let options = Options {
                cancel: Some(submission.cancel.clone()),
                ..self.options.clone()
            };
            let events = |event: Event| match event {
                Event::Compiled(compile) => {
                    submission.push("compiled", json!(CompileJson::from(compile)))
                }
                Event::TestDone(index, test) => {
                    let mut data = json!(TestJson::from(test));
                    data["index"] = json!(index);
                    submission.push("test", data);
                }
            };
            match profile {
                Ok(profile) => problem.judge(&self.pool, profile, &path, &options, &events),
                Err(e) if e.is_submission_fault() => problem.compile_error(&options, e.to_string()),
                Err(e) => Err(JudgeError::from(e)),
            }
            .map_err(|e| e.to_string())
        });
        let _ = std::fs::remove_dir_all(&dir);
        result
    }
}

/// Forget the oldest finished submissions until `keep` remain (or no finished one is left).
fn forget_oldest(submissions: &mut HashMap<String, Arc<Submission>>, keep: usize) {
    let mut finished: Vec<(Instant, String)> = submissions
        .values()
        .filter(|s| lock(&s.state).is_final())
        .map(|s| (s.queued, s.id.clone()))
        .collect();
    finished.sort();
    let excess = submissions.len().saturating_sub(keep);
    for (_, id) in finished.into_iter().take(excess) {
        submissions.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(id: &str, state: State) -> Arc<Submission> {
        let submission = Submission::new(id.to_owned(), "p".to_owned(), None);
        *lock(&submission.state) = state;
        submission
    }

    #[test]
    fn the_oldest_finished_submissions_are_forgotten_first_and_never_a_live_one() {
        let mut map = HashMap::new();
        let states = [
            ("a", State::Done(json!({}))),
            ("b", State::Queued),
            ("c", State::Cancelled),
            ("d", State::Judging),
            ("e", State::Failed("x".into())),
        ];
        for (id, state) in states {
            map.insert(id.to_owned(), submission(id, state));
            std::thread::sleep(Duration::from_millis(2));
        }
        forget_oldest(&mut map, 3);
        let mut left: Vec<&str> = map.keys().map(String::as_str).collect();
        left.sort();
        assert_eq!(left, ["b", "d", "e"]);
        forget_oldest(&mut map, 0);
        let mut left: Vec<&str> = map.keys().map(String::as_str).collect();
        left.sort();
        assert_eq!(left, ["b", "d"]);
    }

    #[test]
    fn the_event_stream_ends_with_the_final_event_and_not_before() {
        let s = submission("a", State::Queued);
        s.set(State::Judging);
        s.push("compiled", json!({}));
        assert_eq!(s.events_from(0), (vec![("compiled", json!({}))], false));
        s.set(State::Cancelled);
        let (events, ended) = s.events_from(1);
        assert_eq!(events, vec![("cancelled", json!({}))]);
        assert!(ended);
        assert_eq!(s.json()["status"], "cancelled");
    }
}

//! `judge batch --problem DIR SUBMISSION...`: judge many submissions against one problem,
//! several at once, with report files that survive an interruption.
//!
//! In order:
//! 1. read the problem, collect the submissions (`crate::submissions`), open the report files
//!    (`crate::report_file`, which cuts off a torn last line);
//! 2. with `--resume`, drop every submission that each report file already records;
//! 3. a submission whose extension has no language profile becomes an IE row at once;
//! 4. the others are judged by [`judge_all`]: each finished submission is appended to every
//!    report file lacking it and forced to disk, so a kill loses at most the one being written;
//!    an engine error for one submission is its IE row, never the end of the batch;
//! 5. a table of the submissions judged (with their scores on a scored problem), and a count
//!    per verdict.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use judge_engine::judge::{Event, JudgeError, Options, Problem, Report};
use judge_engine::pool::Pool;
use judge_engine::profile::Profile;
use judge_engine::testset;
use judge_engine::verdict::Verdict;
use std::sync::Arc;

use crate::args::BatchArgs;
use crate::output::Paint;
use crate::report::{points, Record};
use crate::report_file::{Format, ReportFile, ReportFileError};
use crate::submissions::{self, Submission};
use crate::{setup, Done, Failure};

/// One submission for [`judge_all`].
pub struct Job<'a> {
    pub source: &'a Path,
    pub profile: &'a Profile,
    /// A directory submission's entry point, if its package names one.
    pub entry_point: Option<&'a str>,
    /// Run every test whatever fails, beyond what the options say.
    pub run_all: bool,
}

/// Judge `jobs` on `workers` threads, each submission on one thread with its tests in order
/// (`options.jobs` is ignored: parallelism is across submissions). `events` gets each
/// submission's progress with its index; `finished` gets each result as soon as it is known,
/// from the worker's thread, in any order. When `finished` breaks, no further submission starts
/// (those already running still finish and are reported).
pub fn judge_all(
    pool: &Pool,
    problem: &Arc<Problem>,
    jobs: &[Job<'_>],
    options: &Options,
    events: &(dyn Fn(usize, Event) + Sync),
    finished: &(dyn Fn(usize, Result<Report, JudgeError>) -> ControlFlow<()> + Sync),
) {
    // One submission per worker at a time: each compiles here, and its tests go to the pool.
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let driver = || {
        while !stop.load(Ordering::SeqCst) {
            let index = next.fetch_add(1, Ordering::SeqCst);
            let Some(job) = jobs.get(index) else { break };
            let own;
            let options = if job.entry_point.is_some() || job.run_all {
                own = Options {
                    entry_point: job.entry_point.map(str::to_owned),
                    run_all: options.run_all || job.run_all,
                    ..options.clone()
                };
                &own
            } else {
                options
            };
            let result = problem.judge(pool, job.profile, job.source, options, &|e| {
                events(index, e)
            });
            if finished(index, result).is_break() {
                stop.store(true, Ordering::SeqCst);
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..pool.workers().min(jobs.len()).max(1) {
            s.spawn(driver);
        }
        driver();
    });
}

/// Submissions done and tests done, with an ETA, on stderr when it is a terminal.
pub struct Progress {
    bar: ProgressBar,
    tests: AtomicUsize,
}

impl Progress {
    pub fn new(submissions: usize) -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(submissions as u64), target);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{bar:30}] {pos}/{len} submissions, {msg} tests  {elapsed} (ETA {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message("0");
        Progress {
            bar,
            tests: AtomicUsize::new(0),
        }
    }

    pub fn event(&self, event: &Event) {
        if let Event::TestDone(..) = event {
            let done = self.tests.fetch_add(1, Ordering::Relaxed) + 1;
            self.bar.set_message(done.to_string());
        }
    }

    /// `n` tests judged elsewhere (a worker's result).
    pub fn tests_done(&self, n: usize) {
        let done = self.tests.fetch_add(n, Ordering::Relaxed) + n;
        self.bar.set_message(done.to_string());
    }

    pub fn submission_done(&self) {
        self.bar.inc(1);
    }

    /// `more` submissions are to be judged (again) beyond those counted so far.
    pub fn add(&self, more: usize) {
        self.bar.inc_length(more as u64);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A submission to judge and the report files that still lack it.
pub struct Planned {
    pub submission: Submission,
    pub targets: Vec<usize>,
}

/// What the workers share: the report files, the rows for the table, the first write error.
pub struct Sink {
    files: Vec<ReportFile>,
    rows: Vec<Option<Record>>,
    error: Option<ReportFileError>,
}

impl Sink {
    fn record(&mut self, index: usize, targets: &[usize], record: Record) -> ControlFlow<()> {
        for &t in targets {
            if let Err(e) = self.files[t].append(&record) {
                self.error.get_or_insert(e);
                return ControlFlow::Break(());
            }
        }
        self.rows[index] = Some(record);
        ControlFlow::Continue(())
    }
}

/// The report files; a scored problem's CSV report has a score column.
fn open_reports(args: &BatchArgs, scored: bool) -> Result<Vec<ReportFile>, Failure> {
    let mut files = Vec::new();
    for (path, format) in [(&args.json, Format::Json), (&args.csv, Format::Csv)] {
        if let Some(path) = path {
            let file = ReportFile::open(path, format, scored)?;
            if file.torn() > 0 {
                eprintln!(
                    "judge: note: report {}: removed a torn last line ({} bytes) left by an \
                     interrupted write; its submission is judged again",
                    path.display(),
                    file.torn()
                );
            }
            files.push(file);
        }
    }
    Ok(files)
}

/// What a batch judges: the test set, the profiles, the report files, the submissions still
/// to judge and how many `--resume` skipped.
pub struct Plan {
    pub tests: testset::TestSet,
    pub profiles: judge_engine::profile::ProfileSet,
    pub planned: Vec<Planned>,
    pub sink: Mutex<Sink>,
    pub skipped: usize,
}

impl Plan {
    /// Read the problem, collect the submissions, open the reports, drop what `--resume`
    /// finds recorded.
    pub fn new(args: &BatchArgs) -> Result<Plan, Failure> {
        if args.resume && args.json.is_none() && args.csv.is_none() {
            return Err(Failure::Usage(
                "--resume reads what was already judged from the --json or --csv report: give one"
                    .to_owned(),
            ));
        }
        let tests = testset::discover(&args.problem)?;
        let found = submissions::collect(&args.submissions)?;
        if found.is_empty() {
            return Err(Failure::Usage(format!(
                "no submission found in {}",
                args.submissions
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let profiles = setup::profiles(&args.judge)?;
        let files = open_reports(args, tests.scoring.is_some())?;
        let mut skipped = 0;
        let mut planned = Vec::new();
        for submission in found {
            let targets: Vec<usize> = (0..files.len())
                .filter(|&i| !(args.resume && files[i].has(&submission.key)))
                .collect();
            if args.resume && targets.is_empty() {
                skipped += 1;
            } else {
                planned.push(Planned {
                    submission,
                    targets,
                });
            }
        }
        let sink = Mutex::new(Sink {
            files,
            rows: vec![None; planned.len()],
            error: None,
        });
        Ok(Plan {
            tests,
            profiles,
            planned,
            sink,
            skipped,
        })
    }

    /// Record planned submission `index` (once: a second record of it is ignored).
    pub fn record(&self, index: usize, record: Record) -> ControlFlow<()> {
        let mut sink = crate::lock(&self.sink);
        if sink.rows[index].is_some() {
            return ControlFlow::Continue(());
        }
        sink.record(index, &self.planned[index].targets, record)
    }

    pub fn failed(&self) -> bool {
        crate::lock(&self.sink).error.is_some()
    }

    /// The table of what was judged (and the first report error, if any).
    pub fn finish(self, resume: bool) -> Result<Done, Failure> {
        let sink = self.sink.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = sink.error {
            return Err(e.into());
        }
        let rows: Vec<(&Path, Record)> = self
            .planned
            .iter()
            .zip(sink.rows)
            .filter_map(|(p, r)| Some((p.submission.path.as_path(), r?)))
            .collect();
        print!("{}", table(&rows, &Paint::stdout()));
        if resume {
            println!(
                "{} submissions already recorded were skipped (--resume)",
                self.skipped
            );
        }
        Ok(Done::Judged)
    }
}

/// Judge every submission; `Verdict::AC` (exit status 0) once each has its row, whatever the
/// verdicts.
pub fn run(args: &BatchArgs) -> Result<Done, Failure> {
    if let Some(url) = &args.nats {
        return crate::nats::batch::run(args, url);
    }
    let plan = Plan::new(args)?;
    let sandbox = setup::sandbox(&args.judge)?;
    let mut problem = Problem::prepare(&sandbox, &plan.profiles, plan.tests.clone())?;
    if let Some(checker) = &args.judge.checker {
        problem.use_checker(checker)?;
    }
    let problem = std::sync::Arc::new(problem);
    let pool = setup::pool(sandbox, &args.judge)?;
    let planned = &plan.planned;
    let progress = Progress::new(planned.len());
    // Which planned submission each job is, and its profile.
    let mut jobs = Vec::new();
    let mut job_of = Vec::new();
    for (index, p) in planned.iter().enumerate() {
        match plan.profiles.for_source(&p.submission.path, None) {
            Ok(profile) => {
                jobs.push(Job {
                    source: &p.submission.path,
                    profile,
                    entry_point: None,
                    run_all: false,
                });
                job_of.push(index);
            }
            Err(e) => {
                let record = Record::failed(&p.submission.key, None, &e.to_string());
                progress.submission_done();
                if plan.record(index, record).is_break() {
                    break;
                }
            }
        }
    }
    if !plan.failed() {
        let options = setup::options(&args.judge, false)?;
        judge_all(
            &pool,
            &problem,
            &jobs,
            &options,
            &|_, event| progress.event(&event),
            &|job, result| {
                let index = job_of[job];
                let p = &planned[index];
                let language = jobs[job].profile.name();
                let record = match result {
                    Ok(report) => Record::judged(&p.submission.key, language, &report),
                    Err(e) => Record::failed(&p.submission.key, Some(language), &e.to_string()),
                };
                progress.submission_done();
                plan.record(index, record)
            },
        );
    }
    progress.finish();
    drop(jobs);
    plan.finish(args.resume)
}

/// The summary: one line per submission (with a score column when any has a score), then the
/// count per verdict.
fn table(rows: &[(&Path, Record)], paint: &Paint) -> String {
    let scored = rows.iter().any(|(_, r)| r.score.is_some());
    let score_column = |text: &str| {
        if scored {
            format!("{text:>7}  ")
        } else {
            String::new()
        }
    };
    let names: Vec<String> = rows.iter().map(|(p, _)| p.display().to_string()).collect();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0).max(10);
    let lang_width = rows
        .iter()
        .filter_map(|(_, r)| r.language.as_ref().map(|l| l.len()))
        .max()
        .unwrap_or(0)
        .max(8);
    let mut out = paint.dim(&format!(
        "{:<width$}  {:<lang_width$}  {:<7}  {}{:>9}  {:>10}\n",
        "submission",
        "language",
        "verdict",
        score_column("score"),
        "max time",
        "max memory"
    ));
    let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
    for (name, (_, r)) in names.iter().zip(rows) {
        let verdict = r.verdict();
        *counts.entry(verdict).or_default() += 1;
        let note = if verdict == Verdict::AC {
            String::new()
        } else {
            r.message
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .chars()
                .take(60)
                .collect()
        };
        let line = format!(
            "{name:<width$}  {:<lang_width$}  {}      {}{:>9}  {:>10}  {}",
            r.language.as_deref().unwrap_or("-"),
            paint.verdict(verdict),
            score_column(&r.score.map_or("-".to_owned(), points)),
            format!("{:.3} s", r.time_ms as f64 / 1000.0),
            format!("{:.1} MiB", r.memory_kib as f64 / 1024.0),
            paint.dim(&note),
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let counts: Vec<String> = counts.iter().map(|(v, n)| format!("{v} {n}")).collect();
    out.push_str(&format!(
        "{} submissions judged: {}\n",
        rows.len(),
        counts.join(", ")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_command_line_parses() {
        let cli = crate::args::Cli::try_parse_from([
            "judge",
            "batch",
            "--problem",
            "p",
            "a.c",
            "subs",
            "--jobs",
            "3",
            "--json",
            "r.jsonl",
            "--resume",
        ])
        .unwrap();
        let crate::args::Command::Batch(b) = cli.command else {
            panic!("not batch")
        };
        assert_eq!(b.problem, Path::new("p"));
        assert_eq!(b.submissions, [Path::new("a.c"), Path::new("subs")]);
        assert_eq!(b.judge.jobs, Some(3));
        assert_eq!(b.json.as_deref(), Some(Path::new("r.jsonl")));
        assert!(b.resume && b.csv.is_none());
    }

    #[test]
    fn submissions_are_required() {
        assert!(crate::args::Cli::try_parse_from(["judge", "batch", "--problem", "p"]).is_err());
    }

    #[test]
    fn the_table_counts_each_verdict_and_notes_failures() {
        let plain = Paint::plain();
        let mut ac = Record::failed("/k/a.c", Some("c"), "");
        ac.verdict = "AC".to_owned();
        ac.time_ms = 1234;
        ac.memory_kib = 2048;
        let mut wa = ac.clone();
        wa.verdict = "WA".to_owned();
        wa.message = "\nexpected \"2\", got \"3\"\nmore".to_owned();
        let ie = Record::failed("/k/x.zz", None, "no profile for extension .zz");
        let rows = [
            (Path::new("s/a.c"), ac.clone()),
            (Path::new("s/b.c"), wa),
            (Path::new("s/c.c"), ac),
            (Path::new("s/x.zz"), ie),
        ];
        let text = table(&rows, &plain);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert!(
            lines[1].starts_with("s/a.c ") && lines[1].contains("AC"),
            "{text}"
        );
        assert!(
            lines[1].contains("1.234 s") && lines[1].contains("2.0 MiB"),
            "{text}"
        );
        assert!(lines[2].contains("WA") && lines[2].ends_with("expected \"2\", got \"3\""));
        assert!(
            lines[4].contains(" - ") && lines[4].contains("extension .zz"),
            "{text}"
        );
        assert_eq!(lines[5], "4 submissions judged: AC 2, WA 1, IE 1");
    }
}

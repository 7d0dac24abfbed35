//! What `GET /metrics` says, in Prometheus' text format: what the server did (runs and
//! submissions by outcome, how long they took and waited, CPU time judged, refused and failed
//! requests) and, read at each scrape, what the pool and the file store hold (environments
//! built, reused and replaced, cgroup errors, busy workers, queue depth, stored files).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use judge_engine::pool::Pool;
use judge_engine::service::files::FileStore;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// Every metric the server keeps.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    commands: Family<Labels, Counter>,
    run_seconds: Histogram,
    submissions: Family<Labels, Counter>,
    queue_wait: Histogram,
    judge_seconds: Histogram,
    cpu_seconds: Counter<f64, AtomicU64>,
    errors: Family<Labels, Counter>,
    /// Submissions waiting for a judging thread.
    pub queue_depth: Gauge,
    /// go-judge requests running or waiting for a worker.
    pub runs_in_flight: Gauge,
}

/// Read at each scrape: the pool's and the file store's own counters.
#[derive(Debug)]
struct Engine {
    pool: Arc<Pool>,
    store: Arc<FileStore>,
}

impl Collector for Engine {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.pool.stats();
        let usage = self.store.usage();
        let counters = [
            (
                "judge_sandbox_runs",
                "Runs started on the pool's workers",
                stats.runs,
            ),
            (
                "judge_environments_built",
                "Sandbox environments built",
                stats.envs_built,
            ),
            (
                "judge_environments_reused",
                "Runs in an environment built before",
                stats.envs_reused,
            ),
            (
                "judge_environments_replaced",
                "Environments found broken and replaced",
                stats.envs_replaced,
            ),
            (
                "judge_environment_failures",
                "Environments that could not be built",
                stats.env_failures,
            ),
            (
                "judge_runs_retried",
                "Runs retried on a fresh environment after theirs failed before the start",
                stats.runs_retried,
            ),
            (
                "judge_cgroup_errors",
                "Runs that failed on a cgroup error",
                stats.cgroup_errors,
            ),
            (
                "judge_files_evicted",
                "Stored files evicted to make room",
                usage.evicted,
            ),
            (
                "judge_files_expired",
                "Stored files removed unused past their age",
                usage.expired,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let gauges = [
            (
                "judge_workers",
                "Workers of the pool",
                self.pool.workers() as i64,
            ),
            (
                "judge_workers_busy",
                "Workers running a job now",
                stats.busy as i64,
            ),
            (
                "judge_files_stored",
                "Files in the file store",
                usage.files as i64,
            ),
            (
                "judge_file_store_bytes",
                "Bytes in the file store",
                usage.bytes as i64,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

fn seconds() -> Histogram {
    // 1 ms to about 65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

impl Metrics {
    pub fn new(pool: Arc<Pool>, store: Arc<FileStore>) -> Metrics {
        let mut registry = Registry::default();
        let commands = Family::<Labels, Counter>::default();
        let run_seconds = seconds();
        let submissions = Family::<Labels, Counter>::default();
        let queue_wait = seconds();
        let judge_seconds = seconds();
        let cpu_seconds = Counter::<f64, AtomicU64>::default();
        let errors = Family::<Labels, Counter>::default();
        let queue_depth = Gauge::default();
        let runs_in_flight = Gauge::default();
        registry.register(
            "judge_commands",
            "go-judge commands run, by status",
            commands.clone(),
        );
        registry.register(
            "judge_run_request_seconds",
            "Wall time of a go-judge /run request, queue included",
            run_seconds.clone(),
        );
        registry.register(
            "judge_submissions",
            "Submissions judged, by verdict (or cancelled, failed)",
            submissions.clone(),
        );
        registry.register(
            "judge_submission_queue_wait_seconds",
            "Time a submission waited before its judging started",
            queue_wait.clone(),
        );
        registry.register(
            "judge_submission_seconds",
            "Wall time of judging one submission",
            judge_seconds.clone(),
        );
        registry.register(
            "judge_cpu_seconds",
            "CPU time of the programs run (commands and tests)",
            cpu_seconds.clone(),
        );
        registry.register(
            "judge_request_errors",
            "Requests refused or failed, by kind",
            errors.clone(),
        );
        registry.register(
            "judge_submission_queue_depth",
            "Submissions waiting to be judged",
            queue_depth.clone(),
        );
        registry.register(
            "judge_runs_in_flight",
            "go-judge requests running or waiting for a worker",
            runs_in_flight.clone(),
        );
        registry.register_collector(Box::new(Engine { pool, store }));
        Metrics {
            registry,
            commands,
            run_seconds,
            submissions,
            queue_wait,
            judge_seconds,
            cpu_seconds,
            errors,
            queue_depth,
            runs_in_flight,
        }
    }

    /// A go-judge request answered: each command's status and CPU time.
    pub fn ran(&self, statuses: &[(&'static str, Duration)], took: Duration) {
        for (status, cpu) in statuses {
            self.commands
                .get_or_create(&vec![("status", (*status).to_owned())])
                .inc();
            self.cpu_seconds.inc_by(cpu.as_secs_f64());
        }
        self.run_seconds.observe(took.as_secs_f64());
    }

    /// A submission started after waiting `waited`.
    pub fn started(&self, waited: Duration) {
        self.queue_wait.observe(waited.as_secs_f64());
    }

    /// A submission ended: its verdict (or `cancelled`, `failed`), its tests' CPU time and how
    /// long judging took.
    pub fn judged(&self, outcome: &str, cpu: Duration, took: Duration) {
        self.submissions
            .get_or_create(&vec![("verdict", outcome.to_owned())])
            .inc();
        self.cpu_seconds.inc_by(cpu.as_secs_f64());
        self.judge_seconds.observe(took.as_secs_f64());
    }

    /// A request refused or failed: `bad_request`, `unauthorized`, `busy`, `internal`, ...
    pub fn error(&self, kind: &'static str) {
        self.errors
            .get_or_create(&vec![("kind", kind.to_owned())])
            .inc();
    }

    /// The text a scrape gets.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

//! The command line: raw flags become validated values here, and every usage error is born here.
//! The bounds of the limit flags, and their messages, are the engine's ([`limits`]), the same
//! as for a package's or a profile's limits.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use judge_engine::limits::{self, Source};

/// judge: compile, run and check contest submissions in a Linux sandbox.
#[derive(Debug, Parser)]
#[command(name = "judge", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge one submission (a source file, or a directory of files) against a directory of
    /// tests or a problem package.
    Run(RunArgs),
    /// Measure what isolation costs on this host, layer by layer, and judging throughput.
    Bench(BenchArgs),
    /// Judge many submissions against one problem, several at once, into report files that
    /// survive an interruption.
    Batch(BatchArgs),
    /// Check a problem package: every file under submissions/<expected verdict>/ must get
    /// that verdict.
    Verify(VerifyArgs),
    /// List the language profiles and the toolchain this host has for each (its version) or
    /// what is missing.
    Languages(LanguagesArgs),
    /// Serve the engine over HTTP: go-judge's API (/run, /file, /version, /config, /ws), a
    /// judging API of its own (/problems, /submissions) and /metrics, /healthz, /readyz.
    Serve(ServeArgs),
    /// Judge jobs from a NATS JetStream server (`judge batch --nats`, `judge serve --nats`)
    /// on this machine's pool, until SIGTERM.
    Worker(WorkerArgs),
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The NATS server (JetStream enabled), e.g. nats://10.0.0.1:4222.
    #[arg(long, value_name = "URL")]
    pub nats: String,
    /// Jobs judged at once, each on a worker pinned to one CPU (default: the number of CPUs).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// The CPUs its workers are pinned to, e.g. 2-3 or 0,4 (default: every CPU this process
    /// may use; give each worker process of a machine its own).
    #[arg(long, value_name = "LIST", value_parser = cpu_list)]
    pub cpus: Option<CpuList>,
    /// This worker's name in logs, attempts and results (default: HOSTNAME-PID).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The consumer's AckWait when this worker creates it (the first worker does): a job
    /// whose worker sends no progress for this long is delivered again, as for --time-limit.
    #[arg(long, value_name = "T", default_value = "30s", value_parser = ttl)]
    pub ack_wait: Duration,
    /// Build a fresh sandbox for every run instead of reusing one environment per worker.
    #[arg(long)]
    pub fresh: bool,
    /// Add or override language profiles from the *.toml files of DIR (may repeat).
    #[arg(long, value_name = "DIR")]
    pub profiles: Vec<PathBuf>,
    /// Keep compiled submissions (by content) in DIR (default: $XDG_CACHE_HOME/judge, else
    /// ~/.cache/judge).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    /// Compile every submission from scratch, without precompiled headers.
    #[arg(long)]
    pub no_cache: bool,
    /// Log JSON lines instead of text (on stderr).
    #[arg(long)]
    pub log_json: bool,
    /// The first host uid and gid of sandboxed programs, as for `judge run` (give each worker
    /// process of a machine its own range: each uses 2 × (jobs + 1) of each).
    #[arg(long, value_name = "UID:GID", value_parser = id_pair)]
    pub host_ids: Option<(u32, u32)>,
    /// The uid and gid programs see inside the sandbox (default 1000:1000; not 0).
    #[arg(long, value_name = "UID:GID", value_parser = id_pair)]
    pub inside_ids: Option<(u32, u32)>,
    /// How runs are isolated, as for `judge run`.
    #[arg(long, value_parser = backend)]
    pub sandbox: Option<judge_engine::sandbox::Backend>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen (port 0: any free port; the address taken is printed on stdout).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5050")]
    pub listen: std::net::SocketAddr,
    /// Require `Authorization: Bearer TOKEN` on every endpoint but /version, /config,
    /// /healthz, /readyz and /metrics.
    #[arg(long, value_name = "TOKEN")]
    pub auth_token: Option<String>,
    /// A host directory go-judge `src` files may be read from (may repeat; none by default).
    #[arg(long = "allow-src", value_name = "DIR")]
    pub allow_src: Vec<PathBuf>,
    /// A directory of problem packages, each subdirectory one, known by its name.
    #[arg(long, value_name = "DIR")]
    pub problems: Option<PathBuf>,
    /// Submissions waiting at most; more are refused with 429 and Retry-After.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=100000))]
    pub queue: u64,
    /// go-judge requests running or waiting at most; more are refused with 429.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=100000))]
    pub max_runs: u64,
    /// The largest request body, as for --memory-limit.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = body_size)]
    pub max_body: u64,
    /// The file store's size (go-judge's /file and copyOutCached), as for --memory-limit.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = body_size)]
    pub file_store_size: u64,
    /// How long a stored file nobody uses is kept, as for --time-limit.
    #[arg(long, value_name = "T", default_value = "1h", value_parser = ttl)]
    pub file_ttl: Duration,
    /// Keep every finished submission's result in DIR/submissions.jsonl (appended and synced
    /// as each finishes) and load them at start: a restart or a crash loses none.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Log JSON lines instead of text (on stderr).
    #[arg(long)]
    pub log_json: bool,
    /// Judge submissions (/submissions) on the `judge worker`s of this NATS server instead of
    /// here; go-judge's /run still runs here.
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

#[derive(Debug, Args)]
pub struct LanguagesArgs {
    /// Print a JSON list instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Add or override language profiles from the *.toml files of DIR (may repeat).
    #[arg(long, value_name = "DIR")]
    pub profiles: Vec<PathBuf>,
}

/// Options shared by the commands that judge.
#[derive(Debug, Args)]
pub struct JudgeArgs {
    /// Time limit per test: 1, 1.5, 500ms or 2s (default: the package's, else 1 s).
    #[arg(long, value_parser = time_limit)]
    pub time_limit: Option<Duration>,
    /// Memory limit: 256 (MiB), 256M, 256MiB or 1G (default: the package's, else 256 MiB).
    #[arg(long, value_parser = memory_limit)]
    pub memory_limit: Option<u64>,
    /// Output limit, as for --memory-limit (default: the package's, else 64 MiB).
    #[arg(long, value_parser = output_limit)]
    pub output_limit: Option<u64>,
    /// Workers, each pinned to one CPU (default: the number of CPUs).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Build a fresh sandbox for every run instead of reusing one environment per worker.
    #[arg(long)]
    pub fresh: bool,
    /// The CPUs the workers are pinned to, e.g. 2-3 or 0,4 (default: every CPU this process
    /// may use; two judges on one machine share none only when given disjoint lists).
    #[arg(long, value_name = "LIST", value_parser = cpu_list)]
    pub cpus: Option<CpuList>,
    /// Check outputs with this built-in checker instead of the default validator: default
    /// (tokens, validator flags), exact (byte for byte) or lines (trailing whitespace ignored).
    #[arg(long, value_parser = ["default", "exact", "lines"])]
    pub checker: Option<String>,
    /// Add or override language profiles from the *.toml files of DIR (may repeat).
    #[arg(long, value_name = "DIR")]
    pub profiles: Vec<PathBuf>,
    /// The wall-clock limit of each test, as for --time-limit (default: the CPU limit plus the
    /// larger of 1 s and half of it; interactive problems: of submission and interactor
    /// together, default twice the CPU limit).
    #[arg(long, value_parser = wall_limit)]
    pub wall_limit: Option<Duration>,
    /// Keep compiled submissions (by content) and precompiled headers in DIR (default:
    /// $XDG_CACHE_HOME/judge, else ~/.cache/judge).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    /// Compile every submission from scratch, without precompiled headers.
    #[arg(long)]
    pub no_cache: bool,
    /// The submission's network: none (no interface up) or loopback (its own 127.0.0.1 and
    /// ::1, nothing else) (default: its profile's `run.network`, else none).
    #[arg(long, value_parser = network)]
    pub network: Option<judge_engine::sandbox::Network>,
    /// The first host uid and gid of sandboxed programs (default 60000:60000): worker k's
    /// programs run as UID+2k and GID+2k, their namespaces' roots one above; runs beside the
    /// workers (compiles) as k = 0. No host account may own any of them.
    #[arg(long, value_name = "UID:GID", value_parser = id_pair)]
    pub host_ids: Option<(u32, u32)>,
    /// The uid and gid programs see inside the sandbox (default 1000:1000; not 0).
    #[arg(long, value_name = "UID:GID", value_parser = id_pair)]
    pub inside_ids: Option<(u32, u32)>,
    /// How runs are isolated: namespaces, or ptrace (no namespaces: a tracer checks every
    /// path; for hosts without namespaces) (default: namespaces where this host allows them,
    /// else ptrace with a warning; a profile's `sandbox` key wins for its steps).
    #[arg(long, value_parser = backend)]
    pub sandbox: Option<judge_engine::sandbox::Backend>,
}

fn backend(text: &str) -> Result<judge_engine::sandbox::Backend, String> {
    judge_engine::sandbox::Backend::parse(text)
        .ok_or_else(|| format!("{text:?}: write namespaces or ptrace"))
}

fn id_pair(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{text:?}: write UID:GID, two ids between 1 and 4294967293");
    let (uid, gid) = text.split_once(':').ok_or_else(bad)?;
    let id = |s: &str| match s.parse::<u32>() {
        Ok(n) if n > 0 && n < u32::MAX - 1 => Ok(n),
        _ => Err(bad()),
    };
    Ok((id(uid)?, id(gid)?))
}

fn network(text: &str) -> Result<judge_engine::sandbox::Network, String> {
    judge_engine::sandbox::Network::parse(text)
        .ok_or_else(|| format!("{text:?}: write none or loopback"))
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The submission: a source file, or a directory of files (language by most files).
    pub source: PathBuf,
    /// A directory of NAME.in with NAME.ans or NAME.out, or a Kattis/ICPC problem package.
    #[arg(long, value_name = "DIR")]
    pub tests: PathBuf,
    /// The language profile (default: chosen by the source's extension).
    #[arg(long, value_name = "NAME")]
    pub lang: Option<String>,
    /// Run every test, even after one fails.
    #[arg(long)]
    pub all: bool,
    /// Print one JSON document on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Interactive problems: write what crossed the pipes in each test (capped) to
    /// DIR/<test name>.transcript.
    #[arg(long, value_name = "DIR")]
    pub transcript: Option<PathBuf>,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Rounds: every layer (or language) is measured once per round, interleaved with the
    /// others (default: 15 for layers, 5 for languages).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10000))]
    pub rounds: Option<u64>,
    /// Runs of /bin/true per layer and round.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=100000))]
    pub runs: u64,
    /// A+B tests for the throughput figure (default 1000), or per language and round (10).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100000))]
    pub tests: Option<u64>,
    /// Instead of the layers: each language's compile and per-test cost through the judge
    /// against its commands run bare, for the profiles named (comma-separated; all when none
    /// is), on PROGRAMS/<profile>/accepted.*.
    #[arg(long, value_name = "PROFILES", value_delimiter = ',', num_args = 0..)]
    pub languages: Option<Vec<String>>,
    /// Where --languages finds its programs.
    #[arg(long, value_name = "DIR", default_value = "testcases/languages")]
    pub programs: PathBuf,
    /// Add or override language profiles from the *.toml files of DIR (may repeat).
    #[arg(long, value_name = "DIR")]
    pub profiles: Vec<PathBuf>,
    /// Measure throughput with a fresh sandbox per run instead of reused environments.
    #[arg(long)]
    pub fresh: bool,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// CPU numbers, each once (`--cpus`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuList(pub Vec<usize>);

/// `2`, `0-3`, `0,4-5`: CPU numbers below 4096, each once.
fn cpu_list(text: &str) -> Result<CpuList, String> {
    let bad = || format!("{text:?}: a list of CPUs such as 2, 0-3 or 0,4-5");
    let mut cpus = Vec::new();
    for part in text.split(',') {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part.trim(), part.trim()),
        };
        let first: usize = first.parse().map_err(|_| bad())?;
        let last: usize = last.parse().map_err(|_| bad())?;
        if first > last || last >= 4096 {
            return Err(bad());
        }
        for cpu in first..=last {
            if cpus.contains(&cpu) {
                return Err(format!("{text:?}: CPU {cpu} is listed twice"));
            }
            cpus.push(cpu);
        }
    }
    Ok(CpuList(cpus))
}

fn body_size(text: &str) -> Result<u64, String> {
    parse_size("--max-body", text)
}

/// A duration that may exceed the time limits' hour: `90s`, `30m`, `1h`, `2d`.
fn ttl(text: &str) -> Result<Duration, String> {
    let (number, unit) =
        text.split_at(text.find(|c: char| c.is_alphabetic()).unwrap_or(text.len()));
    let scale = match unit {
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return Err(format!("{text:?}: a duration such as 90s, 30m, 1h or 2d")),
    };
    number
        .parse::<f64>()
        .ok()
        .filter(|n| *n > 0.0 && n.is_finite())
        .and_then(|n| Duration::try_from_secs_f64(n * scale).ok())
        .ok_or_else(|| format!("{text:?}: a duration above 0 such as 90s, 30m, 1h or 2d"))
}

fn time_limit(text: &str) -> Result<Duration, String> {
    parse_time("--time-limit", text)
}

fn wall_limit(text: &str) -> Result<Duration, String> {
    parse_time("--wall-limit", text)
}

fn memory_limit(text: &str) -> Result<u64, String> {
    parse_size("--memory-limit", text)
}

fn output_limit(text: &str) -> Result<u64, String> {
    parse_size("--output-limit", text)
}

/// `1`, `1.5`, `500ms`, `2s`, for `flag`, within the engine's bounds on a time limit.
pub fn parse_time(flag: &'static str, text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a time: write 1, 1.5, 500ms or 2s"))?;
    limits::time_secs(Source::Flag(flag), value * scale).map_err(|e| e.to_string())
}

/// `256` (MiB), `256M`, `256MiB`, `1G`, `1GiB`, `512K`, `512KiB`, for `flag`, within the
/// engine's bounds on a size (the host's memory).
pub fn parse_size(flag: &'static str, text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: u64 = match unit.trim() {
        "" | "M" | "MiB" | "MB" | "m" => 1 << 20,
        "G" | "GiB" | "GB" | "g" => 1 << 30,
        "K" | "KiB" | "KB" | "k" => 1 << 10,
        _ => {
            return Err(format!(
                "{text:?} is not a size: write 256 (MiB), 256M, 256MiB or 1G"
            ))
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size: write 256 (MiB), 256M, 256MiB or 1G"))?;
    limits::size_bytes(Source::Flag(flag), value * scale as f64).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
#[command(mut_arg("jobs", |a| a.help("Submissions to judge at once (default: the number of CPUs)")))]
pub struct BatchArgs {
    /// The problem: a directory of tests or a Kattis/ICPC problem package.
    #[arg(long, value_name = "DIR")]
    pub problem: PathBuf,
    /// Source files, or directories of them (walked recursively, hidden files skipped).
    #[arg(required = true, value_name = "SUBMISSION")]
    pub submissions: Vec<PathBuf>,
    /// Append each submission's full result to FILE as it finishes, as JSON Lines.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Append each submission's result to FILE as it finishes, as a CSV row.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Skip the submissions already recorded in the --json and --csv files.
    #[arg(long)]
    pub resume: bool,
    /// Judge on the `judge worker`s of this NATS server instead of here: the package is
    /// uploaded once, one job per submission is enqueued, results are collected as they come.
    #[arg(long, value_name = "URL", conflicts_with_all = ["jobs", "fresh", "cpus"])]
    pub nats: Option<String>,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

#[derive(Debug, Args)]
#[command(mut_arg("jobs", |a| a.help("Submissions to judge at once (default: the number of CPUs)")))]
pub struct VerifyArgs {
    /// The problem package: tests under data/, submissions under submissions/<expected>/.
    pub problem: PathBuf,
    /// Print one JSON document: the time limit and how it was chosen, and a record per
    /// submission.
    #[arg(long)]
    pub json: bool,
    /// Do not run the package's input validators on its inputs first.
    #[arg(long)]
    pub no_input_validation: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_in_every_form_and_bad_ones_refused() {
        assert_eq!(cpu_list("2"), Ok(CpuList(vec![2])));
        assert_eq!(cpu_list("0-3"), Ok(CpuList(vec![0, 1, 2, 3])));
        assert_eq!(cpu_list("0,4-5"), Ok(CpuList(vec![0, 4, 5])));
        for bad in ["", "x", "3-1", "1-", "-1", "1,,2", "99999"] {
            assert!(cpu_list(bad).is_err(), "{bad}");
        }
        assert!(cpu_list("1,0-2")
            .unwrap_err()
            .contains("CPU 1 is listed twice"));
    }

    #[test]
    fn times_in_every_accepted_form() {
        assert_eq!(time_limit("1"), Ok(Duration::from_secs(1)));
        assert_eq!(time_limit("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(time_limit("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(time_limit("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(time_limit("3600"), Ok(Duration::from_secs(3600)));
    }

    #[test]
    fn unreadable_times_are_refused_with_the_forms_named() {
        for bad in ["", "x", "1h", "1 hour"] {
            let err = time_limit(bad).unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
            assert!(err.contains("write 1, 1.5, 500ms or 2s"), "{err}");
        }
    }

    #[test]
    fn times_out_of_bounds_are_refused_with_the_engines_message() {
        for (bad, value) in [
            ("0", "0 s"),
            ("-1", "-1 s"),
            ("nan", "NaN s"),
            ("inf", "inf s"),
            ("3601", "3601 s"),
            ("7200000ms", "7200 s"),
            ("1e300", "1e300 s"),
            ("1e-10", "1e-10 s"),
        ] {
            assert_eq!(
                time_limit(bad).unwrap_err(),
                format!("--time-limit: {value}: a time limit must be above 0 and at most an hour")
            );
        }
        let err = wall_limit("0").unwrap_err();
        assert!(err.starts_with("--wall-limit: 0 s: "), "{err}");
    }

    #[test]
    fn sizes_in_every_accepted_form() {
        assert_eq!(memory_limit("256"), Ok(256 << 20));
        assert_eq!(memory_limit("256M"), Ok(256 << 20));
        assert_eq!(memory_limit("256MiB"), Ok(256 << 20));
        assert_eq!(memory_limit("1G"), Ok(1 << 30));
        assert_eq!(memory_limit("512K"), Ok(512 << 10));
        assert_eq!(memory_limit("1.5G"), Ok(3 << 29));
    }

    #[test]
    fn bad_sizes_are_refused() {
        for bad in ["", "M", "12X", "0", "-5", "1T", "1e300", "0.0000001K"] {
            assert!(memory_limit(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn sizes_beyond_the_host_are_refused_with_the_engines_message() {
        let host_gib = judge_engine::limits::host_memory() >> 30;
        let err = memory_limit(&format!("{}G", host_gib + 1)).unwrap_err();
        assert!(
            err.starts_with(&format!(
                "--memory-limit: {} GiB: a size must be above 0",
                host_gib + 1
            )),
            "{err}"
        );
        assert!(err.contains("at most the host's memory ("), "{err}");
        let err = output_limit("0").unwrap_err();
        assert!(err.starts_with("--output-limit: 0 bytes: a size"), "{err}");
        let err = output_limit("99999999999999999999999G").unwrap_err();
        assert!(err.starts_with("--output-limit: "), "{err}");
    }

    #[test]
    fn a_flag_out_of_bounds_is_a_usage_error() {
        let err = Cli::try_parse_from([
            "judge",
            "run",
            "a.c",
            "--tests",
            "t",
            "--time-limit",
            "7200",
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains("--time-limit: 7200 s: a time limit must be above 0 and at most an hour"),
            "{err}"
        );
    }

    #[test]
    fn the_command_line_parses() {
        let cli = Cli::try_parse_from([
            "judge",
            "run",
            "a.cpp",
            "--tests",
            "t",
            "--time-limit",
            "2s",
            "--memory-limit",
            "1G",
            "--all",
            "--json",
            "--jobs",
            "2",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!("not run")
        };
        assert_eq!(run.judge.time_limit, Some(Duration::from_secs(2)));
        assert_eq!(run.judge.memory_limit, Some(1 << 30));
        assert!(run.all && run.json);
        assert_eq!(run.judge.jobs, Some(2));
    }
}

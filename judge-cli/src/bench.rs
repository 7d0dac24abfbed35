//! `judge bench`: the cost of isolation on this host, layer by layer, and judging throughput.

use std::sync::Arc;
use std::time::Duration;

use judge_engine::bench::{self, BenchReport, LanguageBench, LanguageFigure, Skipped};
use judge_engine::profile::ProfileSet;
use judge_engine::sandbox::Sandbox;
use serde::Serialize;

use crate::args::BenchArgs;
use crate::{setup, Done, Failure};

#[derive(Serialize)]
struct JsonLayer<'a> {
    layer: &'a str,
    per_run_us: f64,
    ratio: f64,
}

#[derive(Serialize)]
struct JsonThroughput {
    workers: usize,
    tests: usize,
    elapsed_ms: u64,
    runs_per_second: f64,
    reused_environments: bool,
}

#[derive(Serialize)]
struct JsonBench<'a> {
    runs_per_layer: usize,
    layers: Vec<JsonLayer<'a>>,
    throughput: Vec<JsonThroughput>,
}

pub fn run(args: &BenchArgs) -> Result<Done, Failure> {
    let sandbox = Arc::new(setup::default_sandbox()?);
    if let Some(only) = &args.languages {
        return languages(&sandbox, args, only);
    }
    let rounds = args.rounds.unwrap_or(15);
    let tests = args.tests.unwrap_or(1000);
    eprintln!(
        "judge: measuring {} layers over {} rounds of {} runs, then {} A+B tests...",
        if sandbox.is_rootless() || sandbox.backend() == judge_engine::sandbox::Backend::Ptrace {
            3
        } else {
            16
        },
        rounds,
        args.runs,
        tests
    );
    let layers = bench::layers(&sandbox, rounds as usize, args.runs as usize)?;
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut workers = vec![1];
    if all > 1 {
        workers.push(all);
    }
    // A rootless or traced sandbox has no environments to reuse.
    let reuse = !args.fresh
        && !sandbox.is_rootless()
        && sandbox.backend() == judge_engine::sandbox::Backend::Namespaces;
    let throughput = bench::throughput(&sandbox, tests as usize, &workers, reuse)?;
    let report = BenchReport { layers, throughput };
    if args.json {
        let doc = JsonBench {
            runs_per_layer: (rounds * args.runs) as usize,
            layers: report
                .layers
                .iter()
                .map(|l| JsonLayer {
                    layer: &l.name,
                    per_run_us: l.per_run.as_secs_f64() * 1e6,
                    ratio: l.ratio,
                })
                .collect(),
            throughput: report
                .throughput
                .iter()
                .map(|t| JsonThroughput {
                    workers: t.workers,
                    tests: t.tests,
                    elapsed_ms: t.elapsed.as_millis() as u64,
                    runs_per_second: t.runs_per_second,
                    reused_environments: reuse,
                })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!("{}", table(&report, reuse));
    }
    Ok(Done::Judged)
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn table(report: &BenchReport, reuse: bool) -> String {
    let mut out = String::from("/bin/true, median time per run\n");
    let width = report
        .layers
        .iter()
        .map(|l| l.name.len())
        .max()
        .unwrap_or(5);
    for l in &report.layers {
        out.push_str(&format!(
            "  {:<width$}  {:>10}  {:>5.2}x\n",
            l.name,
            ms(l.per_run),
            l.ratio
        ));
    }
    out.push_str(&format!(
        "judging throughput, {} environments\n",
        if reuse { "reused" } else { "fresh" }
    ));
    for t in &report.throughput {
        out.push_str(&format!(
            "  {} A+B tests, {} worker{}: {:.0} runs/s ({})\n",
            t.tests,
            t.workers,
            if t.workers == 1 { "" } else { "s" },
            t.runs_per_second,
            ms(t.elapsed)
        ));
    }
    out
}

#[derive(Serialize)]
struct JsonLanguage<'a> {
    profile: &'a str,
    compile_ms: Option<f64>,
    bare_compile_ms: Option<f64>,
    compile_ratio: Option<f64>,
    test_ms: f64,
    bare_test_ms: f64,
    test_ratio: f64,
    bare_one_cpu_test_ms: f64,
    one_cpu_test_ratio: f64,
}

#[derive(Serialize)]
struct JsonLanguages<'a> {
    rounds: u64,
    tests_per_round: u64,
    languages: Vec<JsonLanguage<'a>>,
    skipped: Vec<JsonSkipped<'a>>,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    profile: &'a str,
    why: &'a str,
}

fn languages(sandbox: &Arc<Sandbox>, args: &BenchArgs, only: &[String]) -> Result<Done, Failure> {
    let profiles = ProfileSet::load_with_overrides(None, &args.profiles)?;
    let rounds = args.rounds.unwrap_or(5);
    let tests = args.tests.unwrap_or(10);
    eprintln!(
        "judge: measuring each language over {rounds} rounds of a compile and {tests} A+B tests, \
         through the judge and bare..."
    );
    let (figures, skipped) = bench::languages(
        sandbox,
        &LanguageBench {
            profiles: &profiles,
            programs: &args.programs,
            only,
            rounds: rounds as usize,
            tests: tests as usize,
        },
    )?;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    if args.json {
        let doc = JsonLanguages {
            rounds,
            tests_per_round: tests,
            languages: figures
                .iter()
                .map(|f| JsonLanguage {
                    profile: &f.profile,
                    compile_ms: f.compile.map(|c| ms(c.0)),
                    bare_compile_ms: f.compile.map(|c| ms(c.1)),
                    compile_ratio: f.compile.map(|c| ratio(c.0, c.1)),
                    test_ms: ms(f.test.0),
                    bare_test_ms: ms(f.test.1),
                    test_ratio: ratio(f.test.0, f.test.1),
                    bare_one_cpu_test_ms: ms(f.test_one_cpu),
                    one_cpu_test_ratio: ratio(f.test.0, f.test_one_cpu),
                })
                .collect(),
            skipped: skipped
                .iter()
                .map(|s| JsonSkipped {
                    profile: &s.profile,
                    why: &s.why,
                })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!("{}", language_table(&figures, &skipped));
    }
    Ok(Done::Judged)
}

fn ratio(judged: Duration, bare: Duration) -> f64 {
    judged.as_secs_f64() / bare.as_secs_f64().max(1e-9)
}

fn language_table(figures: &[LanguageFigure], skipped: &[Skipped]) -> String {
    let mut out = format!(
        "{:<12}  {:>10}  {:>10}  {:>6}  {:>10}  {:>10}  {:>6}  {:>10}  {:>6}\n",
        "language", "compile", "bare", "ratio", "per test", "bare", "ratio", "bare 1 CPU", "ratio"
    );
    for f in figures {
        let compile = match f.compile {
            Some((judged, bare)) => format!(
                "{:>10}  {:>10}  {:>5.2}x",
                ms(judged),
                ms(bare),
                ratio(judged, bare)
            ),
            None => format!("{:>10}  {:>10}  {:>6}", "-", "-", "-"),
        };
        out.push_str(&format!(
            "{:<12}  {compile}  {:>10}  {:>10}  {:>5.2}x  {:>10}  {:>5.2}x\n",
            f.profile,
            ms(f.test.0),
            ms(f.test.1),
            ratio(f.test.0, f.test.1),
            ms(f.test_one_cpu),
            ratio(f.test.0, f.test_one_cpu)
        ));
    }
    for s in skipped {
        out.push_str(&format!("{:<12}  skipped: {}\n", s.profile, s.why));
    }
    out
}

//! `judge bench`: the cost of isolation on this host, layer by layer, and judging throughput.

use std::sync::Arc;
use std::time::Duration;

use judge_engine::bench::{self, BenchReport};
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
    crate::require_root()?;
    let sandbox = Arc::new(setup::sandbox()?);
    eprintln!(
        "judge: measuring {} layers over {} rounds of {} runs, then {} A+B tests...",
        12, args.rounds, args.runs, args.tests
    );
    let layers = bench::layers(&sandbox, args.rounds as usize, args.runs as usize)?;
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut workers = vec![1];
    if all > 1 {
        workers.push(all);
    }
    let throughput = bench::throughput(&sandbox, args.tests as usize, &workers, !args.fresh)?;
    let report = BenchReport { layers, throughput };
    if args.json {
        let doc = JsonBench {
            runs_per_layer: (args.rounds * args.runs) as usize,
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
                    reused_environments: !args.fresh,
                })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!("{}", table(&report, !args.fresh));
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

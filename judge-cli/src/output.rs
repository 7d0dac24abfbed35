//! How results are shown: a progress bar while tests run (on a terminal only), then a table with
//! coloured verdicts, or one JSON document. A scored problem's table adds each test's points and
//! a table of its groups; its JSON adds `score` and `groups`. A pass-fail problem's output has
//! neither.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use judge_engine::judge::{GroupReport, Report, TestReport};
use judge_engine::verdict::{signal_name, Verdict};
use serde::Serialize;

use crate::report::{groups_json, points, CompileJson, GroupJson, TestJson};

/// A progress bar on stderr, drawn only when stderr is a terminal.
pub fn progress(tests: usize, enabled: bool) -> ProgressBar {
    let target = if enabled && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(tests as u64), target);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:10} [{bar:30}] {pos}/{len} tests {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("compiling");
    bar
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

#[derive(Serialize)]
struct JsonReport<'a> {
    verdict: &'a str,
    compile: CompileJson,
    tests: Vec<TestJson>,
    time_ms: u64,
    memory_kib: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<GroupJson>>,
}

fn json_report(report: &Report) -> JsonReport<'_> {
    JsonReport {
        verdict: report.verdict.code(),
        compile: CompileJson::from(&report.compile),
        tests: report.tests.iter().map(TestJson::from).collect(),
        time_ms: ms(report.time),
        memory_kib: report.memory / 1024,
        score: report.score,
        groups: groups_json(report),
    }
}

/// The report as the one JSON document `--json` prints.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(&json_report(report)).unwrap_or_default()
}

/// The same document as a value (`judge serve` answers it).
pub fn json_value(report: &Report) -> serde_json::Value {
    serde_json::to_value(json_report(report)).unwrap_or_default()
}

/// ANSI colours, only for a terminal.
pub struct Paint {
    enabled: bool,
}

impl Paint {
    pub fn stdout() -> Paint {
        Paint {
            enabled: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    /// No colours, whatever stdout is.
    #[cfg(test)]
    pub fn plain() -> Paint {
        Paint { enabled: false }
    }

    pub fn verdict(&self, v: Verdict) -> String {
        let code = match v {
            Verdict::AC => "32",
            Verdict::WA | Verdict::RE | Verdict::CE => "31",
            Verdict::TLE | Verdict::MLE | Verdict::OLE => "33",
            Verdict::IE => "35",
        };
        self.wrap(code, &format!("{:<3}", v.code()))
    }

    pub fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }

    fn wrap(&self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

/// The human report: compile line, table, the first failure's details; a scored problem's
/// groups and score.
pub fn table(report: &Report) -> String {
    render(report, &Paint::stdout())
}

fn render(report: &Report, paint: &Paint) -> String {
    let mut out = String::new();
    let c = &report.compile;
    if c.ok && c.cached {
        out.push_str(&format!(
            "compiled before (in {}): the same files, from the cache\n",
            seconds(c.time)
        ));
    } else if c.ok {
        out.push_str(&format!("compiled in {}\n", seconds(c.time)));
    } else {
        out.push_str(&format!("{} compile error\n", paint.verdict(Verdict::CE)));
        out.push_str(c.message.trim_end());
        out.push('\n');
        if let Some(score) = report.score {
            out.push_str(&format!("score {}\n", of(score, total(report))));
        }
        return out;
    }
    let width = report
        .tests
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let scored = report.score.is_some();
    // A scored problem's tests show the points they counted for.
    let score_column = |text: &str| {
        if scored {
            format!("  {text:>7}")
        } else {
            String::new()
        }
    };
    out.push_str(&paint.dim(&format!(
        "{:<width$}  {:<7}  {:>9}  {:>10}{}\n",
        "test",
        "verdict",
        "time",
        "memory",
        score_column("score")
    )));
    for t in &report.tests {
        out.push_str(&format!(
            "{:<width$}  {}      {:>9}  {:>10}{}  {}\n",
            t.name,
            paint.verdict(t.verdict),
            seconds(t.time),
            mib(t.memory),
            score_column(&t.score.map_or("-".to_owned(), points)),
            paint.dim(&short(t)),
        ));
    }
    let failed = report.tests.iter().find(|t| t.verdict != Verdict::AC);
    if let Some(failed) = failed {
        out.push_str(&details(failed));
    }
    if scored {
        if failed.is_none() {
            out.push('\n');
        }
        out.push_str(&groups(&report.groups, paint));
    }
    let score = match report.score {
        Some(score) => format!("  score {}", of(score, total(report))),
        None => String::new(),
    };
    out.push_str(&format!(
        "verdict {}{score}  max time {}  max memory {}  (limits {}, {})\n",
        paint.verdict(report.verdict),
        seconds(report.time),
        mib(report.memory),
        seconds(report.limits.time),
        mib(report.limits.memory),
    ));
    out
}

/// The most a submission can score: the top-level groups' maxima (`sample` has 0), `None` when
/// one is unknown.
fn total(report: &Report) -> Option<f64> {
    report
        .groups
        .iter()
        .filter(|g| !g.name.contains('/'))
        .map(|g| g.max_score)
        .sum()
}

/// `score / max`, or the score alone when the maximum is unknown.
fn of(score: f64, max: Option<f64>) -> String {
    match max {
        Some(max) => format!("{} / {}", points(score), points(max)),
        None => points(score),
    }
}

/// The groups of a scored problem, subgroups indented under their parents.
fn groups(groups: &[GroupReport], paint: &Paint) -> String {
    let label = |g: &GroupReport| {
        let depth = g.name.matches('/').count();
        let last = g.name.rsplit('/').next().unwrap_or(&g.name);
        format!(
            "{}{}",
            "  ".repeat(depth),
            if depth == 0 { &g.name } else { last }
        )
    };
    let width = groups
        .iter()
        .map(|g| label(g).len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = paint.dim(&format!(
        "{:<width$}  {:<7}  {:>15}  {:>5}\n",
        "group", "verdict", "score", "tests"
    ));
    for g in groups {
        let verdict = match g.verdict {
            Some(v) => paint.verdict(v),
            None => paint.dim("-  "),
        };
        let line = format!(
            "{:<width$}  {}      {:>15}  {:>5}  {}",
            label(g),
            verdict,
            of(g.score, g.max_score),
            g.tests.len(),
            paint.dim(&g.message),
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    out
}

/// A one-line note for the table.
fn short(t: &TestReport) -> String {
    match (t.verdict, t.signal) {
        (Verdict::AC, _) => String::new(),
        (Verdict::RE, Some(sig)) => format!("signal {}", signal_name(sig).unwrap_or("?")),
        (Verdict::RE, None) => format!("exit code {}", t.exit_code.unwrap_or_default()),
        _ => t
            .message
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect(),
    }
}

/// Details of the first failing test: the checker's message and, for a wrong answer, the
/// expected and actual text around the first difference.
fn details(t: &TestReport) -> String {
    let mut out = format!(
        "\nfirst failure: {} ({})\n  {}\n",
        t.name, t.verdict, t.message
    );
    if let Some(d) = &t.diff {
        out.push_str(&format!(
            "  expected (answer line {}): {}\n  got      (output line {}): {}\n",
            d.answer_line, d.expected, d.output_line, d.got
        ));
    }
    out.push('\n');
    out
}

//! The journal of finished submissions (`--state DIR`): one JSON line per submission in
//! `DIR/submissions.jsonl`, appended and synced as each one finishes, read back at start (a
//! line torn by a crash is skipped), so neither a restart nor a crash loses a result.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde_json::{json, Value};

use super::judging::State;
use crate::Failure;

pub fn record(id: &str, problem: &str, state: &State) -> Value {
    let (report, error) = match state {
        State::Done(report) => (report.clone(), Value::Null),
        State::Failed(error) => (Value::Null, json!(error)),
        _ => (Value::Null, Value::Null),
    };
    json!({ "id": id, "problem": problem, "status": state.name(), "report": report, "error": error })
}

pub fn append(file: &mut File, record: &Value) -> std::io::Result<()> {
    let mut line = record.to_string();
    line.push('\n');
    file.write_all(line.as_bytes())?;
    file.sync_data()
}

/// The journal opened for appending, and the submissions it holds: (id, problem, state).
#[allow(clippy::type_complexity)]
pub fn open(dir: &Path) -> Result<(File, Vec<(String, String, State)>), Failure> {
    let failed = |e: std::io::Error| Failure::Usage(format!("--state {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let path = dir.join("submissions.jsonl");
    let mut kept = Vec::new();
    if let Ok(file) = File::open(&path) {
        for line in BufReader::new(file).lines() {
            let Ok(record) = serde_json::from_str::<Value>(&line.map_err(failed)?) else {
                continue;
            };
            let text = |key: &str| record[key].as_str().map(str::to_owned);
            let state = match record["status"].as_str() {
                Some("done") => State::Done(record["report"].clone()),
                Some("failed") => State::Failed(text("error").unwrap_or_default()),
                Some("cancelled") => State::Cancelled,
                _ => continue,
            };
            if let (Some(id), Some(problem)) = (text("id"), text("problem")) {
                kept.push((id, problem, state));
            }
        }
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(failed)?;
    Ok((file, kept))
}

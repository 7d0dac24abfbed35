//! A report file of `judge batch` (`--json` or `--csv`): records are appended one line at a time
//! and forced to disk, so a batch killed at any moment loses at most the record being written.
//!
//! Opening a report file, in order:
//! 1. open it for appending (creating it if missing) and read what it holds;
//! 2. cut off a torn last line: bytes after the last newline are a record whose write was
//!    interrupted; they are removed so the submission is judged and written again;
//! 3. check every complete line: a CSV report starts with [`CSV_HEADER`] (a scored problem's
//!    with [`CSV_HEADER_SCORED`]), every other line is a record of ours; anything else is an
//!    error naming the file and the line (we never append to a file we do not understand);
//! 4. remember which submissions are recorded, for `--resume`;
//! 5. give a new or empty CSV report its header.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::report::{csv_header, csv_submission, json_submission, Record};
#[cfg(doc)]
use crate::report::{CSV_HEADER, CSV_HEADER_SCORED};

/// How a report file writes its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines: one [`Record`] object per line.
    Json,
    /// CSV with [`CSV_HEADER`], or [`CSV_HEADER_SCORED`] for a scored problem.
    Csv,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportFileError {
    #[error("report {path}: cannot {what}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "report {path}, line {line}: not a record of judge batch ({problem}); give another \
         file, or repair or remove this one"
    )]
    BadLine {
        path: PathBuf,
        line: usize,
        problem: String,
    },
    #[error("report {path}: the first line is not the CSV header {header:?}; give another file")]
    NotOurCsv { path: PathBuf, header: &'static str },
    #[error(
        "report {path} is the CSV report of a {was} problem, and this one is {is}; give \
         another file"
    )]
    OtherKindOfCsv {
        path: PathBuf,
        was: &'static str,
        is: &'static str,
    },
}

/// An open report file.
#[derive(Debug)]
pub struct ReportFile {
    path: PathBuf,
    format: Format,
    /// Records of a scored problem: a CSV report has a score column.
    scored: bool,
    file: File,
    recorded: HashSet<String>,
    torn: usize,
}

impl ReportFile {
    /// Open, repair and read the report at `path` (steps 1 to 5 above), for a scored problem's
    /// records when `scored`.
    pub fn open(path: &Path, format: Format, scored: bool) -> Result<ReportFile, ReportFileError> {
        let io = |what| {
            move |source| ReportFileError::Io {
                what,
                path: path.to_owned(),
                source,
            }
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io("open it for appending"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io("read it"))?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let torn = bytes.len() - complete;
        if torn > 0 {
            // Appends land at the end, so the torn bytes must go before anything is written.
            file.set_len(complete as u64)
                .map_err(io("cut off its torn last line"))?;
        }
        let recorded = read_records(path, format, scored, &bytes[..complete])?;
        let mut report = ReportFile {
            path: path.to_owned(),
            format,
            scored,
            file,
            recorded,
            torn,
        };
        if format == Format::Csv && complete == 0 {
            report.write_line(csv_header(scored))?;
        }
        Ok(report)
    }

    /// Whether the file already holds a record of `submission`.
    pub fn has(&self, submission: &str) -> bool {
        self.recorded.contains(submission)
    }

    /// Bytes of a torn last line removed when the file was opened (0: none).
    pub fn torn(&self) -> usize {
        self.torn
    }

    /// Append `record` and force it to disk.
    pub fn append(&mut self, record: &Record) -> Result<(), ReportFileError> {
        let line = match self.format {
            Format::Json => record.json_line(),
            Format::Csv => record.csv_line(self.scored),
        };
        self.write_line(&line)?;
        self.recorded.insert(record.submission.clone());
        Ok(())
    }

    /// One write for the whole line, so a kill leaves either the line or a torn prefix of it.
    fn write_line(&mut self, line: &str) -> Result<(), ReportFileError> {
        let io = |what| {
            let path = self.path.clone();
            move |source| ReportFileError::Io { what, path, source }
        };
        let mut buf = String::with_capacity(line.len() + 1);
        buf.push_str(line);
        buf.push('\n');
        self.file
            .write_all(buf.as_bytes())
            .map_err(io("append to it"))?;
        self.file.sync_data().map_err(io("sync it to disk"))
    }
}

/// The submissions recorded in the complete lines of a report, each line checked.
fn read_records(
    path: &Path,
    format: Format,
    scored: bool,
    bytes: &[u8],
) -> Result<HashSet<String>, ReportFileError> {
    let mut recorded = HashSet::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        let bad = |problem: String| ReportFileError::BadLine {
            path: path.to_owned(),
            line: line_no,
            problem,
        };
        let line = std::str::from_utf8(raw)
            .map_err(|_| bad("not UTF-8 text".to_owned()))?
            .trim_end_matches('\r');
        if format == Format::Csv && index == 0 {
            let kind = |scored| if scored { "scored" } else { "pass-fail" };
            if line == csv_header(!scored) {
                return Err(ReportFileError::OtherKindOfCsv {
                    path: path.to_owned(),
                    was: kind(!scored),
                    is: kind(scored),
                });
            }
            if line != csv_header(scored) && !(line.is_empty() && bytes.is_empty()) {
                return Err(ReportFileError::NotOurCsv {
                    path: path.to_owned(),
                    header: csv_header(scored),
                });
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let submission = match format {
            Format::Json => json_submission(line),
            Format::Csv => csv_submission(line, scored),
        }
        .map_err(bad)?;
        recorded.insert(submission);
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CSV_HEADER;

    fn record(name: &str) -> Record {
        Record::failed(name, Some("c"), "boom, \"quoted\"")
    }

    #[test]
    fn records_are_appended_and_read_back_in_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        for format in [Format::Json, Format::Csv] {
            let path = dir.path().join(format!("{format:?}"));
            let mut file = ReportFile::open(&path, format, false).unwrap();
            assert!(file.recorded.is_empty());
            file.append(&record("/a.c")).unwrap();
            file.append(&record("/b,c.c")).unwrap();
            assert!(file.has("/a.c"));
            drop(file);
            let again = ReportFile::open(&path, format, false).unwrap();
            assert!(again.has("/a.c") && again.has("/b,c.c") && !again.has("/c.c"));
            assert_eq!(again.recorded.len(), 2);
            assert_eq!(again.torn(), 0);
            let text = std::fs::read_to_string(&path).unwrap();
            let header = usize::from(format == Format::Csv);
            assert_eq!(text.lines().count(), 2 + header, "{text}");
        }
    }

    #[test]
    fn the_csv_header_is_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        ReportFile::open(&path, Format::Csv, false).unwrap();
        ReportFile::open(&path, Format::Csv, false)
            .unwrap()
            .append(&record("/a.c"))
            .unwrap();
        ReportFile::open(&path, Format::Csv, false).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches(CSV_HEADER).count(), 1, "{text}");
        assert!(text.starts_with(CSV_HEADER));
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_its_submission_is_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        for format in [Format::Json, Format::Csv] {
            let path = dir.path().join(format!("torn-{format:?}"));
            let mut file = ReportFile::open(&path, format, false).unwrap();
            file.append(&record("/a.c")).unwrap();
            drop(file);
            let whole = std::fs::read(&path).unwrap();
            let line = match format {
                Format::Json => record("/b.c").json_line(),
                Format::Csv => record("/b.c").csv_line(false),
            };
            let mut torn = whole.clone();
            torn.extend_from_slice(&line.as_bytes()[..line.len() / 2]);
            std::fs::write(&path, &torn).unwrap();
            let mut file = ReportFile::open(&path, format, false).unwrap();
            assert_eq!(file.torn(), line.len() / 2);
            assert!(file.has("/a.c") && !file.has("/b.c"));
            assert_eq!(std::fs::read(&path).unwrap(), whole, "torn bytes removed");
            file.append(&record("/b.c")).unwrap();
            let after = ReportFile::open(&path, format, false).unwrap();
            assert!(after.has("/b.c"), "the rewritten record reads back");
            assert_eq!(after.torn(), 0);
        }
    }

    #[test]
    fn a_torn_csv_header_is_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        std::fs::write(&path, &CSV_HEADER[..10]).unwrap();
        ReportFile::open(&path, Format::Csv, false).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{CSV_HEADER}\n")
        );
    }

    #[test]
    fn a_file_that_is_not_a_report_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.json");
        let good = record("/a.c").json_line();
        std::fs::write(&path, format!("{good}\n{{\"x\": 1}}\n{good}\n")).unwrap();
        let err = ReportFile::open(&path, Format::Json, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("{}, line 2", path.display())),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap().lines().count(),
            3,
            "nothing written to a file we refused"
        );

        let csv = dir.path().join("other.csv");
        std::fs::write(&csv, "a,b,c\n1,2,3\n").unwrap();
        let err = ReportFile::open(&csv, Format::Csv, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("CSV header"), "{err}");

        let binary = dir.path().join("bin.json");
        std::fs::write(&binary, b"\xff\xfe\n").unwrap();
        let err = ReportFile::open(&binary, Format::Json, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1") && err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn an_unopenable_path_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let err = ReportFile::open(dir.path(), Format::Json, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
    }

    #[test]
    fn a_scored_problems_csv_has_a_score_column_and_keeps_to_its_kind() {
        use crate::report::CSV_HEADER_SCORED;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let mut file = ReportFile::open(&path, Format::Csv, true).unwrap();
        let mut rec = record("/a.c");
        rec.score = Some(30.0);
        file.append(&rec).unwrap();
        drop(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(&format!("{CSV_HEADER_SCORED}\n")),
            "{text}"
        );
        assert_eq!(text.lines().nth(1).unwrap().split(',').nth(3), Some("30"));
        assert!(ReportFile::open(&path, Format::Csv, true)
            .unwrap()
            .has("/a.c"));
        let err = ReportFile::open(&path, Format::Csv, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("of a scored problem") && err.contains("pass-fail"),
            "{err}"
        );
        let plain = dir.path().join("p.csv");
        ReportFile::open(&plain, Format::Csv, false).unwrap();
        assert!(matches!(
            ReportFile::open(&plain, Format::Csv, true),
            Err(ReportFileError::OtherKindOfCsv { .. })
        ));
    }
}

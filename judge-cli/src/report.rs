//! One submission's result as the report files hold it: the JSON shape `judge run --json` prints
//! for a compile step and a test, one JSON Lines record per submission, and one CSV row.
//!
//! A [`Record`] is built from the engine's [`Report`] (or from the error that stopped a
//! submission), then rendered as a JSON line or a CSV line. A scored problem's records carry its
//! score (and, in JSON, its groups); its CSV report has a `score` column ([`CSV_HEADER_SCORED`]). Both renderings are exactly one line,
//! so a report file is a sequence of lines and an interrupted write can only tear the last one.
//! Reading goes the other way: a line is parsed back into a [`Record`] (JSON) or into its fields
//! (CSV), which is how `--resume` learns what was already judged.

use std::time::Duration;

use judge_engine::judge::{CompileReport, GroupReport, Report, TestReport};
use judge_engine::verdict::Verdict;
use serde::{Deserialize, Serialize};

/// The header of a CSV report, and the order of its fields.
pub const CSV_HEADER: &str =
    "submission,language,verdict,time_ms,memory_kib,tests_passed,tests_run,message";
/// The header of a scored problem's CSV report: a `score` column after the verdict.
pub const CSV_HEADER_SCORED: &str =
    "submission,language,verdict,score,time_ms,memory_kib,tests_passed,tests_run,message";

/// The CSV header for a scored problem's report or another's.
pub fn csv_header(scored: bool) -> &'static str {
    if scored {
        CSV_HEADER_SCORED
    } else {
        CSV_HEADER
    }
}

/// A score as reports write it: at most three decimals, no trailing zeros (`51.25`, `30`).
pub fn points(score: f64) -> String {
    let text = format!("{score:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// The compile step, as `judge run --json` and the report files show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompileJson {
    pub ok: bool,
    pub message: String,
    pub time_ms: u64,
    /// The same files were compiled before; `time_ms` is that compile's.
    #[serde(default)]
    pub cached: bool,
}

impl From<&CompileReport> for CompileJson {
    fn from(c: &CompileReport) -> CompileJson {
        CompileJson {
            ok: c.ok,
            message: c.message.clone(),
            time_ms: ms(c.time),
            cached: c.cached,
        }
    }
}

/// One test, as `judge run --json` and the report files show it; `time_ms` is CPU time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestJson {
    pub name: String,
    pub verdict: String,
    pub time_ms: u64,
    pub wall_ms: u64,
    pub memory_kib: u64,
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub message: String,
    /// On a scored problem, the points the test counted for; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl From<&TestReport> for TestJson {
    fn from(t: &TestReport) -> TestJson {
        TestJson {
            name: t.name.clone(),
            verdict: t.verdict.code().to_owned(),
            time_ms: ms(t.time),
            wall_ms: ms(t.wall_time),
            memory_kib: t.memory / 1024,
            exit_code: t.exit_code,
            signal: t.signal,
            message: t.message.clone(),
            score: t.score,
        }
    }
}

/// One test group of a scored problem; `verdict` is null for a group that was not judged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupJson {
    pub name: String,
    pub score: f64,
    pub max_score: Option<f64>,
    pub verdict: Option<String>,
    pub tests: Vec<String>,
    /// Why the group is IE (its score broke its range); absent otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl From<&GroupReport> for GroupJson {
    fn from(g: &GroupReport) -> GroupJson {
        GroupJson {
            name: g.name.clone(),
            score: g.score,
            max_score: g.max_score,
            verdict: g.verdict.map(|v| v.code().to_owned()),
            tests: g.tests.clone(),
            message: g.message.clone(),
        }
    }
}

/// A report's groups for JSON: `None` (no key) for a pass-fail problem.
pub fn groups_json(report: &Report) -> Option<Vec<GroupJson>> {
    report
        .score
        .map(|_| report.groups.iter().map(GroupJson::from).collect())
}

/// One submission's line in a JSON Lines report.
///
/// `submission` is the key `--resume` matches on (see `crate::submissions`). `language` and
/// `compile` are null when the submission never reached the compiler (no profile for its
/// extension, or an engine error). `message` says why the verdict: the first failing test's
/// message, the compiler's for CE, the error sentence for IE, empty for AC. `score` and
/// `groups` are there for a judged submission of a scored problem only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub submission: String,
    pub language: Option<String>,
    pub verdict: String,
    pub compile: Option<CompileJson>,
    pub tests: Vec<TestJson>,
    pub time_ms: u64,
    pub memory_kib: u64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<GroupJson>>,
}

impl Record {
    /// The record of a judged submission.
    pub fn judged(submission: &str, language: &str, report: &Report) -> Record {
        let message = if !report.compile.ok {
            report.compile.message.clone()
        } else {
            report
                .tests
                .iter()
                .find(|t| t.verdict != Verdict::AC)
                .map(|t| t.message.clone())
                .unwrap_or_default()
        };
        Record {
            submission: submission.to_owned(),
            language: Some(language.to_owned()),
            verdict: report.verdict.code().to_owned(),
            compile: Some(CompileJson::from(&report.compile)),
            tests: report.tests.iter().map(TestJson::from).collect(),
            time_ms: ms(report.time),
            memory_kib: report.memory / 1024,
            message,
            score: report.score,
            groups: groups_json(report),
        }
    }

    /// The record of a submission that could not be judged: verdict IE with the reason.
    pub fn failed(submission: &str, language: Option<&str>, error: &str) -> Record {
        Record {
            submission: submission.to_owned(),
            language: language.map(str::to_owned),
            verdict: Verdict::IE.code().to_owned(),
            compile: None,
            tests: Vec::new(),
            time_ms: 0,
            memory_kib: 0,
            message: error.to_owned(),
            score: None,
            groups: None,
        }
    }

    /// The verdict, IE for a code this version does not know.
    pub fn verdict(&self) -> Verdict {
        self.verdict.parse().unwrap_or(Verdict::IE)
    }

    /// The JSON Lines rendering, without the newline.
    pub fn json_line(&self) -> String {
        // A struct of strings, numbers and options always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The CSV rendering, without the newline, with a `score` column when `scored` (empty for a
    /// submission that was not judged). The message is folded onto one line (its lines joined by
    /// ` | `) so that every record is exactly one line of the file.
    pub fn csv_line(&self, scored: bool) -> String {
        let passed = self
            .tests
            .iter()
            .filter(|t| t.verdict == Verdict::AC.code())
            .count();
        let message: Vec<&str> = self
            .message
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .collect();
        let mut fields = vec![
            self.submission.clone(),
            self.language.clone().unwrap_or_default(),
            self.verdict.clone(),
            self.time_ms.to_string(),
            self.memory_kib.to_string(),
            passed.to_string(),
            self.tests.len().to_string(),
            message.join(" | "),
        ];
        if scored {
            fields.insert(3, self.score.map(points).unwrap_or_default());
        }
        fields
            .iter()
            .map(|f| csv_quote(f))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A field as CSV (RFC 4180) writes it: quoted, with inner quotes doubled, when it holds a
/// comma, a quote, a line break or edge spaces.
pub fn csv_quote(field: &str) -> String {
    let needs =
        field.contains([',', '"', '\n', '\r']) || field.starts_with(' ') || field.ends_with(' ');
    if needs {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// The fields of one CSV line, or why it is not one.
pub fn csv_split(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed".to_owned()),
                }
            }
            if !matches!(chars.peek(), None | Some(',')) {
                return Err("text follows a closing quote".to_owned());
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '"' {
                    return Err("a quote inside an unquoted field".to_owned());
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
        if chars.next().is_none() {
            return Ok(fields);
        }
    }
}

/// The submission key of a CSV row, after checking the row has the shape of the report's header
/// (with a `score` column when `scored`).
pub fn csv_submission(line: &str, scored: bool) -> Result<String, String> {
    let mut fields = csv_split(line)?;
    let expected = csv_split(csv_header(scored))?.len();
    if fields.len() != expected {
        return Err(format!(
            "{} fields where the header has {expected}",
            fields.len()
        ));
    }
    if fields[0].is_empty() {
        return Err("the submission field is empty".to_owned());
    }
    fields[2].parse::<Verdict>()?;
    if scored {
        let score = fields.remove(3);
        if !score.is_empty() && score.parse::<f64>().map_or(true, |s| !s.is_finite()) {
            return Err(format!("score {score:?} is not a number"));
        }
    }
    for (i, name) in [
        (3, "time_ms"),
        (4, "memory_kib"),
        (5, "tests_passed"),
        (6, "tests_run"),
    ] {
        fields[i]
            .parse::<u64>()
            .map_err(|_| format!("{name} {:?} is not a number", fields[i]))?;
    }
    Ok(fields[0].clone())
}

/// The submission key of a JSON line, after checking it is a whole record.
pub fn json_submission(line: &str) -> Result<String, String> {
    let record: Record = serde_json::from_str(line).map_err(|e| e.to_string())?;
    record.verdict.parse::<Verdict>()?;
    Ok(record.submission)
}

#[cfg(test)]
mod tests {
    use super::*;
    use judge_engine::judge::TestLimits;

    fn test(name: &str, verdict: Verdict, ms: u64, message: &str) -> TestReport {
        TestReport {
            name: name.to_owned(),
            verdict,
            time: Duration::from_millis(ms),
            wall_time: Duration::from_millis(ms + 5),
            memory: 3 << 20,
            exit_code: Some(0),
            signal: None,
            message: message.to_owned(),
            diff: None,
            transcript: None,
            score: None,
        }
    }

    fn report(verdict: Verdict, tests: Vec<TestReport>, compile_ok: bool) -> Report {
        Report {
            verdict,
            compile: CompileReport {
                ok: compile_ok,
                message: if compile_ok {
                    ""
                } else {
                    "a.c:1: error\n  here"
                }
                .to_owned(),
                time: Duration::from_millis(120),
                cached: false,
            },
            time: tests.iter().map(|t| t.time).max().unwrap_or_default(),
            memory: tests.iter().map(|t| t.memory).max().unwrap_or_default(),
            tests,
            limits: TestLimits {
                time: Duration::from_secs(1),
                memory: 256 << 20,
                output: 64 << 20,
            },
            score: None,
            groups: Vec::new(),
        }
    }

    #[test]
    fn a_judged_record_carries_the_first_failures_message_and_the_maxima() {
        let r = report(
            Verdict::WA,
            vec![
                test("1", Verdict::AC, 30, ""),
                test("2", Verdict::WA, 10, "expected \"2\""),
            ],
            true,
        );
        let rec = Record::judged("/s/a.c", "c", &r);
        assert_eq!(rec.verdict, "WA");
        assert_eq!(rec.message, "expected \"2\"");
        assert_eq!(rec.time_ms, 30);
        assert_eq!(rec.memory_kib, 3 << 10);
        assert_eq!(rec.tests.len(), 2);
        assert_eq!(rec.tests[1].wall_ms, 15);
        assert_eq!(rec.compile.as_ref().unwrap().time_ms, 120);
        assert_eq!(rec.verdict(), Verdict::WA);
    }

    #[test]
    fn a_compile_error_record_carries_the_compilers_message() {
        let rec = Record::judged("/s/a.c", "c", &report(Verdict::CE, Vec::new(), false));
        assert_eq!(rec.message, "a.c:1: error\n  here");
        assert!(!rec.compile.unwrap().ok);
    }

    #[test]
    fn a_failed_record_is_ie_with_no_compile_step() {
        let rec = Record::failed("/s/a.xyz", None, "no profile for extension .xyz");
        assert_eq!(rec.verdict(), Verdict::IE);
        assert!(rec.compile.is_none() && rec.language.is_none());
        let line = rec.json_line();
        assert!(line.contains("\"language\":null"), "{line}");
        assert!(line.contains("\"compile\":null"), "{line}");
    }

    #[test]
    fn a_json_line_is_one_line_and_reads_back() {
        let rec = Record::judged("/s/a b.c", "c", &report(Verdict::CE, Vec::new(), false));
        let line = rec.json_line();
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), rec);
        assert_eq!(json_submission(&line).unwrap(), "/s/a b.c");
    }

    #[test]
    fn json_lines_that_are_not_records_are_refused() {
        assert!(json_submission("{\"submission\": \"a\"}").is_err());
        assert!(json_submission("[1, 2]").is_err());
        let mut rec = Record::failed("a", None, "x");
        rec.verdict = "OK".to_owned();
        assert!(json_submission(&rec.json_line())
            .unwrap_err()
            .contains("OK"));
        let extra = Record::failed("a", None, "x")
            .json_line()
            .replace("{\"submission\"", "{\"extra\":1,\"submission\"");
        assert!(json_submission(&extra).is_err());
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(csv_quote("plain"), "plain");
        assert_eq!(csv_quote(""), "");
        assert_eq!(csv_quote("a,b"), "\"a,b\"");
        assert_eq!(csv_quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_quote("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_quote(" edge"), "\" edge\"");
    }

    #[test]
    fn splitting_undoes_quoting() {
        let fields = ["a,b", "", "say \"hi\"", "plain", " edge "];
        let line: Vec<String> = fields.iter().map(|f| csv_quote(f)).collect();
        assert_eq!(csv_split(&line.join(",")).unwrap(), fields);
        assert_eq!(csv_split("").unwrap(), [""]);
        assert_eq!(csv_split("a,").unwrap(), ["a", ""]);
    }

    #[test]
    fn broken_csv_is_refused() {
        assert!(csv_split("\"open").is_err());
        assert!(csv_split("\"a\"b,c").is_err());
        assert!(csv_split("a\"b").is_err());
    }

    #[test]
    fn a_csv_line_is_one_line_with_the_counts() {
        let r = report(
            Verdict::RE,
            vec![
                test("1", Verdict::AC, 1, ""),
                test("2", Verdict::RE, 1, "exit code 3: line one\nline, \"two\""),
            ],
            true,
        );
        let line = Record::judged("/s/x.c", "c", &r).csv_line(false);
        assert!(!line.contains('\n'), "{line}");
        let fields = csv_split(&line).unwrap();
        assert_eq!(
            fields,
            [
                "/s/x.c",
                "c",
                "RE",
                "1",
                "3072",
                "1",
                "2",
                "exit code 3: line one | line, \"two\""
            ]
        );
        assert_eq!(csv_submission(&line, false).unwrap(), "/s/x.c");
        assert_eq!(csv_split(CSV_HEADER).unwrap().len(), 8);
    }

    #[test]
    fn csv_rows_of_another_shape_are_refused() {
        assert!(csv_submission("a,c,AC,1,2,3", false)
            .unwrap_err()
            .contains("6 fields"));
        assert!(csv_submission(",c,AC,1,2,3,4,", false).is_err());
        assert!(csv_submission("a,c,YES,1,2,3,4,", false).is_err());
        assert!(csv_submission("a,c,AC,1,x,3,4,", false)
            .unwrap_err()
            .contains("memory_kib"));
        assert_eq!(csv_submission("a,c,AC,1,2,3,4,", false).unwrap(), "a");
    }

    fn scored(report: &mut Report, score: f64) {
        report.score = Some(score);
        report.groups = vec![GroupReport {
            name: "secret".to_owned(),
            verdict: Some(Verdict::AC),
            score,
            max_score: Some(100.0),
            tests: vec!["1".to_owned()],
            message: String::new(),
        }];
        report.tests[0].score = Some(score);
    }

    #[test]
    fn points_are_short() {
        assert_eq!(points(30.0), "30");
        assert_eq!(points(51.25), "51.25");
        assert_eq!(points(100.0 / 3.0), "33.333");
        assert_eq!(points(0.0), "0");
        assert_eq!(points(-0.0001), "0");
    }

    #[test]
    fn a_scored_record_carries_the_score_and_groups() {
        let mut r = report(Verdict::AC, vec![test("1", Verdict::AC, 1, "")], true);
        scored(&mut r, 51.25);
        let rec = Record::judged("/s/a.c", "c", &r);
        assert_eq!(rec.score, Some(51.25));
        let line = rec.json_line();
        assert!(line.contains("\"score\":51.25"), "{line}");
        assert!(line.contains("\"groups\":[{\"name\":\"secret\""), "{line}");
        assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), rec);
        let csv = rec.csv_line(true);
        assert_eq!(csv_split(&csv).unwrap()[3], "51.25");
        assert_eq!(csv_submission(&csv, true).unwrap(), "/s/a.c");
        assert!(
            csv_submission(&csv, false).is_err(),
            "9 fields in an 8-column report"
        );
        assert_eq!(csv_split(CSV_HEADER_SCORED).unwrap().len(), 9);
        assert!(csv_submission("a,c,AC,lots,1,2,3,4,", true)
            .unwrap_err()
            .contains("score"));
        assert_eq!(csv_submission("a,,IE,,0,0,0,0,boom", true).unwrap(), "a");
    }

    #[test]
    fn a_pass_fail_record_has_no_score_keys() {
        let r = report(Verdict::AC, vec![test("1", Verdict::AC, 1, "")], true);
        let line = Record::judged("/s/a.c", "c", &r).json_line();
        assert!(
            !line.contains("score") && !line.contains("groups"),
            "{line}"
        );
    }
}

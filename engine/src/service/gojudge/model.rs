//! go-judge's REST API types, with its field names: every request and response body of
//! `POST /run`, field for field as go-judge's documentation (`api.md`) and its model
//! (`cmd/go-judge/model`) give them. Units are go-judge's: nanoseconds and bytes.
//!
//! As go-judge (a Go JSON decoder) does, unknown fields are ignored and `null` reads as the
//! field's default; a field of the wrong type is an error naming it.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// `null` reads as the default, as Go's decoder leaves a field it is given `null` for.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The body of `POST /run` (and of a WebSocket request).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    #[serde(default, deserialize_with = "nullable")]
    pub request_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub cmd: Vec<Cmd>,
    #[serde(default, deserialize_with = "nullable")]
    pub pipe_mapping: Vec<PipeMap>,
}

/// One program to run.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cmd {
    #[serde(default, deserialize_with = "nullable")]
    pub args: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub env: Vec<String>,
    /// Descriptor `i` of the program: a file, a collector, or `null` for a `pipeMapping` end.
    #[serde(default, deserialize_with = "nullable")]
    pub files: Vec<Option<CmdFile>>,
    #[serde(default, deserialize_with = "nullable")]
    pub tty: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub cpu_limit: u64,
    /// Deprecated name of `clockLimit`, still honoured.
    #[serde(default, deserialize_with = "nullable")]
    pub real_cpu_limit: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub clock_limit: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub memory_limit: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub stack_limit: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub proc_limit: u64,
    /// CPU share: 1000 is one whole CPU.
    #[serde(default, deserialize_with = "nullable")]
    pub cpu_rate_limit: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub cpu_set_limit: String,
    /// Deprecated name of `dataSegmentLimit`, still honoured.
    #[serde(default, deserialize_with = "nullable")]
    pub strict_memory_limit: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub data_segment_limit: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub address_space_limit: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub copy_in: BTreeMap<String, CmdFile>,
    /// Files to return in `files`; a trailing `?` makes one optional.
    #[serde(default, deserialize_with = "nullable")]
    pub copy_out: Vec<String>,
    /// Files to keep in the file store, returned as `fileIds`.
    #[serde(default, deserialize_with = "nullable")]
    pub copy_out_cached: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub copy_out_max: u64,
    #[serde(default, deserialize_with = "nullable")]
    pub copy_out_dir: String,
    /// A file over `copyOutMax` is cut to it instead of failing.
    #[serde(default, deserialize_with = "nullable")]
    pub copy_out_truncate: bool,
}

/// A file for a descriptor or for `copyIn`: exactly one of its forms.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CmdFile {
    /// A host file (only under the server's `--allow-src` directories).
    pub src: Option<String>,
    /// The content itself.
    pub content: Option<String>,
    /// A file of the file store.
    pub file_id: Option<String>,
    /// A collector: its name in `files`, with `max`.
    pub name: Option<String>,
    pub max: Option<u64>,
    /// Collect through a pipe instead of a file.
    #[serde(default, deserialize_with = "nullable")]
    pub pipe: bool,
    /// `copyIn` only: a symbolic link to this target.
    pub symlink: Option<String>,
    /// WebSocket streams (`/stream`), not served here.
    pub stream_in: Option<bool>,
    pub stream_out: Option<bool>,
}

/// One end of a pipe: descriptor `fd` of command `index`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct PipeIndex {
    #[serde(default, deserialize_with = "nullable")]
    pub index: usize,
    #[serde(default, deserialize_with = "nullable")]
    pub fd: usize,
}

/// A pipe from `in` (the writer) to `out` (the reader), optionally through a proxy that keeps
/// up to `max` bytes of what crossed under `name`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PipeMap {
    #[serde(rename = "in")]
    pub input: PipeIndex,
    #[serde(rename = "out")]
    pub output: PipeIndex,
    #[serde(default, deserialize_with = "nullable")]
    pub proxy: bool,
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub max: u64,
}

/// How a command ended, in go-judge's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    #[serde(rename = "Accepted")]
    Accepted,
    #[serde(rename = "Memory Limit Exceeded")]
    MemoryLimitExceeded,
    #[serde(rename = "Time Limit Exceeded")]
    TimeLimitExceeded,
    #[serde(rename = "Output Limit Exceeded")]
    OutputLimitExceeded,
    #[serde(rename = "File Error")]
    FileError,
    #[serde(rename = "Nonzero Exit Status")]
    NonzeroExitStatus,
    #[serde(rename = "Signalled")]
    Signalled,
    #[serde(rename = "Dangerous Syscall")]
    DangerousSyscall,
    #[serde(rename = "Internal Error")]
    InternalError,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Accepted,
        Status::MemoryLimitExceeded,
        Status::TimeLimitExceeded,
        Status::OutputLimitExceeded,
        Status::FileError,
        Status::NonzeroExitStatus,
        Status::Signalled,
        Status::DangerousSyscall,
        Status::InternalError,
    ];

    /// The string go-judge answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "Accepted",
            Status::MemoryLimitExceeded => "Memory Limit Exceeded",
            Status::TimeLimitExceeded => "Time Limit Exceeded",
            Status::OutputLimitExceeded => "Output Limit Exceeded",
            Status::FileError => "File Error",
            Status::NonzeroExitStatus => "Nonzero Exit Status",
            Status::Signalled => "Signalled",
            Status::DangerousSyscall => "Dangerous Syscall",
            Status::InternalError => "Internal Error",
        }
    }
}

/// What went wrong with one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileErrorType {
    CopyInOpenFile,
    CopyInCreateFile,
    CopyInCopyContent,
    CopyOutOpen,
    CopyOutNotRegularFile,
    CopyOutSizeExceeded,
    CopyOutCreateFile,
    CopyOutCopyContent,
    CollectSizeExceeded,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileError {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FileErrorType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// One command's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CmdResult {
    pub status: Status,
    /// The exit code, or the signal that ended it.
    pub exit_status: i32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// CPU time, ns.
    pub time: u64,
    /// Peak memory, bytes.
    pub memory: u64,
    /// Wall time, ns.
    pub run_time: u64,
    /// The most processes and threads alive at once, where the kernel counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proc_peak: Option<u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub file_ids: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_error: Vec<FileError>,
}

impl CmdResult {
    /// A command that never ran.
    pub fn failed(status: Status, error: impl Into<String>) -> CmdResult {
        CmdResult {
            status,
            exit_status: 0,
            error: error.into(),
            time: 0,
            memory: 0,
            run_time: 0,
            proc_peak: None,
            files: BTreeMap::new(),
            file_ids: BTreeMap::new(),
            file_error: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_compile_request_reads() {
        let body = r#"{
            "cmd": [{
                "args": ["/usr/bin/g++", "a.cc", "-o", "a"],
                "env": ["PATH=/usr/bin:/bin"],
                "files": [{"content": ""}, {"name": "stdout", "max": 10240},
                          {"name": "stderr", "max": 10240}],
                "cpuLimit": 10000000000,
                "memoryLimit": 104857600,
                "procLimit": 50,
                "copyIn": {"a.cc": {"content": "int main() {}"}},
                "copyOut": ["stdout", "stderr"],
                "copyOutCached": ["a.cc", "a"],
                "cpuRate": 0.1
            }]
        }"#;
        let request: Request = serde_json::from_str(body).unwrap();
        let cmd = &request.cmd[0];
        assert_eq!(cmd.args[0], "/usr/bin/g++");
        assert_eq!(cmd.cpu_limit, 10_000_000_000);
        assert_eq!(
            cmd.files[1].as_ref().unwrap().name.as_deref(),
            Some("stdout")
        );
        assert_eq!(
            cmd.copy_in["a.cc"].content.as_deref(),
            Some("int main() {}")
        );
        assert_eq!(cmd.copy_out_cached, ["a.cc", "a"]);
    }

    #[test]
    fn null_reads_as_the_default_and_a_pipe_end_as_none() {
        let body = r#"{"cmd": [{"args": ["/bin/cat"], "env": null, "files": [null, null],
                       "copyIn": null}], "pipeMapping": [{"in": {"index": 0, "fd": 1},
                       "out": {"index": 1, "fd": 0}, "proxy": true, "name": "x", "max": 5}]}"#;
        let request: Request = serde_json::from_str(body).unwrap();
        assert!(request.cmd[0].env.is_empty());
        assert!(request.cmd[0].files.iter().all(Option::is_none));
        let pipe = &request.pipe_mapping[0];
        assert_eq!(pipe.input, PipeIndex { index: 0, fd: 1 });
        assert_eq!(pipe.output, PipeIndex { index: 1, fd: 0 });
    }

    #[test]
    fn a_wrong_type_is_an_error_naming_the_field() {
        let err = serde_json::from_str::<Request>(r#"{"cmd": [{"cpuLimit": "1s"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid type"), "{err}");
    }

    #[test]
    fn statuses_are_go_judges_strings_and_results_omit_what_is_empty() {
        for status in Status::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        let result = CmdResult::failed(Status::FileError, "");
        let json = serde_json::to_value(&result).unwrap();
        assert_eq!(json["status"], "File Error");
        assert!(json.get("files").is_none() && json.get("error").is_none());
        assert_eq!(json["exitStatus"], 0);
    }
}

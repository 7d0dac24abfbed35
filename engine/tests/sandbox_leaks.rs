//! A thousand runs in a row leave nothing behind: no process, descriptor, mount or temporary
//! directory. Alone in its test binary, so no other test's files and processes get counted.

mod common;

use std::collections::BTreeSet;

use common::root;
use judge_engine::sandbox::{system_mounts, Command};

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn mounts() -> usize {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .count()
}

fn tmp_entries() -> BTreeSet<std::ffi::OsString> {
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect()
}

/// Our children, and anything running as the sandbox's host uid.
fn processes() -> Vec<String> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.parse::<u32>().is_err() {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let ppid = status
            .lines()
            .find(|l| l.starts_with("PPid:"))
            .unwrap_or("");
        let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap_or("");
        if ppid.split_whitespace().nth(1) == Some(&me) || common::sandbox_uid(&status) {
            found.push(format!("{name}: {ppid} {uid}"));
        }
    }
    found
}

#[test]
fn a_thousand_runs_leave_no_process_descriptor_mount_or_temporary_directory() {
    if !root() {
        return;
    }
    let sandbox = common::sandbox();
    let run = || {
        let mut cmd = Command::new("/bin/true");
        cmd.mounts(system_mounts());
        let result = sandbox.run(cmd).unwrap();
        assert!(result.success(), "{result:?}");
    };
    // One run first: lazily built statics (the base filter) are not leaks.
    run();
    let (fd0, mounts0, tmp0, procs0) = (fds(), mounts(), tmp_entries(), processes());
    assert_eq!(procs0, Vec::<String>::new());
    for _ in 0..1000 {
        run();
    }
    assert_eq!(fds(), fd0, "descriptors leaked");
    assert_eq!(mounts(), mounts0, "mounts leaked");
    assert_eq!(tmp_entries(), tmp0, "temporary entries left behind");
    assert_eq!(processes(), Vec::<String>::new(), "processes left behind");
}

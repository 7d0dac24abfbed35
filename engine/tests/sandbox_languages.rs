//! The base allowlist runs statically and dynamically linked C, C++, Python 3 and Java 17.

mod common;

use common::{command, compile, copy_source, root, run};
use judge_engine::sandbox::Mount;

#[test]
fn static_c_runs() {
    if !root() {
        return;
    }
    let out = run(command(&compile("hello.c", true)));
    assert!(out.result.success(), "{:?} {}", out.result, out.stderr);
    assert_eq!(out.stdout, "hello from c\n");
}

#[test]
fn dynamic_c_runs() {
    if !root() {
        return;
    }
    let out = run(command(&compile("hello.c", false)));
    assert!(out.result.success(), "{:?} {}", out.result, out.stderr);
    assert_eq!(out.stdout, "hello from c\n");
}

#[test]
fn cpp_with_threads_runs() {
    if !root() {
        return;
    }
    let out = run(command(&compile("hello.cpp", false)));
    assert!(out.result.success(), "{:?} {}", out.result, out.stderr);
    assert_eq!(out.stdout, "hello from c++ 4\n");
}

#[test]
fn python3_runs() {
    if !root() {
        return;
    }
    let script = copy_source("hello.py");
    let mut cmd = command("/usr/bin/python3");
    cmd.arg(&script);
    let out = run(cmd);
    assert!(out.result.success(), "{:?} {}", out.result, out.stderr);
    assert_eq!(out.stdout, "hello from python 3 4 True\n");
}

#[test]
fn java17_runs() {
    if !root() {
        return;
    }
    const JDK: &str = "/usr/lib/jvm/java-17-openjdk-amd64";
    copy_source("Hello.java");
    let status = std::process::Command::new(format!("{JDK}/bin/javac"))
        .arg("-d")
        .arg(common::bin_dir())
        .arg(common::bin_dir().join("Hello.java"))
        .status()
        .expect("javac");
    assert!(status.success());
    let mut cmd = command(&format!("{JDK}/bin/java"));
    cmd.mount(Mount::host("/etc/java-17-openjdk"))
        .args(["-Xmx256m", "-cp", "/work", "Hello"]);
    cmd.limits_mut().wall_time = std::time::Duration::from_secs(30);
    let out = run(cmd);
    assert!(out.result.success(), "{:?} {}", out.result, out.stderr);
    assert_eq!(out.stdout, "hello from java 42\n");
}

//! Run one command in the sandbox with the system directories mounted and print how it ended.
//!
//! `cargo run --example sandbox_run -- [--mount DIR]... [--cwd DIR] /usr/bin/id` (as root). Each
//! `--mount` binds a host path read-only at the same place inside.

use judge_engine::sandbox::{system_mounts, Command, Mount, Sandbox, SandboxConfig, Stdio};

fn main() {
    let mut args = std::env::args_os().skip(1).peekable();
    let mut mounts = system_mounts();
    let mut cwd = std::path::PathBuf::from("/");
    while let Some(flag) = args.next_if(|a| a == "--mount" || a == "--cwd") {
        let Some(value) = args.next() else { break };
        if flag == "--mount" {
            mounts.push(Mount::host(value));
        } else {
            cwd = value.into();
        }
    }
    let Some(program) = args.next() else {
        eprintln!("usage: sandbox_run [--mount DIR]... [--cwd DIR] PROGRAM [ARG...]");
        std::process::exit(2);
    };
    let sandbox = match Sandbox::new(SandboxConfig::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sandbox_run: {e}");
            std::process::exit(2);
        }
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .mounts(mounts)
        .current_dir(cwd)
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    match sandbox.run(cmd) {
        Ok(result) => eprintln!("{result:?}"),
        Err(e) => {
            eprintln!("sandbox_run: {e}");
            std::process::exit(2);
        }
    }
}

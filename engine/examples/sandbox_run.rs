//! Run one command in the sandbox with the system directories mounted and print how it ended.
//!
//! `cargo run --example sandbox_run -- /usr/bin/id` (as root).

use judge_engine::sandbox::{system_mounts, Command, Sandbox, SandboxConfig, Stdio};

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: sandbox_run PROGRAM [ARG...]");
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
        .mounts(system_mounts())
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

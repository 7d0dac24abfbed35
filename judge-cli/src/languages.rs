//! `judge languages`: every profile, and the toolchain this host has for it (its version, as
//! the profile's `version` command prints it) or what is missing.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use judge_engine::profile::Profile;

use crate::args::LanguagesArgs;
use crate::{Done, Failure};

/// A version command that takes longer than this is reported as not answering.
const VERSION_WAIT: Duration = Duration::from_secs(20);

/// What this host has for one profile.
pub struct Found {
    pub name: String,
    pub extensions: Vec<String>,
    /// The version line, or why the profile cannot be used here.
    pub status: Result<String, String>,
}

pub fn run(args: &LanguagesArgs) -> Result<Done, Failure> {
    let profiles = judge_engine::profile::ProfileSet::load_with_overrides(None, &args.profiles)?;
    let found: Vec<Found> = profiles.iter().map(find).collect();
    if args.json {
        let list: Vec<serde_json::Value> = found
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name,
                    "extensions": f.extensions,
                    "installed": f.status.is_ok(),
                    "version": f.status.as_ref().ok(),
                    "missing": f.status.as_ref().err(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
    } else {
        let exts = |f: &Found| -> String {
            let dotted: Vec<String> = f.extensions.iter().map(|e| format!(".{e}")).collect();
            dotted.join(" ")
        };
        let width = found.iter().map(|f| f.name.len()).max().unwrap_or(0).max(8);
        let ext_width = found
            .iter()
            .map(|f| exts(f).len())
            .max()
            .unwrap_or(0)
            .max(10);
        println!(
            "{:<width$}  {:<ext_width$}  version on this host",
            "language", "extensions"
        );
        for f in &found {
            let status = match &f.status {
                Ok(version) => version.clone(),
                Err(why) => format!("missing: {why}"),
            };
            println!("{:<width$}  {:<ext_width$}  {status}", f.name, exts(f));
        }
    }
    Ok(Done::Judged)
}

/// The profile's toolchain on this host.
pub fn find(profile: &Profile) -> Found {
    let status = match profile.check_available() {
        Ok(()) => Ok(version(profile.version_command())),
        Err(e) => Err(profile
            .not_installed_because(&e)
            .unwrap_or_else(|| e.to_string())),
    };
    Found {
        name: profile.name().to_owned(),
        extensions: profile.extensions().to_vec(),
        status,
    }
}

/// The first line the version command prints (on stdout, else stderr).
fn version(command: &[String]) -> String {
    let Some((program, args)) = command.split_first() else {
        return "installed (the profile gives no version command)".to_owned();
    };
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return format!("installed ({program} does not start)");
    };
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < VERSION_WAIT => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return format!("installed ({program} did not answer in time)");
            }
        }
    }
    let Ok(out) = child.wait_with_output() else {
        return "installed".to_owned();
    };
    let first = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(str::trim)
            // The JVM warns about the launcher script's options before kotlinc's answer.
            .find(|l| !l.is_empty() && !l.contains("VM warning:"))
            .map(str::to_owned)
    };
    first(&out.stdout)
        .or_else(|| first(&out.stderr))
        .unwrap_or_else(|| "installed".to_owned())
}

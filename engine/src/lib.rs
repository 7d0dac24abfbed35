//! judge-engine: compile, run and check contest submissions in a Linux sandbox.
//!
//! The engine is built in layers:
//! 1. [`sandbox`]: one program in fresh user, PID, mount, network, IPC, UTS and cgroup namespaces;
//! 2. [`cgroup`]: limits and accounting (v1 and v2 behind one trait);
//! 3. [`profile`]: TOML language profiles;
//! 4. [`checker`], [`testset`]: output checking and test discovery;
//! 5. [`limits`]: the bounds every limit is checked against, whichever its source, and the
//!    sandbox limits each kind of step gets from them.
//!
//! # A hook between clone and exec
//!
//! [`sandbox::Command::sync_hook`] runs a function of yours in the parent once the child
//! exists (its id maps written, in its run's cgroup) and before it may exec, with the child's
//! pid; an error you return fails the start, the child is killed and the run ends with
//! [`sandbox::SandboxError::Hook`]. The engine's own cgroup attach goes through the same
//! sequence of steps, first.
//!
//! ```no_run
//! use judge_engine::sandbox::{Command, Sandbox, SandboxConfig, SandboxError, SyncHook};
//!
//! let sandbox = Sandbox::new(SandboxConfig::default())?;
//! let mut cmd = Command::new("/bin/true");
//! cmd.mounts(judge_engine::sandbox::system_mounts());
//! cmd.sync_hook(SyncHook::new(|pid| {
//!     // For example: move the child into a cgroup or an accounting scheme of your own, or
//!     // refuse to start it.
//!     let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
//!     if status.is_empty() {
//!         return Err("no such child".into());
//!     }
//!     Ok(())
//! }));
//! match sandbox.run(cmd) {
//!     Ok(result) => println!("exit: {:?}", result.status),
//!     Err(SandboxError::Hook(e)) => eprintln!("the hook refused: {e}"),
//!     Err(e) => eprintln!("{e}"),
//! }
//! # Ok::<(), SandboxError>(())
//! ```

pub mod bench;
pub mod cgroup;
pub mod checker;
pub mod hostdir;
pub mod judge;
pub mod limits;
pub mod lock;
pub mod pool;
pub mod profile;
pub mod program;
pub mod sandbox;
pub mod service;
pub mod testset;
pub mod verdict;

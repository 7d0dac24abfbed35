//! judge-engine: compile, run and check contest submissions in a Linux sandbox.
//!
//! The engine is built in layers:
//! 1. [`sandbox`]: one program in fresh user, PID, mount, network, IPC, UTS and cgroup namespaces;
//! 2. [`cgroup`]: limits and accounting (v1 and v2 behind one trait);
//! 3. [`profile`]: TOML language profiles;
//! 4. [`checker`], [`testset`]: output checking and test discovery;
//! 5. [`limits`]: the bounds every limit is checked against, whichever its source, and the
//!    sandbox limits each kind of step gets from them.

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

//! The engine as a service: what `judge serve` (and any other front end that shares one
//! engine between many clients) needs beside the pool, independent of the transport.
//!
//! - [`files`]: a bounded store of files clients upload or runs leave for later runs;
//! - [`gojudge`]: go-judge's execution model (`POST /run`), run on the pool.

pub mod files;
pub mod gojudge;

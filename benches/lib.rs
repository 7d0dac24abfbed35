//! Shared helpers for the benchmarks: the bare baseline every sandbox figure is compared with.

use std::ffi::CString;

/// fork + execv + waitpid of `path` with no arguments, stdio untouched: the cost of running a
/// program without any isolation. Returns the exit code.
pub fn bare_fork_exec_wait(path: &CString) -> i32 {
    let argv = [path.as_ptr(), std::ptr::null()];
    // SAFETY: fork in a benchmark process; the child only calls async-signal-safe execv and _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: argv is a NULL-terminated array of valid C strings.
        unsafe {
            libc::execv(path.as_ptr(), argv.as_ptr());
            libc::_exit(127);
        }
    }
    assert!(pid > 0, "fork failed");
    let mut status = 0;
    // SAFETY: waiting for the child just forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    libc::WEXITSTATUS(status)
}

/// Median and maximum of a sample.
pub fn median_max(mut xs: Vec<f64>) -> (f64, f64) {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    let median = if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    };
    (median, xs[n - 1])
}

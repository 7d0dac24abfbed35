//! The default checker streams: a 100 MB output is checked token by token with fixed buffers.
//! Alone in its test binary, so the process's peak memory is the checker's alone.

use std::fs::File;
use std::path::Path;

use judge_engine::checker::{check_files, Checker};

/// Writes `count` tokens of ten digits, `per_line` to a line, with `newline` ending lines.
fn write_tokens(path: &Path, count: u64, per_line: u64, newline: &str) -> u64 {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(File::create(path).unwrap());
    for i in 0..count {
        let sep = if (i + 1) % per_line == 0 {
            newline
        } else {
            " "
        };
        write!(w, "{:010}{sep}", i * 7919 % 10_000_000_000).unwrap();
    }
    w.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// Peak resident memory of this process's own address space, in bytes: `VmHWM`, which starts
/// afresh at exec. (`getrusage`'s `ru_maxrss` does not: it keeps the peak of the process that
/// forked and exec'd this test, here `cargo`, whose own size is no business of the checker's.)
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn hundred_megabyte_output_is_checked_as_a_stream() {
    const TOKENS: u64 = 9_200_000; // 11 bytes each: a little over 100 MB
    let dir = tempfile::tempdir().unwrap();
    let (output, answer) = (dir.path().join("out"), dir.path().join("ans"));
    let size = write_tokens(&answer, TOKENS, 10, "\n");
    assert!(size > 100_000_000, "answer is only {size} bytes");
    // Same tokens, other whitespace: only a token-wise comparison accepts it.
    write_tokens(&output, TOKENS, 7, "\r\n");
    let checker = Checker::from_name("default", "").unwrap();

    let outcome = check_files(&checker, &output, &answer).unwrap();
    assert!(outcome.accepted, "{outcome:?}");
    assert_eq!(
        outcome.message,
        format!("output matches the answer ({TOKENS} tokens)")
    );

    // Change the last token only.
    let last = format!("{:010}", (TOKENS - 1) * 7919 % 10_000_000_000);
    let mut bytes = last.clone().into_bytes();
    bytes[9] = if bytes[9] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(bytes).unwrap();
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&output)
            .unwrap();
        // The file ends with "<last>\r\n" or "<last> ".
        let len = f.metadata().unwrap().len();
        let tail = if TOKENS % 7 == 0 { 12 } else { 11 };
        f.seek(SeekFrom::Start(len - tail)).unwrap();
        f.write_all(wrong.as_bytes()).unwrap();
    }
    let outcome = check_files(&checker, &output, &answer).unwrap();
    assert!(!outcome.accepted);
    let line = TOKENS.div_ceil(7);
    assert_eq!(
        outcome.message,
        format!("token {TOKENS} (line {line}): expected \"{last}\", got \"{wrong}\"")
    );

    // Streaming: the process never held anything near a whole file in memory.
    let peak = peak_rss();
    assert!(peak < 64 << 20, "peak resident memory {peak} bytes");
}

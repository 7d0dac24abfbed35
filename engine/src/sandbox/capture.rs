//! A program's stream the engine reads while the program runs ([`Stdio::capture`]): a pipe,
//! drained by the same wake-ups that watch the run's clocks, of which the engine keeps the first
//! and last bytes. It takes no disk at all, and nothing in the sandbox can reserve, seek or
//! truncate it; more than the output limit on it ends the run as over the output limit.
//!
//! [`Stdio::capture`]: super::Stdio::capture

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use nix::fcntl::OFlag;

use super::error::{HostStep, SandboxError};
use super::Stdio;

/// What a captured stream carried: its first and last bytes and how many there were.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captured {
    /// The first bytes, up to half of what was kept.
    pub head: Vec<u8>,
    /// The last bytes after `head`, up to the other half; empty if everything fit in `head`.
    pub tail: Vec<u8>,
    /// Every byte written, kept or not.
    pub total: u64,
}

impl Captured {
    /// Whether bytes between `head` and `tail` were dropped.
    pub fn cut(&self) -> bool {
        self.total > (self.head.len() + self.tail.len()) as u64
    }

    /// The kept bytes as text, with a line where bytes were dropped.
    pub fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if self.cut() {
            let dropped = self.total - (self.head.len() + self.tail.len()) as u64;
            text.push_str(&format!("\n[... {dropped} bytes not kept ...]\n"));
        }
        text.push_str(&String::from_utf8_lossy(&self.tail));
        text
    }
}

/// Open a spec's stream `number` for the program; a captured one's drain goes to `drain`.
pub(crate) fn open_stream(
    stream: Stdio,
    number: usize,
    output_limit: Option<u64>,
    drain: &mut Option<Drain>,
) -> Result<OwnedFd, SandboxError> {
    let fd = match stream {
        Stdio::Capture(keep) => Drain::pipe(keep, output_limit).map(|(d, write)| {
            *drain = Some(d);
            write
        }),
        other => other.into_fd(number as i32),
    };
    fd.map_err(|e| SandboxError::host(HostStep::OpenStdio(number as u8), e))
}

/// The engine's end of a captured stream.
#[derive(Debug)]
pub(crate) struct Drain {
    fd: OwnedFd,
    half: usize,
    /// How many bytes of the tail to keep.
    tail_keep: usize,
    captured: Captured,
    ring: VecDeque<u8>,
    /// Past this many bytes the run is over its output limit.
    limit: Option<u64>,
    /// Every writer has closed its end.
    eof: bool,
}

impl Drain {
    /// A pipe: the drain on its read end and the write end for the program. Keeps `keep` bytes.
    pub(crate) fn pipe(keep: usize, limit: Option<u64>) -> io::Result<(Drain, OwnedFd)> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
        nix::fcntl::fcntl(&read, nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
        let half = keep / 2;
        let drain = Drain {
            fd: read,
            half,
            tail_keep: keep - half,
            captured: Captured::default(),
            ring: VecDeque::with_capacity(keep - half),
            limit,
            eof: false,
        };
        Ok((drain, write))
    }

    /// The descriptor to poll, or -1 (ignored by poll) once every writer is gone.
    pub(crate) fn poll_fd(&self) -> RawFd {
        if self.eof {
            -1
        } else {
            self.fd.as_raw_fd()
        }
    }

    /// Read what the pipe holds now, without blocking. Whether the stream is now over the limit.
    pub(crate) fn read_available(&mut self) -> io::Result<bool> {
        let mut buf = [0u8; 16 << 10];
        let keep_tail = self.tail_keep;
        while !self.eof {
            match nix::unistd::read(&self.fd, &mut buf) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    let mut bytes = &buf[..n];
                    self.captured.total += n as u64;
                    let room = self.half.saturating_sub(self.captured.head.len());
                    let first = room.min(bytes.len());
                    self.captured.head.extend_from_slice(&bytes[..first]);
                    bytes = &bytes[first..];
                    if bytes.len() >= keep_tail {
                        // Only the end of this read can stay.
                        bytes = &bytes[bytes.len() - keep_tail..];
                        self.ring.clear();
                    }
                    let over = (self.ring.len() + bytes.len()).saturating_sub(keep_tail);
                    self.ring.drain(..over);
                    self.ring.extend(bytes);
                }
                Err(nix::errno::Errno::EAGAIN) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(self.over())
    }

    /// Whether the stream carried more than its limit.
    pub(crate) fn over(&self) -> bool {
        self.limit.is_some_and(|l| self.captured.total > l)
    }

    /// What was captured.
    pub(crate) fn finish(mut self) -> Captured {
        self.captured.tail = self.ring.into_iter().collect();
        self.captured
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(chunks: &[&[u8]], keep: usize) -> Captured {
        let (mut drain, write) = Drain::pipe(keep, None).unwrap();
        let write = std::fs::File::from(write);
        // Pieces no bigger than a pipe's smallest buffer (a page), so no write waits for a read.
        for piece in chunks.iter().flat_map(|c| c.chunks(4096)) {
            std::io::Write::write_all(&mut &write, piece).unwrap();
            drain.read_available().unwrap();
        }
        drop(write);
        drain.read_available().unwrap();
        assert_eq!(drain.poll_fd(), -1, "end of file not seen");
        drain.finish()
    }

    #[test]
    fn short_streams_are_kept_whole() {
        let c = capture(&[b"hello ", b"world"], 64);
        assert_eq!(c.text(), "hello world");
        assert_eq!(c.total, 11);
        assert!(!c.cut());
    }

    #[test]
    fn long_streams_keep_their_first_and_last_bytes() {
        let body: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let c = capture(&[&body[..30_000], &body[30_000..], b"THE END"], 64);
        assert_eq!(c.head, &body[..32]);
        assert_eq!(c.tail.len(), 32);
        assert!(c.tail.ends_with(b"THE END"));
        assert_eq!(c.total, 100_007);
        assert!(c.cut());
        assert!(
            c.text().contains("[... 99943 bytes not kept ...]"),
            "{}",
            c.text()
        );
    }

    #[test]
    fn the_limit_is_reported_once_passed() {
        let (mut drain, write) = Drain::pipe(16, Some(10)).unwrap();
        let write = std::fs::File::from(write);
        std::io::Write::write_all(&mut &write, b"0123456789").unwrap();
        assert!(!drain.read_available().unwrap());
        std::io::Write::write_all(&mut &write, b"!").unwrap();
        assert!(drain.read_available().unwrap());
    }
}

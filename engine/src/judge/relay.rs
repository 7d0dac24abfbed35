//! The engine between an interactive submission and its interactor.
//!
//! The two programs never share a pipe: each writes into a pipe the engine reads, and reads from
//! a pipe the engine writes. The engine copies bytes across as they come, which
//! - orders the two ends exactly: a side can only see end-of-file after the engine has seen its
//!   peer close its output and noted when, so "the interactor ended first" is never a race
//!   between two reapers;
//! - keeps the pipes' usual meaning: when a side stops reading (it exited), the engine closes
//!   the other side's output pipe too, so a writer gets `EPIPE`/`SIGPIPE` as it would on a
//!   direct pipe; end-of-file is passed on once what was pending has been delivered;
//! - bounds what a flooding side can do: at most [`BUFFER`] bytes wait in the engine per
//!   direction, then the writer blocks as on a full pipe;
//! - can record what crossed, with timestamps, capped, for a problem setter's transcript.
//!
//! The relay ends when all four pipe ends are closed, or at its deadline (a safety net: each
//! side's sandbox has its own wall limit, and a side's death closes its ends).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags};

/// Bytes waiting in the engine per direction, at most.
pub const BUFFER: usize = 64 << 10;

/// Which program wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Submission,
    Interactor,
}

/// What one side wrote in one read of the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Since the relay started.
    pub at: Duration,
    pub from: Side,
    pub bytes: Vec<u8>,
}

/// What crossed the pipes, up to a cap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    pub chunks: Vec<Chunk>,
    /// Bytes that crossed but were not recorded, past the cap.
    pub left_out: u64,
}

impl Transcript {
    /// As text: one line per line of a chunk, `>` for what the submission wrote, `<` for what
    /// the interactor wrote, each chunk's first line with its time.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for chunk in &self.chunks {
            let arrow = match chunk.from {
                Side::Submission => '>',
                Side::Interactor => '<',
            };
            let body = String::from_utf8_lossy(&chunk.bytes);
            for (n, line) in body.split_inclusive('\n').enumerate() {
                let stamp = if n == 0 {
                    format!("{:9.3}s", chunk.at.as_secs_f64())
                } else {
                    " ".repeat(10)
                };
                text.push_str(&format!("{stamp} {arrow} {line}"));
            }
            if !body.ends_with('\n') {
                text.push_str(" [no newline]\n");
            }
        }
        if self.left_out > 0 {
            text.push_str(&format!(
                "[... {} more bytes not recorded]\n",
                self.left_out
            ));
        }
        text
    }
}

/// How the relay ended.
#[derive(Debug)]
pub struct Relayed {
    /// When the submission closed its output (it ended, or closed stdout); `None` if it never
    /// did before the relay stopped reading it.
    pub submission_closed: Option<Instant>,
    pub interactor_closed: Option<Instant>,
    pub transcript: Option<Transcript>,
    /// The deadline came first.
    pub timed_out: bool,
}

/// One direction: from a side's output pipe to the other side's input pipe.
struct Lane {
    from: Side,
    source: Option<File>,
    sink: Option<File>,
    /// Bytes read and not yet delivered are `buf[start..end]`.
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    closed: Option<Instant>,
}

impl Lane {
    fn new(from: Side, source: OwnedFd, sink: OwnedFd) -> io::Result<Lane> {
        nonblocking(&source)?;
        nonblocking(&sink)?;
        Ok(Lane {
            from,
            source: Some(File::from(source)),
            sink: Some(File::from(sink)),
            buf: vec![0; BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            closed: None,
        })
    }

    fn waiting(&self) -> usize {
        self.end - self.start
    }

    fn done(&self) -> bool {
        self.source.is_none() && self.sink.is_none()
    }

    /// Read what the source has, as much as fits.
    fn fill(&mut self, started: Instant, transcript: &mut Option<(Transcript, usize)>) {
        let Some(source) = self.source.as_mut() else {
            return;
        };
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        } else if self.end == BUFFER {
            self.buf.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
        }
        if self.end == BUFFER {
            return;
        }
        let n = match source.read(&mut self.buf[self.end..]) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                return
            }
            // Anything else ends this direction like end-of-file.
            Err(_) => 0,
        };
        if n == 0 {
            self.closed = Some(Instant::now());
            self.source = None;
            return;
        }
        if let Some((t, cap)) = transcript.as_mut() {
            let keep = n.min(*cap);
            if keep > 0 {
                t.chunks.push(Chunk {
                    at: started.elapsed(),
                    from: self.from,
                    bytes: self.buf[self.end..self.end + keep].to_vec(),
                });
                *cap -= keep;
            }
            t.left_out += (n - keep) as u64;
        }
        self.end += n;
    }

    /// Deliver what is waiting, as much as the sink takes.
    fn drain(&mut self) {
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        while self.start < self.end {
            match sink.write(&self.buf[self.start..self.end]) {
                Ok(n) => self.start += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.reader_gone();
                    return;
                }
            }
        }
    }

    /// The receiving side stopped reading: drop what waits and stop reading the sender, so
    /// that its next write fails as on a pipe without a reader.
    fn reader_gone(&mut self) {
        self.sink = None;
        self.source = None;
        (self.start, self.end) = (0, 0);
    }
}

/// Copies between the two sides until both are done with their pipes.
pub struct Relay {
    lanes: [Lane; 2],
    deadline: Instant,
    /// The transcript so far and how many more bytes it may record.
    transcript: Option<(Transcript, usize)>,
}

impl Relay {
    /// A relay for the engine's ends of the four pipes: the submission's output and input, the
    /// interactor's output and input. `record` caps the transcript, if one is wanted.
    pub fn new(
        submission_out: OwnedFd,
        submission_in: OwnedFd,
        interactor_out: OwnedFd,
        interactor_in: OwnedFd,
        deadline: Instant,
        record: Option<usize>,
    ) -> io::Result<Relay> {
        Ok(Relay {
            lanes: [
                Lane::new(Side::Submission, submission_out, interactor_in)?,
                Lane::new(Side::Interactor, interactor_out, submission_in)?,
            ],
            deadline,
            transcript: record.map(|cap| (Transcript::default(), cap)),
        })
    }

    pub fn run(mut self) -> io::Result<Relayed> {
        let started = Instant::now();
        let mut timed_out = false;
        loop {
            for lane in &mut self.lanes {
                // Pass end-of-file on once everything before it is delivered.
                if lane.source.is_none() && lane.waiting() == 0 {
                    lane.sink = None;
                }
            }
            if self.lanes.iter().all(Lane::done) {
                break;
            }
            let now = Instant::now();
            if now >= self.deadline {
                timed_out = true;
                break;
            }
            let wait = (self.deadline - now).as_millis().min(60_000) as u16;
            let ready = self.wait(wait)?;
            for (lane, source, flags) in ready {
                let lane = &mut self.lanes[lane];
                if source {
                    // Readable, or the writer is gone (then the read says end-of-file).
                    lane.fill(started, &mut self.transcript);
                    lane.drain();
                } else if flags.contains(PollFlags::POLLERR) {
                    lane.reader_gone();
                } else {
                    lane.drain();
                }
            }
        }
        let [submission, interactor] = self.lanes;
        Ok(Relayed {
            submission_closed: submission.closed,
            interactor_closed: interactor.closed,
            transcript: self.transcript.map(|(t, _)| t),
            timed_out,
        })
    }

    /// Poll the ends that can make progress; say which are ready (lane, is it the source, flags).
    fn wait(&self, millis: u16) -> io::Result<Vec<(usize, bool, PollFlags)>> {
        let mut fds = Vec::with_capacity(4);
        let mut whose = Vec::with_capacity(4);
        for (n, lane) in self.lanes.iter().enumerate() {
            if let Some(source) = &lane.source {
                if lane.waiting() < BUFFER {
                    fds.push(PollFd::new(source.as_fd(), PollFlags::POLLIN));
                    whose.push((n, true));
                }
            }
            if let Some(sink) = &lane.sink {
                // With nothing to send, still watch for the reader going away (POLLERR).
                let events = if lane.waiting() > 0 {
                    PollFlags::POLLOUT
                } else {
                    PollFlags::empty()
                };
                fds.push(PollFd::new(sink.as_fd(), events));
                whose.push((n, false));
            }
        }
        match poll(&mut fds, millis) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(fds
            .iter()
            .zip(whose)
            .filter_map(|(fd, (lane, source))| {
                let flags = fd.revents().unwrap_or(PollFlags::empty());
                (!flags.is_empty()).then_some((lane, source, flags))
            })
            .collect())
    }
}

fn nonblocking(fd: &OwnedFd) -> io::Result<()> {
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::OFlag;
    use nix::unistd::pipe2;
    use std::thread;

    struct Ends {
        /// The submission's stdin and stdout (as a test plays it).
        sub_in: File,
        sub_out: File,
        int_in: File,
        int_out: File,
    }

    fn relay(record: Option<usize>, deadline: Duration) -> (Relay, Ends) {
        let p = || pipe2(OFlag::O_CLOEXEC).unwrap();
        let (sub_in_r, sub_in_w) = p();
        let (sub_out_r, sub_out_w) = p();
        let (int_in_r, int_in_w) = p();
        let (int_out_r, int_out_w) = p();
        let relay = Relay::new(
            sub_out_r,
            sub_in_w,
            int_out_r,
            int_in_w,
            Instant::now() + deadline,
            record,
        )
        .unwrap();
        let ends = Ends {
            sub_in: File::from(sub_in_r),
            sub_out: File::from(sub_out_w),
            int_in: File::from(int_in_r),
            int_out: File::from(int_out_w),
        };
        (relay, ends)
    }

    #[test]
    fn bytes_cross_both_ways_and_the_transcript_records_them() {
        let (relay, ends) = relay(Some(1 << 20), Duration::from_secs(10));
        let handle = thread::spawn(move || relay.run().unwrap());
        let Ends {
            mut sub_in,
            mut sub_out,
            mut int_in,
            mut int_out,
        } = ends;
        int_out.write_all(b"hello 5\n").unwrap();
        let mut buf = [0u8; 8];
        sub_in.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hello 5\n");
        sub_out.write_all(b"10\n").unwrap();
        let mut buf = [0u8; 3];
        int_in.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"10\n");
        drop(int_out);
        // The submission sees end-of-file only after the interactor's end was recorded.
        let mut rest = Vec::new();
        sub_in.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
        drop(sub_out);
        drop(sub_in);
        drop(int_in);
        let relayed = handle.join().unwrap();
        assert!(!relayed.timed_out);
        let (i, s) = (
            relayed.interactor_closed.unwrap(),
            relayed.submission_closed.unwrap(),
        );
        assert!(i <= s, "the interactor closed first");
        let t = relayed.transcript.unwrap();
        let sides: Vec<_> = t.chunks.iter().map(|c| (c.from, c.bytes.clone())).collect();
        assert_eq!(
            sides,
            vec![
                (Side::Interactor, b"hello 5\n".to_vec()),
                (Side::Submission, b"10\n".to_vec())
            ]
        );
        let text = t.render();
        assert!(text.contains("< hello 5\n"), "{text}");
        assert!(text.contains("> 10\n"), "{text}");
    }

    #[test]
    fn a_writer_whose_reader_is_gone_gets_epipe() {
        let (relay, ends) = relay(None, Duration::from_secs(10));
        let handle = thread::spawn(move || relay.run().unwrap());
        let Ends {
            sub_in,
            mut sub_out,
            int_in,
            int_out,
        } = ends;
        // The interactor ends: both its pipe ends close.
        drop(int_in);
        drop(int_out);
        let mut rest = Vec::new();
        let mut sub_in = sub_in;
        sub_in.read_to_end(&mut rest).unwrap();
        // The submission keeps writing: once the engine noticed, the write fails.
        let mut failed = false;
        for _ in 0..1000 {
            if let Err(e) = sub_out.write_all(&[b'x'; 4096]) {
                assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
                failed = true;
                break;
            }
        }
        assert!(failed, "writes into a gone reader must fail");
        drop(sub_out);
        drop(sub_in);
        let relayed = handle.join().unwrap();
        assert!(relayed.interactor_closed.is_some());
        assert!(!relayed.timed_out);
    }

    #[test]
    fn a_flood_is_held_to_the_buffer_and_the_transcript_to_its_cap() {
        let (relay, ends) = relay(Some(100), Duration::from_millis(500));
        let handle = thread::spawn(move || relay.run().unwrap());
        let Ends {
            sub_in,
            sub_out,
            int_in,
            int_out,
        } = ends;
        // The submission floods; the interactor never reads.
        nonblocking(&OwnedFd::from(sub_out.try_clone().unwrap())).unwrap();
        let mut sub_out = sub_out;
        let mut written = 0usize;
        loop {
            match sub_out.write(&[b'y'; 4096]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(20));
                    match sub_out.write(&[b'y'; 4096]) {
                        Ok(n) => written += n,
                        Err(_) => break,
                    }
                }
                Err(e) => panic!("{e}"),
            }
            assert!(written < 16 << 20, "the flood was never held back");
        }
        // Two pipes (64 KiB each by default) and the engine's buffer, no more.
        assert!(written <= 2 * (64 << 10) + BUFFER + 4096, "{written}");
        let relayed = handle.join().unwrap();
        assert!(relayed.timed_out);
        let t = relayed.transcript.unwrap();
        let recorded: usize = t.chunks.iter().map(|c| c.bytes.len()).sum();
        assert_eq!(recorded, 100);
        assert!(t.left_out > 0);
        assert!(t.render().ends_with("more bytes not recorded]\n"));
        drop((sub_in, int_in, int_out));
    }
}

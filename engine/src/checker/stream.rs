//! Buffered, position-tracking reading of one side (the output or the answer) of a comparison.
//!
//! Checkers never hold a whole file: an output can be 100 MB or more. A checker (1) looks at what
//! the stream's fixed buffer holds (refilled from the file when empty), (2) compares it with the
//! other side, and (3) consumes what matched. Consuming keeps the line and byte offset of the next
//! byte, and a short tail of the bytes just consumed, so that a difference found deep in a large
//! file can still be shown with the text just before it.

use std::io::{self, Read};

use super::FileRole;

/// Bytes read from the file at a time; also the longest token that [`ByteStream::whole_token`]
/// can return.
const BUF_SIZE: usize = 64 * 1024;
/// Bytes kept behind the read position for excerpts (see `diff::excerpt`).
pub(crate) const KEPT_BEHIND: usize = 24;

/// Whitespace as C's `isspace` sees it in the "C" locale (which includes vertical tab and form
/// feed, unlike [`u8::is_ascii_whitespace`]), as the ICPC default validator does.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Whitespace that does not end a line.
pub(crate) fn is_blank(b: u8) -> bool {
    is_space(b) && b != b'\n'
}

/// Which stretch of text an excerpt shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// The current whitespace-free token.
    Token,
    /// The current line, with its newline.
    Line,
}

/// A read failure, with the side it happened on; the caller knows that side's path.
#[derive(Debug)]
pub(crate) struct ReadError {
    pub(crate) role: FileRole,
    pub(crate) source: io::Error,
}

pub(crate) struct ByteStream<R> {
    inner: R,
    role: FileRole,
    buf: Box<[u8]>,
    /// Next unconsumed byte in `buf`. The `min(offset, KEPT_BEHIND)` bytes before it are
    /// the last ones consumed, kept for excerpts.
    pos: usize,
    /// End of the valid bytes in `buf`.
    end: usize,
    eof: bool,
    /// 1-based line of the next byte.
    line: u64,
    /// Bytes consumed so far.
    offset: u64,
    since_newline: u64,
    since_space: u64,
}

impl<R> ByteStream<R> {
    /// 1-based line of the next byte.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// 1-based byte column of the next byte in its line.
    pub(crate) fn column(&self) -> u64 {
        self.since_newline + 1
    }

    /// Bytes consumed so far: the 0-based offset of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }
}

impl<R: Read> ByteStream<R> {
    pub(crate) fn new(inner: R, role: FileRole) -> Self {
        ByteStream {
            inner,
            role,
            buf: vec![0; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            end: 0,
            eof: false,
            line: 1,
            offset: 0,
            since_newline: 0,
            since_space: 0,
        }
    }

    /// Reads more bytes after the buffered ones, moving those (and the context kept before them)
    /// to the front first. Returns false at the end of the file (or when the buffer is full).
    fn fill(&mut self) -> Result<bool, ReadError> {
        if self.eof {
            return Ok(false);
        }
        let keep = self.pos.min(KEPT_BEHIND);
        let start = self.pos - keep;
        if start > 0 {
            self.buf.copy_within(start..self.end, 0);
            self.end -= start;
            self.pos = keep;
        }
        if self.end == self.buf.len() {
            return Ok(false);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ReadError {
                        role: self.role,
                        source,
                    })
                }
            }
        }
    }

    /// The next byte, without consuming it; `None` at the end of the file.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, ReadError> {
        if self.pos == self.end {
            self.fill()?;
        }
        Ok(self.buf[self.pos..self.end].first().copied())
    }

    /// The buffered bytes, refilled first if none are left; empty only at the end of the file.
    pub(crate) fn chunk(&mut self) -> Result<&[u8], ReadError> {
        if self.pos == self.end {
            self.fill()?;
        }
        Ok(&self.buf[self.pos..self.end])
    }

    /// The buffered part of the current token; empty only when the next byte is whitespace or
    /// the file has ended.
    pub(crate) fn token_chunk(&mut self) -> Result<&[u8], ReadError> {
        let chunk = self.chunk()?;
        let len = chunk
            .iter()
            .position(|&b| is_space(b))
            .unwrap_or(chunk.len());
        Ok(&chunk[..len])
    }

    /// The whole current token, if it is at most `cap` bytes long; `None` if it is longer.
    pub(crate) fn whole_token(&mut self, cap: usize) -> Result<Option<&[u8]>, ReadError> {
        debug_assert!(
            cap + KEPT_BEHIND < BUF_SIZE,
            "the context, a token of cap bytes and its end must fit the buffer"
        );
        let mut scanned = 0;
        loop {
            let avail = &self.buf[self.pos..self.end];
            if let Some(len) = avail[scanned..].iter().position(|&b| is_space(b)) {
                let len = scanned + len;
                return Ok((len <= cap).then(|| &self.buf[self.pos..self.pos + len]));
            }
            scanned = avail.len();
            if scanned > cap {
                return Ok(None);
            }
            if !self.fill()? {
                let avail = &self.buf[self.pos..self.end];
                return Ok((avail.len() <= cap).then_some(avail));
            }
        }
    }

    /// Consumes `n` buffered bytes, keeping the position up to date.
    pub(crate) fn consume(&mut self, n: usize) {
        let taken = &self.buf[self.pos..self.pos + n];
        let mut since_newline = self.since_newline + n as u64;
        let mut since_space = self.since_space + n as u64;
        for (i, &b) in taken.iter().enumerate() {
            if is_space(b) {
                since_space = (n - 1 - i) as u64;
                if b == b'\n' {
                    self.line += 1;
                    since_newline = since_space;
                }
            }
        }
        self.since_newline = since_newline;
        self.since_space = since_space;
        self.pos += n;
        self.offset += n as u64;
    }

    /// Consumes `n` buffered bytes known to hold no whitespace (part of a token): no need to
    /// look for line ends.
    pub(crate) fn consume_token_bytes(&mut self, n: usize) {
        debug_assert!(!self.buf[self.pos..self.pos + n]
            .iter()
            .any(|&b| is_space(b)));
        self.since_newline += n as u64;
        self.since_space += n as u64;
        self.pos += n;
        self.offset += n as u64;
    }

    /// Consumes bytes while `pred` holds.
    pub(crate) fn skip_while(&mut self, pred: impl Fn(u8) -> bool) -> Result<(), ReadError> {
        loop {
            let chunk = self.chunk()?;
            let len = chunk.len();
            let n = chunk.iter().position(|&b| !pred(b)).unwrap_or(len);
            self.consume(n);
            if n < len || len == 0 {
                return Ok(());
            }
        }
    }

    /// How many bytes of the current `unit` were consumed so far, and the last of them, up to
    /// `max` (at most [`KEPT_BEHIND`]: those are still in the buffer).
    pub(crate) fn behind(&self, unit: Unit, max: usize) -> (u64, &[u8]) {
        let since = match unit {
            Unit::Token => self.since_space,
            Unit::Line => self.since_newline,
        };
        let take = since.min(max.min(KEPT_BEHIND) as u64) as usize;
        (since, &self.buf[self.pos - take..self.pos])
    }
}

/// Consumes the longest common prefix of the two streams, stopping where their next bytes differ
/// or both have ended.
pub(crate) fn skip_common_prefix<O: Read, A: Read>(
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<(), ReadError> {
    loop {
        let a = ans.chunk()?;
        let b = out.chunk()?;
        let n = a.len().min(b.len());
        let same = if a[..n] == b[..n] {
            n
        } else {
            a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(n)
        };
        ans.consume(same);
        out.consume(same);
        if same < n || n == 0 {
            return Ok(());
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Hands out at most `step` bytes per read, so that tests cross buffer refills everywhere.
    pub(crate) struct Trickle<'a> {
        pub(crate) data: &'a [u8],
        pub(crate) step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    pub(crate) fn stream(data: &[u8]) -> ByteStream<Trickle<'_>> {
        ByteStream::new(Trickle { data, step: 1 }, FileRole::Output)
    }

    #[test]
    fn space_set_matches_c_isspace() {
        for b in [b' ', b'\t', b'\n', b'\r', 0x0b, 0x0c] {
            assert!(is_space(b), "{b:#x} is whitespace");
        }
        for b in [0u8, b'a', 0x85, 0xa0, 0x1c] {
            assert!(!is_space(b), "{b:#x} is not whitespace");
        }
        assert!(!is_blank(b'\n') && is_blank(b'\r'));
    }

    #[test]
    fn peek_does_not_consume() {
        let mut s = stream(b"ab");
        assert_eq!(s.peek().unwrap(), Some(b'a'));
        assert_eq!(s.peek().unwrap(), Some(b'a'));
        s.consume(1);
        assert_eq!(s.peek().unwrap(), Some(b'b'));
        s.consume(1);
        assert_eq!(s.peek().unwrap(), None);
    }

    #[test]
    fn lines_columns_and_offsets_follow_consumption() {
        let mut s = stream(b"ab\ncd\n\nx");
        s.skip_while(|b| b != b'x').unwrap();
        assert_eq!((s.line(), s.column(), s.offset()), (4, 1, 7));
        let mut s = stream(b"ab\ncd");
        s.skip_while(|b| b != b'd').unwrap();
        assert_eq!((s.line(), s.column(), s.offset()), (2, 2, 4));
    }

    #[test]
    fn whole_token_is_assembled_across_refills() {
        let mut s = stream(b"12345 6");
        assert_eq!(s.whole_token(100).unwrap(), Some(&b"12345"[..]));
        assert_eq!(s.offset(), 0, "whole_token does not consume");
    }

    #[test]
    fn whole_token_ends_at_end_of_file() {
        let mut s = stream(b"789");
        assert_eq!(s.whole_token(100).unwrap(), Some(&b"789"[..]));
    }

    #[test]
    fn whole_token_longer_than_cap_is_none() {
        let mut s = stream(b"123456 7");
        assert_eq!(s.whole_token(5).unwrap(), None);
        let mut s = stream(b"123456");
        assert_eq!(s.whole_token(5).unwrap(), None);
        let mut s = stream(b"12345");
        assert_eq!(s.whole_token(5).unwrap(), Some(&b"12345"[..]));
    }

    #[test]
    fn token_chunk_stops_at_whitespace() {
        let mut s = ByteStream::new(&b"abc def"[..], FileRole::Output);
        assert_eq!(s.token_chunk().unwrap(), b"abc");
        s.consume(3);
        assert_eq!(s.token_chunk().unwrap(), b"");
    }

    #[test]
    fn common_prefix_is_consumed_up_to_the_difference() {
        let mut out = stream(b"hello world");
        let mut ans = ByteStream::new(&b"hello there"[..], FileRole::Answer);
        skip_common_prefix(&mut out, &mut ans).unwrap();
        assert_eq!(out.offset(), 6);
        assert_eq!(ans.offset(), 6);
        assert_eq!(out.peek().unwrap(), Some(b'w'));
    }

    #[test]
    fn common_prefix_stops_at_the_shorter_end() {
        let mut out = stream(b"abc");
        let mut ans = stream(b"abcdef");
        skip_common_prefix(&mut out, &mut ans).unwrap();
        assert_eq!(
            (out.peek().unwrap(), ans.peek().unwrap()),
            (None, Some(b'd'))
        );
    }

    #[test]
    fn interrupted_reads_are_retried() {
        struct Flaky(bool);
        impl Read for Flaky {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.0 = !self.0;
                if self.0 {
                    Err(io::Error::from(io::ErrorKind::Interrupted))
                } else {
                    buf[0] = b'x';
                    Ok(1)
                }
            }
        }
        let mut s = ByteStream::new(Flaky(false), FileRole::Output);
        assert_eq!(s.peek().unwrap(), Some(b'x'));
    }

    #[test]
    fn read_errors_carry_the_side() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let err = ByteStream::new(Broken, FileRole::Answer)
            .peek()
            .unwrap_err();
        assert_eq!(err.role, FileRole::Answer);
        assert_eq!(err.source.to_string(), "disk on fire");
    }
}

//! Human-readable excerpts of the first place where an output differs from its answer.
//!
//! When a checker finds a difference it (1) takes a [`Mark`] of where both streams stand, before
//! anything more is read, (2) asks each stream for an excerpt: a few bytes already read of the
//! current token or line, then a few bytes ahead (see [`excerpt`]), and (3) renders both
//! with [`escape`], so that NUL bytes, control characters and invalid UTF-8 in a submission's
//! output show up as visible escapes instead of garbling a terminal or a web page.

use std::fmt::Write as _;
use std::io::Read;

use super::stream::{is_space, ByteStream, ReadError, Unit, KEPT_BEHIND};
use super::Difference;

/// Bytes of context shown before the difference: all a stream keeps behind its position.
pub(crate) const CONTEXT_BEFORE: usize = KEPT_BEHIND;
/// Bytes of context shown from the difference on.
pub(crate) const CONTEXT_AFTER: usize = 32;
/// Marks an excerpt cut short on either side.
pub(crate) const ELLIPSIS: &str = "…";

/// Renders bytes for a human, inside double quotes: printable text as is, everything else escaped.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            escape_char(&mut out, c);
        }
        for b in chunk.invalid() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c if c.is_ascii_control() => {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        }
        // Invisible or reordering characters would make two different excerpts look alike.
        c if c.is_control() || is_invisible(c) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// Zero-width characters, bidirectional overrides and the byte-order mark.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

pub(crate) fn is_utf8_continuation(b: u8) -> bool {
    b & 0xc0 == 0x80
}

/// An escaped excerpt of `stream`'s current `unit` around its next byte: what was already
/// consumed of it (up to [`CONTEXT_BEFORE`] bytes), then what follows (up to [`CONTEXT_AFTER`]
/// bytes, consumed here: a stream is not compared any further once an excerpt is taken).
pub(crate) fn excerpt<R: Read>(
    stream: &mut ByteStream<R>,
    unit: Unit,
) -> Result<String, ReadError> {
    let (since, before) = stream.behind(unit, CONTEXT_BEFORE);
    let before = before.to_vec();
    let mut after = Vec::with_capacity(CONTEXT_AFTER);
    let mut cut_after = false;
    while let Some(b) = stream.peek()? {
        if unit == Unit::Token && is_space(b) {
            break;
        }
        // Finish a multi-byte character rather than cut it.
        let full = after.len() >= CONTEXT_AFTER;
        if full && (!is_utf8_continuation(b) || after.len() >= CONTEXT_AFTER + 3) {
            cut_after = true;
            break;
        }
        after.push(b);
        stream.consume(1);
        if unit == Unit::Line && b == b'\n' {
            break;
        }
    }
    Ok(render(
        &before,
        since > before.len() as u64,
        &after,
        cut_after,
    ))
}

/// Joins the context before and after a difference into one escaped excerpt.
pub(crate) fn render(before: &[u8], cut_before: bool, after: &[u8], cut_after: bool) -> String {
    let mut before = before;
    if cut_before {
        // Do not start the excerpt in the middle of a multi-byte character.
        let skip = before
            .iter()
            .take(3)
            .take_while(|&&b| is_utf8_continuation(b))
            .count();
        before = &before[skip..];
    }
    let mut out = String::new();
    if cut_before {
        out.push_str(ELLIPSIS);
    }
    let mut joined = before.to_vec();
    joined.extend_from_slice(after);
    out.push_str(&escape(&joined));
    if cut_after {
        out.push_str(ELLIPSIS);
    }
    out
}

/// Where both streams stand at a difference, taken before the excerpts read further.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    pub(crate) output_line: u64,
    pub(crate) output_column: u64,
    pub(crate) output_offset: u64,
    pub(crate) answer_line: u64,
    pub(crate) answer_offset: u64,
}

impl Mark {
    pub(crate) fn take<O, A>(out: &ByteStream<O>, ans: &ByteStream<A>) -> Mark {
        Mark {
            output_line: out.line(),
            output_column: out.column(),
            output_offset: out.offset(),
            answer_line: ans.line(),
            answer_offset: ans.offset(),
        }
    }

    pub(crate) fn difference(self, expected: String, got: String) -> Difference {
        Difference {
            output_line: self.output_line,
            answer_line: self.answer_line,
            output_offset: self.output_offset,
            answer_offset: self.answer_offset,
            expected,
            got,
        }
    }
}

/// "1 token", "3 tokens".
pub(crate) fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::super::stream::tests::stream;
    use super::*;

    #[test]
    fn line_excerpt_shows_the_line_around_the_position() {
        let mut s = stream(b"first\nabc def\nnext");
        s.skip_while(|b| b != b'd').unwrap();
        assert_eq!(excerpt(&mut s, Unit::Line).unwrap(), r"abc def\n");
    }

    #[test]
    fn token_excerpt_shows_only_the_token() {
        let mut s = stream(b"one two three");
        s.skip_while(|b| b != b'w').unwrap();
        assert_eq!(excerpt(&mut s, Unit::Token).unwrap(), "two");
    }

    #[test]
    fn excerpt_is_cut_on_both_sides_of_a_long_line() {
        let data = [b'a'; 100];
        let mut s = stream(&data);
        // Consume 50 bytes one at a time, then excerpt: 24 before, 32 after, both cut.
        for _ in 0..50 {
            s.peek().unwrap();
            s.consume(1);
        }
        let want = format!("…{}…", "a".repeat(KEPT_BEHIND + CONTEXT_AFTER));
        assert_eq!(excerpt(&mut s, Unit::Line).unwrap(), want);
    }

    #[test]
    fn excerpt_keeps_a_multibyte_character_whole_at_the_cut() {
        let mut data = vec![b'a'; CONTEXT_AFTER - 1];
        data.extend_from_slice("é".as_bytes());
        data.extend_from_slice(b"zzz");
        let mut s = stream(&data);
        let got = excerpt(&mut s, Unit::Line).unwrap();
        assert_eq!(got, format!("{}é…", "a".repeat(CONTEXT_AFTER - 1)));
    }

    #[test]
    fn printable_ascii_is_kept() {
        assert_eq!(escape(b"abc 1.5 -x"), "abc 1.5 -x");
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(escape(br#"a"b\c"#), r#"a\"b\\c"#);
    }

    #[test]
    fn whitespace_controls_get_named_escapes() {
        assert_eq!(escape(b"a\nb\rc\td"), r"a\nb\rc\td");
    }

    #[test]
    fn nul_byte_is_visible() {
        assert_eq!(escape(b"a\0b"), r"a\0b");
    }

    #[test]
    fn other_control_bytes_are_hex_escaped() {
        assert_eq!(escape(b"\x01\x0b\x1b\x7f"), r"\x01\x0b\x1b\x7f");
    }

    #[test]
    fn valid_utf8_is_kept() {
        assert_eq!(escape("naïve π".as_bytes()), "naïve π");
    }

    #[test]
    fn invalid_utf8_bytes_are_hex_escaped() {
        assert_eq!(escape(b"a\xffb\xc3"), r"a\xffb\xc3");
    }

    #[test]
    fn invisible_characters_are_escaped() {
        assert_eq!(
            escape("a\u{200b}b\u{202e}".as_bytes()),
            r"a\u{200b}b\u{202e}"
        );
    }

    #[test]
    fn unicode_control_characters_are_escaped() {
        assert_eq!(escape("\u{85}".as_bytes()), r"\u{85}");
    }

    #[test]
    fn render_marks_cut_sides() {
        assert_eq!(render(b"ab", true, b"cd", true), "…abcd…");
        assert_eq!(render(b"ab", false, b"cd", false), "abcd");
    }

    #[test]
    fn render_does_not_start_inside_a_character() {
        // "é" is C3 A9; a cut that keeps only A9 must drop it rather than show \xa9.
        assert_eq!(render(b"\xa9x", true, b"", false), "…x");
    }

    #[test]
    fn plural_words() {
        assert_eq!(plural(1, "token"), "1 token");
        assert_eq!(plural(0, "token"), "0 tokens");
        assert_eq!(plural(3, "token"), "3 tokens");
    }
}

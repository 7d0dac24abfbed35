//! The `lines` checker: line by line, forgiving trailing whitespace.
//!
//! Lines are split at `\n` only. Two files match when, line by line, they are equal once the
//! whitespace at the end of each line (space, `\t`, `\r`, `\v`, `\f`) is removed, and after
//! dropping blank lines at the end of the file. So a `\r` before `\n` is ignored (CRLF equals
//! LF), a missing final newline is fine, but leading and inner whitespace count, and a `\r` in the
//! middle of a line is a character like any other.
//!
//! Both files stream through together: (1) the common prefix is consumed in buffered chunks; (2)
//! at a differing byte, if either side is at whitespace, both skip their whitespace run: if both
//! runs end their lines (or files) the difference was only trailing whitespace, and the walk goes
//! on; (3) if one side has ended and the other is at a newline, the latter must hold nothing but
//! whitespace up to its end; (4) anything else is the first difference.

use std::io::Read;

use super::diff::{excerpt, plural, Mark};
use super::stream::{is_blank, is_space, skip_common_prefix, ByteStream, ReadError, Unit};
use super::CheckOutcome;

fn ends_line(b: Option<u8>) -> bool {
    matches!(b, None | Some(b'\n'))
}

pub(crate) fn check<O: Read, A: Read>(
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<CheckOutcome, ReadError> {
    loop {
        skip_common_prefix(out, ans)?;
        let (a, b) = (ans.peek()?, out.peek()?);
        if a.is_none() && b.is_none() {
            let lines = plural(out.line() - u64::from(out.column() == 1), "line");
            return Ok(CheckOutcome::accepted(format!(
                "output matches the answer line by line ({lines})"
            )));
        }
        let mark = Mark::take(out, ans);
        let (a, b) = if a.is_some_and(is_blank) || b.is_some_and(is_blank) {
            ans.skip_while(is_blank)?;
            out.skip_while(is_blank)?;
            let (a, b) = (ans.peek()?, out.peek()?);
            if !(ends_line(a) && ends_line(b)) {
                return differ(mark, out, ans);
            }
            if a == b {
                continue;
            }
            (a, b)
        } else {
            (a, b)
        };
        return match (a, b) {
            (None, Some(b'\n')) => {
                out.skip_while(is_space)?;
                match out.peek()? {
                    None => continue,
                    Some(_) => extra_output(out, ans),
                }
            }
            (Some(b'\n'), None) => {
                ans.skip_while(is_space)?;
                match ans.peek()? {
                    None => continue,
                    Some(_) => ends_early(out, ans),
                }
            }
            (None, Some(_)) => extra_output(out, ans),
            (Some(_), None) => ends_early(out, ans),
            (Some(_), Some(_)) => differ(mark, out, ans),
            (None, None) => continue,
        };
    }
}

fn differ<O: Read, A: Read>(
    mark: Mark,
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<CheckOutcome, ReadError> {
    let expected = excerpt(ans, Unit::Line)?;
    let got = excerpt(out, Unit::Line)?;
    let message = format!(
        "line {}, column {}: expected \"{expected}\", got \"{got}\"",
        mark.output_line, mark.output_column
    );
    Ok(CheckOutcome::wrong(message, mark.difference(expected, got)))
}

fn extra_output<O: Read, A: Read>(
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<CheckOutcome, ReadError> {
    let mark = Mark::take(out, ans);
    let got = excerpt(out, Unit::Line)?;
    let message = format!(
        "extra output after the answer at line {}: \"{got}\"",
        mark.output_line
    );
    Ok(CheckOutcome::wrong(
        message,
        mark.difference(String::new(), got),
    ))
}

fn ends_early<O: Read, A: Read>(
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<CheckOutcome, ReadError> {
    let mark = Mark::take(out, ans);
    let expected = excerpt(ans, Unit::Line)?;
    let got = excerpt(out, Unit::Line)?;
    let message = if mark.output_offset == 0 {
        format!("output is empty: expected \"{expected}\"")
    } else {
        format!(
            "output ends early: expected \"{expected}\" at line {}",
            mark.answer_line
        )
    };
    Ok(CheckOutcome::wrong(message, mark.difference(expected, got)))
}

#[cfg(test)]
mod tests {
    use crate::checker::tests::run;
    use crate::checker::{CheckOutcome, Checker};

    fn lines(output: &[u8], answer: &[u8]) -> CheckOutcome {
        run(&Checker::Lines, output, answer)
    }

    fn accepts(output: &[u8], answer: &[u8]) {
        let outcome = lines(output, answer);
        assert!(outcome.accepted, "{output:?} vs {answer:?}: {outcome:?}");
        assert_eq!(outcome.diff, None);
    }

    fn rejects(output: &[u8], answer: &[u8]) -> CheckOutcome {
        let outcome = lines(output, answer);
        assert!(!outcome.accepted, "{output:?} vs {answer:?}: {outcome:?}");
        outcome
    }

    #[test]
    fn identical_files_are_accepted() {
        let outcome = lines(b"a b\nc\n", b"a b\nc\n");
        assert!(outcome.accepted);
        assert_eq!(
            outcome.message,
            "output matches the answer line by line (2 lines)"
        );
    }

    #[test]
    fn trailing_spaces_and_tabs_are_ignored() {
        accepts(b"a b  \t\nc \n", b"a b\nc\n");
        accepts(b"a b\nc\n", b"a b \t\nc   \n");
    }

    #[test]
    fn crlf_equals_lf() {
        accepts(b"1 2\r\n3\r\n", b"1 2\n3\n");
        accepts(b"1 2\n3\n", b"1 2\r\n3\r\n");
    }

    #[test]
    fn carriage_return_inside_a_line_counts() {
        rejects(b"1\r2\n", b"1 2\n");
        rejects(b"1\r2\n", b"12\n");
    }

    #[test]
    fn missing_final_newline_is_fine() {
        accepts(b"1\n2", b"1\n2\n");
        accepts(b"1\n2\n", b"1\n2");
    }

    #[test]
    fn trailing_blank_lines_are_ignored() {
        accepts(b"1\n\n\n  \n\t\n", b"1\n");
        accepts(b"1\n", b"1\n\n \n");
        accepts(b"1", b"1\r\n\r\n");
    }

    #[test]
    fn trailing_whitespace_on_a_blank_inner_line_is_ignored() {
        accepts(b"1\n  \n2\n", b"1\n\n2\n");
    }

    #[test]
    fn blank_inner_line_cannot_be_dropped() {
        let outcome = rejects(b"1\n2\n", b"1\n\n2\n");
        assert_eq!(
            outcome.message,
            r#"line 2, column 1: expected "\n", got "2\n""#
        );
    }

    #[test]
    fn leading_whitespace_counts() {
        rejects(b" 1\n", b"1\n");
        rejects(b"1\n", b" 1\n");
    }

    #[test]
    fn inner_whitespace_counts() {
        let outcome = rejects(b"1  2\n", b"1 2\n");
        assert_eq!(
            outcome.message,
            r#"line 1, column 3: expected "1 2\n", got "1  2\n""#
        );
        rejects(b"1\t2\n", b"1 2\n");
        rejects(b"1 \t2\n", b"1\t 2\n");
    }

    #[test]
    fn trailing_whitespace_then_more_text_is_a_difference() {
        rejects(b"1 \n", b"1 2\n");
        rejects(b"1 2\n", b"1 \n");
    }

    #[test]
    fn case_matters() {
        rejects(b"YES\n", b"yes\n");
    }

    #[test]
    fn empty_output_against_empty_answer_is_accepted() {
        accepts(b"", b"");
        accepts(b"\n\n", b"");
        accepts(b"", b" \n");
    }

    #[test]
    fn empty_output_against_an_answer_is_wrong() {
        let outcome = rejects(b"", b"42\n");
        assert_eq!(outcome.message, r#"output is empty: expected "42\n""#);
    }

    #[test]
    fn output_ending_early_names_the_missing_line() {
        let outcome = rejects(b"1\n", b"1\n\n\n3\n");
        assert_eq!(
            outcome.message,
            r#"output ends early: expected "3\n" at line 4"#
        );
        let diff = outcome.diff.unwrap();
        assert_eq!(diff.answer_line, 4);
    }

    #[test]
    fn extra_line_after_blank_lines_is_wrong() {
        let outcome = rejects(b"1\n\n  x\n", b"1\n");
        assert_eq!(
            outcome.message,
            r#"extra output after the answer at line 3: "  x\n""#
        );
        assert_eq!(outcome.diff.unwrap().output_line, 3);
    }

    #[test]
    fn extra_text_on_the_last_line_is_wrong() {
        let outcome = rejects(b"12", b"1");
        assert_eq!(
            outcome.message,
            r#"extra output after the answer at line 1: "12""#
        );
    }

    #[test]
    fn nul_and_invalid_utf8_compare_as_bytes() {
        accepts(b"\0\xff \n", b"\0\xff\n");
        let outcome = rejects(b"a\0b\n", b"a b\n");
        assert_eq!(
            outcome.message,
            r#"line 1, column 2: expected "a b\n", got "a\0b\n""#
        );
    }

    #[test]
    fn difference_reports_line_and_offsets() {
        let outcome = rejects(b"x\r\ny\r\nzz\r\n", b"x\ny\nzq\n");
        let diff = outcome.diff.unwrap();
        assert_eq!((diff.output_line, diff.answer_line), (3, 3));
        assert_eq!((diff.output_offset, diff.answer_offset), (7, 5));
        assert_eq!(
            (diff.expected.as_str(), diff.got.as_str()),
            (r"zq\n", r"zz\r\n")
        );
    }
}

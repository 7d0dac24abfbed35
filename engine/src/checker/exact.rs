//! The `exact` checker: the output must be byte-identical to the answer.
//!
//! Both files stream through in buffered chunks; the first differing byte, or the first byte
//! past the end of the shorter file, is reported with the line around it. Nothing is forgiven:
//! not a trailing newline, not a `\r`.

use std::io::Read;

use super::diff::{excerpt, plural, Mark};
use super::stream::{skip_common_prefix, ByteStream, ReadError, Unit};
use super::CheckOutcome;

pub(crate) fn check<O: Read, A: Read>(
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<CheckOutcome, ReadError> {
    skip_common_prefix(out, ans)?;
    let output_ended = out.peek()?.is_none();
    let answer_ended = ans.peek()?.is_none();
    let mark = Mark::take(out, ans);
    if output_ended && answer_ended {
        let size = plural(out.offset(), "byte");
        return Ok(CheckOutcome::accepted(format!(
            "output is identical to the answer ({size})"
        )));
    }
    let expected = excerpt(ans, Unit::Line)?;
    let got = excerpt(out, Unit::Line)?;
    let (line, column) = (mark.output_line, mark.output_column);
    let message = if answer_ended {
        format!("extra output after the answer at line {line}, column {column}: \"{got}\"")
    } else if output_ended && mark.output_offset == 0 {
        format!("output is empty: expected \"{expected}\"")
    } else if output_ended {
        format!("output ends early at line {line}, column {column}: expected \"{expected}\"")
    } else {
        format!("line {line}, column {column}: expected \"{expected}\", got \"{got}\"")
    };
    Ok(CheckOutcome::wrong(message, mark.difference(expected, got)))
}

#[cfg(test)]
mod tests {
    use crate::checker::tests::run;
    use crate::checker::Checker;

    fn exact(output: &[u8], answer: &[u8]) -> crate::checker::CheckOutcome {
        run(&Checker::Exact, output, answer)
    }

    #[test]
    fn identical_files_are_accepted() {
        let outcome = exact(b"1 2\n3\n", b"1 2\n3\n");
        assert!(outcome.accepted, "{outcome:?}");
        assert_eq!(
            outcome.message,
            "output is identical to the answer (6 bytes)"
        );
        assert_eq!(outcome.diff, None);
    }

    #[test]
    fn empty_output_and_empty_answer_are_accepted() {
        assert!(exact(b"", b"").accepted);
    }

    #[test]
    fn trailing_space_is_wrong() {
        let outcome = exact(b"42 \n", b"42\n");
        assert!(!outcome.accepted);
        assert_eq!(
            outcome.message,
            r#"line 1, column 3: expected "42\n", got "42 \n""#
        );
    }

    #[test]
    fn crlf_is_wrong() {
        let outcome = exact(b"42\r\n", b"42\n");
        assert!(!outcome.accepted);
        let diff = outcome.diff.unwrap();
        assert_eq!(
            (diff.expected.as_str(), diff.got.as_str()),
            (r"42\n", r"42\r\n")
        );
    }

    #[test]
    fn missing_final_newline_is_wrong() {
        let outcome = exact(b"42", b"42\n");
        assert_eq!(
            outcome.message,
            r#"output ends early at line 1, column 3: expected "42\n""#
        );
    }

    #[test]
    fn extra_trailing_newline_is_wrong() {
        let outcome = exact(b"42\n\n", b"42\n");
        assert_eq!(
            outcome.message,
            r#"extra output after the answer at line 2, column 1: "\n""#
        );
    }

    #[test]
    fn empty_output_is_wrong() {
        let outcome = exact(b"", b"42\n");
        assert!(!outcome.accepted);
        assert_eq!(outcome.message, r#"output is empty: expected "42\n""#);
    }

    #[test]
    fn case_matters() {
        assert!(!exact(b"Yes\n", b"yes\n").accepted);
    }

    #[test]
    fn difference_position_is_the_first_differing_byte() {
        let outcome = exact(b"aaa\nbbb\nccX\n", b"aaa\nbbb\nccc\n");
        let diff = outcome.diff.unwrap();
        assert_eq!((diff.output_line, diff.answer_line), (3, 3));
        assert_eq!((diff.output_offset, diff.answer_offset), (10, 10));
        assert_eq!(
            outcome.message,
            r#"line 3, column 3: expected "ccc\n", got "ccX\n""#
        );
    }

    #[test]
    fn nul_and_invalid_utf8_compare_as_bytes() {
        assert!(exact(b"a\0\xff\n", b"a\0\xff\n").accepted);
        let outcome = exact(b"a\0\xfe\n", b"a\0\xff\n");
        assert_eq!(
            outcome.message,
            r#"line 1, column 3: expected "a\0\xff\n", got "a\0\xfe\n""#
        );
    }
}

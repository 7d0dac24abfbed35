//! The ICPC / Kattis default output validator: compare token by token.
//!
//! Semantics follow problemtools' default validator:
//! 1. Tokens are separated by whitespace (C `isspace`: space, `\t`, `\n`, `\v`, `\f`, `\r`);
//!    leading, trailing and repeated whitespace do not matter, unless `space_change_sensitive`:
//!    then the whitespace before every token, and after the last one, must be the same bytes.
//! 2. When a tolerance is set and the answer token is a finite number, the output token must be a
//!    finite number within the absolute tolerance (`|a - b| <= abs`) or within the relative one
//!    (`|a - b| <= rel * |a|`), bounds included.
//! 3. Any other token must be equal as bytes, ignoring ASCII case unless `case_sensitive`.
//! 4. Missing tokens and extra tokens are wrong answers.
//!
//! Numbers are what Rust's `f64` parser takes (decimal, optional sign and exponent; no hex). As in
//! problemtools, `inf`, `nan` and anything that overflows to infinity is not a number: an answer
//! token `inf` or `nan` compares as a string (so `NaN` matches it unless `case_sensitive`), and
//! an output `inf` or `nan` against a numeric answer is wrong. A token longer than
//! [`NUMBER_CAP`] bytes is never read as a number.
//!
//! Tokens are compared chunk by chunk as they stream in, so a single 100 MB token is fine.

use std::io::Read;

use super::diff::{excerpt, plural, Mark};
use super::stream::{is_space, ByteStream, ReadError, Unit};
use super::{CheckOutcome, CheckerError};

/// Longest token read as a number; longer ones compare as strings.
pub(crate) const NUMBER_CAP: usize = 4096;

/// Options of the default checker, validated from `validator_flags`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DefaultOptions {
    case_sensitive: bool,
    space_change_sensitive: bool,
    float_absolute_tolerance: Option<f64>,
    float_relative_tolerance: Option<f64>,
}

impl DefaultOptions {
    /// Parses whitespace-separated flags: `case_sensitive`, `space_change_sensitive`,
    /// `float_tolerance E` (both tolerances), `float_absolute_tolerance E`,
    /// `float_relative_tolerance E`. A later flag overrides an earlier one, as in problemtools.
    pub fn from_flags(flags: &str) -> Result<DefaultOptions, CheckerError> {
        let mut options = DefaultOptions::default();
        let mut words = flags.split_ascii_whitespace();
        while let Some(word) = words.next() {
            match word {
                "case_sensitive" => options.case_sensitive = true,
                "space_change_sensitive" => options.space_change_sensitive = true,
                "float_tolerance" => {
                    let eps = tolerance("float_tolerance", words.next())?;
                    options.float_absolute_tolerance = Some(eps);
                    options.float_relative_tolerance = Some(eps);
                }
                "float_absolute_tolerance" => {
                    let eps = tolerance("float_absolute_tolerance", words.next())?;
                    options.float_absolute_tolerance = Some(eps);
                }
                "float_relative_tolerance" => {
                    let eps = tolerance("float_relative_tolerance", words.next())?;
                    options.float_relative_tolerance = Some(eps);
                }
                _ => {
                    return Err(CheckerError::UnknownFlag {
                        flag: word.to_owned(),
                    })
                }
            }
        }
        Ok(options)
    }

    pub fn case_sensitive(&self) -> bool {
        self.case_sensitive
    }

    pub fn space_change_sensitive(&self) -> bool {
        self.space_change_sensitive
    }

    pub fn float_absolute_tolerance(&self) -> Option<f64> {
        self.float_absolute_tolerance
    }

    pub fn float_relative_tolerance(&self) -> Option<f64> {
        self.float_relative_tolerance
    }

    fn compares_numbers(&self) -> bool {
        self.float_absolute_tolerance.is_some() || self.float_relative_tolerance.is_some()
    }

    fn within_tolerance(&self, expected: f64, got: f64) -> bool {
        let error = (expected - got).abs();
        self.float_absolute_tolerance
            .is_some_and(|eps| error <= eps)
            || self
                .float_relative_tolerance
                .is_some_and(|eps| error <= eps * expected.abs())
    }

    /// "allowed absolute 1e-6, relative 1e-6" for the tolerances that are set.
    fn describe_tolerance(&self) -> String {
        let parts: Vec<String> = [
            ("absolute", self.float_absolute_tolerance),
            ("relative", self.float_relative_tolerance),
        ]
        .into_iter()
        .filter_map(|(kind, eps)| eps.map(|eps| format!("{kind} {eps:e}")))
        .collect();
        format!("allowed {}", parts.join(", "))
    }
}

fn tolerance(flag: &'static str, value: Option<&str>) -> Result<f64, CheckerError> {
    let value = value.ok_or(CheckerError::MissingTolerance { flag })?;
    match value.parse::<f64>() {
        Ok(eps) if eps.is_finite() && eps >= 0.0 => Ok(eps),
        _ => Err(CheckerError::BadTolerance {
            flag,
            value: value.to_owned(),
        }),
    }
}

/// A finite number, or `None` for anything else (including `inf` and `nan`).
fn parse_number(token: &[u8]) -> Option<f64> {
    let value: f64 = std::str::from_utf8(token).ok()?.parse().ok()?;
    value.is_finite().then_some(value)
}

pub(crate) fn check<O: Read, A: Read>(
    options: &DefaultOptions,
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<CheckOutcome, ReadError> {
    let mut matched: u64 = 0;
    loop {
        if options.space_change_sensitive {
            if let Some(wrong) = match_whitespace(out, ans)? {
                return Ok(wrong);
            }
        } else {
            ans.skip_while(is_space)?;
            out.skip_while(is_space)?;
        }
        match (ans.peek()?, out.peek()?) {
            (None, None) => {
                let count = plural(matched, "token");
                return Ok(CheckOutcome::accepted(format!(
                    "output matches the answer ({count})"
                )));
            }
            (None, Some(_)) => {
                let mark = Mark::take(out, ans);
                let got = excerpt(out, Unit::Token)?;
                let message = format!(
                    "extra output after the answer at line {}: \"{got}\"",
                    mark.output_line
                );
                return Ok(CheckOutcome::wrong(
                    message,
                    mark.difference(String::new(), got),
                ));
            }
            (Some(_), None) => {
                let mark = Mark::take(out, ans);
                let expected = excerpt(ans, Unit::Token)?;
                let message = if out.offset() == 0 {
                    format!("output is empty: expected \"{expected}\"")
                } else {
                    let after = plural(matched, "token");
                    format!("output ends early: expected \"{expected}\" after {after}")
                };
                return Ok(CheckOutcome::wrong(
                    message,
                    mark.difference(expected, String::new()),
                ));
            }
            (Some(_), Some(_)) => {}
        }
        if let Some(wrong) = compare_token(options, matched + 1, out, ans)? {
            return Ok(wrong);
        }
        matched += 1;
    }
}

/// With `space_change_sensitive`: the whitespace before the next answer token (or at its end)
/// must be in the output byte for byte, and no more.
fn match_whitespace<O: Read, A: Read>(
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<Option<CheckOutcome>, ReadError> {
    while let Some(c) = ans.peek()?.filter(|&c| is_space(c)) {
        if out.peek()? != Some(c) {
            return whitespace_differs(out, ans).map(Some);
        }
        ans.consume(1);
        out.consume(1);
    }
    if out.peek()?.is_some_and(is_space) {
        return whitespace_differs(out, ans).map(Some);
    }
    Ok(None)
}

fn whitespace_differs<O: Read, A: Read>(
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<CheckOutcome, ReadError> {
    let mark = Mark::take(out, ans);
    let output_ended = out.peek()?.is_none();
    let expected = excerpt(ans, Unit::Line)?;
    let got = excerpt(out, Unit::Line)?;
    let message = if output_ended && mark.output_offset == 0 {
        format!("output is empty: expected \"{expected}\"")
    } else {
        format!(
            "whitespace differs at line {}, column {}: expected \"{expected}\", got \"{got}\"",
            mark.output_line, mark.output_column
        )
    };
    Ok(CheckOutcome::wrong(message, mark.difference(expected, got)))
}

/// Compares the next token of each side (both present); consumes them if they match.
fn compare_token<O: Read, A: Read>(
    options: &DefaultOptions,
    index: u64,
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<Option<CheckOutcome>, ReadError> {
    if options.compares_numbers() {
        let expected = ans
            .whole_token(NUMBER_CAP)?
            .map(|t| (t.len(), parse_number(t)));
        if let Some((expected_len, Some(expected))) = expected {
            return compare_numbers(options, index, expected_len, expected, out, ans);
        }
    }
    compare_strings(options.case_sensitive, index, out, ans)
}

fn compare_numbers<O: Read, A: Read>(
    options: &DefaultOptions,
    index: u64,
    expected_len: usize,
    expected: f64,
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<Option<CheckOutcome>, ReadError> {
    let got = out
        .whole_token(NUMBER_CAP)?
        .map(|t| (t.len(), parse_number(t)));
    if let Some((got_len, Some(got))) = got {
        if options.within_tolerance(expected, got) {
            ans.consume_token_bytes(expected_len);
            out.consume_token_bytes(got_len);
            return Ok(None);
        }
        let error = (expected - got).abs();
        let relative = error / expected.abs();
        let (mark, expected_text, got_text) = token_excerpts(out, ans)?;
        let message = format!(
            "token {index} (line {}): expected \"{expected_text}\", got \"{got_text}\" \
             (absolute error {error:.3e}, relative error {relative:.3e}; {})",
            mark.output_line,
            options.describe_tolerance()
        );
        return Ok(Some(CheckOutcome::wrong(
            message,
            mark.difference(expected_text, got_text),
        )));
    }
    let (mark, expected_text, got_text) = token_excerpts(out, ans)?;
    let message = format!(
        "token {index} (line {}): expected the number \"{expected_text}\", got \"{got_text}\"",
        mark.output_line
    );
    Ok(Some(CheckOutcome::wrong(
        message,
        mark.difference(expected_text, got_text),
    )))
}

/// Compares two tokens as bytes, a buffered chunk at a time.
fn compare_strings<O: Read, A: Read>(
    case_sensitive: bool,
    index: u64,
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<Option<CheckOutcome>, ReadError> {
    loop {
        let a = ans.token_chunk()?;
        let b = out.token_chunk()?;
        let n = a.len().min(b.len());
        let same = |x: &[u8], y: &[u8]| {
            if case_sensitive {
                x == y
            } else {
                x.eq_ignore_ascii_case(y)
            }
        };
        let equal = if same(&a[..n], &b[..n]) {
            n
        } else {
            (0..n).find(|&i| !same(&a[i..=i], &b[i..=i])).unwrap_or(n)
        };
        let (a_len, b_len) = (a.len(), b.len());
        ans.consume_token_bytes(equal);
        out.consume_token_bytes(equal);
        if a_len == 0 && b_len == 0 {
            return Ok(None);
        }
        // Differ here, or one token ended while the other goes on.
        if equal < n || n == 0 {
            let (mark, expected, got) = token_excerpts(out, ans)?;
            let message = format!(
                "token {index} (line {}): expected \"{expected}\", got \"{got}\"",
                mark.output_line
            );
            return Ok(Some(CheckOutcome::wrong(
                message,
                mark.difference(expected, got),
            )));
        }
    }
}

fn token_excerpts<O: Read, A: Read>(
    out: &mut ByteStream<O>,
    ans: &mut ByteStream<A>,
) -> Result<(Mark, String, String), ReadError> {
    let mark = Mark::take(out, ans);
    let expected = excerpt(ans, Unit::Token)?;
    let got = excerpt(out, Unit::Token)?;
    Ok((mark, expected, got))
}

#[cfg(test)]
#[path = "default_tests.rs"]
mod tests;

//! Unit tests of the default checker: flag parsing, then token comparison.

use super::*;
use crate::checker::tests::run;
use crate::checker::{CheckOutcome, Checker};

fn check(flags: &str, output: &[u8], answer: &[u8]) -> CheckOutcome {
    run(
        &Checker::from_name("default", flags).unwrap(),
        output,
        answer,
    )
}

fn accepts(flags: &str, output: &[u8], answer: &[u8]) {
    let outcome = check(flags, output, answer);
    assert!(
        outcome.accepted,
        "[{flags}] {output:?} vs {answer:?}: {outcome:?}"
    );
    assert_eq!(outcome.diff, None);
}

fn rejects(flags: &str, output: &[u8], answer: &[u8]) -> CheckOutcome {
    let outcome = check(flags, output, answer);
    assert!(
        !outcome.accepted,
        "[{flags}] {output:?} vs {answer:?}: {outcome:?}"
    );
    assert!(outcome.diff.is_some());
    outcome
}

// Flags.

#[test]
fn no_flags_means_all_off() {
    let options = DefaultOptions::from_flags("").unwrap();
    assert_eq!(options, DefaultOptions::default());
    assert!(!options.case_sensitive() && !options.space_change_sensitive());
    assert_eq!(options.float_absolute_tolerance(), None);
    assert_eq!(options.float_relative_tolerance(), None);
}

#[test]
fn boolean_flags_are_parsed() {
    let options = DefaultOptions::from_flags(" case_sensitive\tspace_change_sensitive\n").unwrap();
    assert!(options.case_sensitive());
    assert!(options.space_change_sensitive());
}

#[test]
fn float_tolerance_sets_both() {
    let options = DefaultOptions::from_flags("float_tolerance 1e-6").unwrap();
    assert_eq!(options.float_absolute_tolerance(), Some(1e-6));
    assert_eq!(options.float_relative_tolerance(), Some(1e-6));
}

#[test]
fn separate_tolerances_are_parsed() {
    let options =
        DefaultOptions::from_flags("float_absolute_tolerance 0.5 float_relative_tolerance 2")
            .unwrap();
    assert_eq!(options.float_absolute_tolerance(), Some(0.5));
    assert_eq!(options.float_relative_tolerance(), Some(2.0));
    let options = DefaultOptions::from_flags("float_relative_tolerance 1e-9").unwrap();
    assert_eq!(options.float_absolute_tolerance(), None);
}

#[test]
fn later_flags_override_earlier_ones() {
    let options =
        DefaultOptions::from_flags("float_tolerance 1e-6 float_absolute_tolerance 1e-3").unwrap();
    assert_eq!(options.float_absolute_tolerance(), Some(1e-3));
    assert_eq!(options.float_relative_tolerance(), Some(1e-6));
}

#[test]
fn zero_tolerance_is_allowed() {
    let options = DefaultOptions::from_flags("float_tolerance 0").unwrap();
    assert_eq!(options.float_absolute_tolerance(), Some(0.0));
}

#[test]
fn unknown_flag_is_named() {
    let err = DefaultOptions::from_flags("case_sensitive float_tolerence 1e-6").unwrap_err();
    assert!(
        matches!(&err, CheckerError::UnknownFlag { flag } if flag == "float_tolerence"),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"float_tolerence\""), "{err}");
}

#[test]
fn flags_are_case_sensitive_words() {
    let err = DefaultOptions::from_flags("Case_Sensitive").unwrap_err();
    assert!(matches!(err, CheckerError::UnknownFlag { .. }), "{err:?}");
}

#[test]
fn missing_tolerance_value_is_named() {
    for flag in [
        "float_tolerance",
        "float_absolute_tolerance",
        "float_relative_tolerance",
    ] {
        let err = DefaultOptions::from_flags(&format!("case_sensitive {flag}")).unwrap_err();
        assert!(
            matches!(&err, CheckerError::MissingTolerance { flag: f } if *f == flag),
            "{err:?}"
        );
        assert!(err.to_string().contains(flag), "{err}");
    }
}

#[test]
fn bad_tolerance_values_are_named() {
    for value in ["abc", "-1e-6", "inf", "nan", "1e999", "0x10", "1e-6,"] {
        let err =
            DefaultOptions::from_flags(&format!("float_absolute_tolerance {value}")).unwrap_err();
        assert!(
            matches!(&err, CheckerError::BadTolerance { flag: "float_absolute_tolerance", value: v }
                if v == value),
            "{value}: {err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("float_absolute_tolerance") && text.contains(value),
            "{text}"
        );
    }
}

#[test]
fn a_flag_word_is_not_taken_as_a_tolerance() {
    let err = DefaultOptions::from_flags("float_tolerance case_sensitive").unwrap_err();
    assert!(
        matches!(&err, CheckerError::BadTolerance { flag: "float_tolerance", value } if value == "case_sensitive"),
        "{err:?}"
    );
}

// Tokens and whitespace.

#[test]
fn same_tokens_are_accepted_with_a_count() {
    let outcome = check("", b"1 2 3\n", b"1 2 3\n");
    assert!(outcome.accepted);
    assert_eq!(outcome.message, "output matches the answer (3 tokens)");
}

#[test]
fn whitespace_amount_and_kind_do_not_matter_by_default() {
    accepts("", b"  1\t\t2\r\n\n3", b"1 2\n3\n");
    accepts("", b"1\x0b2\x0c3", b"1 2 3");
}

#[test]
fn different_token_is_wrong_and_named() {
    let outcome = rejects("", b"1 2\n3 5\n", b"1 2\n3 4\n");
    assert_eq!(
        outcome.message,
        r#"token 4 (line 2): expected "4", got "5""#
    );
    let diff = outcome.diff.unwrap();
    assert_eq!((diff.output_line, diff.answer_line), (2, 2));
    assert_eq!((diff.output_offset, diff.answer_offset), (6, 6));
    assert_eq!((diff.expected.as_str(), diff.got.as_str()), ("4", "5"));
}

#[test]
fn token_mismatch_inside_a_token_shows_the_whole_token() {
    let outcome = rejects("", b"3.15", b"3.14159");
    assert_eq!(
        outcome.message,
        r#"token 1 (line 1): expected "3.14159", got "3.15""#
    );
    assert_eq!(outcome.diff.unwrap().output_offset, 3);
}

#[test]
fn prefix_token_is_wrong() {
    rejects("", b"abc", b"abcd");
    rejects("", b"abcd", b"abc");
    rejects("", b"ab cd", b"abcd");
}

#[test]
fn case_is_ignored_by_default() {
    accepts("", b"YES\nNo", b"yes\nnO");
}

#[test]
fn case_sensitive_compares_case() {
    let outcome = rejects("case_sensitive", b"Yes", b"yes");
    assert_eq!(
        outcome.message,
        r#"token 1 (line 1): expected "yes", got "Yes""#
    );
    accepts("case_sensitive", b"yes", b"yes");
}

#[test]
fn case_folding_is_ascii_only() {
    rejects("", "É".as_bytes(), "é".as_bytes());
}

#[test]
fn numbers_compare_as_strings_without_a_tolerance() {
    rejects("", b"1.0", b"1");
    rejects("", b"0.50", b"0.5");
    accepts("", b"1E5", b"1e5");
}

#[test]
fn missing_tokens_are_wrong() {
    let outcome = rejects("", b"1 2 3\n", b"1 2 3 42\n");
    assert_eq!(
        outcome.message,
        r#"output ends early: expected "42" after 3 tokens"#
    );
    assert_eq!(outcome.diff.unwrap().got, "");
}

#[test]
fn whitespace_only_output_ends_early() {
    let outcome = rejects("", b" \n", b"42\n");
    assert_eq!(
        outcome.message,
        r#"output ends early: expected "42" after 0 tokens"#
    );
}

#[test]
fn extra_tokens_are_wrong() {
    let outcome = rejects("", b"1 2 3\n7\n", b"1 2 3\n");
    assert_eq!(
        outcome.message,
        r#"extra output after the answer at line 2: "7""#
    );
    let diff = outcome.diff.unwrap();
    assert_eq!((diff.expected.as_str(), diff.got.as_str()), ("", "7"));
}

#[test]
fn empty_output_against_an_answer_is_wrong() {
    let outcome = rejects("", b"", b"42\n");
    assert_eq!(outcome.message, r#"output is empty: expected "42""#);
}

#[test]
fn empty_output_against_empty_answer_is_accepted() {
    accepts("", b"", b"");
    accepts("", b"\n \n", b"");
    accepts("", b"", b"\n");
    accepts("space_change_sensitive", b"", b"");
}

#[test]
fn output_against_an_empty_answer_is_wrong() {
    rejects("", b"0", b"");
}

#[test]
fn nul_bytes_are_part_of_tokens() {
    accepts("", b"a\0b 1", b"a\0b 1");
    let outcome = rejects("", b"1\0 2", b"1 2");
    assert_eq!(
        outcome.message,
        r#"token 1 (line 1): expected "1", got "1\0""#
    );
    rejects("", b"\0", b"");
}

#[test]
fn nul_bytes_against_a_number_are_not_a_number() {
    let outcome = rejects("float_tolerance 1e-6", b"1\0", b"1");
    assert_eq!(
        outcome.message,
        r#"token 1 (line 1): expected the number "1", got "1\0""#
    );
}

#[test]
fn invalid_utf8_compares_as_bytes() {
    accepts("", b"\xff\xfe x", b"\xff\xfe x");
    let outcome = rejects("", b"\xff", b"y");
    assert_eq!(
        outcome.message,
        r#"token 1 (line 1): expected "y", got "\xff""#
    );
    rejects("float_tolerance 1", b"\xff", b"1");
}

#[test]
fn long_tokens_are_compared_in_full() {
    let answer = [b'x'; 100_000];
    let mut output = answer;
    accepts("", &output, &answer);
    output[99_999] = b'y';
    let outcome = rejects("", &output, &answer);
    let diff = outcome.diff.unwrap();
    assert_eq!(diff.output_offset, 99_999);
    let xs = "x".repeat(24);
    assert_eq!(
        (diff.expected, diff.got),
        (format!("…{xs}x"), format!("…{xs}y"))
    );
}

// Numbers with a tolerance.

#[test]
fn absolute_tolerance_accepts_close_numbers() {
    accepts("float_absolute_tolerance 0.01", b"3.145", b"3.14");
    accepts("float_absolute_tolerance 0.01", b"1000.005", b"1000");
    rejects("float_absolute_tolerance 0.01", b"3.16", b"3.14");
}

#[test]
fn relative_tolerance_scales_with_the_answer() {
    accepts("float_relative_tolerance 0.01", b"1005", b"1000");
    rejects("float_relative_tolerance 0.01", b"1011", b"1000");
    rejects("float_relative_tolerance 0.01", b"0.002", b"0.001");
}

#[test]
fn relative_tolerance_is_relative_to_the_answer_not_the_output() {
    // |100 - 50| = 50 <= 0.5 * 100, but not <= 0.5 * 50.
    accepts("float_relative_tolerance 0.5", b"50", b"100");
    rejects("float_relative_tolerance 0.5", b"100", b"50");
}

#[test]
fn either_tolerance_suffices() {
    let flags = "float_absolute_tolerance 0.1 float_relative_tolerance 0.001";
    // Within absolute only.
    accepts(flags, b"0.05", b"0");
    // Within relative only.
    accepts(flags, b"1000.5", b"1000");
    // Within neither.
    rejects(flags, b"1001.5", b"1000");
}

#[test]
fn float_tolerance_covers_both_kinds() {
    accepts("float_tolerance 1e-6", b"0.0000005", b"0");
    accepts("float_tolerance 1e-6", b"1000000.5", b"1000000");
    rejects("float_tolerance 1e-6", b"1000002", b"1000000");
}

#[test]
fn tolerance_bounds_are_included() {
    // Exactly representable values, so the error equals the bound exactly.
    accepts("float_absolute_tolerance 0.5", b"1.5", b"1");
    accepts("float_absolute_tolerance 0.5", b"0.5", b"1");
    rejects("float_absolute_tolerance 0.5", b"1.5000001", b"1");
    accepts("float_relative_tolerance 0.25", b"5", b"4");
    rejects("float_relative_tolerance 0.25", b"5.0001", b"4");
}

#[test]
fn zero_tolerance_needs_equal_values_not_equal_text() {
    accepts("float_tolerance 0", b"1.000", b"1");
    accepts("float_tolerance 0", b"1e2", b"100");
    rejects("float_tolerance 0", b"1.0000000001", b"1");
}

#[test]
fn number_formats_are_parsed() {
    let flags = "float_tolerance 1e-9";
    accepts(flags, b"+2.5", b"2.5");
    accepts(flags, b".5", b"0.5");
    accepts(flags, b"5.", b"5");
    accepts(flags, b"-0", b"0");
    accepts(flags, b"2.5E+3", b"2500");
}

#[test]
fn too_large_difference_message_gives_the_errors() {
    let outcome = rejects("float_tolerance 1e-6", b"1 3.15", b"1 3.14159");
    assert_eq!(
        outcome.message,
        "token 2 (line 1): expected \"3.14159\", got \"3.15\" (absolute error 8.410e-3, \
         relative error 2.677e-3; allowed absolute 1e-6, relative 1e-6)"
    );
    let diff = outcome.diff.unwrap();
    assert_eq!(
        diff.output_offset, 2,
        "a number differs from its first byte"
    );
}

#[test]
fn message_lists_only_the_tolerances_set() {
    let outcome = rejects("float_absolute_tolerance 0.5", b"2", b"1");
    assert!(
        outcome.message.ends_with("; allowed absolute 5e-1)"),
        "{}",
        outcome.message
    );
}

#[test]
fn number_answer_against_a_word_is_wrong() {
    let outcome = rejects("float_tolerance 1e-6", b"1 abc", b"1 2.5");
    assert_eq!(
        outcome.message,
        r#"token 2 (line 1): expected the number "2.5", got "abc""#
    );
}

#[test]
fn number_answer_against_a_number_with_junk_is_wrong() {
    rejects("float_tolerance 1e-6", b"2.5x", b"2.5");
    rejects("float_tolerance 1e-6", b"2,5", b"2.5");
    rejects("float_tolerance 1e-6", b"0x10", b"16");
}

#[test]
fn word_answers_still_compare_as_strings_with_a_tolerance() {
    accepts("float_tolerance 1e-6", b"Case #1: 2.0000001", b"case #1: 2");
    rejects("float_tolerance 1e-6", b"case #2: 2", b"case #1: 2");
    rejects("float_tolerance 1e-6", b"1.5abc", b"1.5abd");
}

#[test]
fn output_inf_or_nan_against_a_number_is_wrong() {
    let flags = "float_tolerance 1e-6";
    rejects(flags, b"inf", b"1e308");
    rejects(flags, b"nan", b"0");
    rejects(flags, b"NaN", b"1");
    rejects(flags, b"infinity", b"1");
    // Overflows to infinity, so not a number either.
    rejects(flags, b"1e999", b"1e308");
}

#[test]
fn inf_and_nan_answers_compare_as_strings() {
    let flags = "float_tolerance 1e-6";
    accepts(flags, b"inf", b"inf");
    accepts(flags, b"INF", b"inf");
    accepts(flags, b"NaN", b"nan");
    rejects(flags, b"1e308", b"inf");
    rejects(flags, b"infinity", b"inf");
    rejects(&format!("{flags} case_sensitive"), b"NaN", b"nan");
}

#[test]
fn overflowing_answer_compares_as_a_string() {
    accepts("float_tolerance 1", b"1E999", b"1e999");
    rejects("float_tolerance 1", b"1e998", b"1e999");
}

#[test]
fn huge_difference_does_not_pass() {
    // The difference overflows to infinity: never within a tolerance.
    rejects("float_absolute_tolerance 1e300", b"-1.7e308", b"1.7e308");
}

#[test]
fn zero_answer_has_no_relative_slack() {
    accepts("float_relative_tolerance 0.5", b"0", b"0");
    rejects("float_relative_tolerance 0.5", b"1e-300", b"0");
}

#[test]
fn overlong_number_is_not_a_number() {
    let long = format!("1.{}", "0".repeat(NUMBER_CAP));
    rejects("float_tolerance 1e-6", long.as_bytes(), b"1");
    let fits = format!("1.{}", "0".repeat(NUMBER_CAP - 2));
    accepts("float_tolerance 1e-6", fits.as_bytes(), b"1");
}

#[test]
fn overlong_numeric_answer_compares_as_a_string() {
    let long = format!("1.{}", "0".repeat(NUMBER_CAP));
    accepts("float_tolerance 1e-6", long.as_bytes(), long.as_bytes());
    rejects("float_tolerance 1e-6", b"1", long.as_bytes());
}

// space_change_sensitive.

#[test]
fn space_change_sensitive_accepts_identical_spacing() {
    accepts("space_change_sensitive", b"1 2\n3\n", b"1 2\n3\n");
    accepts("space_change_sensitive", b"YES\n", b"yes\n");
}

#[test]
fn space_change_sensitive_rejects_other_separators() {
    let outcome = rejects("space_change_sensitive", b"1  2\n", b"1 2\n");
    assert_eq!(
        outcome.message,
        r#"whitespace differs at line 1, column 3: expected "1 2\n", got "1  2\n""#
    );
    let outcome = rejects("space_change_sensitive", b"1 2\n", b"1\n2\n");
    assert_eq!(
        outcome.message,
        r#"whitespace differs at line 1, column 2: expected "1\n", got "1 2\n""#
    );
    rejects("space_change_sensitive", b"1\t2", b"1 2");
}

#[test]
fn space_change_sensitive_rejects_crlf() {
    rejects("space_change_sensitive", b"1\r\n", b"1\n");
}

#[test]
fn space_change_sensitive_checks_leading_whitespace() {
    rejects("space_change_sensitive", b" 1", b"1");
    rejects("space_change_sensitive", b"1", b" 1");
}

#[test]
fn space_change_sensitive_checks_trailing_whitespace() {
    let outcome = rejects("space_change_sensitive", b"42", b"42\n");
    assert_eq!(
        outcome.message,
        r#"whitespace differs at line 1, column 3: expected "42\n", got "42""#
    );
    rejects("space_change_sensitive", b"42\n\n", b"42\n");
}

#[test]
fn space_change_sensitive_empty_output() {
    let outcome = rejects("space_change_sensitive", b"", b"\n42\n");
    assert_eq!(outcome.message, r#"output is empty: expected "\n""#);
    rejects("space_change_sensitive", b"", b"\n");
}

#[test]
fn space_change_sensitive_still_reports_token_differences() {
    let outcome = rejects("space_change_sensitive", b"1 3\n", b"1 2\n");
    assert_eq!(
        outcome.message,
        r#"token 2 (line 1): expected "2", got "3""#
    );
}

#[test]
fn space_change_sensitive_with_numbers() {
    accepts(
        "space_change_sensitive float_tolerance 0.1",
        b"1.05 2\n",
        b"1 2\n",
    );
    rejects(
        "space_change_sensitive float_tolerance 0.1",
        b"1.05  2\n",
        b"1 2\n",
    );
}

//! Natural ordering of test names: runs of digits compare as numbers, so `2` sorts before `10`
//! and `a2` before `a10`, as a person numbering tests expects.

use std::cmp::Ordering;

/// Splits `s` into alternating digit and non-digit runs.
fn chunks(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let digits = first.is_ascii_digit();
        let end = rest
            .find(|c: char| c.is_ascii_digit() != digits)
            .unwrap_or(rest.len());
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some(chunk)
    })
}

/// Compares two digit runs by value, without overflow for long runs: fewer significant digits
/// is smaller, equal lengths compare as text.
fn cmp_numbers(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Natural order. Names equal as numbers (`1` and `01`) fall back to plain text order, so the
/// order is total and does not depend on the directory listing.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut xs = chunks(a);
    let mut ys = chunks(b);
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let both_numbers = x.starts_with(|c: char| c.is_ascii_digit())
                    && y.starts_with(|c: char| c.is_ascii_digit());
                let ord = if both_numbers {
                    cmp_numbers(x, y)
                } else {
                    x.cmp(y)
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| natural_cmp(a, b));
        v
    }

    #[test]
    fn numbers_by_value() {
        assert_eq!(sorted(&["10", "2", "1", "100"]), ["1", "2", "10", "100"]);
    }

    #[test]
    fn prefixed_numbers() {
        assert_eq!(
            sorted(&["a10", "a2", "b1", "a1"]),
            ["a1", "a2", "a10", "b1"]
        );
    }

    #[test]
    fn numbers_inside_names() {
        assert_eq!(
            sorted(&["test10-case2", "test2-case10", "test2-case3"]),
            ["test2-case3", "test2-case10", "test10-case2"]
        );
    }

    #[test]
    fn leading_zeros_are_equal_in_value_but_ordered() {
        assert_eq!(natural_cmp("01", "1"), "01".cmp("1"));
        assert_eq!(natural_cmp("007", "8"), Ordering::Less);
        assert_eq!(sorted(&["010", "09", "1"]), ["1", "09", "010"]);
    }

    #[test]
    fn huge_numbers_do_not_overflow() {
        let big = "123456789012345678901234567890";
        let bigger = "123456789012345678901234567891";
        assert_eq!(natural_cmp(big, bigger), Ordering::Less);
        assert_eq!(natural_cmp("99", big), Ordering::Less);
    }

    #[test]
    fn prefix_sorts_first() {
        assert_eq!(natural_cmp("a", "a1"), Ordering::Less);
        assert_eq!(natural_cmp("", "a"), Ordering::Less);
        assert_eq!(natural_cmp("abc", "abc"), Ordering::Equal);
    }

    #[test]
    fn digits_against_letters_compare_as_text() {
        // '1' (0x31) sorts before 'a' (0x61), as in plain text order.
        assert_eq!(sorted(&["b", "1", "a"]), ["1", "a", "b"]);
    }
}

//! The string and number formats asserted in requests.
//!
//! Hand-written because each is a few lines of exact grammar (RFC 3339,
//! RFC 4122) and pulling a date-time crate in for a syntax check would cost
//! more than it saves.

use crate::json::Number;

/// `int32`: an integer in `[-2^31, 2^31)`, compared exactly.
pub fn is_int32(n: Number) -> bool {
    match n {
        Number::PosInt(u) => u <= i32::MAX as u64,
        Number::NegInt(i) => i >= i64::from(i32::MIN),
        Number::Float(f) => f.fract() == 0.0 && (-2_147_483_648.0..2_147_483_648.0).contains(&f),
    }
}

/// `int64`: an integer in `[-2^63, 2^63)`, compared exactly (`i64::MAX`
/// rounds up to 2^63 as an f64, so the integer itself is compared).
pub fn is_int64(n: Number) -> bool {
    match n {
        Number::PosInt(u) => u <= i64::MAX as u64,
        Number::NegInt(_) => true,
        Number::Float(f) => {
            f.fract() == 0.0
                && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
        }
    }
}

/// `8-4-4-4-12` hexadecimal digits (RFC 4122), any case.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn is_leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// RFC 3339 `full-date`: `YYYY-MM-DD`, with a real day of the month.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10]))
    else {
        return false;
    };
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// RFC 3339 `full-time`: `HH:MM:SS[.frac](Z|±HH:MM)`; leap second allowed.
pub fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 9 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let (Some(h), Some(m), Some(sec)) = (digits(&b[0..2]), digits(&b[3..5]), digits(&b[6..8]))
    else {
        return false;
    };
    if h > 23 || m > 59 || sec > 60 {
        return false;
    }
    let mut rest = &b[8..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            matches!((digits(&[*h1, *h2]), digits(&[*m1, *m2])), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

/// RFC 3339 `date-time`: a date, `T` (any case), a time.
pub fn is_date_time(s: &str) -> bool {
    s.len() > 11
        && matches!(s.as_bytes()[10], b'T' | b't')
        && is_date(&s[..10])
        && s.is_char_boundary(11)
        && is_time(&s[11..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_formats_are_exact() {
        assert!(is_int64(Number::PosInt(i64::MAX as u64)));
        assert!(!is_int64(Number::PosInt(i64::MAX as u64 + 1)));
        assert!(is_int64(Number::NegInt(i64::MIN)));
        assert!(is_int64(Number::Float(1.0)));
        assert!(!is_int64(Number::Float(9_223_372_036_854_775_808.0)));
        assert!(is_int32(Number::PosInt(2_147_483_647)));
        assert!(!is_int32(Number::PosInt(2_147_483_648)));
        assert!(is_int32(Number::NegInt(-2_147_483_648)));
        assert!(!is_int32(Number::NegInt(-2_147_483_649)));
        assert!(!is_int32(Number::Float(0.5)));
    }

    #[test]
    fn formats() {
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(!is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2024-13-01"));
        assert!(!is_date("2024-1-01"));
        assert!(is_date_time("2024-02-29T23:59:60.123+02:00"));
        assert!(is_date_time("2024-02-29t10:00:00z"));
        assert!(!is_date_time("2024-02-29T24:00:00Z"));
        assert!(!is_date_time("2024-02-29T10:00:00"));
        assert!(!is_date_time("2024-02-29 10:00:00Z"));
        assert!(!is_date_time("2024-02-29T10:00:00.Z"));
    }
}

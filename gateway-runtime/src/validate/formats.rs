//! The string and number formats asserted in requests.
//!
//! Hand-written because each is a small exact grammar (RFC 3339 dates, times
//! and durations, RFC 4122 UUIDs, RFC 5321 mailboxes, RFC 1123 host names
//! with RFC 5891 A-labels, RFC 4291 and dotted-quad IP addresses, RFC 3986
//! URIs, RFC 4648 base64) and a crate per format would cost more than it
//! saves. Every string checker works on the bytes in place, without
//! allocating, and rejects anything outside its grammar: no trimming, no
//! lenient extensions. The one approximation is the Unicode data behind
//! Punycode host name labels (IDNA2008), see [`is_hostname`].

use crate::json::Number;

/// `int32`: an integer in `[-2^31, 2^31)`, compared exactly.
#[inline]
pub fn is_int32(n: Number) -> bool {
    match n {
        Number::PosInt(u) => u <= i32::MAX as u64,
        Number::NegInt(i) => i >= i64::from(i32::MIN),
        Number::BigInt(_) => false,
        Number::Float(f) => f.fract() == 0.0 && (-2_147_483_648.0..2_147_483_648.0).contains(&f),
    }
}

/// `int64`: an integer in `[-2^63, 2^63)`, compared exactly (`i64::MAX`
/// rounds up to 2^63 as an f64, so the integer itself is compared).
#[inline]
pub fn is_int64(n: Number) -> bool {
    match n {
        Number::PosInt(u) => u <= i64::MAX as u64,
        Number::NegInt(_) => true,
        Number::BigInt(_) => false,
        Number::Float(f) => {
            f.fract() == 0.0
                && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
        }
    }
}

/// An integer in `[min, max]`, compared exactly (`int8`, `uint8`, `int16`,
/// `uint16`, `uint32`, `uint64`).
#[inline]
pub fn is_integer_in(n: Number, min: i64, max: u64) -> bool {
    match n {
        Number::PosInt(u) => u <= max,
        Number::NegInt(i) => i >= min,
        Number::BigInt(_) => false,
        // `max + 1` is exact for every range here (2^8 ... 2^64), unlike `max`.
        Number::Float(f) => f.fract() == 0.0 && f >= min as f64 && f < max as f64 + 1.0,
    }
}

/// `int64` written as a string: `-?` and decimal digits, in `i64`.
pub fn is_int64_text(s: &str) -> bool {
    plain_integer(s) && s.parse::<i64>().is_ok()
}

/// `uint64` written as a string: decimal digits, in `u64`.
pub fn is_uint64_text(s: &str) -> bool {
    plain_integer(s) && s.parse::<u64>().is_ok()
}

/// An optional `-` then at least one ASCII digit (no `+`, no spaces).
fn plain_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Google's `google-duration`: `-?` seconds, up to nine decimals, then `s`
/// (`3.5s`, `-0.000000001s`), within protobuf's ±315,576,000,000 s.
pub fn is_google_duration(s: &str) -> bool {
    let Some(b) = s.as_bytes().strip_suffix(b"s") else {
        return false;
    };
    let b = b.strip_prefix(b"-").unwrap_or(b);
    let (seconds, nanos) = match b.iter().position(|&c| c == b'.') {
        Some(dot) => (&b[..dot], Some(&b[dot + 1..])),
        None => (b, None),
    };
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    digits(seconds)
        && seconds.len() <= 12
        && std::str::from_utf8(seconds)
            .ok()
            .and_then(|t| t.parse::<u64>().ok())
            .is_some_and(|n| n <= 315_576_000_000)
        && nanos.is_none_or(|n| digits(n) && n.len() <= 9)
}

/// `8-4-4-4-12` hexadecimal digits (RFC 4122), any case.
#[inline]
pub fn is_uuid(s: &str) -> bool {
    <&[u8; 36]>::try_from(s.as_bytes())
        .is_ok_and(|b| shaped(b, b"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"))
}

/// Whether `b` has the shape `shape`, byte for byte: `x` stands for a
/// hexadecimal digit, `0` for a decimal digit, `t` for a `T` in any case,
/// and any other byte for itself. Branch-free over a fixed length with a
/// constant shape, so that the compiler checks 16 bytes per vector
/// instruction (SSE2 on x86-64, seen in the disassembly): safe code, no
/// `unsafe` intrinsics.
#[inline(always)]
fn shaped<const N: usize>(b: &[u8; N], shape: &[u8; N]) -> bool {
    let mut bad = false;
    for (&c, &want) in b.iter().zip(shape) {
        let digit = c.wrapping_sub(b'0') < 10;
        let hex = digit | ((c | 0x20).wrapping_sub(b'a') < 6);
        let fold = if want == b't' { 0x20 } else { 0 };
        let ok = match want {
            b'x' => hex,
            b'0' => digit,
            _ => c | fold == want,
        };
        bad |= !ok;
    }
    !bad
}

/// The value of `b` as ASCII decimal digits, `None` if empty or not digits.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// Whether `year` is a Gregorian leap year.
fn is_leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// RFC 3339 `full-date`: `YYYY-MM-DD`, with a real day of the month.
pub fn is_date(s: &str) -> bool {
    date(s.as_bytes())
}

/// [`is_date`] on bytes.
#[inline]
fn date(b: &[u8]) -> bool {
    <&[u8; 10]>::try_from(b).is_ok_and(|b| shaped(b, b"0000-00-00") && real_day(b))
}

/// The value of the two ASCII digits at `b[i..i + 2]`, already checked.
#[inline(always)]
fn pair(b: &[u8], i: usize) -> u32 {
    u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0')
}

/// The two checked digits at `b[i..i + 2]` as one big-endian number:
/// two such numbers compare as the values the digits spell do, with no
/// arithmetic (`two(b"09", 0) < two(b"10", 0)`).
#[inline(always)]
fn two(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}

/// [`two`] of a literal.
const fn lit(digits: &[u8; 2]) -> u16 {
    u16::from_be_bytes(*digits)
}

/// Whether the checked digits of `YYYY-MM-DD` name a day of the calendar.
/// Days up to 28 need only a month; the month's length is looked up for
/// the others, and the year's for a 29th of February.
#[inline]
fn real_day(b: &[u8; 10]) -> bool {
    let (m, d) = (two(b, 5), two(b, 8));
    let plain = (lit(b"01")..=lit(b"12")).contains(&m) & (lit(b"01")..=lit(b"28")).contains(&d);
    plain || month_has(b)
}

/// Whether the day of the checked `YYYY-MM-DD` is in its month.
#[cold]
fn month_has(b: &[u8; 10]) -> bool {
    let (y, m, d) = (pair(b, 0) * 100 + pair(b, 2), pair(b, 5), pair(b, 8));
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// RFC 3339 `full-time`: `HH:MM:SS[.frac](Z|±HH:MM)`, `Z` in any case.
/// Second 60 is accepted only when the time converted to UTC is 23:59:60,
/// the one minute a leap second can be inserted in.
pub fn is_time(s: &str) -> bool {
    time(s.as_bytes())
}

/// [`is_time`] on bytes.
#[inline]
fn time(b: &[u8]) -> bool {
    b.first_chunk::<8>()
        .is_some_and(|hms| shaped(hms, b"00:00:00") && time_rest(hms, &b[8..]))
}

/// Given the checked digits of `HH:MM:SS`, whether their values are in
/// range and `rest` is a valid fraction and offset for them.
#[inline]
fn time_rest(hms: &[u8; 8], mut rest: &[u8]) -> bool {
    let sec = two(hms, 6);
    if (two(hms, 0) > lit(b"23")) | (two(hms, 3) > lit(b"59")) | (sec > lit(b"60")) {
        return false;
    }
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    // Minutes east of UTC.
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (Some(oh), Some(om)) = (digits(&[*h1, *h2]), digits(&[*m1, *m2])) else {
                return false;
            };
            if oh > 23 || om > 59 {
                return false;
            }
            let east = (oh * 60 + om) as i32;
            if *sign == b'-' { -east } else { east }
        }
        _ => return false,
    };
    sec < lit(b"60") || leap_minute(hms, offset)
}

/// Whether `HH:MM` at `offset` minutes east of UTC is 23:59 in UTC, the
/// minute a leap second can end.
#[cold]
fn leap_minute(hms: &[u8; 8], offset: i32) -> bool {
    let (h, m) = (pair(hms, 0), pair(hms, 3));
    ((h * 60 + m) as i32 - offset).rem_euclid(24 * 60) == 23 * 60 + 59
}

/// RFC 3339 `date-time`: a date, `T` (any case), a time. The fixed
/// `YYYY-MM-DDTHH:MM:SS` is checked as one shape.
#[inline]
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(head) = b.first_chunk::<19>() else {
        return false;
    };
    let (Some(day), Some(hms)) = (head.first_chunk::<10>(), head.last_chunk::<8>()) else {
        return false;
    };
    shaped(head, b"0000-00-00t00:00:00") && real_day(day) && time_rest(hms, &b[19..])
}

/// RFC 3339 Appendix A `duration`: `P`, then either weeks alone (`P2W`) or
/// date elements in `Y M D` order without gaps (`P1Y2M`, `P1M2D`, not
/// `P1Y2D`), optionally followed by `T` and time elements in `H M S` order
/// without gaps. At least one element, and `T` needs one; integers only.
pub fn is_duration(s: &str) -> bool {
    let Some(b) = s.as_bytes().strip_prefix(b"P") else {
        return false;
    };
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n > 0 && b[n..] == *b"W" {
        return true;
    }
    let Some((date, rest)) = duration_elements(b, b"YMD") else {
        return false;
    };
    match rest {
        [] => date > 0,
        [b'T', time @ ..] => matches!(duration_elements(time, b"HMS"), Some((n, [])) if n > 0),
        _ => false,
    }
}

/// Reads `1*DIGIT unit` elements whose units are consecutive entries of
/// `units`, returning how many were read and what follows them; `None` when
/// a number lacks a unit or the units skip or go back.
fn duration_elements<'a>(mut b: &'a [u8], units: &[u8]) -> Option<(usize, &'a [u8])> {
    let (mut count, mut next) = (0, 0);
    loop {
        let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Some((count, b));
        }
        let unit = next + units[next..].iter().position(|u| b.get(n) == Some(u))?;
        if count > 0 && unit != next {
            return None;
        }
        count += 1;
        next = unit + 1;
        b = &b[n + 1..];
    }
}

/// RFC 5321 `Mailbox`: a dot-atom or quoted-string local part of at most 64
/// octets, `@`, then a host name ([`is_hostname`]) or an address literal,
/// `[` IPv4 `]` or `[IPv6:` IPv6 `]`. General address literals are refused:
/// their tags must be registered with IANA and none are.
pub fn is_email(s: &str) -> bool {
    let b = s.as_bytes();
    let local = if b.first() == Some(&b'"') {
        quoted_string(b)
    } else {
        dot_string(b)
    };
    let Some(n) = local.filter(|n| *n <= 64) else {
        return false;
    };
    let Some(domain) = b[n..].strip_prefix(b"@") else {
        return false;
    };
    match domain {
        [b'[', literal @ .., b']'] => match literal.split_at_checked(5) {
            // ABNF literals are case-insensitive.
            Some((tag, v6)) if tag.eq_ignore_ascii_case(b"IPv6:") => ipv6(v6),
            _ => ipv4(literal),
        },
        _ => hostname(domain),
    }
}

/// The length of the RFC 5321 `Dot-string` that `b` starts with.
fn dot_string(b: &[u8]) -> Option<usize> {
    let atext = |c: &u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(c);
    let n = b.iter().take_while(|c| atext(c) || **c == b'.').count();
    let s = &b[..n];
    let ok = n > 0 && s[0] != b'.' && s[n - 1] != b'.' && !s.windows(2).any(|w| w == b"..");
    ok.then_some(n)
}

/// The length of the RFC 5321 `Quoted-string` that `b` starts with: printable
/// ASCII, with `"` and `\` only as `\`-escapes.
fn quoted_string(b: &[u8]) -> Option<usize> {
    let mut i = 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' if (b' '..=b'~').contains(b.get(i + 1)?) => i += 2,
            b' '..=b'~' if b[i] != b'\\' => i += 1,
            _ => return None,
        }
    }
}

/// RFC 1123 host name: dot-separated labels of 1 to 63 ASCII letters, digits
/// and hyphens, not starting or ending with a hyphen, 253 octets at most, no
/// trailing dot. A label starting `xn--` must be an RFC 5891 A-label: valid
/// Punycode that decodes to a U-label (RFC 5891 §4.2.3, RFC 5892), where
/// the Unicode properties involved are approximated: all contextual rules
/// are applied, but of the general IDNA2008 code point table only uppercase,
/// whitespace, control, format, private-use and unassigned-between-marks
/// code points are refused, and the RFC 5893 Bidi rule is not checked.
pub fn is_hostname(s: &str) -> bool {
    hostname(s.as_bytes())
}

/// [`is_hostname`] on bytes.
fn hostname(b: &[u8]) -> bool {
    !b.is_empty() && b.len() <= 253 && b.split(|c| *c == b'.').all(label)
}

/// One host name label, an A-label if it starts `xn--`.
fn label(l: &[u8]) -> bool {
    (1..=63).contains(&l.len())
        && l[0] != b'-'
        && l[l.len() - 1] != b'-'
        && l.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && match l.split_at_checked(4) {
            Some((prefix, puny)) if prefix.eq_ignore_ascii_case(b"xn--") => {
                let mut buf = ['\0'; 63];
                punycode_decode(puny, &mut buf).is_some_and(u_label)
            }
            _ => true,
        }
}

/// RFC 3492 Punycode decoding of a label's ASCII after `xn--` into `out`;
/// `None` when the input is not valid Punycode or does not fit.
fn punycode_decode<'a>(input: &[u8], out: &'a mut [char; 63]) -> Option<&'a [char]> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    /// RFC 3492 §6.1 bias adaptation.
    fn adapt(delta: u32, points: u32, first: bool) -> u32 {
        let mut delta = delta / if first { 700 } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + 38)
    }
    // Code points before the last delimiter are copied (lowercased: DNS is
    // case-insensitive), unless there are none: then that delimiter is read
    // as a (bad) digit like the rest.
    let (basic, mut rest) = match input.iter().rposition(|c| *c == b'-') {
        Some(d) if d > 0 => (&input[..d], &input[d + 1..]),
        _ => (&input[..0], input),
    };
    let mut len = basic.len();
    for (o, c) in out.iter_mut().zip(basic) {
        *o = char::from(c.to_ascii_lowercase());
    }
    let (mut n, mut i, mut bias) = (128u32, 0u32, 72u32);
    while !rest.is_empty() {
        let (old_i, mut w, mut k) = (i, 1u32, BASE);
        loop {
            let (&c, tail) = rest.split_first()?;
            rest = tail;
            let digit = u32::from(match c {
                b'a'..=b'z' => c - b'a',
                b'A'..=b'Z' => c - b'A',
                b'0'..=b'9' => c - b'0' + 26,
                _ => return None,
            });
            i = i.checked_add(digit.checked_mul(w)?)?;
            let t = k.saturating_sub(bias).clamp(TMIN, TMAX);
            if digit < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k += BASE;
        }
        let points = len as u32 + 1;
        bias = adapt(i - old_i, points, old_i == 0);
        n = n.checked_add(i / points)?;
        i %= points;
        if len == out.len() {
            return None;
        }
        let at = i as usize;
        out.copy_within(at..len, at + 1);
        out[at] = char::from_u32(n)?;
        len += 1;
        i += 1;
    }
    Some(&out[..len])
}

/// RFC 5891 §4.2.3 and RFC 5892: what a decoded A-label must be. Checked: at
/// least one non-ASCII code point, no hyphen first, last or in positions 3
/// and 4, no combining mark first, ASCII only as letters, digits and
/// hyphens, the RFC 5892 §2.6 exceptions and the CONTEXTJ and CONTEXTO
/// rules of its Appendix A. Not checked: the full IDNA2008 derived property
/// table (beyond the exceptions, only uppercase, whitespace, control, format,
/// private-use and noncharacter code points are refused), NFC, and the
/// RFC 5893 Bidi rule.
fn u_label(u: &[char]) -> bool {
    let n = u.len();
    u.iter().any(|c| !c.is_ascii())
        && u[0] != '-'
        && u[n - 1] != '-'
        && !(n >= 4 && u[2] == '-' && u[3] == '-')
        && !is_mark(u[0])
        && (0..n).all(|i| code_point_allowed(u, i))
}

/// Whether `u[i]` is allowed where it stands in a U-label.
fn code_point_allowed(u: &[char], i: usize) -> bool {
    let before = i.checked_sub(1).map(|j| u[j]);
    let after = u.get(i + 1).copied();
    match u[i] {
        'a'..='z' | '0'..='9' | '-' => true,
        // RFC 5892 §2.6 exceptions: PVALID, then DISALLOWED.
        '\u{DF}' | '\u{3C2}' | '\u{6FD}' | '\u{6FE}' | '\u{F0B}' | '\u{3007}' => true,
        '\u{640}' | '\u{7FA}' | '\u{302E}' | '\u{302F}' | '\u{3031}'..='\u{3035}' | '\u{303B}' => {
            false
        }
        // RFC 5892 Appendix A rules.
        '\u{200C}' => before.is_some_and(is_virama) || zwnj_between_joining(u, i),
        '\u{200D}' => before.is_some_and(is_virama),
        '\u{B7}' => before == Some('l') && after == Some('l'),
        '\u{375}' => after.is_some_and(is_greek),
        '\u{5F3}' | '\u{5F4}' => before.is_some_and(is_hebrew),
        '\u{30FB}' => u.iter().any(|c| is_hiragana_katakana_han(*c)),
        '\u{660}'..='\u{669}' => !u.iter().any(|c| ('\u{6F0}'..='\u{6F9}').contains(c)),
        '\u{6F0}'..='\u{6F9}' => !u.iter().any(|c| ('\u{660}'..='\u{669}').contains(c)),
        c => {
            !c.is_ascii()
                && !c.is_uppercase()
                && !c.is_whitespace()
                && !c.is_control()
                && !is_format_private_or_noncharacter(c)
        }
    }
}

/// General_Category Cf other than ZWNJ and ZWJ (Unicode 14.0), private use
/// and noncharacters: all DISALLOWED in IDNA2008.
fn is_format_private_or_noncharacter(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{600}'..='\u{605}' | '\u{61C}' | '\u{6DD}' | '\u{70F}' | '\u{890}'..='\u{891}'
        | '\u{8E2}' | '\u{180E}' | '\u{200B}' | '\u{200E}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}'
        | '\u{110CD}' | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}'
        | '\u{E000}'..='\u{F8FF}' | '\u{FDD0}'..='\u{FDEF}' | '\u{F0000}'..='\u{10FFFF}')
        || u32::from(c) & 0xFFFE == 0xFFFE
}

/// The ZWNJ regular expression of RFC 5892 A.1: a left- or dual-joining
/// letter, transparent marks, ZWNJ, transparent marks, a right- or
/// dual-joining letter. Joining types are approximated from script blocks.
fn zwnj_between_joining(u: &[char], i: usize) -> bool {
    let left = u[..i].iter().rev().find(|c| !is_mark(**c));
    let right = u[i + 1..].iter().find(|c| !is_mark(**c));
    left.is_some_and(|c| is_joining(*c) && !is_right_joining(*c))
        && right.is_some_and(|c| is_joining(*c))
}

/// Letters of the Arabic, Syriac, N'Ko, Mongolian and Phags-pa blocks that
/// join (Joining_Type R, L or D, by block).
fn is_joining(c: char) -> bool {
    matches!(c,
        '\u{620}' | '\u{622}'..='\u{64A}' | '\u{66E}' | '\u{66F}' | '\u{671}'..='\u{6D3}'
        | '\u{6D5}' | '\u{6EE}' | '\u{6EF}' | '\u{6FA}'..='\u{6FC}' | '\u{6FF}' | '\u{710}'
        | '\u{712}'..='\u{72F}' | '\u{74D}'..='\u{77F}' | '\u{7CA}'..='\u{7EA}'
        | '\u{860}'..='\u{86A}' | '\u{870}'..='\u{882}' | '\u{8A0}'..='\u{8C8}'
        | '\u{1820}'..='\u{1878}' | '\u{1887}'..='\u{18A8}' | '\u{A840}'..='\u{A872}')
}

/// Joining letters that join only on their right (Joining_Type R).
fn is_right_joining(c: char) -> bool {
    matches!(c,
        '\u{622}'..='\u{625}' | '\u{627}' | '\u{629}' | '\u{62F}'..='\u{632}' | '\u{648}'
        | '\u{671}'..='\u{673}' | '\u{675}'..='\u{677}' | '\u{688}'..='\u{699}' | '\u{6C0}'
        | '\u{6C3}'..='\u{6CB}' | '\u{6CD}' | '\u{6CF}' | '\u{6D2}' | '\u{6D3}' | '\u{6D5}'
        | '\u{6EE}' | '\u{6EF}' | '\u{710}' | '\u{715}'..='\u{719}' | '\u{71E}' | '\u{728}'
        | '\u{72A}' | '\u{72C}' | '\u{72F}' | '\u{74D}' | '\u{759}'..='\u{75B}' | '\u{76B}'
        | '\u{76C}' | '\u{771}' | '\u{773}' | '\u{774}' | '\u{778}' | '\u{779}'
        | '\u{870}'..='\u{882}' | '\u{8AA}'..='\u{8AC}' | '\u{8AE}' | '\u{8B1}' | '\u{8B2}'
        | '\u{8B9}')
}

/// Greek script, by block (Greek and Coptic without Coptic, Greek Extended).
fn is_greek(c: char) -> bool {
    matches!(c, '\u{370}'..='\u{3E1}' | '\u{3F0}'..='\u{3FF}' | '\u{1F00}'..='\u{1FFF}')
        && !matches!(c, '\u{374}' | '\u{37E}' | '\u{385}' | '\u{387}')
}

/// Hebrew script, by block.
fn is_hebrew(c: char) -> bool {
    matches!(c, '\u{591}'..='\u{5F4}' | '\u{FB1D}'..='\u{FB4F}')
}

/// Hiragana, Katakana or Han script, by block, without the common
/// characters of those blocks such as KATAKANA MIDDLE DOT itself.
fn is_hiragana_katakana_han(c: char) -> bool {
    matches!(c,
        '\u{3005}' | '\u{3007}' | '\u{3021}'..='\u{3029}' | '\u{3038}'..='\u{303B}'
        | '\u{3041}'..='\u{3096}' | '\u{309D}'..='\u{309F}' | '\u{30A1}'..='\u{30FA}'
        | '\u{30FD}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF66}'..='\u{FF6F}'
        | '\u{FF71}'..='\u{FF9D}' | '\u{1B000}'..='\u{1B122}' | '\u{20000}'..='\u{3134F}')
}

/// Canonical_Combining_Class Virama (9), Unicode 14.0.
fn is_virama(c: char) -> bool {
    in_ranges(VIRAMA, c)
}

/// General_Category Mark (Mn, Mc, Me), Unicode 14.0; a range may also cover
/// unassigned code points between marks, which no label may hold anyway.
fn is_mark(c: char) -> bool {
    in_ranges(MARKS, c)
}

/// Whether `c` is in one of the sorted inclusive ranges flattened as
/// `[start, end, start, end, ...]` in `table`.
fn in_ranges(table: &[u32], c: char) -> bool {
    let c = u32::from(c);
    let below = table.partition_point(|x| *x <= c);
    below % 2 == 1 || (below > 0 && table[below - 1] == c)
}

/// Ranges for [`is_virama`].
const VIRAMA: &[u32] = &[
    0x94D, 0x94D, 0x9CD, 0x9CD, 0xA4D, 0xA4D, 0xACD, 0xACD, 0xB4D, 0xB4D, 0xBCD, 0xBCD, 0xC4D,
    0xC4D, 0xCCD, 0xCCD, 0xD3B, 0xD3C, 0xD4D, 0xD4D, 0xDCA, 0xDCA, 0xE3A, 0xE3A, 0xEBA, 0xEBA,
    0xF84, 0xF84, 0x1039, 0x103A, 0x1714, 0x1715, 0x1734, 0x1734, 0x17D2, 0x17D2, 0x1A60, 0x1A60,
    0x1B44, 0x1B44, 0x1BAA, 0x1BAB, 0x1BF2, 0x1BF3, 0x2D7F, 0x2D7F, 0xA806, 0xA806, 0xA82C, 0xA82C,
    0xA8C4, 0xA8C4, 0xA953, 0xA953, 0xA9C0, 0xA9C0, 0xAAF6, 0xAAF6, 0xABED, 0xABED, 0x10A3F,
    0x10A3F, 0x11046, 0x11046, 0x11070, 0x11070, 0x1107F, 0x1107F, 0x110B9, 0x110B9, 0x11133,
    0x11134, 0x111C0, 0x111C0, 0x11235, 0x11235, 0x112EA, 0x112EA, 0x1134D, 0x1134D, 0x11442,
    0x11442, 0x114C2, 0x114C2, 0x115BF, 0x115BF, 0x1163F, 0x1163F, 0x116B6, 0x116B6, 0x1172B,
    0x1172B, 0x11839, 0x11839, 0x1193D, 0x1193E, 0x119E0, 0x119E0, 0x11A34, 0x11A34, 0x11A47,
    0x11A47, 0x11A99, 0x11A99, 0x11C3F, 0x11C3F, 0x11D44, 0x11D45, 0x11D97, 0x11D97,
];

/// Ranges for [`is_mark`].
const MARKS: &[u32] = &[
    0x300, 0x36F, 0x483, 0x489, 0x591, 0x5BD, 0x5BF, 0x5BF, 0x5C1, 0x5C2, 0x5C4, 0x5C5, 0x5C7,
    0x5C7, 0x610, 0x61A, 0x64B, 0x65F, 0x670, 0x670, 0x6D6, 0x6DC, 0x6DF, 0x6E4, 0x6E7, 0x6E8,
    0x6EA, 0x6ED, 0x711, 0x711, 0x730, 0x74A, 0x7A6, 0x7B0, 0x7EB, 0x7F3, 0x7FD, 0x7FD, 0x816,
    0x819, 0x81B, 0x823, 0x825, 0x827, 0x829, 0x82D, 0x859, 0x85B, 0x898, 0x89F, 0x8CA, 0x8E1,
    0x8E3, 0x903, 0x93A, 0x93C, 0x93E, 0x94F, 0x951, 0x957, 0x962, 0x963, 0x981, 0x983, 0x9BC,
    0x9BC, 0x9BE, 0x9CD, 0x9D7, 0x9D7, 0x9E2, 0x9E3, 0x9FE, 0xA03, 0xA3C, 0xA51, 0xA70, 0xA71,
    0xA75, 0xA75, 0xA81, 0xA83, 0xABC, 0xABC, 0xABE, 0xACD, 0xAE2, 0xAE3, 0xAFA, 0xB03, 0xB3C,
    0xB3C, 0xB3E, 0xB57, 0xB62, 0xB63, 0xB82, 0xB82, 0xBBE, 0xBCD, 0xBD7, 0xBD7, 0xC00, 0xC04,
    0xC3C, 0xC3C, 0xC3E, 0xC56, 0xC62, 0xC63, 0xC81, 0xC83, 0xCBC, 0xCBC, 0xCBE, 0xCD6, 0xCE2,
    0xCE3, 0xD00, 0xD03, 0xD3B, 0xD3C, 0xD3E, 0xD4D, 0xD57, 0xD57, 0xD62, 0xD63, 0xD81, 0xD83,
    0xDCA, 0xDDF, 0xDF2, 0xDF3, 0xE31, 0xE31, 0xE34, 0xE3A, 0xE47, 0xE4E, 0xEB1, 0xEB1, 0xEB4,
    0xEBC, 0xEC8, 0xECD, 0xF18, 0xF19, 0xF35, 0xF35, 0xF37, 0xF37, 0xF39, 0xF39, 0xF3E, 0xF3F,
    0xF71, 0xF84, 0xF86, 0xF87, 0xF8D, 0xFBC, 0xFC6, 0xFC6, 0x102B, 0x103E, 0x1056, 0x1059, 0x105E,
    0x1060, 0x1062, 0x1064, 0x1067, 0x106D, 0x1071, 0x1074, 0x1082, 0x108D, 0x108F, 0x108F, 0x109A,
    0x109D, 0x135D, 0x135F, 0x1712, 0x1715, 0x1732, 0x1734, 0x1752, 0x1753, 0x1772, 0x1773, 0x17B4,
    0x17D3, 0x17DD, 0x17DD, 0x180B, 0x180D, 0x180F, 0x180F, 0x1885, 0x1886, 0x18A9, 0x18A9, 0x1920,
    0x193B, 0x1A17, 0x1A1B, 0x1A55, 0x1A7F, 0x1AB0, 0x1B04, 0x1B34, 0x1B44, 0x1B6B, 0x1B73, 0x1B80,
    0x1B82, 0x1BA1, 0x1BAD, 0x1BE6, 0x1BF3, 0x1C24, 0x1C37, 0x1CD0, 0x1CD2, 0x1CD4, 0x1CE8, 0x1CED,
    0x1CED, 0x1CF4, 0x1CF4, 0x1CF7, 0x1CF9, 0x1DC0, 0x1DFF, 0x20D0, 0x20F0, 0x2CEF, 0x2CF1, 0x2D7F,
    0x2D7F, 0x2DE0, 0x2DFF, 0x302A, 0x302F, 0x3099, 0x309A, 0xA66F, 0xA672, 0xA674, 0xA67D, 0xA69E,
    0xA69F, 0xA6F0, 0xA6F1, 0xA802, 0xA802, 0xA806, 0xA806, 0xA80B, 0xA80B, 0xA823, 0xA827, 0xA82C,
    0xA82C, 0xA880, 0xA881, 0xA8B4, 0xA8C5, 0xA8E0, 0xA8F1, 0xA8FF, 0xA8FF, 0xA926, 0xA92D, 0xA947,
    0xA953, 0xA980, 0xA983, 0xA9B3, 0xA9C0, 0xA9E5, 0xA9E5, 0xAA29, 0xAA36, 0xAA43, 0xAA43, 0xAA4C,
    0xAA4D, 0xAA7B, 0xAA7D, 0xAAB0, 0xAAB0, 0xAAB2, 0xAAB4, 0xAAB7, 0xAAB8, 0xAABE, 0xAABF, 0xAAC1,
    0xAAC1, 0xAAEB, 0xAAEF, 0xAAF5, 0xAAF6, 0xABE3, 0xABEA, 0xABEC, 0xABED, 0xFB1E, 0xFB1E, 0xFE00,
    0xFE0F, 0xFE20, 0xFE2F, 0x101FD, 0x101FD, 0x102E0, 0x102E0, 0x10376, 0x1037A, 0x10A01, 0x10A0F,
    0x10A38, 0x10A3F, 0x10AE5, 0x10AE6, 0x10D24, 0x10D27, 0x10EAB, 0x10EAC, 0x10F46, 0x10F50,
    0x10F82, 0x10F85, 0x11000, 0x11002, 0x11038, 0x11046, 0x11070, 0x11070, 0x11073, 0x11074,
    0x1107F, 0x11082, 0x110B0, 0x110BA, 0x110C2, 0x110C2, 0x11100, 0x11102, 0x11127, 0x11134,
    0x11145, 0x11146, 0x11173, 0x11173, 0x11180, 0x11182, 0x111B3, 0x111C0, 0x111C9, 0x111CC,
    0x111CE, 0x111CF, 0x1122C, 0x11237, 0x1123E, 0x1123E, 0x112DF, 0x112EA, 0x11300, 0x11303,
    0x1133B, 0x1133C, 0x1133E, 0x1134D, 0x11357, 0x11357, 0x11362, 0x11374, 0x11435, 0x11446,
    0x1145E, 0x1145E, 0x114B0, 0x114C3, 0x115AF, 0x115C0, 0x115DC, 0x115DD, 0x11630, 0x11640,
    0x116AB, 0x116B7, 0x1171D, 0x1172B, 0x1182C, 0x1183A, 0x11930, 0x1193E, 0x11940, 0x11940,
    0x11942, 0x11943, 0x119D1, 0x119E0, 0x119E4, 0x119E4, 0x11A01, 0x11A0A, 0x11A33, 0x11A39,
    0x11A3B, 0x11A3E, 0x11A47, 0x11A47, 0x11A51, 0x11A5B, 0x11A8A, 0x11A99, 0x11C2F, 0x11C3F,
    0x11C92, 0x11CB6, 0x11D31, 0x11D45, 0x11D47, 0x11D47, 0x11D8A, 0x11D97, 0x11EF3, 0x11EF6,
    0x16AF0, 0x16AF4, 0x16B30, 0x16B36, 0x16F4F, 0x16F4F, 0x16F51, 0x16F92, 0x16FE4, 0x16FF1,
    0x1BC9D, 0x1BC9E, 0x1CF00, 0x1CF46, 0x1D165, 0x1D169, 0x1D16D, 0x1D172, 0x1D17B, 0x1D182,
    0x1D185, 0x1D18B, 0x1D1AA, 0x1D1AD, 0x1D242, 0x1D244, 0x1DA00, 0x1DA36, 0x1DA3B, 0x1DA6C,
    0x1DA75, 0x1DA75, 0x1DA84, 0x1DA84, 0x1DA9B, 0x1DAAF, 0x1E000, 0x1E02A, 0x1E130, 0x1E136,
    0x1E2AE, 0x1E2AE, 0x1E2EC, 0x1E2EF, 0x1E8D0, 0x1E8D6, 0x1E944, 0x1E94A, 0xE0100, 0xE01EF,
];

/// Dotted-quad IPv4 (RFC 2673 `dotted-quad`, as JSON Schema reads RFC 2673
/// §3.2): four decimal octets 0 to 255 without leading zeros.
pub fn is_ipv4(s: &str) -> bool {
    ipv4(s.as_bytes())
}

/// [`is_ipv4`] on bytes.
fn ipv4(b: &[u8]) -> bool {
    let mut parts = 0;
    b.split(|c| *c == b'.').all(|p| {
        parts += 1;
        (1..=3).contains(&p.len())
            && (p.len() == 1 || p[0] != b'0')
            && digits(p).is_some_and(|n| n <= 255)
    }) && parts == 4
}

/// RFC 4291 §2.2 IPv6 text form: eight groups of 1 to 4 hexadecimal digits,
/// at most one `::` standing for one or more zero groups, the last two
/// groups optionally a dotted-quad IPv4 address. No zone id, no prefix
/// length, no brackets.
pub fn is_ipv6(s: &str) -> bool {
    ipv6(s.as_bytes())
}

/// [`is_ipv6`] on bytes.
fn ipv6(b: &[u8]) -> bool {
    let (mut rest, mut compressed) = match b.strip_prefix(b"::") {
        Some([]) => return true,
        Some(rest) => (rest, true),
        None => (b, false),
    };
    let mut groups = 0;
    loop {
        let end = rest.iter().position(|c| *c == b':').unwrap_or(rest.len());
        let piece = &rest[..end];
        if end == rest.len() && piece.contains(&b'.') {
            groups += 2;
            return ipv4(piece) && if compressed { groups <= 7 } else { groups == 8 };
        }
        if !(1..=4).contains(&piece.len()) || !piece.iter().all(u8::is_ascii_hexdigit) {
            return false;
        }
        groups += 1;
        rest = match &rest[end..] {
            [] => break,
            [b':', b':', tail @ ..] if !compressed => {
                compressed = true;
                if tail.is_empty() {
                    break;
                }
                tail
            }
            [b':', tail @ ..] if !tail.is_empty() && tail[0] != b':' => tail,
            _ => return false,
        };
    }
    if compressed { groups <= 7 } else { groups == 8 }
}

/// RFC 3986 `URI`: `scheme ":" hier-part ["?" query] ["#" fragment]`, every
/// component restricted to its characters and valid percent-encodings, the
/// authority's host a reg-name, an IPv6 literal or an IPvFuture literal.
pub fn is_uri(s: &str) -> bool {
    uri(s.as_bytes(), true)
}

/// RFC 3986 `URI-reference`: a URI or a `relative-ref` (network-path,
/// absolute-path, relative-path with no `:` in its first segment, or empty).
pub fn is_uri_reference(s: &str) -> bool {
    uri(s.as_bytes(), true) || uri(s.as_bytes(), false)
}

/// `URI` when `absolute`, else `relative-ref`.
fn uri(b: &[u8], absolute: bool) -> bool {
    let mut rest = b;
    if absolute {
        let n = b
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
            .count();
        if n == 0 || !b[0].is_ascii_alphabetic() || b.get(n) != Some(&b':') {
            return false;
        }
        rest = &b[n + 1..];
    }
    let (rest, fragment) = split_once(rest, b'#');
    let (hier, query) = split_once(rest, b'?');
    if !fragment.is_none_or(|f| uri_chars(f, b":@/?"))
        || !query.is_none_or(|q| uri_chars(q, b":@/?"))
    {
        return false;
    }
    let path = match hier.strip_prefix(b"//") {
        Some(r) => {
            let end = r.iter().position(|c| *c == b'/').unwrap_or(r.len());
            if !authority(&r[..end]) {
                return false;
            }
            &r[end..]
        }
        // path-noscheme: the first segment of a relative path has no colon.
        None if !absolute && hier.iter().take_while(|c| **c != b'/').any(|c| *c == b':') => {
            return false;
        }
        None => hier,
    };
    uri_chars(path, b":@/")
}

/// `b` before and after the first `sep`, if any.
fn split_once(b: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    match b.iter().position(|c| *c == sep) {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    }
}

/// RFC 3986 `authority`: `[userinfo "@"] host [":" port]`.
fn authority(a: &[u8]) -> bool {
    let (userinfo, host_port) = match a.iter().position(|c| *c == b'@') {
        Some(i) => (&a[..i], &a[i + 1..]),
        None => (&a[..0], a),
    };
    if !uri_chars(userinfo, b":") {
        return false;
    }
    let (host, port) = match host_port.strip_prefix(b"[") {
        Some(r) => match r.iter().position(|c| *c == b']') {
            Some(close) => (ip_literal(&r[..close]), &r[close + 1..]),
            None => return false,
        },
        None => {
            let end = host_port
                .iter()
                .position(|c| *c == b':')
                .unwrap_or(host_port.len());
            (uri_chars(&host_port[..end], b""), &host_port[end..])
        }
    };
    host && match port {
        [] => true,
        [b':', digits @ ..] => digits.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// RFC 3986 `IP-literal` between the brackets: IPv6 or `IPvFuture`.
fn ip_literal(b: &[u8]) -> bool {
    match b {
        [b'v' | b'V', rest @ ..] => {
            let n = rest.iter().take_while(|c| c.is_ascii_hexdigit()).count();
            n > 0
                && rest.get(n) == Some(&b'.')
                && rest.len() > n + 1
                && rest[n + 1..]
                    .iter()
                    .all(|c| is_unreserved_or_sub_delim(*c) || *c == b':')
        }
        _ => ipv6(b),
    }
}

/// RFC 3986 `unreserved / sub-delims`.
fn is_unreserved_or_sub_delim(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&c)
}

/// Whether `s` is only unreserved characters, sub-delims, `extra` and
/// percent-encodings of two hexadecimal digits (RFC 3986 §2).
fn uri_chars(s: &[u8], extra: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hex = |j: usize| s.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
        } else if is_unreserved_or_sub_delim(s[i]) || extra.contains(&s[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// `byte`: RFC 4648 §4 base64, the standard alphabet, a length that is a
/// multiple of 4, and `=` only as one or two final padding characters.
/// Non-zero pad bits are accepted, as §3.5 lets decoders do.
pub fn is_byte(s: &str) -> bool {
    let b = s.as_bytes();
    let body = b
        .strip_suffix(b"==")
        .or_else(|| b.strip_suffix(b"="))
        .unwrap_or(b);
    b.len() % 4 == 0
        && body
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectorised shape check against a byte-by-byte reading, for
    /// every byte value at every position.
    #[test]
    fn shapes_agree_with_bytes() {
        for c in 0..=255u8 {
            for (want, expected) in [
                (b'x', c.is_ascii_hexdigit()),
                (b'0', c.is_ascii_digit()),
                (b't', c == b'T' || c == b't'),
                (b'-', c == b'-'),
                (b':', c == b':'),
            ] {
                for k in 0..16 {
                    let mut b = *b"0000000000000000";
                    let mut shape = b;
                    b[k] = c;
                    shape[k] = want;
                    assert_eq!(shaped(&b, &shape), expected, "{c} as {want} at {k}");
                }
            }
        }
        let reference = |s: &[u8]| {
            s.len() == 36
                && s.iter().enumerate().all(|(i, c)| match i {
                    8 | 13 | 18 | 23 => *c == b'-',
                    _ => c.is_ascii_hexdigit(),
                })
        };
        let good = *b"3F2B8C1E-9d4a-4e6b-8a7c-1d2e3f4a5b6c";
        for at in 0..36 {
            for c in 0..=255u8 {
                let mut u = good;
                u[at] = c;
                if let Ok(s) = std::str::from_utf8(&u) {
                    assert_eq!(is_uuid(s), reference(&u), "{s:?}");
                }
            }
        }
        assert!(is_uuid("3F2B8C1E-9d4a-4e6b-8a7c-1d2e3f4a5b6c"));
        assert!(!is_uuid("3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6"));
        assert!(!is_uuid("3f2b8c1e09d4a-4e6b-8a7c-1d2e3f4a5b6c"));
        assert!(!is_uuid("3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6\u{e9}"));
    }

    /// `date` and `time` against a byte-by-byte reading, with every byte
    /// value at every position of valid values.
    #[test]
    fn dates_and_times_agree_with_bytes() {
        let number = |b: &[u8]| -> Option<u32> {
            b.iter()
                .all(u8::is_ascii_digit)
                .then(|| b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
        };
        let reference_date = |b: &[u8]| -> bool {
            if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
                return false;
            }
            let (Some(y), Some(m), Some(d)) = (number(&b[..4]), number(&b[5..7]), number(&b[8..]))
            else {
                return false;
            };
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let days = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            (1..=12).contains(&m) && (1..=days[m as usize - 1]).contains(&d)
        };
        for good in [*b"2024-02-29", *b"2023-12-31", *b"0000-01-01"] {
            for at in 0..10 {
                for c in 0..=127u8 {
                    let mut d = good;
                    d[at] = c;
                    assert_eq!(
                        date(&d),
                        reference_date(&d),
                        "{:?}",
                        String::from_utf8_lossy(&d)
                    );
                }
            }
        }
        let good = *b"23:59:60Z";
        for at in 0..8 {
            for c in 0..=127u8 {
                let mut t = good;
                t[at] = c;
                let fields = (number(&t[..2]), number(&t[3..5]), number(&t[6..8]));
                let expected = t[2] == b':'
                    && t[5] == b':'
                    && matches!(fields, (Some(23), Some(59), Some(0..=60)));
                assert_eq!(time(&t), expected, "{:?}", String::from_utf8_lossy(&t));
            }
        }
        assert!(time(b"00:00:00.5+01:00") && !time(b"00:00:00") && !time(b"0:00:00Z"));
    }

    /// Dates and times against the calendar and the clock computed the
    /// plain way, for every two-digit month, day, hour, minute and second
    /// (the checks compare the digits as big-endian numbers).
    #[test]
    fn dates_and_times_match_the_calendar_and_the_clock() {
        for y in [0, 1900, 2000, 2023, 2024, 2100, 2400, 9999] {
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            for m in 0..=99 {
                for d in 0..=99 {
                    let days = match m {
                        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                        4 | 6 | 9 | 11 => 30,
                        2 if leap => 29,
                        2 => 28,
                        _ => 0,
                    };
                    let text = format!("{y:04}-{m:02}-{d:02}");
                    assert_eq!(is_date(&text), (1..=days).contains(&d), "{text}");
                }
            }
        }
        for h in 0..=99 {
            for m in 0..=99 {
                for sec in 0..=99 {
                    let real =
                        h <= 23 && m <= 59 && (sec <= 59 || (sec == 60 && h == 23 && m == 59));
                    let text = format!("{h:02}:{m:02}:{sec:02}Z");
                    assert_eq!(is_time(&text), real, "{text}");
                }
            }
        }
    }

    /// `is_date_time` checks its fixed part as one shape: it agrees with a
    /// date, a `T` and a time read apart, for every byte value at every
    /// position of valid values, with bytes removed and one appended, and
    /// on every month, day, hour and minute with leap seconds and offsets.
    #[test]
    fn date_times_agree_with_their_parts() {
        let parts = |s: &str| {
            let b = s.as_bytes();
            b.len() > 11 && matches!(b[10], b'T' | b't') && date(&b[..10]) && time(&b[11..])
        };
        let check = |b: &[u8]| {
            if let Ok(s) = std::str::from_utf8(b) {
                assert_eq!(is_date_time(s), parts(s), "{s:?}");
            }
        };
        for good in [
            "2024-03-01T12:30:00Z",
            "2024-02-29T23:59:60.123+00:00",
            "1990-12-31t23:59:60z",
            "2023-02-28T00:00:00-23:59",
            "1900-02-28T10:20:30+05:30",
            "2024-12-31T23:59:60.000001-01:00",
        ] {
            let good = good.as_bytes();
            for at in 0..=good.len() {
                for c in 0..=255u8 {
                    let mut b = good.to_vec();
                    if at < good.len() {
                        b[at] = c;
                    } else {
                        b.push(c);
                    }
                    check(&b);
                }
                let mut b = good.to_vec();
                if at < good.len() {
                    b.remove(at);
                }
                check(&b);
            }
        }
        for y in [1900, 2000, 2023, 2024] {
            for m in 0..=13 {
                for d in 0..=32 {
                    check(format!("{y:04}-{m:02}-{d:02}T12:00:00Z").as_bytes());
                }
            }
        }
        for h in 0..=24 {
            for m in 0..=60 {
                for sec in [0, 59, 60, 61] {
                    for offset in ["Z", "+00:00", "-00:01", "+23:59", "+24:00", "-12:60"] {
                        check(format!("2024-06-30T{h:02}:{m:02}:{sec:02}{offset}").as_bytes());
                    }
                }
            }
        }
    }

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
    fn integer_ranges_are_exact_at_both_ends() {
        assert!(is_integer_in(Number::PosInt(255), 0, 255));
        assert!(!is_integer_in(Number::PosInt(256), 0, 255));
        assert!(!is_integer_in(Number::NegInt(-1), 0, 255));
        assert!(is_integer_in(Number::NegInt(-128), -128, 127));
        assert!(!is_integer_in(Number::NegInt(-129), -128, 127));
        assert!(is_integer_in(Number::PosInt(u64::MAX), 0, u64::MAX));
        assert!(is_integer_in(
            Number::Float(4_294_967_295.0),
            0,
            u32::MAX.into()
        ));
        assert!(!is_integer_in(
            Number::Float(4_294_967_296.0),
            0,
            u32::MAX.into()
        ));
        assert!(!is_integer_in(
            Number::Float(18_446_744_073_709_551_616.0),
            0,
            u64::MAX
        ));
        assert!(!is_integer_in(Number::Float(1.5), 0, 255));
    }

    #[test]
    fn sixty_four_bit_integers_in_strings() {
        check(
            is_int64_text,
            &["0", "-9223372036854775808", "9223372036854775807", "007"],
            &["9223372036854775808", "+1", "1.0", "", "-", " 1", "1e3"],
        );
        check(
            is_uint64_text,
            &["0", "18446744073709551615"],
            &["18446744073709551616", "-1", "+1", ""],
        );
    }

    #[test]
    fn google_duration() {
        check(
            is_google_duration,
            &["3s", "3.5s", "-0.000000001s", "0s", "315576000000s"],
            &[
                "3",
                "3.s",
                ".5s",
                "3.5 s",
                "1.0000000001s",
                "315576000001s",
                "PT3S",
                "-s",
                "",
            ],
        );
    }

    /// A string format checker.
    type Format = fn(&str) -> bool;

    /// Asserts that `format` accepts every `valid` and refuses every
    /// `invalid` string.
    fn check(format: Format, valid: &[&str], invalid: &[&str]) {
        for s in valid {
            assert!(format(s), "{s:?} should be valid");
        }
        for s in invalid {
            assert!(!format(s), "{s:?} should be invalid");
        }
    }

    #[test]
    fn uuid() {
        check(
            is_uuid,
            &["123e4567-e89b-12d3-a456-426614174000"],
            &[
                "123e4567e89b12d3a456426614174000",
                "123e4567-e89b-12d3-a456-42661417400g",
            ],
        );
    }

    #[test]
    fn dates_and_times() {
        check(
            is_date,
            &["2024-02-29"],
            &["2023-02-29", "2024-13-01", "2024-1-01"],
        );
        check(
            is_time,
            &[
                "23:59:60Z",
                "00:14:60+00:15",
                "23:59:60.5-00:00",
                "00:00:00.0z",
            ],
            &[
                "23:59:60+00:01",
                "12:00:60Z",
                "12:00:00+24:00",
                "12:00:00.Z",
                "12:00:00",
            ],
        );
        check(
            is_date_time,
            &[
                "2024-02-29T23:59:60.123+00:00",
                "2024-02-29t10:00:00z",
                "2024-12-31T15:59:60-08:00",
            ],
            &[
                "2024-02-29T23:59:60.123+02:00",
                "2024-02-29T24:00:00Z",
                "2024-02-29T10:00:00",
                "2024-02-29 10:00:00Z",
                "2024-02-29T10:00:00.Z",
                "2024-02-29T",
                "2024-02-29T\u{e9}",
            ],
        );
    }

    #[test]
    fn durations() {
        check(
            is_duration,
            &[
                "P1Y",
                "P1Y2M3DT4H5M6S",
                "P3D",
                "PT6S",
                "PT4H5M",
                "P0W",
                "P12DT0S",
            ],
            &[
                "P", "PT", "P1W2D", "P1WT1H", "PT1H6S", "P1Y3D", "P1M1Y", "P1S", "PT1Y", "P1DT",
                "p1D",
            ],
        );
    }

    #[test]
    fn emails() {
        check(
            is_email,
            &[
                "a@b",
                "!#$%&'*+-/=?^_`{|}~@example.com",
                r#""a\"b\\c"@example.com"#,
                "\"\"@example.com",
                "a@[ipv6:1::2]",
                "a@xn--9n2bp8q.example",
            ],
            &[
                "a@b.",
                "a@-b",
                "a@[1.2.3]",
                "a@[IPv6:1.2.3.4]",
                "a@[tag:x]",
                "\"a\"b@example.com",
                "\"a\\\u{e9}\"@example.com",
                "\"unterminated@example.com",
                "a@@example.com",
                "a@b@c",
                "a\u{e9}@example.com",
            ],
        );
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(!is_email(&long_local));
        assert!(is_email(&long_local[1..]));
    }

    #[test]
    fn hostnames() {
        let label = "a".repeat(63);
        let longest = [&*label, &*label, &*label, &label[..61]].join(".");
        assert_eq!(longest.len(), 253);
        assert!(is_hostname(&longest));
        assert!(!is_hostname(&format!("{longest}a")));
        check(
            is_hostname,
            &["A", "0", "ab--cd", "XN--BCHER-KVA.example", "xn--bcher-kva"],
            &[
                "a..b",
                "xn--",
                "xn--abc",
                "xn---abc",
                "xn--a-",
                "xn--ls8h\u{e9}",
                "xn--abc-",
            ],
        );
    }

    #[test]
    fn ip_addresses() {
        check(
            is_ipv4,
            &["1.2.3.4", "0.0.0.0", "249.250.255.100"],
            &[
                "1.2.3.04",
                "1.2.3",
                "1.2.3.4.",
                "1..3.4",
                "1.2.3.256",
                "1.2.3.1000",
            ],
        );
        check(
            is_ipv6,
            &[
                "1:2:3:4:5:6:7::",
                "::2:3:4:5:6:7:8",
                "1::8",
                "::1.2.3.4",
                "1:2:3:4:5:6:1.2.3.4",
                "ABCD:ef01::",
            ],
            &[
                "1:2:3:4:5:6:7:8::",
                "::1:2:3:4:5:6:7:8",
                "1:2:3:4:5:6:7::1.2.3.4",
                "1:2:3:4:5:1.2.3.4",
                "1.2.3.4::",
                "1::1.2.3.4:5",
                ":",
                ":::",
                "",
                "1:",
                "::1:",
            ],
        );
    }

    #[test]
    fn uris() {
        check(
            is_uri,
            &[
                "a:",
                "a+b-c.d:x",
                "http://[v1.x:y]/",
                "http://[::1]:8080",
                "http://u:p@h:/p?q?/#f?/",
                "file:///etc",
                "http://h/%aB",
            ],
            &[
                "http://[v1.]/",
                "http://[vg.x]/",
                "http://[::1",
                "http://[::1]x",
                "http://h/#a#b",
                "http://h:1:2",
                "http://h/%a",
                "a b:c",
                "",
            ],
        );
        check(
            is_uri_reference,
            &["", "a/b:c", "../x", "//u@[::1]:80", "?#", "#"],
            &[":a", "a:b c", "%", "//[", "#\u{e9}"],
        );
    }

    #[test]
    fn base64() {
        check(
            is_byte,
            &["", "AAAA", "QQ==", "QUI=", "QR==", "+/+/"],
            &[
                "A", "AA", "AAA", "A===", "====", "QQ=A", "Q===", "QUI", "QU I=", "QQ-_",
                "QQ==QQ==",
            ],
        );
    }

    /// Every string case of the JSON-Schema-Test-Suite files for the formats
    /// checked here, when the suite is checked out beside the repository.
    #[test]
    fn json_schema_test_suite() {
        let dir = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/conformance/json-schema-test-suite/draft2020-12/optional/format"
        ));
        let formats: [(&str, Format); 11] = [
            ("date-time", is_date_time),
            ("date", is_date),
            ("time", is_time),
            ("duration", is_duration),
            ("email", is_email),
            ("hostname", is_hostname),
            ("ipv4", is_ipv4),
            ("ipv6", is_ipv6),
            ("uri", is_uri),
            ("uri-reference", is_uri_reference),
            ("uuid", is_uuid),
        ];
        let mut failures = Vec::new();
        for (name, format) in formats {
            let Ok(text) = std::fs::read_to_string(dir.join(format!("{name}.json"))) else {
                continue;
            };
            let groups: serde_json::Value = serde_json::from_str(&text).unwrap();
            for test in groups
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|g| g["tests"].as_array().unwrap())
            {
                let (Some(data), Some(valid)) = (test["data"].as_str(), test["valid"].as_bool())
                else {
                    continue;
                };
                if format(data) != valid {
                    failures.push(format!("{name} {data:?}: {}", test["description"]));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

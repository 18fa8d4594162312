//! A borrowed JSON document model and its strict parser.
//!
//! Bodies are parsed once into [`Value`], which borrows strings from the
//! request bytes where no unescaping is needed, keeps object members in
//! document order and rejects what a lenient parser would let through:
//! duplicate keys (a validator and a backend that disagree on which duplicate
//! wins is a known bypass), nesting beyond a limit, trailing data.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// A JSON value borrowing from the input where it can.
#[derive(Debug, Clone)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    /// Members in document order; keys are unique.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// A JSON number, kept as an integer when it has no fraction or exponent
/// and fits in 64 bits.
#[derive(Debug, Clone, Copy)]
pub enum Number {
    PosInt(u64),
    NegInt(i64),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::PosInt(n) => n as f64,
            Number::NegInt(n) => n as f64,
            Number::Float(f) => f,
        }
    }

    /// JSON Schema's notion of integer: `1.0` is an integer.
    pub fn is_integer(self) -> bool {
        match self {
            Number::PosInt(_) | Number::NegInt(_) => true,
            Number::Float(f) => f.is_finite() && f.fract() == 0.0,
        }
    }
}

impl Number {
    /// Exact comparison with an integer (bounds beyond ±2^53, where f64
    /// cannot tell neighbouring integers apart).
    pub fn cmp_i128(self, bound: i128) -> std::cmp::Ordering {
        match self {
            Number::PosInt(n) => i128::from(n).cmp(&bound),
            Number::NegInt(n) => i128::from(n).cmp(&bound),
            Number::Float(f) => {
                let b = bound as f64;
                if f < b {
                    std::cmp::Ordering::Less
                } else if f > b {
                    std::cmp::Ordering::Greater
                } else {
                    // Equal as floats: `f` is integral, compare exactly.
                    (f as i128).cmp(&bound)
                }
            }
        }
    }

    /// `multipleOf`: exact for integers, within float rounding otherwise.
    pub fn is_multiple_of(self, divisor: f64) -> bool {
        if divisor.fract() == 0.0 && divisor.abs() < u64::MAX as f64 {
            let d = divisor.abs() as u64;
            match self {
                Number::PosInt(n) => return n % d == 0,
                Number::NegInt(n) => return n.unsigned_abs() % d == 0,
                Number::Float(_) => {}
            }
        }
        // JSON numbers are decimals: compare the shortest decimal forms of
        // both (what the texts said), exactly, rather than binary floats.
        let (Some((vm, ve)), Some((dm, de))) = (decimal(self.as_f64()), decimal(divisor)) else {
            return false;
        };
        if vm == 0 {
            return true;
        }
        if dm == 0 {
            return false;
        }
        let dm = dm.unsigned_abs();
        let vm = vm.unsigned_abs();
        if ve >= de {
            // vm·10^(ve−de) mod dm, by modular exponentiation (no overflow:
            // dm has at most 17 digits).
            let mut rem = vm % dm;
            let mut base = 10 % dm;
            let mut k = (ve - de) as u32;
            while k > 0 {
                if k & 1 == 1 {
                    rem = rem * base % dm;
                }
                base = base * base % dm;
                k >>= 1;
            }
            rem == 0
        } else {
            // vm must be divisible by dm·10^(de−ve).
            match 10u128
                .checked_pow((de - ve) as u32)
                .and_then(|p| p.checked_mul(dm))
            {
                Some(d) => vm % d == 0,
                None => false,
            }
        }
    }
}

/// The shortest decimal form of a finite float: `(mantissa, exponent)` with
/// `x = mantissa · 10^exponent`, formatted on the stack (no allocation).
fn decimal(x: f64) -> Option<(i128, i32)> {
    use std::io::Write as _;
    if !x.is_finite() {
        return None;
    }
    let mut buf = [0u8; 40];
    let mut cursor = &mut buf[..];
    write!(cursor, "{x:e}").ok()?;
    let len = 40 - cursor.len();
    let text = std::str::from_utf8(&buf[..len]).ok()?;
    let (digits, exp) = text.split_once('e')?;
    let mut exp: i32 = exp.parse().ok()?;
    let negative = digits.starts_with('-');
    let digits = digits.trim_start_matches('-');
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    exp -= frac.len() as i32;
    let mut mantissa: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa * 10 + i128::from(b - b'0');
    }
    Some((if negative { -mantissa } else { mantissa }, exp))
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (*self, *other) {
            (Number::PosInt(a), Number::PosInt(b)) => a == b,
            (Number::NegInt(a), Number::NegInt(b)) => a == b,
            (Number::PosInt(_), Number::NegInt(_)) | (Number::NegInt(_), Number::PosInt(_)) => {
                false
            }
            (a, b) => a.as_f64() == b.as_f64(),
        }
    }
}

impl Value<'_> {
    /// The JSON Schema type name of this value (`integer` for integral
    /// numbers).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_integer() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Looks up an object member by key.
    pub fn get(&self, key: &str) -> Option<&Value<'_>> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// JSON Schema equality: numbers compare by value, objects regardless of
/// member order.
impl PartialEq for Value<'_> {
    fn eq(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.iter().any(|(k2, v2)| k == k2 && v == v2))
            }
            _ => false,
        }
    }
}

impl Value<'static> {
    /// Parses a JSON literal embedded in generated code (an `enum` list, a
    /// `const`); the compiler has checked it, so failure is a bug.
    pub fn literal(text: &'static str) -> Value<'static> {
        match parse(text.as_bytes(), 1024) {
            Ok(v) => v,
            Err(e) => panic!("invalid JSON literal in generated code: {e}"),
        }
    }
}

impl Value<'_> {
    /// For an array: whether any item equals `v` (JSON Schema equality).
    pub fn array_contains(&self, v: &Value<'_>) -> bool {
        matches!(self, Value::Array(items) if items.iter().any(|e| e == v))
    }
}

/// Index pair of the first two equal items, for `uniqueItems`.
pub fn first_duplicate(items: &[Value<'_>]) -> Option<(usize, usize)> {
    for (i, a) in items.iter().enumerate() {
        for (j, b) in items.iter().enumerate().skip(i + 1) {
            if a == b {
                return Some((i, j));
            }
        }
    }
    None
}

/// Why a body is not acceptable JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON at all, or trailing data; the message carries line and column.
    Malformed(String),
    /// An object has the same key twice.
    DuplicateKey(String),
    /// Objects and arrays nest deeper than the limit.
    TooDeep(u32),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Malformed(m) => write!(f, "malformed JSON: {m}"),
            ParseError::DuplicateKey(k) => write!(f, "duplicate object key \"{k}\""),
            ParseError::TooDeep(max) => write!(f, "JSON nesting deeper than {max} levels"),
        }
    }
}

impl std::error::Error for ParseError {}

// Errors raised inside the visitor travel through serde_json as custom
// messages; these prefixes let `parse` turn them back into typed errors.
const DUPLICATE: &str = "\u{0}duplicate:";
const TOO_DEEP: &str = "\u{0}too-deep";

/// Parses `input` strictly: RFC 8259 JSON, unique keys, at most `max_depth`
/// nested arrays/objects, nothing after the value but whitespace.
pub fn parse(input: &[u8], max_depth: u32) -> Result<Value<'_>, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(input);
    let value = Seed {
        depth: 0,
        max_depth,
    }
    .deserialize(&mut de)
    .map_err(|e| convert_error(e, max_depth))?;
    de.end().map_err(|e| convert_error(e, max_depth))?;
    Ok(value)
}

fn convert_error(e: serde_json::Error, max_depth: u32) -> ParseError {
    let msg = e.to_string();
    if let Some(rest) = msg.strip_prefix(DUPLICATE) {
        // serde_json appends " at line L column C"; the key is what precedes it.
        let key = rest.rsplit_once(" at line ").map_or(rest, |(k, _)| k);
        return ParseError::DuplicateKey(key.to_owned());
    }
    if msg.starts_with(TOO_DEEP) || e.to_string().contains("recursion limit exceeded") {
        return ParseError::TooDeep(max_depth);
    }
    ParseError::Malformed(msg)
}

#[derive(Clone, Copy)]
struct Seed {
    depth: u32,
    max_depth: u32,
}

impl Seed {
    fn nested<E: de::Error>(self) -> Result<Seed, E> {
        if self.depth >= self.max_depth {
            return Err(E::custom(TOO_DEEP));
        }
        Ok(Seed {
            depth: self.depth + 1,
            max_depth: self.max_depth,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Value<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value<'de>, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value<'de>, E> {
        Ok(Value::Bool(b))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value<'de>, E> {
        Ok(Value::Number(Number::PosInt(n)))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value<'de>, E> {
        Ok(Value::Number(if n >= 0 {
            Number::PosInt(n as u64)
        } else {
            Number::NegInt(n)
        }))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value<'de>, E> {
        Ok(Value::Number(Number::Float(f)))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Value<'de>, E> {
        Ok(Value::String(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let inner = self.nested()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let inner = self.nested()?;
        let mut members: Vec<(Cow<'de, str>, Value<'de>)> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            // Linear scan: objects in request bodies are small; a hash set
            // would cost more than it saves below a few dozen members.
            if members.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format_args!("{DUPLICATE}{key}")));
            }
            let value = map.next_value_seed(inner)?;
            members.push((key, value));
        }
        Ok(Value::Object(members))
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<&str, ParseError>) {
        let got = parse(input.as_bytes(), 3).map(|v| v.type_name());
        assert_eq!(got, expect, "input: {input}");
    }

    #[test]
    fn parses_strictly() {
        check(r#"{"a": [1, 2.5, "x", null, true]}"#, Ok("object"));
        check("1.0", Ok("integer"));
        check("-3", Ok("integer"));
        check("1.5", Ok("number"));
        check(
            r#"{"a": 1, "a": 2}"#,
            Err(ParseError::DuplicateKey("a".into())),
        );
        check(
            r#"{"a": {"b": 1, "b": 2}}"#,
            Err(ParseError::DuplicateKey("b".into())),
        );
        check("[[[1]]]", Ok("array"));
        check("[[[[1]]]]", Err(ParseError::TooDeep(3)));
        assert!(matches!(parse(b"{} x", 3), Err(ParseError::Malformed(_))));
        assert!(matches!(
            parse(b"{'a': 1}", 3),
            Err(ParseError::Malformed(_))
        ));
        assert!(matches!(parse(b"", 3), Err(ParseError::Malformed(_))));
    }

    #[test]
    fn escaped_keys_are_compared_unescaped() {
        // "\u0061" is "a": a duplicate a backend would see too.
        check(
            r#"{"a": 1, "\u0061": 2}"#,
            Err(ParseError::DuplicateKey("a".into())),
        );
    }

    #[test]
    fn multiple_of_within_float_rounding_only() {
        assert!(Number::Float(0.0075).is_multiple_of(0.0001));
        assert!(Number::Float(19.99).is_multiple_of(0.01));
        assert!(!Number::Float(1e-20).is_multiple_of(0.01));
        assert!(!Number::Float(5e-324).is_multiple_of(0.01));
        assert!(!Number::Float(0.010000000000000009).is_multiple_of(0.01));
        assert!(Number::Float(1e308).is_multiple_of(0.01));
        assert!(Number::Float(0.0).is_multiple_of(0.01));
        assert!(Number::PosInt(10).is_multiple_of(2.0));
        assert!(!Number::NegInt(-7).is_multiple_of(2.0));
    }

    #[test]
    fn big_integers_compare_exactly() {
        use std::cmp::Ordering::*;
        let big = (1i128 << 53) + 1;
        assert_eq!(Number::PosInt(1u64 << 53).cmp_i128(big), Less);
        assert_eq!(Number::PosInt((1u64 << 53) + 1).cmp_i128(big), Equal);
        assert_eq!(
            Number::PosInt(u64::MAX).cmp_i128(i128::from(u64::MAX) - 1),
            Greater
        );
        assert_eq!(
            Number::NegInt(i64::MIN).cmp_i128(i128::from(i64::MIN)),
            Equal
        );
        assert_eq!(Number::Float(1e30).cmp_i128(i128::from(u64::MAX)), Greater);
        assert_eq!(Number::Float(0.5).cmp_i128(big), Less);
    }

    #[test]
    fn equality_follows_json_schema() {
        let a = parse(br#"{"x": 1, "y": [1.0]}"#, 8).unwrap();
        let b = parse(br#"{"y": [1], "x": 1.0}"#, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(parse(b"1", 8).unwrap(), parse(b"true", 8).unwrap());
    }
}

//! The strict body parser (`json::parse`) against `serde_json`, the
//! reference: same verdict on every input serde_json and RFC 8259 agree on,
//! same values, and the strict refusals (duplicate keys, depth) on top.

use std::borrow::Cow;

use douane_runtime::json::{self, Number, ParseError, Value};
use proptest::prelude::*;

/// Our value as a `serde_json::Value`, for comparison (numbers by value).
fn to_serde(v: &Value<'_>) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(Number::PosInt(n)) => (*n).into(),
        Value::Number(Number::NegInt(n)) => (*n).into(),
        Value::Number(Number::BigInt(n)) => serde_json::Value::from(n.get() as f64),
        Value::Number(Number::Float(f)) => serde_json::Value::from(*f),
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::Array(items) => items.iter().map(to_serde).collect(),
        Value::Object(members) => members
            .iter()
            .map(|(k, v)| (k.to_string(), to_serde(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

/// serde_json's value with integers beyond 64 bits as floats (what it does
/// itself) so both sides compare.
fn reference(bytes: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_slice(bytes).ok()
}

/// Structural equality, floats within one rounding step: serde_json's
/// default float parsing is not correctly rounded (its `float_roundtrip`
/// feature is), ours is (`str::parse::<f64>`), so the last bit may differ.
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            x == y || (x - y).abs() <= x.abs().max(y.abs()) * 4.0 * f64::EPSILON
        }
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::String),
        "[a-z\\\\\"\u{0}-\u{1f}\u{7f}-\u{10ffff}]{0,8}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-z\u{e9}\\\\]{0,4}", inner, 0..8)
                .prop_map(|m| { serde_json::Value::Object(m.into_iter().collect()) }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Every document serde_json writes (compact or pretty) parses to the
    /// same value.
    #[test]
    fn parses_what_serde_json_writes(v in json_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
        let ours = json::parse(text.as_bytes(), 64).expect("valid JSON parses");
        prop_assert_eq!(to_serde(&ours), v);
    }

    /// Mutated documents: both accept or both refuse, and agree on values.
    #[test]
    fn same_verdict_as_serde_json(v in json_value(), at in any::<prop::sample::Index>(), byte in prop_oneof![
        Just(b'"'), Just(b'\\'), Just(b','), Just(b':'), Just(b'{'), Just(b'}'), Just(b'['), Just(b']'),
        Just(b'0'), Just(b'-'), Just(b'.'), Just(b'e'), Just(b'u'), Just(b' '), Just(0u8), Just(0x1f), Just(0xff), Just(0xc3),
    ], delete in any::<bool>()) {
        let mut bytes = serde_json::to_vec(&v).unwrap();
        let i = at.index(bytes.len() + 1);
        if delete && i < bytes.len() { bytes.remove(i); } else { bytes.insert(i, byte); }
        let ours = json::parse(&bytes, 1_000);
        match (reference(&bytes), ours) {
            (Some(theirs), Ok(ours)) => prop_assert!(same(&to_serde(&ours), &theirs), "{:?} vs {:?}", to_serde(&ours), theirs),
            (None, Err(_)) => {}
            // serde_json keeps the last of duplicate keys; we refuse.
            (Some(_), Err(ParseError::DuplicateKey(_))) => {}
            (theirs, ours) => prop_assert!(false, "{:?}: serde_json {:?}, douane {:?}", String::from_utf8_lossy(&bytes), theirs, ours),
        }
    }
}

fn parsed(text: &str) -> Result<Value<'_>, ParseError> {
    json::parse(text.as_bytes(), 64)
}

#[test]
fn strings_borrow_unless_escaped() {
    let v = parsed(r#"["plain", "a\"b", "\u00e9\ud83d\ude00", "é"]"#).unwrap();
    let Value::Array(items) = v else { panic!() };
    assert!(matches!(&items[0], Value::String(Cow::Borrowed("plain"))));
    assert!(matches!(&items[1], Value::String(Cow::Owned(s)) if s == "a\"b"));
    assert!(matches!(&items[2], Value::String(Cow::Owned(s)) if s == "é😀"));
    assert!(matches!(&items[3], Value::String(Cow::Borrowed("é"))));
}

#[test]
fn refuses_what_rfc_8259_refuses() {
    for bad in [
        "",
        " ",
        "01",
        "-",
        "1.",
        ".5",
        "1e",
        "+1",
        "NaN",
        "Infinity",
        "[1,]",
        "{\"a\":1,}",
        "{a:1}",
        "'a'",
        "\"\\x\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"a\u{1}\"",
        "[1 2]",
        "{\"a\" 1}",
        "tru",
        "nul",
        "1e400",
        "-1e400",
        "[",
        "{",
        "\"",
        "[1]]",
        "{} {}",
    ] {
        assert!(
            matches!(parsed(bad), Err(ParseError::Malformed(_))),
            "{bad:?} must be refused: {:?}",
            parsed(bad)
        );
    }
    assert!(
        matches!(json::parse(b"\"\xff\"", 64), Err(ParseError::Malformed(m)) if m.contains("UTF-8"))
    );
}

#[test]
fn errors_name_line_and_column() {
    assert_eq!(
        parsed("{\n  \"a\": tru\n}"),
        Err(ParseError::Malformed(
            "expected value at line 2 column 8".into()
        ))
    );
}

#[test]
fn numbers_keep_their_exact_value() {
    let n = |t: &str| match parsed(t).unwrap() {
        Value::Number(n) => n,
        _ => panic!(),
    };
    assert!(matches!(n("0"), Number::PosInt(0)));
    assert!(matches!(n("-0"), Number::PosInt(0)));
    assert!(matches!(
        n("18446744073709551615"),
        Number::PosInt(u64::MAX)
    ));
    assert!(matches!(
        n("-9223372036854775808"),
        Number::NegInt(i64::MIN)
    ));
    assert!(
        matches!(n("18446744073709551616"), Number::BigInt(x) if x.get() == 18446744073709551616)
    );
    assert!(
        matches!(n("-9223372036854775809"), Number::BigInt(x) if x.get() == -9223372036854775809)
    );
    assert!(
        matches!(n("123456789012345678901234567890"), Number::BigInt(x) if x.get() == 123456789012345678901234567890)
    );
    // Beyond 128 bits: a float of the right magnitude.
    assert!(
        matches!(n("1000000000000000000000000000000000000000000"), Number::Float(f) if f == 1e42)
    );
    assert!(matches!(n("1.0"), Number::Float(f) if f == 1.0));
    assert!(matches!(n("-2.5E-3"), Number::Float(f) if f == -0.0025));
    // 30-digit neighbours are told apart (f64 could not).
    assert_eq!(
        n("123456789012345678901234567891").cmp_i128(123456789012345678901234567890),
        std::cmp::Ordering::Greater
    );
    assert_ne!(
        n("123456789012345678901234567891"),
        n("123456789012345678901234567890")
    );
}

#[test]
fn duplicate_keys_are_found_in_large_objects_too() {
    // Past the linear-scan threshold the parser hashes keys: a duplicate
    // anywhere, escaped or not, is still refused.
    let mut text = String::from("{");
    for i in 0..1_000 {
        text.push_str(&format!("\"k{i}\": {i},"));
    }
    text.push_str("\"k\\u0035\": 0}");
    assert_eq!(parsed(&text), Err(ParseError::DuplicateKey("k5".into())));
    text.truncate(text.len() - "\"k\\u0035\": 0}".len());
    text.push_str("\"other\": 0}");
    assert!(parsed(&text).is_ok());
}

#[test]
fn large_objects_parse_in_linear_time() {
    // 100,000 distinct keys: a quadratic duplicate scan would take minutes.
    let mut text = String::from("{");
    for i in 0..100_000 {
        text.push_str(&format!("\"key{i}\":{i},"));
    }
    text.pop();
    text.push('}');
    let started = std::time::Instant::now();
    assert!(parsed(&text).is_ok());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn depth_is_bounded_without_recursion() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(json::parse(deep(64).as_bytes(), 64).is_ok());
    assert_eq!(
        json::parse(deep(65).as_bytes(), 64),
        Err(ParseError::TooDeep(64))
    );
    // The largest limit a contract may set (1024), and an input far deeper
    // refused early: the parser itself is iterative.
    assert!(json::parse(deep(1_024).as_bytes(), 1_024).is_ok());
    assert_eq!(
        json::parse(deep(1_000_000).as_bytes(), 1_024),
        Err(ParseError::TooDeep(1_024))
    );
}

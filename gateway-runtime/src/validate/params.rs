//! Reading path, query and header parameters from their raw form into typed
//! [`Value`]s, following the OpenAPI default styles, then handing them to the
//! compiled schema validator.
//!
//! Splitting happens before percent-decoding, as the specification says, so
//! an encoded delimiter (`%2C`) stays inside a value. Query strings are
//! form-decoded (`+` is a space); headers are not decoded at all.

use std::borrow::Cow;

use http::HeaderMap;
use percent_encoding::percent_decode_str;

use super::Violations;
use crate::json::{Number, Value};

/// A compiled schema validator, as generated for each schema.
pub type SchemaCheck = fn(&Value<'_>, &mut Violations) -> bool;

/// How a raw parameter string is read before schema validation: the
/// parameter schema's declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
}

/// The shape of a parameter value in the default styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Primitive(Kind),
    /// Comma-separated (`simple`, `form` without explode) or repeated
    /// (`form` with explode) items.
    Array(Kind),
}

/// Most path parameters a template may hold.
pub const MAX_CAPTURES: usize = 16;

/// Raw (still percent-encoded) path parameter values filled by a router,
/// by position in the template.
#[derive(Debug, Clone, Copy)]
pub struct Captures<'p> {
    values: [&'p str; MAX_CAPTURES],
}

impl Default for Captures<'_> {
    fn default() -> Self {
        Captures {
            values: [""; MAX_CAPTURES],
        }
    }
}

impl<'p> Captures<'p> {
    #[inline]
    pub fn set(&mut self, index: usize, value: &'p str) {
        self.values[index] = value;
    }

    #[inline]
    pub fn get(&self, index: usize) -> &'p str {
        self.values[index]
    }
}

/// One piece of a path segment template such as `{name}.{ext}`.
#[derive(Debug, Clone, Copy)]
pub enum Piece {
    Literal(&'static str),
    /// Captured into `Captures` at this index.
    Param(usize),
}

/// Matches one path segment against a template segment mixing literals and
/// parameters. Parameters are non-empty and match greedily, backtracking
/// over the positions of the literal that follows: `{name}.{ext}` reads
/// `a.tar.gz` as `a.tar` and `gz`.
pub fn match_segment<'p>(seg: &'p str, pieces: &[Piece], caps: &mut Captures<'p>) -> bool {
    match pieces.split_first() {
        None => seg.is_empty(),
        Some((Piece::Literal(lit), rest)) => match seg.strip_prefix(lit) {
            Some(tail) => match_segment(tail, rest, caps),
            None => false,
        },
        Some((Piece::Param(i), rest)) => match rest.first() {
            // A trailing parameter takes the rest of the segment.
            None => {
                caps.set(*i, seg);
                !seg.is_empty()
            }
            Some(Piece::Literal(lit)) => {
                // Candidate ends of the parameter, rightmost first.
                let mut end = seg.len();
                while let Some(cut) = seg[..end].rfind(lit) {
                    if cut == 0 {
                        return false;
                    }
                    caps.set(*i, &seg[..cut]);
                    if match_segment(&seg[cut..], rest, caps) {
                        return true;
                    }
                    end = cut + lit.len() - 1;
                    while !seg.is_char_boundary(end) {
                        end -= 1;
                    }
                }
                false
            }
            // Two adjacent parameters are refused by the compiler.
            Some(Piece::Param(_)) => false,
        },
    }
}

/// The parts of a request that parameter checks read.
#[derive(Debug)]
pub struct RequestParts<'a> {
    pub query: QueryPairs<'a>,
    pub headers: &'a HeaderMap,
}

/// A query string split into pairs: keys form-decoded, values kept raw so
/// that they are split on delimiters before decoding.
#[derive(Debug, Default)]
pub struct QueryPairs<'a> {
    pairs: Vec<(Cow<'a, str>, &'a str)>,
}

impl<'a> QueryPairs<'a> {
    pub fn parse(query: Option<&'a str>) -> QueryPairs<'a> {
        let pairs = query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (form_decode(k).unwrap_or(Cow::Borrowed(k)), v)
            })
            .collect();
        QueryPairs { pairs }
    }

    /// Raw values given for `name`, in order.
    pub fn values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| *v)
    }
}

/// Decodes `application/x-www-form-urlencoded` text; `None` when the bytes
/// are not UTF-8 after decoding.
fn form_decode(raw: &str) -> Option<Cow<'_, str>> {
    if raw.contains('+') {
        let spaced = raw.replace('+', " ");
        return percent_decode_str(&spaced)
            .decode_utf8()
            .ok()
            .map(|c| Cow::Owned(c.into_owned()));
    }
    percent_decode_str(raw).decode_utf8().ok()
}

fn path_decode(raw: &str) -> Option<Cow<'_, str>> {
    percent_decode_str(raw).decode_utf8().ok()
}

/// Checks a path parameter (style `simple`).
pub fn check_path(raw: &str, shape: Shape, schema: SchemaCheck, out: &mut Violations) {
    check_value(Source::Raw(raw), shape, Decode::Path, schema, out);
}

/// Checks a query parameter (style `form`).
pub fn check_query(
    req: &RequestParts<'_>,
    name: &'static str,
    required: bool,
    explode: bool,
    shape: Shape,
    schema: SchemaCheck,
    out: &mut Violations,
) {
    let mut values = req.query.values(name);
    let Some(first) = values.next() else {
        if required {
            out.fail(
                "required",
                format_args!("query parameter \"{name}\" is required"),
            );
        }
        return;
    };
    match shape {
        Shape::Array(kind) if explode => {
            let items = std::iter::once(first).chain(values);
            check_array(items, kind, Decode::Form, schema, out);
        }
        _ => {
            if values.next().is_some() {
                out.fail(
                    "repeated",
                    format_args!("query parameter \"{name}\" must not be repeated"),
                );
                return;
            }
            check_value(Source::Raw(first), shape, Decode::Form, schema, out);
        }
    }
}

/// Checks a header parameter (style `simple`).
pub fn check_header(
    req: &RequestParts<'_>,
    name: &'static str,
    required: bool,
    shape: Shape,
    schema: SchemaCheck,
    out: &mut Violations,
) {
    let mut values = req.headers.get_all(name).iter();
    let Some(first) = values.next() else {
        if required {
            out.fail("required", format_args!("header \"{name}\" is required"));
        }
        return;
    };
    if values.next().is_some() && matches!(shape, Shape::Primitive(_)) {
        out.fail(
            "repeated",
            format_args!("header \"{name}\" must not be repeated"),
        );
        return;
    }
    let Ok(text) = std::str::from_utf8(first.as_bytes()) else {
        out.fail(
            "encoding",
            format_args!("header \"{name}\" is not valid UTF-8"),
        );
        return;
    };
    if matches!(shape, Shape::Array(_)) {
        // All lines of a list header form one list (RFC 9110 §5.3).
        let mut joined = text.to_owned();
        for more in req.headers.get_all(name).iter().skip(1) {
            let Ok(t) = std::str::from_utf8(more.as_bytes()) else {
                out.fail(
                    "encoding",
                    format_args!("header \"{name}\" is not valid UTF-8"),
                );
                return;
            };
            joined.push(',');
            joined.push_str(t);
        }
        check_value(Source::Raw(&joined), shape, Decode::None, schema, out);
        return;
    }
    check_value(Source::Raw(text), shape, Decode::None, schema, out);
}

#[derive(Clone, Copy)]
enum Decode {
    Path,
    Form,
    None,
}

enum Source<'r> {
    Raw(&'r str),
}

fn check_value(
    source: Source<'_>,
    shape: Shape,
    decode: Decode,
    schema: SchemaCheck,
    out: &mut Violations,
) {
    let Source::Raw(raw) = source;
    match shape {
        Shape::Primitive(kind) => {
            if let Some(value) = read_item(raw, kind, decode, out) {
                schema(&value, out);
            }
        }
        Shape::Array(kind) => {
            // An empty value is an empty array, not one empty item.
            let items = raw.split(',').filter(|_| !raw.is_empty());
            let items = items.map(|s| match decode {
                Decode::None => s.trim_matches([' ', '\t']),
                _ => s,
            });
            check_array(items, kind, decode, schema, out);
        }
    }
}

fn check_array<'r>(
    items: impl Iterator<Item = &'r str>,
    kind: Kind,
    decode: Decode,
    schema: SchemaCheck,
    out: &mut Violations,
) {
    let mut values = Vec::new();
    let mut ok = true;
    for (i, raw) in items.enumerate() {
        // Parameter arrays are one level deep: the guard cannot trip here.
        let mark = out.mark().unwrap_or(0);
        match read_item(raw, kind, decode, out) {
            Some(v) => values.push(v),
            None => ok = false,
        }
        out.at_index(mark, i);
    }
    if ok {
        schema(&Value::Array(values), out);
    }
}

/// Decodes one raw item and reads it as `kind`; records a violation and
/// returns `None` when it cannot.
fn read_item<'r>(
    raw: &'r str,
    kind: Kind,
    decode: Decode,
    out: &mut Violations,
) -> Option<Value<'r>> {
    let text = match decode {
        Decode::Path => path_decode(raw),
        Decode::Form => form_decode(raw),
        Decode::None => Some(Cow::Borrowed(raw)),
    };
    let Some(text) = text else {
        out.fail("encoding", format_args!("must be percent-encoded UTF-8"));
        return None;
    };
    let value = match kind {
        Kind::String => return Some(Value::String(text)),
        Kind::Integer => parse_integer(&text).map(Value::Number),
        Kind::Number => parse_number(&text).map(Value::Number),
        Kind::Boolean => match &*text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
    };
    if value.is_none() {
        let expected = match kind {
            Kind::Integer => "an integer",
            Kind::Number => "a number",
            _ => "true or false",
        };
        out.fail("type", format_args!("must be {expected}"));
    }
    value
}

/// Reads a decimal integer: optional `-`, digits only.
fn parse_integer(s: &str) -> Option<Number> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(n) = s.parse::<u64>() {
        return Some(Number::PosInt(n));
    }
    if let Ok(n) = s.parse::<i64>() {
        return Some(if n >= 0 {
            Number::PosInt(n as u64)
        } else {
            Number::NegInt(n)
        });
    }
    // Beyond 64 bits: exact up to 128 bits, then the magnitude as a float
    // so that bounds still apply.
    if let Ok(n) = s.parse::<i128>() {
        return Some(Number::BigInt(crate::json::Wide::new(n)));
    }
    s.parse::<f64>().ok().map(Number::Float)
}

/// Reads a number in JSON syntax (no `+`, `inf`, `nan` or hex).
fn parse_number(s: &str) -> Option<Number> {
    if let Some(n) = parse_integer(s) {
        return Some(n);
    }
    match crate::json::scan_number(s.as_bytes()) {
        Ok((n, len)) if len == s.len() => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Location;

    fn accept_all(_: &Value<'_>, _: &mut Violations) -> bool {
        true
    }

    fn max_two_items(v: &Value<'_>, out: &mut Violations) -> bool {
        match v {
            Value::Array(a) if a.len() > 2 => {
                out.fail("maxItems", format_args!("must have at most 2 items"))
            }
            _ => true,
        }
    }

    fn query(q: &'static str, explode: bool, shape: Shape, schema: SchemaCheck) -> Vec<String> {
        let headers = HeaderMap::new();
        let req = RequestParts {
            query: QueryPairs::parse(Some(q)),
            headers: &headers,
        };
        let mut out = Violations::default();
        out.enter(Location::Query, "p");
        check_query(&req, "p", true, explode, shape, schema, &mut out);
        out.into_vec()
            .into_iter()
            .map(|v| format!("{} {}: {}", v.pointer, v.rule, v.message))
            .collect()
    }

    #[test]
    fn query_styles() {
        assert_eq!(
            query("p=12", false, Shape::Primitive(Kind::Integer), accept_all),
            Vec::<String>::new()
        );
        assert_eq!(
            query("p=1.5", false, Shape::Primitive(Kind::Integer), accept_all),
            [" type: must be an integer"]
        );
        assert_eq!(
            query("q=1", false, Shape::Primitive(Kind::Integer), accept_all),
            [" required: query parameter \"p\" is required"]
        );
        assert_eq!(
            query(
                "p=1&p=2",
                false,
                Shape::Primitive(Kind::Integer),
                accept_all
            ),
            [" repeated: query parameter \"p\" must not be repeated"]
        );
        assert_eq!(
            query(
                "p=1&p=2&p=3",
                true,
                Shape::Array(Kind::Integer),
                max_two_items
            ),
            [" maxItems: must have at most 2 items"]
        );
        assert_eq!(
            query("p=1,x", false, Shape::Array(Kind::Integer), accept_all),
            ["/1 type: must be an integer"]
        );
        // An encoded comma is data, not a delimiter.
        assert_eq!(
            query(
                "p=a%2Cb,c",
                false,
                Shape::Array(Kind::String),
                max_two_items
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            query("p=%FF", false, Shape::Primitive(Kind::String), accept_all),
            [" encoding: must be percent-encoded UTF-8"]
        );
    }

    #[test]
    fn numbers_are_read_strictly() {
        for bad in ["", "-", "+1", "1e", "1.", ".5", "inf", "NaN", " 1", "0x10"] {
            assert!(parse_number(bad).is_none(), "{bad:?}");
        }
        assert_eq!(parse_number("-2.5e3"), Some(Number::Float(-2500.0)));
        assert_eq!(
            parse_integer("18446744073709551615"),
            Some(Number::PosInt(u64::MAX))
        );
        assert!(matches!(
            parse_integer("-99999999999999999999"),
            Some(Number::BigInt(n)) if n.get() == -99_999_999_999_999_999_999
        ));
        assert!(parse_number("1e400").is_none());
    }

    #[test]
    fn segments_with_literals() {
        let pieces = [Piece::Param(0), Piece::Literal("."), Piece::Param(1)];
        let mut caps = Captures::default();
        assert!(match_segment("a.tar.gz", &pieces, &mut caps));
        assert_eq!((caps.get(0), caps.get(1)), ("a.tar", "gz"));
        // The rightmost cut leaves nothing for `ext`: backtrack to the next.
        assert!(match_segment("a.b.", &pieces, &mut caps));
        assert_eq!((caps.get(0), caps.get(1)), ("a", "b."));
        assert!(!match_segment(".gz", &pieces, &mut caps));
        assert!(!match_segment("abc", &pieces, &mut caps));
        let verb = [Piece::Param(0), Piece::Literal(":publish")];
        assert!(match_segment("x:y:publish", &verb, &mut caps));
        assert_eq!(caps.get(0), "x:y");
        assert!(!match_segment(":publish", &verb, &mut caps));
    }
}

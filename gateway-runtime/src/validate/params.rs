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

use super::{Location, Violations};
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

/// The shape of a parameter value, which decides how its text is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Primitive(Kind),
    /// Delimited (`a,b`, `a|b`...) or repeated (`p=a&p=b`) items.
    Array(Kind),
    /// Members, with the kind of each declared property and of any other
    /// member (`k,v,k2,v2`, `k=v,k2=v2`, `p[k]=v`...).
    Object(&'static [(&'static str, Kind)], Kind),
    /// A parameter described with `content`: its text is a document.
    Content(ContentKind),
    /// A serialisation OpenAPI leaves undefined, which the contract let
    /// pass unenforced: present or absent, never read.
    Opaque,
}

/// The media types a `content` parameter can be checked as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// `application/json` and `+json`: parsed strictly, then validated.
    Json,
    /// Anything else: the text, validated as a string.
    Text,
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
    /// The query string as sent (without `?`), for `in: querystring`.
    pub raw_query: Option<&'a str>,
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

    /// Every pair: decoded key, raw value.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &'a str)> {
        self.pairs.iter().map(|(k, v)| (&**k, *v))
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
pub fn form_decode(raw: &str) -> Option<Cow<'_, str>> {
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

/// Where a parameter is serialised and how: the OpenAPI Parameter Object as
/// the generated code hands it over (one static per parameter).
#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub location: Location,
    pub required: bool,
    pub style: Style,
    pub explode: bool,
    /// Query only: whether `?name=` (an empty value) is accepted.
    pub allow_empty: bool,
    /// Query only: reserved characters are data, so `+` stays a plus.
    pub allow_reserved: bool,
    pub shape: Shape,
    /// Path only: index in the router's captures.
    pub capture: usize,
    pub schema: SchemaCheck,
}

/// OpenAPI `style` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Simple,
    Label,
    Matrix,
    Form,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
}

/// Checks one parameter of the request against its declaration.
pub fn check(p: &Param, req: &RequestParts<'_>, caps: &Captures<'_>, out: &mut Violations) {
    out.enter(p.location, p.name);
    if p.shape == Shape::Opaque {
        return check_presence(p, req, out);
    }
    match p.location {
        Location::Path => check_path(p, caps.get(p.capture), out),
        Location::Query => check_query(p, &req.query, out),
        Location::Header => check_header(p, req.headers, out),
        Location::Cookie => check_cookie(p, req.headers, out),
        Location::QueryString => match req.raw_query.filter(|q| !q.is_empty()) {
            // The whole query string is one percent-encoded document.
            Some(raw) => check_raw(p, Raw::One(raw), ",", false, Decode::Path, out),
            None if p.required => {
                out.fail("required", format_args!("a query string is required"));
            }
            None => {}
        },
        Location::Body => unreachable!("the body is not a parameter"),
    }
}

/// An opaque parameter (a serialisation OpenAPI leaves undefined, let
/// pass unenforced): only whether it is there, when it is required. In a
/// query, `name[...]` keys count as the parameter (the usual encodings of
/// nested values).
fn check_presence(p: &Param, req: &RequestParts<'_>, out: &mut Violations) {
    if !p.required {
        return;
    }
    let present = match p.location {
        // The router captured it.
        Location::Path => true,
        Location::Query => req.query.pairs().any(|(key, _)| {
            key.strip_prefix(p.name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('['))
        }),
        Location::Header => req.headers.contains_key(p.name),
        Location::Cookie => cookies(req.headers).any(|(name, _)| name == p.name),
        Location::QueryString => req.raw_query.is_some_and(|q| !q.is_empty()),
        Location::Body => unreachable!("the body is not a parameter"),
    };
    if !present {
        out.fail(
            "required",
            format_args!(
                "{} parameter \"{}\" is required",
                p.location.as_str(),
                p.name
            ),
        );
    }
}

/// `x-douane-unknown-query-parameters: reject`: every query key must belong
/// to a declared parameter (`known` names, or `deep[...]` for deepObject).
pub fn reject_unknown_query(
    req: &RequestParts<'_>,
    known: &[&str],
    deep: &[&str],
    out: &mut Violations,
) {
    out.enter(Location::Query, "");
    for (key, _) in req.query.pairs() {
        let declared = known.contains(&key)
            || deep.iter().any(|d| {
                key.strip_prefix(d)
                    .is_some_and(|rest| rest.starts_with('['))
            });
        if !declared {
            out.fail(
                "unknown",
                format_args!("query parameter \"{key}\" is not declared"),
            );
            if out.should_stop() {
                return;
            }
        }
    }
}

/// A parameter's raw text, before it is split into a value.
enum Raw<'r> {
    /// One string holding the whole value.
    One(&'r str),
    /// Exploded array items (repeated keys).
    Items(Vec<&'r str>),
    /// Exploded object members (a key per member).
    Members(Vec<(Cow<'r, str>, &'r str)>),
}

fn check_path(p: &Param, raw: &str, out: &mut Violations) {
    let fail_prefix = |out: &mut Violations, prefix: &str| {
        out.fail(
            "style",
            format_args!("must start with \"{prefix}\" ({:?} style)", p.style),
        );
    };
    let raw = match p.style {
        Style::Label => match raw.strip_prefix('.') {
            Some(rest) => rest,
            None => return fail_prefix(out, "."),
        },
        Style::Matrix => {
            let Some(rest) = raw.strip_prefix(';') else {
                return fail_prefix(out, ";");
            };
            return check_matrix(p, rest, out);
        }
        _ => raw,
    };
    let delimiter = match (p.style, p.explode) {
        (Style::Label, true) => ".",
        _ => ",",
    };
    check_raw(p, Raw::One(raw), delimiter, p.explode, Decode::Path, out);
}

/// `;name=value`, `;name=a,b`, `;name=a;name=b`, `;name=k,v`, `;k=v;k2=v2`.
fn check_matrix(p: &Param, rest: &str, out: &mut Violations) {
    let expected = |out: &mut Violations| {
        out.fail(
            "style",
            format_args!("must be \";{}=...\" (matrix style)", p.name),
        );
    };
    let exploded_object = p.explode && matches!(p.shape, Shape::Object(..));
    if exploded_object {
        let mut members = Vec::new();
        for pair in rest.split(';') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let Some(k) = path_decode(k) else {
                out.fail("encoding", format_args!("must be percent-encoded UTF-8"));
                return;
            };
            members.push((k, v));
        }
        return check_raw(p, Raw::Members(members), ",", true, Decode::Path, out);
    }
    let mut values = Vec::new();
    for pair in rest.split(';') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if path_decode(k).as_deref() != Some(p.name) {
            return expected(out);
        }
        values.push(v);
    }
    match (
        values.as_slice(),
        p.explode && matches!(p.shape, Shape::Array(_)),
    ) {
        (_, true) => check_raw(p, Raw::Items(values), ",", true, Decode::Path, out),
        ([one], false) => check_raw(p, Raw::One(one), ",", false, Decode::Path, out),
        _ => expected(out),
    }
}

fn check_query(p: &Param, query: &QueryPairs<'_>, out: &mut Violations) {
    let decode = if p.allow_reserved {
        Decode::Path
    } else {
        Decode::Form
    };
    let absent = |out: &mut Violations| {
        if p.required {
            out.fail(
                "required",
                format_args!("query parameter \"{}\" is required", p.name),
            );
        }
    };
    // Exploded objects: one query key per member.
    if let Shape::Object(properties, _) = p.shape {
        let members: Vec<(Cow<'_, str>, &str)> = match p.style {
            Style::DeepObject => {
                let mut members = Vec::new();
                for (k, v) in query.pairs() {
                    let Some(inner) = k
                        .strip_prefix(p.name)
                        .and_then(|r| r.strip_prefix('['))
                        .and_then(|r| r.strip_suffix(']'))
                    else {
                        continue;
                    };
                    if inner.contains(['[', ']']) {
                        out.fail(
                            "style",
                            format_args!("nested deepObject keys ({k}) are not supported"),
                        );
                        return;
                    }
                    members.push((Cow::Owned(inner.to_owned()), v));
                }
                members
            }
            _ if p.explode => {
                let mut members = Vec::new();
                for (name, _) in properties {
                    let mut values = query.values(name);
                    if let Some(v) = values.next() {
                        if values.next().is_some() {
                            out.fail(
                                "repeated",
                                format_args!("query parameter \"{name}\" must not be repeated"),
                            );
                            return;
                        }
                        members.push((Cow::Borrowed(*name), v));
                    }
                }
                members
            }
            _ => Vec::new(),
        };
        if matches!(p.style, Style::DeepObject) || p.explode {
            if members.is_empty() {
                return absent(out);
            }
            return check_raw(p, Raw::Members(members), ",", true, decode, out);
        }
    }
    let mut values = query.values(p.name);
    let Some(first) = values.next() else {
        return absent(out);
    };
    if p.explode && matches!(p.shape, Shape::Array(_)) {
        let items = std::iter::once(first).chain(values).collect();
        return check_raw(p, Raw::Items(items), ",", true, decode, out);
    }
    if values.next().is_some() {
        out.fail(
            "repeated",
            format_args!("query parameter \"{}\" must not be repeated", p.name),
        );
        return;
    }
    if first.is_empty() && matches!(p.shape, Shape::Primitive(_)) {
        if !p.allow_empty {
            out.fail(
                "allowEmptyValue",
                format_args!("query parameter \"{}\" must not be empty", p.name),
            );
        }
        return;
    }
    let delimiter = match p.style {
        Style::SpaceDelimited => " ",
        Style::PipeDelimited => "|",
        _ => ",",
    };
    check_raw(p, Raw::One(first), delimiter, false, decode, out);
}

fn check_header(p: &Param, headers: &HeaderMap, out: &mut Violations) {
    let mut lines = headers.get_all(p.name).iter();
    let Some(first) = lines.next() else {
        if p.required {
            out.fail(
                "required",
                format_args!("header \"{}\" is required", p.name),
            );
        }
        return;
    };
    let not_utf8 = |out: &mut Violations| {
        out.fail(
            "encoding",
            format_args!("header \"{}\" is not valid UTF-8", p.name),
        );
    };
    let Ok(text) = std::str::from_utf8(first.as_bytes()) else {
        return not_utf8(out);
    };
    if lines.next().is_none() {
        return check_raw(p, Raw::One(text), ",", p.explode, Decode::None, out);
    }
    if !matches!(p.shape, Shape::Array(_) | Shape::Object(..)) {
        out.fail(
            "repeated",
            format_args!("header \"{}\" must not be repeated", p.name),
        );
        return;
    }
    // All lines of a list header form one list (RFC 9110 §5.3).
    let mut joined = String::new();
    for line in headers.get_all(p.name) {
        let Ok(t) = std::str::from_utf8(line.as_bytes()) else {
            return not_utf8(out);
        };
        if !joined.is_empty() {
            joined.push(',');
        }
        joined.push_str(t);
    }
    check_raw(p, Raw::One(&joined), ",", p.explode, Decode::None, out);
}

/// The `name=value` pairs of every `Cookie` header line, in order.
fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|line| std::str::from_utf8(line.as_bytes()).ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| {
            let (k, v) = pair.trim_matches([' ', '\t']).split_once('=')?;
            Some((k, v))
        })
}

fn check_cookie(p: &Param, headers: &HeaderMap, out: &mut Violations) {
    let raw = match (p.shape, p.explode) {
        (Shape::Object(properties, _), true) => {
            let members: Vec<(Cow<'_, str>, &str)> = cookies(headers)
                .filter(|(k, _)| properties.iter().any(|(name, _)| name == k))
                .map(|(k, v)| (Cow::Borrowed(k), v))
                .collect();
            (!members.is_empty()).then_some(Raw::Members(members))
        }
        (Shape::Array(_), true) => {
            let items: Vec<&str> = cookies(headers)
                .filter(|(k, _)| *k == p.name)
                .map(|(_, v)| v)
                .collect();
            (!items.is_empty()).then_some(Raw::Items(items))
        }
        _ => {
            let mut values = cookies(headers).filter(|(k, _)| *k == p.name);
            match (values.next(), values.next()) {
                (Some((_, v)), None) => Some(Raw::One(v)),
                (Some(_), Some(_)) => {
                    out.fail(
                        "repeated",
                        format_args!("cookie \"{}\" must not be repeated", p.name),
                    );
                    return;
                }
                (None, _) => None,
            }
        }
    };
    match raw {
        Some(raw) => check_raw(p, raw, ",", false, Decode::None, out),
        None if p.required => {
            out.fail(
                "required",
                format_args!("cookie \"{}\" is required", p.name),
            );
        }
        None => {}
    }
}

/// Splits `text` on a style's delimiter, before any decoding: an encoded
/// delimiter stays data. A space delimiter is also accepted as `+` or
/// `%20`, a pipe as `%7C`, as clients send them.
fn split<'r>(text: &'r str, delimiter: &str) -> Vec<&'r str> {
    if text.is_empty() {
        return Vec::new();
    }
    match delimiter {
        " " => text
            .split(['+', ' '])
            .flat_map(|s| s.split("%20"))
            .collect(),
        "|" => text
            .split('|')
            .flat_map(|s| s.split("%7C"))
            .flat_map(|s| s.split("%7c"))
            .collect(),
        d => text.split(d).collect(),
    }
}

/// Turns raw text into a typed value for the parameter's shape, then runs
/// its schema.
fn check_raw(
    p: &Param,
    raw: Raw<'_>,
    delimiter: &str,
    exploded: bool,
    decode: Decode,
    out: &mut Violations,
) {
    if let Shape::Content(media) = p.shape {
        let Raw::One(text) = raw else {
            unreachable!("content parameters are read from one string")
        };
        if let Some(value) = read_content(text, media, decode, out) {
            (p.schema)(&value, out);
        }
        return;
    }
    if let Some(value) = read_value(p.shape, raw, delimiter, exploded, decode, out) {
        (p.schema)(&value, out);
    }
}

/// A `content` value: its text decoded, then parsed as JSON (kept as an
/// owned value) or taken as a string.
fn read_content(
    text: &str,
    media: ContentKind,
    decode: Decode,
    out: &mut Violations,
) -> Option<Value<'static>> {
    let Some(text) = decode_text(trim_ows(text, decode), decode) else {
        out.fail("encoding", format_args!("must be percent-encoded UTF-8"));
        return None;
    };
    match media {
        ContentKind::Json => match crate::json::parse(text.as_bytes(), 64) {
            Ok(value) => Some(value.into_owned()),
            Err(e) => {
                out.fail("json", format_args!("{e}"));
                None
            }
        },
        ContentKind::Text => Some(Value::String(Cow::Owned(text.into_owned()))),
    }
}

/// Turns raw text into a typed value for `shape` (not `Content`): items
/// split on `delimiter`, `exploded` objects as `k=v` pairs, others as
/// alternating keys and values. Records a violation and returns `None`
/// when the text does not fit.
fn read_value<'r>(
    shape: Shape,
    raw: Raw<'r>,
    delimiter: &str,
    exploded: bool,
    decode: Decode,
    out: &mut Violations,
) -> Option<Value<'r>> {
    let trim = |s| trim_ows(s, decode);
    match shape {
        Shape::Primitive(kind) => {
            let Raw::One(text) = raw else {
                unreachable!("primitives are read from one string")
            };
            read_item(trim(text), kind, decode, out)
        }
        Shape::Array(kind) => {
            let items = match raw {
                Raw::One(text) => split(text, delimiter),
                Raw::Items(items) => items,
                Raw::Members(_) => unreachable!("arrays have no members"),
            };
            read_array(items.into_iter().map(trim), kind, decode, out)
        }
        Shape::Object(properties, additional) => {
            let members: Vec<(Cow<'_, str>, &str)> = match raw {
                Raw::Members(members) => members,
                Raw::Items(_) => unreachable!("objects are not repeated keys"),
                Raw::One(text) if exploded => {
                    let mut members = Vec::new();
                    for pair in split(text, delimiter) {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        let Some(k) = decode_text(trim(k), decode) else {
                            out.fail("encoding", format_args!("must be percent-encoded UTF-8"));
                            return None;
                        };
                        members.push((k, v));
                    }
                    members
                }
                Raw::One(text) => {
                    let parts = split(text, delimiter);
                    if parts.len() % 2 != 0 {
                        out.fail("style", format_args!("must be name{delimiter}value pairs"));
                        return None;
                    }
                    let mut members = Vec::new();
                    for pair in parts.chunks(2) {
                        let Some(k) = decode_text(trim(pair[0]), decode) else {
                            out.fail("encoding", format_args!("must be percent-encoded UTF-8"));
                            return None;
                        };
                        members.push((k, pair[1]));
                    }
                    members
                }
            };
            read_object(members, properties, additional, decode, out)
        }
        Shape::Content(_) => unreachable!("content is read by read_content"),
        Shape::Opaque => unreachable!("opaque values are never read (check_presence)"),
    }
}

fn read_object<'r>(
    members: Vec<(Cow<'r, str>, &'r str)>,
    properties: &[(&'static str, Kind)],
    additional: Kind,
    decode: Decode,
    out: &mut Violations,
) -> Option<Value<'r>> {
    let mut object: Vec<(Cow<'r, str>, Value<'r>)> = Vec::with_capacity(members.len());
    let mut ok = true;
    // Duplicates: a scan for small objects, a set past 16 members (a long
    // query string must not cost a quadratic scan).
    let mut seen: std::collections::HashSet<Cow<'r, str>> = std::collections::HashSet::new();
    for (key, raw) in members {
        let repeated = if object.len() < 16 {
            object.iter().any(|(k, _)| *k == key)
        } else {
            if seen.is_empty() {
                seen.extend(object.iter().map(|(k, _)| k.clone()));
            }
            !seen.insert(key.clone())
        };
        if repeated {
            out.fail("repeated", format_args!("member \"{key}\" is given twice"));
            return None;
        }
        let kind = properties
            .iter()
            .find(|(name, _)| *name == key)
            .map_or(additional, |(_, kind)| *kind);
        let mark = out.mark();
        let value = read_item(trim_ows(raw, decode), kind, decode, out);
        out.at_key(mark, &key);
        match value {
            Some(v) => object.push((key, v)),
            None => ok = false,
        }
    }
    ok.then_some(Value::Object(object))
}

/// How an `application/x-www-form-urlencoded` body is read: its fields
/// serialised as the Encoding Object says (form style, exploded, by
/// default), the resulting object then checked by the body schema.
#[derive(Debug)]
pub struct FormBody {
    pub fields: &'static [FormField],
    /// Kind of fields the schema does not declare.
    pub additional: Kind,
    pub schema: SchemaCheck,
}

/// One declared field of a form body (a property of its schema).
#[derive(Debug)]
pub struct FormField {
    pub name: &'static str,
    pub style: Style,
    pub explode: bool,
    pub allow_reserved: bool,
    pub shape: Shape,
}

/// Reads and checks a form body; violations point at `/field`.
pub fn check_form(form: &FormBody, text: &str, out: &mut Violations) {
    let query = QueryPairs::parse(Some(text));
    let mut members: Vec<(Cow<'_, str>, Value<'_>)> = Vec::new();
    let mut ok = true;
    // Pairs grouped by field, in order of first appearance, in one pass: a
    // body of many fields must not cost a scan of every pair per field.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: std::collections::HashMap<&str, Vec<(&str, &str)>> =
        std::collections::HashMap::new();
    for (key, value) in query.pairs() {
        // A deepObject field's keys are `name[member]`, and so may an
        // opaque one's be.
        let deep = form.fields.iter().find(|f| {
            (f.style == Style::DeepObject || f.shape == Shape::Opaque)
                && key
                    .strip_prefix(f.name)
                    .is_some_and(|rest| rest.starts_with('['))
        });
        let name = deep.map_or(key, |f| f.name);
        groups
            .entry(name)
            .or_insert_with(|| {
                order.push(name);
                Vec::new()
            })
            .push((key, value));
    }
    for name in order {
        let pairs = &groups[name];
        let key = name;
        let deep = form
            .fields
            .iter()
            .find(|f| f.style == Style::DeepObject && f.name == name);
        let field = deep.or_else(|| form.fields.iter().find(|f| f.name == key));
        let decode = match field {
            Some(f) if f.allow_reserved => Decode::Path,
            _ => Decode::Form,
        };
        let mark = out.mark();
        let value = match field {
            // Never read: it stands in as `null`, which its relaxed schema
            // accepts.
            Some(f) if f.shape == Shape::Opaque => Some(Value::Null),
            Some(f) if f.style == Style::DeepObject => {
                let mut inner = Vec::new();
                for &(k, v) in pairs {
                    if let Some(member) = k
                        .strip_prefix(f.name)
                        .and_then(|r| r.strip_prefix('['))
                        .and_then(|r| r.strip_suffix(']'))
                    {
                        inner.push((Cow::Owned(member.to_owned()), v));
                    }
                }
                read_value(f.shape, Raw::Members(inner), ",", true, decode, out)
            }
            Some(f) if f.explode && matches!(f.shape, Shape::Array(_)) => {
                let items = pairs.iter().map(|&(_, v)| v).collect();
                read_value(f.shape, Raw::Items(items), ",", true, decode, out)
            }
            _ => {
                let mut values = pairs.iter().map(|&(_, v)| v);
                let first = values.next().expect("the key is present");
                if values.next().is_some() {
                    out.fail(
                        "repeated",
                        format_args!("field \"{key}\" must not be repeated"),
                    );
                    None
                } else {
                    match field {
                        Some(f) => match f.shape {
                            Shape::Content(media) => read_content(first, media, decode, out),
                            shape => {
                                let delimiter = match f.style {
                                    Style::SpaceDelimited => " ",
                                    Style::PipeDelimited => "|",
                                    _ => ",",
                                };
                                read_value(shape, Raw::One(first), delimiter, false, decode, out)
                            }
                        },
                        None => read_item(first, form.additional, decode, out),
                    }
                }
            }
        };
        out.at_key(mark, name);
        match value {
            Some(v) => members.push((Cow::Owned(name.to_owned()), v)),
            None => ok = false,
        }
        if out.should_stop() {
            return;
        }
    }
    if ok {
        (form.schema)(&Value::Object(members), out);
    }
}

/// How a `multipart/form-data` body is read: one part per field, as the
/// schema and the Encoding Object say; the object of fields is then checked
/// by the body schema (file fields stand in as `null`, their schema having
/// been relaxed by the compiler: the runtime checks their size and type).
#[derive(Debug)]
pub struct MultipartBody {
    pub fields: &'static [PartField],
    /// Kind of text parts the schema does not declare.
    pub additional: Kind,
    pub schema: SchemaCheck,
}

/// One declared part.
#[derive(Debug)]
pub struct PartField {
    pub name: &'static str,
    pub part: PartKind,
}

/// What a part holds.
#[derive(Debug, Clone, Copy)]
pub enum PartKind {
    /// Text read as a primitive, or repeated parts forming an array.
    Value(Shape),
    /// A JSON document (objects and arrays, or `contentType: application/json`).
    Json,
    /// Bytes: at most `max_bytes` each (`maxLength`), of one of
    /// `content_types` when the Encoding Object lists some (`image/*`
    /// ranges allowed); `many` for an array of files.
    File {
        max_bytes: Option<u64>,
        content_types: &'static [&'static str],
        many: bool,
    },
}

/// One part, as read from the body.
#[derive(Debug)]
pub struct Part {
    pub name: String,
    pub content_type: Option<String>,
    pub bytes: bytes::Bytes,
}

/// Checks the parts of a multipart body; violations point at `/field`.
pub fn check_multipart(body: &MultipartBody, parts: &[Part], out: &mut Violations) {
    let mut members: Vec<(Cow<'_, str>, Value<'_>)> = Vec::new();
    let mut ok = true;
    // Parts grouped by name, in order of first appearance, in one pass.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: std::collections::HashMap<&str, Vec<&Part>> = std::collections::HashMap::new();
    for part in parts {
        let name = part.name.as_str();
        groups
            .entry(name)
            .or_insert_with(|| {
                order.push(name);
                Vec::new()
            })
            .push(part);
    }
    for name in order {
        let same = &groups[name];
        let field = body.fields.iter().find(|f| f.name == name);
        let mark = out.mark();
        let value = read_part(field.map(|f| f.part), body.additional, same, out);
        out.at_key(mark, name);
        match value {
            Some(v) => members.push((Cow::Borrowed(name), v)),
            None => ok = false,
        }
        if out.should_stop() {
            return;
        }
    }
    if ok {
        (body.schema)(&Value::Object(members), out);
    }
}

/// The value standing for the parts of one field (`None`: a violation).
fn read_part<'p>(
    kind: Option<PartKind>,
    additional: Kind,
    parts: &[&'p Part],
    out: &mut Violations,
) -> Option<Value<'p>> {
    let text = |p: &'p Part, out: &mut Violations| -> Option<&'p str> {
        let t = std::str::from_utf8(&p.bytes).ok();
        if t.is_none() {
            out.fail("encoding", format_args!("part must be UTF-8 text"));
        }
        t
    };
    let single = |out: &mut Violations| -> Option<&'p Part> {
        if parts.len() > 1 {
            out.fail("repeated", format_args!("part must not be repeated"));
            return None;
        }
        Some(parts[0])
    };
    match kind {
        None => read_item(text(single(out)?, out)?, additional, Decode::None, out),
        Some(PartKind::Value(Shape::Array(kind))) => {
            let mut items = Vec::new();
            for p in parts {
                items.push(text(p, out)?);
            }
            read_array(items.into_iter(), kind, Decode::None, out)
        }
        Some(PartKind::Value(Shape::Primitive(kind))) => {
            read_item(text(single(out)?, out)?, kind, Decode::None, out)
        }
        Some(PartKind::Value(_)) | Some(PartKind::Json) => {
            let p = single(out)?;
            match crate::json::parse(&p.bytes, 64) {
                Ok(v) => Some(v),
                Err(e) => {
                    out.fail("json", format_args!("{e}"));
                    None
                }
            }
        }
        Some(PartKind::File {
            max_bytes,
            content_types,
            many,
        }) => {
            if !many {
                single(out)?;
            }
            let mut ok = true;
            for (i, p) in parts.iter().enumerate() {
                // An array of files: violations point at the item.
                let mark = many.then(|| out.mark());
                if let Some(max) = max_bytes.filter(|max| p.bytes.len() as u64 > *max) {
                    ok = out.fail(
                        "maxLength",
                        format_args!("file must be at most {max} bytes"),
                    );
                }
                if !content_types.is_empty() {
                    let declared = p
                        .content_type
                        .as_deref()
                        .unwrap_or("application/octet-stream");
                    if !content_types
                        .iter()
                        .any(|range| media_range_matches(range, declared))
                    {
                        ok = out.fail(
                            "contentType",
                            format_args!("file must be of type {}", content_types.join(", ")),
                        );
                    }
                }
                if let Some(mark) = mark {
                    out.at_index(mark, i);
                }
            }
            if !ok {
                return None;
            }
            if many {
                Some(Value::Array(parts.iter().map(|_| Value::Null).collect()))
            } else {
                Some(Value::Null)
            }
        }
    }
}

/// `image/png` against `image/*`, `*/*` or `image/png` (parameters ignored).
fn media_range_matches(range: &str, media: &str) -> bool {
    let essence = |s: &str| {
        s.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    let (range, media) = (essence(range), essence(media));
    match range.split_once('/') {
        Some(("*", "*")) => true,
        Some((ty, "*")) => media.split_once('/').is_some_and(|(t, _)| t == ty),
        _ => range == media,
    }
}

#[derive(Clone, Copy)]
enum Decode {
    /// Percent-decoding (path segments; query values with `allowReserved`).
    Path,
    /// `application/x-www-form-urlencoded`: `+` is a space.
    Form,
    /// Headers and cookies are taken as they are.
    None,
}

/// Header and cookie items lose the optional whitespace around them.
fn trim_ows(s: &str, decode: Decode) -> &str {
    match decode {
        Decode::None => s.trim_matches([' ', '\t']),
        _ => s,
    }
}

fn decode_text(raw: &str, decode: Decode) -> Option<Cow<'_, str>> {
    match decode {
        Decode::Path => path_decode(raw),
        Decode::Form => form_decode(raw),
        Decode::None => Some(Cow::Borrowed(raw)),
    }
}

fn read_array<'r>(
    items: impl Iterator<Item = &'r str>,
    kind: Kind,
    decode: Decode,
    out: &mut Violations,
) -> Option<Value<'r>> {
    let mut values = Vec::new();
    let mut ok = true;
    for (i, raw) in items.enumerate() {
        // Parameter arrays are one level deep: the guard cannot trip here.
        let mark = out.mark();
        match read_item(raw, kind, decode, out) {
            Some(v) => values.push(v),
            None => ok = false,
        }
        out.at_index(mark, i);
    }
    ok.then_some(Value::Array(values))
}

/// Decodes one raw item and reads it as `kind`; records a violation and
/// returns `None` when it cannot.
fn read_item<'r>(
    raw: &'r str,
    kind: Kind,
    decode: Decode,
    out: &mut Violations,
) -> Option<Value<'r>> {
    let Some(text) = decode_text(raw, decode) else {
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

    fn param(
        location: Location,
        style: Style,
        explode: bool,
        shape: Shape,
        schema: SchemaCheck,
    ) -> Param {
        Param {
            name: "p",
            location,
            required: true,
            style,
            explode,
            allow_empty: false,
            allow_reserved: false,
            shape,
            capture: 0,
            schema,
        }
    }

    /// Runs `p` on a request with this query, path capture and headers.
    fn run(p: &Param, query: &str, path: &str, headers: &[(&'static str, &str)]) -> Vec<String> {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(*k, v.parse().unwrap());
        }
        let req = RequestParts {
            raw_query: Some(query),
            query: QueryPairs::parse(Some(query)),
            headers: &map,
        };
        let mut caps = Captures::default();
        caps.set(0, path);
        let mut out = Violations::default();
        check(p, &req, &caps, &mut out);
        out.into_vec()
            .into_iter()
            .map(|v| format!("{} {}: {}", v.pointer, v.rule, v.message))
            .collect()
    }

    fn query(q: &'static str, explode: bool, shape: Shape, schema: SchemaCheck) -> Vec<String> {
        run(
            &param(Location::Query, Style::Form, explode, shape, schema),
            q,
            "",
            &[],
        )
    }

    std::thread_local! {
        static SEEN: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// A schema that accepts anything and records the value it was given.
    fn record(v: &Value<'_>, _: &mut Violations) -> bool {
        fn render(v: &Value<'_>) -> String {
            match v {
                Value::Null => "null".into(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => format!("{}", n.as_f64()),
                Value::String(s) => format!("{s:?}"),
                Value::Array(items) => format!(
                    "[{}]",
                    items.iter().map(render).collect::<Vec<_>>().join(",")
                ),
                Value::Object(m) => format!(
                    "{{{}}}",
                    m.iter()
                        .map(|(k, v)| format!("{k:?}:{}", render(v)))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            }
        }
        SEEN.with(|s| s.borrow_mut().push(render(v)));
        true
    }

    const RGB: Shape = Shape::Object(
        &[
            ("R", Kind::Integer),
            ("G", Kind::Integer),
            ("B", Kind::Integer),
        ],
        Kind::String,
    );
    const COLOURS: Shape = Shape::Array(Kind::String);
    const COLOUR: Shape = Shape::Primitive(Kind::String);

    /// The style examples of the OpenAPI Specification (3.1.1 §4.8.12.4,
    /// whose label and matrix rows follow RFC 6570), each read back into
    /// the value it serialises: `"blue"`, `["blue","black","brown"]` and
    /// `{"R":100,"G":200,"B":150}`.
    #[test]
    fn style_examples_of_the_specification() {
        use Location::{Cookie, Header, Path, Query};
        let string = r#""blue""#;
        let array = r#"["blue","black","brown"]"#;
        let object = r#"{"R":100,"G":200,"B":150}"#;
        #[rustfmt::skip]
        let table: &[(Location, Style, bool, Shape, &str, &str)] = &[
            (Path, Style::Matrix, false, COLOUR, ";p=blue", string),
            (Path, Style::Matrix, false, COLOURS, ";p=blue,black,brown", array),
            (Path, Style::Matrix, false, RGB, ";p=R,100,G,200,B,150", object),
            (Path, Style::Matrix, true, COLOUR, ";p=blue", string),
            (Path, Style::Matrix, true, COLOURS, ";p=blue;p=black;p=brown", array),
            (Path, Style::Matrix, true, RGB, ";R=100;G=200;B=150", object),
            (Path, Style::Label, false, COLOUR, ".blue", string),
            (Path, Style::Label, false, COLOURS, ".blue,black,brown", array),
            (Path, Style::Label, false, RGB, ".R,100,G,200,B,150", object),
            (Path, Style::Label, true, COLOUR, ".blue", string),
            (Path, Style::Label, true, COLOURS, ".blue.black.brown", array),
            (Path, Style::Label, true, RGB, ".R=100.G=200.B=150", object),
            (Path, Style::Simple, false, COLOUR, "blue", string),
            (Path, Style::Simple, false, COLOURS, "blue,black,brown", array),
            (Path, Style::Simple, false, RGB, "R,100,G,200,B,150", object),
            (Path, Style::Simple, true, COLOURS, "blue,black,brown", array),
            (Path, Style::Simple, true, RGB, "R=100,G=200,B=150", object),
            (Query, Style::Form, false, COLOUR, "p=blue", string),
            (Query, Style::Form, false, COLOURS, "p=blue,black,brown", array),
            (Query, Style::Form, false, RGB, "p=R,100,G,200,B,150", object),
            (Query, Style::Form, true, COLOUR, "p=blue", string),
            (Query, Style::Form, true, COLOURS, "p=blue&p=black&p=brown", array),
            (Query, Style::Form, true, RGB, "R=100&G=200&B=150", object),
            (Query, Style::SpaceDelimited, false, COLOURS, "p=blue%20black%20brown", array),
            (Query, Style::SpaceDelimited, false, COLOURS, "p=blue+black+brown", array),
            (Query, Style::SpaceDelimited, false, RGB, "p=R%20100%20G%20200%20B%20150", object),
            (Query, Style::PipeDelimited, false, COLOURS, "p=blue|black|brown", array),
            (Query, Style::PipeDelimited, false, COLOURS, "p=blue%7Cblack%7Cbrown", array),
            (Query, Style::PipeDelimited, false, RGB, "p=R|100|G|200|B|150", object),
            (Query, Style::DeepObject, true, RGB, "p[R]=100&p[G]=200&p[B]=150", object),
            (Query, Style::DeepObject, true, RGB, "p%5BR%5D=100&p%5BG%5D=200&p%5BB%5D=150", object),
            (Header, Style::Simple, false, COLOUR, "blue", string),
            (Header, Style::Simple, false, COLOURS, "blue, black ,brown", array),
            (Header, Style::Simple, false, RGB, "R,100,G,200,B,150", object),
            (Header, Style::Simple, true, RGB, "R=100, G=200, B=150", object),
            (Cookie, Style::Form, false, COLOUR, "p=blue", string),
            (Cookie, Style::Form, false, COLOURS, "p=blue,black,brown", array),
            (Cookie, Style::Form, false, RGB, "p=R,100,G,200,B,150", object),
            (Cookie, Style::Form, true, COLOURS, "p=blue; p=black; p=brown", array),
            (Cookie, Style::Form, true, RGB, "R=100; G=200; B=150", object),
        ];
        for &(location, style, explode, shape, text, expected) in table {
            let p = param(location, style, explode, shape, record);
            SEEN.with(|s| s.borrow_mut().clear());
            let violations = match location {
                Path => run(&p, "", text, &[]),
                Query => run(&p, text, "", &[]),
                Header => run(&p, "", "", &[("p", text)]),
                _ => run(&p, "", "", &[("cookie", text)]),
            };
            let seen = SEEN.with(|s| s.borrow().clone());
            assert_eq!(
                (violations, seen),
                (vec![], vec![expected.to_owned()]),
                "{location:?} {style:?} explode={explode} {text}"
            );
        }
    }

    #[test]
    fn delimiters_split_before_decoding() {
        SEEN.with(|s| s.borrow_mut().clear());
        // Encoded delimiters are data; `+` is a space in a query unless
        // reserved characters are allowed; headers and cookies are taken
        // as they are.
        let p = param(Location::Query, Style::Form, false, COLOURS, record);
        assert!(run(&p, "p=a%2Cb,c+d", "", &[]).is_empty());
        let p = param(Location::Path, Style::Simple, false, COLOURS, record);
        assert!(run(&p, "", "a%2Cb,c+d", &[]).is_empty());
        let mut reserved = param(Location::Query, Style::Form, false, COLOUR, record);
        reserved.allow_reserved = true;
        assert!(run(&reserved, "p=1+1", "", &[]).is_empty());
        let p = param(Location::Header, Style::Simple, false, COLOUR, record);
        assert!(run(&p, "", "", &[("p", "a%20b")]).is_empty());
        let p = param(
            Location::Query,
            Style::PipeDelimited,
            false,
            COLOURS,
            record,
        );
        assert!(run(&p, "p=a%7Cb|c,d", "", &[]).is_empty());
        let seen = SEEN.with(|s| s.borrow().clone());
        assert_eq!(
            seen,
            [
                r#"["a,b","c d"]"#,
                r#"["a,b","c+d"]"#,
                r#""1+1""#,
                r#""a%20b""#,
                r#"["a","b","c,d"]"#
            ]
        );
    }

    #[test]
    fn malformed_styles_are_precise_errors() {
        let p = param(Location::Path, Style::Label, false, COLOUR, accept_all);
        assert_eq!(
            run(&p, "", "blue", &[]),
            [" style: must start with \".\" (Label style)"]
        );
        let p = param(Location::Path, Style::Matrix, false, COLOUR, accept_all);
        assert_eq!(
            run(&p, "", ";q=blue", &[]),
            [" style: must be \";p=...\" (matrix style)"]
        );
        let p = param(Location::Query, Style::Form, false, RGB, accept_all);
        assert_eq!(
            run(&p, "p=R,100,G", "", &[]),
            [" style: must be name,value pairs"]
        );
        assert_eq!(
            run(&p, "p=R,x,G,1", "", &[]),
            ["/R type: must be an integer"]
        );
        assert_eq!(
            run(&p, "p=R,1,R,2", "", &[]),
            [" repeated: member \"R\" is given twice"]
        );
        let p = param(Location::Query, Style::DeepObject, true, RGB, accept_all);
        assert_eq!(
            run(&p, "x=1", "", &[]),
            [" required: query parameter \"p\" is required"]
        );
        assert_eq!(
            run(&p, "p[R][x]=1", "", &[]),
            [" style: nested deepObject keys (p[R][x]) are not supported"]
        );
        let p = param(Location::Cookie, Style::Form, false, COLOUR, accept_all);
        assert_eq!(
            run(&p, "", "", &[("cookie", "a=1")]),
            [" required: cookie \"p\" is required"]
        );
        assert_eq!(
            run(&p, "", "", &[("cookie", "p=1; p=2")]),
            [" repeated: cookie \"p\" must not be repeated"]
        );
        let p = param(
            Location::Query,
            Style::Form,
            false,
            Shape::Primitive(Kind::Integer),
            accept_all,
        );
        assert_eq!(
            run(&p, "p=", "", &[]),
            [" allowEmptyValue: query parameter \"p\" must not be empty"]
        );
        let mut empty_ok = param(
            Location::Query,
            Style::Form,
            false,
            Shape::Primitive(Kind::Integer),
            accept_all,
        );
        empty_ok.allow_empty = true;
        assert!(run(&empty_ok, "p", "", &[]).is_empty());
    }

    fn is_small_object(v: &Value<'_>, out: &mut Violations) -> bool {
        match v {
            Value::Object(m) if m.iter().all(|(k, _)| k == "a") => true,
            _ => out.fail("additionalProperties", format_args!("only \"a\"")),
        }
    }

    #[test]
    fn content_parameters_are_documents() {
        let p = param(
            Location::Query,
            Style::Form,
            false,
            Shape::Content(ContentKind::Json),
            is_small_object,
        );
        assert!(run(&p, "p=%7B%22a%22%3A1%7D", "", &[]).is_empty());
        assert_eq!(
            run(&p, "p=%7B%22b%22%3A1%7D", "", &[]),
            [" additionalProperties: only \"a\""]
        );
        assert_eq!(
            run(&p, "p=%7B", "", &[]),
            [" json: malformed JSON: EOF while parsing object key at line 1 column 2"]
        );
        let p = param(
            Location::Header,
            Style::Simple,
            false,
            Shape::Content(ContentKind::Json),
            is_small_object,
        );
        assert!(run(&p, "", "", &[("p", r#"{"a": [1, 2]}"#)]).is_empty());
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

    /// Many fields or members cost linear time: grouping is one pass, and
    /// duplicate members are found through a set.
    #[test]
    fn large_forms_and_objects_stay_linear() {
        static FORM: FormBody = FormBody {
            fields: &[],
            additional: Kind::String,
            schema: accept_all,
        };
        let text: String = (0..100_000).map(|i| format!("f{i}=v&")).collect();
        let started = std::time::Instant::now();
        let mut out = Violations::default();
        check_form(&FORM, &text, &mut out);
        assert!(out.is_empty());
        let pairs: String = (0..20_000).map(|i| format!("k{i},{i},")).collect();
        let p = param(
            Location::Query,
            Style::Form,
            false,
            Shape::Object(&[], Kind::Integer),
            accept_all,
        );
        assert!(run(&p, &format!("p={}", pairs.trim_end_matches(',')), "", &[]).is_empty());
        assert_eq!(
            run(
                &p,
                "p=a,1,b,2,c,3,d,4,e,5,f,6,g,7,h,8,i,9,j,10,k,11,l,12,m,13,n,14,o,15,q,16,r,17,a,18",
                "",
                &[]
            ),
            [" repeated: member \"a\" is given twice"]
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
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

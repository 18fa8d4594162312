//! Reading one contract file (YAML or JSON) into a JSON value, remembering the line of every node.
//!
//! The text is read with yaml-rust2's pull parser (events with source markers) and turned
//! directly into a [`serde_json::Value`]. While building, the line of every node is recorded
//! under its JSON pointer (RFC 6901), so later passes can report `file:line` diagnostics.
//!
//! Plain scalars are resolved with the YAML 1.2 core schema; quoted and block scalars are
//! always strings. Mapping keys become strings (`200:` gives the key `"200"`). Aliases are
//! expanded by copying the anchored value, with a cap on the total number of nodes so that an
//! alias bomb is refused instead of exhausting memory.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::{Map, Number, Value};

// JSON files read directly, with the same result as the YAML path.
mod json;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Maximum number of JSON nodes one document may produce, aliases expanded.
const MAX_NODES: usize = 5_000_000;

/// Maximum number of JSON nodes one document may get by copying anchored values (alias bombs).
const MAX_ALIAS_NODES: usize = 1_000_000;

/// Line map: JSON pointer -> 1-based line.
type LineMap = HashMap<String, u32, BuildHasherDefault<PointerHasher>>;

/// A fast non-cryptographic hasher for pointer keys (FxHash style): SipHash dominated the
/// cost of recording lines on large files.
#[derive(Default)]
struct PointerHasher(u64);

impl Hasher for PointerHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
}

/// One parsed file.
pub struct Document {
    /// Display name of the file (as given by the caller), used in diagnostics.
    pub file: String,
    /// The content of the file as a JSON value.
    pub root: Value,
    /// JSON pointer -> 1-based line number of that node.
    lines: LineMap,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("file", &self.file)
            .field("root", &self.root)
            .field("lines", &self.lines.len())
            .finish()
    }
}

impl Document {
    /// Parses YAML (which includes JSON). The caller passes file name and text.
    pub fn parse(file: impl Into<String>, text: &str) -> Result<Document, LoadError> {
        let file = file.into();
        // Roughly one node per 16 bytes of text in typical specs.
        let built = match json::parse(text, text.len() / 16) {
            Some(read) => Ok(read),
            None => Builder::new(text).run(),
        };
        match built {
            Ok((root, lines)) if crate::swagger2::is_swagger2(&root) => {
                // Converted to the OpenAPI 3.0 document it means; lines of
                // moved subtrees follow them.
                let (root, moves) = crate::swagger2::convert(&root);
                let mut moved = lines.clone();
                for (new, old) in &moves {
                    for (pointer, line) in &lines {
                        if let Some(rest) = pointer.strip_prefix(old.as_str()) {
                            if rest.is_empty() || rest.starts_with('/') {
                                moved.insert(format!("{new}{rest}"), *line);
                            }
                        }
                    }
                }
                Ok(Document {
                    file,
                    root,
                    lines: moved,
                })
            }
            Ok((root, lines)) => Ok(Document { file, root, lines }),
            Err((line, message)) => Err(LoadError {
                file,
                line,
                message,
            }),
        }
    }

    /// 1-based line of the node at this JSON pointer (RFC 6901, e.g. "/paths/~1pets/get"), or
    /// of its nearest ancestor that has one.
    pub fn line_of(&self, pointer: &str) -> Option<u32> {
        let mut p = pointer;
        loop {
            if let Some(&line) = self.lines.get(p) {
                return Some(line);
            }
            if p.is_empty() {
                return None;
            }
            p = match p.rfind('/') {
                Some(i) => &p[..i],
                None => "",
            };
        }
    }
}

/// Why a file could not be read as a document.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    /// Display name of the file, as given to [`Document::parse`].
    pub file: String,
    /// 1-based line of the problem, when known.
    pub line: Option<u32>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

/// Error while building: optional line and message.
type BuildError = (Option<u32>, String);

/// A collection being built.
enum Frame {
    /// A sequence and the pointer length of the sequence itself.
    Seq {
        items: Vec<Value>,
        base: usize,
        anchor: usize,
    },
    /// A mapping, its pointer length, and the key waiting for its value (with its line).
    Map {
        entries: Map<String, Value>,
        base: usize,
        anchor: usize,
        key: Option<(String, u32)>,
    },
}

/// Turns parser events into a JSON value plus a line map.
struct Builder<'a> {
    parser: Parser<std::str::Chars<'a>>,
    /// Pointer of the node being built (or of the collection whose child comes next).
    pointer: String,
    lines: LineMap,
    stack: Vec<Frame>,
    /// Completed anchored values, by the parser's anchor id.
    anchors: HashMap<usize, Value>,
    nodes: usize,
    /// Nodes produced by alias expansion so far.
    copied: usize,
}

/// 1-based line of a marker (yaml-rust2 markers are already 1-based).
fn line_of_mark(mark: &Marker) -> u32 {
    u32::try_from(mark.line()).unwrap_or(u32::MAX).max(1)
}

/// Appends one RFC 6901 reference token to a pointer.
fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

impl<'a> Builder<'a> {
    fn new(text: &'a str) -> Self {
        Builder {
            parser: Parser::new_from_str(text),
            pointer: String::new(),
            // Roughly one node per 16 bytes of text in typical specs.
            lines: LineMap::with_capacity_and_hasher(
                text.len() / 16,
                BuildHasherDefault::default(),
            ),
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            copied: 0,
        }
    }

    fn next(&mut self) -> Result<(Event, Marker), BuildError> {
        self.parser
            .next_token()
            .map_err(|e| (Some(line_of_mark(e.marker())), e.info().to_string()))
    }

    fn run(mut self) -> Result<(Value, LineMap), BuildError> {
        let (ev, mark) = self.next()?;
        if ev != Event::StreamStart {
            return Err((Some(line_of_mark(&mark)), "expected a YAML stream".into()));
        }
        let (ev, mark) = self.next()?;
        match ev {
            Event::DocumentStart => {}
            Event::StreamEnd => {
                return Err((Some(line_of_mark(&mark)), "the file is empty".into()));
            }
            _ => return Err((Some(line_of_mark(&mark)), "expected a YAML document".into())),
        }
        let root = self.document()?;
        let (ev, mark) = self.next()?;
        if ev != Event::DocumentEnd {
            return Err((Some(line_of_mark(&mark)), "expected end of document".into()));
        }
        let (ev, mark) = self.next()?;
        match ev {
            Event::StreamEnd => Ok((root, self.lines)),
            _ => Err((
                Some(line_of_mark(&mark)),
                "expected a single YAML document".into(),
            )),
        }
    }

    fn count(&mut self, line: u32, n: usize) -> Result<(), BuildError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err((
                Some(line),
                format!("document too large: more than {MAX_NODES} nodes (alias expansion?)"),
            ));
        }
        Ok(())
    }

    /// Builds the root node of the document.
    fn document(&mut self) -> Result<Value, BuildError> {
        loop {
            let (ev, mark) = self.next()?;
            let line = line_of_mark(&mark);
            // A value (scalar, alias or finished collection) with its anchor id.
            let done: (Value, usize) = match ev {
                Event::Scalar(text, style, anchor, tag) => {
                    self.count(line, 1)?;
                    if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
                        // Keys are strings in JSON: keep the text as written (`200:` -> "200").
                        if anchor != 0 {
                            let value = resolve(text.clone(), style, tag.as_ref(), line)?;
                            self.anchors.insert(anchor, value);
                        }
                        self.set_key(text, line)?;
                        continue;
                    }
                    let value = resolve(text, style, tag.as_ref(), line)?;
                    self.enter_child(line);
                    (value, anchor)
                }
                Event::Alias(id) => {
                    let Some(n) = self.anchors.get(&id).map(size) else {
                        return Err((Some(line), "alias to an anchor that is not complete".into()));
                    };
                    // Count before copying, so that an alias bomb fails without allocating.
                    self.count(line, n)?;
                    self.copied += n;
                    if self.copied > MAX_ALIAS_NODES {
                        return Err((
                            Some(line),
                            format!(
                                "document too large: aliases expand to more than \
                                 {MAX_ALIAS_NODES} nodes"
                            ),
                        ));
                    }
                    let value = self.anchors[&id].clone();
                    if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
                        let text = match value {
                            Value::String(s) => s,
                            Value::Null => "null".to_string(),
                            Value::Bool(b) => b.to_string(),
                            Value::Number(n) => n.to_string(),
                            _ => return Err((Some(line), "mapping keys must be scalars".into())),
                        };
                        self.set_key(text, line)?;
                        continue;
                    }
                    self.enter_child(line);
                    // Nodes inside the copy have no entry of their own: `line_of` falls
                    // back to the alias, which keeps the line map small for alias-heavy files.
                    (value, 0)
                }
                Event::SequenceStart(anchor, _) => {
                    self.count(line, 1)?;
                    self.check_not_key(line)?;
                    self.enter_child(line);
                    self.stack.push(Frame::Seq {
                        items: Vec::new(),
                        base: self.pointer.len(),
                        anchor,
                    });
                    continue;
                }
                Event::MappingStart(anchor, _) => {
                    self.count(line, 1)?;
                    self.check_not_key(line)?;
                    self.enter_child(line);
                    self.stack.push(Frame::Map {
                        entries: Map::new(),
                        base: self.pointer.len(),
                        anchor,
                        key: None,
                    });
                    continue;
                }
                Event::SequenceEnd => match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        base,
                        anchor,
                    }) => {
                        self.pointer.truncate(base);
                        (Value::Array(items), anchor)
                    }
                    _ => return Err((Some(line), "unbalanced sequence end".into())),
                },
                Event::MappingEnd => match self.stack.pop() {
                    Some(Frame::Map {
                        entries,
                        base,
                        anchor,
                        key: None,
                    }) => {
                        self.pointer.truncate(base);
                        (Value::Object(entries), anchor)
                    }
                    _ => return Err((Some(line), "unbalanced mapping end".into())),
                },
                _ => return Err((Some(line), "unexpected YAML event".into())),
            };
            let (value, anchor) = done;
            if anchor != 0 {
                self.anchors.insert(anchor, value.clone());
            }
            // Place the finished value in its parent.
            match self.stack.last_mut() {
                None => return Ok(value),
                Some(Frame::Seq { items, base, .. }) => {
                    items.push(value);
                    self.pointer.truncate(*base);
                }
                Some(Frame::Map {
                    entries, base, key, ..
                }) => {
                    let (k, _) = key.take().expect("value without key");
                    entries.insert(k, value);
                    self.pointer.truncate(*base);
                }
            }
        }
    }

    /// Refuses a collection used as a mapping key.
    fn check_not_key(&self, line: u32) -> Result<(), BuildError> {
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err((Some(line), "mapping keys must be scalars".into()));
        }
        Ok(())
    }

    /// Records the key of the next mapping entry (checking for duplicates).
    fn set_key(&mut self, text: String, line: u32) -> Result<(), BuildError> {
        if let Some(Frame::Map { entries, key, .. }) = self.stack.last_mut() {
            if entries.contains_key(&text) {
                return Err((Some(line), format!("duplicate key \"{text}\"")));
            }
            *key = Some((text, line));
        }
        Ok(())
    }

    /// Extends the pointer to the child about to be built and records its line.
    ///
    /// Mapping values get the line of their key; sequence items and the root their own line.
    fn enter_child(&mut self, line: u32) {
        let line = match self.stack.last() {
            None => line,
            Some(Frame::Seq { items, .. }) => {
                let index = items.len().to_string();
                push_token(&mut self.pointer, &index);
                line
            }
            Some(Frame::Map { key, .. }) => {
                let (k, key_line) = key.as_ref().expect("value without key");
                push_token(&mut self.pointer, k);
                *key_line
            }
        };
        self.lines.insert(self.pointer.clone(), line);
    }
}

/// Number of nodes in a value.
fn size(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Object(entries) => 1 + entries.values().map(size).sum::<usize>(),
        _ => 1,
    }
}

/// Resolves a scalar per the YAML 1.2 core schema (quoted and block scalars are strings).
fn resolve(
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
    line: u32,
) -> Result<Value, BuildError> {
    let forced_string = match tag {
        Some(t) => {
            (t.handle == "tag:yaml.org,2002:" && t.suffix == "str")
                || (t.handle.is_empty() && t.suffix == "!")
                || (t.handle == "!" && t.suffix.is_empty())
        }
        None => false,
    };
    if style != TScalarStyle::Plain || forced_string {
        return Ok(Value::String(text));
    }
    Ok(resolve_plain(&text, line)?.unwrap_or(Value::String(text)))
}

/// Core schema resolution of a plain scalar; `None` for a string.
fn resolve_plain(s: &str, line: u32) -> Result<Option<Value>, BuildError> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Some(Value::Null)),
        "true" | "True" | "TRUE" => return Ok(Some(Value::Bool(true))),
        "false" | "False" | "FALSE" => return Ok(Some(Value::Bool(false))),
        _ => {}
    }
    let bytes = s.as_bytes();
    let first = bytes[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Ok(None);
    }
    // Hexadecimal and octal integers (unsigned in the core schema).
    for (prefix, radix) in [("0x", 16), ("0o", 8)] {
        if let Some(digits) = s.strip_prefix(prefix) {
            if !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)) {
                return Ok(Some(match u64::from_str_radix(digits, radix) {
                    Ok(n) => Value::Number(n.into()),
                    Err(_) => float_value(big_radix(digits, radix), s, line)?,
                }));
            }
            return Ok(None);
        }
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = s.parse::<i64>() {
            return Ok(Some(Value::Number(n.into())));
        }
        if let Ok(n) = s.parse::<u64>() {
            return Ok(Some(Value::Number(n.into())));
        }
        return float_value(s.parse::<f64>().unwrap_or(f64::NAN), s, line).map(Some);
    }
    if matches!(
        unsigned,
        ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
    ) {
        return Err((
            Some(line),
            format!("{s} is not a JSON number (infinity and NaN are not allowed)"),
        ));
    }
    if is_core_float(unsigned) {
        return float_value(s.parse::<f64>().unwrap_or(f64::NAN), s, line).map(Some);
    }
    Ok(None)
}

/// Value of a big hex/octal integer as a float.
fn big_radix(digits: &str, radix: u32) -> f64 {
    digits.chars().fold(0.0, |acc, c| {
        acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
    })
}

/// A finite float as a JSON number.
fn float_value(f: f64, text: &str, line: u32) -> Result<Value, BuildError> {
    match Number::from_f64(f) {
        Some(n) => Ok(Value::Number(n)),
        None => Err((
            Some(line),
            format!("{text} is out of range for a JSON number"),
        )),
    }
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` without sign.
fn is_core_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int_digits = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac = digits(&mut i);
        if int_digits == 0 && frac == 0 {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Parses `text` and compares with the expected value.
    fn check(text: &str, expected: Value) {
        let doc = Document::parse("t.yaml", text)
            .unwrap_or_else(|e| panic!("{e} while parsing {text:?}"));
        assert_eq!(doc.root, expected, "for {text:?}");
    }

    /// Parses `text`, expecting an error at `line` whose message contains `message`.
    fn check_err(text: &str, line: u32, message: &str) {
        let err = Document::parse("t.yaml", text).expect_err(text);
        assert_eq!(err.line, Some(line), "{err} for {text:?}");
        assert!(err.message.contains(message), "{err} for {text:?}");
        assert!(err.to_string().starts_with(&format!("t.yaml:{line}: ")));
    }

    #[test]
    fn values() {
        let cases: &[(&str, Value)] = &[
            ("a: 1", json!({"a": 1})),
            (
                "responses:\n  200:\n    description: ok\n  default: {}\n",
                json!({"responses": {"200": {"description": "ok"}, "default": {}}}),
            ),
            (
                "true: 1\n1.5: 2\n~: 3",
                json!({"true": 1, "1.5": 2, "~": 3}),
            ),
            (
                "[true, True, TRUE, false, False, FALSE, yes, no, on]",
                json!([true, true, true, false, false, false, "yes", "no", "on"]),
            ),
            (
                "[~, null, Null, NULL, nUll]",
                json!([null, null, null, null, "nUll"]),
            ),
            ("a:\nb: ", json!({"a": null, "b": null})),
            (
                "[0, -7, +3, 0x1F, 0o17, 007, 18446744073709551615, -9223372036854775808]",
                json!([
                    0,
                    -7,
                    3,
                    31,
                    15,
                    7,
                    18_446_744_073_709_551_615_u64,
                    i64::MIN
                ]),
            ),
            ("99999999999999999999", json!(1e20)),
            (
                "[1.5, -0.25, .5, 1., 1e3, 2.5E-1, +1.0]",
                json!([1.5, -0.25, 0.5, 1.0, 1000.0, 0.25, 1.0]),
            ),
            (
                "[3.0.0, 1.2.3, 0x, 0xG, 1e, .e1, -a, 12abc, 1_000, '1', \"2\", 'true', \"null\"]",
                json!([
                    "3.0.0", "1.2.3", "0x", "0xG", "1e", ".e1", "-a", "12abc", "1_000", "1", "2",
                    "true", "null"
                ]),
            ),
            (
                "a: |\n  line 1\n  42\nb: >\n  folded\n  text\nc: |-\n  123\n",
                json!({"a": "line 1\n42\n", "b": "folded text\n", "c": "123"}),
            ),
            (
                "[!!str 12, !!str true, ! 7, !custom 8]",
                json!(["12", "true", "7", 8]),
            ),
            (
                r#"{"openapi": "3.1.0", "n": [1, 2.5, true, null, "x\/y\u00e9"], "o": {}}"#,
                json!({"openapi": "3.1.0", "n": [1, 2.5, true, null, "x/yé"], "o": {}}),
            ),
            (
                "a: &x {b: [1, 2]}\nc: *x\n",
                json!({"a": {"b": [1, 2]}, "c": {"b": [1, 2]}}),
            ),
            ("- &k name\n- {*k : 1}\n", json!(["name", {"name": 1}])),
            ("--- 5\n...\n", json!(5)),
            ("plain string", json!("plain string")),
            ("- a\n- - b\n  - c\n- []\n", json!(["a", ["b", "c"], []])),
        ];
        for (text, expected) in cases {
            check(text, expected.clone());
        }
    }

    #[test]
    fn key_order_is_preserved() {
        let doc = Document::parse("t.yaml", "z: 1\na: 2\nm: 3\n").unwrap();
        let keys: Vec<&String> = doc.root.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn lines() {
        let text = "\
openapi: 3.0.0
paths:
  /pets:
    get:
      responses:
        200:
          description: ok
        '404':
          description: missing
tags:
  - name: a
  - name: b
    description: second
  - plain
a~b: {x: 1,
  y: 2}
list: [1,
  2]
base: &b
  k: v
copy: *b
";
        let doc = Document::parse("t.yaml", text).unwrap();
        let cases: &[(&str, Option<u32>)] = &[
            ("", Some(1)),
            ("/openapi", Some(1)),
            ("/paths", Some(2)),
            ("/paths/~1pets", Some(3)),
            ("/paths/~1pets/get", Some(4)),
            ("/paths/~1pets/get/responses/200", Some(6)),
            ("/paths/~1pets/get/responses/200/description", Some(7)),
            ("/paths/~1pets/get/responses/404/description", Some(9)),
            ("/tags", Some(10)),
            ("/tags/0", Some(11)),
            ("/tags/1", Some(12)),
            ("/tags/1/description", Some(13)),
            ("/tags/2", Some(14)),
            ("/a~0b/y", Some(16)),
            ("/list/1", Some(18)),
            ("/base/k", Some(20)),
            ("/copy", Some(21)),
            ("/copy/k", Some(21)),
            // Nearest ancestor with a line.
            ("/paths/~1pets/get/responses/200/content/x", Some(6)),
            ("/nope", Some(1)),
        ];
        for (pointer, line) in cases {
            assert_eq!(doc.line_of(pointer), *line, "line of {pointer:?}");
        }
    }

    #[test]
    fn json_lines() {
        let text = "{\n  \"paths\": {\n    \"/a\": {\n      \"get\": 1\n    }\n  },\n  \"t\": [\n    1,\n    2\n  ]\n}\n";
        let doc = Document::parse("t.json", text).unwrap();
        assert_eq!(doc.line_of("/paths/~1a/get"), Some(4));
        assert_eq!(doc.line_of("/t/1"), Some(9));
    }

    #[test]
    fn errors() {
        check_err("a: 1\nb: 2\na: 3\n", 3, "duplicate key \"a\"");
        check_err("r:\n  200: {}\n  \"200\": {}\n", 3, "duplicate key \"200\"");
        check_err("a: 1\n---\nb: 2\n", 2, "expected a single YAML document");
        check_err("a: [1, 2\nb: 3\n", 2, "");
        check_err("a:\n  b: 1\n c: 2\n", 3, "");
        check_err("x: .inf\n", 1, "not a JSON number");
        check_err("x:\n  - -.Inf\n", 2, "not a JSON number");
        check_err("x: .NaN\n", 1, "not a JSON number");
        check_err("x: 1e999\n", 1, "out of range");
        check_err("? [a]\n: 1\n", 1, "mapping keys must be scalars");
        check_err("a: *nope\n", 1, "unknown anchor");
        check_err("", 1, "empty");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            let items = [prev.as_str(); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let err = Document::parse("bomb.yaml", &text).expect_err("bomb");
        assert!(err.message.contains("too large"), "{err}");
    }

    #[test]
    fn digitalocean_corpus() {
        let dir = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/corpus/digitalocean/specification"
        ));
        if !dir.is_dir() {
            return;
        }
        let mut pending = vec![dir.to_path_buf()];
        let mut count = 0;
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                if !matches!(ext, "yaml" | "yml" | "json") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let name = path.display().to_string();
                if let Err(e) = Document::parse(name, &text) {
                    panic!("{e}");
                }
                count += 1;
            }
        }
        assert!(count > 0);
    }
}

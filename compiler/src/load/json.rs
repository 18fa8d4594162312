//! The fast path for JSON files: large contracts (GitHub's is 13 MB) are
//! mostly JSON, and the YAML scanner spends most of the compiler's front-end
//! time on them. This reader builds the same `Value` and the same line map
//! as the YAML path would for the same text (mapping values get the line of
//! their key, items their own, scalars resolved by the same core-schema
//! code), and gives up — returning `None` — on anything it is not sure of:
//! text that is not strict JSON, a duplicate key, too many nodes or too
//! deep a nesting. The YAML path then reads the file and reports.

use serde_json::{Map, Value};

use super::{LineMap, MAX_NODES, push_token, resolve_plain};

/// Deeper documents go to the YAML path (this reader recurses).
const MAX_DEPTH: usize = 256;

pub(super) fn parse(text: &str, capacity: usize) -> Option<(Value, LineMap)> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        line: 1,
        pointer: String::new(),
        lines: LineMap::with_capacity_and_hasher(capacity, Default::default()),
        nodes: 0,
    };
    reader.space();
    if !matches!(reader.peek(), Some(b'{' | b'[')) {
        return None;
    }
    let line = reader.line;
    reader.lines.insert(String::new(), line);
    let root = reader.value(0)?;
    reader.space();
    (reader.at == reader.bytes.len()).then_some((root, reader.lines))
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    line: u32,
    pointer: String,
    lines: LineMap,
    nodes: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Skips JSON white space, counting lines as YAML does (`\r\n`, `\n`
    /// or a lone `\r` each end one).
    fn space(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' => {}
                b'\n' => self.line += 1,
                b'\r' => {
                    if self.bytes.get(self.at + 1) != Some(&b'\n') {
                        self.line += 1;
                    }
                }
                _ => return,
            }
            self.at += 1;
        }
    }

    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(())
    }

    /// The value at `self.at` (white space already skipped).
    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.count()?;
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Value::String),
            _ => self.scalar(),
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.at += 1;
        let mut entries = Map::new();
        let base = self.pointer.len();
        self.space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(Value::Object(entries));
        }
        loop {
            self.space();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key_line = self.line;
            self.count()?;
            let key = self.string()?;
            if entries.contains_key(&key) {
                // The YAML path reports it, with its line.
                return None;
            }
            self.space();
            if self.peek() != Some(b':') {
                return None;
            }
            self.at += 1;
            self.space();
            push_token(&mut self.pointer, &key);
            self.lines.insert(self.pointer.clone(), key_line);
            let value = self.value(depth + 1)?;
            self.pointer.truncate(base);
            entries.insert(key, value);
            self.space();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(Value::Object(entries));
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.at += 1;
        let mut items = Vec::new();
        let base = self.pointer.len();
        self.space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Some(Value::Array(items));
        }
        loop {
            self.space();
            push_token(&mut self.pointer, &items.len().to_string());
            self.lines.insert(self.pointer.clone(), self.line);
            let item = self.value(depth + 1)?;
            self.pointer.truncate(base);
            items.push(item);
            self.space();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(Value::Array(items));
                }
                _ => return None,
            }
        }
    }

    /// A JSON string (RFC 8259): escapes decoded, surrogate pairs joined,
    /// raw control characters refused.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let start = self.at;
        // Fast path: no escape, borrow-and-copy once.
        while let Some(b) = self.peek() {
            match b {
                b'"' => {
                    let s = self.text.get(start..self.at)?.to_owned();
                    self.at += 1;
                    return Some(s);
                }
                b'\\' => break,
                0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
        let mut out = self.text.get(start..self.at)?.to_owned();
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    let escape = *self.bytes.get(self.at + 1)?;
                    self.at += 2;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return None,
                    }
                }
                0..=0x1f => return None,
                _ => {
                    // Copy the run up to the next quote or escape at once.
                    let run = self.at;
                    while self
                        .peek()
                        .is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20)
                    {
                        self.at += 1;
                    }
                    out.push_str(self.text.get(run..self.at)?);
                }
            }
        }
    }

    /// The character of a `\uXXXX` escape (after `\u`), joining a
    /// surrogate pair; a lone surrogate gives up.
    fn unicode_escape(&mut self) -> Option<char> {
        let high = self.hex4()?;
        if !(0xD800..0xE000).contains(&high) {
            return char::from_u32(high);
        }
        if high >= 0xDC00 || self.bytes.get(self.at..self.at + 2) != Some(b"\\u") {
            return None;
        }
        self.at += 2;
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return None;
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).ok()
    }

    /// `true`, `false`, `null` or a number in strict JSON syntax, resolved
    /// by the YAML core schema code so that both paths agree on its value.
    fn scalar(&mut self) -> Option<Value> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
        {
            self.at += 1;
        }
        let token = &self.text[start..self.at];
        if !matches!(token, "true" | "false" | "null") && !json_number(token) {
            return None;
        }
        resolve_plain(token, self.line).ok().flatten()
    }
}

/// RFC 8259 number syntax: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
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
    use super::super::Builder;
    use super::*;

    /// Both paths give the same value and the same line of every node.
    fn same(text: &str) {
        let fast = parse(text, 16).unwrap_or_else(|| panic!("the JSON path gave up on {text}"));
        let slow = Builder::new(text).run().expect("YAML path");
        assert_eq!(fast.0, slow.0, "{text}");
        let mut a: Vec<_> = fast.1.into_iter().collect();
        let mut b: Vec<_> = slow.1.into_iter().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{text}");
    }

    #[test]
    fn json_documents_read_as_the_yaml_path_reads_them() {
        same(r#"{"a": 1, "b": [true, false, null, -0, 1.5, 2e3, 1E-2, 18446744073709551616]}"#);
        same(
            "{\n  \"paths\": {\n    \"/x/{id}\": {\n      \"get\": {}\n    }\n  },\n  \"a~b\": [\n    1,\n    {\"c\": \"d\"}\n  ]\n}\n",
        );
        same("{\r\n\"a\":\r\n[\r\n1]\r\n}");
        same(r#"{"s": "tab\tquote\" slash\/ back\\ \u00e9 \u2028 é ☃", "e": "", "k\"ey": 0}"#);
        same("[1, [2, [3, {}]], []]");
        same("{\"a\":\n\n  {\"b\": 1}}");
    }

    #[test]
    fn anything_unsure_goes_to_the_yaml_path() {
        for text in [
            "{a: 1}",
            "openapi: 3.0.0",
            r#"{"a": 1, "a": 2}"#,
            r#"{"a": 01}"#,
            r#"{"a": .5}"#,
            r#"{"a": +1}"#,
            r#"{"a": 1,}"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": "x"} extra"#,
            r#"{"a": 'x'}"#,
            "{\"a\": \"raw\ttab\"}",
            r#"{"a": True}"#,
        ] {
            assert!(parse(text, 16).is_none(), "{text}");
        }
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(parse(&deep, 16).is_none());
    }

    /// Reads every `.json` file under `root` both ways; asserts identical
    /// results. Returns (identical, left to the YAML path, refused by it).
    fn compare_tree(root: std::path::PathBuf) -> (usize, usize, usize) {
        let mut stack = vec![root];
        let (mut same_files, mut fast_gave_up, mut yaml_refused) = (0, 0, 0);
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let Ok(slow) = Builder::new(&text).run() else {
                    yaml_refused += 1;
                    continue;
                };
                let Some(fast) = parse(&text, text.len() / 16) else {
                    fast_gave_up += 1;
                    println!("gave up: {}", path.display());
                    continue;
                };
                assert!(fast.0 == slow.0, "value differs: {}", path.display());
                assert!(fast.1 == slow.1, "lines differ: {}", path.display());
                same_files += 1;
            }
        }
        (same_files, fast_gave_up, yaml_refused)
    }

    /// Both paths on every file of the JSON-Schema-Test-Suite (real JSON,
    /// beside the checkout as in CI), and, when `$DOUANE_JSON_CORPUS` names
    /// a directory, on every `.json` file under it: the corpus check does
    /// that on its npm cache (`DOUANE_CORPUS_JSON_CHECK=1
    /// tests/corpus/check.sh`: 2,655 files, identical).
    #[test]
    fn real_json_reads_as_the_yaml_path_reads_it() {
        let suite = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/conformance/json-schema-test-suite"
        ));
        let (same, gave_up, refused) = compare_tree(suite);
        assert!(
            same >= 150,
            "the suite was not found or is incomplete: {same} files"
        );
        assert_eq!(gave_up, 0, "the JSON path gave up on suite files");
        println!("json suite: {same} files read identically, {refused} refused by the YAML path");
        if let Some(root) = std::env::var_os("DOUANE_JSON_CORPUS") {
            let (same, gave_up, refused) = compare_tree(root.into());
            println!(
                "json corpus: {same} files read identically, {gave_up} left to the YAML path, {refused} refused by the YAML path"
            );
        }
    }

    #[test]
    fn surrogate_pairs_are_joined() {
        let (value, _) = parse(r#"{"e": "\ud83d\ude00"}"#, 16).unwrap();
        assert_eq!(value["e"], "😀");
    }
}

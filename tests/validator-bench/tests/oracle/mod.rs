//! The oracle shared by the differential test and the fuzz target: the
//! `jsonschema` crate, given a JSON Schema 2020-12 translation of each
//! compiled schema with the meaning Douane gives it:
//! - OpenAPI 3.0: `$ref` replaces its siblings, `nullable: true` adds
//!   `"null"` to `type`, a boolean `exclusiveMinimum`/`exclusiveMaximum`
//!   makes `minimum`/`maximum` exclusive;
//! - both dialects: a `readOnly` property is forbidden in a request (and not
//!   required), `format: int32`/`int64` is the integer range it names,
//!   `float`/`double` are dropped; other formats are kept as they are (the
//!   oracle ignores those it does not know, as Douane does with a build
//!   warning).
//!
//! Understood disagreements are listed in [`KNOWN`], each with its reason.

use std::path::{Path, PathBuf};

use douane_runtime::json;
use douane_runtime::validate::Violations;
use douane_validator_bench::{BENCH_SCHEMAS, Compiled, Dialect, Kind, SPECS_AS_JSON};
use serde_json::{Value, json};

/// Base URI under which the specs are registered with the oracle.
const BASE: &str = "https://specs.douane.test/";

// ---------------------------------------------------------------------------
// The oracle

/// Translates the schema `s` (and its subschemas) into the JSON Schema
/// 2020-12 schema with Douane's meaning (see the module documentation).
pub fn translate(s: &mut Value, dialect: Dialect) {
    let Value::Object(map) = s else { return };
    if dialect == Dialect::OpenApi30 && map.contains_key("$ref") {
        map.retain(|k, _| k == "$ref");
        return;
    }
    if dialect == Dialect::OpenApi30 {
        if map.remove("nullable") == Some(Value::Bool(true)) {
            match map.get_mut("type") {
                Some(Value::String(t)) => {
                    let t = std::mem::take(t);
                    map.insert("type".into(), json!([t, "null"]));
                }
                Some(Value::Array(ts)) => ts.push(json!("null")),
                _ => {}
            }
        }
        for (exclusive, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if let Some(Value::Bool(on)) = map.get(exclusive).cloned() {
                map.remove(exclusive);
                if on {
                    if let Some(b) = map.remove(bound) {
                        map.insert(exclusive.into(), b);
                    }
                }
            }
        }
    }
    let integer_range = match map.get("format").and_then(Value::as_str) {
        Some("int32") => Some(json!({"minimum": i32::MIN, "maximum": i32::MAX})),
        Some("int64") => Some(json!({"minimum": i64::MIN, "maximum": i64::MAX})),
        // Every JSON number is a float or a double.
        Some("float" | "double") => Some(Value::Null),
        _ => None,
    };
    if let Some(range) = integer_range {
        map.remove("format");
        if let Value::Object(mut range) = range {
            // Douane's integer formats reject any number outside the range
            // and any number with a fraction, whatever `type` says.
            range.insert("type".into(), json!("integer"));
            let rule = json!({"anyOf": [{"not": {"type": "number"}}, range]});
            match map.get_mut("allOf") {
                Some(Value::Array(all)) => all.push(rule),
                _ => {
                    map.insert("allOf".into(), json!([rule]));
                }
            }
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        let mut read_only = Vec::new();
        for (name, p) in props.iter_mut() {
            if p.get("readOnly") == Some(&Value::Bool(true)) {
                *p = Value::Bool(false);
                read_only.push(name.clone());
            }
        }
        if let Some(Value::Array(required)) = map.get_mut("required") {
            required.retain(|r| !read_only.iter().any(|n| r == n));
        }
    }
    for key in ["properties", "$defs", "definitions"] {
        if let Some(Value::Object(m)) = map.get_mut(key) {
            m.values_mut().for_each(|v| translate(v, dialect));
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(a)) = map.get_mut(key) {
            a.iter_mut().for_each(|v| translate(v, dialect));
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(v) = map.get_mut(key) {
            translate(v, dialect);
        }
    }
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every spec document as JSON, by path relative to `specs/`.
pub fn spec_documents() -> Vec<(String, Value)> {
    let root = PathBuf::from(SPECS_AS_JSON);
    let mut docs = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read specs json dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&root).expect("under root");
            let rel = rel.to_string_lossy().trim_end_matches(".json").to_owned();
            docs.push((rel, read_json(&path)));
        }
    }
    docs
}

/// The schemas of a spec document: `components.schemas` of an OpenAPI
/// document, every top-level member of a shared fragment.
fn translate_document(doc: &mut Value, dialect: Dialect) {
    let schemas = if doc.get("openapi").is_some() {
        doc.pointer_mut("/components/schemas")
    } else {
        Some(doc)
    };
    if let Some(Value::Object(m)) = schemas {
        m.values_mut().for_each(|s| translate(s, dialect));
    }
}

pub fn oracle(c: &Compiled) -> jsonschema::Validator {
    let options = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true);
    match c.kind {
        Kind::Bench => {
            let mut schema = read_json(&Path::new(BENCH_SCHEMAS).join(c.root));
            translate(&mut schema, c.dialect);
            options.build(&schema).expect("oracle accepts the schema")
        }
        Kind::Spec => {
            let mut builder = jsonschema::Registry::new();
            for (rel, mut doc) in spec_documents() {
                translate_document(&mut doc, c.dialect);
                builder = builder.add(format!("{BASE}{rel}"), doc).expect("valid uri");
            }
            let registry = builder.prepare().expect("registry");
            let root = json!({"$ref": format!("{BASE}{}", c.root)});
            options
                .with_registry(&registry)
                .build(&root)
                .expect("oracle accepts the schema")
        }
    }
}

/// Douane's verdict on `instance`, through the bytes as the gateway sees them.
pub fn douane(c: &Compiled, instance: &Value) -> bool {
    let text = instance.to_string();
    let v = json::parse(text.as_bytes(), 128).expect("serde_json output parses");
    (c.validate)(&v, &mut Violations::default())
}

// ---------------------------------------------------------------------------
// Known disagreements

/// A disagreement that is understood: Douane's verdict is asserted for it.
pub struct Known {
    pub schema: &'static str,
    /// Whether the instance is in this class.
    pub matches: fn(&Value) -> bool,
    /// Douane's verdict, asserted.
    pub douane: bool,
    pub why: &'static str,
}

/// Disagreements found so far. Each entry states whether Douane or the
/// oracle is right.
pub const KNOWN: &[Known] = &[
    // Regressions, both fixed by judging `multipleOf` on the decimal forms:
    // `{"multipleOf": 0.01}` used to accept 1e-20 (a float tolerance
    // absolute near zero) and reject 1e308 (the quotient overflowed). The
    // differential test now expects agreement on both; see
    // `multiple_of_regressions` in tests/differential.rs.
];

/// Compares both verdicts on `instance`: `Ok((douane's verdict, whether
/// this is a known disagreement))` when they agree or the disagreement is a
/// [`KNOWN`] one with Douane's verdict unchanged.
pub fn compare(
    c: &Compiled,
    oracle: &jsonschema::Validator,
    instance: &Value,
) -> Result<(bool, bool), String> {
    let ours = douane(c, instance);
    let theirs = oracle.is_valid(instance);
    if ours == theirs {
        return Ok((ours, false));
    }
    match KNOWN
        .iter()
        .find(|k| k.schema == c.name && (k.matches)(instance))
    {
        Some(k) if k.douane == ours => Ok((ours, true)),
        Some(k) => Err(format!(
            "known disagreement ({}) changed: douane now says {ours} on {instance}",
            k.why
        )),
        None => Err(format!(
            "{}: douane says {ours}, jsonschema says {theirs} on {instance}",
            c.name
        )),
    }
}

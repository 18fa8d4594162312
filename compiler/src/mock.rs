//! The built-in mock upstream's answers, computed at build time from each
//! operation's declared responses: an example when the contract gives one,
//! otherwise a minimal instance of the response schema.
//!
//! Mocks serve demos and smoke tests; they are not validation, so response
//! schemas are read leniently here and never fail the build.

use serde_json::{Map, Value};

use crate::ir::Mock;
use crate::resolve::{Node, Workspace};

/// The mock answer for the operation at `op`: its lowest 2xx response (or
/// `default`), in JSON when it declares JSON content.
pub fn response(ws: &mut Workspace<'_>, op: &Node) -> Mock {
    let empty = Mock {
        status: 200,
        content_type: None,
        body: String::new(),
    };
    let Some(responses) = op.child("responses") else {
        return empty;
    };
    let codes: Vec<String> = responses
        .value()
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let chosen = codes
        .iter()
        .filter_map(|c| {
            c.parse::<u16>()
                .ok()
                .filter(|s| (200..300).contains(s))
                .map(|s| (s, c))
        })
        .min()
        .or_else(|| codes.iter().find(|c| *c == "default").map(|c| (200, c)));
    let Some((status, key)) = chosen else {
        return empty;
    };
    let Some(response) = responses.child(key).and_then(|r| ws.deref(&r.loc).ok()) else {
        return Mock { status, ..empty };
    };
    let Some(content) = response.child("content") else {
        return Mock { status, ..empty };
    };
    let types: Vec<String> = content
        .value()
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let Some(json_type) = types.iter().find(|t| {
        let t = t
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        t == "application/json" || t.ends_with("+json")
    }) else {
        return Mock { status, ..empty };
    };
    let media = content.child(json_type).expect("listed key");
    let body = example_of_media(ws, &media)
        .or_else(|| media.child("schema").map(|s| instance(ws, &s, 0)))
        .unwrap_or(Value::Null);
    Mock {
        status,
        content_type: Some(
            json_type
                .split(';')
                .next()
                .unwrap_or(json_type)
                .trim()
                .to_owned(),
        ),
        body: body.to_string(),
    }
}

fn example_of_media(ws: &mut Workspace<'_>, media: &Node) -> Option<Value> {
    if let Some(e) = media.value().get("example") {
        return Some(e.clone());
    }
    let examples = media.child("examples")?;
    let first = examples.value().as_object()?.keys().next()?.clone();
    let ex = ws.deref(&examples.child(&first)?.loc).ok()?;
    ex.value().get("value").cloned()
}

/// A minimal instance of a schema: its example, or the smallest value its
/// keywords allow, recursion cut at a fixed depth.
fn instance(ws: &mut Workspace<'_>, node: &Node, depth: u32) -> Value {
    let node = match ws.deref(&node.loc) {
        Ok(n) => n,
        Err(_) => return Value::Null,
    };
    let v = node.value();
    if depth > 8 {
        return Value::Null;
    }
    if let Some(e) = v.get("example") {
        return e.clone();
    }
    if let Some(e) = v
        .get("examples")
        .and_then(|e| e.as_array())
        .and_then(|a| a.first())
    {
        return e.clone();
    }
    if let Some(c) = v.get("const") {
        return c.clone();
    }
    if let Some(e) = v
        .get("enum")
        .and_then(|e| e.as_array())
        .and_then(|a| a.first())
    {
        return e.clone();
    }
    for key in ["allOf"] {
        if let Some(n) = v.get(key).and_then(Value::as_array).map(Vec::len) {
            let list = node.child(key).expect("present");
            let mut merged = Map::new();
            for i in 0..n {
                if let Value::Object(m) = instance(ws, &list.item(i).expect("index"), depth + 1) {
                    merged.extend(m);
                }
            }
            return Value::Object(merged);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = node.child(key).and_then(|l| l.item(0)) {
            return instance(ws, &first, depth + 1);
        }
    }
    let ty = match v.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if v.get("properties").is_some() => "object",
        _ if v.get("items").is_some() => "array",
        _ => "null",
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            let required: Vec<String> = v
                .get("required")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if let Some(props) = node.child("properties") {
                let names: Vec<String> = props
                    .value()
                    .as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                for name in names {
                    if required.contains(&name) || depth == 0 {
                        let child = props.child(&name).expect("listed key");
                        out.insert(name, instance(ws, &child, depth + 1));
                    }
                }
            }
            Value::Object(out)
        }
        "array" => {
            let n = v
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .min(3);
            match node.child("items") {
                Some(items) => {
                    Value::Array((0..n).map(|_| instance(ws, &items, depth + 1)).collect())
                }
                None => Value::Array(Vec::new()),
            }
        }
        "string" => Value::from(match v.get("format").and_then(Value::as_str) {
            Some("date-time") => "2024-01-01T00:00:00Z".to_owned(),
            Some("date") => "2024-01-01".to_owned(),
            Some("uuid") => "00000000-0000-4000-8000-000000000000".to_owned(),
            Some("email") => "user@example.com".to_owned(),
            _ => "x".repeat(
                v.get("minLength")
                    .and_then(Value::as_u64)
                    .unwrap_or(6)
                    .clamp(1, 64) as usize,
            ),
        }),
        "integer" => Value::from(v.get("minimum").and_then(Value::as_i64).unwrap_or(1)),
        "number" => v.get("minimum").cloned().unwrap_or(Value::from(1.5)),
        "boolean" => Value::Bool(true),
        _ => Value::Null,
    }
}

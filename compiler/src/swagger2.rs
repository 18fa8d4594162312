//! Swagger 2.0 documents, converted on load into the OpenAPI 3.0 document
//! they mean, so that everything after loading sees one format.
//!
//! What moves where (the line map follows, so diagnostics still name the
//! line the author wrote):
//! - `host`, `basePath`, `schemes` → `servers`;
//! - `definitions`, `parameters`, `responses`, `securityDefinitions` →
//!   `components/schemas`, `/parameters`, `/responses`, `/securitySchemes`,
//!   and every local `$ref` to them follows;
//! - `in: body` parameters → `requestBody` (one media type per `consumes`);
//!   `in: formData` parameters → a form or multipart `requestBody` whose
//!   schema has one property per field (`type: file` → a binary string);
//! - other parameters: `type`/`format`/`items`/bounds → `schema`,
//!   `collectionFormat` → `style`/`explode` (`tsv` has no OpenAPI 3
//!   equivalent and is refused by the compiler as an unknown style);
//! - responses: `schema` → `content` per `produces`, headers → schemas;
//! - schemas: `type: file` → binary string, `x-nullable` → `nullable`,
//!   a string `discriminator` → `{propertyName}`.

use serde_json::{Map, Value, json};

/// Keys of a 2.0 non-body parameter that belong in its 3.0 `schema`.
const SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
];

/// Where a subtree of the 2.0 document went in the 3.0 one: `(new, old)`
/// pointer prefixes, for the line map.
pub type Moves = Vec<(String, String)>;

/// Whether `root` is a Swagger 2.0 document.
pub fn is_swagger2(root: &Value) -> bool {
    root.get("swagger").and_then(Value::as_str) == Some("2.0")
}

/// Converts a Swagger 2.0 document to OpenAPI 3.0.3.
pub fn convert(old: &Value) -> (Value, Moves) {
    let mut moves: Moves = Vec::new();
    let mut new = Map::new();
    new.insert("openapi".into(), json!("3.0.3"));
    moves.push(("/openapi".into(), "/swagger".into()));
    for (k, v) in obj(old) {
        if k == "info"
            || k == "tags"
            || k == "externalDocs"
            || k == "security"
            || k.starts_with("x-")
        {
            new.insert(k.clone(), v.clone());
        }
    }
    // servers
    let base = old.get("basePath").and_then(Value::as_str).unwrap_or("");
    let url = match old.get("host").and_then(Value::as_str) {
        Some(host) => {
            let scheme = old
                .get("schemes")
                .and_then(Value::as_array)
                .and_then(|s| s.first())
                .and_then(Value::as_str)
                .unwrap_or("https");
            format!("{scheme}://{host}{base}")
        }
        None => base.to_owned(),
    };
    if !url.is_empty() {
        new.insert("servers".into(), json!([{ "url": url }]));
        moves.push(("/servers".into(), "/basePath".into()));
    }
    let consumes = strings(old.get("consumes"));
    let produces = strings(old.get("produces"));

    // components
    let mut components = Map::new();
    if let Some(defs) = old.get("definitions") {
        components.insert("schemas".into(), map_values(defs, schema));
        moves.push(("/components/schemas".into(), "/definitions".into()));
    }
    let shared_params = old.get("parameters").cloned().unwrap_or(json!({}));
    let non_body: Map<String, Value> = obj(&shared_params)
        .iter()
        .filter(|(_, p)| {
            !matches!(
                p.get("in").and_then(Value::as_str),
                Some("body" | "formData")
            )
        })
        .map(|(k, p)| (k.clone(), parameter(p)))
        .collect();
    if !non_body.is_empty() {
        components.insert("parameters".into(), Value::Object(non_body));
        moves.push(("/components/parameters".into(), "/parameters".into()));
    }
    if let Some(responses) = old.get("responses") {
        components.insert(
            "responses".into(),
            map_values(responses, |r| response(r, &produces)),
        );
        moves.push(("/components/responses".into(), "/responses".into()));
    }
    if let Some(schemes) = old.get("securityDefinitions") {
        components.insert(
            "securitySchemes".into(),
            map_values(schemes, security_scheme),
        );
        moves.push((
            "/components/securitySchemes".into(),
            "/securityDefinitions".into(),
        ));
    }
    if !components.is_empty() {
        new.insert("components".into(), Value::Object(components));
    }

    // paths
    let mut paths = Map::new();
    for (template, item) in obj(old.get("paths").unwrap_or(&Value::Null)) {
        if template.starts_with("x-") {
            paths.insert(template.clone(), item.clone());
            continue;
        }
        let shared: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut new_item = Map::new();
        for (key, value) in obj(item) {
            match key.as_str() {
                "parameters" => {
                    // Only non-body ones stay on the path item; body and
                    // form parameters join each operation's request body.
                    let kept: Vec<Value> = shared
                        .iter()
                        .filter(|p| !is_body_like(resolve_param(p, &shared_params)))
                        .map(parameter_or_ref)
                        .collect();
                    if !kept.is_empty() {
                        new_item.insert("parameters".into(), Value::Array(kept));
                    }
                }
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch" => {
                    let op = operation(value, &shared, &shared_params, &consumes, &produces);
                    new_item.insert(key.clone(), op);
                }
                _ => {
                    new_item.insert(key.clone(), value.clone());
                }
            }
        }
        paths.insert(template.clone(), Value::Object(new_item));
    }
    new.insert("paths".into(), Value::Object(paths));
    let mut new = Value::Object(new);
    rewrite_refs(&mut new);
    (new, moves)
}

fn obj(v: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    v.as_object().unwrap_or(&EMPTY)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn map_values(v: &Value, f: impl Fn(&Value) -> Value) -> Value {
    Value::Object(obj(v).iter().map(|(k, v)| (k.clone(), f(v))).collect())
}

/// A `#/parameters/X` reference resolved against the document's shared
/// parameters; anything else as it is.
fn resolve_param<'a>(p: &'a Value, shared: &'a Value) -> &'a Value {
    p.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/parameters/"))
        .and_then(|name| shared.get(name.replace("~1", "/").replace("~0", "~")))
        .unwrap_or(p)
}

fn is_body_like(p: &Value) -> bool {
    matches!(
        p.get("in").and_then(Value::as_str),
        Some("body" | "formData")
    )
}

fn parameter_or_ref(p: &Value) -> Value {
    if p.get("$ref").is_some() {
        p.clone()
    } else {
        parameter(p)
    }
}

/// A non-body 2.0 parameter as a 3.0 Parameter Object.
fn parameter(p: &Value) -> Value {
    let mut out = Map::new();
    let mut schema_part = Map::new();
    for (k, v) in obj(p) {
        match k.as_str() {
            "collectionFormat" => {}
            k if SCHEMA_KEYS.contains(&k) => {
                schema_part.insert(k.to_owned(), v.clone());
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(items) = schema_part.get_mut("items") {
        *items = schema(&strip_collection(items));
    }
    let location = p.get("in").and_then(Value::as_str).unwrap_or("");
    if schema_part.get("type").and_then(Value::as_str) == Some("array") {
        let format = p
            .get("collectionFormat")
            .and_then(Value::as_str)
            .unwrap_or("csv");
        let (style, explode) = match (format, location) {
            ("multi", _) => ("form", true),
            ("ssv", _) => ("spaceDelimited", false),
            ("pipes", _) => ("pipeDelimited", false),
            ("tsv", _) => ("tabDelimited", false),
            (_, "query") => ("form", false),
            _ => ("simple", false),
        };
        out.insert("style".into(), json!(style));
        out.insert("explode".into(), json!(explode));
    }
    out.insert("schema".into(), schema(&Value::Object(schema_part)));
    Value::Object(out)
}

fn strip_collection(items: &Value) -> Value {
    let mut items = items.clone();
    if let Some(m) = items.as_object_mut() {
        m.remove("collectionFormat");
    }
    items
}

/// A 2.0 schema as a 3.0 one (recursively).
fn schema(s: &Value) -> Value {
    match s {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                match k.as_str() {
                    "type" if v == "file" => {
                        out.insert("type".into(), json!("string"));
                        out.insert("format".into(), json!("binary"));
                    }
                    "x-nullable" => {
                        out.insert("nullable".into(), v.clone());
                    }
                    "discriminator" if v.is_string() => {
                        out.insert("discriminator".into(), json!({ "propertyName": v }));
                    }
                    "properties" | "definitions" => {
                        out.insert(k.clone(), map_values(v, schema));
                    }
                    "items" | "additionalProperties" | "not" => {
                        out.insert(k.clone(), if v.is_object() { schema(v) } else { v.clone() });
                    }
                    "allOf" | "anyOf" | "oneOf" => {
                        let list = v
                            .as_array()
                            .map(|a| a.iter().map(schema).collect())
                            .unwrap_or_default();
                        out.insert(k.clone(), Value::Array(list));
                    }
                    _ => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn operation(
    op: &Value,
    path_params: &[Value],
    shared_params: &Value,
    consumes: &[String],
    produces: &[String],
) -> Value {
    let consumes = op
        .get("consumes")
        .map(|c| strings(Some(c)))
        .unwrap_or_else(|| consumes.to_vec());
    let produces = op
        .get("produces")
        .map(|p| strings(Some(p)))
        .unwrap_or_else(|| produces.to_vec());
    let own: Vec<Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // Operation parameters override the path's by name and location.
    let key = |p: &Value| {
        let p = resolve_param(p, shared_params);
        (
            p.get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            p.get("in").and_then(Value::as_str).unwrap_or("").to_owned(),
        )
    };
    let inherited = path_params
        .iter()
        .filter(|p| !own.iter().any(|o| key(o) == key(p)));

    let mut out = Map::new();
    for (k, v) in obj(op) {
        match k.as_str() {
            "parameters" | "consumes" | "produces" | "schemes" => {}
            "responses" => {
                out.insert(k.clone(), map_values(v, |r| response(r, &produces)));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    // Non-body parameters: the operation's own (the path item keeps its
    // own); body and form parameters from both join the request body.
    let mut parameters = Vec::new();
    let mut body: Option<&Value> = None;
    let mut form: Vec<&Value> = Vec::new();
    for p in &own {
        let resolved = resolve_param(p, shared_params);
        match resolved.get("in").and_then(Value::as_str) {
            Some("body") => body = Some(resolved),
            Some("formData") => form.push(resolved),
            _ => parameters.push(parameter_or_ref(p)),
        }
    }
    for p in inherited {
        let resolved = resolve_param(p, shared_params);
        match resolved.get("in").and_then(Value::as_str) {
            Some("body") if body.is_none() => body = Some(resolved),
            Some("formData") => form.push(resolved),
            _ => {}
        }
    }
    if !parameters.is_empty() {
        out.insert("parameters".into(), Value::Array(parameters));
    }
    let media_or_json = |list: &[String]| -> Vec<String> {
        if list.is_empty() {
            vec!["application/json".to_owned()]
        } else {
            list.to_vec()
        }
    };
    if let Some(b) = body {
        let content: Map<String, Value> = media_or_json(&consumes)
            .into_iter()
            .map(|m| {
                (
                    m,
                    json!({ "schema": schema(b.get("schema").unwrap_or(&json!({}))) }),
                )
            })
            .collect();
        let mut rb = Map::new();
        if let Some(d) = b.get("description") {
            rb.insert("description".into(), d.clone());
        }
        rb.insert(
            "required".into(),
            json!(b.get("required").and_then(Value::as_bool).unwrap_or(false)),
        );
        rb.insert("content".into(), Value::Object(content));
        out.insert("requestBody".into(), Value::Object(rb));
    } else if !form.is_empty() {
        let has_file = form
            .iter()
            .any(|p| p.get("type").and_then(Value::as_str) == Some("file"));
        let media = if has_file
            || consumes
                .iter()
                .any(|c| c.starts_with("multipart/form-data"))
        {
            "multipart/form-data"
        } else {
            "application/x-www-form-urlencoded"
        };
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut encoding = Map::new();
        for p in &form {
            let name = p
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let converted = parameter(p);
            let s = converted.get("schema").cloned().unwrap_or(json!({}));
            if p.get("required").and_then(Value::as_bool) == Some(true) {
                required.push(json!(name));
            }
            if let (Some(style), Some(explode)) = (converted.get("style"), converted.get("explode"))
            {
                if media == "application/x-www-form-urlencoded" {
                    encoding.insert(name.clone(), json!({ "style": style, "explode": explode }));
                }
            }
            properties.insert(name, s);
        }
        let mut s = Map::new();
        s.insert("type".into(), json!("object"));
        s.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            s.insert("required".into(), Value::Array(required.clone()));
        }
        let mut entry = Map::new();
        entry.insert("schema".into(), Value::Object(s));
        if !encoding.is_empty() {
            entry.insert("encoding".into(), Value::Object(encoding));
        }
        out.insert(
            "requestBody".into(),
            json!({ "required": !required.is_empty(), "content": { media: Value::Object(entry) } }),
        );
    }
    Value::Object(out)
}

/// A 2.0 response as a 3.0 one.
fn response(r: &Value, produces: &[String]) -> Value {
    if r.get("$ref").is_some() {
        return r.clone();
    }
    let mut out = Map::new();
    out.insert(
        "description".into(),
        r.get("description").cloned().unwrap_or(json!("")),
    );
    if let Some(s) = r.get("schema") {
        let media = if produces.is_empty() {
            vec!["application/json".to_owned()]
        } else {
            produces.to_vec()
        };
        let examples = r.get("examples");
        let content: Map<String, Value> = media
            .into_iter()
            .map(|m| {
                let mut entry = Map::new();
                entry.insert("schema".into(), schema(s));
                if let Some(example) = examples.and_then(|e| e.get(&m)) {
                    entry.insert("example".into(), example.clone());
                }
                (m, Value::Object(entry))
            })
            .collect();
        out.insert("content".into(), Value::Object(content));
    }
    if let Some(headers) = r.get("headers") {
        out.insert(
            "headers".into(),
            map_values(headers, |h| {
                let mut h = h.clone();
                let description = h.as_object_mut().and_then(|m| m.remove("description"));
                let mut header = Map::new();
                if let Some(d) = description {
                    header.insert("description".into(), d);
                }
                header.insert("schema".into(), schema(&strip_collection(&h)));
                Value::Object(header)
            }),
        );
    }
    Value::Object(out)
}

fn security_scheme(s: &Value) -> Value {
    match s.get("type").and_then(Value::as_str) {
        Some("basic") => {
            let mut out = json!({ "type": "http", "scheme": "basic" });
            if let Some(d) = s.get("description") {
                out["description"] = d.clone();
            }
            out
        }
        Some("oauth2") => {
            let scopes = s.get("scopes").cloned().unwrap_or(json!({}));
            let flow = s.get("flow").and_then(Value::as_str).unwrap_or("implicit");
            let mut f = Map::new();
            if let Some(u) = s.get("authorizationUrl") {
                f.insert("authorizationUrl".into(), u.clone());
            }
            if let Some(u) = s.get("tokenUrl") {
                f.insert("tokenUrl".into(), u.clone());
            }
            f.insert("scopes".into(), scopes);
            let name = match flow {
                "password" => "password",
                "application" => "clientCredentials",
                "accessCode" => "authorizationCode",
                _ => "implicit",
            };
            json!({ "type": "oauth2", "flows": { name: Value::Object(f) } })
        }
        _ => s.clone(),
    }
}

/// Local references follow the components they point to.
fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref") {
                for (old, new) in [
                    ("#/definitions/", "#/components/schemas/"),
                    ("#/parameters/", "#/components/parameters/"),
                    ("#/responses/", "#/components/responses/"),
                ] {
                    if let Some(rest) = r.strip_prefix(old) {
                        *r = format!("{new}{rest}");
                        break;
                    }
                }
            }
            for child in m.values_mut() {
                rewrite_refs(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_the_parts_that_moved() {
        let old = json!({
            "swagger": "2.0",
            "info": {"title": "t", "version": "1"},
            "host": "api.example.com",
            "basePath": "/v2",
            "schemes": ["https"],
            "consumes": ["application/json"],
            "paths": {
                "/pets": {
                    "get": {
                        "parameters": [
                            {"name": "tags", "in": "query", "type": "array", "items": {"type": "string"}, "collectionFormat": "multi"},
                            {"name": "limit", "in": "query", "type": "integer", "maximum": 100}
                        ],
                        "responses": {"200": {"description": "ok", "schema": {"type": "array", "items": {"$ref": "#/definitions/Pet"}}}}
                    },
                    "post": {
                        "parameters": [{"name": "pet", "in": "body", "required": true, "schema": {"$ref": "#/definitions/Pet"}}],
                        "responses": {"201": {"description": "created"}}
                    }
                },
                "/pets/{id}/photo": {
                    "put": {
                        "consumes": ["multipart/form-data"],
                        "parameters": [
                            {"name": "id", "in": "path", "required": true, "type": "integer"},
                            {"name": "file", "in": "formData", "type": "file", "required": true}
                        ],
                        "responses": {"204": {"description": "stored"}}
                    }
                }
            },
            "definitions": {"Pet": {"type": "object", "x-nullable": true, "properties": {"name": {"type": "string"}}}},
            "securityDefinitions": {"basic": {"type": "basic"}}
        });
        let (new, _) = convert(&old);
        assert_eq!(new["openapi"], "3.0.3");
        assert_eq!(new["servers"][0]["url"], "https://api.example.com/v2");
        let get = &new["paths"]["/pets"]["get"];
        assert_eq!(get["parameters"][0]["style"], "form");
        assert_eq!(get["parameters"][0]["explode"], true);
        assert_eq!(
            get["parameters"][1]["schema"],
            json!({"type": "integer", "maximum": 100})
        );
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"],
            "#/components/schemas/Pet"
        );
        let post = &new["paths"]["/pets"]["post"];
        assert_eq!(post["requestBody"]["required"], true);
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Pet"
        );
        let put = &new["paths"]["/pets/{id}/photo"]["put"];
        assert_eq!(
            put["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]["file"],
            json!({"type": "string", "format": "binary"})
        );
        assert_eq!(put["parameters"][0]["schema"], json!({"type": "integer"}));
        assert_eq!(new["components"]["schemas"]["Pet"]["nullable"], true);
        assert_eq!(
            new["components"]["securitySchemes"]["basic"],
            json!({"type": "http", "scheme": "basic"})
        );
    }
}

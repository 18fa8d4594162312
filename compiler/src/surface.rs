//! The contract surface: a stable, human-readable listing of what the
//! gateway enforces for an API (operations, parameters, bodies, security,
//! limits) and of what it declares but does not enforce (warnings).
//!
//! It is snapshot-tested beside the generated code: a contract change shows
//! up here in words a reviewer can read without knowing Rust.

use std::fmt::Write as _;

use crate::ir::*;
use crate::lower::resolve_alias;

/// Renders the surface of one API.
pub fn render(api: &Api) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "api {}: {} {}", api.name, api.title, api.version);
    let _ = writeln!(out, "  source: {} (OpenAPI {})", api.source, api.openapi);
    let _ = writeln!(
        out,
        "  base path: {}",
        if api.base_path.is_empty() {
            "/"
        } else {
            &api.base_path
        }
    );
    if !api.other_base_paths.is_empty() {
        let _ = writeln!(
            out,
            "  also served at (server variables): {}",
            api.other_base_paths.join(", ")
        );
    }
    if let Some(cors) = &api.cors {
        let _ = writeln!(
            out,
            "  cors: origins {}; headers {}; expose {}; credentials {}; max-age {} s",
            cors.origins.join(", "),
            if cors.allow_headers.is_empty() {
                "(safelisted only)".to_owned()
            } else {
                cors.allow_headers.join(", ")
            },
            if cors.expose_headers.is_empty() {
                "(none)".to_owned()
            } else {
                cors.expose_headers.join(", ")
            },
            cors.credentials,
            cors.max_age
        );
    }
    for scheme in &api.security_schemes {
        let _ = writeln!(
            out,
            "  security scheme: {} ({})",
            scheme.name,
            scheme.kind.describe()
        );
    }
    for op in &api.operations {
        let _ = writeln!(out, "\n{} {}  [{}]", op.method.as_str(), op.template, op.id);
        for p in &op.parameters {
            let default_style = p.style == p.location.default_style();
            let shape = match &p.shape {
                Shape::Primitive(_) if default_style => String::new(),
                Shape::Array(_)
                    if default_style && p.location == ParamLocation::Query && p.explode =>
                {
                    " (repeated)".to_owned()
                }
                Shape::Array(_) if default_style => " (comma-separated)".to_owned(),
                Shape::Opaque => " (not read: no defined serialisation, presence only)".to_owned(),
                Shape::Content(kind) => format!(
                    " (content, {})",
                    match kind {
                        ContentKind::Json => "JSON",
                        ContentKind::Text => "text",
                    }
                ),
                _ => format!(
                    " (style {}{})",
                    p.style.as_str(),
                    if p.explode { ", exploded" } else { "" }
                ),
            };
            let empty = if p.allow_empty {
                ", empty value allowed"
            } else {
                ""
            };
            let reserved = if p.allow_reserved {
                ", reserved characters allowed"
            } else {
                ""
            };
            let shape = format!("{shape}{empty}{reserved}");
            let _ = writeln!(
                out,
                "  {:<6} {} {}{}: {}",
                p.location.as_str(),
                p.name,
                if p.required { "required" } else { "optional" },
                shape,
                describe(api, p.schema)
            );
        }
        match &op.body {
            None => {
                let _ = writeln!(out, "  body: none");
            }
            Some(b) => {
                let _ = writeln!(
                    out,
                    "  body: {}",
                    if b.required { "required" } else { "optional" }
                );
                for m in &b.media {
                    let check = match &m.check {
                        BodyCheck::Json(id) => format!("JSON, {}", describe(api, *id)),
                        BodyCheck::Text(id) => format!("text, {}", describe(api, *id)),
                        BodyCheck::Form(form) => format!(
                            "form fields ({}), {}",
                            form.fields
                                .iter()
                                .map(|f| if f.style == Style::Form && f.explode {
                                    f.name.clone()
                                } else {
                                    format!(
                                        "{} {}{}",
                                        f.name,
                                        f.style.as_str(),
                                        if f.explode { " exploded" } else { "" }
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(", "),
                            describe(api, form.schema)
                        ),
                        BodyCheck::Multipart(multipart) => format!(
                            "multipart parts ({}), {}",
                            multipart
                                .fields
                                .iter()
                                .map(|f| match &f.part {
                                    PartKind::Value(_) => f.name.clone(),
                                    PartKind::Json => format!("{} JSON", f.name),
                                    PartKind::File {
                                        max_bytes,
                                        content_types,
                                        many,
                                    } => format!(
                                        "{} file{}{}{}",
                                        f.name,
                                        if *many { "s" } else { "" },
                                        max_bytes.map(|n| format!(" ≤ {n} B")).unwrap_or_default(),
                                        if content_types.is_empty() {
                                            String::new()
                                        } else {
                                            format!(" {}", content_types.join("|"))
                                        }
                                    ),
                                })
                                .collect::<Vec<_>>()
                                .join(", "),
                            describe(api, multipart.schema)
                        ),
                        BodyCheck::SizeOnly => "NOT VALIDATED (size limit only)".to_owned(),
                    };
                    let _ = writeln!(out, "    {}: {}", m.range, check);
                }
            }
        }
        let security = if op.security.is_empty() {
            "none (public)".to_owned()
        } else {
            op.security
                .iter()
                .map(|r| {
                    if r.schemes.is_empty() {
                        return "anonymous".to_owned();
                    }
                    r.schemes
                        .iter()
                        .map(|(i, s)| {
                            let n = &api.security_schemes[*i].name;
                            if s.is_empty() {
                                n.clone()
                            } else {
                                format!("{n}[{}]", s.join(" "))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" AND ")
                })
                .collect::<Vec<_>>()
                .join(" OR ")
        };
        let _ = writeln!(out, "  security: {security}");
        let _ = writeln!(
            out,
            "  limits: body ≤ {} bytes, JSON depth ≤ {}",
            op.limits.max_body_bytes, op.limits.max_json_depth
        );
        let _ = writeln!(
            out,
            "  mock: {} {}",
            op.mock.status,
            op.mock.content_type.as_deref().unwrap_or("(empty)")
        );
    }
    if !api.warnings.is_empty() {
        let _ = writeln!(out, "\nwarnings (declared, not enforced):");
        for w in &api.warnings {
            let _ = writeln!(out, "  {}", w);
        }
    }
    out
}

/// A one-line summary of a schema's top-level constraints.
fn describe(api: &Api, id: SchemaId) -> String {
    let id = resolve_alias(&api.schemas, id);
    let s = &api.schemas[id.0];
    if let Some(name) = &s.name {
        return format!("schema {name}");
    }
    if let Some(always) = s.always {
        return if always {
            "any value".to_owned()
        } else {
            "no value".to_owned()
        };
    }
    let mut parts = Vec::new();
    if let Some(r) = s.reference {
        parts.push(describe(api, r));
    }
    if let Some(types) = &s.types {
        parts.push(
            types
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
        );
    }
    if let Some(items) = s.items {
        parts.push(format!("items: {}", describe(api, items)));
    }
    if let Some(f) = s.format {
        parts.push(format!("format {}", f.as_str()));
    }
    if let Some(values) = &s.enumeration {
        parts.push(format!(
            "one of {}",
            values
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(c) = &s.constant {
        parts.push(format!("= {c}"));
    }
    for (b, op) in [
        (&s.minimum, "≥"),
        (&s.exclusive_minimum, ">"),
        (&s.maximum, "≤"),
        (&s.exclusive_maximum, "<"),
    ] {
        if let Some(b) = b {
            parts.push(format!("{op} {}", b.text));
        }
    }
    if let Some(m) = &s.multiple_of {
        parts.push(format!("multiple of {}", m.text));
    }
    if let Some(n) = s.min_length {
        parts.push(format!("length ≥ {n}"));
    }
    if let Some(n) = s.max_length {
        parts.push(format!("length ≤ {n}"));
    }
    if let Some(p) = &s.pattern {
        parts.push(format!("pattern {}", p.source));
    }
    if let Some(n) = s.min_items {
        parts.push(format!("items ≥ {n}"));
    }
    if let Some(n) = s.max_items {
        parts.push(format!("items ≤ {n}"));
    }
    if s.unique_items {
        parts.push("unique items".to_owned());
    }
    if !s.properties.is_empty() {
        parts.push(format!(
            "properties {}",
            s.properties
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !s.required.is_empty() {
        parts.push(format!("required {}", s.required.join(", ")));
    }
    for (list, name) in [
        (&s.all_of, "allOf"),
        (&s.any_of, "anyOf"),
        (&s.one_of, "oneOf"),
    ] {
        if !list.is_empty() {
            parts.push(format!(
                "{name} [{}]",
                list.iter()
                    .map(|i| describe(api, *i))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }
    if parts.is_empty() {
        return match &s.origin {
            Some(o) => format!("inline schema at #{}", o.pointer),
            None => "any value".to_owned(),
        };
    }
    parts.join(", ")
}

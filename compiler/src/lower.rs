//! Lowering: from OpenAPI documents (3.0 or 3.1, any number of files) to
//! the version-independent IR.
//!
//! Schemas are lowered from the raw JSON value, keyword by keyword, so that
//! nothing is lost: every key of a schema is either understood, a known
//! annotation, an extension, or an error. OpenAPI 3.0 schemas are normalised
//! here (`nullable`, boolean `exclusiveMinimum`/`exclusiveMaximum`, `$ref`
//! replacing its siblings).

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;

use crate::diag::{Diagnostic, Severity};
use crate::ir::*;
use crate::mock;
use crate::pattern;
use crate::resolve::{Loc, Node, Workspace};

/// The two schema dialects the compiler reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAPI 3.0: an extended subset of JSON Schema draft 4/5.
    OpenApi30,
    /// OpenAPI 3.1: JSON Schema 2020-12.
    OpenApi31,
}

/// Lowers the API whose root document is `file`; returns it with its
/// diagnostics (warnings included). `None` when the document could not be
/// read at all.
/// `allowed` is what the build lets pass unenforced; the document may
/// allow more (`x-douane-allow-unenforced`).
pub fn lower_api(
    ws: &mut Workspace<'_>,
    name: &str,
    file: &str,
    allowed: Unenforced,
) -> (Option<Api>, Vec<Diagnostic>) {
    let mut cx = Lowerer {
        ws,
        unenforced: allowed,
        root: None,
        dialect: Dialect::OpenApi30,
        oas32: false,
        assert_formats: true,
        diags: Vec::new(),
        schemas: Vec::new(),
        schema_ids: HashMap::new(),
        security_schemes: Vec::new(),
        unenforceable_schemes: Vec::new(),
    };
    let api = cx.api(name, file);
    (api, cx.diags)
}

/// How a standalone schema is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaOptions {
    pub dialect: Dialect,
    /// Whether `format` is asserted (always in requests; JSON Schema 2020-12
    /// makes it an annotation by default, which its test suite expects).
    pub assert_formats: bool,
}

/// Lowers a standalone JSON Schema (the node at `root`) in the given
/// dialect: for the conformance suite, benchmarks and fuzzing, which
/// validate schemas outside any OpenAPI document. Returns the schema arena
/// and the root's id.
pub fn lower_schema(
    ws: &mut Workspace<'_>,
    root: &Loc,
    options: &SchemaOptions,
) -> (Option<(Vec<Schema>, SchemaId)>, Vec<Diagnostic>) {
    let mut cx = Lowerer {
        ws,
        unenforced: Unenforced::default(),
        root: Some(root.clone()),
        dialect: options.dialect,
        oas32: false,
        assert_formats: options.assert_formats,
        diags: Vec::new(),
        schemas: Vec::new(),
        schema_ids: HashMap::new(),
        security_schemes: Vec::new(),
        unenforceable_schemes: Vec::new(),
    };
    let node = match cx.ws.node(root) {
        Ok(node) => node,
        Err(e) => {
            cx.error(root, e);
            return (None, cx.diags);
        }
    };
    let id = cx.schema(&node);
    (Some((cx.schemas, id)), cx.diags)
}

struct Lowerer<'w, 'r> {
    ws: &'w mut Workspace<'r>,
    /// What may pass unenforced instead of failing the build.
    unenforced: Unenforced,
    /// The schema compilation starts from, when standalone: the first
    /// resource of every dynamic scope.
    root: Option<Loc>,
    dialect: Dialect,
    /// OpenAPI 3.2 (`query` operations, `additionalOperations`,
    /// `in: querystring`).
    oas32: bool,
    assert_formats: bool,
    diags: Vec<Diagnostic>,
    schemas: Vec<Schema>,
    schema_ids: HashMap<Loc, SchemaId>,
    /// The current document's `components/securitySchemes`, which security
    /// requirements name.
    security_schemes: Vec<SecurityScheme>,
    /// Declared schemes the gateway cannot enforce, with the reason: an
    /// error only where a requirement names them.
    unenforceable_schemes: Vec<(String, String)>,
}

/// Keys of an Operation Object that do not affect what a request may be.
const OPERATION_DOC_KEYS: &[&str] = &[
    "tags",
    "summary",
    "description",
    "externalDocs",
    "deprecated",
    "callbacks",
    "responses",
    "operationId",
];

/// Schema keywords that only annotate (never constrain a request).
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "default",
    "example",
    "examples",
    "deprecated",
    "xml",
    "externalDocs",
    "$comment",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
    "$defs",
    "definitions",
];

impl Lowerer<'_, '_> {
    fn diag(&mut self, severity: Severity, loc: &Loc, message: impl Into<String>) {
        let line = self.ws.line(loc);
        self.diags.push(Diagnostic {
            severity,
            file: loc.file.to_string(),
            line,
            pointer: loc.pointer.clone(),
            message: message.into(),
        });
    }

    fn error(&mut self, loc: &Loc, message: impl Into<String>) {
        self.diag(Severity::Error, loc, message);
    }

    fn warn(&mut self, loc: &Loc, message: impl Into<String>) {
        self.diag(Severity::Warning, loc, message);
    }

    /// A constraint the gateway cannot enforce as written: a warning saying
    /// it is not enforced when `kind` is allowed to pass (see
    /// [`Unenforced`]), otherwise an error saying how to allow it. Returns
    /// whether it is allowed.
    fn unenforceable(&mut self, kind: &str, loc: &Loc, message: impl Into<String>) -> bool {
        let message = message.into();
        let allowed = match kind {
            "parameter-serialisation" => self.unenforced.serialisation,
            "pattern" => self.unenforced.pattern,
            "request-body" => self.unenforced.request_body,
            _ => unreachable!("unknown kind {kind}"),
        };
        if allowed {
            self.warn(loc, format!("{message}: not enforced (allowed: {kind})"));
        } else {
            self.error(
                loc,
                format!(
                    "{message} (to let it pass unenforced: x-douane-allow-unenforced: [{kind}])"
                ),
            );
        }
        allowed
    }

    /// `x-douane-allow-unenforced` at the document's root: a list of kinds.
    fn allow_unenforced(&mut self, root: &Node) {
        let Some(node) = root.child("x-douane-allow-unenforced") else {
            return;
        };
        let kinds: Option<Vec<String>> = node
            .value()
            .as_array()
            .and_then(|a| a.iter().map(|k| k.as_str().map(str::to_owned)).collect());
        let parsed = kinds
            .ok_or_else(|| {
                format!(
                    "must be a list of kinds (known: all, {})",
                    Unenforced::KINDS.join(", ")
                )
            })
            .and_then(|k| Unenforced::parse(&k.join(",")));
        match parsed {
            Ok(allowed) => self.unenforced = self.unenforced.union(allowed),
            Err(e) => self.error(&node.loc, format!("x-douane-allow-unenforced: {e}")),
        }
    }

    fn api(&mut self, name: &str, file: &str) -> Option<Api> {
        let doc = match self.ws.load(file) {
            Ok(doc) => doc,
            Err(d) => {
                self.diags.push(d);
                return None;
            }
        };
        let root = Node {
            doc,
            loc: Loc {
                file: Rc::from(file),
                pointer: String::new(),
            },
        };
        let openapi = self.version(&root)?;
        self.allow_unenforced(&root);

        let info = root.value().get("info");
        let text = |key: &str| {
            info.and_then(|i| i.get(key))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let (title, version) = (text("title"), text("version"));
        let base_path = root
            .child("servers")
            .map(|s| self.server_path(&s))
            .unwrap_or_default();
        let alternate_base_paths = root
            .child("servers")
            .map(|s| self.server_alternates(&s, &base_path))
            .unwrap_or_default();
        let base_path_line = self
            .ws
            .line(&root.loc.child("servers").index(0).child("url"));
        self.unenforceable_schemes.clear();
        self.security_schemes = self.security_schemes(&root);
        let default_security = root.child("security").map(|s| self.security(&s));
        let default_limits = self.limits(&root, Limits::default());
        let cors = root.child("x-douane-cors").and_then(|c| self.cors(&c));

        let mut operations: Vec<(Operation, Option<String>)> = Vec::new();
        if let Some(paths) = root.child("paths") {
            let keys: Vec<String> = match paths.value().as_object() {
                Some(map) => map.keys().cloned().collect(),
                None => {
                    self.error(&paths.loc, "paths must be an object");
                    Vec::new()
                }
            };
            for template in keys {
                if template.starts_with("x-") {
                    continue;
                }
                let item = paths.child(&template).expect("key listed above");
                self.path_item(
                    &template,
                    &item,
                    &default_security,
                    default_limits,
                    &mut operations,
                );
            }
        }
        if let Some(n) = root.child("jsonSchemaDialect") {
            let v = n.value().as_str().unwrap_or("");
            if v != "https://spec.openapis.org/oas/3.1/dialect/base" {
                self.error(
                    &n.loc,
                    format!("jsonSchemaDialect \"{v}\" is not supported"),
                );
            }
        }
        let document_base_path = base_path.clone();
        let (base_path, operations) = fold_server_paths(base_path, operations);
        // Per-path servers moved the base: the alternatives no longer apply.
        let other_base_paths = if base_path == document_base_path {
            alternate_base_paths
        } else {
            Vec::new()
        };
        let path_items = group_path_items(&operations);
        Some(Api {
            name: name.to_owned(),
            source: file.to_owned(),
            openapi,
            title,
            version,
            base_path,
            other_base_paths,
            base_path_line,
            security_schemes: std::mem::take(&mut self.security_schemes),
            cors,
            path_items,
            operations,
            unenforced: self.unenforced,
            schemas: std::mem::take(&mut self.schemas),
            warnings: Vec::new(),
        })
    }

    /// Reads the `openapi` field first and refuses what is not 3.0 or 3.1.
    fn version(&mut self, root: &Node) -> Option<String> {
        let loc = root.loc.child("openapi");
        match root.value().get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0.") => {
                self.dialect = Dialect::OpenApi30;
                Some(v.to_owned())
            }
            Some(v) if v.starts_with("3.1.") || v.starts_with("3.2.") => {
                // 3.2 keeps 3.1's schema dialect (JSON Schema 2020-12).
                self.dialect = Dialect::OpenApi31;
                self.oas32 = v.starts_with("3.2.");
                Some(v.to_owned())
            }
            Some(v) => {
                self.error(
                    &loc,
                    format!("OpenAPI {v} is not supported (only 3.0.x, 3.1.x and 3.2.x)"),
                );
                None
            }
            None if root.value().get("swagger").is_some() => {
                let loc = root.loc.child("swagger");
                let v = root
                    .value()
                    .get("swagger")
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .unwrap_or_default();
                self.error(
                    &loc,
                    format!(
                        "Swagger {v} is not supported (only Swagger 2.0, OpenAPI 3.0.x and 3.1.x)"
                    ),
                );
                None
            }
            None => {
                self.error(&root.loc, "not an OpenAPI document: no \"openapi\" field");
                None
            }
        }
    }

    /// `x-douane-cors: {origins: [...], headers: [...], expose: [...],
    /// credentials: bool, max-age: seconds}`.
    fn cors(&mut self, node: &Node) -> Option<Cors> {
        let Some(map) = node.value().as_object() else {
            self.error(&node.loc, "x-douane-cors must be an object with origins");
            return None;
        };
        let mut cors = Cors {
            origins: Vec::new(),
            allow_headers: Vec::new(),
            expose_headers: Vec::new(),
            credentials: false,
            max_age: 600,
        };
        let mut ok = true;
        for (key, value) in map {
            let loc = node.loc.child(key);
            let strings = |v: &Value| -> Option<Vec<String>> {
                v.as_array()?
                    .iter()
                    .map(|s| s.as_str().map(str::to_owned))
                    .collect()
            };
            match key.as_str() {
                "origins" => match strings(value).filter(|o| !o.is_empty()) {
                    Some(origins) => {
                        for origin in &origins {
                            let valid = origin == "*"
                                || origin.split_once("://").is_some_and(|(scheme, host)| {
                                    (scheme == "https" || scheme == "http")
                                        && !host.is_empty()
                                        && !host.contains(['/', '?', '#', '*'])
                                });
                            if !valid {
                                self.error(&loc, format!("CORS origin \"{origin}\" must be \"*\" or scheme://host[:port], without path"));
                                ok = false;
                            }
                        }
                        cors.origins = origins;
                    }
                    None => {
                        self.error(&loc, "origins must be a non-empty list of strings");
                        ok = false;
                    }
                },
                "headers" | "expose" => match strings(value) {
                    Some(list) => {
                        let list = list.iter().map(|h| h.to_ascii_lowercase()).collect();
                        if key == "headers" {
                            cors.allow_headers = list;
                        } else {
                            cors.expose_headers = list;
                        }
                    }
                    None => {
                        self.error(&loc, format!("{key} must be a list of header names"));
                        ok = false;
                    }
                },
                "credentials" => match value.as_bool() {
                    Some(b) => cors.credentials = b,
                    None => {
                        self.error(&loc, "credentials must be true or false");
                        ok = false;
                    }
                },
                "max-age" => match value.as_u64().filter(|n| *n <= 86_400) {
                    Some(n) => cors.max_age = n as u32,
                    None => {
                        self.error(&loc, "max-age must be a number of seconds up to 86400");
                        ok = false;
                    }
                },
                other => {
                    self.error(&loc, format!("unknown x-douane-cors field \"{other}\""));
                    ok = false;
                }
            }
        }
        if cors.origins.is_empty() && ok {
            self.error(&node.loc, "x-douane-cors needs origins");
            ok = false;
        }
        if cors.credentials && cors.origins.iter().any(|o| o == "*") {
            self.error(&node.loc, "x-douane-cors: credentials cannot be allowed for any origin (\"*\"); list the origins");
            ok = false;
        }
        ok.then_some(cors)
    }

    /// The path of the first URL of a `servers` list, server variables
    /// replaced by their defaults (`""` for the root or an empty list).
    fn server_path(&mut self, servers: &Node) -> String {
        let Some(server) = servers.item(0) else {
            return String::new();
        };
        let Some(url) = server.value().get("url").and_then(Value::as_str) else {
            self.error(&server.loc, "server has no url");
            return String::new();
        };
        let mut url = url.to_owned();
        if let Some(vars) = server.value().get("variables").and_then(Value::as_object) {
            for (name, var) in vars {
                let default = var.get("default").and_then(Value::as_str).unwrap_or("");
                url = url.replace(&format!("{{{name}}}"), default);
            }
        }
        let path = base_path_of(&url);
        if path.contains('{') {
            self.error(
                &server.loc,
                format!("server url path \"{path}\" has a variable without default"),
            );
        }
        path
    }

    /// The other base paths the first server's variables allow: every
    /// combination of the `enum` values of the variables in its path (the
    /// host's do not change the path), `default` first; at most
    /// [`MAX_BASE_PATHS`], beyond which only the default is served.
    fn server_alternates(&mut self, servers: &Node, default: &str) -> Vec<String> {
        let Some(server) = servers.item(0) else {
            return Vec::new();
        };
        let value = server.value();
        let (Some(url), Some(vars)) = (
            value.get("url").and_then(Value::as_str),
            value.get("variables").and_then(Value::as_object),
        ) else {
            return Vec::new();
        };
        let path_start = match url.split_once("://") {
            Some((scheme, rest)) => scheme.len() + 3 + rest.find('/').unwrap_or(rest.len()),
            None => 0,
        };
        let mut urls = vec![url.to_owned()];
        for (name, var) in vars {
            let placeholder = format!("{{{name}}}");
            let default_value = var.get("default").and_then(Value::as_str).unwrap_or("");
            let in_path = url[path_start..].contains(&placeholder);
            let values: Vec<&str> = match var.get("enum").and_then(Value::as_array) {
                Some(values) if in_path => values.iter().filter_map(Value::as_str).collect(),
                _ => vec![default_value],
            };
            urls = urls
                .iter()
                .flat_map(|u| {
                    let placeholder = &placeholder;
                    values.iter().map(move |v| u.replace(placeholder, v))
                })
                .collect();
            if urls.len() > MAX_BASE_PATHS {
                self.warn(
                    &server.loc,
                    format!("server variables give more than {MAX_BASE_PATHS} base paths: only the default one is served"),
                );
                return Vec::new();
            }
        }
        let mut paths: Vec<String> = Vec::new();
        for url in urls {
            let path = base_path_of(&url);
            if path != default && !path.contains('{') && !paths.contains(&path) {
                paths.push(path);
            }
        }
        paths
    }

    /// Reads `components/securitySchemes`. A scheme the gateway could not
    /// enforce (`http digest`, an `apiKey` without a name...) is an error
    /// where an operation requires it, since serving it open would be
    /// failing open; unused, it is only listed.
    fn security_schemes(&mut self, root: &Node) -> Vec<SecurityScheme> {
        let Some(schemes) = root
            .child("components")
            .and_then(|c| c.child("securitySchemes"))
        else {
            return Vec::new();
        };
        let names: Vec<String> = schemes
            .value()
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for name in names {
            let loc = schemes.loc.child(&name);
            let node = match self.ws.deref(&loc) {
                Ok(n) => n,
                Err(e) => {
                    self.error(&loc, e);
                    continue;
                }
            };
            match scheme_kind(node.value()) {
                Ok(kind) => out.push(SecurityScheme { name, kind }),
                Err(why) => {
                    self.unenforceable_schemes.push((name, why));
                }
            }
        }
        out
    }

    /// A `security` array: an OR of requirements, each an AND of schemes
    /// with their scopes (roles for non-OAuth schemes, OpenAPI 3.1).
    fn security(&mut self, node: &Node) -> Vec<SecurityRequirement> {
        let Some(items) = node.value().as_array() else {
            self.error(&node.loc, "security must be an array of requirements");
            return Vec::new();
        };
        let mut requirements = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let loc = node.loc.child(&i.to_string());
            let Some(req) = item.as_object() else {
                self.error(&loc, "a security requirement must be an object");
                continue;
            };
            let mut schemes = Vec::new();
            for (name, scopes) in req {
                let scheme_loc = loc.child(name);
                let Some(index) = self.security_schemes.iter().position(|s| &s.name == name) else {
                    let message = match self.unenforceable_schemes.iter().find(|(n, _)| n == name) {
                        Some((_, why)) => format!(
                            "security scheme \"{name}\" cannot be enforced: {why}; the build refuses rather than serve the operation unauthenticated"
                        ),
                        None => format!(
                            "security requirement names \"{name}\", which components/securitySchemes does not declare"
                        ),
                    };
                    self.error(&scheme_loc, message);
                    continue;
                };
                let Some(scopes) = scopes.as_array() else {
                    self.error(&scheme_loc, "scopes must be an array of strings");
                    continue;
                };
                let mut names = Vec::new();
                for scope in scopes {
                    match scope.as_str() {
                        Some(s) if !s.is_empty() && !s.contains(' ') => names.push(s.to_owned()),
                        _ => self.error(
                            &scheme_loc,
                            "a scope must be a non-empty string without spaces",
                        ),
                    }
                }
                if let SchemeKind::OAuth2 { scopes: declared } =
                    self.security_schemes[index].kind.clone()
                {
                    for scope in &names {
                        if !declared.contains(scope) {
                            self.warn(&scheme_loc, format!("scope \"{scope}\" is not declared by any flow of oauth2 scheme \"{name}\""));
                        }
                    }
                }
                schemes.push((index, names));
            }
            requirements.push(SecurityRequirement { schemes });
        }
        requirements
    }

    /// Reads `x-douane-*` annotations of a document or operation, starting
    /// from the enclosing limits; an unknown `x-douane-` key is an error
    /// (a typo must not silently drop a limit).
    fn limits(&mut self, node: &Node, mut limits: Limits) -> Limits {
        let Some(map) = node.value().as_object() else {
            return limits;
        };
        let keys: Vec<String> = map
            .keys()
            .filter(|k| k.starts_with("x-douane-"))
            .cloned()
            .collect();
        for key in keys {
            let loc = node.loc.child(&key);
            let value = &map[&key];
            match key.as_str() {
                "x-douane-max-body-size" => match parse_size(value) {
                    Some(n) => limits.max_body_bytes = n,
                    None => self.error(&loc, "x-douane-max-body-size must be a byte count such as 65536, \"512 KiB\" or \"2 MiB\""),
                },
                "x-douane-max-json-depth" => match value.as_u64().filter(|n| (1..=1024).contains(n)) {
                    Some(n) => limits.max_json_depth = n as u32,
                    None => self.error(&loc, "x-douane-max-json-depth must be an integer between 1 and 1024"),
                },
                "x-douane-unknown-query-parameters" => match value.as_str() {
                    Some("reject") => limits.reject_unknown_query = true,
                    Some("forward") => limits.reject_unknown_query = false,
                    _ => self.error(&loc, "x-douane-unknown-query-parameters must be \"reject\" or \"forward\""),
                },
                // Read by `cors` and `allow_unenforced`, for the whole
                // document only.
                "x-douane-cors" | "x-douane-allow-unenforced" if node.loc.pointer.is_empty() => {}
                "x-douane-cors" | "x-douane-allow-unenforced" => self.error(&loc, format!("{key} applies to a whole API: put it at the document's top level")),
                other => self.error(&loc, format!("unknown annotation \"{other}\"")),
            }
        }
        limits
    }

    fn path_item(
        &mut self,
        template: &str,
        item: &Node,
        default_security: &Option<Vec<SecurityRequirement>>,
        limits: Limits,
        operations: &mut Vec<(Operation, Option<String>)>,
    ) {
        let item = match self.ws.deref(&item.loc) {
            Ok(n) => n,
            Err(e) => return self.error(&item.loc, e),
        };
        let Some(map) = item.value().as_object() else {
            return self.error(&item.loc, "path item must be an object");
        };
        // `/things?op=list`, `/#Action=Describe`: a query discriminator.
        let written = template;
        let (template, discriminator) = match template.find(['?', '#']) {
            None => (template, Vec::new()),
            Some(at) => {
                let mut pairs = Vec::new();
                for pair in template[at + 1..].split('&').filter(|p| !p.is_empty()) {
                    // `?uploads` (S3 style): the key must be present.
                    match pair.split_once('=').unwrap_or((pair, "")) {
                        (k, v) if !k.is_empty() => pairs.push((k.to_owned(), v.to_owned())),
                        _ => {
                            return self.error(
                                &item.loc,
                                format!("path \"{template}\": the part after ? or # must be key=value pairs or keys"),
                            );
                        }
                    }
                }
                (&template[..at], pairs)
            }
        };
        let segments = match parse_template(template) {
            Ok(s) => s,
            Err(e) => return self.error(&item.loc, e),
        };
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in &keys {
            let known = Method::ALL.iter().any(|(_, m)| m == key)
                || matches!(key.as_str(), "summary" | "description" | "parameters")
                || key.starts_with("x-");
            if (key == "query" || key == "additionalOperations") && !self.oas32 {
                self.error(
                    &item.loc.child(key),
                    format!("\"{key}\" is an OpenAPI 3.2 field; this document declares an earlier version"),
                );
            } else if !known && key != "servers" && key != "additionalOperations" {
                self.error(
                    &item.loc.child(key),
                    format!("unsupported path item field \"{key}\""),
                );
            }
        }
        if map.keys().any(|k| k.starts_with("x-douane-")) {
            self.error(
                &item.loc,
                "x-douane- annotations go on the document or on an operation, not on a path item",
            );
        }
        let shared_params = item.child("parameters");
        let path_servers = item.child("servers").map(|s| self.server_path(&s));
        // Fixed fields, then 3.2's `additionalOperations` (keyed by the
        // method as sent: `QUERY`...; methods with a fixed field go there).
        let mut declared: Vec<(Method, Node)> = Method::ALL
            .iter()
            .filter_map(|(m, key)| item.child(key).map(|op| (*m, op)))
            .collect();
        if let (true, Some(extra)) = (self.oas32, item.child("additionalOperations")) {
            let names: Vec<String> = extra
                .value()
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            for name in names {
                let op = extra.child(&name).expect("listed key");
                let token = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
                if Method::ALL
                    .iter()
                    .any(|(m, _)| m.as_str().eq_ignore_ascii_case(&name))
                {
                    self.error(
                        &op.loc,
                        format!("{name} has a fixed field on the path item; it does not go in additionalOperations"),
                    );
                } else if !token {
                    self.error(&op.loc, format!("\"{name}\" is not an HTTP method name"));
                } else {
                    // Interned for the life of the build (a handful of names).
                    let name: &'static str = Box::leak(name.into_boxed_str());
                    declared.push((Method::Extension(name), op));
                }
            }
        }
        for (method, op) in declared {
            // Some contracts keep each operation in its own file
            // (`get: {$ref: resources/x.yml}`, DigitalOcean's): followed.
            let op = match self.ws.deref(&op.loc) {
                Ok(op) => op,
                Err(e) => {
                    self.error(&op.loc, e);
                    continue;
                }
            };
            // Operation-level servers override the path's, which override
            // the document's.
            let servers = op
                .child("servers")
                .map(|s| self.server_path(&s))
                .or_else(|| path_servers.clone());
            if let Some(mut op) = self.operation(
                method,
                template,
                &segments,
                &op,
                shared_params.as_ref(),
                default_security,
                limits,
            ) {
                if !discriminator.is_empty() {
                    if op.id == format!("{} {template}", method.as_str()) {
                        op.id = format!("{} {written}", method.as_str());
                    }
                    op.discriminator = discriminator.clone();
                }
                operations.push((op, servers));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &mut self,
        method: Method,
        template: &str,
        segments: &[Segment],
        node: &Node,
        shared_params: Option<&Node>,
        default_security: &Option<Vec<SecurityRequirement>>,
        limits: Limits,
    ) -> Option<Operation> {
        let Some(map) = node.value().as_object() else {
            self.error(&node.loc, "operation must be an object");
            return None;
        };
        for key in map.keys() {
            let known = OPERATION_DOC_KEYS.contains(&key.as_str())
                || matches!(key.as_str(), "parameters" | "requestBody" | "security")
                || key.starts_with("x-");
            if !known && key != "servers" {
                self.error(
                    &node.loc.child(key),
                    format!("unsupported operation field \"{key}\""),
                );
            }
        }
        let id = map
            .get("operationId")
            .and_then(Value::as_str)
            .map_or_else(|| format!("{} {template}", method.as_str()), str::to_owned);

        let parameters = self.parameters(
            segments,
            shared_params,
            node.child("parameters").as_ref(),
            &node.loc,
        );
        let body = node
            .child("requestBody")
            .and_then(|b| self.request_body(&b));
        let security = match node.child("security") {
            Some(s) => self.security(&s),
            None => default_security.clone().unwrap_or_default(),
        };
        let limits = self.limits(node, limits);
        let mock = mock::response(self.ws, node);
        Some(Operation {
            id,
            method,
            template: template.to_owned(),
            discriminator: Vec::new(),
            parameters,
            body,
            security,
            limits,
            mock,
            origin: Origin {
                file: node.loc.file.to_string(),
                pointer: node.loc.pointer.clone(),
                line: self.ws.line(&node.loc),
            },
        })
    }

    /// Path-level then operation-level parameters (the latter override the
    /// former by name and location).
    fn parameters(
        &mut self,
        segments: &[Segment],
        shared: Option<&Node>,
        own: Option<&Node>,
        op_loc: &Loc,
    ) -> Vec<Parameter> {
        let mut params: Vec<Parameter> = Vec::new();
        for list in [shared, own].into_iter().flatten() {
            let Some(items) = list.value().as_array() else {
                self.error(&list.loc, "parameters must be an array");
                continue;
            };
            let mut seen_here = Vec::new();
            for i in 0..items.len() {
                let item = list.item(i).expect("index in range");
                let Some(p) = self.parameter(&item, segments) else {
                    continue;
                };
                // Only header names are case-insensitive (RFC 9110); `maxResults`
                // and `MaxResults` are two query parameters.
                let same_name = |a: &str, b: &str, location: ParamLocation| {
                    if location == ParamLocation::Header {
                        a.eq_ignore_ascii_case(b)
                    } else {
                        a == b
                    }
                };
                let key = (
                    if p.location == ParamLocation::Header {
                        p.name.to_ascii_lowercase()
                    } else {
                        p.name.clone()
                    },
                    p.location,
                );
                if seen_here.contains(&key) {
                    self.error(
                        &item.loc,
                        format!(
                            "parameter \"{}\" in {} is declared twice",
                            p.name,
                            p.location.as_str()
                        ),
                    );
                    continue;
                }
                seen_here.push(key);
                params.retain(|q| {
                    !(q.location == p.location && same_name(&q.name, &p.name, p.location))
                });
                params.push(p);
            }
        }
        // Every template parameter must be declared, and only those.
        for seg in segments {
            let names: Vec<(&str, usize)> = match seg {
                Segment::Literal(_) => vec![],
                Segment::Param { name, capture } => vec![(name.as_str(), *capture)],
                Segment::Mixed(pieces) => pieces
                    .iter()
                    .filter_map(|p| match p {
                        Piece::Param { name, capture } => Some((name.as_str(), *capture)),
                        Piece::Literal(_) => None,
                    })
                    .collect(),
            };
            for (name, capture) in names {
                match params
                    .iter_mut()
                    .find(|p| p.location == ParamLocation::Path && p.name == name)
                {
                    Some(p) => p.capture = Some(capture),
                    None => self.error(
                        op_loc,
                        format!("path parameter \"{name}\" is in the template but not declared"),
                    ),
                }
            }
        }
        let undeclared: Vec<String> = params
            .iter()
            .filter(|p| p.location == ParamLocation::Path && p.capture.is_none())
            .map(|p| p.name.clone())
            .collect();
        // Nothing a request carries can be this parameter: the declaration
        // is a mistake of the contract, which constrains nothing.
        for name in undeclared {
            self.warn(
                op_loc,
                format!("path parameter \"{name}\" is declared but not in the template: ignored"),
            );
        }
        params.retain(|p| p.location != ParamLocation::Path || p.capture.is_some());
        // Deterministic order: path, query, header; then declaration order.
        params.sort_by_key(|p| p.location);
        params
    }

    fn parameter(&mut self, at: &Node, _segments: &[Segment]) -> Option<Parameter> {
        let node = match self.ws.deref(&at.loc) {
            Ok(n) => n,
            Err(e) => {
                self.error(&at.loc, e);
                return None;
            }
        };
        let v = node.value();
        let Some(name) = v.get("name").and_then(Value::as_str) else {
            self.error(&node.loc, "parameter has no name");
            return None;
        };
        let location = match v.get("in").and_then(Value::as_str) {
            Some("path") => ParamLocation::Path,
            Some("query") => ParamLocation::Query,
            Some("header") => ParamLocation::Header,
            Some("cookie") => ParamLocation::Cookie,
            Some("querystring") if self.oas32 => ParamLocation::QueryString,
            other => {
                self.error(
                    &node.loc,
                    format!("parameter \"{name}\" has an invalid \"in\": {other:?}"),
                );
                return None;
            }
        };
        if location == ParamLocation::Header
            && ["accept", "content-type", "authorization"]
                .contains(&name.to_ascii_lowercase().as_str())
        {
            self.warn(
                &node.loc,
                format!(
                    "header parameter \"{name}\" is ignored, as the OpenAPI specification says"
                ),
            );
            return None;
        }
        let mut ok = true;
        for (key, value) in v.as_object().into_iter().flatten() {
            let loc = node.loc.child(key);
            match key.as_str() {
                "name" | "in" | "description" | "required" | "deprecated" | "schema"
                | "content" | "example" | "examples" | "style" => {}
                "explode" | "allowReserved" | "allowEmptyValue" if value.is_boolean() => {}
                "explode" | "allowReserved" | "allowEmptyValue" => {
                    self.error(&loc, format!("\"{key}\" must be true or false"));
                    ok = false;
                }
                k if k.starts_with("x-") => {}
                other => {
                    self.error(&loc, format!("unknown parameter field \"{other}\""));
                    ok = false;
                }
            }
        }
        let flag = |key: &str| v.get(key).and_then(Value::as_bool);
        let required = flag("required").unwrap_or(false);
        if location == ParamLocation::Path && !required {
            self.error(
                &node.loc,
                format!("path parameter \"{name}\" must be required: true"),
            );
        }
        let style = match v.get("style") {
            None => location.default_style(),
            Some(value) => match value.as_str().and_then(Style::parse) {
                Some(style) => style,
                None => {
                    self.error(
                        &node.loc.child("style"),
                        format!("unknown style {value} for parameter \"{name}\""),
                    );
                    return None;
                }
            },
        };
        let allowed: &[Style] = match location {
            ParamLocation::Path => &[Style::Simple, Style::Label, Style::Matrix],
            ParamLocation::Query => &[
                Style::Form,
                Style::SpaceDelimited,
                Style::PipeDelimited,
                Style::DeepObject,
            ],
            ParamLocation::Header => &[Style::Simple],
            ParamLocation::Cookie => &[Style::Form],
            ParamLocation::QueryString => &[Style::Form],
        };
        if !allowed.contains(&style) {
            self.error(
                &node.loc.child("style"),
                format!(
                    "style \"{}\" is not defined for {} parameters (allowed: {})",
                    style.as_str(),
                    location.as_str(),
                    allowed
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return None;
        }
        // deepObject has only the exploded form; `explode` defaults to
        // true for `form` alone.
        let explode = style == Style::DeepObject || flag("explode").unwrap_or(style == Style::Form);
        let allow_empty = location == ParamLocation::Query && flag("allowEmptyValue") == Some(true);
        let allow_reserved =
            location == ParamLocation::Query && flag("allowReserved") == Some(true);
        let (schema, shape) = match (node.child("schema"), node.child("content")) {
            (Some(_), Some(content)) => {
                self.error(
                    &content.loc,
                    format!("parameter \"{name}\" has both schema and content; it may have one"),
                );
                return None;
            }
            (None, None) => {
                self.error(&node.loc, format!("parameter \"{name}\" has no schema"));
                return None;
            }
            (Some(schema_node), None) => {
                let schema = self.schema(&schema_node);
                let shape = self.shape(schema, &schema_node.loc, name)?;
                (schema, shape)
            }
            (None, Some(content)) => {
                let media: Vec<String> = content
                    .value()
                    .as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                let [media] = media.as_slice() else {
                    self.error(
                        &content.loc,
                        format!("parameter \"{name}\": content must have exactly one media type"),
                    );
                    return None;
                };
                let entry = content.child(media).expect("listed key");
                let Some(schema_node) = entry.child("schema") else {
                    self.error(
                        &entry.loc,
                        format!("parameter \"{name}\": {media} has no schema"),
                    );
                    return None;
                };
                let essence = media
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                let kind = if essence == "application/json" || essence.ends_with("+json") {
                    ContentKind::Json
                } else {
                    ContentKind::Text
                };
                (self.schema(&schema_node), Shape::Content(kind))
            }
        };
        if location == ParamLocation::QueryString && !matches!(shape, Shape::Content(_)) {
            self.error(
                &node.loc,
                format!("querystring parameter \"{name}\" must be described with content (the whole query string is one document)"),
            );
            return None;
        }
        let defined = match (&shape, style) {
            (Shape::Content(_) | Shape::Opaque, _) => true,
            (
                Shape::Primitive(_),
                Style::SpaceDelimited | Style::PipeDelimited | Style::DeepObject,
            ) => false,
            (Shape::Array(_), Style::DeepObject) => false,
            (_, Style::SpaceDelimited | Style::PipeDelimited) => !explode,
            _ => true,
        };
        let mut shape = shape;
        let mut required = required;
        if !defined {
            let what = match &shape {
                Shape::Primitive(_) => "a primitive",
                Shape::Array(_) => "an array",
                _ => "an object",
            };
            shape = self.opaque(
                &node.loc,
                format!(
                    "parameter \"{name}\": style \"{}\"{} does not define how {what} is serialised",
                    style.as_str(),
                    if explode { " with explode" } else { "" },
                ),
            )?;
        }
        if let (
            Shape::Object(properties, _),
            ParamLocation::Query | ParamLocation::Cookie,
            Style::Form,
            true,
        ) = (&shape, location, style, explode)
        {
            if properties.is_empty() {
                // Its members could be any key: even its presence is unknown.
                shape = self.opaque(
                    &node.loc,
                    format!("parameter \"{name}\": an exploded form object is read from its declared properties, and it declares none (its presence is not checked either)"),
                )?;
                required = false;
            }
        }
        ok.then(|| Parameter {
            name: name.to_owned(),
            location,
            required,
            style,
            explode,
            allow_empty,
            allow_reserved,
            shape,
            schema,
            capture: None,
        })
    }

    /// How the raw string of a parameter is read, from its schema's type.
    fn shape(&mut self, schema: SchemaId, loc: &Loc, name: &str) -> Option<Shape> {
        let kind_of = |types: Option<&Vec<JsonType>>| -> Result<Kind, String> {
            let concrete: Vec<JsonType> = types
                .map(|t| t.iter().copied().filter(|t| *t != JsonType::Null).collect())
                .unwrap_or_default();
            match concrete.as_slice() {
                [] | [JsonType::String] => Ok(Kind::String),
                [JsonType::Integer] => Ok(Kind::Integer),
                [JsonType::Number]
                | [JsonType::Integer, JsonType::Number]
                | [JsonType::Number, JsonType::Integer] => Ok(Kind::Number),
                [JsonType::Boolean] => Ok(Kind::Boolean),
                other => Err(format!("{other:?}")),
            }
        };
        let s = &self.schemas[resolve_alias(&self.schemas, schema).0];
        let types = s.types.clone();
        if types.as_ref().is_some_and(|t| t.contains(&JsonType::Array)) {
            // `null` is never read from a parameter's text: a nullable
            // array is read as an array.
            if types.as_ref().is_some_and(|t| {
                t.iter()
                    .any(|t| !matches!(t, JsonType::Array | JsonType::Null))
            }) {
                return self.opaque(
                    loc,
                    format!("parameter \"{name}\": a type mixing array with others has no defined serialisation"),
                );
            }
            let item_types = s
                .items
                .map(|i| {
                    self.schemas[resolve_alias(&self.schemas, i).0]
                        .types
                        .clone()
                })
                .unwrap_or_default();
            return match kind_of(item_types.as_ref()) {
                Ok(k) => Some(Shape::Array(k)),
                Err(t) => self.opaque(
                    loc,
                    format!("parameter \"{name}\": array items of type {t} have no defined serialisation"),
                ),
            };
        }
        if types
            .as_ref()
            .is_some_and(|t| t.contains(&JsonType::Object))
        {
            if types.as_ref().is_some_and(|t| {
                t.iter()
                    .any(|t| !matches!(t, JsonType::Object | JsonType::Null))
            }) {
                return self.opaque(
                    loc,
                    format!("parameter \"{name}\": a type mixing object with others has no defined serialisation"),
                );
            }
            let member_kind = |this: &Self, id: SchemaId| {
                kind_of(
                    this.schemas[resolve_alias(&this.schemas, id).0]
                        .types
                        .as_ref(),
                )
            };
            let mut properties = Vec::new();
            for (prop, id) in &s.properties {
                match member_kind(self, *id) {
                    Ok(k) => properties.push((prop.clone(), k)),
                    Err(t) => {
                        return self.opaque(
                            loc,
                            format!("parameter \"{name}\": property \"{prop}\" of type {t} has no defined serialisation (only primitives have)"),
                        );
                    }
                }
            }
            let additional = match s.additional_properties {
                None => Kind::String,
                Some(id)
                    if self.schemas[resolve_alias(&self.schemas, id).0]
                        .always
                        .is_some() =>
                {
                    Kind::String
                }
                Some(id) => match member_kind(self, id) {
                    Ok(k) => k,
                    Err(t) => {
                        return self.opaque(
                            loc,
                            format!("parameter \"{name}\": additionalProperties of type {t} have no defined serialisation (only primitives have)"),
                        );
                    }
                },
            };
            return Some(Shape::Object(properties, additional));
        }
        match kind_of(types.as_ref()) {
            Ok(k) => Some(Shape::Primitive(k)),
            Err(t) => self.opaque(
                loc,
                format!("parameter \"{name}\" of type {t} has no defined serialisation (only primitives, arrays and objects of primitives have)"),
            ),
        }
    }

    /// A value whose serialisation OpenAPI leaves undefined: read as
    /// [`Shape::Opaque`] (presence only) where the contract or the build
    /// allows it, refused otherwise.
    fn opaque(&mut self, loc: &Loc, message: String) -> Option<Shape> {
        self.unenforceable("parameter-serialisation", loc, message)
            .then_some(Shape::Opaque)
    }

    /// The schema `{}` (or `true`).
    fn accept_all(&mut self) -> SchemaId {
        self.push_schema(Schema {
            always: Some(true),
            ..Schema::default()
        })
    }

    /// An `application/x-www-form-urlencoded` body: each property of the
    /// schema is a field, serialised as its Encoding Object says (style
    /// `form`, exploded, by default; `contentType: application/json` makes
    /// it a JSON document).
    fn form_body(&mut self, media: &Node, schema_node: Option<&Node>) -> Option<FormBody> {
        let schema = match schema_node {
            Some(s) => self.schema(s),
            None => self.accept_all(),
        };
        let resolved = self.schemas[resolve_alias(&self.schemas, schema).0].clone();
        let encoding = media.child("encoding");
        let mut fields = Vec::new();
        for (name, property) in &resolved.properties {
            let enc = encoding.as_ref().and_then(|e| e.child(name));
            let at = enc.as_ref().map_or(media.loc.clone(), |e| e.loc.clone());
            let get = |key: &str| enc.as_ref().and_then(|e| e.value().get(key).cloned());
            let style = match get("style") {
                None => Style::Form,
                Some(v) => {
                    match v.as_str().and_then(Style::parse) {
                        Some(
                            s @ (Style::Form
                            | Style::SpaceDelimited
                            | Style::PipeDelimited
                            | Style::DeepObject),
                        ) => s,
                        _ => {
                            self.error(&at, format!("form field \"{name}\": style {v} is not defined for form bodies"));
                            return None;
                        }
                    }
                }
            };
            let explode = style == Style::DeepObject
                || get("explode")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(style == Style::Form);
            let allow_reserved = get("allowReserved")
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let json = get("contentType")
                .and_then(|v| v.as_str().map(str::to_ascii_lowercase))
                .is_some_and(|c| is_json(c.split(';').next().unwrap_or("").trim()));
            let shape = if json {
                Shape::Content(ContentKind::Json)
            } else {
                self.shape(*property, &at, name)?
            };
            let defined = matches!(
                (&shape, style, explode),
                (Shape::Content(_) | Shape::Opaque, _, _)
                    | (Shape::Primitive(_) | Shape::Array(_), Style::Form, _)
                    | (
                        Shape::Array(_) | Shape::Object(..),
                        Style::SpaceDelimited | Style::PipeDelimited,
                        false
                    )
                    | (Shape::Object(..), Style::Form, false)
                    | (Shape::Object(..), Style::DeepObject, _)
            );
            let shape = if defined {
                shape
            } else {
                self.opaque(&at, format!(
                    "form field \"{name}\": style \"{}\"{} does not define how this value is serialised in a form body",
                    style.as_str(),
                    if explode { " with explode" } else { "" }
                ))?
            };
            fields.push(FormField {
                name: name.clone(),
                style,
                explode,
                allow_reserved,
                shape,
            });
        }
        let additional = match resolved.additional_properties {
            Some(id) => match self.shape(id, &media.loc, "additionalProperties") {
                Some(Shape::Primitive(k)) => k,
                Some(_) => {
                    self.error(&media.loc, "form body: additionalProperties must be a primitive to be read from a form");
                    return None;
                }
                None => return None,
            },
            None => Kind::String,
        };
        // Fields read as opaque stand in as `null`: their schema accepts it.
        let schema = if fields.iter().any(|f| f.shape == Shape::Opaque) {
            let mut relaxed = resolved;
            for field in fields.iter().filter(|f| f.shape == Shape::Opaque) {
                let accept = self.accept_all();
                if let Some(slot) = relaxed
                    .properties
                    .iter_mut()
                    .find(|(n, _)| *n == field.name)
                {
                    slot.1 = accept;
                }
            }
            relaxed.name = None;
            self.push_schema(relaxed)
        } else {
            schema
        };
        Some(FormBody {
            schema,
            fields,
            additional,
        })
    }

    /// A `multipart/form-data` body: each property of the schema is a part.
    /// Binary strings (`format: binary`/`byte`, `contentMediaType`) and
    /// arrays of them are files; objects, arrays of non-primitives and
    /// parts whose Encoding says JSON are JSON documents; the rest is text.
    fn multipart_body(
        &mut self,
        media: &Node,
        schema_node: Option<&Node>,
    ) -> Option<MultipartBody> {
        let schema = match schema_node {
            Some(s) => self.schema(s),
            None => self.accept_all(),
        };
        let resolved_id = resolve_alias(&self.schemas, schema);
        let mut relaxed = self.schemas[resolved_id.0].clone();
        let raw = schema_node.and_then(|n| self.ws.deref(&n.loc).ok());
        let encoding = media.child("encoding");
        let mut fields = Vec::new();
        let properties = relaxed.properties.clone();
        for (name, property) in &properties {
            let enc = encoding.as_ref().and_then(|e| e.child(name));
            let at = enc.as_ref().map_or(media.loc.clone(), |e| e.loc.clone());
            let content_types: Vec<String> = enc
                .as_ref()
                .and_then(|e| {
                    e.value()
                        .get("contentType")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                })
                .map(|c| {
                    c.split(',')
                        .map(|t| t.trim().to_ascii_lowercase())
                        .filter(|t| !t.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let raw_property = raw
                .as_ref()
                .and_then(|r| r.child("properties"))
                .and_then(|p| p.child(name))
                .and_then(|p| self.ws.deref(&p.loc).ok());
            let is_binary = |n: &Node| {
                let v = n.value();
                matches!(
                    v.get("format").and_then(|f| f.as_str()),
                    Some("binary" | "byte")
                ) || v.get("contentMediaType").is_some()
                    || v.get("contentEncoding").is_some()
            };
            let items = raw_property
                .as_ref()
                .and_then(|p| p.child("items"))
                .and_then(|i| self.ws.deref(&i.loc).ok());
            let prop = &self.schemas[resolve_alias(&self.schemas, *property).0];
            let types = prop.types.clone().unwrap_or_default();
            let file_one = raw_property.as_ref().is_some_and(&is_binary);
            let file_many =
                types.contains(&JsonType::Array) && items.as_ref().is_some_and(&is_binary);
            let json_declared = content_types
                .iter()
                .any(|c| is_json(c.split(';').next().unwrap_or("").trim()));
            let part = if file_one || file_many {
                let limit_of = |id: Option<SchemaId>| {
                    id.and_then(|i| self.schemas[resolve_alias(&self.schemas, i).0].max_length)
                };
                PartKind::File {
                    max_bytes: if file_many {
                        limit_of(prop.items)
                    } else {
                        prop.max_length
                    },
                    content_types,
                    many: file_many,
                }
            } else if json_declared
                || types.contains(&JsonType::Object)
                || (types.contains(&JsonType::Array) && {
                    // Only a probe: an array the text cannot hold is a JSON
                    // part, which is no error and enforces everything.
                    let before = self.diags.len();
                    let shape = self.shape(*property, &at, name);
                    self.diags.truncate(before);
                    !matches!(shape, Some(Shape::Array(_)))
                })
            {
                PartKind::Json
            } else {
                match self.shape(*property, &at, name)? {
                    s @ (Shape::Primitive(_) | Shape::Array(_)) => PartKind::Value(s),
                    _ => PartKind::Json,
                }
            };
            if matches!(part, PartKind::File { .. }) {
                // The runtime checks files; the object schema sees `null`.
                let accept = self.accept_all();
                if let Some(slot) = relaxed.properties.iter_mut().find(|(n, _)| n == name) {
                    slot.1 = accept;
                }
            }
            fields.push(PartField {
                name: name.clone(),
                part,
            });
        }
        let additional = match relaxed.additional_properties {
            Some(id) => match self.shape(id, &media.loc, "additionalProperties") {
                Some(Shape::Primitive(k)) => k,
                _ => Kind::String,
            },
            None => Kind::String,
        };
        relaxed.name = None;
        let schema = self.push_schema(relaxed);
        Some(MultipartBody {
            schema,
            fields,
            additional,
        })
    }

    fn request_body(&mut self, at: &Node) -> Option<RequestBody> {
        let node = match self.ws.deref(&at.loc) {
            Ok(n) => n,
            Err(e) => {
                self.error(&at.loc, e);
                return None;
            }
        };
        let required = node
            .value()
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let Some(content) = node.child("content") else {
            self.error(&node.loc, "request body has no content");
            return None;
        };
        let ranges: Vec<String> = content
            .value()
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut media = Vec::new();
        for declared in ranges {
            let m = content.child(&declared).expect("listed key");
            let range = declared
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let form = range == "application/x-www-form-urlencoded";
            if m.value().get("encoding").is_some() && !form && range != "multipart/form-data" {
                self.warn(
                    &m.loc,
                    format!("encoding of \"{declared}\" is not enforced"),
                );
            }
            let schema_node = m.child("schema");
            let check = if is_json(&range) {
                let schema = match &schema_node {
                    Some(s) => self.schema(s),
                    None => self.accept_all(),
                };
                BodyCheck::Json(schema)
            } else if form {
                BodyCheck::Form(self.form_body(&m, schema_node.as_ref())?)
            } else if range == "multipart/form-data" {
                BodyCheck::Multipart(self.multipart_body(&m, schema_node.as_ref())?)
            } else if let (true, Some(s)) = (range.starts_with("text/"), &schema_node) {
                BodyCheck::Text(self.schema(s))
            } else {
                // Raw bytes: the size limit is all there is to enforce
                // unless the schema says more than "a (binary) string".
                let says_more = schema_node.as_ref().is_some_and(|s| {
                    s.value().as_object().is_some_and(|o| {
                        o.iter().any(|(k, v)| match k.as_str() {
                            "type" => v != "string",
                            "format" => v != "binary" && v != "byte",
                            "description" | "title" | "example" | "examples" => false,
                            k => !k.starts_with("x-"),
                        })
                    })
                });
                if says_more
                    || !range.starts_with("application/octet-stream") && !range.starts_with("text/")
                {
                    self.warn(
                        &m.loc,
                        format!("request body \"{declared}\" is not validated: size limit only"),
                    );
                }
                BodyCheck::SizeOnly
            };
            media.push(MediaType { range, check });
        }
        if media.is_empty() {
            if !self.unenforceable(
                "request-body",
                &content.loc,
                "request body declares no media type: any is accepted, size-limited only",
            ) {
                return None;
            }
            media.push(MediaType {
                range: "*/*".to_owned(),
                check: BodyCheck::SizeOnly,
            });
        }
        media.sort_by_key(|m| specificity(&m.range));
        Some(RequestBody { required, media })
    }

    fn push_schema(&mut self, schema: Schema) -> SchemaId {
        self.schemas.push(schema);
        SchemaId(self.schemas.len() - 1)
    }

    /// Lowers the schema at `node` (once per location; recursion-safe).
    fn schema(&mut self, node: &Node) -> SchemaId {
        if let Some(id) = self.schema_ids.get(&node.loc) {
            return *id;
        }
        let id = self.push_schema(Schema::default());
        self.schema_ids.insert(node.loc.clone(), id);
        let schema = self.schema_body(node);
        self.schemas[id.0] = schema;
        id
    }

    fn schema_body(&mut self, node: &Node) -> Schema {
        let loc = &node.loc;
        let mut s = Schema {
            origin: Some(Origin {
                file: loc.file.to_string(),
                pointer: loc.pointer.clone(),
                line: self.ws.line(loc),
            }),
            name: loc
                .pointer
                .strip_prefix("/components/schemas/")
                .filter(|n| !n.contains('/'))
                .map(|n| n.replace("~1", "/").replace("~0", "~")),
            ..Schema::default()
        };
        let v = node.value();
        if let Value::Bool(b) = v {
            if self.dialect == Dialect::OpenApi30 {
                self.error(loc, "boolean schemas need OpenAPI 3.1");
            }
            s.always = Some(*b);
            return s;
        }
        let Some(map) = v.as_object() else {
            self.error(loc, "schema must be an object");
            return s;
        };
        if let Some(target) = map.get("$ref") {
            let Some(target) = target.as_str() else {
                self.error(loc, "$ref must be a string");
                return s;
            };
            let target_id = match self.ws.target(loc, target).and_then(|t| self.ws.node(&t)) {
                Ok(t) => self.schema(&t),
                Err(e) => {
                    self.error(&loc.child("$ref"), e);
                    return s;
                }
            };
            s.reference = Some(target_id);
            if self.dialect == Dialect::OpenApi30 {
                let ignored: Vec<&str> = map
                    .keys()
                    .map(String::as_str)
                    .filter(|k| *k != "$ref" && !ANNOTATIONS.contains(k) && !k.starts_with("x-"))
                    .collect();
                if !ignored.is_empty() {
                    self.warn(
                        loc,
                        format!(
                            "keywords beside $ref are ignored in OpenAPI 3.0: {}",
                            ignored.join(", ")
                        ),
                    );
                }
                return s;
            }
        }
        // OpenAPI 3.1 dropped `nullable`, but contracts moved from 3.0 keep
        // it: read as 3.0 reads it (a warning says so), as its author means
        // (JSON Schema alone would ignore it, refusing the nulls meant).
        let legacy_nullable = self.dialect == Dialect::OpenApi31
            && self.root.is_none()
            && map.get("nullable").is_some_and(Value::is_boolean);
        if legacy_nullable {
            self.warn(
                &loc.child("nullable"),
                "nullable is not an OpenAPI 3.1 keyword (3.1 writes type: [..., \"null\"]); read as in OpenAPI 3.0",
            );
        }
        let nullable = (self.dialect == Dialect::OpenApi30 || legacy_nullable)
            && map.get("nullable") == Some(&Value::Bool(true));
        for (key, value) in map {
            let at = loc.child(key);
            let child = || node.child(key).expect("key of this map");
            match key.as_str() {
                "$ref" => {}
                "type" => s.types = self.types(value, &at),
                "nullable" if self.dialect == Dialect::OpenApi30 || legacy_nullable => {}
                // An empty enum admits nothing: valid JSON Schema, enforced.
                "enum" => match value.as_array() {
                    Some(a) => s.enumeration = Some(a.clone()),
                    None => self.error(&at, "enum must be an array"),
                },
                "const" => s.constant = Some(value.clone()),
                "multipleOf" => {
                    s.multiple_of = self
                        .bound(value, &at)
                        .filter(|b| b.value > 0.0)
                        .or_else(|| {
                            self.error(&at, "multipleOf must be a number greater than 0");
                            None
                        })
                }
                "minimum" => s.minimum = self.bound(value, &at),
                "maximum" => s.maximum = self.bound(value, &at),
                "exclusiveMinimum" | "exclusiveMaximum" => {
                    let is_min = key == "exclusiveMinimum";
                    match (value, self.dialect) {
                        (Value::Bool(exclusive), Dialect::OpenApi30) => {
                            let bound_key = if is_min { "minimum" } else { "maximum" };
                            match map.get(bound_key) {
                                Some(b) if *exclusive => {
                                    let b = self.bound(b, &at);
                                    if is_min {
                                        s.exclusive_minimum = b;
                                    } else {
                                        s.exclusive_maximum = b;
                                    }
                                }
                                Some(_) => {}
                                None => self
                                    .warn(&at, format!("{key} without {bound_key} has no effect")),
                            }
                        }
                        (Value::Number(_), Dialect::OpenApi31) => {
                            let b = self.bound(value, &at);
                            if is_min {
                                s.exclusive_minimum = b;
                            } else {
                                s.exclusive_maximum = b;
                            }
                        }
                        _ => self.error(
                            &at,
                            format!(
                                "{key} must be a {} here",
                                if self.dialect == Dialect::OpenApi30 {
                                    "boolean"
                                } else {
                                    "number"
                                }
                            ),
                        ),
                    }
                }
                "minLength" => s.min_length = self.count(value, &at),
                "maxLength" => s.max_length = self.count(value, &at),
                "pattern" => match value.as_str() {
                    Some(p) => match pattern::translate(p) {
                        Ok(pattern) => {
                            for note in &pattern.notes {
                                self.warn(&at, note.clone());
                            }
                            s.pattern = Some(pattern);
                        }
                        Err(e) => {
                            self.unenforceable("pattern", &at, e);
                        }
                    },
                    None => self.error(&at, "pattern must be a string"),
                },
                "format" => s.format = self.format(value, &at),
                "items" => {
                    if value.is_array() {
                        self.error(
                            &at,
                            "items as an array (tuple validation) is not supported yet",
                        );
                    } else {
                        s.items = Some(self.schema(&child()));
                    }
                }
                "minItems" => s.min_items = self.count(value, &at),
                "maxItems" => s.max_items = self.count(value, &at),
                "uniqueItems" => s.unique_items = value == &Value::Bool(true),
                "properties" => {
                    let mut props = child();
                    // `properties: {$ref: file#/map}`: the map itself kept
                    // elsewhere (DigitalOcean's contract does it). A string
                    // is never a schema, so this cannot be a property
                    // named "$ref".
                    if value.as_object().is_some_and(|m| {
                        m.len() == 1 && m.get("$ref").is_some_and(Value::is_string)
                    }) {
                        match self.ws.deref(&props.loc) {
                            Ok(target) => props = target,
                            Err(e) => {
                                self.error(&props.loc, e);
                                continue;
                            }
                        }
                    }
                    let names: Vec<String> = props
                        .value()
                        .as_object()
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    for name in names {
                        let id = self.schema(&props.child(&name).expect("listed key"));
                        s.properties.push((name, id));
                    }
                }
                "required" => match value.as_array().map(|a| {
                    a.iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                }) {
                    Some(Some(names)) => s.required = names,
                    _ => self.error(&at, "required must be an array of strings"),
                },
                "additionalProperties" => {
                    s.additional_properties = Some(self.schema_or_bool(&child()))
                }
                "minProperties" => s.min_properties = self.count(value, &at),
                "maxProperties" => s.max_properties = self.count(value, &at),
                "allOf" | "anyOf" | "oneOf" => {
                    let list = child();
                    let n = value.as_array().map_or(0, Vec::len);
                    if n == 0 {
                        self.error(&at, format!("{key} must be a non-empty array"));
                    }
                    let ids: Vec<SchemaId> = (0..n)
                        .map(|i| self.schema(&list.item(i).expect("index")))
                        .collect();
                    match key.as_str() {
                        "allOf" => s.all_of = ids,
                        "anyOf" => s.any_of = ids,
                        _ => s.one_of = ids,
                    }
                }
                "not" => s.not = Some(self.schema(&child())),
                // Resolved once `oneOf`/`anyOf` are known, below.
                "discriminator" => {}
                "prefixItems" => {
                    let list = child();
                    let n = value.as_array().map_or(0, Vec::len);
                    if !value.is_array() || n == 0 {
                        self.error(&at, "prefixItems must be a non-empty array of schemas");
                    }
                    s.prefix_items = (0..n)
                        .map(|i| self.schema(&list.item(i).expect("index")))
                        .collect();
                }
                "contains" => s.contains = Some(self.schema(&child())),
                "minContains" => s.min_contains = self.count(value, &at),
                "maxContains" => s.max_contains = self.count(value, &at),
                "patternProperties" => {
                    let props = child();
                    let names: Vec<String> = value
                        .as_object()
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    for source in names {
                        let id = self.schema(&props.child(&source).expect("listed key"));
                        match pattern::translate(&source) {
                            Ok(pattern) => {
                                for note in &pattern.notes {
                                    self.warn(&props.loc.child(&source), note.clone());
                                }
                                s.pattern_properties.push((pattern, id));
                            }
                            Err(e) => self.error(&props.loc.child(&source), e),
                        }
                    }
                }
                "propertyNames" => s.property_names = Some(self.schema(&child())),
                "dependentRequired" => {
                    for (key, names) in value.as_object().into_iter().flatten() {
                        match names.as_array().map(|a| {
                            a.iter()
                                .map(|v| v.as_str().map(str::to_owned))
                                .collect::<Option<Vec<_>>>()
                        }) {
                            Some(Some(names)) => s.dependent_required.push((key.clone(), names)),
                            _ => self.error(
                                &at.child(key),
                                "dependentRequired values must be arrays of strings",
                            ),
                        }
                    }
                }
                "dependentSchemas" => {
                    let deps = child();
                    let keys: Vec<String> = value
                        .as_object()
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    for key in keys {
                        let id = self.schema(&deps.child(&key).expect("listed key"));
                        s.dependent_schemas.push((key, id));
                    }
                }
                "if" => {
                    let condition = self.schema(&child());
                    let then = node.child("then").map(|n| self.schema(&n));
                    let otherwise = node.child("else").map(|n| self.schema(&n));
                    s.conditional = Some(Conditional {
                        condition,
                        then,
                        otherwise,
                    });
                }
                // Without `if`, `then` and `else` do nothing (JSON Schema
                // §10.2.2); with it they were read above.
                "then" | "else" => {}
                "unevaluatedProperties" => {
                    s.unevaluated_properties = Some(self.schema_or_bool(&child()))
                }
                "unevaluatedItems" => s.unevaluated_items = Some(self.schema_or_bool(&child())),
                "writeOnly" => {}
                // Another meta-schema could switch vocabularies off or add
                // keywords: only the standard dialects are compiled.
                "$schema" => {
                    let known = [
                        "https://json-schema.org/draft/2020-12/schema",
                        "https://spec.openapis.org/oas/3.1/dialect/base",
                        "http://json-schema.org/draft-04/schema#",
                        "http://json-schema.org/draft-04/schema",
                    ];
                    let uri = value.as_str().unwrap_or("");
                    if !known.contains(&uri.trim_end_matches('#')) && !known.contains(&uri) {
                        self.error(&at, format!("$schema \"{uri}\" is not a supported dialect (JSON Schema 2020-12 or the OpenAPI 3.1 dialect)"));
                    }
                }
                "readOnly" => s.read_only = value == &Value::Bool(true),
                k if ANNOTATIONS.contains(&k) || k.starts_with("x-") => {}
                // Identifiers were indexed when the document was loaded;
                // references resolve against them.
                "$id" | "$anchor" | "$dynamicAnchor" if self.dialect == Dialect::OpenApi31 => {}
                "$dynamicRef" if self.dialect == Dialect::OpenApi31 => {
                    if let Some(id) = self.dynamic_reference(node, value) {
                        s.all_of.push(id);
                    }
                }
                "$vocabulary" => self.error(
                    &at,
                    "$vocabulary is not supported: only the OpenAPI 3.1 dialect is",
                ),
                "$id" | "$anchor" | "$dynamicRef" | "$dynamicAnchor" => {
                    self.error(&at, format!("{key} needs OpenAPI 3.1"))
                }
                other => self.error(
                    &at,
                    format!("schema keyword \"{other}\" cannot be enforced yet"),
                ),
            }
        }
        if let Some(d) = node.child("discriminator") {
            s.discriminator = self.discriminator(&d, &s);
        }
        // In 3.0, `exclusiveMinimum: true` turns `minimum` into an exclusive
        // bound: one rule, not two.
        if self.dialect == Dialect::OpenApi30 {
            if s.exclusive_minimum.is_some() {
                s.minimum = None;
            }
            if s.exclusive_maximum.is_some() {
                s.maximum = None;
            }
        }
        if nullable {
            match &mut s.types {
                Some(t) if !t.contains(&JsonType::Null) => t.push(JsonType::Null),
                _ => {}
            }
        }
        s
    }

    /// `$dynamicRef`, compiled when it resolves statically: its initial
    /// target is not a `$dynamicAnchor`, or that anchor name is declared
    /// only once in everything loaded, so no dynamic scope can pick another
    /// schema. Otherwise refused: resolving it would need the dynamic scope
    /// at run time.
    fn dynamic_reference(&mut self, node: &Node, value: &Value) -> Option<SchemaId> {
        let at = node.loc.child("$dynamicRef");
        let Some(target) = value.as_str() else {
            self.error(&at, "$dynamicRef must be a string");
            return None;
        };
        let loc = match self.ws.target(&node.loc, target) {
            Ok(loc) => loc,
            Err(e) => {
                self.error(&at, e);
                return None;
            }
        };
        let fragment = target.split_once('#').map_or("", |(_, f)| f);
        let anchor_here = self.ws.node(&loc).ok().and_then(|n| {
            n.value()
                .get("$dynamicAnchor")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        let mut loc = loc;
        let declarations = self.ws.dynamic_anchors(fragment).to_vec();
        if anchor_here.as_deref() == Some(fragment) && declarations.len() > 1 {
            // The dynamic scope always starts at the root resource, the
            // outermost one: if it declares the anchor, it wins on every
            // path. Otherwise the winner depends on the path taken.
            let root_base = self.root.as_ref().map(|r| self.ws.base_uri(r));
            let in_root = declarations
                .iter()
                .find(|d| Some(self.ws.base_uri(d)) == root_base);
            match in_root {
                Some(d) => loc = d.clone(),
                None => {
                    self.error(&at, format!("$dynamicRef \"{target}\" depends on the dynamic scope ($dynamicAnchor \"{fragment}\" is declared more than once, not by the root), which cannot be compiled statically"));
                    return None;
                }
            }
        }
        match self.ws.node(&loc) {
            Ok(target) => Some(self.schema(&target)),
            Err(e) => {
                self.error(&at, e);
                None
            }
        }
    }

    /// Resolves a discriminator: `mapping` values are schema names or
    /// references; branches that are references to a component also map
    /// their component name (OpenAPI implicit mapping).
    fn discriminator(&mut self, node: &Node, s: &Schema) -> Option<Discriminator> {
        let branches: Vec<SchemaId> = if !s.one_of.is_empty() {
            s.one_of.clone()
        } else {
            s.any_of.clone()
        };
        if branches.is_empty() {
            // Without oneOf/anyOf the discriminator only documents.
            return None;
        }
        let Some(property) = node.value().get("propertyName").and_then(Value::as_str) else {
            self.error(&node.loc, "discriminator needs a propertyName");
            return None;
        };
        let mut mapping: Vec<(String, SchemaId)> = Vec::new();
        if let Some(map) = node.child("mapping") {
            let entries: Vec<(String, String)> = map
                .value()
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            for (value, target) in entries {
                let reference = if target.contains('#') || target.contains('/') {
                    target.clone()
                } else {
                    format!("#/components/schemas/{target}")
                };
                match self
                    .ws
                    .target(&map.loc, &reference)
                    .and_then(|t| self.ws.node(&t))
                {
                    Ok(n) => {
                        let id = self.schema(&n);
                        mapping.push((value, id));
                    }
                    Err(e) => self.error(&map.loc.child(&value), e),
                }
            }
        }
        for branch in branches {
            let target = resolve_alias(&self.schemas, branch);
            // The branch may still be being lowered (recursion): its name
            // comes from where it is, not from the arena.
            let name = self
                .schema_ids
                .iter()
                .find(|(_, id)| **id == target)
                .and_then(|(loc, _)| {
                    loc.pointer
                        .strip_prefix("/components/schemas/")
                        .filter(|n| !n.contains('/'))
                        .map(|n| n.replace("~1", "/").replace("~0", "~"))
                });
            if let Some(name) = name {
                if !mapping.iter().any(|(v, _)| *v == name)
                    && !mapping
                        .iter()
                        .any(|(_, id)| resolve_alias(&self.schemas, *id) == target)
                {
                    mapping.push((name, branch));
                }
            }
        }
        Some(Discriminator {
            property: property.to_owned(),
            mapping,
        })
    }

    /// `additionalProperties` may be a boolean in both dialects.
    fn schema_or_bool(&mut self, node: &Node) -> SchemaId {
        match node.value() {
            Value::Bool(b) => self.push_schema(Schema {
                always: Some(*b),
                ..Schema::default()
            }),
            _ => self.schema(node),
        }
    }

    fn types(&mut self, value: &Value, at: &Loc) -> Option<Vec<JsonType>> {
        let names: Vec<&str> = match value {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) if self.dialect == Dialect::OpenApi31 => {
                a.iter().filter_map(Value::as_str).collect()
            }
            _ => {
                self.error(
                    at,
                    "type must be a string (or, in 3.1, an array of strings)",
                );
                return None;
            }
        };
        let mut types = Vec::new();
        for name in names {
            let t = match name {
                "null" if self.dialect == Dialect::OpenApi31 => JsonType::Null,
                "boolean" => JsonType::Boolean,
                "object" => JsonType::Object,
                "array" => JsonType::Array,
                "number" => JsonType::Number,
                "integer" => JsonType::Integer,
                "string" => JsonType::String,
                other => {
                    self.error(at, format!("unknown type \"{other}\""));
                    return None;
                }
            };
            types.push(t);
        }
        Some(types)
    }

    fn bound(&mut self, value: &Value, at: &Loc) -> Option<Bound> {
        match value {
            Value::Number(n) => {
                let value = n.as_f64().unwrap_or(f64::NAN);
                let exact = n
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from));
                Some(Bound {
                    value,
                    text: n.to_string(),
                    big_integer: exact.filter(|i| i.unsigned_abs() > 1 << 53),
                })
            }
            _ => {
                self.error(at, "must be a number");
                None
            }
        }
    }

    fn count(&mut self, value: &Value, at: &Loc) -> Option<u64> {
        let n = value.as_u64().or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        });
        if n.is_none() {
            self.error(at, "must be a non-negative integer");
        }
        n
    }

    fn format(&mut self, value: &Value, at: &Loc) -> Option<Format> {
        let Some(name) = value.as_str() else {
            self.error(at, "format must be a string");
            return None;
        };
        if !self.assert_formats {
            return None;
        }
        match name {
            "uuid" => Some(Format::Uuid),
            "date" => Some(Format::Date),
            "date-time" => Some(Format::DateTime),
            "time" => Some(Format::Time),
            "duration" => Some(Format::Duration),
            "email" => Some(Format::Email),
            "hostname" => Some(Format::Hostname),
            "ipv4" => Some(Format::Ipv4),
            "ipv6" => Some(Format::Ipv6),
            "uri" => Some(Format::Uri),
            "uri-reference" => Some(Format::UriReference),
            "byte" => Some(Format::Byte),
            "int32" => Some(Format::Int32),
            "int64" => Some(Format::Int64),
            "int8" => Some(Format::Int8),
            "uint8" => Some(Format::Uint8),
            "int16" => Some(Format::Int16),
            "uint16" => Some(Format::Uint16),
            "uint32" => Some(Format::Uint32),
            "uint64" => Some(Format::Uint64),
            // Google's discovery formats, as its documentation defines them:
            // `google-datetime` is an RFC 3339 date-time.
            "google-datetime" => Some(Format::DateTime),
            "google-duration" => Some(Format::GoogleDuration),
            // Every JSON number is a valid float or double for a validator;
            // `binary` is any octets (files in multipart bodies are checked
            // by size and type), `password` a display hint, `commonmark`
            // and `html` any text: registered formats with nothing to assert.
            "float" | "double" | "binary" | "password" | "commonmark" | "html" => None,
            // Defined by a registry, with something to assert that douane
            // does not yet: a declared constraint left unenforced.
            other if REGISTERED_UNASSERTED_FORMATS.contains(&other) => {
                self.warn(at, format!("format \"{other}\" is not enforced"));
                None
            }
            // Made up by the contract's authors: no definition to enforce.
            // OpenAPI ("tools that do not recognize a specific format MAY
            // default back to the type alone") and JSON Schema both have
            // unknown formats ignored; the warning keeps it visible.
            other => {
                self.warn(at, format!("format \"{other}\" is in no format registry (OpenAPI, JSON Schema): ignored, as both specifications say of unknown formats"));
                None
            }
        }
    }
}

/// Most base paths that server variables may give one API.
const MAX_BASE_PATHS: usize = 16;

/// The path of a server URL (absolute or relative), without query,
/// fragment or trailing `/`, starting with `/` unless empty.
fn base_path_of(url: &str) -> String {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        String::new()
    } else if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// Formats of the OpenAPI format registry and of JSON Schema that constrain
/// values and are not asserted yet.
const REGISTERED_UNASSERTED_FORMATS: &[&str] = &[
    "idn-email",
    "idn-hostname",
    "iri",
    "iri-reference",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
    "date-time-local",
    "time-local",
    "char",
    "decimal",
    "decimal128",
    "double-int",
    "base64url",
    "media-range",
    "http-date",
    "sf-binary",
    "sf-boolean",
    "sf-decimal",
    "sf-integer",
    "sf-string",
    "sf-token",
];

/// Follows schemas that are nothing but a `$ref` to what they point at.
pub fn resolve_alias(schemas: &[Schema], mut id: SchemaId) -> SchemaId {
    for _ in 0..64 {
        let s = &schemas[id.0];
        match s.reference {
            Some(target) if is_pure_reference(s) => id = target,
            _ => return id,
        }
    }
    id
}

/// True when a schema only carries a `$ref` (3.0 references, or 3.1 ones
/// without siblings).
pub fn is_pure_reference(s: &Schema) -> bool {
    let Schema {
        origin: _,
        name: _,
        always,
        types,
        enumeration,
        constant,
        multiple_of,
        minimum,
        exclusive_minimum,
        maximum,
        exclusive_maximum,
        min_length,
        max_length,
        pattern,
        format,
        prefix_items,
        items,
        contains,
        min_contains,
        max_contains,
        min_items,
        max_items,
        unique_items,
        properties,
        required,
        pattern_properties,
        additional_properties,
        property_names,
        dependent_required,
        dependent_schemas,
        min_properties,
        max_properties,
        all_of,
        any_of,
        one_of,
        not,
        conditional,
        discriminator,
        unevaluated_properties,
        unevaluated_items,
        reference,
        read_only,
    } = s;
    reference.is_some()
        && always.is_none()
        && types.is_none()
        && enumeration.is_none()
        && constant.is_none()
        && multiple_of.is_none()
        && minimum.is_none()
        && exclusive_minimum.is_none()
        && maximum.is_none()
        && exclusive_maximum.is_none()
        && min_length.is_none()
        && max_length.is_none()
        && pattern.is_none()
        && format.is_none()
        && prefix_items.is_empty()
        && items.is_none()
        && contains.is_none()
        && min_contains.is_none()
        && max_contains.is_none()
        && min_items.is_none()
        && max_items.is_none()
        && !unique_items
        && properties.is_empty()
        && required.is_empty()
        && pattern_properties.is_empty()
        && additional_properties.is_none()
        && property_names.is_none()
        && dependent_required.is_empty()
        && dependent_schemas.is_empty()
        && min_properties.is_none()
        && max_properties.is_none()
        && all_of.is_empty()
        && any_of.is_empty()
        && one_of.is_empty()
        && not.is_none()
        && conditional.is_none()
        && discriminator.is_none()
        && unevaluated_properties.is_none()
        && unevaluated_items.is_none()
        && !read_only
}

fn is_json(range: &str) -> bool {
    range == "application/json" || (range.contains('/') && range.ends_with("+json"))
}

/// Exact types first, then `type/*`, then `*/*`.
fn specificity(range: &str) -> u8 {
    if range == "*/*" {
        2
    } else if range.ends_with("/*") {
        1
    } else {
        0
    }
}

/// `65536`, `"64 KiB"`, `"2MiB"`, `"1 GiB"`.
fn parse_size(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return Some(n);
    }
    let s = v.as_str()?.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Splits a path template into segments; `{a}{b}` (two parameters with
/// nothing between them) cannot be matched unambiguously and is refused.
pub fn parse_template(template: &str) -> Result<Vec<Segment>, String> {
    let Some(rest) = template.strip_prefix('/') else {
        return Err(format!("path \"{template}\" must start with /"));
    };
    let mut capture = 0;
    let mut segments = Vec::new();
    for raw in rest.split('/') {
        let mut pieces = Vec::new();
        let mut s = raw;
        while !s.is_empty() {
            if let Some(after) = s.strip_prefix('{') {
                let end = after
                    .find('}')
                    .ok_or_else(|| format!("path \"{template}\": unclosed {{"))?;
                let name = &after[..end];
                if name.is_empty() || name.contains('{') {
                    return Err(format!(
                        "path \"{template}\": bad parameter name \"{name}\""
                    ));
                }
                if matches!(pieces.last(), Some(Piece::Param { .. })) {
                    return Err(format!(
                        "path \"{template}\": two parameters with nothing between them cannot be told apart"
                    ));
                }
                pieces.push(Piece::Param {
                    name: name.to_owned(),
                    capture,
                });
                capture += 1;
                s = &after[end + 1..];
            } else {
                let end = s.find('{').unwrap_or(s.len());
                if s[..end].contains('}') {
                    return Err(format!("path \"{template}\": unmatched }}"));
                }
                pieces.push(Piece::Literal(s[..end].to_owned()));
                s = &s[end..];
            }
        }
        segments.push(match pieces.as_slice() {
            [] => Segment::Literal(String::new()),
            [Piece::Literal(l)] => Segment::Literal(l.clone()),
            [Piece::Param { name, capture }] => Segment::Param {
                name: name.clone(),
                capture: *capture,
            },
            _ => Segment::Mixed(pieces),
        });
    }
    if capture > 16 {
        return Err(format!("path \"{template}\" has more than 16 parameters"));
    }
    Ok(segments)
}

/// The shape of a template: parameter names erased, so that `/a/{x}` and
/// `/a/{y}` compare equal.
pub fn shape_key(segments: &[Segment]) -> String {
    let mut key = String::new();
    for seg in segments {
        key.push('/');
        match seg {
            Segment::Literal(l) => key.push_str(l),
            Segment::Param { .. } => key.push_str("{}"),
            Segment::Mixed(pieces) => {
                for p in pieces {
                    match p {
                        Piece::Literal(l) => key.push_str(l),
                        Piece::Param { .. } => key.push_str("{}"),
                    }
                }
            }
        }
    }
    key
}

/// Groups operations into path items by template shape.
/// Path- and operation-level `servers`: the API's base path becomes the
/// longest common prefix (whole segments) of every operation's server path,
/// and each template gets the rest of its own in front, so that one
/// compiled router serves them all (`/v1/pets` and `/v2/items` under `""`).
fn fold_server_paths(
    document: String,
    operations: Vec<(Operation, Option<String>)>,
) -> (String, Vec<Operation>) {
    if operations
        .iter()
        .all(|(_, own)| own.as_ref().is_none_or(|p| *p == document))
    {
        return (document, operations.into_iter().map(|(op, _)| op).collect());
    }
    let paths: Vec<&str> = operations
        .iter()
        .map(|(_, own)| own.as_deref().unwrap_or(&document))
        .collect();
    let mut common: Vec<&str> = paths[0].split('/').collect();
    for p in &paths[1..] {
        let segments: Vec<&str> = p.split('/').collect();
        let same = common
            .iter()
            .zip(&segments)
            .take_while(|(a, b)| a == b)
            .count();
        common.truncate(same);
    }
    let base = common.join("/");
    let folded = operations
        .into_iter()
        .map(|(mut op, own)| {
            let path = own.as_deref().unwrap_or(&document);
            let prefix = &path[base.len()..];
            if !prefix.is_empty() {
                op.template = if op.template == "/" {
                    prefix.to_owned()
                } else {
                    format!("{prefix}{}", op.template)
                };
            }
            op
        })
        .collect();
    (base, folded)
}

fn group_path_items(operations: &[Operation]) -> Vec<PathItem> {
    let mut items: Vec<PathItem> = Vec::new();
    let mut by_shape: HashMap<String, usize> = HashMap::new();
    for (i, op) in operations.iter().enumerate() {
        let segments = parse_template(&op.template).expect("parsed before");
        let key = shape_key(&segments);
        let index = *by_shape.entry(key).or_insert_with(|| {
            items.push(PathItem {
                template: op.template.clone(),
                segments,
                operations: Vec::new(),
            });
            items.len() - 1
        });
        items[index].operations.push((op.method, i));
    }
    for item in &mut items {
        // By method; within one, discriminated operations before the one
        // without (the runtime takes the first that matches).
        item.operations
            .sort_by_key(|&(m, i)| (m, operations[i].discriminator.is_empty(), i));
    }
    items
}

/// The kind of a Security Scheme Object, or why it cannot be enforced.
fn scheme_kind(v: &Value) -> Result<SchemeKind, String> {
    let s = |k: &str| v.get(k).and_then(Value::as_str);
    match s("type") {
        Some("apiKey") => {
            let location = match s("in") {
                Some("header") => ApiKeyIn::Header,
                Some("query") => ApiKeyIn::Query,
                Some("cookie") => ApiKeyIn::Cookie,
                _ => return Err("an apiKey scheme needs `in`: header, query or cookie".into()),
            };
            match s("name") {
                Some(name) if !name.is_empty() => Ok(SchemeKind::ApiKey {
                    location,
                    name: name.to_owned(),
                }),
                _ => Err("an apiKey scheme needs a `name`".into()),
            }
        }
        // Scheme names are case-insensitive (RFC 9110, section 11.1).
        Some("http") => match s("scheme").map(str::to_ascii_lowercase).as_deref() {
            Some("basic") => Ok(SchemeKind::Basic),
            Some("bearer") => Ok(SchemeKind::Bearer),
            Some(other) => Err(format!(
                "http scheme \"{other}\" is not supported (basic and bearer are)"
            )),
            None => Err("an http scheme needs `scheme`".into()),
        },
        Some("oauth2") => {
            let mut scopes: Vec<String> = v
                .get("flows")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|flows| flows.values())
                .filter_map(|flow| flow.get("scopes").and_then(Value::as_object))
                .flat_map(|scopes| scopes.keys().cloned())
                .collect();
            scopes.sort();
            scopes.dedup();
            Ok(SchemeKind::OAuth2 { scopes })
        }
        Some("openIdConnect") => Ok(SchemeKind::OpenIdConnect),
        Some("mutualTLS") => Ok(SchemeKind::MutualTls),
        Some(other) => Err(format!("unknown security scheme type \"{other}\"")),
        None => Err("a security scheme needs a `type`".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        let segs = parse_template("/files/{name}.{ext}/x").unwrap();
        assert_eq!(shape_key(&segs), "/files/{}.{}/x");
        assert!(
            parse_template("/a/{x}{y}")
                .unwrap_err()
                .contains("nothing between")
        );
        assert!(parse_template("a").is_err());
        assert!(parse_template("/a/{x").is_err());
        assert_eq!(
            parse_template("/").unwrap(),
            vec![Segment::Literal(String::new())]
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size(&Value::from(10)), Some(10));
        assert_eq!(parse_size(&Value::from("2 MiB")), Some(2 << 20));
        assert_eq!(parse_size(&Value::from("64KiB")), Some(64 << 10));
        assert_eq!(parse_size(&Value::from("2 MB")), None);
    }
}

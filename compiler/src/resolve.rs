//! Following `$ref`s across documents: local pointers, relative files,
//! chains of references, without ever touching the file system itself.
//!
//! Files are named by `/`-separated paths relative to the specs directory;
//! the caller's reader turns such a name into text.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;

use crate::diag::{Diagnostic, Severity};
use crate::load::Document;
use crate::uri;

/// How the indexer reads a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// A schema: `$id`, `$anchor` apply; subschemas sit under known keywords.
    Schema,
    /// Part of an OpenAPI document: schemas sit under `schema` and
    /// `components/schemas`.
    Document,
}

/// Reads a contract file given its relative name; the only I/O the
/// compiler does, and it is the caller's.
pub type Reader<'r> = dyn Fn(&str) -> Result<String, String> + 'r;

/// A place in a document: file and JSON pointer (without `#`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: Rc<str>,
    pub pointer: String,
}

impl Loc {
    /// The location of a child node.
    pub fn child(&self, key: &str) -> Loc {
        let mut pointer = String::with_capacity(self.pointer.len() + key.len() + 1);
        pointer.push_str(&self.pointer);
        pointer.push('/');
        for c in key.chars() {
            match c {
                '~' => pointer.push_str("~0"),
                '/' => pointer.push_str("~1"),
                c => pointer.push(c),
            }
        }
        Loc {
            file: self.file.clone(),
            pointer,
        }
    }

    pub fn index(&self, i: usize) -> Loc {
        self.child(&i.to_string())
    }
}

/// A node of a loaded document: the document kept alive, and where.
#[derive(Clone)]
pub struct Node {
    pub doc: Rc<Document>,
    pub loc: Loc,
}

impl Node {
    /// The JSON value of this node.
    pub fn value(&self) -> &Value {
        // Checked when the node was made; documents are immutable.
        self.doc
            .root
            .pointer(&self.loc.pointer)
            .unwrap_or(&Value::Null)
    }

    /// A child node, if the key exists.
    pub fn child(&self, key: &str) -> Option<Node> {
        self.value().get(key)?;
        Some(Node {
            doc: self.doc.clone(),
            loc: self.loc.child(key),
        })
    }

    /// An array item node.
    pub fn item(&self, i: usize) -> Option<Node> {
        self.value().get(i)?;
        Some(Node {
            doc: self.doc.clone(),
            loc: self.loc.index(i),
        })
    }
}

/// Every document loaded so far, by file name, and the schema resources
/// (`$id`) and anchors (`$anchor`, `$dynamicAnchor`) they declare.
pub struct Workspace<'r> {
    reader: &'r Reader<'r>,
    docs: HashMap<Rc<str>, Result<Rc<Document>, Diagnostic>>,
    /// Absolute URI (without fragment) of every resource → its location.
    resources: HashMap<String, Loc>,
    /// `uri#name` of every anchor → its location.
    anchors: HashMap<String, Loc>,
    /// Per file, the pointers where `$id` changes the base URI, with the
    /// new base; sorted by pointer.
    bases: HashMap<Rc<str>, Vec<(String, String)>>,
    /// `$dynamicAnchor` names → every location declaring one.
    dynamic_anchors: HashMap<String, Vec<Loc>>,
}

impl<'r> Workspace<'r> {
    pub fn new(reader: &'r Reader<'r>) -> Workspace<'r> {
        Workspace {
            reader,
            docs: HashMap::new(),
            resources: HashMap::new(),
            anchors: HashMap::new(),
            bases: HashMap::new(),
            dynamic_anchors: HashMap::new(),
        }
    }

    /// Loads (once) and returns a document.
    pub fn load(&mut self, file: &str) -> Result<Rc<Document>, Diagnostic> {
        if let Some(done) = self.docs.get(file) {
            return done.clone();
        }
        let result = match (self.reader)(file) {
            Err(e) => Err(Diagnostic {
                severity: Severity::Error,
                file: file.to_owned(),
                line: None,
                pointer: String::new(),
                message: format!("cannot read file: {e}"),
            }),
            Ok(text) => Document::parse(file, &text)
                .map(Rc::new)
                .map_err(|e| Diagnostic {
                    severity: Severity::Error,
                    file: file.to_owned(),
                    line: e.line,
                    pointer: String::new(),
                    message: e.message,
                }),
        };
        let file: Rc<str> = Rc::from(file);
        self.docs.insert(file.clone(), result.clone());
        if let Ok(doc) = &result {
            self.index(&file, doc);
        }
        result
    }

    /// The URI a file is known by before any `$id`: remote documents by
    /// their URL, local ones as `file:///name`.
    fn file_uri(file: &str) -> String {
        if file.contains("://") || file.starts_with("urn:") {
            file.to_owned()
        } else {
            format!("file:///{file}")
        }
    }

    /// The file a fragment-less URI names, when it is not a known resource.
    fn uri_file(uri: &str) -> String {
        uri.strip_prefix("file:///").unwrap_or(uri).to_owned()
    }

    /// Registers the resources and anchors of a newly loaded document.
    fn index(&mut self, file: &Rc<str>, doc: &Document) {
        let base = Self::file_uri(file);
        let root = Loc {
            file: file.clone(),
            pointer: String::new(),
        };
        self.resources
            .entry(base.clone())
            .or_insert_with(|| root.clone());
        // A document that is itself a schema (standalone JSON Schema) or an
        // OpenAPI document, whose schemas sit under known keys.
        let mode = if doc.root.get("openapi").is_some() || doc.root.get("swagger").is_some() {
            Walk::Document
        } else {
            Walk::Schema
        };
        let mut bases = Vec::new();
        self.walk(&doc.root, &root, &base, mode, &mut bases);
        bases.sort();
        self.bases.insert(file.clone(), bases);
    }

    fn walk(
        &mut self,
        v: &Value,
        loc: &Loc,
        base: &str,
        mode: Walk,
        bases: &mut Vec<(String, String)>,
    ) {
        match mode {
            Walk::Schema => {
                let Some(map) = v.as_object() else { return };
                let mut base = base.to_owned();
                if let Some(Value::String(id)) = map.get("$id") {
                    let resolved = uri::resolve(&base, id);
                    base = uri::split_fragment(&resolved).0.to_owned();
                    bases.push((loc.pointer.clone(), base.clone()));
                    self.resources
                        .entry(base.clone())
                        .or_insert_with(|| loc.clone());
                }
                if let Some(Value::String(name)) = map.get("$anchor") {
                    self.anchors.insert(format!("{base}#{name}"), loc.clone());
                }
                if let Some(Value::String(name)) = map.get("$dynamicAnchor") {
                    self.anchors
                        .entry(format!("{base}#{name}"))
                        .or_insert_with(|| loc.clone());
                    self.dynamic_anchors
                        .entry(name.clone())
                        .or_default()
                        .push(loc.clone());
                }
                for (key, child) in map {
                    let at = loc.child(key);
                    match key.as_str() {
                        "properties" | "patternProperties" | "$defs" | "definitions"
                        | "dependentSchemas" => {
                            for (name, schema) in child.as_object().into_iter().flatten() {
                                self.walk(schema, &at.child(name), &base, Walk::Schema, bases);
                            }
                        }
                        "items" | "prefixItems" | "allOf" | "anyOf" | "oneOf"
                            if child.is_array() =>
                        {
                            for (i, schema) in child.as_array().into_iter().flatten().enumerate() {
                                self.walk(schema, &at.index(i), &base, Walk::Schema, bases);
                            }
                        }
                        "items"
                        | "additionalItems"
                        | "additionalProperties"
                        | "unevaluatedItems"
                        | "unevaluatedProperties"
                        | "contains"
                        | "propertyNames"
                        | "not"
                        | "if"
                        | "then"
                        | "else" => {
                            self.walk(child, &at, &base, Walk::Schema, bases);
                        }
                        _ => {}
                    }
                }
            }
            Walk::Document => match v {
                Value::Object(map) => {
                    for (key, child) in map {
                        let at = loc.child(key);
                        match key.as_str() {
                            // Example values and extensions are data, not schemas.
                            "example" | "examples" | "default" | "enum" | "const" => {}
                            k if k.starts_with("x-") => {}
                            "schema" => self.walk(child, &at, base, Walk::Schema, bases),
                            "schemas" if loc.pointer == "/components" => {
                                for (name, schema) in child.as_object().into_iter().flatten() {
                                    self.walk(schema, &at.child(name), base, Walk::Schema, bases);
                                }
                            }
                            _ => self.walk(child, &at, base, Walk::Document, bases),
                        }
                    }
                }
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(item, &loc.index(i), base, Walk::Document, bases);
                    }
                }
                _ => {}
            },
        }
    }

    /// The base URI in force at `loc`: that of the nearest enclosing `$id`,
    /// else the file's own.
    pub fn base_uri(&self, loc: &Loc) -> String {
        let within = |p: &str| {
            p.is_empty()
                || loc.pointer == p
                || loc
                    .pointer
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        self.bases
            .get(&loc.file)
            .and_then(|bases| {
                bases
                    .iter()
                    .filter(|(p, _)| within(p))
                    .max_by_key(|(p, _)| p.len())
            })
            .map_or_else(|| Self::file_uri(&loc.file), |(_, base)| base.clone())
    }

    /// Every location declaring `$dynamicAnchor: name`.
    pub fn dynamic_anchors(&self, name: &str) -> &[Loc] {
        self.dynamic_anchors.get(name).map_or(&[], Vec::as_slice)
    }

    /// The node at `loc`, with its document kept alive.
    pub fn node(&mut self, loc: &Loc) -> Result<Node, String> {
        let doc = self.load(&loc.file).map_err(|d| d.message)?;
        if doc.root.pointer(&loc.pointer).is_none() {
            return Err(format!("no node at #{} in {}", loc.pointer, loc.file));
        }
        Ok(Node {
            doc,
            loc: loc.clone(),
        })
    }

    /// Line of `loc` in its file, when known.
    pub fn line(&self, loc: &Loc) -> Option<u32> {
        match self.docs.get(&*loc.file) {
            Some(Ok(doc)) => doc.line_of(&loc.pointer),
            _ => None,
        }
    }

    /// Where the reference `target` (a `$ref` value) written at `from`
    /// points: resolved against the base URI at `from` (RFC 3986), then
    /// looked up among known resources, or loaded as a file (relative
    /// references) or through the reader (absolute URLs, which the reader
    /// may map or refuse).
    pub fn target(&mut self, from: &Loc, target: &str) -> Result<Loc, String> {
        let absolute = uri::resolve(&self.base_uri(from), target);
        let (resource, fragment) = uri::split_fragment(&absolute);
        let fragment = percent_decode(fragment)?;
        let root = match self.resources.get(resource) {
            Some(loc) => loc.clone(),
            None => {
                let file = Self::uri_file(resource);
                self.load(&file).map_err(|d| d.message)?;
                match self.resources.get(resource) {
                    Some(loc) => loc.clone(),
                    None => Loc {
                        file: Rc::from(file.as_str()),
                        pointer: String::new(),
                    },
                }
            }
        };
        if fragment.is_empty() {
            return Ok(root);
        }
        if fragment.starts_with('/') {
            return Ok(Loc {
                file: root.file,
                pointer: format!("{}{fragment}", root.pointer),
            });
        }
        let anchor = format!("{resource}#{fragment}");
        self.anchors
            .get(&anchor)
            .cloned()
            .ok_or_else(|| format!("no anchor \"{fragment}\" in {resource}"))
    }

    /// Follows `$ref` chains from `loc` to a node that is not a reference
    /// (for non-schema objects, whose `$ref` siblings never apply).
    pub fn deref(&mut self, loc: &Loc) -> Result<Node, String> {
        let mut loc = loc.clone();
        for _ in 0..32 {
            let node = self.node(&loc)?;
            match node.value().get("$ref") {
                Some(Value::String(target)) => loc = self.target(&loc, target)?,
                Some(_) => return Err("$ref must be a string".to_owned()),
                None => return Ok(node),
            }
        }
        Err("reference chain is too long or loops".to_owned())
    }
}

fn percent_decode(s: &str) -> Result<String, String> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-encoding in reference fragment \"{s}\""))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("reference fragment \"{s}\" is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_references_across_files() {
        let reader = |name: &str| match name {
            "root.yaml" => Ok("a: {$ref: 'sub/other.yaml#/b'}\n".to_owned()),
            "sub/other.yaml" => Ok("b: {$ref: '#/c%20d'}\nc d: {x: 1}\n".to_owned()),
            _ => Err("not found".to_owned()),
        };
        let mut ws = Workspace::new(&reader);
        let root = Loc {
            file: Rc::from("root.yaml"),
            pointer: "/a".to_owned(),
        };
        let node = ws.deref(&root).unwrap();
        assert_eq!(&*node.loc.file, "sub/other.yaml");
        assert_eq!(node.loc.pointer, "/c d");
        assert_eq!(node.value()["x"], 1);
        // Remote documents go through the reader, which decides.
        let missing = ws.target(&root, "http://example.com/x.yaml");
        assert_eq!(missing.unwrap_err(), "cannot read file: not found");
    }

    #[test]
    fn resolves_ids_and_anchors() {
        let reader = |name: &str| match name {
            "s.json" => Ok(r#"{
                "$id": "http://example.com/root.json",
                "$defs": {
                    "a": {"$id": "nested/a.json", "$defs": {"b": {"$anchor": "bee"}}},
                    "c": {"enum": [{"$id": "not-an-id.json"}]}
                }
            }"#
            .to_owned()),
            _ => Err("not found".to_owned()),
        };
        let mut ws = Workspace::new(&reader);
        let root = Loc {
            file: Rc::from("s.json"),
            pointer: String::new(),
        };
        ws.load("s.json").unwrap();
        let inner = Loc {
            file: root.file.clone(),
            pointer: "/$defs/a/$defs/b".to_owned(),
        };
        assert_eq!(ws.base_uri(&inner), "http://example.com/nested/a.json");
        let check =
            |ws: &mut Workspace<'_>, from: &Loc, r: &str| ws.target(from, r).map(|l| l.pointer);
        assert_eq!(
            check(&mut ws, &root, "nested/a.json#bee").as_deref(),
            Ok("/$defs/a/$defs/b")
        );
        assert_eq!(
            check(&mut ws, &inner, "#bee").as_deref(),
            Ok("/$defs/a/$defs/b")
        );
        assert_eq!(
            check(&mut ws, &inner, "#/$defs/b").as_deref(),
            Ok("/$defs/a/$defs/b")
        );
        assert_eq!(
            check(&mut ws, &inner, "../root.json#/$defs/c").as_deref(),
            Ok("/$defs/c")
        );
        // An `$id` inside `enum` is data, not an identifier.
        assert!(check(&mut ws, &root, "not-an-id.json").is_err());
    }
}

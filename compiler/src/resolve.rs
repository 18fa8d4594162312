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

/// Every document loaded so far, by file name.
pub struct Workspace<'r> {
    reader: &'r Reader<'r>,
    docs: HashMap<Rc<str>, Result<Rc<Document>, Diagnostic>>,
}

impl<'r> Workspace<'r> {
    pub fn new(reader: &'r Reader<'r>) -> Workspace<'r> {
        Workspace {
            reader,
            docs: HashMap::new(),
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
        self.docs.insert(Rc::from(file), result.clone());
        result
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

    /// Where the reference `target` (a `$ref` value) written at `from` points.
    pub fn target(&self, from: &Loc, target: &str) -> Result<Loc, String> {
        if target.contains("://") || target.starts_with("//") {
            return Err(format!("remote reference \"{target}\" is not supported"));
        }
        let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
        let file: Rc<str> = if path.is_empty() {
            from.file.clone()
        } else {
            Rc::from(join(&from.file, path))
        };
        let pointer = percent_decode(fragment)?;
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(format!(
                "reference \"{target}\" uses an anchor, which is not supported; use a JSON pointer"
            ));
        }
        Ok(Loc { file, pointer })
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

/// Resolves a relative file reference against the referencing file.
fn join(from: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = if relative.starts_with('/') {
        Vec::new()
    } else {
        from.split('/').collect()
    };
    parts.pop(); // the referencing file's own name
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
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
    fn joins_relative_paths() {
        assert_eq!(join("a/b/root.yaml", "c.yaml"), "a/b/c.yaml");
        assert_eq!(join("a/b/root.yaml", "../c/d.yaml"), "a/c/d.yaml");
        assert_eq!(join("root.yaml", "./x/y.yaml"), "x/y.yaml");
    }

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
        let missing = ws.target(&root, "http://example.com/x.yaml");
        assert!(missing.unwrap_err().contains("remote reference"));
    }
}

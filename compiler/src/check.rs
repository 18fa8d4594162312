//! Checks over the lowered IR that no single node can make: route
//! conflicts within an API, base path overlaps between APIs.

use std::collections::HashMap;

use crate::diag::{Diagnostic, Severity};
use crate::ir::Api;
use crate::lower::{parse_template, shape_key};

/// Reports every conflict in `apis`.
pub fn check(apis: &[Api]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for api in apis {
        routes(api, &mut diags);
    }
    base_paths(apis, &mut diags);
    diags
}

fn error(file: &str, line: Option<u32>, pointer: &str, message: String) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: file.to_owned(),
        line,
        pointer: pointer.to_owned(),
        message,
    }
}

/// Two templates of the same shape (equal up to parameter names) declaring
/// the same method would match the same requests: refused, naming both.
fn routes(api: &Api, diags: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(String, &str), &str> = HashMap::new();
    for op in &api.operations {
        let Ok(segments) = parse_template(&op.template) else {
            continue;
        };
        let key = (shape_key(&segments), op.method.as_str());
        if let Some(first) = seen.insert(key, &op.template) {
            diags.push(error(
                &op.origin.file,
                op.origin.line,
                &op.origin.pointer,
                format!(
                    "{} {} and {} {} match the same requests",
                    op.method.as_str(),
                    first,
                    op.method.as_str(),
                    op.template
                ),
            ));
        }
    }
}

/// An API's base path must not be a prefix (at a segment boundary) of
/// another's, or requests could not be told apart.
fn base_paths(apis: &[Api], diags: &mut Vec<Diagnostic>) {
    for (i, a) in apis.iter().enumerate() {
        for b in &apis[i + 1..] {
            if overlaps(&a.base_path, &b.base_path) {
                diags.push(error(
                    &b.source,
                    b.base_path_line,
                    "/servers/0/url",
                    format!(
                        "base path \"{}\" of API {} overlaps base path \"{}\" of API {}",
                        display(&b.base_path),
                        b.name,
                        display(&a.base_path),
                        a.name
                    ),
                ));
            }
        }
    }
}

fn display(base: &str) -> &str {
    if base.is_empty() { "/" } else { base }
}

/// True when one base path is the other or a segment-wise prefix of it.
pub fn overlaps(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.strip_prefix(short)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::overlaps;

    #[test]
    fn base_path_overlap() {
        assert!(overlaps("", "/v1"));
        assert!(overlaps("/v1", "/v1"));
        assert!(overlaps("/v1", "/v1/admin"));
        assert!(!overlaps("/v1", "/v10"));
        assert!(!overlaps("/pets", "/library"));
    }
}

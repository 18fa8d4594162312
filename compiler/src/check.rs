//! Checks over the lowered IR that no single node can make: route
//! conflicts within an API, base path overlaps between APIs.

use std::collections::HashMap;

use crate::diag::{Diagnostic, Severity};
use crate::ir::{Api, Schema, SchemaId};
use crate::lower::{parse_template, shape_key};

/// Reports every conflict in `apis`.
/// Returns the errors; what an API lets pass unenforced becomes one of its
/// warnings instead.
pub fn check(apis: &mut [Api]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for api in apis.iter_mut() {
        let mut found = Vec::new();
        routes(api, &mut found);
        found.extend(schema_loops(&api.schemas));
        for d in found {
            if d.severity == Severity::Warning {
                api.warnings.push(d);
            } else {
                diags.push(d);
            }
        }
        api.warnings.sort();
        api.warnings.dedup();
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
/// the same method would match the same requests: refused, naming both,
/// unless the API lets route conflicts pass (the router then gives the
/// request to the first whose parameters are valid).
fn routes(api: &Api, diags: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(String, &str), &str> = HashMap::new();
    for op in &api.operations {
        let Ok(segments) = parse_template(&op.template) else {
            continue;
        };
        let discriminator: Vec<String> = op
            .discriminator
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let key = (
            format!("{}?{}", shape_key(&segments), discriminator.join("&")),
            op.method.as_str(),
        );
        if let Some(first) = seen.insert(key, &op.template) {
            let conflict = format!(
                "{} {} and {} {} match the same requests",
                op.method.as_str(),
                first,
                op.method.as_str(),
                op.template
            );
            let mut d = error(
                &op.origin.file,
                op.origin.line,
                &op.origin.pointer,
                String::new(),
            );
            if api.unenforced.route_conflict {
                d.severity = Severity::Warning;
                d.message = format!(
                    "{conflict}: the first whose parameters are valid takes a request, so the other is not enforced where both accept it (allowed: route-conflict)"
                );
            } else {
                d.message = format!(
                    "{conflict} (to let the first whose parameters are valid take a request: x-douane-allow-unenforced: [route-conflict])"
                );
            }
            diags.push(d);
        }
    }
}

/// A schema that applies itself in place (through `$ref`, `allOf`,
/// `anyOf`, `oneOf`, `not`, `if`/`then`/`else` or `dependentSchemas`)
/// without descending into the instance would loop forever at validation
/// time: refused.
pub fn schema_loops(schemas: &[Schema]) -> Vec<Diagnostic> {
    fn in_place(s: &Schema) -> Vec<SchemaId> {
        let mut next: Vec<SchemaId> = s
            .reference
            .iter()
            .chain(&s.all_of)
            .chain(&s.any_of)
            .chain(&s.one_of)
            .chain(&s.not)
            .copied()
            .collect();
        next.extend(s.dependent_schemas.iter().map(|(_, d)| *d));
        if let Some(c) = &s.conditional {
            next.push(c.condition);
            next.extend(c.then);
            next.extend(c.otherwise);
        }
        next
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; schemas.len()];
    let mut diags = Vec::new();
    for start in 0..schemas.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // Iterative depth-first search: (schema, its in-place targets, next).
        let mut stack = vec![(start, in_place(&schemas[start]), 0)];
        marks[start] = Mark::Open;
        while let Some((id, next, i)) = stack.last_mut() {
            let Some(&target) = next.get(*i) else {
                marks[*id] = Mark::Done;
                stack.pop();
                continue;
            };
            *i += 1;
            match marks[target.0] {
                Mark::New => {
                    marks[target.0] = Mark::Open;
                    stack.push((target.0, in_place(&schemas[target.0]), 0));
                }
                Mark::Open => {
                    let origin = schemas[target.0].origin.clone();
                    diags.push(Diagnostic {
                        severity: Severity::Error,
                        file: origin.as_ref().map_or_else(String::new, |o| o.file.clone()),
                        line: origin.as_ref().and_then(|o| o.line),
                        pointer: origin.map_or_else(String::new, |o| o.pointer),
                        message: "schema applies itself without descending into the instance: validation would never end".to_owned(),
                    });
                }
                Mark::Done => {}
            }
        }
    }
    diags
}

/// An API's base path must not be a prefix (at a segment boundary) of
/// another's, or requests could not be told apart.
fn base_paths(apis: &[Api], diags: &mut Vec<Diagnostic>) {
    for (i, a) in apis.iter().enumerate() {
        for b in &apis[i + 1..] {
            // Every base path of each (server variables may give several).
            let all = |api: &'_ Api| {
                std::iter::once(api.base_path.clone())
                    .chain(api.other_base_paths.iter().cloned())
                    .collect::<Vec<_>>()
            };
            let clash = all(a).into_iter().find_map(|pa| {
                all(b)
                    .into_iter()
                    .find(|pb| overlaps(&pa, pb))
                    .map(|pb| (pa, pb))
            });
            if let Some((pa, pb)) = clash {
                diags.push(error(
                    &b.source,
                    b.base_path_line,
                    "/servers/0/url",
                    format!(
                        "base path \"{}\" of API {} overlaps base path \"{}\" of API {}",
                        display(&pb),
                        b.name,
                        display(&pa),
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

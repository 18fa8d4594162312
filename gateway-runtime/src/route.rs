//! Routing: from a request path and method to the one declared operation it
//! addresses, or a 404/405 problem. Only declared operations go further.

use crate::config::{ResolvedApi, Upstream};
use crate::contract::{Api, Contract, Method, Operation, PathItem};
use crate::problem::{Problem, ProblemKind};
use crate::validate::{Captures, Location, QueryPairs, RequestParts, Violations};

/// One served API with its deployment settings, built once at startup.
#[derive(Debug)]
pub struct Mount {
    pub api: &'static Api,
    /// Index of `api` in `Contract::apis` (for per-API state kept apart).
    pub index: usize,
    /// Effective base path (the contract's, or the config override).
    pub base_path: Box<str>,
    pub upstream: Upstream,
}

/// The APIs of a gateway, longest base path first so that the first match
/// is the most specific one.
#[derive(Debug)]
pub struct Routes {
    mounts: Box<[Mount]>,
}

impl Routes {
    pub fn new(contract: &'static Contract, resolved: Vec<ResolvedApi>) -> Routes {
        // One mount per base path: an API may be served at several.
        let mut mounts: Vec<Mount> = resolved
            .into_iter()
            .flat_map(|r| {
                r.base_paths.into_iter().map(move |base_path| Mount {
                    api: &contract.apis[r.index],
                    index: r.index,
                    base_path: base_path.into_boxed_str(),
                    upstream: r.upstream.clone(),
                })
            })
            .collect();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.base_path.len()));
        Routes {
            mounts: mounts.into_boxed_slice(),
        }
    }

    pub fn mounts(&self) -> &[Mount] {
        &self.mounts
    }

    /// The API whose base path is the longest prefix of `path` at a segment
    /// boundary, and the path below it (starting with `/`).
    pub fn mount<'p>(&self, path: &'p str) -> Option<(&Mount, &'p str)> {
        self.mounts
            .iter()
            .find_map(|m| below(&m.base_path, path).map(|rest| (m, rest)))
    }

    /// The API for `path`, and the path below its base path.
    pub fn api<'p>(&self, path: &'p str) -> Result<(&Mount, &'p str), Problem> {
        self.mount(path)
            .ok_or_else(|| Problem::new(ProblemKind::NotFound, "no api matches path"))
    }
}

impl Mount {
    /// The declared path item matching `path` (below the base path), with
    /// the raw path parameters.
    pub fn path_item<'p>(
        &self,
        path: &'p str,
    ) -> Result<(&'static PathItem, Captures<'p>), Problem> {
        let api = self.api;
        let mut captures = Captures::default();
        let item = (api.route)(path, &mut captures)
            .map(|i| &api.path_items[i])
            .ok_or_else(|| Problem::new(ProblemKind::NotFound, "no operation matches path"))?;
        Ok((item, captures))
    }

    /// Finds the operation for `method` on `path` (below the base path),
    /// with the raw path parameters.
    pub fn operation<'p>(
        &self,
        method: &http::Method,
        path: &'p str,
        query: Option<&str>,
        headers: &http::HeaderMap,
    ) -> Result<(&'static Operation, Captures<'p>), Problem> {
        let api = self.api;
        let (item, captures) = self.path_item(path)?;
        // Operations of one method on one path differ by their query
        // discriminator; those with one come first, so the first whose
        // pairs are all in the query wins. Same-method operations that
        // match the same requests (a route conflict the contract lets pass)
        // are told apart by their parameters: the first that finds them
        // valid wins; else the first whose path parameters are valid, whose
        // errors then make sense to the client; else the first.
        let find = |m: Method| {
            let mut candidates = item
                .operations
                .iter()
                .map(|&(declared, op)| (declared, &api.operations[op]))
                .filter(|(declared, op)| {
                    *declared == m && op.discriminator.iter().all(|pair| has_pair(query, *pair))
                })
                .map(|(_, op)| op);
            let first = candidates.next()?;
            let mut others = candidates.peekable();
            if others.peek().is_none() {
                return Some(first);
            }
            let parts = RequestParts {
                raw_query: query,
                query: QueryPairs::parse(query),
                headers,
            };
            // 0: valid; 1: only its query or headers are not; 2: its path
            // parameters are not either (the request is likely not for it).
            let fit = |op: &Operation| {
                let mut violations = Violations::default();
                (op.check_parameters)(&parts, &captures, &mut violations);
                match violations.as_slice() {
                    [] => 0,
                    v if v.iter().all(|v| v.location != Location::Path) => 1,
                    _ => 2,
                }
            };
            std::iter::once(first)
                .chain(others)
                .map(|op| (fit(op), op))
                .min_by_key(|&(fit, _)| fit)
                .map(|(_, op)| op)
        };
        // HEAD follows GET where the contract does not declare it
        // (RFC 9110 §9.3.2); the compiler lists it in `allow` then.
        let requested = |m: Method| m.as_str() == method.as_str();
        let declared = if method == http::Method::HEAD {
            find(Method::Head).or_else(|| find(Method::Get))
        } else {
            item.operations
                .iter()
                .find(|&&(m, _)| requested(m))
                .and_then(|&(m, _)| find(m))
        };
        match declared {
            Some(operation) => Ok((operation, captures)),
            None if item.operations.iter().any(|&(m, _)| requested(m)) => {
                // The method is declared, but only with query discriminators
                // this request does not carry.
                let wanted: Vec<String> = item
                    .operations
                    .iter()
                    .filter(|&&(m, _)| requested(m))
                    .map(|&(_, op)| {
                        let pairs: Vec<String> = api.operations[op]
                            .discriminator
                            .iter()
                            .map(|(k, v)| {
                                if v.is_empty() {
                                    k.to_string()
                                } else {
                                    format!("{k}={v}")
                                }
                            })
                            .collect();
                        pairs.join("&")
                    })
                    .collect();
                Err(Problem::new(
                    ProblemKind::NotFound,
                    format!(
                        "no operation matches {method} {} with this query (one of: {})",
                        item.template,
                        wanted.join(", ")
                    ),
                ))
            }
            None => {
                let mut problem = Problem::new(
                    ProblemKind::MethodNotAllowed,
                    format!("method {method} is not declared for {}", item.template),
                );
                problem.allow = Some(item.allow);
                Err(problem)
            }
        }
    }
}

/// Whether the query string holds `key=value` (keys form-decoded, values
/// compared as sent); an empty `value` asks only for the key (`?uploads`).
fn has_pair(query: Option<&str>, (key, value): (&str, &str)) -> bool {
    let pairs = crate::validate::QueryPairs::parse(query);
    let mut values = pairs.values(key);
    if value.is_empty() {
        return values.next().is_some();
    }
    values.any(|v| v == value)
}

/// The part of `path` below `base` (`"/"` when they are equal), if `base`
/// is a prefix of `path` at a segment boundary.
fn below<'p>(base: &str, path: &'p str) -> Option<&'p str> {
    let rest = path.strip_prefix(base)?;
    if rest.is_empty() {
        Some("/")
    } else if rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(base: &str, path: &str, expect: Option<&str>) {
        assert_eq!(below(base, path), expect, "base {base:?} path {path:?}");
    }

    #[test]
    fn base_path_selection() {
        check("", "/", Some("/"));
        check("", "/pets", Some("/pets"));
        check("/v2", "/v2", Some("/"));
        check("/v2", "/v2/", Some("/"));
        check("/v2", "/v2/pets", Some("/pets"));
        check("/v2", "/v22/pets", None);
        check("/v2", "/v", None);
        check("/a/b", "/a/b/c", Some("/c"));
        check("/a/b", "/a", None);
    }
}

//! GitHub's REST contract compiled by `douane-compiler` (in `build.rs`),
//! plus what the routing test and the benchmark share: concrete paths built
//! from the contract's templates, an independent reference matcher, and the
//! same templates loaded into `matchit`.

include!(concat!(env!("OUT_DIR"), "/contract.rs"));

use std::collections::HashMap;

use douane_runtime::validate::Captures;
use serde_json::Value;

/// The contract file that `build.rs` compiled.
pub const SPEC_PATH: &str = env!("DOUANE_GITHUB_SPEC_PATH");

/// The compiled API.
pub fn api() -> &'static douane_runtime::contract::Api {
    &github::API
}

/// Douane's compiled router: the index of the path item, if any.
#[inline]
pub fn douane_route(path: &str) -> Option<usize> {
    let mut caps = Captures::default();
    (github::API.route)(path, &mut caps)
}

// ---------------------------------------------------------------------------
// An independent reference matcher, written from the OpenAPI rules rather
// than from the compiler: a template matches a path when both have the same
// number of `/`-separated segments, literal segments are equal, and each
// parameter takes a non-empty part of one segment (never a `/`). Among the
// templates matching a path the most specific wins, segment by segment from
// the left: a literal beats a segment mixing literals and parameters (the
// more literal text, the better), which beats a whole-segment parameter.

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Lit(String),
    Param(String),
    Mixed(Vec<Part>),
}

/// Part of a segment mixing literals and parameters (`{base}...{head}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Param(String),
}

/// Splits a template into segments (the template starts with `/`).
pub fn parse_template(template: &str) -> Vec<Seg> {
    let rest = template.strip_prefix('/').expect("templates start with /");
    rest.split('/')
        .map(|raw| {
            let mut parts = Vec::new();
            let mut s = raw;
            while !s.is_empty() {
                if let Some(after) = s.strip_prefix('{') {
                    let end = after.find('}').expect("closed parameter");
                    parts.push(Part::Param(after[..end].to_owned()));
                    s = &after[end + 1..];
                } else {
                    let end = s.find('{').unwrap_or(s.len());
                    parts.push(Part::Lit(s[..end].to_owned()));
                    s = &s[end..];
                }
            }
            match parts.as_slice() {
                [] => Seg::Lit(String::new()),
                [Part::Lit(l)] => Seg::Lit(l.clone()),
                [Part::Param(p)] => Seg::Param(p.clone()),
                _ => Seg::Mixed(parts),
            }
        })
        .collect()
}

/// Parameter names of a template, in order.
pub fn param_names(segs: &[Seg]) -> Vec<&str> {
    let mut names = Vec::new();
    for seg in segs {
        match seg {
            Seg::Lit(_) => {}
            Seg::Param(p) => names.push(p.as_str()),
            Seg::Mixed(parts) => {
                for part in parts {
                    if let Part::Param(p) = part {
                        names.push(p.as_str());
                    }
                }
            }
        }
    }
    names
}

/// Whether `segs` matches `path`; on success, the parameter values in order.
pub fn reference_match<'p>(segs: &[Seg], path: &'p str) -> Option<Vec<&'p str>> {
    let rest = path.strip_prefix('/')?;
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.len() != segs.len() {
        return None;
    }
    let mut values = Vec::new();
    for (seg, text) in segs.iter().zip(parts) {
        match seg {
            Seg::Lit(l) => {
                if l != text {
                    return None;
                }
            }
            Seg::Param(_) => {
                if text.is_empty() {
                    return None;
                }
                values.push(text);
            }
            Seg::Mixed(pieces) => values.extend(mixed(pieces, text)?),
        }
    }
    Some(values)
}

/// All ways to read `text` as `pieces` would be overkill; the first one
/// found, trying the longest parameter values first (so `{a}.{b}` reads
/// `x.tar.gz` as `x.tar` and `gz`), is returned.
fn mixed<'p>(pieces: &[Part], text: &'p str) -> Option<Vec<&'p str>> {
    match pieces.split_first() {
        None => text.is_empty().then(Vec::new),
        Some((Part::Lit(l), rest)) => mixed(rest, text.strip_prefix(l.as_str())?),
        Some((Part::Param(_), rest)) => {
            // Every non-empty prefix, longest first.
            let mut ends: Vec<usize> = (1..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            ends.reverse();
            for end in ends {
                if let Some(mut tail) = mixed(rest, &text[end..]) {
                    tail.insert(0, &text[..end]);
                    return Some(tail);
                }
            }
            None
        }
    }
}

/// How specific a segment is: smaller is more specific.
fn rank(seg: &Seg) -> (u8, std::cmp::Reverse<usize>) {
    match seg {
        Seg::Lit(_) => (0, std::cmp::Reverse(0)),
        Seg::Mixed(parts) => {
            let literal = parts
                .iter()
                .map(|p| if let Part::Lit(l) = p { l.len() } else { 0 })
                .sum();
            (1, std::cmp::Reverse(literal))
        }
        Seg::Param(_) => (2, std::cmp::Reverse(0)),
    }
}

/// What the reference matcher says about a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Every template (by index) matching the path.
    pub candidates: Vec<usize>,
    /// The most specific one.
    pub best: Option<usize>,
    /// Whether the best one is at least as specific as every other
    /// candidate at every segment (false: the choice rests on the
    /// left-to-right order alone, e.g. `/a/{x}` against `/{y}/b`).
    pub dominates: bool,
}

/// The reference matcher over a set of parsed templates (`None` entries are
/// left out, as the templates matchit cannot hold are).
pub fn reference_route(templates: &[Option<Vec<Seg>>], path: &str) -> Verdict {
    let candidates: Vec<usize> = templates
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.as_ref().and_then(|t| reference_match(t, path)).map(|_| i))
        .collect();
    let key = |i: usize| -> Vec<_> { templates[i].as_ref().unwrap().iter().map(rank).collect() };
    let best = candidates.iter().copied().min_by_key(|&i| key(i));
    let dominates = match best {
        None => true,
        Some(b) => candidates.iter().all(|&c| {
            key(b).iter().zip(key(c).iter()).all(|(x, y)| x <= y)
        }),
    };
    Verdict {
        candidates,
        best,
        dominates,
    }
}

// ---------------------------------------------------------------------------
// Concrete paths.

/// Path parameters' schemas by `(template, name)`, read from the contract
/// (path-level and operation-level parameters, `$ref`s to
/// `#/components/parameters` followed).
pub fn path_param_schemas(spec: &Value) -> HashMap<(String, String), Value> {
    fn resolve<'a>(spec: &'a Value, mut p: &'a Value) -> Value {
        for _ in 0..8 {
            match p.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let pointer = r.strip_prefix('#').unwrap_or(r);
                    p = spec.pointer(pointer).expect("local $ref");
                }
                None => break,
            }
        }
        p.clone()
    }
    let mut out = HashMap::new();
    let paths = spec["paths"].as_object().expect("paths");
    for (template, item) in paths {
        let mut params: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if let Some(item) = item.as_object() {
            for op in item.values() {
                if let Some(ps) = op.get("parameters").and_then(Value::as_array) {
                    params.extend(ps.iter().cloned());
                }
            }
        }
        for p in params {
            let p = resolve(spec, &p);
            if p["in"] == "path" {
                let name = p["name"].as_str().unwrap_or_default().to_owned();
                let mut schema = p.get("schema").cloned().unwrap_or(Value::Null);
                if let (Some(ex), Some(obj)) = (p.get("example"), schema.as_object_mut()) {
                    obj.entry("example").or_insert(ex.clone());
                }
                out.entry((template.clone(), name)).or_insert(schema);
            }
        }
    }
    out
}

const SHA: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

/// A realistic value for a path parameter: the first `enum` value, else a
/// string example without `/`, else a number for integers, else a value
/// chosen by name. Never contains `/`: an OpenAPI path parameter is one
/// segment (or part of one).
pub fn value_for(name: &str, schema: Option<&Value>) -> String {
    if let Some(s) = schema {
        if let Some(first) = s.get("enum").and_then(|e| e.get(0)).and_then(Value::as_str) {
            return first.to_owned();
        }
        if let Some(ex) = s.get("example").and_then(Value::as_str) {
            if !ex.contains('/') && !ex.is_empty() {
                return ex.to_owned();
            }
        }
        if s.get("type").and_then(Value::as_str) == Some("integer") {
            return "1296269".to_owned();
        }
    }
    let by_name = match name {
        "owner" | "username" | "template_owner" | "repo_owner" | "assignee" | "target_user"
        | "actor_identifier" | "user_id" => "octocat",
        "org" | "enterprise" => "github",
        "enterprise-team" | "team_slug" => "justice-league",
        "repo" | "template_repo" | "repo_name" => "hello-world",
        "sha" | "commit_sha" | "tree_sha" | "file_sha" | "tag_sha" => SHA,
        "ref" | "branch" | "base" => "main",
        "head" => "feature-a",
        "basehead" => "main...feature-a",
        "tag" => "v1.0.0",
        "path" => "README.md",
        "dir" => "docs",
        "name" => "ci.yml",
        "archive_format" => "tarball",
        "gist_id" => "aa5a315d61ae9438b18d",
        "ghsa_id" => "GHSA-abcd-1234-efgh",
        "language" => "rust",
        "license" => "mit",
        "key" => "my-key",
        "code" => "0d3cb1d2",
        "cluster" => "my-cluster",
        "app_slug" => "octoapp",
        "client_id" => "Iv1.8a61f9b3a7aba766",
        "secret_name" => "GH_TOKEN",
        "environment_name" => "production",
        "codespace_name" => "monalisa-octocat-hello-world-g4wpq6h95q",
        "package_name" => "hello-world-npm",
        "custom_property_name" => "team",
        "concurrency_group_name" => "deploy-production",
        "version" => "1.2.3",
        "uuid" | "sbom_uuid" => "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "subject_digest" => {
            "sha256:1bb1e949e55dcefc6353e7b36c8897d2a107d8e8dca49d4e3c0ea8493fc0bc72"
        }
        n if n.ends_with("_id") || n.ends_with("number") => "1296269",
        _ => "example",
    };
    by_name.to_owned()
}

/// One concrete path built from one of the contract's path templates.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The path item holding the template's operations: the template's own
    /// path item, or the one it was merged into (the compiler folds
    /// templates equal up to parameter names, e.g.
    /// `/orgs/{org}/attestations/{attestation_id}` (DELETE) and
    /// `/orgs/{org}/attestations/{subject_digest}` (GET), into one path item).
    pub item: usize,
    /// The template the path was built from (an operation's template).
    pub template: &'static str,
    /// Indices into `API.operations` of the operations declared on it.
    pub operations: Vec<usize>,
    pub path: String,
    /// The values substituted, in the template's parameter order.
    pub values: Vec<String>,
}

/// One concrete path per distinct path template of the compiled API's
/// operations (every path of the contract), in operation order.
pub fn samples(spec: &Value) -> Vec<Sample> {
    let schemas = path_param_schemas(spec);
    let api = api();
    let mut out: Vec<Sample> = Vec::new();
    for (op_index, op) in api.operations.iter().enumerate() {
        if let Some(s) = out.iter_mut().find(|s| s.template == op.template) {
            s.operations.push(op_index);
            continue;
        }
        let item = api
            .path_items
            .iter()
            .position(|pi| pi.operations.iter().any(|&(_, o)| o == op_index))
            .expect("every operation is in a path item");
        let segs = parse_template(op.template);
        let mut values = Vec::new();
        let mut path = String::new();
        for seg in &segs {
            path.push('/');
            let parts = match seg {
                Seg::Lit(l) => vec![Part::Lit(l.clone())],
                Seg::Param(p) => vec![Part::Param(p.clone())],
                Seg::Mixed(parts) => parts.clone(),
            };
            for part in parts {
                match part {
                    Part::Lit(l) => path.push_str(&l),
                    Part::Param(p) => {
                        let key = (op.template.to_owned(), p.clone());
                        let v = value_for(&p, schemas.get(&key));
                        path.push_str(&v);
                        values.push(v);
                    }
                }
            }
        }
        out.push(Sample {
            item,
            template: op.template,
            operations: vec![op_index],
            path,
            values,
        });
    }
    out
}

/// Reads and parses the contract.
pub fn load_spec() -> Value {
    let text = std::fs::read_to_string(SPEC_PATH).expect("the contract build.rs compiled");
    serde_json::from_str(&text).expect("JSON")
}

// ---------------------------------------------------------------------------
// matchit.

/// A template in matchit's syntax. Parameters are renamed after their
/// position (`{s3}`, or `{s3_0}`, `{s3_1}` within a mixed segment):
/// matchit refuses two routes naming the parameter at the same node
/// differently (`/repos/{owner}/{repo}` against
/// `/repos/{template_owner}/{template_repo}/generate`), although the names
/// do not change what matches. Literal braces would be doubled; GitHub has
/// none.
pub fn to_matchit(template: &str) -> String {
    let mut out = String::new();
    for (i, seg) in parse_template(template).iter().enumerate() {
        out.push('/');
        match seg {
            Seg::Lit(l) => out.push_str(&l.replace('{', "{{").replace('}', "}}")),
            Seg::Param(_) => out.push_str(&format!("{{s{i}}}")),
            Seg::Mixed(parts) => {
                let mut k = 0;
                for part in parts {
                    match part {
                        Part::Lit(l) => out.push_str(&l.replace('{', "{{").replace('}', "}}")),
                        Part::Param(_) => {
                            out.push_str(&format!("{{s{i}_{k}}}"));
                            k += 1;
                        }
                    }
                }
            }
        }
    }
    out
}

/// The path items in a matchit router (value: path item index), and the
/// ones it refused, with matchit's reason.
pub fn matchit_router() -> (matchit::Router<usize>, Vec<(usize, String)>) {
    let mut router = matchit::Router::new();
    let mut skipped = Vec::new();
    for (i, pi) in api().path_items.iter().enumerate() {
        if let Err(e) = router.insert(to_matchit(pi.template), i) {
            skipped.push((i, e.to_string()));
        }
    }
    (router, skipped)
}

/// matchit's answer for a path.
#[inline]
pub fn matchit_route(router: &matchit::Router<usize>, path: &str) -> Option<usize> {
    router.at(path).ok().map(|m| *m.value)
}

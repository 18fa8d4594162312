//! Routes one concrete path per path template of GitHub's REST contract
//! through Douane's compiled router, and checks the answer against an
//! independent reference matcher (see `src/lib.rs`) and against matchit.
//!
//! Run with `-- --nocapture` to see the counts.

use douane_router_bench::*;
use douane_runtime::validate::Captures;

/// Everything that went wrong, reported together at the end.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
}

impl Report {
    fn fail(&mut self, msg: String) {
        self.failures.push(msg);
    }
}

fn template_of(i: Option<usize>) -> String {
    match i {
        Some(i) => format!("{} (#{i})", api().path_items[i].template),
        None => "none (404)".to_owned(),
    }
}

#[test]
fn every_github_template_routes_to_itself_or_a_more_specific_one() {
    let spec = load_spec();
    let items = api().path_items;
    let samples = samples(&spec);
    let spec_paths = spec["paths"].as_object().unwrap().len();
    let spec_operations: usize = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .count()
        })
        .sum();
    assert_eq!(samples.len(), spec_paths, "one sample per path of the contract");
    assert_eq!(api().operations.len(), spec_operations, "every operation compiled");
    let all: Vec<Option<Vec<Seg>>> = items.iter().map(|p| Some(parse_template(p.template))).collect();
    let (mm, skipped) = matchit_router();
    let in_matchit: Vec<Option<Vec<Seg>>> = all
        .iter()
        .enumerate()
        .map(|(i, t)| (!skipped.iter().any(|(s, _)| *s == i)).then(|| t.clone().unwrap()))
        .collect();

    let mut report = Report::default();
    let (mut to_itself, mut to_more_specific, mut order_only) = (0, 0, 0);
    let mut matchit_checked = 0;
    let mut merged = 0;
    for s in &samples {
        let verdict = reference_route(&all, &s.path);
        // The path item must hold exactly the template's operations, under
        // their methods (plus those of templates merged with it).
        for &o in &s.operations {
            let op = &api().operations[o];
            if !items[s.item].operations.contains(&(op.method, o)) {
                report.fail(format!("path item {} lacks {} {}", items[s.item].template, op.method.as_str(), op.id));
            }
        }
        if !verdict.candidates.contains(&s.item) {
            report.fail(format!(
                "test bug: {} does not match its own template {}",
                s.path, s.template
            ));
            continue;
        }
        let mut caps = Captures::default();
        let got = (api().route)(&s.path, &mut caps);
        if got != verdict.best {
            report.fail(format!(
                "ROUTER MISMATCH: path {} (from template {}) routed to {}, expected {} (candidates: {})",
                s.path,
                s.template,
                template_of(got),
                template_of(verdict.best),
                verdict.candidates.iter().map(|&c| template_of(Some(c))).collect::<Vec<_>>().join(", ")
            ));
        } else if got == Some(s.item) {
            to_itself += 1;
            if items[s.item].template != s.template {
                merged += 1;
                println!("merged: {} is served by path item {}", s.template, items[s.item].template);
            }
            // The captures are the values substituted, in template order.
            for (k, v) in s.values.iter().enumerate() {
                if caps.get(k) != v {
                    report.fail(format!(
                        "CAPTURE MISMATCH: path {} template {}: capture {k} is {:?}, expected {v:?}",
                        s.path,
                        s.template,
                        caps.get(k)
                    ));
                }
            }
        } else {
            to_more_specific += 1;
            println!(
                "shadowed: {} (from {}) goes to the more specific {}",
                s.path,
                s.template,
                template_of(got)
            );
        }
        if !verdict.dominates {
            order_only += 1;
            println!(
                "left-to-right order decides: {} → {} among {:?}",
                s.path,
                template_of(verdict.best),
                verdict.candidates
            );
        }
        // matchit, over the templates it could hold.
        if in_matchit[s.item].is_some() {
            matchit_checked += 1;
            let theirs = matchit_route(&mm, &s.path);
            let expected = reference_route(&in_matchit, &s.path).best;
            if theirs != expected {
                report.fail(format!(
                    "MATCHIT DISAGREES: path {} → matchit {}, reference {}",
                    s.path,
                    template_of(theirs),
                    template_of(expected)
                ));
            }
            if theirs != got {
                println!(
                    "douane/matchit differ on {}: douane {}, matchit {}",
                    s.path,
                    template_of(got),
                    template_of(theirs)
                );
            }
        }
    }

    println!(
        "GitHub contract: {spec_paths} paths and {spec_operations} operations in the spec; {} path items and {} operations compiled",
        items.len(),
        api().operations.len()
    );
    println!(
        "checked {} concrete paths: {to_itself} routed to their own path item ({merged} of them folded into a path item of the same shape), {to_more_specific} to a more specific one, {order_only} decided by left-to-right order only",
        samples.len()
    );
    println!(
        "matchit: {} templates held, {} skipped: {}",
        items.len() - skipped.len(),
        skipped.len(),
        skipped
            .iter()
            .map(|(i, e)| format!("{} ({e})", items[*i].template))
            .collect::<Vec<_>>()
            .join("; ")
    );
    println!("matchit checked on {matchit_checked} paths");
    println!("mismatches: {}", report.failures.len());
    for f in &report.failures {
        println!("  {f}");
    }
    assert!(report.failures.is_empty(), "{} mismatches:\n{}", report.failures.len(), report.failures.join("\n"));
}

/// Paths near the real ones: each must get exactly the reference answer,
/// 404 included.
#[test]
fn perturbed_paths_agree_with_the_reference() {
    let spec = load_spec();
    let items = api().path_items;
    let all: Vec<Option<Vec<Seg>>> = items.iter().map(|p| Some(parse_template(p.template))).collect();
    let mut variants = Vec::new();
    for s in samples(&spec) {
        let p = &s.path;
        variants.push(format!("{p}/"));
        variants.push(format!("{p}/extra"));
        variants.push(format!("{p}//"));
        variants.push(format!("/{p}"));
        variants.push(p.to_uppercase());
        // Drop the last segment; replace it by an empty one; by a literal
        // that no template has.
        if let Some((head, _)) = p.rsplit_once('/') {
            variants.push(head.to_owned());
            variants.push(format!("{head}/"));
            variants.push(format!("{head}/zzz-unknown"));
        }
        // Each segment in turn emptied.
        let segs: Vec<&str> = p.split('/').collect();
        for i in 1..segs.len() {
            let mut v = segs.clone();
            v[i] = "";
            variants.push(v.join("/"));
        }
    }
    // Real GitHub paths whose values hold a `/` (a ref, a file path): an
    // OpenAPI path parameter is one segment, so they match only what the
    // reference says (usually nothing).
    for p in [
        "/repos/octocat/hello-world/git/ref/heads/feature-a",
        "/repos/octocat/hello-world/git/refs/heads/feature-a",
        "/repos/octocat/hello-world/contents/docs/README.md",
        "/repos/octocat/hello-world/branches/feature/x/protection",
        "/repos/octocat/hello-world/compare/main...octocat:feature/x",
        "/repos/octocat/hello-world/git/ref/heads%2Ffeature-a",
        // `{basehead}` reached only without `...` (two dots).
        "/repos/octocat/hello-world/compare/main..feature-a",
        "",
        "/",
        "//",
        "no-leading-slash",
    ] {
        variants.push(p.to_owned());
    }
    let explicit = variants.len() - 11..variants.len();
    let mut failures = Vec::new();
    let mut routed = 0;
    for (n, v) in variants.iter().enumerate() {
        if explicit.contains(&n) {
            println!("explicit: {v:?} → {}", template_of(douane_route(v)));
        }
        let expected = reference_route(&all, v).best;
        let got = douane_route(v);
        routed += got.is_some() as usize;
        if got != expected {
            failures.push(format!(
                "ROUTER MISMATCH: path {v:?} routed to {}, expected {}",
                template_of(got),
                template_of(expected)
            ));
        }
    }
    println!(
        "perturbed paths: {} checked ({routed} routed, {} 404), mismatches: {}",
        variants.len(),
        variants.len() - routed,
        failures.len()
    );
    for f in &failures {
        println!("  {f}");
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// The reference matcher itself, on cases whose answer is known.
#[test]
fn reference_matcher_sanity() {
    let t = |s: &str| Some(parse_template(s));
    let set = vec![t("/a/{x}"), t("/a/b"), t("/{y}/b"), t("/c/{base}...{head}"), t("/")];
    assert_eq!(reference_route(&set, "/a/b").best, Some(1));
    assert_eq!(reference_route(&set, "/a/z").best, Some(0));
    assert_eq!(reference_route(&set, "/z/b").best, Some(2));
    assert_eq!(reference_route(&set, "/c/x...y").best, Some(3));
    assert_eq!(reference_route(&set, "/c/...y").best, None);
    assert_eq!(reference_route(&set, "/").best, Some(4));
    assert_eq!(reference_route(&set, "/a/").best, None);
    assert_eq!(reference_match(&parse_template("/c/{a}...{b}"), "/c/x......y"), Some(vec!["x...", "y"]));
    assert_eq!(to_matchit("/repos/{owner}/{repo}/compare/{base}...{head}"), "/repos/{s1}/{s2}/compare/{s4_0}...{s4_1}");
}

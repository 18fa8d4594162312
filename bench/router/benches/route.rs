//! Douane's compiled router against matchit on GitHub's REST contract: the
//! time to route one concrete path per template (the templates matchit
//! cannot hold are left out for both), then the ratio matchit / douane.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use douane_router_bench::*;
use douane_runtime::validate::Captures;

const GROUP: &str = "route_github";

/// Where criterion writes its reports and estimates.
fn output_directory() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target")))
        .join("criterion")
}

/// Criterion's typical time per iteration in nanoseconds (the slope of the
/// linear fit, else the mean: the estimate it prints), if the benchmark ran.
fn typical_ns(dir: &std::path::Path, group: &str, id: &str) -> Option<f64> {
    let path = dir.join(group).join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| v["mean"]["point_estimate"].as_f64())
}

fn human(ns: f64) -> String {
    match ns {
        ns if ns < 1e3 => format!("{ns:.0} ns"),
        ns if ns < 1e6 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{:.2} ms", ns / 1e6),
    }
}

fn main() {
    let spec = load_spec();
    let (router, skipped) = matchit_router();
    let candidates: Vec<String> = samples(&spec)
        .into_iter()
        .filter(|s| !skipped.iter().any(|(i, _)| *i == s.item))
        .map(|s| s.path)
        .collect();
    // Both routers must give the same answers on the list, else the
    // comparison means nothing: a path that Douane routes to a template
    // matchit could not hold (`compare/main...feature-a` goes to
    // `{base}...{head}`, not `{basehead}`) is left out too.
    let (paths, differ): (Vec<String>, Vec<String>) = candidates
        .into_iter()
        .partition(|p| douane_route(p) == matchit_route(&router, p));
    assert!(paths.iter().all(|p| douane_route(p).is_some()), "douane left a path unrouted");
    println!(
        "{} path items, {} skipped (matchit cannot hold them), {} paths left out (answers differ: {:?}), {} paths routed per iteration",
        api().path_items.len(),
        skipped.len(),
        differ.len(),
        differ,
        paths.len()
    );
    for (i, e) in &skipped {
        println!("  skipped {}: {e}", api().path_items[*i].template);
    }

    let dir = output_directory();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    {
        let mut g = c.benchmark_group(GROUP);
        g.throughput(Throughput::Elements(paths.len() as u64));
        let route = api().route;
        g.bench_function(BenchmarkId::from_parameter("douane"), |b| {
            b.iter(|| {
                let mut found = 0usize;
                for p in &paths {
                    let mut caps = Captures::default();
                    if let Some(i) = route(black_box(p.as_str()), &mut caps) {
                        found = found.wrapping_add(i);
                        black_box(&caps);
                    }
                }
                found
            })
        });
        g.bench_function(BenchmarkId::from_parameter("matchit"), |b| {
            b.iter(|| {
                let mut found = 0usize;
                for p in &paths {
                    if let Ok(m) = router.at(black_box(p.as_str())) {
                        found = found.wrapping_add(*m.value);
                        black_box(&m.params);
                    }
                }
                found
            })
        });
        g.finish();
    }
    c.final_summary();

    println!("\nSummary (time to route the {} paths; ratio = matchit / douane, target ≥ 1×)", paths.len());
    let (Some(d), Some(m)) = (typical_ns(&dir, GROUP, "douane"), typical_ns(&dir, GROUP, "matchit")) else {
        println!("(no estimates: the benchmark did not run)");
        return;
    };
    let n = paths.len() as f64;
    println!("{:<8} {:>10} {:>12}", "router", "list", "per path");
    println!("{:<8} {:>10} {:>12}", "douane", human(d), human(d / n));
    println!("{:<8} {:>10} {:>12}", "matchit", human(m), human(m / n));
    println!("ratio matchit/douane: {:.2}×", m / d);
}

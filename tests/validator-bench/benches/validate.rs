//! Generated validators against the `jsonschema` crate on the benchmark
//! schemas (`schemas/{small,medium,large}.json`) and their valid payloads.
//!
//! Two measures per schema:
//! - `validate_<name>`: validation of an already parsed document (our
//!   `json::Value` with a fresh `Violations::default()`, as the gateway does
//!   per request, against `Validator::is_valid` on a `serde_json::Value`);
//! - `parse_validate_<name>`: what a gateway pays per request body, bytes to
//!   verdict (`json::parse` then validate, against `serde_json::from_slice`
//!   then `is_valid`).
//!
//! The `jsonschema` validators are built once, outside the measured loop,
//! with format assertion on (as ours). A summary of the ratios is printed
//! at the end, read back from criterion's estimates.
//!
//! `cargo bench -p douane-validator-bench -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use douane_runtime::json;
use douane_runtime::validate::Violations;
use douane_validator_bench::{BENCH_SCHEMAS, compiled, payloads};

const NAMES: [&str; 3] = ["small", "medium", "large"];
/// Nesting limit given to our parser (the gateway's default order of magnitude).
const MAX_DEPTH: u32 = 64;

fn oracle(name: &str) -> jsonschema::Validator {
    let path = format!("{BENCH_SCHEMAS}/{name}.json");
    let text = std::fs::read_to_string(&path).expect("read bench schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("bench schema is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("jsonschema accepts the bench schema")
}

fn bench(c: &mut Criterion, name: &str) {
    let ours = compiled(name).validate;
    let theirs = oracle(name);
    let text = payloads::by_name(name);
    let bytes = text.as_bytes();
    let parsed = json::parse(bytes, MAX_DEPTH).expect("payload parses");
    let parsed_serde: serde_json::Value = serde_json::from_slice(bytes).expect("payload parses");
    // Both must accept the payload, or the comparison is meaningless.
    assert!(
        ours(&parsed, &mut Violations::default()),
        "{name}: douane rejects its payload"
    );
    assert!(
        theirs.is_valid(&parsed_serde),
        "{name}: jsonschema rejects the payload"
    );

    let mut g = c.benchmark_group(format!("validate_{name}"));
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function(BenchmarkId::from_parameter("douane"), |b| {
        b.iter(|| ours(black_box(&parsed), &mut Violations::default()))
    });
    g.bench_function(BenchmarkId::from_parameter("jsonschema"), |b| {
        b.iter(|| theirs.is_valid(black_box(&parsed_serde)))
    });
    g.finish();

    let mut g = c.benchmark_group(format!("parse_validate_{name}"));
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function(BenchmarkId::from_parameter("douane"), |b| {
        b.iter(|| {
            let v = json::parse(black_box(bytes), MAX_DEPTH).expect("parses");
            ours(&v, &mut Violations::default())
        })
    });
    g.bench_function(BenchmarkId::from_parameter("jsonschema"), |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_slice(black_box(bytes)).expect("parses");
            theirs.is_valid(&v)
        })
    });
    g.finish();
}

/// Where criterion writes its reports and estimates (the workspace target
/// directory unless `CARGO_TARGET_DIR` says otherwise).
fn output_directory() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")))
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

fn summary(dir: &std::path::Path) {
    println!("\nSummary (time per call; ratio = jsonschema / douane, target ≥ 5×)");
    println!(
        "{:<22} {:>9} {:>12} {:>12} {:>8}",
        "benchmark", "payload", "douane", "jsonschema", "ratio"
    );
    for name in NAMES {
        let size = payloads::by_name(name).len();
        for group in [format!("validate_{name}"), format!("parse_validate_{name}")] {
            let (Some(ours), Some(theirs)) = (
                typical_ns(dir, &group, "douane"),
                typical_ns(dir, &group, "jsonschema"),
            ) else {
                continue;
            };
            println!(
                "{group:<22} {:>7} B {:>12} {:>12} {:>7.2}×",
                size,
                human(ours),
                human(theirs),
                theirs / ours
            );
        }
    }
}

fn main() {
    let dir = output_directory();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for name in NAMES {
        bench(&mut c, name);
    }
    c.final_summary();
    summary(&dir);
}

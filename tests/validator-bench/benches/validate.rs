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
//! with format assertion on (as ours).
//!
//! The machine is shared and noisy: the same code's time moves by half
//! between runs, and criterion measures each side at a different moment.
//! So the ratio that the summary at the end gives for the target is
//! *paired*: after criterion's runs, both sides run in alternation, in
//! rounds of about a millisecond each, and each round gives one ratio; the
//! summary prints their median and quartiles, beside criterion's own times.
//!
//! `cargo bench -p douane-validator-bench -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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

/// Paired ratios of one group: its name and the quartiles of the ratio.
type Paired = (String, [f64; 3]);

fn bench(c: &mut Criterion, name: &str, filter: &Filter, paired: &mut Vec<Paired>) {
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

    let group = format!("validate_{name}");
    if filter.admits(&group) {
        let ratio = paired_ratio(
            || ours(black_box(&parsed), &mut Violations::default()),
            || theirs.is_valid(black_box(&parsed_serde)),
        );
        paired.push((group, ratio));
    }
    let group = format!("parse_validate_{name}");
    if filter.admits(&group) {
        let ratio = paired_ratio(
            || {
                let v = json::parse(black_box(bytes), MAX_DEPTH).expect("parses");
                ours(&v, &mut Violations::default())
            },
            || {
                let v: serde_json::Value =
                    serde_json::from_slice(black_box(bytes)).expect("parses");
                theirs.is_valid(&v)
            },
        );
        paired.push((group, ratio));
    }
}

/// Rounds of the paired measure.
const ROUNDS: usize = 201;

/// Quartiles of `theirs / ours` over [`ROUNDS`] rounds in which both run
/// the same number of times, one after the other (which one first
/// alternates), for about a millisecond each: both sides see the same
/// state of the machine, round by round.
fn paired_ratio(mut ours: impl FnMut() -> bool, mut theirs: impl FnMut() -> bool) -> [f64; 3] {
    let time = |f: &mut dyn FnMut() -> bool, n: u32| {
        let start = Instant::now();
        for _ in 0..n {
            black_box(f());
        }
        start.elapsed().as_secs_f64()
    };
    // Calibrate: enough calls of ours for a millisecond.
    let mut n = 1u32;
    while time(&mut ours, n) < 1e-3 && n < 1 << 24 {
        n *= 2;
    }
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|round| {
            let (a, b) = if round % 2 == 0 {
                let a = time(&mut ours, n);
                (a, time(&mut theirs, n))
            } else {
                let b = time(&mut theirs, n);
                (time(&mut ours, n), b)
            };
            b / a
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    [ROUNDS / 4, ROUNDS / 2, 3 * ROUNDS / 4].map(|k| ratios[k])
}

/// The benchmark filter given on the command line (criterion's first free
/// argument), applied to group names for the paired measure: a substring,
/// or a prefix when it starts with `^`.
struct Filter(Option<String>);

impl Filter {
    fn from_args() -> Filter {
        // Criterion's options that take a value.
        const VALUED: [&str; 14] = [
            "--warm-up-time",
            "--measurement-time",
            "--profile-time",
            "--sample-size",
            "--save-baseline",
            "--baseline",
            "--load-baseline",
            "--noise-threshold",
            "--confidence-level",
            "--significance-level",
            "--nresamples",
            "--output-format",
            "--color",
            "--plotting-backend",
        ];
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if VALUED.contains(&arg.as_str()) {
                args.next();
            } else if !arg.starts_with('-') {
                return Filter(Some(arg));
            }
        }
        Filter(None)
    }

    fn admits(&self, group: &str) -> bool {
        match self.0.as_deref() {
            None => true,
            Some(f) => match f.strip_prefix('^') {
                Some(prefix) => group.starts_with(prefix),
                None => group.contains(f),
            },
        }
    }
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

fn summary(dir: &std::path::Path, paired: &[Paired]) {
    println!("\nSummary: time per call (criterion), and ratio = jsonschema / douane");
    println!("(criterion's times divided; then paired rounds: median [quartiles]; target ≥ 5×)");
    println!(
        "{:<22} {:>9} {:>11} {:>11} {:>8} {:>8} {:>17}",
        "benchmark", "payload", "douane", "jsonschema", "ratio", "paired", "[q1 – q3]"
    );
    for (group, [q1, median, q3]) in paired {
        let name = group
            .trim_start_matches("parse_")
            .trim_start_matches("validate_");
        let size = payloads::by_name(name).len();
        let (Some(ours), Some(theirs)) = (
            typical_ns(dir, group, "douane"),
            typical_ns(dir, group, "jsonschema"),
        ) else {
            continue;
        };
        println!(
            "{group:<22} {:>7} B {:>11} {:>11} {:>7.2}× {:>7.2}× {:>7.2}× – {:.2}×",
            size,
            human(ours),
            human(theirs),
            theirs / ours,
            median,
            q1,
            q3
        );
    }
}

fn main() {
    let dir = output_directory();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let filter = Filter::from_args();
    let mut paired = Vec::new();
    for name in NAMES {
        bench(&mut c, name, &filter, &mut paired);
    }
    c.final_summary();
    summary(&dir, &paired);
}

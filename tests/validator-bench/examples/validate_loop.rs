//! Validates a benchmark payload `rounds` times and prints the time per
//! call: a tight loop of ours alone, for comparing two builds run in
//! alternation, and for instruction counts under callgrind (deterministic,
//! where times on this shared machine are not):
//!
//! ```text
//! cargo build --release -p douane-validator-bench --example validate_loop
//! target/release/examples/validate_loop small 3000000
//! valgrind --tool=callgrind --toggle-collect='douane_validator_bench::small::validate' \
//!     target/release/examples/validate_loop small 1000
//! ```
use std::hint::black_box;

use douane_runtime::json;
use douane_runtime::validate::Violations;
use douane_validator_bench::{compiled, payloads};

fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "small".to_owned());
    let rounds: usize = std::env::args()
        .nth(2)
        .map_or(1000, |n| n.parse().expect("a count"));
    let text = payloads::by_name(&name);
    let value = json::parse(text.as_bytes(), 64).expect("payload parses");
    let validate = compiled(&name).validate;
    let mut valid = 0;
    let t = std::time::Instant::now();
    for _ in 0..rounds {
        valid += usize::from(validate(black_box(&value), &mut Violations::default()));
    }
    let ns = t.elapsed().as_nanos() as f64 / rounds as f64;
    assert_eq!(valid, rounds);
    eprintln!("{ns:.2} ns per validation");
}

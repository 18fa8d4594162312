//! Validators compiled by `douane-compiler`, gathered for comparison with the
//! `jsonschema` crate: speed (`benches/validate.rs`), heap allocations
//! (`tests/alloc.rs`) and agreement on verdicts (`tests/differential.rs`).
//!
//! `build.rs` compiles every request-body component schema of `specs/` and
//! the schemas of `schemas/` into one module each; [`SCHEMAS`]
//! lists them by name.

use douane_runtime::json::Value;
use douane_runtime::validate::Violations;

include!(concat!(env!("OUT_DIR"), "/validators.rs"));

/// The JSON Schema dialect a validator was compiled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    OpenApi30,
    OpenApi31,
}

/// Where a compiled schema comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A request-body component of a demo contract; `root` is relative to
    /// `specs/`.
    Spec,
    /// A schema of `schemas/` (the benchmark ones, and `not_tree` for the
    /// depth guard test); `root` is relative to `schemas/`.
    Bench,
}

/// One compiled validator.
#[derive(Debug, Clone, Copy)]
pub struct Compiled {
    /// Module name: `small`, `petstore_pet`...
    pub name: &'static str,
    /// What was compiled: `small.json`, `petstore.yaml#/components/schemas/Pet`.
    pub root: &'static str,
    pub kind: Kind,
    pub dialect: Dialect,
    pub validate: fn(&Value<'_>, &mut Violations) -> bool,
}

/// The compiled validator named `name`.
pub fn compiled(name: &str) -> &'static Compiled {
    SCHEMAS
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no compiled schema named {name}"))
}

/// Directory of the specs converted to JSON by `build.rs` (same relative
/// paths as in `specs/`, with `.json` appended).
pub const SPECS_AS_JSON: &str = concat!(env!("OUT_DIR"), "/specs");

/// Directory of the benchmark schemas.
pub const BENCH_SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");

/// Deterministic, valid payloads for the benchmark schemas.
pub mod payloads {
    use std::fmt::Write as _;

    /// A small deterministic generator (SplitMix64), so that payloads are the
    /// same on every run without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len() as u64) as usize]
        }

        fn uuid(&mut self) -> String {
            let (a, b) = (self.next(), self.next());
            format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                a >> 32,
                (a >> 16) & 0xffff,
                a & 0xfff,
                b >> 52,
                b & 0xffff_ffff_ffff
            )
        }

        fn word(&mut self, min: u64, max: u64) -> String {
            let len = min + self.below(max - min + 1);
            (0..len)
                .map(|_| (b'a' + self.below(26) as u8) as char)
                .collect()
        }
    }

    /// The valid `small` payload (≈200 bytes).
    pub fn small() -> String {
        r#"{"id":"3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c","name":"Ada Lovelace","email":"ada@example.org","age":36,"role":"editor","score":87.5,"createdAt":"2024-03-01T12:30:00Z","active":true,"tags":["math","engines"]}"#.to_owned()
    }

    /// A valid `medium` payload (≈10 KB: an order of 70 lines).
    pub fn medium() -> String {
        let mut r = Rng(7);
        let mut s = String::new();
        let _ = write!(
            s,
            r#"{{"id":"{}","placedOn":"2024-02-29","status":"paid","customer":{{"name":"Grace Hopper","email":"grace@navy.example","address":{{"street":"1 Compiler Way","city":"Arlington","zip":"22201","country":"US"}},"billing":{{"street":"PO Box 42","city":"Arlington","country":"US"}}}},"coupon":"SPRING2024","payment":{{"card":"4111111111111111","expires":"09/27"}},"metadata":{{"channel":"web","priority":2,"gift":false,"note":null}},"lines":["#,
            r.uuid()
        );
        for i in 0..70 {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(
                s,
                r#"{{"sku":"{}-{:06}","quantity":{},"unitPrice":{}.{:02},"#,
                r.pick(&["ABC", "XYZ", "KEY", "PEN", "CUP"]),
                r.below(1_000_000),
                1 + r.below(20),
                r.below(500),
                r.below(100)
            );
            if i % 3 == 0 {
                s.push_str(r#""gift":true,"#);
            } else {
                let _ = write!(s, r#""discount":0.{:02},"#, r.below(100));
            }
            let _ = write!(
                s,
                r#""options":{{"colour":"{}","size":"{}"}},"tags":["{}","{}"]}}"#,
                r.pick(&["red", "green", "blue"]),
                r.pick(&["S", "M", "L", "XL"]),
                r.word(3, 8),
                r.word(9, 12)
            );
        }
        s.push_str("]}");
        s
    }

    /// A valid `large` payload (≈1 MB: an array of log events).
    pub fn large() -> String {
        let mut r = Rng(42);
        let mut s = String::from("[");
        let mut seq = 0u64;
        while s.len() < 1_000_000 {
            if seq > 0 {
                s.push(',');
            }
            let _ = write!(
                s,
                r#"{{"seq":{seq},"id":"{}","at":"2024-0{}-1{}T{:02}:{:02}:{:02}.{:03}Z","level":"{}","message":"{} {} {}","host":"{}-{}.eu-west.example","tags":["{}","{}"],"metrics":{{"cpu":{}.{},"memMb":{},"latencyMs":{}}}"#,
                r.uuid(),
                1 + r.below(9),
                r.below(10),
                r.below(24),
                r.below(60),
                r.below(60),
                r.below(1000),
                r.pick(&["trace", "debug", "info", "warn", "error"]),
                r.pick(&["request served", "cache miss", "upstream slow", "retrying"]),
                r.word(4, 10),
                r.word(2, 30),
                r.pick(&["api", "web", "db"]),
                r.below(100),
                r.word(3, 6),
                r.word(7, 9),
                r.below(100),
                r.below(10),
                r.below(65536),
                r.below(5000)
            );
            if seq % 10 == 0 {
                let _ = write!(
                    s,
                    r#","error":{{"code":{},"detail":"{}"}}"#,
                    r.below(1000),
                    r.word(10, 40)
                );
            } else if seq % 10 == 1 {
                s.push_str(r#","error":null"#);
            }
            s.push('}');
            seq += 1;
        }
        s.push(']');
        s
    }

    /// The valid payload of a benchmark schema by name.
    pub fn by_name(name: &str) -> String {
        match name {
            "small" => small(),
            "medium" => medium(),
            "large" => large(),
            other => panic!("no payload for {other}"),
        }
    }
}

/// Prints a summary line, and appends it to the file `$DOUANE_TEST_SUMMARY`
/// names, if set: cargo shows nothing a passing test prints, and CI shows
/// the summaries of the one test run it makes.
pub fn report(line: &str) {
    eprintln!("{line}");
    if let Some(path) = std::env::var_os("DOUANE_TEST_SUMMARY") {
        use std::io::Write;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{line}");
        }
    }
}

//! Differential test: every compiled validator (the request-body schemas of
//! `specs/` and the benchmark schemas) against the `jsonschema` crate as an
//! oracle, on instances generated around each schema.
//!
//! Instances start from hand-written valid seeds and go through zero to
//! three mutations chosen by proptest: replace a node by a value from a pool
//! built from the schema itself (enum and const values, numbers at and
//! around every bound, strings at and around every length, strings matching
//! every pattern, good and bad `format` strings, values of every type), drop
//! or add an object member, duplicate or remove an array item, lengthen or
//! shorten a string, nudge a number, move a node elsewhere. Both verdicts
//! must agree. The runs are seeded deterministically; `PROPTEST_CASES`
//! changes the number of cases per schema and `PROPTEST_RNG_SEED=<n>`
//! explores other instances. A new request body in `specs/` is compiled
//! automatically and fails here until it has seeds.
//!
//! The oracle, and the disagreements understood so far, are in
//! [`oracle`] (shared with the fuzz target).

use std::path::Path;

use douane_validator_bench::{BENCH_SCHEMAS, Compiled, Kind, SCHEMAS};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestRng, TestRunner};
use serde_json::{Value, json};

mod oracle;

use oracle::{compare, douane, oracle, read_json, spec_documents};

/// Cases per schema, unless `PROPTEST_CASES` is set (7 schemas × 1500 ≥ 10,000).
const CASES: u32 = 1500;

// ---------------------------------------------------------------------------
// Instances

/// Valid instances each schema's mutations start from.
fn seeds(name: &str) -> Vec<Value> {
    let parse = |s: &str| serde_json::from_str::<Value>(s).expect("seed is JSON");
    match name {
        "petstore_pet" => vec![
            json!({"name": "Rex"}),
            json!({"name": "Tom", "tag": null, "status": "sold", "weightKg": 12.5,
                   "birthDate": "2020-02-29",
                   "owner": {"email": "a@b.example", "phone": "+33 123456",
                             "address": {"street": "1 rue X", "country": "FR"}}}),
        ],
        "petstore_category" => vec![json!({"name": "Dogs", "children": [
            {"name": "Terriers"}, {"name": "Hounds", "children": [{"name": "Beagles"}]}]})],
        "library_book" => vec![
            json!({"isbn": "9780441013593", "title": "Dune", "authors": ["Frank Herbert"],
                   "published": "1965-08-01", "price": 9.99, "edition": 2, "format": "ebook"}),
            json!({"isbn": "044101359X", "title": "D", "authors": ["A", "B"],
                   "edition": null, "format": {"pages": 412}}),
        ],
        "library_filter" => vec![
            json!({"field": "title", "equals": "Dune"}),
            json!({"all": [{"field": "isbn", "equals": "1"},
                           {"any": [{"field": "author", "equals": "Herbert"}]}]}),
        ],
        "small" => vec![
            parse(&douane_validator_bench::payloads::small()),
            json!({"id": "00000000-0000-0000-0000-000000000000", "name": "x",
                   "email": "x@y.io", "role": "viewer", "createdAt": "2024-02-29T22:29:60.5-01:30"}),
        ],
        "medium" => vec![json!({
            "id": "3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c", "status": "new",
            "customer": {"name": "G", "email": "g@h.example",
                         "address": {"street": "s", "city": "c", "zip": "75001", "country": "FR"}},
            "lines": [{"sku": "ABC-1234", "quantity": 1, "unitPrice": 10.5, "discount": 0.1,
                       "options": {"size": "M"}, "tags": ["a", "b"]},
                      {"sku": "XYZ-99999999", "quantity": 1000, "unitPrice": 0, "gift": true}],
            "coupon": null, "payment": {"iban": "FR7630006000011234567890189"},
            "metadata": {"k": 1.5, "n": null}})],
        "large" => {
            // The first events of the benchmark payload: the same shapes at
            // a size where thousands of cases stay fast.
            let Value::Array(events) = parse(&douane_validator_bench::payloads::large()) else {
                panic!("large payload is an array")
            };
            vec![Value::Array(events.into_iter().take(3).collect())]
        }
        // Objects that are not trees, most one mutation away from being one.
        "not_tree" => vec![
            json!({"children": []}),
            json!({"name": 1}),
            json!({"Name": "x"}),
            json!({"name": "x", "children": [{"children": []}]}),
            json!({"name": "x", "children": [{"name": "y"}, 3]}),
            json!({"name": "x", "children": {"name": "y"}}),
        ],
        other => panic!("no seeds for {other}: add some when a schema is added"),
    }
}

/// Values and property names drawn from a schema, to hit its edges.
#[derive(Default)]
struct Pool {
    values: Vec<Value>,
    names: Vec<String>,
}

impl Pool {
    fn for_schema(schema: &Value, runner: &mut TestRunner) -> Pool {
        let mut pool = Pool::default();
        pool.values.extend([
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-1),
            json!(1.5),
            json!(1.0),
            json!(""),
            json!("x"),
            json!([]),
            json!({}),
            json!(2_147_483_648u64),
            json!(-2_147_483_649i64),
            json!(9_223_372_036_854_775_807u64),
            json!(9_223_372_036_854_775_808u64),
            json!(1e300),
            json!(1e308),
            json!(-1e308),
            json!(5e-324),
            json!(1e-10),
            json!(1e-20),
            json!(0.07),
            json!(19.99),
            json!(0.010000000000000009),
            json!("é𝄞"),
            json!("٣٤٥٦٧٨٩٠١٢"),
            json!("１２３"),
            json!("ABC-١٢٣٤"),
            json!("line\nbreak"),
            json!("Dogs\n"),
            // format edges: date
            json!("2024-02-29"),
            json!("2023-02-29"),
            json!("2024-13-01"),
            json!("2024-1-01"),
            json!("0000-01-01"),
            json!("2024-04-31"),
            // date-time
            json!("2024-03-01T12:30:00Z"),
            json!("2024-03-01t12:30:00z"),
            json!("1998-12-31T23:59:60Z"),
            json!("1998-12-31T23:58:60Z"),
            json!("1998-12-31T15:59:60.123-08:00"),
            json!("2024-03-01T12:30:00.5+02:00"),
            json!("2024-03-01T12:30:00+24:00"),
            json!("2024-03-01 12:30:00Z"),
            json!("2024-03-01T12:30:00"),
            json!("2024-03-01T12:30:00.Z"),
            // email
            json!("a@b"),
            json!("a@b.example"),
            json!("\"quoted name\"@x.io"),
            json!("a@[127.0.0.1]"),
            json!("a@[IPv6:::1]"),
            json!("a..b@x.io"),
            json!(".a@x.io"),
            json!("a.@x.io"),
            json!("a@-x.io"),
            json!("a@x_y.io"),
            json!("é@x.io"),
            json!("a@é.io"),
            json!("a b@x.io"),
            json!("@x.io"),
            json!("a@"),
            // uuid
            json!("3F2B8C1E-9D4A-4E6B-8A7C-1D2E3F4A5B6C"),
            json!("3f2b8c1e9d4a4e6b8a7c1d2e3f4a5b6c"),
            json!("{3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c}"),
            json!("3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6g"),
            json!("3f2b8c1e-9d4a-ge6b-8a7c-1d2e3f4a5b6c"),
        ]);
        pool.names.extend(["unknown", "", "~/"].map(str::to_owned));
        pool.walk(schema, runner);
        pool.names.sort();
        pool.names.dedup();
        pool
    }

    fn walk(&mut self, s: &Value, runner: &mut TestRunner) {
        match s {
            Value::Array(a) => a.iter().for_each(|v| self.walk(v, runner)),
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("enum", Value::Array(a)) => self.values.extend(a.iter().cloned()),
                        ("const", v) => self.values.push(v.clone()),
                        (
                            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum"
                            | "multipleOf",
                            Value::Number(n),
                        ) => {
                            let x = n.as_f64().expect("finite");
                            for d in [-1.0, -0.5, -0.01, 0.0, 0.01, 0.5, 1.0] {
                                self.values.push(json!(x + d));
                            }
                            self.values.push(v.clone());
                            self.values.push(json!(x * 3.0));
                        }
                        ("minLength" | "maxLength" | "minItems" | "maxItems", Value::Number(n)) => {
                            let n = n.as_u64().expect("count") as usize;
                            for len in [n.saturating_sub(1), n, n + 1] {
                                self.values.push(json!("a".repeat(len)));
                                self.values.push(json!("é".repeat(len)));
                                self.values.push(json!(vec![json!("a"); len]));
                            }
                        }
                        ("pattern", Value::String(p)) => self.samples(p, runner),
                        ("properties", Value::Object(props)) => {
                            self.names.extend(props.keys().cloned());
                        }
                        ("required", Value::Array(r)) => {
                            self.names
                                .extend(r.iter().filter_map(Value::as_str).map(str::to_owned));
                        }
                        _ => {}
                    }
                    self.walk(v, runner);
                }
            }
            _ => {}
        }
    }

    /// Strings matching `pattern` (read as a Rust regex, which is close
    /// enough to generate candidates; both validators judge them).
    fn samples(&mut self, pattern: &str, runner: &mut TestRunner) {
        let Ok(strategy) = proptest::string::string_regex(pattern) else {
            return;
        };
        for _ in 0..24 {
            if let Ok(tree) = strategy.new_tree(runner) {
                let s = tree.current();
                self.values.push(json!(s));
            }
        }
    }
}

/// One change to an instance; `at` picks the node (depth-first order).
#[derive(Debug, Clone)]
struct Mutation {
    op: u8,
    at: Index,
    pick: Index,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (0u8..10, any::<Index>(), any::<Index>()).prop_map(|(op, at, pick)| Mutation { op, at, pick })
}

/// JSON pointers of every node of `v`, depth first.
fn pointers(v: &Value, here: String, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                pointers(item, format!("{here}/{i}"), out);
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(item, format!("{here}/{k}"), out);
            }
        }
        _ => {}
    }
    out.push(here);
}

fn apply(instance: &mut Value, m: &Mutation, pool: &Pool) {
    let mut all = Vec::new();
    pointers(instance, String::new(), &mut all);
    let at = m.at.get(&all).clone();
    let donor = m.pick.get(&all).clone();
    let donor = instance.pointer(&donor).cloned().unwrap_or(Value::Null);
    let node = instance
        .pointer_mut(&at)
        .expect("pointer from this instance");
    let value = m.pick.get(&pool.values).clone();
    let name = m.pick.get(&pool.names).clone();
    match (m.op, node) {
        (0..=2, node) => *node = value,
        (3, Value::Object(o)) if !o.is_empty() => {
            let key = m.pick.get(&o.keys().cloned().collect::<Vec<_>>()).clone();
            o.remove(&key);
        }
        (4, Value::Object(o)) => {
            o.insert(name, value);
        }
        (3, Value::Array(a)) if !a.is_empty() => {
            let item = m.pick.get(a).clone();
            a.push(item);
        }
        (4, Value::Array(a)) if !a.is_empty() => {
            a.remove(m.pick.index(a.len()));
        }
        (5 | 6, Value::String(s)) => match m.pick.index(4) {
            0 => s.push_str(&"x".repeat(1 + m.pick.index(300))),
            1 => s.push('é'),
            2 => {
                s.pop();
            }
            _ => s.insert(0, ' '),
        },
        (5 | 6, node @ Value::Number(_)) => {
            let x = node.as_f64().expect("finite");
            let i = node.as_i64().unwrap_or(0);
            *node = match m.pick.index(6) {
                0 => json!(i.saturating_add(1)),
                1 => json!(i.saturating_sub(1)),
                2 => json!(x + 0.5),
                3 => json!(-x),
                4 => json!(x * 1e10),
                _ => json!(x), // `5` becomes `5.0`
            };
        }
        (7, node) => *node = donor,
        (8, node) => *node = json!([node.take()]),
        (9, node @ Value::Array(_)) => {
            let Value::Array(a) = node.take() else {
                unreachable!()
            };
            if !a.is_empty() {
                *node = m.pick.get(&a).clone();
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------

/// Runs the cases of one schema; returns how many Douane found valid,
/// invalid, and how many were known disagreements.
fn run(c: &'static Compiled) -> (u32, u32, u32) {
    let oracle = oracle(c);
    let mut rng_runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let schema_text = match c.kind {
        Kind::Bench => read_json(&Path::new(BENCH_SCHEMAS).join(c.root)),
        // Pools see every spec: more values, same edges.
        Kind::Spec => Value::Array(spec_documents().into_iter().map(|(_, d)| d).collect()),
    };
    let pool = Pool::for_schema(&schema_text, &mut rng_runner);
    let seeds = seeds(c.name);
    for seed in &seeds {
        assert!(douane(c, seed), "{}: douane rejects seed {seed}", c.name);
        assert!(
            oracle.is_valid(seed),
            "{}: oracle rejects seed {seed}",
            c.name
        );
    }
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES);
    let mut config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    // Deterministic in CI; `PROPTEST_RNG_SEED=<n>` explores elsewhere.
    if config.rng_seed == RngSeed::Random {
        config.rng_seed = RngSeed::Fixed(0);
    }
    let mut runner = TestRunner::new(config);
    let strategy = (any::<Index>(), prop::collection::vec(mutation(), 0..=3));
    let valid = std::cell::Cell::new(0u32);
    let invalid = std::cell::Cell::new(0u32);
    let known = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |(seed, mutations)| {
        let mut instance = seed.get(&seeds).clone();
        for m in &mutations {
            apply(&mut instance, m, &pool);
        }
        let (ours, is_known) = compare(c, &oracle, &instance).map_err(TestCaseError::fail)?;
        let count = if ours { &valid } else { &invalid };
        count.set(count.get() + 1);
        known.set(known.get() + u32::from(is_known));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{}: {e}", c.name);
    }
    (valid.get(), invalid.get(), known.get())
}

#[test]
fn compiled_validators_agree_with_jsonschema() {
    let mut failures = Vec::new();
    let mut total = 0;
    for c in SCHEMAS {
        match std::panic::catch_unwind(|| run(c)) {
            Ok((valid, invalid, known)) => {
                eprintln!(
                    "{:<20} {valid:>5} valid {invalid:>5} invalid ({known} known disagreements)",
                    c.name
                );
                total += valid + invalid;
                // Both verdicts must be exercised for the comparison to mean
                // anything.
                assert!(valid > 50 && invalid > 50, "{}: too one-sided", c.name);
            }
            Err(e) => failures.push(
                e.downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| format!("{}: panicked", c.name)),
            ),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    douane_validator_bench::report(&format!(
        "differential (validator-bench): {total} cases, 0 disagreements beyond the known ones"
    ));
}

/// Regression: `{"multipleOf": 0.01}` accepted 1e-20 and 0.010000000000000009
/// (a float tolerance, absolute near zero) and rejected 1e308 (the quotient
/// overflowed). Both verdicts now come from the decimal forms, as the
/// oracle's do.
#[test]
fn multiple_of_regressions() {
    let c = douane_validator_bench::compiled("library_book");
    let oracle = oracle(c);
    for (price, valid) in [
        ("1e-20", false),
        ("5e-324", false),
        ("0.010000000000000009", false),
        ("1e308", true),
        ("19.99", true),
        ("0.07", true),
    ] {
        let text = format!(
            r#"{{"isbn": "9780441013593", "title": "D", "authors": ["A"], "price": {price}}}"#
        );
        let instance: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(douane(c, &instance), valid, "douane, price {price}");
        assert_eq!(oracle.is_valid(&instance), valid, "oracle, price {price}");
    }
}

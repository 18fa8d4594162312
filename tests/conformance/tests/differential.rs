//! The compiled draft 2020-12 validators against the `jsonschema` crate as
//! oracle: every non-refused case of the required suite, on the suite's own
//! instances and on proptest mutations of them (numbers moved by ±1 or
//! ±0.5, object members dropped or added, array items appended or removed,
//! strings changed, values swapped for another type). Formats are asserted
//! on neither side, as the suite part is compiled.
//!
//! Each instance goes through the bytes: serialized, then parsed with
//! [`douane_runtime::json::parse`] as a request body would be (an instance
//! the strict parser refuses is skipped). Remote references
//! (`http://localhost:1234/…`) are served to the oracle from the suite's
//! `remotes/` folder, as `build.rs` serves them to the compiler.
//!
//! Understood disagreements are listed in [`KNOWN`], each with its reason.
//! `DIFF_SHOW=1` prints every instance compared, with the oracle's verdict.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::Instant;

use douane_conformance::{CASES, Case, DRAFT2020_12};
use douane_runtime::validate::Violations;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

/// Where `build.rs` reads the suite.
const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/json-schema-test-suite"
);

/// The URL prefix remote references use; served from `remotes/`.
const REMOTE: &str = "http://localhost:1234/";

/// Mutated instances generated per case (on top of the suite's own);
/// `DIFF_MUTATIONS=n` asks for more when hunting.
const MUTATIONS_PER_CASE: u32 = 128;

/// A disagreement that is understood: `(case id, instance as serialized)`.
/// The instance `"*"` stands for every instance of the case.
struct Known {
    case: &'static str,
    instance: &'static str,
    /// Douane's verdict, asserted.
    douane: bool,
    why: &'static str,
}

const KNOWN: &[Known] = &[];

// ---------------------------------------------------------------------------
// The oracle

/// Serves the suite's `remotes/` folder for `http://localhost:1234/…`.
struct Remotes;

impl jsonschema::Retrieve for Remotes {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let uri = uri.as_str();
        let rel = uri
            .strip_prefix(REMOTE)
            .ok_or_else(|| format!("no remote {uri}"))?;
        let rel = rel.split('#').next().unwrap_or(rel);
        if rel.split('/').any(|s| s == "..") {
            return Err(format!("remote {uri} leaves the remotes folder").into());
        }
        let path = PathBuf::from(SUITE).join("remotes").join(rel);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{uri}: {e}"))?;
        Ok(serde_json::from_str(&text)?)
    }
}

fn oracle(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(false)
        .with_retriever(Remotes)
        .build(schema)
        .map_err(|e| e.to_string())
}

/// Douane's verdict on the serialized instance; `None` when the strict
/// parser refuses it.
fn douane(case: &Case, text: &str) -> Option<Result<bool, ()>> {
    let validate = case.validate.expect("only compiled cases");
    let value = douane_runtime::json::parse(text.as_bytes(), 1024).ok()?;
    Some(
        catch_unwind(AssertUnwindSafe(|| {
            validate(&value, &mut Violations::default())
        }))
        .map_err(|_| ()),
    )
}

// ---------------------------------------------------------------------------
// The mutator

/// Strings and values instances are mutated with: the schema's own keys
/// and strings (so that added members hit `properties`, `patternProperties`
/// and `enum`), plus one value of each type.
struct Vocabulary {
    strings: Vec<String>,
    values: Vec<Value>,
}

impl Vocabulary {
    fn of(schema: &Value, instances: &[Value]) -> Self {
        let mut strings = BTreeSet::new();
        let mut values = vec![
            Value::Null,
            json!(true),
            json!(false),
            json!(0),
            json!(1),
            json!(-1),
            json!(1.5),
            json!(1.0),
            json!(-0.0),
            json!(0.1),
            json!(1e308),
            json!(9_007_199_254_740_993_u64),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(""),
            json!("a"),
            json!("\u{0}"),
            json!("\u{1F600}"),
            json!([]),
            json!({}),
        ];
        fn walk(v: &Value, strings: &mut BTreeSet<String>, values: &mut Vec<Value>) {
            match v {
                Value::String(s) => {
                    strings.insert(s.clone());
                }
                Value::Number(_) => values.push(v.clone()),
                Value::Array(a) => a.iter().for_each(|x| walk(x, strings, values)),
                Value::Object(m) => {
                    for (k, x) in m {
                        strings.insert(k.clone());
                        walk(x, strings, values);
                    }
                }
                _ => {}
            }
        }
        walk(schema, &mut strings, &mut values);
        for i in instances {
            walk(i, &mut strings, &mut values);
            values.push(i.clone());
        }
        strings.insert("foo".into());
        Vocabulary {
            strings: strings.into_iter().collect(),
            values,
        }
    }
}

/// Applies one mutation to a node of `v`, chosen by the random `steps`.
fn mutate(v: &mut Value, steps: &[u32], vocab: &Vocabulary) {
    let Some((&step, rest)) = steps.split_first() else {
        return;
    };
    // Descend into a child half of the time while there is one.
    let descend = step % 2 == 0 && !rest.is_empty();
    match v {
        Value::Array(a) if descend && !a.is_empty() => {
            let i = rest[0] as usize % a.len();
            return mutate(&mut a[i], &rest[1..], vocab);
        }
        Value::Object(m) if descend && !m.is_empty() => {
            let i = rest[0] as usize % m.len();
            let child = m.values_mut().nth(i).expect("in range");
            return mutate(child, &rest[1..], vocab);
        }
        _ => {}
    }
    let pick = rest.first().copied().unwrap_or(step / 7) as usize;
    let op = (step / 2) % 4;
    let string = |n: usize| vocab.strings[n % vocab.strings.len()].clone();
    let value = |n: usize| vocab.values[n % vocab.values.len()].clone();
    if op == 3 {
        // Swap for a value of another type (or from the vocabulary).
        *v = value(pick);
        return;
    }
    match v {
        Value::Number(n) => {
            let delta: f64 = [1.0, -1.0, 0.5, -0.5][pick % 4];
            if delta.fract() == 0.0 {
                if let Some(i) = n.as_i64() {
                    if let Some(j) = i.checked_add(delta as i64) {
                        *v = json!(j);
                        return;
                    }
                }
                if let Some(u) = n.as_u64() {
                    if let Some(j) = u.checked_add_signed(delta as i64) {
                        *v = json!(j);
                        return;
                    }
                }
            }
            if let Some(f) = n.as_f64() {
                if let Some(n) = serde_json::Number::from_f64(f + delta) {
                    *v = Value::Number(n);
                }
            }
        }
        Value::String(s) => match op {
            0 => s.push(['a', '0', 'é', ' ', '\u{1F600}'][pick % 5]),
            1 => {
                s.pop();
            }
            _ => *s = string(pick),
        },
        Value::Array(a) => match op {
            0 => a.push(value(pick)),
            1 if !a.is_empty() => {
                a.remove(pick % a.len());
            }
            _ => {
                let item = a.first().cloned().unwrap_or_else(|| value(pick));
                a.push(item);
            }
        },
        Value::Object(m) => match op {
            1 if !m.is_empty() => {
                let key = m.keys().nth(pick % m.len()).expect("in range").clone();
                m.shift_remove(&key);
            }
            _ => {
                m.insert(string(pick), value(pick / 3 + op as usize));
            }
        },
        Value::Bool(b) => *b = !*b,
        Value::Null => *v = value(pick),
    }
}

// ---------------------------------------------------------------------------
// The test

struct Disagreement {
    case: String,
    schema: &'static str,
    instance: String,
    ours: Result<bool, ()>,
    theirs: bool,
}

#[test]
fn compiled_suite_agrees_with_jsonschema() {
    let start = Instant::now();
    let mut compared = 0usize;
    let mut unparsed = 0usize;
    let mut skipped_cases = Vec::new();
    let mut disagreements = Vec::new();
    let mut known = 0usize;
    let mut verdicts = [0usize; 2];
    let mutations_per_case = std::env::var("DIFF_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(MUTATIONS_PER_CASE);
    let mut distinct = BTreeSet::new();
    let mut seen_known = BTreeSet::new();
    // A fixed seed: the mutated instances are the same on every run, so
    // that KNOWN can name them.
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );

    for case in CASES.iter().filter(|c| DRAFT2020_12.matches(c)) {
        if case.validate.is_none() {
            continue;
        }
        let schema: Value = serde_json::from_str(case.schema_json).expect("schema is JSON");
        let oracle = match oracle(&schema) {
            Ok(o) => o,
            Err(e) => {
                skipped_cases.push(format!("{}: {e}", case.id()));
                continue;
            }
        };
        let instances: Vec<Value> = case
            .tests
            .iter()
            .map(|t| serde_json::from_str(t.data_json).expect("instance is JSON"))
            .collect();
        let vocab = Vocabulary::of(&schema, &instances);
        let id = case.id();

        let mut compare = |instance: &Value, text: String| {
            let Some(ours) = douane(case, &text) else {
                unparsed += 1;
                return;
            };
            compared += 1;
            let theirs = oracle.is_valid(instance);
            verdicts[usize::from(theirs)] += 1;
            distinct.insert((id.clone(), text.clone()));
            if std::env::var_os("DIFF_SHOW").is_some() {
                eprintln!("{id} | {text} | {theirs}");
            }
            if ours == Ok(theirs) {
                return;
            }
            if let Some(k) = KNOWN
                .iter()
                .find(|k| k.case == id && (k.instance == "*" || k.instance == text))
            {
                assert_eq!(
                    ours,
                    Ok(k.douane),
                    "known disagreement ({}) changed on {id} / {text}",
                    k.why
                );
                known += 1;
                seen_known.insert((k.case, k.instance));
                return;
            }
            disagreements.push(Disagreement {
                case: id.clone(),
                schema: case.schema_json,
                instance: text,
                ours,
                theirs,
            });
        };

        // The suite's own instances, as the suite wrote them.
        for (test, instance) in case.tests.iter().zip(&instances) {
            compare(instance, test.data_json.to_owned());
        }
        // Mutations of them.
        let strategy = (
            0..instances.len(),
            prop::collection::vec(prop::collection::vec(any::<u32>(), 1..8), 1..4),
        );
        for _ in 0..mutations_per_case {
            let (i, mutations) = strategy
                .new_tree(&mut runner)
                .expect("the strategy never rejects")
                .current();
            let mut instance = instances[i].clone();
            for steps in &mutations {
                mutate(&mut instance, steps, &vocab);
            }
            let text = instance.to_string();
            compare(&instance, text);
        }
    }

    let elapsed = start.elapsed();
    for d in &disagreements {
        eprintln!(
            "DISAGREEMENT {}\n  schema: {}\n  instance: {}\n  douane: {}, jsonschema: {}",
            d.case,
            d.schema.split_whitespace().collect::<Vec<_>>().join(" "),
            d.instance,
            match d.ours {
                Ok(true) => "valid",
                Ok(false) => "invalid",
                Err(()) => "panicked",
            },
            if d.theirs { "valid" } else { "invalid" },
        );
    }
    for s in &skipped_cases {
        eprintln!("skipped (oracle refuses the schema): {s}");
    }
    douane_conformance::report(&format!(
        "differential: {compared} cases, {} disagreements ({known} known); \
         {} distinct, {} valid / {} invalid by the oracle; \
         {unparsed} instances refused by the parser, {} schemas skipped; {:.1?}",
        disagreements.len() + known,
        distinct.len(),
        verdicts[1],
        verdicts[0],
        skipped_cases.len(),
        elapsed
    ));
    let stale: Vec<_> = KNOWN
        .iter()
        .filter(|k| !seen_known.contains(&(k.case, k.instance)))
        .map(|k| format!("{} / {}", k.case, k.instance))
        .collect();
    assert!(stale.is_empty(), "KNOWN entries no longer seen: {stale:?}");
    assert!(compared >= 10_000, "only {compared} instances compared");
    // Guards the harness: both verdicts occur, and mutations mostly make
    // new instances.
    assert!(verdicts.iter().all(|&n| n > compared / 10), "{verdicts:?}");
    assert!(distinct.len() >= 10_000, "{} distinct", distinct.len());
    assert!(
        disagreements.is_empty(),
        "{} unexplained disagreements (printed above)",
        disagreements.len()
    );
}

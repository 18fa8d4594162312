//! Objects are checked first in the contract's declared property order
//! (straight-line code), then member by member from the first member out
//! of that order. The verdict and the violations must not depend on the
//! order a client sends members in: the `small` schema, its payload's
//! members shuffled, with optional ones dropped, unknown and invalid ones
//! added, against the `jsonschema` crate and against the same members in
//! declared order.

use douane_runtime::json;
use douane_runtime::validate::Violations;
use douane_validator_bench::{BENCH_SCHEMAS, compiled};

/// The `small` payload's members, in the schema's declared order.
const DECLARED: [(&str, &str); 9] = [
    ("id", r#""3f2b8c1e-9d4a-4e6b-8a7c-1d2e3f4a5b6c""#),
    ("name", r#""Ada Lovelace""#),
    ("email", r#""ada@example.org""#),
    ("age", "36"),
    ("role", r#""editor""#),
    ("score", "87.5"),
    ("createdAt", r#""2024-03-01T12:30:00Z""#),
    ("active", "true"),
    ("tags", r#"["math","engines"]"#),
];

/// SplitMix64, for reproducible shuffles without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

fn document(members: &[(&str, &str)]) -> String {
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// Verdict and violations (pointer and rule, in the order reported).
fn check(text: &str) -> (bool, Vec<(String, &'static str)>) {
    let validate = compiled("small").validate;
    let value = json::parse(text.as_bytes(), 64).expect("test documents parse");
    let mut out = Violations::new(100);
    let valid = validate(&value, &mut out);
    let found = out
        .as_slice()
        .iter()
        .map(|v| (v.pointer.clone(), v.rule))
        .collect();
    (valid, found)
}

#[test]
fn verdicts_and_violations_do_not_depend_on_member_order() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{BENCH_SCHEMAS}/small.json")).expect("read schema"),
    )
    .expect("schema is JSON");
    let oracle = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("oracle accepts the schema");

    let mut rng = Rng(11);
    let mut cases = 0;
    let mut invalid = 0;
    for round in 0..600 {
        // Which members, with which values.
        let mut members: Vec<(&str, &str)> = DECLARED
            .iter()
            .copied()
            .filter(|(k, _)| {
                let optional = matches!(*k, "age" | "score" | "active" | "tags");
                let dropped = optional && rng.below(3) == 0;
                // Now and then a required one too.
                let required_dropped = round % 7 == 0 && rng.below(9) == 0;
                !dropped && !required_dropped
            })
            .collect();
        if round % 3 == 0 {
            members.push(("nickname", r#""ada""#));
        }
        if round % 4 == 0 {
            let i = rng.below(members.len());
            members[i].1 = match members[i].0 {
                "age" => "7",
                "tags" => r#"["a","a"]"#,
                "active" => "1",
                _ => r#""""#,
            };
        }
        // In declared order (unknown members last), then shuffled.
        let in_order = members.clone();
        for i in (1..members.len()).rev() {
            members.swap(i, rng.below(i + 1));
        }
        let (text, ordered) = (document(&members), document(&in_order));
        let (valid, found) = check(&text);
        let (valid_in_order, mut found_in_order) = check(&ordered);
        let expected: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(valid, oracle.is_valid(&expected), "{text}");
        assert_eq!(valid, valid_in_order, "{text} against {ordered}");
        // The same violations, reported in document order.
        let mut sorted = found.clone();
        sorted.sort();
        found_in_order.sort();
        assert_eq!(sorted, found_in_order, "{text} against {ordered}");
        let position = |pointer: &str| {
            members.iter().position(|(k, _)| {
                pointer
                    .strip_prefix('/')
                    .is_some_and(|p| p.split('/').next() == Some(k))
            })
        };
        let member_positions: Vec<usize> = found.iter().filter_map(|(p, _)| position(p)).collect();
        assert!(member_positions.is_sorted(), "{text}: {found:?}");
        cases += 1;
        invalid += usize::from(!valid);
    }
    assert_eq!(cases, 600);
    // Both kinds of documents were exercised.
    assert!(
        invalid > 100 && invalid < 500,
        "{invalid} invalid of {cases}"
    );
}

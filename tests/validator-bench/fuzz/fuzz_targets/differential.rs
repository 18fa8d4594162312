//! Arbitrary bytes, parsed as JSON, validated by every compiled validator
//! and by the `jsonschema` oracle: the verdicts must agree (up to the
//! disagreements listed in the differential test's oracle module). Also
//! checks that our strict parser refuses only what it means to refuse.
#![no_main]

use std::sync::OnceLock;

use douane_runtime::json::{self, ParseError};
use douane_validator_bench::SCHEMAS;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/oracle/mod.rs"]
#[allow(
    dead_code,
    reason = "the oracle module also serves the differential tests, which use more of it"
)]
mod oracle;

/// Nesting limit given to our parser; deeper inputs are skipped.
const MAX_DEPTH: u32 = 64;

fn oracles() -> &'static [jsonschema::Validator] {
    static ORACLES: OnceLock<Vec<jsonschema::Validator>> = OnceLock::new();
    ORACLES.get_or_init(|| SCHEMAS.iter().map(oracle::oracle).collect())
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, text)) = data.split_first() else {
        return;
    };
    let theirs = serde_json::from_slice::<serde_json::Value>(text);
    let instance = match (json::parse(text, MAX_DEPTH), theirs) {
        (Ok(_), Ok(instance)) => instance,
        // Refused on purpose: serde_json keeps the last duplicate, and
        // serde_json's own recursion limit (128) is above ours.
        (Err(ParseError::DuplicateKey(_) | ParseError::TooDeep(_)), _) => return,
        (Err(ParseError::Malformed(_)), Err(_)) => return,
        (ours, theirs) => panic!("parsers disagree: douane {ours:?}, serde_json {theirs:?}"),
    };
    let index = usize::from(pick) % SCHEMAS.len();
    let c = &SCHEMAS[index];
    if let Err(e) = oracle::compare(c, &oracles()[index], &instance) {
        panic!("{e}");
    }
});

//! End-to-end tests of Douane: the contracts of `tests/specs/`, compiled by
//! `build.rs` into [`CONTRACT`], and the [`harness`] that runs them through a
//! real gateway between a real client and a recording upstream.

pub use compiled::*;

/// The generated code, as `douane-compiler` emits it.
// FIXME: the generated modules carry their own `#[allow]` list, but it
// misses lints that these contracts trigger (`segs.get(0)`, `match v {
// Value::Object(_) => true, _ => false }`, single-arm matches); remove this
// list once the compiler emits clippy-clean code or allows them itself.
#[allow(
    clippy::get_first,
    clippy::match_like_matches_macro,
    clippy::single_match
)]
mod compiled {
    include!(concat!(env!("OUT_DIR"), "/contract.rs"));
}

pub mod harness;

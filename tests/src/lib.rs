//! End-to-end tests of Douane: the contracts of `tests/specs/`, compiled by
//! `build.rs` into [`CONTRACT`], and the [`harness`] that runs them through a
//! real gateway between a real client and a recording upstream.

pub use compiled::*;

/// The generated code, as `douane-compiler` emits it.
// FIXME: the generated modules carry their own `#[allow]` list, but it
// misses lints that these contracts trigger (`segs.get(0)`, `match v {
// Value::Object(_) => true, _ => false }`, single-arm matches), and a number
// schema with `multipleOf` alone binds `let x = n.as_f64();` without using
// it (rustc `unused_variables`, an error under `-D warnings`). Remove this
// list once the compiler emits warning-free code.
#[allow(
    unused_variables,
    clippy::get_first,
    clippy::match_like_matches_macro,
    clippy::single_match
)]
mod compiled {
    include!(concat!(env!("OUT_DIR"), "/contract.rs"));
}

pub mod harness;

//! End-to-end tests of Douane: the contracts of `tests/specs/`, compiled by
//! `build.rs` into [`CONTRACT`], and the [`harness`] that runs them through a
//! real gateway between a real client and a recording upstream.

pub use compiled::*;

/// The generated code, as `douane-compiler` emits it.
mod compiled {
    include!(concat!(env!("OUT_DIR"), "/contract.rs"));
}

pub mod harness;
/// Test PKI, TLS client and TLS upstream for `tests/tls.rs`.
pub mod tls_support;

//! End-to-end tests of Douane: the contracts of `tests/specs/`, compiled by
//! `build.rs` into [`CONTRACT`], and the [`harness`] that runs them through a
//! real gateway between a real client and a recording upstream.

pub use compiled::*;

/// The generated code, as `douane-compiler` emits it.
mod compiled {
    include!(concat!(env!("OUT_DIR"), "/contract.rs"));
}

/// The contracts of `tests/specs-secure/`: every security scheme and
/// requirement shape, served by a gateway of their own.
pub mod secured {
    include!(concat!(env!("OUT_DIR"), "/secure_contract.rs"));
}

pub mod harness;
/// Test PKI, TLS client and TLS upstream for `tests/tls.rs`.
pub mod tls_support;

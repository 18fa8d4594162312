//! Douane's proxy engine. It serves any [`contract::Contract`] compiled by
//! `douane-compiler`; it never reads OpenAPI itself.

pub mod body;
pub mod config;
pub mod contract;
pub mod json;
pub mod media;
pub mod problem;
pub mod validate;

/// What generated code needs from outside this crate, re-exported so that
/// the generated crate depends on `douane-runtime` alone.
#[doc(hidden)]
pub mod __private {
    pub use regex::Regex;
    pub use std::sync::LazyLock;
}

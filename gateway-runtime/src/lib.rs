//! Douane's proxy engine. It serves any [`contract::Contract`] compiled by
//! `douane-compiler`; it never reads OpenAPI itself.

// Modules in the order a request meets them: listener → route → limits →
// validate → upstream → observe; `pipeline` runs them in that order.
pub mod limits;
pub mod listener;
pub mod media;
pub mod mock;
pub mod observe;
pub mod pipeline;
pub mod route;
pub mod upstream;
pub mod validate;

pub mod body;
pub mod cli;
pub mod config;
pub mod contract;
pub mod json;
pub mod problem;

/// What generated code needs from outside this crate, re-exported so that
/// the generated crate depends on `douane-runtime` alone.
#[doc(hidden)]
pub mod __private {
    pub use regex::Regex;
    pub use std::sync::LazyLock;
}

//! Douane's proxy engine. It serves any [`contract::Contract`] compiled by
//! `douane-compiler`; it never reads OpenAPI itself.
//!
//! ```text
//! listener ─▶ route ─▶ limits ─▶ validate (parameters, then media + body) ─▶ upstream | mock
//!                      every stage may answer a problem::Problem; observe logs every request
//! ```
//!
//! To run a gateway in a test: build a [`config::Config`] (in code or with
//! [`config::Config::from_toml_str`]) with `listen = 127.0.0.1:0`, call
//! [`listener::Server::start`], talk to [`listener::Server::local_addr`],
//! then [`listener::Server::shutdown`]. The `douane` binary is
//! [`cli::main`].

// The request pipeline, in the order a request meets its stages;
// `pipeline::Gateway::handle` calls them in this order.

// Accept connections, HTTP/1.1 or h2c, with head timeouts.
pub mod listener;
// Run the stages below for one request.
pub mod pipeline;
// Base path, then compiled router, then method.
pub mod route;
// Cross-origin preflights answered, CORS headers on responses.
pub mod cors;
// Body size and time limits.
pub mod limits;
// Parameter and body rules, filled in by generated code.
pub mod validate;
// Content-Type against the declared media ranges.
pub mod media;
// Forward to the upstream and stream the answer back.
pub mod upstream;
// Or answer from the contract's examples.
pub mod mock;
// One access-log line per request.
pub mod observe;

// Shared by the stages.
pub mod auth;
pub mod body;
pub mod cli;
pub mod config;
pub mod connection;
pub mod contract;
pub mod json;
pub mod problem;
// rustls on both sides: termination, client certificates, upstream TLS.
pub mod tls;

/// What generated code needs from outside this crate, re-exported so that
/// the generated crate depends on `douane-runtime` alone.
#[doc(hidden)]
pub mod __private {
    pub use crate::validate::pattern::{BoundedRegex, Dfa, Walk};
    pub use regex::Regex;
    pub use std::sync::LazyLock;
}

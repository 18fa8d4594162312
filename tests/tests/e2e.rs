//! End-to-end tests: a raw client, the real gateway serving the contracts of
//! `tests/specs/`, and a recording upstream, over real sockets on ephemeral
//! ports. One binary; one module per concern, in the order a request meets
//! the gateway:
//!
//! - `routing`: which API and operation a path reaches, 404 and 405
//! - `parameters`: path, query and header parameters against their schemas
//! - `bodies`: media types, JSON syntax and every schema keyword
//! - `limits`: body size, JSON depth, slow clients
//! - `forwarding`: what the upstream receives and what the client gets back
//! - `upstream_failures`: 502 and 504 instead of hangs
//! - `mock`: the built-in `mock` upstream answering the contract's examples
//! - `wire`: raw bytes no client library sends (framing, Host, targets)

#[path = "e2e/routing.rs"]
mod routing;

#[path = "e2e/parameters.rs"]
mod parameters;

#[path = "e2e/bodies.rs"]
mod bodies;

#[path = "e2e/limits.rs"]
mod limits;

#[path = "e2e/forwarding.rs"]
mod forwarding;

#[path = "e2e/upstream_failures.rs"]
mod upstream_failures;

#[path = "e2e/mock.rs"]
mod mock;

#[path = "e2e/wire.rs"]
mod wire;

#[path = "e2e/cors.rs"]
mod cors;

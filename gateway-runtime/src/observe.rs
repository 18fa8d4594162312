//! Supervision: one access-log line per request, emitted through `tracing`
//! under the target `douane::access`.
//!
//! The line names the request (method, path without its query string, API,
//! operation) and its outcome (status, upstream status, rejection rule,
//! duration). Query strings, header values and bodies are never logged:
//! they may carry credentials or personal data.

use std::time::Instant;

use http::{Method, StatusCode};

/// What is known about a request as it goes through the pipeline.
#[derive(Debug)]
pub struct Access {
    start: Instant,
    pub api: Option<&'static str>,
    pub operation: Option<&'static str>,
    /// The upstream's status, when a response head came back.
    pub upstream_status: Option<u16>,
    /// The rule that refused the request, if it was refused.
    pub rule: Option<&'static str>,
    /// Who the request was admitted as (audit trail).
    pub consumer: Option<std::sync::Arc<str>>,
}

impl Access {
    pub fn start() -> Access {
        Access {
            start: Instant::now(),
            api: None,
            operation: None,
            upstream_status: None,
            rule: None,
            consumer: None,
        }
    }

    /// Writes the access-log line.
    pub fn finish(&self, method: &Method, path: &str, status: StatusCode) {
        let duration_us = self.start.elapsed().as_micros() as u64;
        tracing::info!(
            target: "douane::access",
            method = method.as_str(),
            path,
            status = status.as_u16(),
            api = self.api,
            operation = self.operation,
            duration_us,
            upstream_status = self.upstream_status,
            rule = self.rule,
            consumer = self.consumer.as_deref(),
        );
    }
}

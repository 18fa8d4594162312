//! Limits on the request head and body: a head that HTTP itself forbids is
//! refused before routing; an oversized body is refused from its
//! `Content-Length` before a byte of it is read, a chunked one as soon as it
//! grows past the limit, a slow one when its time is up.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, Version};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};

use crate::problem::{Problem, ProblemKind};

/// Refuses heads that HTTP forbids and a proxy must not pass on: an
/// HTTP/1.1 request without exactly one `Host` (RFC 9112 §3.2: gateway and
/// upstream could disagree on which host was meant), and transfer codings
/// other than `chunked`, which the gateway cannot decode to validate.
pub fn check_request_head(version: Version, headers: &HeaderMap) -> Result<(), Problem> {
    let hosts = headers.get_all(HOST).iter().count();
    if hosts > 1 {
        return Err(Problem::new(
            ProblemKind::MalformedRequest,
            "request has several Host headers",
        ));
    }
    if hosts == 0 && version == Version::HTTP_11 {
        return Err(Problem::new(
            ProblemKind::MalformedRequest,
            "request has no Host header",
        ));
    }
    for coding in headers.get_all(TRANSFER_ENCODING) {
        let only_chunked = coding.to_str().is_ok_and(|c| {
            c.split(',')
                .all(|c| c.trim().eq_ignore_ascii_case("chunked"))
        });
        if !only_chunked {
            return Err(Problem::new(
                ProblemKind::NotImplemented,
                "transfer codings other than chunked are not supported",
            ));
        }
    }
    Ok(())
}

/// Refuses a path with a dot segment (`.` or `..`, also percent-encoded):
/// the compiled router would take `..` as a parameter value while an
/// upstream that normalises paths (RFC 3986, section 5.2.4) would resolve
/// it to another resource, one the gateway never authorised.
pub fn check_path(path: &str) -> Result<(), Problem> {
    let dot = |segment: &str| match segment.len() {
        1 | 2 => segment.bytes().all(|b| b == b'.'),
        3..=6 if segment.contains('%') => {
            let decoded = percent_encoding::percent_decode_str(segment).collect::<Vec<u8>>();
            decoded == b"." || decoded == b".."
        }
        _ => false,
    };
    if path.split('/').any(dot) {
        return Err(Problem::new(
            ProblemKind::MalformedRequest,
            "path has a `.` or `..` segment, which upstreams may resolve to another resource",
        ));
    }
    Ok(())
}

/// What the request head says about its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyHead {
    /// Declared `Content-Length`, if any.
    pub length: Option<u64>,
    /// Whether a body follows (a non-zero length, a transfer coding, or for
    /// HTTP/2 an open stream without declared length).
    pub present: bool,
}

/// Reads the body framing from the head and refuses a declared length above
/// `max`.
pub fn check_head(headers: &HeaderMap, body: &Incoming, max: u64) -> Result<BodyHead, Problem> {
    // hyper has already refused malformed or conflicting Content-Length
    // values, so one that does not parse here cannot occur on the wire.
    let length = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = length {
        if length > max {
            return Err(too_large(max));
        }
    }
    let present = match length {
        Some(n) => n > 0,
        None => headers.contains_key(TRANSFER_ENCODING) || !body.is_end_stream(),
    };
    Ok(BodyHead { length, present })
}

fn too_large(max: u64) -> Problem {
    Problem::new(
        ProblemKind::PayloadTooLarge,
        format!("request body exceeds the limit of {max} bytes"),
    )
}

/// Reads the whole body within `max` bytes and `timeout`.
pub async fn read_body(
    body: Incoming,
    head: BodyHead,
    max: u64,
    timeout: Duration,
) -> Result<Bytes, Problem> {
    match tokio::time::timeout(timeout, collect(body, head, max)).await {
        Ok(result) => result,
        Err(_) => Err(Problem::new(
            ProblemKind::RequestTimeout,
            format!(
                "request body not received within {} ms",
                timeout.as_millis()
            ),
        )),
    }
}

async fn collect(mut body: Incoming, head: BodyHead, max: u64) -> Result<Bytes, Problem> {
    // Most bodies arrive in one frame: keep it without copying, and only
    // concatenate when a second one comes.
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut total: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| Problem::body("body", "request body could not be read"))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry no content to validate
        };
        total += data.len() as u64;
        if total > max {
            return Err(too_large(max));
        }
        match (&mut first, &mut joined) {
            (None, None) => first = Some(data),
            (Some(f), None) => {
                let capacity = head.length.unwrap_or(total).min(max) as usize;
                let mut buf = BytesMut::with_capacity(capacity.max(total as usize));
                buf.extend_from_slice(f);
                buf.extend_from_slice(&data);
                first = None;
                joined = Some(buf);
            }
            (_, Some(buf)) => buf.extend_from_slice(&data),
        }
    }
    Ok(match (first, joined) {
        (_, Some(buf)) => buf.freeze(),
        (Some(f), None) => f,
        (None, None) => Bytes::new(),
    })
}

//! Limits: body size (declared length and actual chunked bytes), JSON
//! nesting depth, and slow clients (request head and body deadlines). A
//! refused request never reaches the upstream.

use std::time::{Duration, Instant};

use douane_runtime::config::Timeouts;
use douane_tests::harness::{
    Conn, Expect, Req, Setup, assert_problem, problem_type, test_timeouts,
};

/// A JSON `Pet` of exactly `len` bytes (padded with spaces, still valid).
fn pet_of_len(len: usize) -> String {
    let body = r#"{"name":"Rex"}"#;
    format!("{body}{}", " ".repeat(len - body.len()))
}

#[tokio::test]
async fn body_size_by_content_length() {
    let t = Setup::start().await;
    // the document-level limit: 1 KiB
    t.check_table(&[
        (
            Req::post("/shop/v1/pets").json(&pet_of_len(1024)),
            Expect::Forwarded,
        ),
        (
            Req::post("/shop/v1/pets").json(&pet_of_len(1025)),
            Expect::Rejected(413, &[]),
        ),
        // an operation-level limit overrides it: 2 KiB
        (
            Req::post("/catalog/items").json(&format!(
                r#"{{"sku":"AB-123","title":"Dune"}}{}"#,
                " ".repeat(1500)
            )),
            Expect::Forwarded,
        ),
        (
            Req::post("/catalog/items").json(&format!(
                r#"{{"sku":"AB-123","title":"Dune"}}{}"#,
                " ".repeat(2100)
            )),
            Expect::Rejected(413, &[]),
        ),
    ])
    .await;

    // Refused from the head alone: the gateway answers without waiting for
    // a body that never comes.
    let mut conn = Conn::open(t.gateway.addr()).await;
    conn.write(
        b"POST /shop/v1/pets HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n",
    )
    .await;
    let resp = conn.read_response().await;
    assert_problem(&resp, 413, "declared length");
    assert_eq!(problem_type(&resp), "payload-too-large");
    assert_eq!(
        resp.json()["detail"],
        "request body exceeds the limit of 1024 bytes"
    );
    assert_eq!(t.upstream.count(), 2);
}

fn chunked(body: &[u8], chunk: usize) -> Vec<u8> {
    let mut out = b"POST /shop/v1/pets HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for piece in body.chunks(chunk) {
        out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[tokio::test]
async fn chunked_bodies_are_counted_as_they_arrive() {
    let t = Setup::start().await;
    // Under the limit: forwarded, de-chunked, byte for byte.
    let body = pet_of_len(1000);
    let resp = t.gateway.raw(&chunked(body.as_bytes(), 100)).await;
    assert_eq!(resp.status, 200, "{resp}");
    let got = t.upstream.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, body.as_bytes());
    assert_eq!(got[0].header("transfer-encoding"), None);

    // Over the limit, with no length announced: refused, nothing forwarded.
    let resp = t
        .gateway
        .raw(&chunked(pet_of_len(1100).as_bytes(), 100))
        .await;
    assert_problem(&resp, 413, "chunked");
    assert_eq!(problem_type(&resp), "payload-too-large");

    // Over the limit in the first chunks, the rest never sent: refused
    // without waiting for the end of the body.
    let all = chunked(pet_of_len(2000).as_bytes(), 500);
    let mut conn = Conn::open(t.gateway.addr()).await;
    conn.write(&all[..all.len() - 600]).await;
    let resp = conn.read_response().await;
    assert_problem(&resp, 413, "chunked, unfinished");
    assert_eq!(t.upstream.count(), 1, "the upstream got an oversized body");
}

#[tokio::test]
async fn json_nesting_depth() {
    let t = Setup::start().await;
    let nested = |depth: usize| {
        // the document counts for one level, the arrays for the rest
        format!(
            r#"{{"name":"Rex","tag":{}1{}}}"#,
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    t.check_table(&[
        // at the limit (6): parsed, then refused by the schema only
        (
            Req::post("/shop/v1/pets").json(&nested(6)),
            Expect::Rejected(400, &["body:/tag type"]),
        ),
        (
            Req::post("/shop/v1/pets").json(&nested(7)),
            Expect::Rejected(400, &["body: maxDepth"]),
        ),
        (
            Req::post("/shop/v1/pets").json(&nested(100)),
            Expect::Rejected(400, &["body: maxDepth"]),
        ),
    ])
    .await;
}

#[tokio::test]
async fn stalled_request_head_is_disconnected() {
    let t = Setup::start_with(
        Default::default(),
        Timeouts {
            request_head_ms: 300,
            ..test_timeouts()
        },
    )
    .await;
    let mut conn = Conn::open(t.gateway.addr()).await;
    let started = Instant::now();
    conn.write(b"GET /shop/v1/pets HTTP/1.1\r\nhost: x\r\nx-a:")
        .await;
    let rest = conn.read_to_close().await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "closed after {waited:?}"
    );
    let text = String::from_utf8_lossy(&rest);
    assert!(
        rest.is_empty() || text.starts_with("HTTP/1.1 408"),
        "unexpected answer {text:?}"
    );
    assert_eq!(t.upstream.count(), 0);
}

#[tokio::test]
async fn stalled_request_body_is_408() {
    let t = Setup::start_with(
        Default::default(),
        Timeouts {
            request_body_ms: 300,
            ..test_timeouts()
        },
    )
    .await;
    let mut conn = Conn::open(t.gateway.addr()).await;
    let started = Instant::now();
    conn.write(b"POST /shop/v1/pets HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n{\"na")
        .await;
    let resp = conn.read_response().await;
    let waited = started.elapsed();
    assert_problem(&resp, 408, "stalled body");
    assert_eq!(problem_type(&resp), "request-timeout");
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "answered after {waited:?}"
    );
    assert_eq!(t.upstream.count(), 0);
}

#[tokio::test]
async fn expect_100_continue() {
    let t = Setup::start().await;
    let head = |length: usize| {
        format!(
            "POST /shop/v1/pets HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: {length}\r\n\r\n"
        )
    };
    // Too large: refused at once, so the client never sends the body.
    let mut conn = Conn::open(t.gateway.addr()).await;
    conn.write(head(5000).as_bytes()).await;
    assert_problem(&conn.read_response().await, 413, "expect, too large");
    // Within limits: the gateway asks for the body, then forwards it.
    let mut conn = Conn::open(t.gateway.addr()).await;
    conn.write(head(14).as_bytes()).await;
    assert_eq!(conn.read_response().await.status, 100);
    conn.write(br#"{"name":"Rex"}"#).await;
    assert_eq!(conn.read_response().await.status, 200);
    let got = t.upstream.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, r#"{"name":"Rex"}"#.as_bytes());
}

#[tokio::test]
async fn stalled_second_request_head_is_disconnected() {
    let t = Setup::start_with(
        Default::default(),
        Timeouts {
            request_head_ms: 300,
            ..test_timeouts()
        },
    )
    .await;
    let mut conn = Conn::open(t.gateway.addr()).await;
    conn.write(&Req::get("/shop/v1/pets").to_bytes()).await;
    assert_eq!(conn.read_response().await.status, 200);
    // The deadline applies to every head on a keep-alive connection.
    let started = Instant::now();
    conn.write(b"GET /shop/v1/pets HTTP/1.1\r\nhost: x\r\n")
        .await;
    let rest = conn.read_to_close().await;
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(3), "closed after {waited:?}");
    let text = String::from_utf8_lossy(&rest);
    assert!(
        rest.is_empty() || text.starts_with("HTTP/1.1 408"),
        "unexpected answer {text:?}"
    );
    assert_eq!(t.upstream.count(), 1);
}

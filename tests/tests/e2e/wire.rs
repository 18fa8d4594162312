//! Bytes a client library would never send: conflicting framing, obsolete
//! forms, odd targets. The gateway must either refuse them or forward
//! exactly what it validated, so that the upstream cannot be told another
//! story (request smuggling).

use douane_tests::harness::{Conn, Req, Response, Setup, assert_problem};

const PET: &str = r#"{"name":"Rex"}"#;

/// Writes `bytes` on a fresh connection; returns the answer (status 0 if
/// the gateway closed without one).
async fn raw(t: &Setup, bytes: &str) -> Response {
    let mut conn = Conn::open(t.gateway.addr()).await;
    conn.write(bytes.as_bytes()).await;
    conn.read_to_close_or_response().await
}

fn post_head(framing: &str) -> String {
    format!(
        "POST /shop/v1/pets HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n{framing}\r\n"
    )
}

#[tokio::test]
async fn content_length_with_transfer_encoding_uses_chunked_only() {
    let t = Setup::start().await;
    let mut conn = Conn::open(t.gateway.addr()).await;
    let framing = "content-length: 4\r\ntransfer-encoding: chunked\r\n";
    conn.write(format!("{}e\r\n{PET}\r\n0\r\n\r\n", post_head(framing)).as_bytes())
        .await;
    assert_eq!(conn.read_response().await.status, 200);
    let got = &t.upstream.requests()[0];
    assert_eq!(got.body, PET.as_bytes());
    assert_eq!(got.header("content-length"), Some("14"));
    assert_eq!(got.header("transfer-encoding"), None);
    // Ambiguous framing ends the connection: nothing sent after it can be
    // read as a smuggled request.
    let _ = conn
        .try_write(&Req::get("/shop/v1/pets/1").to_bytes())
        .await;
    assert_eq!(conn.read_to_close().await, b"");
    assert_eq!(t.upstream.count(), 1);
}

#[tokio::test]
async fn conflicting_content_lengths_are_refused() {
    let t = Setup::start().await;
    let same = raw(
        &t,
        &format!(
            "{}{PET}",
            post_head("content-length: 14\r\ncontent-length: 14\r\n")
        ),
    )
    .await;
    assert_eq!(same.status, 200, "identical lengths are one length");
    assert_eq!(
        t.upstream.requests()[0].header("content-length"),
        Some("14")
    );
    // Refused by hyper before the pipeline: a bare 400, not a problem.
    let different = raw(
        &t,
        &format!(
            "{}{PET}",
            post_head("content-length: 14\r\ncontent-length: 3\r\n")
        ),
    )
    .await;
    assert_eq!(different.status, 400);
    assert_eq!(different.header("connection"), Some("close"));
    let spaced = raw(
        &t,
        &format!("{}{PET}", post_head("content-length : 14\r\n")),
    )
    .await;
    assert_eq!(spaced.status, 400);
    assert_eq!(t.upstream.count(), 1);
}

#[tokio::test]
async fn chunked_trailers_are_not_forwarded() {
    let t = Setup::start().await;
    let framing = "transfer-encoding: chunked\r\n";
    let resp = raw(
        &t,
        &format!(
            "{}e\r\n{PET}\r\n0\r\nx-trailer: 1\r\n\r\n",
            post_head(framing)
        ),
    )
    .await;
    assert_eq!(resp.status, 200);
    let got = &t.upstream.requests()[0];
    assert_eq!(got.body, PET.as_bytes());
    assert_eq!(got.header("x-trailer"), None);
}

#[tokio::test]
async fn unknown_transfer_coding_is_not_forwarded() {
    let t = Setup::start().await;
    // RFC 9112 §6.1: 501 for a transfer coding the server does not
    // understand; the gateway could not decode the body to validate it.
    let resp = raw(
        &t,
        &format!(
            "{}0\r\n\r\n",
            post_head("transfer-encoding: gzip, chunked\r\n")
        ),
    )
    .await;
    assert_problem(&resp, 501, "gzip, chunked");
    assert_eq!(t.upstream.count(), 0);
}

#[tokio::test]
async fn obsolete_line_folding_is_refused() {
    let t = Setup::start().await;
    let resp = raw(
        &t,
        "GET /shop/v1/pets HTTP/1.1\r\nhost: x\r\nx-request-id: 6f1c7d0e\r\n -3b7a-4c2e-9d1f-2a3b4c5d6e7f\r\n\r\n",
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(t.upstream.count(), 0);
}

#[tokio::test]
async fn request_targets() {
    let t = Setup::start().await;
    // absolute-form: routed and validated on its path, forwarded in
    // origin-form
    let resp = raw(
        &t,
        "GET http://other.example/shop/v1/pets?limit=5 HTTP/1.1\r\nhost: x\r\n\r\n",
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(t.upstream.requests()[0].target, "/shop/v1/pets?limit=5");
    let resp = raw(
        &t,
        "GET http://other.example/shop/v1/pets?limit=0 HTTP/1.1\r\nhost: x\r\n\r\n",
    )
    .await;
    assert_problem(&resp, 400, "absolute-form, invalid");
    // HTTP/1.0 and bare LF line ends are served
    assert_eq!(
        raw(&t, "GET /shop/v1/pets/1 HTTP/1.0\r\nhost: x\r\n\r\n")
            .await
            .status,
        200
    );
    assert_eq!(
        raw(&t, "GET /shop/v1/pets/2 HTTP/1.1\nhost: x\n\n")
            .await
            .status,
        200
    );
    // methods are case-sensitive: `get` is not GET
    let resp = raw(&t, "get /shop/v1/pets HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert_problem(&resp, 405, "lowercase method");
    assert_eq!(resp.header("allow"), Some("GET, HEAD, POST"));
    assert_eq!(t.upstream.count(), 3);
}

#[tokio::test]
async fn host_header_must_be_present_and_single() {
    let t = Setup::start().await;
    // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request)
    // status code to any HTTP/1.1 request message that lacks a Host header
    // field and to any request message that contains more than one Host
    // header field line": gateway and upstream could disagree on the host.
    let missing = raw(&t, "GET /shop/v1/pets HTTP/1.1\r\n\r\n").await;
    assert_eq!(missing.status, 400);
    assert!(
        missing.body_str().contains("malformed-request"),
        "{missing:?}"
    );
    let twice = raw(
        &t,
        "GET /shop/v1/pets HTTP/1.1\r\nhost: x\r\nhost: y\r\n\r\n",
    )
    .await;
    assert_eq!(twice.status, 400);
    assert!(
        twice.body_str().contains("several Host headers"),
        "{twice:?}"
    );
    // HTTP/1.0 predates Host: its absence is fine there.
    let old = raw(&t, "GET /shop/v1/pets HTTP/1.0\r\n\r\n").await;
    assert_eq!(old.status, 200);
    assert_eq!(t.upstream.count(), 1);
}

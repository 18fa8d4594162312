//! Forwarding: what the upstream receives (the request unchanged, minus
//! hop-by-hop headers, plus `X-Forwarded-*`) and what the client gets back
//! (the upstream's status, headers and body).

use std::time::Duration;

use bytes::Bytes;
use douane_runtime::config::Config;
use douane_tests::harness::{
    Conn, Expect, Gateway, HOP_BY_HOP, Reply, Req, Setup, UPSTREAM_BODY, Upstream, assert_problem,
    test_timeouts,
};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

#[tokio::test]
async fn request_reaches_upstream_unchanged() {
    let t = Setup::start().await;
    t.check_table(&[
        // path and query byte for byte: encodings, `+`, unknown and repeated
        // parameters are the upstream's business
        (
            Req::get("/shop/v1/pets?tags=a%20b&tags=c+d&name=%C3%A9t%C3%A9&x=1&x=2&empty"),
            Expect::Forwarded,
        ),
        (Req::get("/catalog/items/AB%2D123"), Expect::Forwarded),
        (Req::get("/shop/v1/pets/%31"), Expect::Forwarded),
        // end-to-end headers, including repeated ones and odd casing
        (
            Req::get("/shop/v1/pets")
                .header("Accept", "application/json")
                .header("Authorization", "Bearer abc")
                .header("X-Multi", "1")
                .header("x-multi", "2")
                .header("User-Agent", "e2e/1.0")
                .header("X-Request-Id", "6f1c7d0e-3b7a-4c2e-9d1f-2a3b4c5d6e7f"),
            Expect::Forwarded,
        ),
        // Host is kept as the client sent it
        (
            Req::get("/shop/v1/pets").header("Host", "api.example.com:8443"),
            Expect::Forwarded,
        ),
        // X-Forwarded-For is appended to, never replaced
        (
            Req::get("/shop/v1/pets")
                .header("X-Forwarded-For", "10.0.0.1")
                .header("X-Forwarded-For", "10.0.0.2, 10.0.0.3"),
            Expect::Forwarded,
        ),
    ])
    .await;
    let got = t.upstream.requests();
    assert_eq!(got[3].header_values("x-multi"), ["1", "2"]);
    assert_eq!(
        got[5].header("x-forwarded-for"),
        Some("10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1")
    );
}

#[tokio::test]
async fn spoofed_forwarded_proto_and_host_are_overwritten() {
    let t = Setup::start().await;
    t.send(
        &Req::get("/shop/v1/pets")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "evil.example"),
    )
    .await;
    let got = &t.upstream.requests()[0];
    assert_eq!(got.header("x-forwarded-proto"), Some("http"));
    assert_eq!(got.header("x-forwarded-host"), Some("gateway.test"));
}

#[tokio::test]
async fn hop_by_hop_headers_stop_at_the_gateway() {
    let t = Setup::start().await;
    let req = Req::get("/shop/v1/pets")
        .header("Connection", "keep-alive, X-Secret")
        .header("Connection", "x-other")
        .header("Keep-Alive", "timeout=5")
        .header("TE", "trailers")
        .header("Proxy-Connection", "keep-alive")
        .header("Upgrade", "websocket")
        .header("X-Secret", "only for the gateway")
        .header("X-Other", "also")
        .header("X-Kept", "yes");
    t.check(&req, Expect::Forwarded).await;
    let got = &t.upstream.requests()[0];
    for name in HOP_BY_HOP.iter().chain(&["x-secret", "x-other"]) {
        assert_eq!(got.header(name), None, "{name} was forwarded");
    }
    assert_eq!(got.header("x-kept"), Some("yes"));
}

#[tokio::test]
async fn upstream_response_is_passed_back() {
    let t = Setup::start_with(
        Reply {
            status: 201,
            headers: vec![
                ("content-type", "application/vnd.shop+json"),
                ("x-upstream", "recording"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
                ("keep-alive", "timeout=99"),
                ("connection", "x-hop"),
                ("x-hop", "1"),
            ],
            body: r#"{"created": true}"#,
            delay: Duration::ZERO,
        },
        test_timeouts(),
    )
    .await;
    let resp = t
        .send(&Req::post("/shop/v1/pets").json(r#"{"name":"Rex"}"#))
        .await;
    assert_eq!(resp.status, 201);
    assert_eq!(resp.body_str(), r#"{"created": true}"#);
    assert_eq!(
        resp.header("content-type"),
        Some("application/vnd.shop+json")
    );
    assert_eq!(resp.header("x-upstream"), Some("recording"));
    let cookies: Vec<&str> = resp
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(resp.header("keep-alive"), None);
    assert_eq!(resp.header("x-hop"), None);
}

#[tokio::test]
async fn upstream_errors_are_not_rewritten() {
    let t = Setup::start_with(
        Reply {
            status: 503,
            headers: vec![("content-type", "text/plain"), ("retry-after", "7")],
            body: "backend down",
            delay: Duration::ZERO,
        },
        test_timeouts(),
    )
    .await;
    let resp = t.send(&Req::get("/shop/v1/pets")).await;
    assert_eq!(resp.status, 503);
    assert_eq!(resp.header("content-type"), Some("text/plain"));
    assert_eq!(resp.header("retry-after"), Some("7"));
    assert_eq!(resp.body_str(), "backend down");
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let t = Setup::start().await;
    let mut conn = Conn::open(t.gateway.addr()).await;
    // forwarded, rejected, not found, forwarded with a body: one connection
    conn.write(&Req::get("/shop/v1/pets").to_bytes()).await;
    assert_eq!(conn.read_response().await.status, 200);
    conn.write(&Req::get("/shop/v1/pets?limit=0").to_bytes())
        .await;
    assert_problem(&conn.read_response().await, 400, "second request");
    conn.write(&Req::get("/nowhere").to_bytes()).await;
    assert_problem(&conn.read_response().await, 404, "third request");
    let post = Req::post("/shop/v1/pets").json(r#"{"name":"Rex"}"#);
    conn.write(&post.to_bytes()).await;
    let resp = conn.read_response().await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body_str(), UPSTREAM_BODY);
    // pipelined: two requests written at once, answered in order
    let mut both = Req::get("/shop/v1/pets/1").to_bytes();
    both.extend(Req::get("/shop/v1/pets/0").to_bytes());
    conn.write(&both).await;
    assert_eq!(conn.read_response().await.status, 200);
    assert_problem(&conn.read_response().await, 400, "pipelined");
    let targets: Vec<String> = t
        .upstream
        .requests()
        .into_iter()
        .map(|r| r.target)
        .collect();
    assert_eq!(
        targets,
        ["/shop/v1/pets", "/shop/v1/pets", "/shop/v1/pets/1"]
    );
    assert_eq!(
        t.upstream.requests()[1].body,
        r#"{"name":"Rex"}"#.as_bytes()
    );
}

#[tokio::test]
async fn rejected_body_does_not_break_the_connection() {
    let t = Setup::start().await;
    let mut conn = Conn::open(t.gateway.addr()).await;
    // a refused body must be consumed or the connection closed, never
    // parsed as the next request
    conn.write(&Req::post("/shop/v1/pets").json(r#"{"name":1}"#).to_bytes())
        .await;
    assert_problem(&conn.read_response().await, 400, "invalid body");
    conn.write(&Req::get("/shop/v1/pets/5").to_bytes()).await;
    assert_eq!(conn.read_response().await.status, 200);
    assert_eq!(t.upstream.count(), 1);
}

#[tokio::test]
async fn upstream_url_prefix_is_prepended() {
    let upstream = Upstream::start().await;
    let prefixed = format!("{}/backend/", upstream.url());
    let gateway = Gateway::start(
        &[
            ("shop", &prefixed),
            ("catalog", &upstream.url()),
            ("legacy", &upstream.url()),
            ("lenient", &upstream.url()),
            ("reports", &upstream.url()),
        ],
        test_timeouts(),
    )
    .await;
    assert_eq!(
        gateway
            .send(&Req::get("/shop/v1/pets?limit=5"))
            .await
            .status,
        200
    );
    assert_eq!(
        gateway
            .send(&Req::get("/catalog/items/AB-123"))
            .await
            .status,
        200
    );
    let targets: Vec<String> = upstream.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        ["/backend/shop/v1/pets?limit=5", "/catalog/items/AB-123"]
    );
}

#[tokio::test]
async fn base_path_override_from_the_configuration() {
    let upstream = Upstream::start().await;
    let config = Config::from_toml_str(
        &format!(
            "[apis.shop]\nupstream = \"{0}\"\nbase_path = \"/pets-api\"\n\n[apis.catalog]\nupstream = \"{0}\"\n\n[apis.legacy]\nupstream = \"{0}\"\n\n[apis.lenient]\nupstream = \"{0}\"\n\n[apis.reports]\nupstream = \"{0}\"\n",
            upstream.url()
        ),
        "test.toml",
    )
    .unwrap();
    let gateway = Gateway::start_config(config).await;
    assert_eq!(
        gateway.send(&Req::get("/pets-api/pets/1")).await.status,
        200
    );
    assert_problem(
        &gateway.send(&Req::get("/shop/v1/pets/1")).await,
        404,
        "old base path",
    );
    assert_problem(
        &gateway.send(&Req::get("/pets-api/pets/0")).await,
        400,
        "still validated",
    );
    // The path goes upstream as the client sent it.
    assert_eq!(upstream.requests()[0].target, "/pets-api/pets/1");
}

#[tokio::test]
async fn response_body_is_streamed_not_buffered() {
    // A raw upstream that sends the first chunk of its answer, then waits
    // for the test's go-ahead before finishing it.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (go, wait) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).await.unwrap();
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n6\r\nfirst,\r\n")
            .await
            .unwrap();
        let _ = wait.await;
        stream.write_all(b"6\r\nsecond\r\n0\r\n\r\n").await.unwrap();
        // keep the connection open until the gateway is done with it
        let _ = stream.read(&mut buf).await;
    });
    let gateway = Gateway::start_all(&url, test_timeouts()).await;
    let mut conn = Conn::open(gateway.addr()).await;
    conn.write(&Req::get("/shop/v1/pets").to_bytes()).await;
    // The first chunk reaches the client while the upstream is still busy.
    conn.read_until(b"first,").await;
    go.send(()).unwrap();
    conn.read_until(b"second").await;
    task.abort();
}

#[tokio::test]
async fn http2_cleartext_is_forwarded_as_http11() {
    let t = Setup::start().await;
    let stream = TcpStream::connect(t.gateway.addr()).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let send = |target: &str, body: &'static str| {
        hyper::Request::post(format!("http://h2.example{target}"))
            .header("content-type", "application/json")
            .header("x-kept", "yes")
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .unwrap()
    };
    let resp = sender
        .send_request(send("/shop/v1/pets?limit=1", r#"{"name":"Rex"}"#))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, UPSTREAM_BODY.as_bytes());
    let got = &t.upstream.requests()[0];
    assert_eq!(got.target, "/shop/v1/pets?limit=1");
    assert_eq!(got.body, r#"{"name":"Rex"}"#.as_bytes());
    // `:authority` becomes the upstream's Host
    assert_eq!(got.header("host"), Some("h2.example"));
    assert_eq!(got.header("x-forwarded-host"), Some("h2.example"));
    assert_eq!(got.header("x-kept"), Some("yes"));
    // validated the same way on the same connection
    let resp = sender
        .send_request(send("/shop/v1/pets", r#"{"name":""}"#))
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    assert_eq!(t.upstream.count(), 1);
}

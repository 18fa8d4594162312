//! Upstream failures: a refused connection is a 502, a slow upstream a 504
//! within the configured time, a broken answer a 502; the client always
//! gets a problem+json and never hangs.

use std::time::{Duration, Instant};

use douane_runtime::config::Timeouts;
use douane_tests::harness::{
    Gateway, Reply, Req, Setup, assert_problem, problem_type, refused_url, test_timeouts,
};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

#[tokio::test]
async fn refused_connection_is_502() {
    let url = refused_url().await;
    let gateway = Gateway::start_all(&url, test_timeouts()).await;
    let resp = gateway.send(&Req::get("/shop/v1/pets")).await;
    assert_problem(&resp, 502, "refused");
    assert_eq!(problem_type(&resp), "bad-gateway");
    assert_eq!(
        resp.json()["detail"],
        "upstream refused or did not accept the connection"
    );
    // Requests are still validated first: a bad one is a 400, not a 502.
    let resp = gateway.send(&Req::get("/shop/v1/pets?limit=0")).await;
    assert_problem(&resp, 400, "invalid, upstream down");
}

#[tokio::test]
async fn upstream_closing_without_answer_is_502() {
    // An upstream that reads the request, then hangs up.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            drop(stream);
        }
    });
    let gateway = Gateway::start_all(&url, test_timeouts()).await;
    let resp = gateway.send(&Req::get("/catalog/items/AB-123")).await;
    assert_problem(&resp, 502, "closed");
    assert_eq!(
        resp.json()["detail"],
        "upstream closed the connection before answering"
    );
    task.abort();
}

#[tokio::test]
async fn slow_upstream_is_504_in_bounded_time() {
    let t = Setup::start_with(
        Reply {
            delay: Duration::from_secs(10),
            ..Reply::default()
        },
        Timeouts {
            upstream_response_ms: 300,
            ..test_timeouts()
        },
    )
    .await;
    let started = Instant::now();
    let resp = t.send(&Req::get("/shop/v1/pets")).await;
    let waited = started.elapsed();
    assert_problem(&resp, 504, "slow upstream");
    assert_eq!(problem_type(&resp), "gateway-timeout");
    assert_eq!(
        resp.json()["detail"],
        "upstream did not answer within 300 ms"
    );
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "answered after {waited:?}"
    );
    // The request did reach the upstream; it was its answer that was late.
    assert_eq!(t.upstream.count(), 1);
}

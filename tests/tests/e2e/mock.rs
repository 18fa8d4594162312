//! The built-in `mock` upstream: a declared operation answers its first 2xx
//! response's example from the contract; requests are validated exactly as
//! for a real upstream.

use douane_runtime::config::Config;
use douane_tests::CONTRACT;
use douane_tests::harness::{Conn, Gateway, Req, assert_problem, test_timeouts};

async fn mocked() -> Gateway {
    Gateway::start_all("mock", test_timeouts()).await
}

#[tokio::test]
async fn declared_operations_answer_the_contract_example() {
    let gateway = mocked().await;
    for (req, status, content_type, body) in [
        (
            Req::get("/shop/v1/pets"),
            200,
            Some("application/json"),
            r#"[{"id":1,"name":"Rex"}]"#,
        ),
        (
            Req::get("/shop/v1/pets/7"),
            200,
            Some("application/json"),
            r#"{"id":7,"name":"Rex"}"#,
        ),
        (
            Req::get("/shop/v1/ping"),
            200,
            Some("application/json"),
            r#"{"pong":true}"#,
        ),
        // a response without content: status only
        (Req::new("DELETE", "/shop/v1/pets/7"), 204, None, ""),
        (Req::get("/catalog"), 200, None, ""),
        // `examples` (3.1): the first one
        (
            Req::post("/catalog/items").json(r#"{"sku":"ZZ-999","title":"Other"}"#),
            201,
            Some("application/json"),
            r#"{"sku":"AB-123","title":"Dune"}"#,
        ),
    ] {
        let resp = gateway.send(&req).await;
        assert_eq!(resp.status, status, "{req}: {resp}");
        assert_eq!(resp.header("content-type"), content_type, "{req}");
        assert_eq!(resp.body_str(), body, "{req}");
    }
}

#[tokio::test]
async fn mocked_requests_are_still_validated() {
    let gateway = mocked().await;
    for (req, status) in [
        (Req::get("/shop/v1/pets?limit=0"), 400),
        (Req::post("/shop/v1/pets").json(r#"{"name":""}"#), 400),
        (
            Req::post("/shop/v1/pets")
                .header("content-type", "text/plain")
                .body("x"),
            415,
        ),
        (Req::get("/shop/v1/cats"), 404),
        (Req::new("PUT", "/shop/v1/pets"), 405),
    ] {
        assert_problem(&gateway.send(&req).await, status, &req.to_string());
    }
}

#[tokio::test]
async fn head_on_a_get_operation() {
    let gateway = mocked().await;
    let mut conn = Conn::open(gateway.addr()).await;
    conn.write(&Req::new("HEAD", "/shop/v1/pets/7").to_bytes())
        .await;
    let resp = conn.read_head_response().await;
    // HEAD follows GET (RFC 9110 §9.3.2): the GET example's head, no body.
    assert_eq!(resp.status, 200, "{resp:?}");
    assert_eq!(resp.header("content-type"), Some("application/json"));
    // The connection is still in sync: no body bytes followed the head.
    conn.write(&Req::get("/shop/v1/ping").to_bytes()).await;
    let next = conn.read_response().await;
    assert_eq!(next.body_str(), r#"{"pong":true}"#);
}

#[tokio::test]
async fn default_configuration_mocks_every_api() {
    let gateway = Gateway::start_config(Config::mock_all(&CONTRACT)).await;
    let resp = gateway.send(&Req::get("/shop/v1/pets/7")).await;
    assert_eq!(resp.body_str(), r#"{"id":7,"name":"Rex"}"#);
    let resp = gateway.send(&Req::get("/catalog")).await;
    assert_eq!(resp.status, 200);
}

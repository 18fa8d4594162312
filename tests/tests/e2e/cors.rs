//! CORS: preflights answered from the contract's `x-douane-cors` (catalog
//! API), never forwarded; CORS headers on answers to allowed origins; no
//! CORS at all where the contract does not enable it (shop API).

use douane_tests::harness::{Req, Setup};

fn preflight(path: &str, origin: &str, method: &str, headers: Option<&str>) -> Req {
    let req = Req::new("OPTIONS", path)
        .header("origin", origin)
        .header("access-control-request-method", method);
    match headers {
        Some(h) => req.header("access-control-request-headers", h),
        None => req,
    }
}

#[tokio::test]
async fn preflights_are_answered_from_the_contract() {
    let t = Setup::start().await;
    let ok = t
        .send(&preflight(
            "/catalog/items",
            "https://shop.example",
            "POST",
            Some("Content-Type, X-Request-Id"),
        ))
        .await;
    assert_eq!(ok.status, 204, "{ok}");
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    assert_eq!(ok.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        ok.header("access-control-allow-headers"),
        Some("content-type, x-request-id")
    );
    assert_eq!(ok.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(ok.header("access-control-max-age"), Some("300"));
    assert_eq!(ok.header("vary"), Some("Origin"));

    for (req, detail) in [
        (
            preflight("/catalog/items", "https://evil.example", "POST", None),
            "origin https://evil.example is not allowed",
        ),
        (
            preflight("/catalog/items", "https://shop.example", "DELETE", None),
            "method DELETE is not declared for /items (allowed: POST)",
        ),
        (
            preflight(
                "/catalog/items",
                "https://shop.example",
                "POST",
                Some("x-secret"),
            ),
            "request header x-secret is not allowed",
        ),
    ] {
        let resp = t.send(&req).await;
        assert_eq!(resp.status, 403, "{resp}");
        assert_eq!(resp.json()["detail"], detail, "{resp}");
        assert_eq!(
            resp.header("content-type"),
            Some("application/problem+json")
        );
    }
    // An undeclared path is still 404; a preflight never reaches the upstream.
    let unknown = t
        .send(&preflight(
            "/catalog/nowhere",
            "https://shop.example",
            "GET",
            None,
        ))
        .await;
    assert_eq!(unknown.status, 404, "{unknown}");
    assert_eq!(t.upstream.count(), 0, "a preflight reached the upstream");
}

#[tokio::test]
async fn allowed_origins_get_cors_headers_on_every_answer() {
    let t = Setup::start().await;
    // Forwarded: the upstream's answer gains the CORS headers.
    let fwd = t
        .send(&Req::get("/catalog/").header("origin", "http://localhost:3000"))
        .await;
    assert_eq!(fwd.status, 200, "{fwd}");
    assert_eq!(
        fwd.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert_eq!(
        fwd.header("access-control-expose-headers"),
        Some("x-total-count")
    );
    assert_eq!(fwd.header("access-control-allow-credentials"), Some("true"));
    // Refused by the gateway: the page can still read why.
    let refused = t
        .send(
            &Req::post("/catalog/items")
                .header("origin", "https://shop.example")
                .header("content-type", "application/json")
                .body("{"),
        )
        .await;
    assert_eq!(refused.status, 400, "{refused}");
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    // Another origin: forwarded (CORS is the browser's guard, not an
    // authentication), without CORS headers.
    let other = t
        .send(&Req::get("/catalog/").header("origin", "https://evil.example"))
        .await;
    assert_eq!(other.status, 200, "{other}");
    assert_eq!(other.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn without_x_douane_cors_options_is_an_undeclared_method() {
    let t = Setup::start().await;
    let resp = t
        .send(&preflight(
            "/shop/v1/pets",
            "https://shop.example",
            "GET",
            None,
        ))
        .await;
    assert_eq!(resp.status, 405, "{resp}");
    assert_eq!(resp.header("access-control-allow-origin"), None);
    let plain = t
        .send(&Req::get("/shop/v1/ping").header("origin", "https://shop.example"))
        .await;
    assert_eq!(plain.header("access-control-allow-origin"), None);
}

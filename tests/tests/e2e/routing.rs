//! Routing: the path picks the API by base path, then the operation; the
//! method must be declared. Anything else is a 404 or a 405 with `Allow`,
//! and never reaches the upstream.

use douane_tests::harness::{Expect, Req, Setup, problem_type};

#[tokio::test]
async fn declared_operations_are_forwarded() {
    let t = Setup::start().await;
    for req in [
        Req::get("/shop/v1/pets"),
        Req::get("/shop/v1/pets/mine"),
        Req::get("/shop/v1/pets/42"),
        Req::new("DELETE", "/shop/v1/pets/42"),
        Req::get("/shop/v1/pets/42/photos/rex.png"),
        Req::get("/catalog/items/AB-123"),
        // The base path itself addresses the operation declared on `/`.
        Req::get("/catalog"),
        Req::get("/catalog/"),
    ] {
        t.check(&req, Expect::Forwarded).await;
    }
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let t = Setup::start().await;
    for (target, detail) in [
        // outside any base path
        ("/", "no api matches path"),
        ("/nowhere", "no api matches path"),
        ("/shop", "no api matches path"),
        ("/shop/v2/pets", "no api matches path"),
        // a base path is matched at a segment boundary only
        ("/catalogue/items/AB-123", "no api matches path"),
        // inside an API, but no declared path
        ("/shop/v1/dogs", "no operation matches path"),
        ("/shop/v1/pets/1/photos", "no operation matches path"),
        ("/shop/v1/pets/1/photos/rex", "no operation matches path"),
        ("/shop/v1", "no operation matches path"),
        ("/catalog/items/AB-123/extra", "no operation matches path"),
        // empty segments match no template, trailing slashes are not ignored
        ("/shop/v1/pets/", "no operation matches path"),
        ("/shop/v1/pets//photos/a.png", "no operation matches path"),
        ("/shop/v1/pets/1/photos/.png", "no operation matches path"),
        ("/shop/v1/pets/1/photos/ab.", "no operation matches path"),
        ("/catalog//", "no operation matches path"),
        // literal segments are compared as sent: an encoded unreserved
        // character is not normalised (RFC 3986 §6.2.2.2 would allow it)
        ("/shop/v1/p%65ts", "no operation matches path"),
        ("/SHOP/v1/pets", "no api matches path"),
    ] {
        let resp = t.check(&Req::get(target), Expect::Rejected(404, &[])).await;
        assert_eq!(problem_type(&resp), "not-found", "{target}");
        assert_eq!(resp.json()["detail"], detail, "{target}");
    }
}

#[tokio::test]
async fn undeclared_method_is_405_with_exact_allow() {
    let t = Setup::start().await;
    for (method, target, allow) in [
        // HEAD is allowed wherever GET is (RFC 9110 §9.3.2).
        ("POST", "/shop/v1/pets/1", "GET, HEAD, DELETE"),
        ("PUT", "/shop/v1/pets", "GET, HEAD, POST"),
        ("DELETE", "/shop/v1/pets/mine", "GET, HEAD"),
        ("PATCH", "/catalog/items/AB-123", "GET, HEAD, PUT"),
        ("POST", "/catalog", "GET, HEAD"),
    ] {
        let resp = t
            .check(&Req::new(method, target), Expect::Rejected(405, &[]))
            .await;
        assert_eq!(problem_type(&resp), "method-not-allowed");
        assert_eq!(resp.header("allow"), Some(allow), "{method} {target}");
    }
}

#[tokio::test]
async fn literal_segment_wins_over_template() {
    let t = Setup::start().await;
    // `/pets/mine` is its own operation: `mine` is not checked as a petId
    // (which would be a type error) ...
    t.check(&Req::get("/shop/v1/pets/mine"), Expect::Forwarded)
        .await;
    // ... and the literal path has its own methods.
    let resp = t
        .check(
            &Req::new("DELETE", "/shop/v1/pets/mine"),
            Expect::Rejected(405, &[]),
        )
        .await;
    assert_eq!(resp.header("allow"), Some("GET, HEAD"));
    // A near miss goes to the template and is validated there.
    t.check(
        &Req::get("/shop/v1/pets/mines"),
        Expect::Rejected(400, &["path:petId type"]),
    )
    .await;
}

#[tokio::test]
async fn mixed_segment_splits_name_and_extension() {
    let t = Setup::start().await;
    t.check(
        &Req::get("/shop/v1/pets/3/photos/rex.jpg"),
        Expect::Forwarded,
    )
    .await;
    for (target, errors) in [
        (
            "/shop/v1/pets/3/photos/rex.gif",
            &["path:ext enum"] as &[&str],
        ),
        ("/shop/v1/pets/3/photos/Rex.png", &["path:name pattern"]),
        // `{name}.{ext}` splits at the last dot that lets the rest match:
        // `ab.c` and `png`, so the name's pattern (no dot) refuses it.
        ("/shop/v1/pets/3/photos/ab.c.png", &["path:name pattern"]),
        (
            "/shop/v1/pets/0/photos/REX.bmp",
            &["path:petId minimum", "path:name pattern", "path:ext enum"],
        ),
    ] {
        t.check(&Req::get(target), Expect::Rejected(400, errors))
            .await;
    }
}

#[tokio::test]
async fn two_apis_under_different_base_paths() {
    let t = Setup::start().await;
    // The same relative path means different things in each API.
    t.check(&Req::get("/shop/v1/pets/7"), Expect::Forwarded)
        .await;
    t.check(&Req::get("/catalog/pets/7"), Expect::Rejected(404, &[]))
        .await;
    t.check(
        &Req::get("/shop/v1/items/AB-123"),
        Expect::Rejected(404, &[]),
    )
    .await;
    t.check(&Req::get("/catalog/items/AB-123"), Expect::Forwarded)
        .await;
    let got = t.upstream.requests();
    let targets: Vec<&str> = got.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["/shop/v1/pets/7", "/catalog/items/AB-123"]);
}

/// Path- and operation-level `servers` move their operations under their
/// own base path (here `/catalog/v2` and `/catalog/beta`, below the API's
/// `/catalog`); the document's base path does not serve them.
#[tokio::test]
async fn path_and_operation_servers() {
    let t = Setup::start().await;
    t.check_table(&[
        (Req::get("/catalog/v2/stock/AB-1"), Expect::Forwarded),
        (
            Req::get("/catalog/v2/stock/x"),
            Expect::Rejected(400, &["path:sku pattern"]),
        ),
        (
            Req::new("DELETE", "/catalog/beta/stock/x"),
            Expect::Forwarded,
        ),
        (Req::get("/catalog/stock/AB-1"), Expect::Rejected(404, &[])),
        (
            Req::new("DELETE", "/catalog/v2/stock/AB-1"),
            Expect::Rejected(405, &[]),
        ),
        (Req::get("/catalog/items/AB-123"), Expect::Forwarded),
    ])
    .await;
}

/// Path keys carrying a query discriminator (`/actions?op=list`,
/// `/actions#op=delete`) route on that query value; a request matching none
/// of them is 404 (naming the expected pairs), another method 405.
#[tokio::test]
async fn query_discriminators_select_the_operation() {
    let t = Setup::start().await;
    t.check_table(&[
        (
            Req::get("/shop/v1/actions?op=list&limit=5"),
            Expect::Forwarded,
        ),
        (
            Req::get("/shop/v1/actions?op=list&limit=50"),
            Expect::Rejected(400, &["query:limit maximum"]),
        ),
        (
            Req::get("/shop/v1/actions?limit=1&op=get&id=3"),
            Expect::Forwarded,
        ),
        (
            Req::get("/shop/v1/actions?op=get"),
            Expect::Rejected(400, &["query:id required"]),
        ),
        (Req::post("/shop/v1/actions?op=delete"), Expect::Forwarded),
        (
            Req::get("/shop/v1/actions?op=drop"),
            Expect::Rejected(404, &[]),
        ),
        (Req::get("/shop/v1/actions"), Expect::Rejected(404, &[])),
        (
            Req::post("/shop/v1/actions?op=list"),
            Expect::Rejected(404, &[]),
        ),
        (
            Req::new("PUT", "/shop/v1/actions?archive"),
            Expect::Forwarded,
        ),
        (
            Req::new("PUT", "/shop/v1/actions?archive=all"),
            Expect::Forwarded,
        ),
        (
            Req::new("PUT", "/shop/v1/actions?op=list"),
            Expect::Rejected(404, &[]),
        ),
        (
            Req::new("PATCH", "/shop/v1/actions?op=list"),
            Expect::Rejected(405, &[]),
        ),
    ])
    .await;
    let resp = t.send(&Req::get("/shop/v1/actions?op=drop")).await;
    assert_eq!(
        resp.json()["detail"],
        "no operation matches GET /actions with this query (one of: op=list, op=get)"
    );
}

/// A Swagger 2.0 contract, converted on load: its basePath, collection
/// formats, body and formData parameters are enforced like OpenAPI 3's.
#[tokio::test]
async fn swagger_2_contracts_are_enforced() {
    let t = Setup::start().await;
    let image = |caption: &str| {
        let body = format!(
            "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"w.png\"\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\n{caption}\r\n--b--\r\n"
        );
        Req::new("PUT", "/legacy/widgets/3/image")
            .header("content-type", "multipart/form-data; boundary=b")
            .body(body.as_str())
    };
    let json = |body: &str| {
        Req::post("/legacy/widgets")
            .header("content-type", "application/json")
            .body(body)
    };
    t.check_table(&[
        (Req::get("/legacy/widgets?colours=red,blue&ids=1&ids=2&limit=5"), Expect::Forwarded),
        (Req::get("/legacy/widgets?colours=red,green"), Expect::Rejected(400, &["query:colours/1 enum"])),
        (Req::get("/legacy/widgets?ids=1&ids=x"), Expect::Rejected(400, &["query:ids/1 type"])),
        (Req::get("/legacy/widgets?limit=11"), Expect::Rejected(400, &["query:limit maximum"])),
        (json(r#"{"name":"w","colour":null}"#), Expect::Forwarded),
        (json(r#"{"name":"w","size":1}"#), Expect::Rejected(400, &["body:/size additionalProperties"])),
        (json(r#"{}"#), Expect::Rejected(400, &["body: required"])),
        (image("nice"), Expect::Forwarded),
        (image("much too long"), Expect::Rejected(400, &["body:/caption maxLength"])),
        (
            Req::new("PUT", "/legacy/widgets/0/image")
                .header("content-type", "multipart/form-data; boundary=b")
                .body("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"w\"\r\n\r\nx\r\n--b--\r\n"),
            Expect::Rejected(400, &["path:id minimum"]),
        ),
    ])
    .await;
}

/// Server variables: every `enum` value of a variable in the server URL's
/// path is a base path of its own; the host's variables change nothing.
#[tokio::test]
async fn server_variables_give_every_base_path() {
    let t = Setup::start().await;
    t.check_table(&[
        (Req::new("PURGE", "/reports/cache/home"), Expect::Forwarded),
        (
            Req::new("PURGE", "/reports-archive/cache/home"),
            Expect::Forwarded,
        ),
        (
            Req::new("PURGE", "/reports-archive/cache/Home1"),
            Expect::Rejected(400, &["path:key pattern"]),
        ),
        (
            Req::new("PURGE", "/reports-old/cache/home"),
            Expect::Rejected(404, &[]),
        ),
    ])
    .await;
    // The upstream gets the path as the client sent it.
    let last = t.upstream.requests().pop().unwrap();
    assert_eq!(last.target, "/reports-archive/cache/home");
}

/// OpenAPI 3.2: the QUERY method, an extension method from
/// `additionalOperations`, and the whole query string as one JSON value.
#[tokio::test]
async fn openapi_3_2_methods_and_querystring() {
    let t = Setup::start().await;
    let query = |body: &str| {
        Req::new("QUERY", "/reports/search")
            .header("content-type", "application/json")
            .body(body)
    };
    t.check_table(&[
        (query(r#"{"q":"sales"}"#), Expect::Forwarded),
        (
            query(r#"{"q":"sales","x":1}"#),
            Expect::Rejected(400, &["body:/x additionalProperties"]),
        ),
        (Req::get("/reports/search"), Expect::Rejected(405, &[])),
        (Req::new("PURGE", "/reports/cache/home"), Expect::Forwarded),
        (
            Req::new("PURGE", "/reports/cache/Home1"),
            Expect::Rejected(400, &["path:key pattern"]),
        ),
        (
            Req::new("DELETE", "/reports/cache/home"),
            Expect::Rejected(405, &[]),
        ),
        (
            Req::get("/reports/filter?%7B%22year%22%3A2024%7D"),
            Expect::Forwarded,
        ),
        (
            Req::get("/reports/filter?%7B%22year%22%3A1999%7D"),
            Expect::Rejected(400, &["querystring:selector/year minimum"]),
        ),
        (
            Req::get("/reports/filter?year=2024"),
            Expect::Rejected(400, &["querystring:selector json"]),
        ),
        (
            Req::get("/reports/filter"),
            Expect::Rejected(400, &["querystring:selector required"]),
        ),
    ])
    .await;
    let allow = t.send(&Req::get("/reports/search")).await;
    assert_eq!(allow.header("allow"), Some("QUERY"));
    let allow = t.send(&Req::get("/reports/cache/x")).await;
    assert_eq!(allow.header("allow"), Some("PURGE"));
}

/// A contract may let what the gateway cannot enforce as written pass,
/// each with a warning (tests/specs/lenient.yaml): same-method templates
/// that match the same requests go to the first whose parameters are
/// valid; a parameter with no defined serialisation is only looked for.
#[tokio::test]
async fn constraints_let_pass_unenforced_are_the_only_ones_skipped() {
    let t = Setup::start().await;
    t.check_table(&[
        // getThingById: an integer id.
        (
            Req::get("/lenient/v1/things/12?verbose=true"),
            Expect::Forwarded,
        ),
        // Valid for neither (`verbose` is no boolean, `12` no slug): the
        // first one's errors.
        (
            Req::get("/lenient/v1/things/12?verbose=maybe"),
            Expect::Rejected(400, &["query:verbose type"]),
        ),
        // getThingBySlug: the id operation refuses `abc`, the slug one
        // takes it, with its own query rules...
        (
            Req::get("/lenient/v1/things/abc?lang=fr"),
            Expect::Forwarded,
        ),
        // ...whose errors are the ones reported when its path fits.
        (
            Req::get("/lenient/v1/things/abc?lang=de"),
            Expect::Rejected(400, &["query:lang enum"]),
        ),
        // Neither path fits: the first one's errors.
        (
            Req::get("/lenient/v1/things/ABC"),
            Expect::Rejected(400, &["path:id type"]),
        ),
        // The opaque `filter` is required, in any of its usual encodings.
        (
            Req::get("/lenient/v1/search?filter[0][field]=a&limit=3"),
            Expect::Forwarded,
        ),
        (
            Req::get("/lenient/v1/search?filter=%5B%7B%7D%5D"),
            Expect::Forwarded,
        ),
        (
            Req::get("/lenient/v1/search?limit=3"),
            Expect::Rejected(400, &["query:filter required"]),
        ),
        // Everything else of the operation is still enforced.
        (
            Req::get("/lenient/v1/search?filter=x&limit=11"),
            Expect::Rejected(400, &["query:limit maximum"]),
        ),
        // Java's \p{Alpha} is its ASCII class.
        (
            Req::get("/lenient/v1/search?filter=x&word=abc"),
            Expect::Forwarded,
        ),
        (
            Req::get("/lenient/v1/search?filter=x&word=ab1"),
            Expect::Rejected(400, &["query:word pattern"]),
        ),
        // The pattern no engine runs is not checked.
        (
            Req::get("/lenient/v1/search?filter=x&odd=zzz"),
            Expect::Forwarded,
        ),
        // An opaque form field: looked for, never read; the other fields
        // and the object's rules still hold.
        (form("title=hi&metadata[k]=v"), Expect::Forwarded),
        (form("title=hi&metadata=%7B%7D"), Expect::Forwarded),
        (form("title=hi"), Expect::Rejected(400, &["body: required"])),
        (
            form("title=toolong&metadata[k]=v"),
            Expect::Rejected(400, &["body:/title maxLength"]),
        ),
        (
            form("title=hi&metadata[k]=v&other=1"),
            Expect::Rejected(400, &["body:/other additionalProperties"]),
        ),
    ])
    .await;
}

fn form(body: &str) -> Req {
    Req::post("/lenient/v1/notes")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
}

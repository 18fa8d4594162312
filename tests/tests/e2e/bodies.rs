//! Request bodies: media type, presence, JSON syntax, then every schema
//! keyword, each rejection pointing at the offending value. Valid bodies
//! reach the upstream byte for byte: the gateway validates, it never
//! re-serialises.

use douane_tests::harness::{Expect, Req, Setup, problem_type};

const ITEMS: &str = "/catalog/items";

/// A valid `Item` with `extra` spliced in before the closing brace.
fn item(extra: &str) -> Req {
    Req::post(ITEMS).json(&format!(r#"{{"sku":"AB-123","title":"Dune"{extra}}}"#))
}

#[tokio::test]
async fn valid_json_is_forwarded_byte_for_byte() {
    let t = Setup::start().await;
    t.check_table(&[
        // odd whitespace, key order, number spelling and escapes survive
        (
            Req::post("/shop/v1/pets")
                .json("{ \"tag\" :null ,\n\t\"name\":\"R\\u0065x\",  \"weight\": 1.50e0 }  "),
            Expect::Forwarded,
        ),
        (
            item(concat!(
                r#","kind":"book","version":1,"price":2.5,"stock":99,"note":null,"#,
                r#""tags":["a","b"],"attrs":{"x":1,"y":-2},"#,
                r#""owner":{"email":"a@b.c","address":{"country":"FR","street":"x"}},"#,
                r#""format":"ab","rating":3,"code":"c12","nick":"bob""#
            )),
            Expect::Forwarded,
        ),
        (
            item(r#","note":"text","code":7,"format":"longer""#),
            Expect::Forwarded,
        ),
        (
            Req::new("PUT", "/catalog/items/AB-123").json(r#"{"title":"x","sku":"ZZ-999"}"#),
            Expect::Forwarded,
        ),
    ])
    .await;
}

#[tokio::test]
async fn media_types() {
    let t = Setup::start().await;
    let pet = r#"{"name":"Rex"}"#;
    let note = "/shop/v1/vendor-notes";
    t.check_table(&[
        (
            Req::post("/shop/v1/pets")
                .header("content-type", "application/json; charset=utf-8")
                .body(pet),
            Expect::Forwarded,
        ),
        (
            Req::post("/shop/v1/pets")
                .header("Content-Type", "Application/JSON;charset=\"UTF-8\"")
                .body(pet),
            Expect::Forwarded,
        ),
        // a +json type is accepted where it is declared ...
        (
            Req::post(note)
                .header("content-type", "application/vnd.shop.note+json")
                .body(r#"{"text":null}"#),
            Expect::Forwarded,
        ),
        // ... and validated as JSON
        (
            Req::post(note)
                .header("content-type", "application/vnd.shop.note+json")
                .body(r#"{"text":1}"#),
            Expect::Rejected(400, &["body:/text type"]),
        ),
        // an optional body may be left out
        (Req::post(note), Expect::Forwarded),
        // undeclared, missing or non-UTF-8 content types
        (
            Req::post(note).json(r#"{"text":""}"#),
            Expect::Rejected(415, &[]),
        ),
        (
            Req::post("/shop/v1/pets")
                .header("content-type", "text/plain")
                .body(pet),
            Expect::Rejected(415, &[]),
        ),
        (
            Req::post("/shop/v1/pets").body(pet),
            Expect::Rejected(415, &[]),
        ),
        (
            Req::post("/shop/v1/pets")
                .header("content-type", "application/json; charset=iso-8859-1")
                .body(pet),
            Expect::Rejected(415, &[]),
        ),
        (
            Req::post("/shop/v1/pets")
                .header("content-type", "json")
                .body(pet),
            Expect::Rejected(415, &[]),
        ),
    ])
    .await;
    let resp = t
        .send(
            &Req::post("/shop/v1/pets")
                .header("content-type", "text/plain")
                .body(pet),
        )
        .await;
    assert_eq!(problem_type(&resp), "unsupported-media-type");
    assert_eq!(
        resp.json()["detail"],
        "content type is not accepted; accepted: application/json"
    );
}

#[tokio::test]
async fn presence_and_syntax() {
    let t = Setup::start().await;
    let pets = "/shop/v1/pets";
    t.check_table(&[
        // a required body
        (Req::post(pets), Expect::Rejected(400, &["body: required"])),
        (
            Req::post(pets).json(""),
            Expect::Rejected(400, &["body: required"]),
        ),
        // malformed JSON
        (
            Req::post(pets).json(r#"{"name":"Rex""#),
            Expect::Rejected(400, &["body: json"]),
        ),
        (
            Req::post(pets).json(r#"{"name":'Rex'}"#),
            Expect::Rejected(400, &["body: json"]),
        ),
        (
            Req::post(pets).json(r#"{"name":"Rex"} x"#),
            Expect::Rejected(400, &["body: json"]),
        ),
        (
            Req::post(pets).json("{\"name\":\"\u{1}\"}"),
            Expect::Rejected(400, &["body: json"]),
        ),
        (
            Req::post(pets)
                .header("content-type", "application/json")
                .body(b"{\"name\":\"\xff\"}".to_vec()),
            Expect::Rejected(400, &["body: json"]),
        ),
        // duplicate keys, also when spelled differently
        (
            Req::post(pets).json(r#"{"name":"a","name":"b"}"#),
            Expect::Rejected(400, &["body: duplicateKey"]),
        ),
        (
            Req::post(pets).json(r#"{"name":"a","n\u0061me":"b"}"#),
            Expect::Rejected(400, &["body: duplicateKey"]),
        ),
        (
            item(r#","owner":{"email":"a","email":"b"}"#),
            Expect::Rejected(400, &["body: duplicateKey"]),
        ),
        // a body where the operation declares none
        (
            Req::get("/shop/v1/ping").json("{}"),
            Expect::Rejected(400, &["body: body"]),
        ),
        (
            Req::get("/shop/v1/ping").body("x"),
            Expect::Rejected(400, &["body: body"]),
        ),
        // an empty body framed by Content-Length: 0 is no body
        (
            Req::get("/shop/v1/ping").header("content-length", "0"),
            Expect::Forwarded,
        ),
    ])
    .await;
}

#[tokio::test]
async fn schema_keywords_point_at_the_offending_value() {
    let t = Setup::start().await;
    let pets = "/shop/v1/pets";
    t.check_table(&[
        (
            Req::post(ITEMS).json(r#"{"sku":"AB-123"}"#),
            Expect::Rejected(400, &["body: required"]),
        ),
        (
            Req::post(ITEMS).json("[]"),
            Expect::Rejected(400, &["body: type"]),
        ),
        (
            item(r#","extra":1"#),
            Expect::Rejected(400, &["body:/extra additionalProperties"]),
        ),
        (
            Req::post(ITEMS).json(r#"{"sku":"AB-123","title":""}"#),
            Expect::Rejected(400, &["body:/title minLength"]),
        ),
        (
            item(r#","kind":"tape""#),
            Expect::Rejected(400, &["body:/kind enum"]),
        ),
        (
            item(r#","version":2"#),
            Expect::Rejected(400, &["body:/version const"]),
        ),
        (
            item(r#","price":0.3"#),
            Expect::Rejected(400, &["body:/price multipleOf"]),
        ),
        (
            item(r#","price":0"#),
            Expect::Rejected(400, &["body:/price exclusiveMinimum"]),
        ),
        (
            item(r#","price":1000.5"#),
            Expect::Rejected(400, &["body:/price maximum"]),
        ),
        (
            item(r#","stock":-1"#),
            Expect::Rejected(400, &["body:/stock minimum"]),
        ),
        (
            item(r#","stock":100"#),
            Expect::Rejected(400, &["body:/stock exclusiveMaximum"]),
        ),
        (
            item(r#","stock":1.5"#),
            Expect::Rejected(400, &["body:/stock type"]),
        ),
        (
            item(r#","note":3"#),
            Expect::Rejected(400, &["body:/note type"]),
        ),
        (
            item(r#","tags":[]"#),
            Expect::Rejected(400, &["body:/tags minItems"]),
        ),
        (
            item(r#","tags":["a","b","c","d"]"#),
            Expect::Rejected(400, &["body:/tags maxItems"]),
        ),
        (
            item(r#","tags":["a","b","a"]"#),
            Expect::Rejected(400, &["body:/tags uniqueItems"]),
        ),
        (
            item(r#","tags":["a",2]"#),
            Expect::Rejected(400, &["body:/tags/1 type"]),
        ),
        (
            item(r#","attrs":{}"#),
            Expect::Rejected(400, &["body:/attrs minProperties"]),
        ),
        (
            item(r#","attrs":{"a":1,"b":2,"c":3}"#),
            Expect::Rejected(400, &["body:/attrs maxProperties"]),
        ),
        (
            item(r#","attrs":{"a":"1"}"#),
            Expect::Rejected(400, &["body:/attrs/a type"]),
        ),
        (
            item(r#","owner":{}"#),
            Expect::Rejected(400, &["body:/owner required"]),
        ),
        (
            item(r#","owner":{"email":"a@b.c","address":{"country":"FRA"}}"#),
            Expect::Rejected(400, &["body:/owner/address/country maxLength"]),
        ),
        // "ebook" matches both branches of the oneOf
        (
            item(r#","format":"ebook""#),
            Expect::Rejected(400, &["body:/format oneOf"]),
        ),
        (
            item(r#","format":5"#),
            Expect::Rejected(400, &["body:/format oneOf"]),
        ),
        (
            item(r#","rating":0"#),
            Expect::Rejected(400, &["body:/rating minimum"]),
        ),
        (
            item(r#","rating":"5""#),
            Expect::Rejected(400, &["body:/rating type"]),
        ),
        (
            item(r#","code":"x1""#),
            Expect::Rejected(400, &["body:/code anyOf"]),
        ),
        (
            item(r#","nick":"admin""#),
            Expect::Rejected(400, &["body:/nick not"]),
        ),
        (
            Req::post(ITEMS).json(r#"{"sku":"AB-12","title":"","stock":-1}"#),
            Expect::Rejected(
                400,
                &[
                    "body:/sku pattern",
                    "body:/title minLength",
                    "body:/stock minimum",
                ],
            ),
        ),
        // OpenAPI 3.0: nullable, boolean exclusive bounds, readOnly
        (
            Req::post(pets).json(r#"{"name":"Rex","tag":null}"#),
            Expect::Forwarded,
        ),
        (
            Req::post(pets).json(r#"{"name":null}"#),
            Expect::Rejected(400, &["body:/name type"]),
        ),
        (
            Req::post(pets).json(r#"{"name":"Rex","weight":0}"#),
            Expect::Rejected(400, &["body:/weight exclusiveMinimum"]),
        ),
        (
            Req::post(pets).json(r#"{"name":"Rex","id":1}"#),
            Expect::Rejected(400, &["body:/id readOnly"]),
        ),
        (
            Req::post(pets)
                .json(r#"{"name":"Rex","owner":{"email":"a","address":{"country":"F"}}}"#),
            Expect::Rejected(400, &["body:/owner/address/country minLength"]),
        ),
    ])
    .await;
}

#[tokio::test]
async fn recursive_schema_is_validated_deep_down() {
    let t = Setup::start().await;
    let leaf = r#"{"field":"title","equals":"Dune"}"#;
    let mut deep = leaf.to_owned();
    for _ in 0..10 {
        deep = format!(r#"{{"all":[{leaf},{deep}]}}"#);
    }
    let mut bad = r#"{"field":"price","equals":"1"}"#.to_owned();
    for _ in 0..10 {
        bad = format!(r#"{{"all":[{leaf},{bad}]}}"#);
    }
    t.check_table(&[
        (Req::post("/catalog/search").json(&deep), Expect::Forwarded),
        (
            Req::post("/catalog/search").json(&bad),
            Expect::Rejected(400, &["body: anyOf"]),
        ),
        (
            Req::post("/catalog/search").json(r#"{"all":[]}"#),
            Expect::Rejected(400, &["body: anyOf"]),
        ),
    ])
    .await;
}

#[tokio::test]
async fn errors_are_capped_at_ten() {
    let t = Setup::start().await;
    let many = (0..12).map(|i| format!(r#","x{i}":1"#)).collect::<String>();
    let resp = t.send(&item(&many)).await;
    let lines = resp.error_lines();
    assert_eq!(lines.len(), 10, "{resp}");
    assert_eq!(lines[0], "body:/x0 additionalProperties");
    assert_eq!(lines[9], "body:/x9 additionalProperties");
    assert_eq!(
        resp.json()["detail"],
        "many rules broken (the first ones are listed)"
    );
    assert_eq!(t.upstream.count(), 0);
}

/// Values that are equal in JSON but spelled differently must be judged by
/// their value, not their text.
#[tokio::test]
async fn json_values_are_compared_by_value() {
    let t = Setup::start().await;
    let title = |n: usize| {
        Req::post(ITEMS).json(&format!(
            r#"{{"sku":"AB-123","title":"{}"}}"#,
            "\u{1F600}".repeat(n)
        ))
    };
    t.check_table(&[
        // integers may be written with a zero fraction
        (item(r#","stock":1.0"#), Expect::Forwarded),
        (item(r#","rating":1.0"#), Expect::Forwarded),
        (item(r#","version":1.0"#), Expect::Forwarded),
        (
            item(r#","stock":1e2"#),
            Expect::Rejected(400, &["body:/stock exclusiveMaximum"]),
        ),
        (
            item(r#","stock":99999999999999999999999"#),
            Expect::Rejected(400, &["body:/stock exclusiveMaximum"]),
        ),
        // escapes are decoded before enum, pattern and const
        (item(r#","kind":"b\u006fok""#), Expect::Forwarded),
        (
            Req::post(ITEMS).json(r#"{"sku":"AB\u002d123","title":"Dune"}"#),
            Expect::Forwarded,
        ),
        // lengths count characters, not bytes or UTF-16 units
        (title(20), Expect::Forwarded),
        (title(21), Expect::Rejected(400, &["body:/title maxLength"])),
        // decimal multipleOf without binary rounding surprises
        (item(r#","fee":0.07"#), Expect::Forwarded),
        (item(r#","fee":19.99"#), Expect::Forwarded),
        (
            item(r#","fee":0.005"#),
            Expect::Rejected(400, &["body:/fee multipleOf"]),
        ),
        // uniqueItems compares numbers by value and objects regardless of
        // key order
        (item(r#","pairs":[1,"1",[1],{"a":1}]"#), Expect::Forwarded),
        (
            item(r#","pairs":[1,1.0]"#),
            Expect::Rejected(400, &["body:/pairs uniqueItems"]),
        ),
        (
            item(r#","pairs":[{"a":1,"b":2},{"b":2,"a":1}]"#),
            Expect::Rejected(400, &["body:/pairs uniqueItems"]),
        ),
        // -0 is 0, and out-of-range numbers are refused, never saturated
        (
            Req::post("/shop/v1/pets").json(r#"{"name":"Rex","weight":-0}"#),
            Expect::Rejected(400, &["body:/weight exclusiveMinimum"]),
        ),
        (
            Req::post("/shop/v1/pets").json(r#"{"name":"Rex","weight":1e400}"#),
            Expect::Rejected(400, &["body: json"]),
        ),
        // a byte order mark is not JSON (RFC 8259 §8.1)
        (
            Req::post(ITEMS).json("\u{feff}{\"sku\":\"AB-123\",\"title\":\"Dune\"}"),
            Expect::Rejected(400, &["body: json"]),
        ),
    ])
    .await;
}

#[tokio::test]
async fn discriminator_selects_the_branch_that_reports() {
    let t = Setup::start().await;
    let animal = |body: &str| Req::post("/shop/v1/animals").json(body);
    t.check_table(&[
        // implicit mapping by component name, explicit `dog: Dog`
        (animal(r#"{"kind":"Cat","lives":7}"#), Expect::Forwarded),
        (animal(r#"{"kind":"dog","bark":true}"#), Expect::Forwarded),
        (
            animal(r#"{"kind":"Cat","lives":1,"name":"alice"}"#),
            Expect::Forwarded,
        ),
        (
            animal(r#"{"kind":"Cat","lives":1,"name":"admin"}"#),
            Expect::Rejected(400, &["body:/name pattern"]),
        ),
        // only the selected branch speaks: a precise error, not "oneOf"
        (
            animal(r#"{"kind":"Cat","lives":12}"#),
            Expect::Rejected(400, &["body:/lives maximum"]),
        ),
        (
            animal(r#"{"kind":"dog","lives":7}"#),
            Expect::Rejected(400, &["body: required"]),
        ),
        (
            animal(r#"{"kind":"Bird"}"#),
            Expect::Rejected(400, &["body: discriminator"]),
        ),
        (
            animal(r#"{"kind":3}"#),
            Expect::Rejected(400, &["body: discriminator"]),
        ),
        (
            animal(r#"{"lives":7}"#),
            Expect::Rejected(400, &["body: discriminator"]),
        ),
        // not an object: the plain oneOf rule
        (animal("[1]"), Expect::Rejected(400, &["body: oneOf"])),
    ])
    .await;
}

/// `application/x-www-form-urlencoded` fields read as the Encoding Object
/// says and validated against the schema; `text/plain` validated as a
/// string; `application/octet-stream` size-limited only.
#[tokio::test]
async fn form_text_and_binary_bodies() {
    let t = Setup::start().await;
    let url = "/shop/v1/feedback";
    let form = |body: &str| {
        Req::post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let text = |body: &str| {
        Req::post(url)
            .header("content-type", "text/plain; charset=utf-8")
            .body(body)
    };
    t.check_table(&[
        (form("rating=5"), Expect::Forwarded),
        (
            form("rating=4&tags=a&tags=b+c&ids=1|2%7C3&comment=tr%C3%A8s+bien&meta=%7B%22app%22%3A%22ios%22%7D"),
            Expect::Forwarded,
        ),
        (form("rating=9"), Expect::Rejected(400, &["body:/rating maximum"])),
        (form("rating=x"), Expect::Rejected(400, &["body:/rating type"])),
        (form("rating=1&rating=2"), Expect::Rejected(400, &["body:/rating repeated"])),
        (form("tags=a"), Expect::Rejected(400, &["body: required"])),
        (form("rating=1&tags=a&tags=b&tags=c&tags=d"), Expect::Rejected(400, &["body:/tags maxItems"])),
        (form("rating=1&ids=1|x"), Expect::Rejected(400, &["body:/ids/1 type"])),
        (form("rating=1&meta=%7B%22os%22%3A1%7D"), Expect::Rejected(400, &["body:/meta/os additionalProperties"])),
        (form("rating=1&meta=%7B"), Expect::Rejected(400, &["body:/meta json"])),
        (form("rating=1&other=1"), Expect::Rejected(400, &["body:/other additionalProperties"])),
        (form("rating=1&comment=%FF"), Expect::Rejected(400, &["body:/comment encoding"])),
        (text("hello you"), Expect::Forwarded),
        (text("Hello"), Expect::Rejected(400, &["body: pattern"])),
        (text("hello world again"), Expect::Rejected(400, &["body: maxLength"])),
        (
            Req::post(url).header("content-type", "text/plain").body(&b"caf\xe9"[..]),
            Expect::Rejected(400, &["body: encoding"]),
        ),
        (
            Req::post(url).header("content-type", "text/plain; charset=latin1").body("abc"),
            Expect::Rejected(415, &[]),
        ),
        (
            Req::post(url).header("content-type", "application/octet-stream").body(&b"\x00\xff\x10"[..]),
            Expect::Forwarded,
        ),
    ])
    .await;
}

/// A `multipart/form-data` body: text parts read as their schema says,
/// JSON parts parsed, file parts checked for size and type; malformed
/// bodies refused.
#[tokio::test]
async fn multipart_bodies() {
    let t = Setup::start().await;
    let url = "/shop/v1/uploads";
    // (name, content type, content) parts, joined with the boundary.
    let multipart = |parts: &[(&str, Option<&str>, &[u8])]| {
        let mut body: Vec<u8> = Vec::new();
        for (name, content_type, content) in parts {
            body.extend_from_slice(b"--XyZ\r\n");
            let filename = if content_type.is_some() {
                "; filename=\"f.bin\""
            } else {
                ""
            };
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"{filename}\r\n").as_bytes(),
            );
            if let Some(ct) = content_type {
                body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
            }
            body.extend_from_slice(b"\r\n");
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--XyZ--\r\n");
        Req::post(url)
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(&body[..])
    };
    let png: (&str, Option<&str>, &[u8]) = ("photo", Some("image/png"), b"\x89PNG\r\n\x1a\n");
    t.check_table(&[
        (
            multipart(&[("title", None, b"Holiday"), png]),
            Expect::Forwarded,
        ),
        (
            multipart(&[
                ("title", None, b"Holiday"),
                ("count", None, b"3"),
                ("tags", None, b"sea"),
                ("tags", None, b"sun"),
                ("meta", Some("application/json"), br#"{"app":"ios"}"#),
                png,
                ("attachments", Some("application/pdf"), b"%PDF"),
                ("attachments", Some("text/plain"), b"notes"),
            ]),
            Expect::Forwarded,
        ),
        (
            multipart(&[("title", None, b"A much too long title"), png]),
            Expect::Rejected(400, &["body:/title maxLength"]),
        ),
        (
            multipart(&[("title", None, b"x"), ("count", None, b"zero"), png]),
            Expect::Rejected(400, &["body:/count type"]),
        ),
        (
            multipart(&[
                ("title", None, b"x"),
                ("tags", None, b"a"),
                ("tags", None, b"b"),
                ("tags", None, b"c"),
                png,
            ]),
            Expect::Rejected(400, &["body:/tags maxItems"]),
        ),
        (
            multipart(&[("title", None, b"x"), ("meta", None, br#"{"os":"x"}"#), png]),
            Expect::Rejected(400, &["body:/meta required"]),
        ),
        (
            multipart(&[("title", None, b"x"), ("meta", None, b"{"), png]),
            Expect::Rejected(400, &["body:/meta json"]),
        ),
        (
            multipart(&[("title", None, b"x")]),
            Expect::Rejected(400, &["body: required"]),
        ),
        (
            multipart(&[
                ("title", None, b"x"),
                ("photo", Some("image/gif"), b"GIF89a"),
            ]),
            Expect::Rejected(400, &["body:/photo contentType"]),
        ),
        (
            multipart(&[
                ("title", None, b"x"),
                ("photo", Some("image/png"), &[0u8; 17]),
            ]),
            Expect::Rejected(400, &["body:/photo maxLength"]),
        ),
        (
            multipart(&[("title", None, b"x"), png, png]),
            Expect::Rejected(400, &["body:/photo repeated"]),
        ),
        (
            multipart(&[("title", None, b"x"), png, ("extra", None, b"1")]),
            Expect::Rejected(400, &["body:/extra additionalProperties"]),
        ),
        (
            Req::post(url)
                .header("content-type", "multipart/form-data")
                .body("x"),
            Expect::Rejected(400, &["body: multipart"]),
        ),
        (
            Req::post(url)
                .header("content-type", "multipart/form-data; boundary=XyZ")
                .body("--XyZ\r\nno headers"),
            Expect::Rejected(400, &["body: multipart"]),
        ),
    ])
    .await;
}

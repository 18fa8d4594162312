//! Parameters: every rule on path, query and header parameters, through one
//! table per location. A row is a request and the errors it must produce
//! (`in:name/pointer rule`, see `harness::error_line`); no errors means the
//! request is forwarded unchanged.

use douane_tests::harness::{Expect, Req, Setup};

/// `(target, headers, errors)`: forwarded when `errors` is empty.
type Row<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

async fn check_all(rows: &[Row<'_>]) {
    let t = Setup::start().await;
    let table: Vec<(Req, Expect<'_>)> = rows
        .iter()
        .map(|&(target, headers, errors)| {
            let mut req = Req::get(target);
            for (name, value) in headers {
                req = req.header(name, value);
            }
            let expect = match errors {
                [] => Expect::Forwarded,
                _ => Expect::Rejected(400, errors),
            };
            (req, expect)
        })
        .collect();
    t.check_table(&table).await;
}

const UUID: &str = "6f1c7d0e-3b7a-4c2e-9d1f-2a3b4c5d6e7f";

#[tokio::test]
async fn query_parameters() {
    let p = "/shop/v1/pets";
    check_all(&[
        (p, &[], &[]),
        (&format!("{p}?limit=1&limit2=x"), &[], &[]),
        // integer, int32, bounds
        (&format!("{p}?limit=100"), &[], &[]),
        (&format!("{p}?limit=0"), &[], &["query:limit minimum"]),
        (&format!("{p}?limit=101"), &[], &["query:limit maximum"]),
        (&format!("{p}?limit=ten"), &[], &["query:limit type"]),
        (&format!("{p}?limit=1.5"), &[], &["query:limit type"]),
        (
            &format!("{p}?limit="),
            &[],
            &["query:limit allowEmptyValue"],
        ),
        (
            &format!("{p}?limit=2147483648"),
            &[],
            &["query:limit maximum", "query:limit format"],
        ),
        // Regression: i64::MAX was refused when compared as an f64 (it
        // rounds up to 2^63); the check now compares the integer.
        (&format!("{p}?big=9223372036854775807"), &[], &[]),
        (&format!("{p}?big=9223372036854774784"), &[], &[]),
        (&format!("{p}?big=-9223372036854775808"), &[], &[]),
        (
            &format!("{p}?big=9223372036854775808"),
            &[],
            &["query:big format"],
        ),
        // number with exclusive bounds (3.0 booleans)
        (&format!("{p}?score=0.5"), &[], &[]),
        (
            &format!("{p}?score=0"),
            &[],
            &["query:score exclusiveMinimum"],
        ),
        (
            &format!("{p}?score=10"),
            &[],
            &["query:score exclusiveMaximum"],
        ),
        // 3.0 `minimum: 0, exclusiveMinimum: true` is one exclusive bound
        (
            &format!("{p}?score=-1"),
            &[],
            &["query:score exclusiveMinimum"],
        ),
        (
            &format!("{p}?score=0"),
            &[],
            &["query:score exclusiveMinimum"],
        ),
        // enum
        (&format!("{p}?status=sold"), &[], &[]),
        (&format!("{p}?status=Sold"), &[], &["query:status enum"]),
        // lengths (counted in characters, not bytes)
        (&format!("{p}?name=ab"), &[], &[]),
        (&format!("{p}?name=%C3%A9%C3%A9"), &[], &[]),
        (&format!("{p}?name=a"), &[], &["query:name minLength"]),
        (
            &format!("{p}?name=abcdefghijk"),
            &[],
            &["query:name maxLength"],
        ),
        // pattern
        (&format!("{p}?code=ABC"), &[], &[]),
        (&format!("{p}?code=ABCD"), &[], &["query:code pattern"]),
        (&format!("{p}?code=abc"), &[], &["query:code pattern"]),
        // formats
        (&format!("{p}?since=2024-02-29"), &[], &[]),
        (
            &format!("{p}?since=2023-02-29"),
            &[],
            &["query:since format"],
        ),
        (
            &format!("{p}?since=2024-1-01"),
            &[],
            &["query:since format"],
        ),
        (&format!("{p}?at=2024-02-29T12:30:00Z"), &[], &[]),
        (&format!("{p}?at=2024-02-29T12:30:00.5%2B02:00"), &[], &[]),
        (&format!("{p}?at=2024-02-29"), &[], &["query:at format"]),
        (
            &format!("{p}?at=2024-02-29T25:00:00Z"),
            &[],
            &["query:at format"],
        ),
        (&format!("{p}?ref={UUID}"), &[], &[]),
        (
            &format!("{p}?ref=6f1c7d0e3b7a4c2e9d1f2a3b4c5d6e7f"),
            &[],
            &["query:ref format"],
        ),
        (
            &format!("{p}?ref=6f1c7d0e-3b7a-4c2e-9d1f-2a3b4c5d6e7"),
            &[],
            &["query:ref format"],
        ),
        // registry and Google formats
        (
            &format!("{p}?ttl=3.5s&seq=18446744073709551615&port=65535"),
            &[],
            &[],
        ),
        (&format!("{p}?ttl=3.5"), &[], &["query:ttl format"]),
        (&format!("{p}?seq=-1"), &[], &["query:seq format"]),
        (
            &format!("{p}?seq=18446744073709551616"),
            &[],
            &["query:seq format"],
        ),
        (&format!("{p}?port=65536"), &[], &["query:port format"]),
        // boolean
        (&format!("{p}?flag=true"), &[], &[]),
        (&format!("{p}?flag=yes"), &[], &["query:flag type"]),
        // a non-array parameter given twice is ambiguous
        (
            &format!("{p}?limit=1&limit=2"),
            &[],
            &["query:limit repeated"],
        ),
        // several violations are reported at once, in declaration order
        (
            &format!("{p}?status=lost&limit=0&code=x"),
            &[],
            &[
                "query:limit minimum",
                "query:status enum",
                "query:code pattern",
            ],
        ),
    ])
    .await;
}

#[tokio::test]
async fn query_arrays() {
    let p = "/shop/v1/pets";
    check_all(&[
        // explode (form, repeated)
        (&format!("{p}?tags=a&tags=bb"), &[], &[]),
        (
            &format!("{p}?tags=a&tags=&tags=c"),
            &[],
            &["query:tags/1 minLength"],
        ),
        (
            &format!("{p}?tags=a&tags=toolong"),
            &[],
            &["query:tags/1 maxLength"],
        ),
        (
            &format!("{p}?tags=a&tags=b&tags=c&tags=d"),
            &[],
            &["query:tags maxItems"],
        ),
        // with explode, a comma is part of the value, not a delimiter
        (&format!("{p}?tags=a,b"), &[], &[]),
        // non-explode (form, comma-separated)
        (&format!("{p}?ids=1,2,3"), &[], &[]),
        (&format!("{p}?ids=1,0"), &[], &["query:ids/1 minimum"]),
        // items are checked against the schema only once all of them parse:
        // the type error at /1 hides the minimum broken at /2
        (&format!("{p}?ids=1,x,0"), &[], &["query:ids/1 type"]),
        (
            &format!("{p}?ids=0,2,0"),
            &[],
            &["query:ids/0 minimum", "query:ids/2 minimum"],
        ),
        // an encoded comma is data, not a delimiter: one item "1,2"
        (&format!("{p}?ids=1%2C2"), &[], &["query:ids/0 type"]),
        (&format!("{p}?ids=1,2&ids=3"), &[], &["query:ids repeated"]),
    ])
    .await;
}

#[tokio::test]
async fn query_values_are_percent_decoded_before_validation() {
    let p = "/shop/v1/pets";
    check_all(&[
        // %41%42%43 is ABC
        (&format!("{p}?code=%41%42%43"), &[], &[]),
        (&format!("{p}?co%64e=ABC"), &[], &[]),
        (&format!("{p}?code=%61bc"), &[], &["query:code pattern"]),
        // `+` is a space in a query: "a b" has length 3, "a+b" too
        (&format!("{p}?name=a+"), &[], &[]),
        (
            &format!("{p}?status=available+"),
            &[],
            &["query:status enum"],
        ),
        (&format!("{p}?status=avail%61ble"), &[], &[]),
        // invalid UTF-8 after decoding
        (&format!("{p}?name=%FF%FE"), &[], &["query:name encoding"]),
    ])
    .await;
}

#[tokio::test]
async fn path_parameters() {
    check_all(&[
        ("/shop/v1/pets/1", &[], &[]),
        ("/shop/v1/pets/9223372036854775807", &[], &[]),
        ("/shop/v1/pets/0", &[], &["path:petId minimum"]),
        ("/shop/v1/pets/-1", &[], &["path:petId minimum"]),
        ("/shop/v1/pets/1.0", &[], &["path:petId type"]),
        (
            "/shop/v1/pets/9223372036854775808",
            &[],
            &["path:petId format"],
        ),
        ("/shop/v1/pets/%31", &[], &[]),
        ("/catalog/items/AB-123", &[], &[]),
        ("/catalog/items/AB-12", &[], &["path:sku pattern"]),
        // decoded before validation: %2D is '-'
        ("/catalog/items/AB%2D123", &[], &[]),
        // an encoded slash is data inside one segment, never a separator
        ("/catalog/items/AB%2F123", &[], &["path:sku pattern"]),
        ("/shop/v1/pets/%FF", &[], &["path:petId encoding"]),
        // dot segments (`..`, `%2E%2E`) never reach parameters: they are
        // refused before routing (auth.rs, dot_segments_cannot_smuggle_...)
        ("/catalog/days/2024-12-31", &[], &[]),
        ("/catalog/days/2024-13-01", &[], &["path:day format"]),
        ("/catalog/events/2024-12-31T23:59:60Z", &[], &[]),
        (
            "/catalog/events/2024-12-31T23:59:59",
            &[],
            &["path:at format"],
        ),
        ("/catalog/events/2024-12-31t10:00:00%2B01:00", &[], &[]),
        // int32 with 3.1 numeric exclusive bounds
        ("/catalog/counters/9", &[], &[]),
        ("/catalog/counters/0", &[], &["path:n exclusiveMinimum"]),
        ("/catalog/counters/10", &[], &["path:n exclusiveMaximum"]),
        (
            "/catalog/counters/99999999999",
            &[],
            &["path:n exclusiveMaximum", "path:n format"],
        ),
        (
            &format!("/shop/v1/orders/{UUID}?verbose=true"),
            &[("x-tenant", "acme")],
            &[],
        ),
        (
            "/shop/v1/orders/not-a-uuid?verbose=true",
            &[("x-tenant", "acme")],
            &["path:orderId format"],
        ),
    ])
    .await;
}

#[tokio::test]
async fn header_parameters() {
    let p = "/shop/v1/pets";
    let o = &format!("/shop/v1/orders/{UUID}");
    check_all(&[
        (p, &[("X-Request-Id", UUID)], &[]),
        (
            p,
            &[("x-request-id", "nope")],
            &["header:X-Request-Id format"],
        ),
        (p, &[("X-Level", "2")], &[]),
        (p, &[("X-Level", "4")], &["header:X-Level maximum"]),
        (p, &[("X-Level", "0")], &["header:X-Level minimum"]),
        (p, &[("X-Level", "high")], &["header:X-Level type"]),
        (
            p,
            &[("X-Request-Id", UUID), ("x-request-id", UUID)],
            &["header:X-Request-Id repeated"],
        ),
        (p, &[("X-Level", " 2 ")], &[]),
        (
            p,
            &[("X-Level", "1"), ("X-Level", "2")],
            &["header:X-Level repeated"],
        ),
        // a list header: simple style, comma-separated
        (p, &[("X-Ids", "1,2,3")], &[]),
        (p, &[("X-Ids", "1, 2")], &[]),
        (p, &[("X-Ids", "1,b")], &["header:X-Ids/1 type"]),
        ("/catalog/counters/1", &[("X-Mode", "fast")], &[]),
        (
            "/catalog/counters/1",
            &[("X-Mode", "FAST")],
            &["header:X-Mode enum"],
        ),
        ("/catalog/counters/1", &[("X-Tag", "abc")], &[]),
        (
            "/catalog/counters/1",
            &[("X-Tag", "a")],
            &["header:X-Tag minLength"],
        ),
        (
            "/catalog/counters/1",
            &[("X-Tag", "abcde")],
            &["header:X-Tag maxLength"],
        ),
        (
            "/catalog/counters/1",
            &[("X-Tag", "AB")],
            &["header:X-Tag pattern"],
        ),
        (
            "/catalog/counters/1",
            &[("X-Big", "-9223372036854775808")],
            &[],
        ),
        (
            "/catalog/counters/1",
            &[("X-Big", "9223372036854775808")],
            &["header:X-Big format"],
        ),
        // required header and required query parameter
        (&format!("{o}?verbose=false"), &[("X-Tenant", "acme")], &[]),
        (
            &format!("{o}?verbose=false"),
            &[],
            &["header:X-Tenant required"],
        ),
        (o, &[("X-Tenant", "acme")], &["query:verbose required"]),
        (
            &format!("{o}?verbose=false"),
            &[("X-Tenant", "ac")],
            &["header:X-Tenant minLength"],
        ),
        (
            "/shop/v1/orders/x",
            &[("X-Tenant", "waytoolong")],
            &[
                "path:orderId format",
                "query:verbose required",
                "header:X-Tenant maxLength",
            ],
        ),
    ])
    .await;
}

/// Every OpenAPI style, read from a real request and validated; the
/// forwarded ones reach the upstream unchanged.
#[tokio::test]
async fn every_style() {
    let p = "/shop/v1/styles";
    let ok = "/.red.blue/;x=1;y=2";
    let cookie: &[(&str, &str)] = &[("cookie", "session=0a1b2c3d")];
    check_all(&[
        // path: label (exploded array) and matrix (exploded object)
        (&format!("{p}{ok}"), cookie, &[]),
        (&format!("{p}/.red/;x=-1;y=0"), cookie, &[]),
        (
            &format!("{p}/red/;x=1;y=2"),
            cookie,
            &["path:colours style"],
        ),
        (
            &format!("{p}/.red.pink/;x=1;y=2"),
            cookie,
            &["path:colours/1 enum"],
        ),
        (
            &format!("{p}/.red.red.red.red/;x=1;y=2"),
            cookie,
            &["path:colours maxItems"],
        ),
        (&format!("{p}/.red/;x=1"), cookie, &["path:point required"]),
        (
            &format!("{p}/.red/;x=1;y=-2"),
            cookie,
            &["path:point/y minimum"],
        ),
        (
            &format!("{p}/.red/;x=a;y=2"),
            cookie,
            &["path:point/x type"],
        ),
        (
            &format!("{p}/.red/;x=1;y=2;z=3"),
            cookie,
            &["path:point/z additionalProperties"],
        ),
        (&format!("{p}/.red/x=1"), cookie, &["path:point style"]),
        // query: deepObject, also percent-encoded brackets
        (
            &format!("{p}{ok}?filter[min]=1.5&filter[owner]=ada"),
            cookie,
            &[],
        ),
        (&format!("{p}{ok}?filter%5Bmax%5D=2"), cookie, &[]),
        (
            &format!("{p}{ok}?filter[min]=low"),
            cookie,
            &["query:filter/min type"],
        ),
        (
            &format!("{p}{ok}?filter[colour]=red"),
            cookie,
            &["query:filter/colour additionalProperties"],
        ),
        (
            &format!("{p}{ok}?filter[min][x]=1"),
            cookie,
            &["query:filter style"],
        ),
        // query: pipe- and space-delimited arrays
        (&format!("{p}{ok}?ids=1|2|3"), cookie, &[]),
        (&format!("{p}{ok}?ids=1%7C2"), cookie, &[]),
        (&format!("{p}{ok}?ids=1|x"), cookie, &["query:ids/1 type"]),
        (&format!("{p}{ok}?words=a%20b"), cookie, &[]),
        (&format!("{p}{ok}?words=a+b"), cookie, &[]),
        (
            &format!("{p}{ok}?words=a+b+c"),
            cookie,
            &["query:words maxItems"],
        ),
        // query: form object, not exploded
        (&format!("{p}{ok}?range=from,1,to,5"), cookie, &[]),
        (
            &format!("{p}{ok}?range=from,1"),
            cookie,
            &["query:range required"],
        ),
        (
            &format!("{p}{ok}?range=from,1,to"),
            cookie,
            &["query:range style"],
        ),
        // query: JSON content
        (
            &format!("{p}{ok}?where=%7B%22name%22%3A%22ada%22%7D"),
            cookie,
            &[],
        ),
        (
            &format!("{p}{ok}?where=%7B%22name%22%3A%22lovelace%22%7D"),
            cookie,
            &["query:where/name maxLength"],
        ),
        (
            &format!("{p}{ok}?where=%7Bname%7D"),
            cookie,
            &["query:where json"],
        ),
        // query: allowEmptyValue
        (&format!("{p}{ok}?flag="), cookie, &[]),
        (&format!("{p}{ok}?flag=true"), cookie, &[]),
        (&format!("{p}{ok}?flag=yes"), cookie, &["query:flag type"]),
        // header: exploded object of integers, not percent-decoded
        (
            &format!("{p}{ok}"),
            &[("cookie", "session=0a1b2c3d"), ("x-dims", "w=3, h=4")],
            &[],
        ),
        (
            &format!("{p}{ok}"),
            &[("cookie", "session=0a1b2c3d"), ("x-dims", "w=3,h=x")],
            &["header:X-Dims/h type"],
        ),
        // cookies: required, pattern, not-exploded array
        (&format!("{p}{ok}"), &[], &["cookie:session required"]),
        (
            &format!("{p}{ok}"),
            &[("cookie", "session=XYZ")],
            &["cookie:session pattern"],
        ),
        (
            &format!("{p}{ok}"),
            &[("cookie", "a=1; session=0a1b2c3d; prefs=dark,compact")],
            &[],
        ),
        (
            &format!("{p}{ok}"),
            &[("cookie", "session=0a1b2c3d"), ("cookie", "prefs=a,b,c")],
            &["cookie:prefs maxItems"],
        ),
    ])
    .await;
}

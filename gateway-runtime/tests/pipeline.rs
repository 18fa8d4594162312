//! The whole pipeline over real sockets: a raw TCP client, the gateway
//! started with `Server::start`, and a tiny hyper upstream that records what
//! reaches it. The contract is hand-written below, as generated code would
//! write it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use douane_runtime::config::{ApiConfig, Config};
use douane_runtime::contract::{
    Api, BodyCheck, Contract, MediaType, Method, MockResponse, Operation, PathItem, RequestBody,
};
use douane_runtime::json::Value;
use douane_runtime::listener::Server;
use douane_runtime::validate::{
    Captures, Kind, Location, Param, RequestParts, Shape, Style, Violations, params,
};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------- contract

fn route_pets<'p>(path: &'p str, caps: &mut Captures<'p>) -> Option<usize> {
    let rest = path.strip_prefix('/')?;
    let mut segments = rest.split('/');
    match (segments.next(), segments.next(), segments.next()) {
        (Some("pets"), None, _) => Some(0),
        (Some("pets"), Some(id), None) if !id.is_empty() => {
            caps.set(0, id);
            Some(1)
        }
        (Some("notes"), None, _) => Some(2),
        _ => None,
    }
}

fn route_store<'p>(path: &'p str, _: &mut Captures<'p>) -> Option<usize> {
    (path == "/items").then_some(0)
}

fn no_parameters(_: &RequestParts<'_>, _: &Captures<'_>, _: &mut Violations) {}

fn limit_schema(v: &Value<'_>, out: &mut Violations) -> bool {
    match v {
        Value::Number(n) if n.as_f64() <= 100.0 => true,
        Value::Number(_) => out.fail("maximum", format_args!("must be ≤ 100")),
        _ => out.fail("type", format_args!("must be an integer")),
    }
}

fn list_pets_parameters(req: &RequestParts<'_>, caps: &Captures<'_>, out: &mut Violations) {
    static LIMIT: Param = Param {
        name: "limit",
        location: Location::Query,
        required: false,
        style: Style::Form,
        explode: true,
        allow_empty: false,
        allow_reserved: false,
        shape: Shape::Primitive(Kind::Integer),
        capture: 0,
        schema: limit_schema,
    };
    params::check(&LIMIT, req, caps, out);
}

/// `{"name": string}` required.
fn pet_schema(v: &Value<'_>, out: &mut Violations) -> bool {
    match v.get("name") {
        Some(Value::String(_)) => true,
        Some(_) => {
            let mark = out.mark();
            out.fail("type", format_args!("must be a string"));
            out.at_key(mark, "name");
            false
        }
        None => out.fail("required", format_args!("property \"name\" is required")),
    }
}

const fn op(id: &'static str, method: Method, template: &'static str) -> Operation {
    Operation {
        id,
        method,
        template,
        discriminator: &[],
        check_parameters: no_parameters,
        security: &[],
        body: None,
        max_body_bytes: 64,
        max_json_depth: 3,
        mock: MockResponse {
            status: 200,
            content_type: Some("application/json"),
            body: "[]",
        },
    }
}

const PETS: Api = Api {
    name: "pets",
    title: "Pets",
    version: "1.0",
    source: "pets.yaml",
    base_path: "/v2",
    other_base_paths: &[],
    cors: None,
    route: route_pets,
    security_schemes: &[],
    path_items: &[
        PathItem {
            template: "/pets",
            operations: &[(Method::Get, 0), (Method::Post, 1)],
            allow: "GET, POST",
        },
        PathItem {
            template: "/pets/{id}",
            operations: &[(Method::Get, 2)],
            allow: "GET",
        },
        PathItem {
            template: "/notes",
            operations: &[(Method::Put, 3)],
            allow: "PUT",
        },
    ],
    operations: &[
        Operation {
            check_parameters: list_pets_parameters,
            ..op("listPets", Method::Get, "/pets")
        },
        Operation {
            body: Some(RequestBody {
                required: true,
                media: &[MediaType {
                    range: "application/json",
                    check: BodyCheck::Json(pet_schema),
                }],
            }),
            ..op("createPet", Method::Post, "/pets")
        },
        op("showPet", Method::Get, "/pets/{id}"),
        Operation {
            body: Some(RequestBody {
                required: false,
                media: &[MediaType {
                    range: "text/*",
                    check: BodyCheck::SizeOnly,
                }],
            }),
            ..op("putNotes", Method::Put, "/notes")
        },
    ],
};

const STORE: Api = Api {
    name: "store",
    title: "Store",
    version: "1.0",
    source: "store.yaml",
    base_path: "/store",
    other_base_paths: &[],
    cors: None,
    route: route_store,
    security_schemes: &[],
    path_items: &[PathItem {
        template: "/items",
        operations: &[(Method::Get, 0), (Method::Head, 1)],
        allow: "GET, HEAD",
    }],
    operations: &[
        Operation {
            mock: MockResponse {
                status: 203,
                content_type: Some("application/json"),
                body: r#"[{"id":1}]"#,
            },
            ..op("listItems", Method::Get, "/items")
        },
        Operation {
            mock: MockResponse {
                status: 200,
                content_type: Some("application/json"),
                body: r#"[{"id":1}]"#,
            },
            ..op("headItems", Method::Head, "/items")
        },
    ],
};

static CONTRACT: Contract = Contract {
    apis: &[PETS, STORE],
};

// ---------------------------------------------------------------- upstream

/// What the upstream received.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Copy)]
enum Behaviour {
    /// 201 with an end-to-end and a hop-by-hop header.
    Answer,
    /// Accepts the request and never answers.
    Hang,
    /// Answers like `Answer`, after 300 ms.
    Slow,
}

struct Upstream {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Upstream {
    async fn start(behaviour: Behaviour) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<Incoming>| {
                        let log = log.clone();
                        async move {
                            let (head, body) = req.into_parts();
                            let body = body.collect().await.unwrap().to_bytes();
                            log.lock().unwrap().push(Received {
                                method: head.method.to_string(),
                                uri: head.uri.to_string(),
                                headers: head
                                    .headers
                                    .iter()
                                    .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
                                    .collect(),
                                body: body.to_vec(),
                            });
                            match behaviour {
                                Behaviour::Answer => {}
                                Behaviour::Hang => {
                                    tokio::time::sleep(Duration::from_secs(3600)).await;
                                }
                                Behaviour::Slow => {
                                    tokio::time::sleep(Duration::from_millis(300)).await;
                                }
                            }
                            let response = hyper::Response::builder()
                                .status(201)
                                .header("x-up", "1")
                                .header("connection", "x-hop")
                                .header("x-hop", "secret")
                                .body(Full::new(Bytes::from_static(b"created")))
                                .unwrap();
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Upstream { addr, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

// ---------------------------------------------------------------- gateway

async fn gateway(pets_upstream: &str, tweak: impl FnOnce(&mut Config)) -> Server {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    config
        .apis
        .insert("pets".into(), ApiConfig::upstream(pets_upstream));
    config
        .apis
        .insert("store".into(), ApiConfig::upstream("mock"));
    tweak(&mut config);
    Server::start(&CONTRACT, config).await.unwrap()
}

/// A response as seen by a raw client.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends raw request bytes (the request must ask `Connection: close`) and
/// reads the whole answer.
async fn send(addr: SocketAddr, raw: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut bytes))
        .await
        .unwrap_or_else(|_| panic!("no answer in time to {raw:?}"))
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(": ").unwrap();
            (n.to_ascii_lowercase(), v.to_owned())
        })
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn forwards_requests_unchanged_and_strips_hop_by_hop() {
    let upstream = Upstream::start(Behaviour::Answer).await;
    let gw = gateway(&format!("http://{}/base", upstream.addr), |_| {}).await;
    let body = r#"{"name":"rex", "x": [1]}"#;
    let reply = send(
        gw.local_addr(),
        &format!(
            "POST /v2/pets?b=%20+&a=1&a=%2F HTTP/1.1\r\n\
             Host: api.example:8443\r\n\
             Content-Type: application/json; charset=UTF-8\r\n\
             Content-Length: {}\r\n\
             X-Custom: Va  lue\r\n\
             x-custom: second\r\n\
             Authorization: Bearer abc\r\n\
             Connection: close, X-Secret\r\n\
             X-Secret: s\r\n\
             Keep-Alive: timeout=5\r\n\
             TE: trailers\r\n\
             Proxy-Authorization: Basic eA==\r\n\
             X-Forwarded-For: 10.0.0.1\r\n\
             X-Forwarded-Proto: https\r\n\
             X-Forwarded-Host: evil.example\r\n\
             \r\n{body}",
            body.len()
        ),
    )
    .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.body, "created");
    assert_eq!(reply.header("x-up"), Some("1"));
    assert_eq!(
        reply.header("x-hop"),
        None,
        "hop-by-hop response header leaked"
    );

    let received = upstream.received();
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.uri, "/base/v2/pets?b=%20+&a=1&a=%2F");
    assert_eq!(r.body, body.as_bytes());
    let names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "host",
            "content-type",
            "content-length",
            "x-custom",
            "x-custom",
            "authorization",
            "x-forwarded-proto",
            "x-forwarded-host",
            "x-forwarded-for",
        ],
        "{r:?}"
    );
    assert_eq!(r.header("host"), Some("api.example:8443"));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    assert_eq!(r.headers[3].1, "Va  lue");
    assert_eq!(r.headers[4].1, "second");
    assert_eq!(r.header("authorization"), Some("Bearer abc"));
    assert_eq!(r.header("x-forwarded-for"), Some("10.0.0.1, 127.0.0.1"));
    assert_eq!(r.header("x-forwarded-proto"), Some("http"));
    assert_eq!(r.header("x-forwarded-host"), Some("api.example:8443"));
    gw.shutdown().await;
}

#[tokio::test]
async fn chunked_bodies_are_checked_and_forwarded() {
    let upstream = Upstream::start(Behaviour::Answer).await;
    let gw = gateway(&format!("http://{}", upstream.addr), |_| {}).await;
    let reply = send(
        gw.local_addr(),
        "POST /v2/pets HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
         5\r\n{\"nam\r\n9\r\ne\":\"rex\"}\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let r = &upstream.received()[0];
    assert_eq!(r.body, br#"{"name":"rex"}"#);
    assert_eq!(r.header("transfer-encoding"), None);
    assert_eq!(r.header("content-length"), Some("14"));

    // A GET without a body keeps its exact path and no body.
    let reply = send(
        gw.local_addr(),
        "GET /v2/pets/a%2Fb?limit=7 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(reply.status, 201);
    let r = &upstream.received()[1];
    assert_eq!(
        (r.method.as_str(), r.uri.as_str()),
        ("GET", "/v2/pets/a%2Fb?limit=7")
    );
    assert!(r.body.is_empty());
    gw.shutdown().await;
}

/// Sends `raw` (a request head and body, without `Connection: close`,
/// which is added) and checks the status and a fragment of the answer.
async fn check(addr: SocketAddr, raw: &str, status: u16, fragment: &str) -> Reply {
    let (line, rest) = raw.split_once("\r\n").unwrap();
    let raw = format!("{line}\r\nHost: h\r\nConnection: close\r\n{rest}");
    let reply = send(addr, &raw).await;
    assert_eq!(reply.status, status, "{raw:?} -> {reply:?}");
    assert!(
        reply.body.contains(fragment),
        "{raw:?}: body {:?} lacks {fragment:?}",
        reply.body
    );
    if status >= 400 {
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
    }
    reply
}

#[tokio::test]
async fn refuses_what_the_contract_does_not_allow() {
    let upstream = Upstream::start(Behaviour::Answer).await;
    let gw = gateway(&format!("http://{}", upstream.addr), |_| {}).await;
    let a = gw.local_addr();
    let json = "Content-Type: application/json\r\n";
    check(
        a,
        "GET /nope HTTP/1.1\r\n\r\n",
        404,
        r#""detail":"no api matches path""#,
    )
    .await;
    check(a, "GET /v22/pets HTTP/1.1\r\n\r\n", 404, "/not-found").await;
    check(
        a,
        "GET /v2/cats HTTP/1.1\r\n\r\n",
        404,
        "no operation matches path",
    )
    .await;
    let reply = check(
        a,
        "DELETE /v2/pets HTTP/1.1\r\n\r\n",
        405,
        "/method-not-allowed",
    )
    .await;
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    check(
        a,
        "GET /v2/pets?limit=500 HTTP/1.1\r\n\r\n",
        400,
        r#""errors":[{"in":"query","name":"limit","rule":"maximum","detail":"must be ≤ 100"}]"#,
    )
    .await;
    check(
        a,
        &format!("POST /v2/pets HTTP/1.1\r\n{json}Content-Length: 65\r\n\r\n"),
        413,
        "exceeds the limit of 64 bytes",
    )
    .await;
    let big = "a".repeat(40);
    check(
        a,
        &format!(
            "POST /v2/pets HTTP/1.1\r\n{json}Transfer-Encoding: chunked\r\n\r\n28\r\n{big}\r\n28\r\n{big}\r\n0\r\n\r\n"
        ),
        413,
        "/payload-too-large",
    )
    .await;
    check(
        a,
        "POST /v2/pets HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi",
        415,
        "content type is not accepted; accepted: application/json",
    )
    .await;
    check(
        a,
        "POST /v2/pets HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
        415,
        "needs a content type",
    )
    .await;
    check(
        a,
        &format!("POST /v2/pets HTTP/1.1\r\n{json}Content-Length: 3\r\n\r\n{{x}}"),
        400,
        r#""rule":"json""#,
    )
    .await;
    check(
        a,
        &format!("POST /v2/pets HTTP/1.1\r\n{json}Content-Length: 15\r\n\r\n{{\"a\":1,\"a\":2}}  "),
        400,
        r#""rule":"duplicateKey""#,
    )
    .await;
    check(
        a,
        &format!("POST /v2/pets HTTP/1.1\r\n{json}Content-Length: 8\r\n\r\n[[[[]]]]"),
        400,
        r#""rule":"maxDepth""#,
    )
    .await;
    check(
        a,
        &format!("POST /v2/pets HTTP/1.1\r\n{json}Content-Length: 11\r\n\r\n{{\"name\": 1}}"),
        400,
        r#"{"in":"body","pointer":"/name","rule":"type","detail":"must be a string"}"#,
    )
    .await;
    check(
        a,
        &format!("POST /v2/pets HTTP/1.1\r\n{json}Content-Length: 2\r\n\r\n{{}}"),
        400,
        r#"{"in":"body","rule":"required","detail":"property \"name\" is required"}"#,
    )
    .await;
    check(
        a,
        "POST /v2/pets HTTP/1.1\r\n\r\n",
        400,
        r#""rule":"required""#,
    )
    .await;
    check(
        a,
        "GET /v2/pets HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi",
        400,
        r#""rule":"body","detail":"operation takes no request body""#,
    )
    .await;
    assert!(upstream.received().is_empty(), "{:?}", upstream.received());

    // An optional body may be absent; a size-only media range lets any
    // content through.
    check(a, "PUT /v2/notes HTTP/1.1\r\n\r\n", 201, "created").await;
    check(
        a,
        "PUT /v2/notes HTTP/1.1\r\nContent-Type: TEXT/markdown\r\nContent-Length: 3\r\n\r\n{{x",
        201,
        "created",
    )
    .await;
    assert_eq!(upstream.received().len(), 2);
    gw.shutdown().await;
}

#[tokio::test]
async fn mock_answers_from_the_contract() {
    let gw = gateway("mock", |_| {}).await;
    let a = gw.local_addr();
    let reply = check(a, "GET /store/items HTTP/1.1\r\n\r\n", 203, r#"[{"id":1}]"#).await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let reply = check(a, "HEAD /store/items HTTP/1.1\r\n\r\n", 200, "").await;
    assert_eq!(reply.body, "");
    check(a, "GET /v2/pets/1 HTTP/1.1\r\n\r\n", 200, "[]").await;
    gw.shutdown().await;
}

#[tokio::test]
async fn dead_upstream_is_a_bad_gateway() {
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = dead.local_addr().unwrap();
    drop(dead);
    let gw = gateway(&format!("http://{addr}"), |_| {}).await;
    check(
        gw.local_addr(),
        "GET /v2/pets HTTP/1.1\r\n\r\n",
        502,
        "/bad-gateway",
    )
    .await;
    gw.shutdown().await;
}

#[tokio::test]
async fn slow_upstream_is_a_gateway_timeout() {
    let upstream = Upstream::start(Behaviour::Hang).await;
    let gw = gateway(&format!("http://{}", upstream.addr), |c| {
        c.timeouts.upstream_response_ms = 200;
    })
    .await;
    check(
        gw.local_addr(),
        "GET /v2/pets HTTP/1.1\r\n\r\n",
        504,
        "upstream did not answer within 200 ms",
    )
    .await;
    gw.shutdown().await;
}

#[tokio::test]
async fn slow_body_is_a_request_timeout() {
    let gw = gateway("mock", |c| c.timeouts.request_body_ms = 200).await;
    check(
        gw.local_addr(),
        "POST /v2/pets HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"",
        408,
        "/request-timeout",
    )
    .await;
    gw.shutdown().await;
}

#[tokio::test]
async fn config_is_checked_before_listening() {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    config
        .apis
        .insert("pets".into(), ApiConfig::upstream("mock"));
    let error = Server::start(&CONTRACT, config).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "api `store` has no upstream: set apis.store.upstream or $DOUANE_API_STORE_UPSTREAM"
    );
}

#[tokio::test]
async fn h2c_requests_are_forwarded_over_http1_with_their_authority() {
    let upstream = Upstream::start(Behaviour::Answer).await;
    let gw = gateway(&format!("http://{}", upstream.addr), |_| {}).await;
    let stream = TcpStream::connect(gw.local_addr()).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let request = hyper::Request::get("http://api.example/v2/pets?limit=3")
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers().get("x-hop"), None);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, "created");
    let r = &upstream.received()[0];
    assert_eq!(r.uri, "/v2/pets?limit=3");
    assert_eq!(r.header("host"), Some("api.example"));
    assert_eq!(r.header("x-forwarded-host"), Some("api.example"));
    gw.shutdown().await;
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let upstream = Upstream::start(Behaviour::Slow).await;
    let gw = gateway(&format!("http://{}", upstream.addr), |_| {}).await;
    let addr = gw.local_addr();
    let in_flight = tokio::spawn(async move {
        send(
            addr,
            "GET /v2/pets HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    gw.shutdown().await;
    assert_eq!(in_flight.await.unwrap().status, 201);
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
}

#[tokio::test]
async fn slow_request_head_is_cut_off() {
    let gw = gateway("mock", |c| c.timeouts.request_head_ms = 200).await;
    let mut stream = TcpStream::connect(gw.local_addr()).await.unwrap();
    stream
        .write_all(b"GET /v2/pets HTTP/1.1\r\nHo")
        .await
        .unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut rest))
        .await
        .expect("connection closed after the head timeout")
        .ok();
    gw.shutdown().await;
}

//! A small DSL for end-to-end tests over real sockets on ephemeral ports:
//!
//! ```text
//! Conn (raw client) ──▶ Gateway (Server::start with CONTRACT) ──▶ Upstream (records, answers)
//! ```
//!
//! [`Setup::start`] wires the three together; [`Setup::check`] sends one
//! [`Req`] and asserts its fate, either [`Expect::Forwarded`] (the upstream
//! got the request unchanged) or [`Expect::Rejected`] (a problem+json with
//! the listed errors, and the upstream got nothing).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use douane_runtime::config::{ApiConfig, Config, Timeouts};
use douane_runtime::contract::Contract;
use douane_runtime::listener::Server;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::CONTRACT;

/// How long a test waits for any answer before failing instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// The `Host` header every [`Req`] carries unless told otherwise.
pub const HOST: &str = "gateway.test";

/// The body the recording upstream answers by default.
pub const UPSTREAM_BODY: &str = r#"{"from":"upstream"}"#;

// ------------------------------------------------------------------ upstream

/// What the recording upstream answers to every request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: &'static str,
    /// Waits this long before answering (to provoke a gateway timeout).
    pub delay: Duration,
}

impl Default for Reply {
    fn default() -> Self {
        Reply {
            status: 200,
            headers: vec![
                ("content-type", "application/json"),
                ("x-upstream", "recording"),
            ],
            body: UPSTREAM_BODY,
            delay: Duration::ZERO,
        }
    }
}

/// One request as the upstream received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as received.
    pub target: String,
    /// Lowercase names, in the order hyper reports them.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Recorded {
    /// All values of header `name`.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The single value of header `name`; panics if it is repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        let values = self.header_values(name);
        assert!(values.len() <= 1, "header {name} repeated: {values:?}");
        values.first().copied()
    }
}

/// A real hyper HTTP/1.1 server on `127.0.0.1:0` that records every request
/// and answers with a fixed [`Reply`].
#[derive(Debug)]
pub struct Upstream {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Upstream {
    /// Answers `200 {"from":"upstream"}` at once.
    pub async fn start() -> Upstream {
        Upstream::start_with(Reply::default()).await
    }

    pub async fn start_with(reply: Reply) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(accept(listener, log.clone(), Arc::new(reply)));
        Upstream { addr, log, task }
    }

    /// The URL to configure as the API's upstream.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, log: Arc<Mutex<Vec<Recorded>>>, reply: Arc<Reply>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (log, reply) = (log.clone(), reply.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let (log, reply) = (log.clone(), reply.clone());
                async move {
                    let (head, body) = request.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    log.lock().unwrap().push(Recorded {
                        method: head.method.to_string(),
                        target: head
                            .uri
                            .path_and_query()
                            .map(|pq| pq.as_str().to_owned())
                            .unwrap_or_default(),
                        headers: head
                            .headers
                            .iter()
                            .map(|(n, v)| {
                                (
                                    n.as_str().to_owned(),
                                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                                )
                            })
                            .collect(),
                        body,
                    });
                    tokio::time::sleep(reply.delay).await;
                    let mut response =
                        hyper::Response::new(Full::new(Bytes::from_static(reply.body.as_bytes())));
                    *response.status_mut() = hyper::StatusCode::from_u16(reply.status).unwrap();
                    for (name, value) in &reply.headers {
                        response.headers_mut().append(*name, value.parse().unwrap());
                    }
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// An `http://` URL on which nothing listens: connecting is refused.
pub async fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

// ------------------------------------------------------------------- gateway

/// Timeouts short enough for tests, long enough for a loaded 2-core machine.
pub fn test_timeouts() -> Timeouts {
    Timeouts {
        request_head_ms: 2_000,
        request_body_ms: 2_000,
        upstream_connect_ms: 1_000,
        upstream_response_ms: 2_000,
    }
}

/// The real gateway, serving [`CONTRACT`] on `127.0.0.1:0`.
#[derive(Debug)]
pub struct Gateway {
    server: Server,
}

impl Gateway {
    /// Every API compiled from `tests/specs`, all forwarded to `upstream`
    /// (`"mock"` or a URL).
    pub async fn start_all(upstream: &str, timeouts: Timeouts) -> Gateway {
        let apis: Vec<(&str, &str)> = CONTRACT
            .apis
            .iter()
            .map(|api| (api.name, upstream))
            .collect();
        Gateway::start(&apis, timeouts).await
    }

    /// `apis` maps each API name to its upstream (`"mock"` or a URL); every
    /// API of the contract must be listed.
    pub async fn start(apis: &[(&str, &str)], timeouts: Timeouts) -> Gateway {
        let mut config = Config {
            timeouts,
            ..Config::default()
        };
        for (name, upstream) in apis {
            config
                .apis
                .insert((*name).to_owned(), ApiConfig::upstream(*upstream));
        }
        Gateway::start_config(config).await
    }

    /// Starts with a full configuration; only `listen` is replaced, by
    /// `127.0.0.1:0`.
    pub async fn start_config(config: Config) -> Gateway {
        Gateway::start_contract(&CONTRACT, config).await
    }

    /// Serves another compiled contract (e.g. [`crate::secured::CONTRACT`]).
    pub async fn start_contract(contract: &'static Contract, mut config: Config) -> Gateway {
        config.listen = "127.0.0.1:0".parse().unwrap();
        let server = Server::start(contract, config)
            .await
            .unwrap_or_else(|e| panic!("gateway does not start: {e}"));
        Gateway { server }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Sends `req` on a fresh connection and reads one response.
    pub async fn send(&self, req: &Req) -> Response {
        let mut conn = Conn::open(self.addr()).await;
        conn.write(&req.to_bytes()).await;
        conn.read_response().await
    }

    /// Writes `bytes` as they are on a fresh connection and reads one
    /// response.
    pub async fn raw(&self, bytes: &[u8]) -> Response {
        let mut conn = Conn::open(self.addr()).await;
        conn.write(bytes).await;
        conn.read_response().await
    }

    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// A recording upstream behind a gateway serving every API of [`CONTRACT`].
#[derive(Debug)]
pub struct Setup {
    pub upstream: Upstream,
    pub gateway: Gateway,
}

/// What [`Setup::check`] expects of a request.
#[derive(Debug, Clone, Copy)]
pub enum Expect<'a> {
    /// The upstream answers; it received the request unchanged.
    Forwarded,
    /// The gateway answers `status` with these errors (see [`error_line`]),
    /// and the upstream receives nothing.
    Rejected(u16, &'a [&'a str]),
}

impl Setup {
    /// Both APIs (`shop`, `catalog`) forwarded to one recording upstream.
    pub async fn start() -> Setup {
        Setup::start_with(Reply::default(), test_timeouts()).await
    }

    pub async fn start_with(reply: Reply, timeouts: Timeouts) -> Setup {
        let upstream = Upstream::start_with(reply).await;
        let url = upstream.url();
        let gateway = Gateway::start_all(&url, timeouts).await;
        Setup { upstream, gateway }
    }

    pub async fn send(&self, req: &Req) -> Response {
        self.gateway.send(req).await
    }

    /// Sends `req` and asserts `expect`; returns the response for more.
    pub async fn check(&self, req: &Req, expect: Expect<'_>) -> Response {
        self.verify(req, expect)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sends every request of a table and reports all failing rows at once.
    pub async fn check_table(&self, rows: &[(Req, Expect<'_>)]) {
        let mut failures = Vec::new();
        for (req, expect) in rows {
            if let Err(e) = self.verify(req, *expect).await {
                failures.push(e);
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} rows failed:\n{}",
            failures.len(),
            rows.len(),
            failures.join("\n")
        );
    }

    /// Like [`Setup::check`], but returns the failure instead of panicking.
    pub async fn verify(&self, req: &Req, expect: Expect<'_>) -> Result<Response, String> {
        let before = self.upstream.count();
        let resp = self.send(req).await;
        let outcome = std::panic::AssertUnwindSafe(|| match expect {
            Expect::Forwarded => {
                let got = self.upstream.requests();
                assert_eq!(
                    got.len(),
                    before + 1,
                    "{req}: expected forwarding, got {resp}"
                );
                assert_forwarded(req, &got[before]);
                assert_eq!(resp.status, 200, "{req}: {resp}");
                assert_eq!(resp.body_str(), UPSTREAM_BODY, "{req}");
            }
            Expect::Rejected(status, errors) => {
                assert_problem(&resp, status, &format!("{req}"));
                assert_eq!(resp.error_lines(), errors, "{req}: {resp}");
                assert_eq!(
                    self.upstream.count(),
                    before,
                    "{req}: a rejected request reached the upstream"
                );
            }
        });
        match std::panic::catch_unwind(outcome) {
            Ok(()) => Ok(resp),
            Err(panic) => Err(panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| format!("{req}: failed"))),
        }
    }
}

// -------------------------------------------------------------------- client

/// An HTTP/1.1 request, written on the wire exactly as built: no header is
/// added except `Host` (unless given) and `Content-Length` (when a body is
/// set and no framing header is given).
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Req {
    pub fn new(method: &str, target: &str) -> Req {
        Req {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn get(target: &str) -> Req {
        Req::new("GET", target)
    }

    pub fn post(target: &str) -> Req {
        Req::new("POST", target)
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A body with no content type.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Req {
        self.body = Some(body.into());
        self
    }

    /// An `application/json` body, sent byte for byte.
    pub fn json(self, body: &str) -> Req {
        self.header("content-type", "application/json").body(body)
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The request's bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        if !self.has_header("host") {
            out.extend_from_slice(format!("host: {HOST}\r\n").as_bytes());
        }
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if let Some(body) = &self.body {
            if !self.has_header("content-length") && !self.has_header("transfer-encoding") {
                out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
            }
        }
        out.extend_from_slice(b"\r\n");
        if let Some(body) = &self.body {
            out.extend_from_slice(body);
        }
        out
    }
}

impl std::fmt::Display for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.target)
    }
}

/// A response as read from the wire, body de-chunked.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Lowercase names, in wire order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_str(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body_str()))
    }

    /// The problem's errors, one [`error_line`] each.
    pub fn error_lines(&self) -> Vec<String> {
        match self.json().get("errors") {
            None => Vec::new(),
            Some(Value::Array(errors)) => errors.iter().map(error_line).collect(),
            Some(other) => panic!("errors is not an array: {other}"),
        }
    }
}

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            self.status,
            String::from_utf8_lossy(&self.body)
                .chars()
                .take(600)
                .collect::<String>()
        )
    }
}

/// One problem error as `in:name+pointer rule`, e.g. `query:limit maximum`,
/// `query:ids/1 minimum`, `body:/owner/address/country maxLength`. Also
/// asserts the error has a non-empty `detail` and no unknown field.
pub fn error_line(error: &Value) -> String {
    let obj = error.as_object().expect("error is an object");
    for key in obj.keys() {
        assert!(
            ["in", "name", "pointer", "rule", "detail"].contains(&key.as_str()),
            "unexpected field {key} in {error}"
        );
    }
    let detail = obj.get("detail").and_then(Value::as_str).unwrap_or("");
    assert!(!detail.is_empty(), "error without detail: {error}");
    let s = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    format!("{}:{}{} {}", s("in"), s("name"), s("pointer"), s("rule"))
}

/// Asserts `resp` is a problem+json answer of `status`, with every RFC 9457
/// member the gateway promises; returns the parsed body.
pub fn assert_problem(resp: &Response, status: u16, context: &str) -> Value {
    assert_eq!(resp.status, status, "{context}: {resp}");
    assert_eq!(
        resp.header("content-type"),
        Some("application/problem+json"),
        "{context}: {resp}"
    );
    let json = resp.json();
    let ty = json["type"].as_str().unwrap_or("");
    assert!(
        ty.starts_with("https://douane.dev/problems/"),
        "{context}: type {ty:?}"
    );
    assert!(json["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(json["status"], status, "{context}: status member");
    assert!(
        json["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{context}: detail"
    );
    json
}

/// The problem `type` of a response, without the common prefix.
pub fn problem_type(resp: &Response) -> String {
    resp.json()["type"]
        .as_str()
        .unwrap_or("")
        .trim_start_matches("https://douane.dev/problems/")
        .to_owned()
}

/// Hop-by-hop headers, which a proxy must not forward.
pub const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Asserts that `got` is `sent` unchanged: method, target and body byte for
/// byte, every end-to-end header with its value, plus `X-Forwarded-*`.
pub fn assert_forwarded(sent: &Req, got: &Recorded) {
    assert_eq!(got.method, sent.method, "{sent}: method");
    assert_eq!(got.target, sent.target, "{sent}: path and query");
    assert_eq!(
        got.body.as_ref(),
        sent.body.as_deref().unwrap_or_default(),
        "{sent}: body"
    );
    let host = if sent.has_header("host") {
        sent.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.as_str())
            .unwrap()
    } else {
        HOST
    };
    assert_eq!(got.header("host"), Some(host), "{sent}: host");
    // Headers named in `Connection` are hop-by-hop too.
    let named: Vec<String> = sent
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    for (name, value) in &sent.headers {
        let lower = name.to_ascii_lowercase();
        if HOP_BY_HOP.contains(&lower.as_str())
            || named.contains(&lower)
            || lower.starts_with("x-forwarded-")
        {
            continue;
        }
        assert!(
            // Surrounding whitespace is not part of a field value.
            got.header_values(name).contains(&value.trim()),
            "{sent}: header {name}: {value} not forwarded: {:?}",
            got.headers
        );
    }
    let client_for = sent
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("x-forwarded-for"))
        .map(|(_, v)| format!("{v}, "))
        .collect::<String>();
    assert_eq!(
        got.header("x-forwarded-for"),
        Some(format!("{client_for}127.0.0.1").as_str()),
        "{sent}: x-forwarded-for"
    );
    assert_eq!(got.header("x-forwarded-proto"), Some("http"), "{sent}");
    assert_eq!(got.header("x-forwarded-host"), Some(host), "{sent}");
}

/// A raw client connection: writes bytes as given, reads responses one by
/// one (so that several can share a keep-alive connection).
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Like [`Conn::write`], but tells whether the peer took the bytes.
    pub async fn try_write(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).await.is_ok()
    }

    /// Reads more bytes; false at end of stream. Panics after [`PATIENCE`].
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(PATIENCE, self.stream.read(&mut chunk))
            .await
            .expect("no answer within PATIENCE: the gateway hangs")
            .unwrap_or(0);
        self.buf.extend_from_slice(&chunk[..n]);
        n > 0
    }

    /// Reads one response if the peer sends one, else the bytes up to its
    /// closing (as a status 0 response).
    pub async fn read_to_close_or_response(&mut self) -> Response {
        while find(&self.buf, b"\r\n\r\n").is_none() {
            if !self.fill().await {
                return Response {
                    status: 0,
                    headers: Vec::new(),
                    body: std::mem::take(&mut self.buf),
                };
            }
        }
        self.read_response().await
    }

    /// Reads until `needle` has arrived (anywhere in what is buffered).
    pub async fn read_until(&mut self, needle: &[u8]) {
        while find(&self.buf, needle).is_none() {
            assert!(
                self.fill().await,
                "connection closed before {:?}",
                String::from_utf8_lossy(needle)
            );
        }
    }

    /// Reads until the peer closes, within [`PATIENCE`]; returns what came.
    pub async fn read_to_close(&mut self) -> Vec<u8> {
        while self.fill().await {}
        std::mem::take(&mut self.buf)
    }

    /// Reads exactly one response (for `HEAD`, use [`Conn::read_head_response`]).
    pub async fn read_response(&mut self) -> Response {
        self.read(false).await
    }

    /// Reads the answer to a `HEAD` request: a head whose framing headers
    /// describe a body that is not sent.
    pub async fn read_head_response(&mut self) -> Response {
        self.read(true).await
    }

    async fn read(&mut self, head_only: bool) -> Response {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            assert!(
                self.fill().await,
                "connection closed before a response head: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        };
        let head = String::from_utf8(self.buf[..head_end].to_vec()).expect("ascii head");
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').expect("header line");
                (n.to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let body = if head_only || status == 204 || status == 304 || (100..200).contains(&status) {
            Vec::new()
        } else if let Some(len) = get("content-length") {
            let len: usize = len.parse().unwrap();
            while self.buf.len() < len {
                assert!(self.fill().await, "connection closed inside a body");
            }
            self.buf.drain(..len).collect()
        } else if get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            self.read_chunked().await
        } else {
            self.read_to_close().await
        };
        Response {
            status,
            headers,
            body,
        }
    }

    async fn read_chunked(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf, b"\r\n") {
                    break i;
                }
                assert!(self.fill().await, "connection closed inside a chunk size");
            };
            let line = String::from_utf8(self.buf[..line_end].to_vec()).unwrap();
            let size = usize::from_str_radix(line.split(';').next().unwrap().trim(), 16).unwrap();
            self.buf.drain(..line_end + 2);
            if size == 0 {
                // No trailers are expected: the final CRLF ends the body.
                while find(&self.buf, b"\r\n") != Some(0) {
                    assert!(self.fill().await, "connection closed before the last CRLF");
                }
                self.buf.drain(..2);
                return body;
            }
            while self.buf.len() < size + 2 {
                assert!(self.fill().await, "connection closed inside a chunk");
            }
            body.extend(self.buf.drain(..size));
            self.buf.drain(..2);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

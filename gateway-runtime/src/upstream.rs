//! Forwarding an admitted request to its upstream and streaming the answer
//! back: the request goes out unchanged (method, path, query, body, end-to-
//! end headers) plus `X-Forwarded-*`; hop-by-hop headers stop here.
//! `https://` upstreams go through rustls, with one connection pool per
//! distinct upstream TLS setting (CA bundle, client certificate).

use std::collections::HashMap;
use std::io::Write as _;
use std::time::Duration;

use http::header::{
    CONNECTION, HOST, PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, TE, TRAILER, TRANSFER_ENCODING,
    UPGRADE,
};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, Uri, Version};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::GatewayBody;
use crate::config::{Config, ConfigError, Timeouts};
use crate::connection::Connection;
use crate::contract::Contract;
use crate::problem::{Problem, ProblemKind};
use crate::tls::{self, UpstreamTls};

static KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
static PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

type HttpClient = Client<HttpsConnector<HttpConnector>, GatewayBody>;

/// The pooled keep-alive HTTP clients shared by all requests of a gateway:
/// one per distinct upstream TLS setting, each serving `http://` too.
#[derive(Clone)]
pub struct Upstreams {
    /// `clients[0]`: the Mozilla roots and no client certificate.
    clients: Vec<HttpClient>,
    /// Per API (index into `Contract::apis`), its index into `clients`.
    by_api: Vec<usize>,
    response_timeout: Duration,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstreams")
            .field("response_timeout", &self.response_timeout)
            .finish_non_exhaustive()
    }
}

impl Upstreams {
    /// One client for every API (`https://` upstreams verified against the
    /// Mozilla roots); call from within a tokio runtime.
    pub fn new(timeouts: &Timeouts) -> Upstreams {
        let config = tls::upstream_client_config("*", &UpstreamTls::default())
            .expect("the default upstream TLS config reads no file");
        Upstreams {
            clients: vec![client(timeouts, config)],
            by_api: Vec::new(),
            response_timeout: timeouts.upstream_response(),
        }
    }

    /// The clients for `config`'s APIs (`apis.NAME.upstream_ca`,
    /// `upstream_client_cert`, `upstream_client_key`), reading and checking
    /// their PEM files; call from within a tokio runtime.
    pub fn configure(contract: &Contract, config: &Config) -> Result<Upstreams, ConfigError> {
        let mut upstreams = Upstreams::new(&config.timeouts);
        let mut seen: HashMap<UpstreamTls, usize> = HashMap::new();
        seen.insert(UpstreamTls::default(), 0);
        for api in contract.apis {
            let settings = config
                .apis
                .get(api.name)
                .map(UpstreamTls::of)
                .unwrap_or_default();
            let index = match seen.get(&settings) {
                Some(&index) => index,
                None => {
                    let tls = tls::upstream_client_config(api.name, &settings)?;
                    upstreams.clients.push(client(&config.timeouts, tls));
                    seen.insert(settings, upstreams.clients.len() - 1);
                    upstreams.clients.len() - 1
                }
            };
            upstreams.by_api.push(index);
        }
        Ok(upstreams)
    }

    /// Sends `request` (its URI already pointing at the upstream) with the
    /// client of API `api` (index into `Contract::apis`) and returns the
    /// upstream's response head with its body streaming.
    pub async fn send(
        &self,
        api: usize,
        request: Request<GatewayBody>,
    ) -> Result<Response<GatewayBody>, Problem> {
        let client = &self.clients[self.by_api.get(api).copied().unwrap_or(0)];
        let pending = client.request(request);
        let mut response = match tokio::time::timeout(self.response_timeout, pending).await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => {
                let detail = if is_tls_error(&error) {
                    "TLS handshake with the upstream failed"
                } else if error.is_connect() {
                    "upstream refused or did not accept the connection"
                } else {
                    "upstream closed the connection before answering"
                };
                tracing::debug!(error = %error, "upstream request failed");
                return Err(Problem::new(ProblemKind::BadGateway, detail));
            }
            Err(_) => {
                return Err(Problem::new(
                    ProblemKind::GatewayTimeout,
                    format!(
                        "upstream did not answer within {} ms",
                        self.response_timeout.as_millis()
                    ),
                ));
            }
        };
        remove_hop_by_hop(response.headers_mut());
        Ok(response.map(GatewayBody::Stream))
    }
}

/// A pooled client over `tls` (for `https://`) or plain TCP (`http://`).
fn client(timeouts: &Timeouts, tls: rustls::ClientConfig) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(timeouts.upstream_connect()));
    // Small requests and answers must not wait for Nagle's algorithm.
    connector.set_nodelay(true);
    // The TLS layer above handles `https://`; the TCP layer must let it by.
    connector.enforce_http(false);
    let connector = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(connector);
    Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        // The client's Host header is forwarded as it came.
        .set_host(false)
        .build(connector)
}

/// True when a rustls error is among `error`'s causes. tokio-rustls wraps
/// it in an `io::Error` (hyper-rustls may wrap that in another), whose
/// `source` skips the wrapped error: `get_ref` reaches it.
fn is_tls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<rustls::Error>() {
            return true;
        }
        cause = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}

/// The upstream URI for a request: the upstream's scheme and authority, its
/// path prefix, then the request's own path and query byte for byte.
pub fn upstream_uri(
    scheme: &Scheme,
    authority: &Authority,
    prefix: &str,
    original: &Uri,
) -> Result<Uri, Problem> {
    let pq = original
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    let pq = if prefix.is_empty() {
        pq
    } else {
        let mut joined = String::with_capacity(prefix.len() + pq.as_str().len());
        joined.push_str(prefix);
        joined.push_str(pq.as_str());
        PathAndQuery::try_from(joined)
            .map_err(|_| Problem::new(ProblemKind::Internal, "cannot build upstream uri"))?
    };
    Uri::builder()
        .scheme(scheme.clone())
        .authority(authority.clone())
        .path_and_query(pq)
        .build()
        .map_err(|_| Problem::new(ProblemKind::Internal, "cannot build upstream uri"))
}

/// Turns the client's request head into the upstream's: hop-by-hop headers
/// removed, `X-Forwarded-*` set (from the client `connection`), HTTP/1.1 on
/// the upstream connection.
pub fn prepare_headers(
    headers: &mut HeaderMap,
    version: &mut Version,
    uri: &Uri,
    connection: &Connection,
) {
    let client = connection.client;
    // An HTTP/2 client names the host in `:authority` only; the upstream
    // speaks HTTP/1.1 and needs it as `Host`.
    if !headers.contains_key(HOST) {
        if let Some(authority) = uri.authority() {
            if let Ok(value) = HeaderValue::from_str(authority.as_str()) {
                headers.insert(HOST, value);
            }
        }
    }
    *version = Version::HTTP_11;
    remove_hop_by_hop(headers);
    // The gateway has already answered `Expect: 100-continue` by reading
    // the body; the upstream gets the whole request at once.
    headers.remove(http::header::EXPECT);

    // The address is formatted on the stack: an IPv6 text is at most 45
    // bytes, so this costs no allocation beyond the header value itself.
    let mut ip_buf = [0u8; 64];
    let ip = {
        let mut cursor = &mut ip_buf[..];
        let _ = write!(cursor, "{client}");
        let written = 64 - cursor.len();
        &ip_buf[..written]
    };
    let forwarded_for = if headers.contains_key(&X_FORWARDED_FOR) {
        let mut joined = Vec::with_capacity(64);
        for value in headers.get_all(&X_FORWARDED_FOR) {
            joined.extend_from_slice(value.as_bytes());
            joined.extend_from_slice(b", ");
        }
        joined.extend_from_slice(ip);
        HeaderValue::from_bytes(&joined)
    } else {
        HeaderValue::from_bytes(ip)
    };
    if let Ok(value) = forwarded_for {
        headers.insert(X_FORWARDED_FOR.clone(), value);
    }
    let proto = if connection.tls { "https" } else { "http" };
    headers.insert(X_FORWARDED_PROTO.clone(), HeaderValue::from_static(proto));
    match headers.get(HOST).cloned() {
        Some(host) => {
            headers.insert(X_FORWARDED_HOST.clone(), host);
        }
        None => {
            headers.remove(&X_FORWARDED_HOST);
        }
    }
}

/// Removes the headers that describe one connection, not the message
/// (RFC 9110 §7.6.1), including those that `Connection` names.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(CONNECTION) {
        let named: Vec<HeaderValue> = headers.get_all(CONNECTION).iter().cloned().collect();
        for value in &named {
            let Ok(list) = value.to_str() else { continue };
            for name in list.split(',') {
                let name = name.trim();
                if !name.is_empty() {
                    headers.remove(name);
                }
            }
        }
        headers.remove(CONNECTION);
    }
    for name in [
        &KEEP_ALIVE,
        &PROXY_CONNECTION,
        &PROXY_AUTHENTICATE,
        &PROXY_AUTHORIZATION,
        &TE,
        &TRAILER,
        &TRANSFER_ENCODING,
        &UPGRADE,
    ] {
        if headers.contains_key(name) {
            headers.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `input` and `expect` are `name: value` lines.
    fn check(input: &[&str], expect: &[&str]) {
        let mut headers = HeaderMap::new();
        for line in input {
            let (n, v) = line.split_once(": ").unwrap();
            headers.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        remove_hop_by_hop(&mut headers);
        let got: Vec<String> = headers
            .iter()
            .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
            .collect();
        assert_eq!(got, expect, "input {input:?}");
    }

    #[test]
    fn hop_by_hop_removal() {
        check(&["accept: */*", "x-a: 1"], &["accept: */*", "x-a: 1"]);
        check(
            &[
                "connection: keep-alive, X-Secret",
                "keep-alive: timeout=5",
                "x-secret: 1",
                "x-kept: 2",
                "te: trailers",
                "trailer: x",
                "transfer-encoding: chunked",
                "upgrade: h2c",
                "proxy-authorization: Basic x",
                "proxy-authenticate: Basic",
                "proxy-connection: keep-alive",
            ],
            &["x-kept: 2"],
        );
        check(
            &["connection: close", "connection: x-b", "x-b: 1", "x-c: 3"],
            &["x-c: 3"],
        );
    }

    #[test]
    fn forwarded_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "api.example".parse().unwrap());
        headers.append(&X_FORWARDED_FOR, "10.0.0.1".parse().unwrap());
        headers.append(&X_FORWARDED_FOR, "10.0.0.2".parse().unwrap());
        headers.insert(&X_FORWARDED_PROTO, "https".parse().unwrap());
        headers.insert(&X_FORWARDED_HOST, "evil".parse().unwrap());
        let mut version = Version::HTTP_2;
        let uri: Uri = "/x".parse().unwrap();
        prepare_headers(
            &mut headers,
            &mut version,
            &uri,
            &Connection::plain("192.0.2.7".parse().unwrap()),
        );
        assert_eq!(headers[&X_FORWARDED_FOR], "10.0.0.1, 10.0.0.2, 192.0.2.7");
        assert_eq!(headers.get_all(&X_FORWARDED_FOR).iter().count(), 1);
        assert_eq!(headers[&X_FORWARDED_PROTO], "http");
        assert_eq!(headers[&X_FORWARDED_HOST], "api.example");
        assert_eq!(headers[HOST], "api.example");
        assert_eq!(version, Version::HTTP_11);
    }

    #[test]
    fn uri_keeps_path_and_query_and_adds_prefix() {
        let authority: Authority = "up:9".parse().unwrap();
        let original: Uri = "/v2/pets/%7Bx%7D?a=1&b=%20+".parse().unwrap();
        let uri = upstream_uri(&Scheme::HTTP, &authority, "", &original).unwrap();
        assert_eq!(uri.to_string(), "http://up:9/v2/pets/%7Bx%7D?a=1&b=%20+");
        let uri = upstream_uri(&Scheme::HTTPS, &authority, "/base", &original).unwrap();
        assert_eq!(
            uri.to_string(),
            "https://up:9/base/v2/pets/%7Bx%7D?a=1&b=%20+"
        );
    }
}

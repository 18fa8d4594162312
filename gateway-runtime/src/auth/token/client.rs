//! The small HTTP(S) client that fetches JWKS documents and calls
//! introspection endpoints: bounded in time and in answer size, because
//! these endpoints sit on the request path of every authenticated call.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{ConfigBuilderExt, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Connecting to a JWKS or introspection endpoint.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One whole exchange: connect, send, answer head and body.
pub(super) const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read from an endpoint; a JWKS is a few KiB.
pub(super) const MAX_BODY: usize = 1 << 20;

/// A pooled client for `http` and `https` URLs.
#[derive(Clone)]
pub(super) struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpClient {
    /// Trusts the roots of `ca_file` (PEM) when given, else the webpki
    /// (Mozilla) roots compiled in.
    pub(super) fn new(ca_file: Option<&str>) -> Result<HttpClient, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot configure TLS: {e}"))?;
        let tls = match ca_file {
            Some(path) => {
                let mut roots = rustls::RootCertStore::empty();
                let certs = CertificateDer::pem_file_iter(path)
                    .map_err(|e| format!("cannot read ca_file {path}: {e}"))?;
                for cert in certs {
                    let cert = cert.map_err(|e| format!("cannot read ca_file {path}: {e}"))?;
                    roots
                        .add(cert)
                        .map_err(|e| format!("invalid certificate in ca_file {path}: {e}"))?;
                }
                if roots.is_empty() {
                    return Err(format!("ca_file {path} holds no certificate"));
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            None => builder.with_webpki_roots().with_no_client_auth(),
        };
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        // The HTTPS connector wraps this one and handles `https` itself.
        http.enforce_http(false);
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(HttpClient { client })
    }

    /// Sends `request` and reads the whole answer (at most [`MAX_BODY`])
    /// within [`FETCH_TIMEOUT`]. Errors are short and safe to log: they name
    /// what failed, never a header or body.
    pub(super) async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), String> {
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                if e.is_connect() {
                    "endpoint unreachable".to_string()
                } else {
                    "endpoint closed the connection before answering".to_string()
                }
            })?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        format!("endpoint answer larger than {MAX_BODY} bytes")
                    } else {
                        "endpoint answer cut short".to_string()
                    }
                })?
                .to_bytes();
            Ok((status, body))
        };
        match tokio::time::timeout(FETCH_TIMEOUT, exchange).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "endpoint did not answer within {} ms",
                FETCH_TIMEOUT.as_millis()
            )),
        }
    }
}

/// Checks that `url` is an absolute `https` URL with a host, or `http` to a
/// loopback address (a sidecar): over plain HTTP anyone on the path could
/// hand out signing keys or read the introspection client's secret.
pub(super) fn parse_url(what: &str, url: &str) -> Result<Uri, String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("{what} {url:?} is not a valid URL: {e}"))?;
    let Some(host) = uri.host() else {
        return Err(format!("{what} {url:?} has no host"));
    };
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if is_loopback(host) => {}
        Some("http") => {
            return Err(format!(
                "{what} {url:?} must be https (plain http only to a loopback address)"
            ));
        }
        _ => return Err(format!("{what} {url:?} must be an https URL")),
    }
    Ok(uri)
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

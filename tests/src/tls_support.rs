//! TLS helpers for end-to-end tests: a PKI generated at test time (rcgen),
//! PEM files in a temporary directory, a TLS client on hyper that reports
//! the certificate the gateway presented, and a TLS upstream that can
//! require a client certificate.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    ClientConfig, ProtocolVersion, RootCertStore, ServerConfig, SupportedProtocolVersion,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::harness::PATIENCE;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

// ----------------------------------------------------------------------- PKI

/// A certificate authority that issues server and client certificates.
#[derive(Debug)]
pub struct Ca {
    cert: rcgen::Certificate,
    issuer: Issuer<'static, KeyPair>,
}

/// An issued certificate with its private key.
#[derive(Debug)]
pub struct Leaf {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            cert,
            issuer: Issuer::new(params, key),
        }
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// A server certificate for `localhost` and `127.0.0.1`.
    pub fn server(&self, name: &str) -> Leaf {
        self.issue(name, ExtendedKeyUsagePurpose::ServerAuth, |params| {
            params
                .subject_alt_names
                .push(SanType::DnsName("localhost".try_into().unwrap()));
            params
                .subject_alt_names
                .push(SanType::IpAddress([127, 0, 0, 1].into()));
        })
    }

    /// A client certificate with `CN=name` and a URI SAN.
    pub fn client(&self, name: &str) -> Leaf {
        self.issue(name, ExtendedKeyUsagePurpose::ClientAuth, |params| {
            let uri = format!("spiffe://test/{name}");
            params
                .subject_alt_names
                .push(SanType::URI(uri.as_str().try_into().unwrap()));
        })
    }

    fn issue(
        &self,
        name: &str,
        usage: ExtendedKeyUsagePurpose,
        extra: impl FnOnce(&mut CertificateParams),
    ) -> Leaf {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![usage];
        extra(&mut params);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf { cert, key }
    }
}

impl Leaf {
    pub fn cert_pem(&self) -> String {
        self.cert.pem()
    }

    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }
}

// -------------------------------------------------------------------- files

/// A directory removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("douane-tls-{}-{n}-{label}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `name` at once (a rename), so that a poller never reads half
    /// a file; returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        let tmp = self.path(&format!(".{name}.tmp"));
        std::fs::write(&tmp, contents).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ------------------------------------------------------------------- client

/// A client config trusting `roots`, presenting `identity` if given, and
/// offering only `version` if given (else TLS 1.3 and 1.2); ALPN as given.
pub fn client_config(
    roots: &[CertificateDer<'static>],
    identity: Option<&Leaf>,
    version: Option<&'static SupportedProtocolVersion>,
    alpn: &[&[u8]],
) -> Arc<ClientConfig> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store.add(root.clone()).unwrap();
    }
    let versions: Vec<&'static SupportedProtocolVersion> = match version {
        Some(v) => vec![v],
        None => vec![&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&versions)
        .unwrap()
        .with_root_certificates(store);
    let mut config = match identity {
        Some(leaf) => builder
            .with_client_auth_cert(vec![leaf.der()], leaf.key_der())
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// An HTTP/1.1 keep-alive connection over TLS to the gateway.
#[derive(Debug)]
pub struct TlsConn {
    sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    /// The end-entity certificate the server presented.
    pub server_cert: CertificateDer<'static>,
    pub version: ProtocolVersion,
    /// The ALPN protocol agreed on, if any.
    pub alpn: Option<Vec<u8>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsConn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A response: status and body text.
pub type Answer = (u16, String);

impl TlsConn {
    /// Connects and handshakes as `localhost`; `Err` when the handshake
    /// fails. With TLS 1.3 a refused client certificate shows only on the
    /// first request (the server's alert comes after the client finished).
    pub async fn connect(addr: SocketAddr, config: Arc<ClientConfig>) -> Result<TlsConn, String> {
        let connect = async {
            let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
            let name = ServerName::try_from("localhost").unwrap();
            TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|e| format!("handshake: {e}"))
        };
        let stream = tokio::time::timeout(PATIENCE, connect)
            .await
            .map_err(|_| "handshake timed out".to_owned())??;
        let (_, session) = stream.get_ref();
        let server_cert = session.peer_certificates().unwrap()[0].clone();
        let version = session.protocol_version().unwrap();
        let alpn = session.alpn_protocol().map(<[u8]>::to_vec);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        let task = tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(TlsConn {
            sender,
            server_cert,
            version,
            alpn,
            task,
        })
    }

    /// Sends `GET path` and reads the whole answer.
    pub async fn get(&mut self, path: &str) -> Result<Answer, String> {
        let exchange = async {
            self.sender.ready().await.map_err(|e| e.to_string())?;
            let request = hyper::Request::get(path)
                .header("host", "gateway.test")
                .body(Empty::new())
                .unwrap();
            let response = self
                .sender
                .send_request(request)
                .await
                .map_err(|e| format!("request: {e}"))?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?
                .to_bytes();
            Ok((status, String::from_utf8_lossy(&body).into_owned()))
        };
        tokio::time::timeout(PATIENCE, exchange)
            .await
            .map_err(|_| "no answer within PATIENCE".to_owned())?
    }
}

/// Connects, sends `GET path`, reads the answer; `Err` on any failure.
pub async fn fetch(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    path: &str,
) -> Result<Answer, String> {
    TlsConn::connect(addr, config).await?.get(path).await
}

/// Connects offering only ALPN `h2`, sends `GET path` over HTTP/2, reads
/// the answer; `Err` on any failure.
pub async fn fetch_h2(
    addr: SocketAddr,
    roots: &[CertificateDer<'static>],
    path: &str,
) -> Result<Answer, String> {
    let exchange = async {
        let config = client_config(roots, None, None, &[b"h2"]);
        let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let name = ServerName::try_from("localhost").unwrap();
        let stream = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            TokioIo::new(stream),
        )
        .await
        .map_err(|e| e.to_string())?;
        let task = tokio::spawn(conn);
        let request = hyper::Request::get(format!("https://gateway.test{path}"))
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        task.abort();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    };
    tokio::time::timeout(PATIENCE, exchange)
        .await
        .map_err(|_| "no answer within PATIENCE".to_owned())?
}

// ----------------------------------------------------------------- upstream

/// One request received by a [`TlsUpstream`].
#[derive(Debug, Clone)]
pub struct TlsRecorded {
    pub target: String,
    /// The client certificate the gateway presented.
    pub client_cert: Option<CertificateDer<'static>>,
    pub forwarded_proto: Option<String>,
}

/// An HTTPS upstream on `127.0.0.1:0` answering `200 {"from":"tls-upstream"}`,
/// requiring a client certificate from `client_ca` when given.
#[derive(Debug)]
pub struct TlsUpstream {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<TlsRecorded>>>,
    task: tokio::task::JoinHandle<()>,
}

/// What a [`TlsUpstream`] answers.
pub const TLS_UPSTREAM_BODY: &str = r#"{"from":"tls-upstream"}"#;

impl TlsUpstream {
    pub async fn start(server: &Leaf, client_ca: Option<&Ca>) -> TlsUpstream {
        let builder = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                roots.add(ca.der()).unwrap();
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                        .build()
                        .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = builder
            .with_single_cert(vec![server.der()], server.key_der())
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(accept_tls(listener, acceptor, log.clone()));
        TlsUpstream { addr, log, task }
    }

    /// The URL to configure as the API's upstream.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<TlsRecorded> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for TlsUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_tls(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    log: Arc<Mutex<Vec<TlsRecorded>>>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let (acceptor, log) = (acceptor.clone(), log.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let client_cert = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first().cloned());
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let (log, client_cert) = (log.clone(), client_cert.clone());
                async move {
                    log.lock().unwrap().push(TlsRecorded {
                        target: request
                            .uri()
                            .path_and_query()
                            .map(|pq| pq.as_str().to_owned())
                            .unwrap_or_default(),
                        client_cert,
                        forwarded_proto: request
                            .headers()
                            .get("x-forwarded-proto")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                    });
                    let mut response = hyper::Response::new(Full::new(Bytes::from_static(
                        TLS_UPSTREAM_BODY.as_bytes(),
                    )));
                    response
                        .headers_mut()
                        .insert("content-type", "application/json".parse().unwrap());
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Writes `leaf`'s certificate and key as `NAME.pem` and `NAME.key`;
/// returns their paths.
pub fn write_leaf(dir: &TempDir, name: &str, leaf: &Leaf) -> (PathBuf, PathBuf) {
    let key = dir.write(&format!("{name}.key"), &leaf.key_pem());
    let cert = dir.write(&format!("{name}.pem"), &leaf.cert_pem());
    (cert, key)
}

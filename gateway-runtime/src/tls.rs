//! TLS, on both sides of the gateway, with rustls on the ring provider:
//! TLS 1.3 and 1.2 only, rustls's default (modern) cipher suites.
//!
//! - Listener: [`ServerTls`] holds the current rustls `ServerConfig`
//!   (certificate, key, client CA) behind a lock; [`watch`] rebuilds it on
//!   SIGHUP or when a file's modification time changes. Each handshake
//!   takes the config current at accept time, so open connections keep the
//!   certificate they were served with; a bad file is logged and the
//!   previous config is kept.
//! - Clients: a certificate verified at the handshake becomes a
//!   [`PeerCertificate`] ([`peer_certificate`]); an API's own CA bundle
//!   ([`ApiClientCa`]) re-verifies that chain after routing.
//! - Upstreams: [`upstream_client_config`] builds the rustls
//!   `ClientConfig` for an API's `https://` upstream (its CA bundle or the
//!   Mozilla roots, and an optional client certificate).
//!
//! Key material is never logged; errors name the setting and the file.

use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};

use crate::config::{ApiConfig, ClientAuth, ConfigError, TlsConfig};
use crate::connection::PeerCertificate;

/// The protocol versions offered, newest first: nothing older than 1.2.
pub const VERSIONS: &[&SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// ALPN protocols of the listener: the connection builder serves both.
const ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

/// The one crypto backend: ring, with rustls's default cipher suites.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn pem_error(setting: &str, path: &Path, reason: impl Into<String>) -> ConfigError {
    ConfigError::Pem {
        setting: setting.to_owned(),
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn read(setting: &str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| pem_error(setting, path, format!("cannot read: {e}")))
}

/// Every certificate of a PEM file, in file order; at least one.
pub fn load_certs(setting: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let bytes = read(setting, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(setting, path, format!("malformed PEM: {e}")))?;
    if certs.is_empty() {
        return Err(pem_error(setting, path, "no certificate found"));
    }
    for cert in &certs {
        // Caught here rather than at the first handshake.
        X509Certificate::from_der(cert)
            .map_err(|e| pem_error(setting, path, format!("invalid certificate: {e}")))?;
    }
    Ok(certs)
}

/// The first private key of a PEM file.
pub fn load_key(setting: &str, path: &Path) -> Result<PrivateKeyDer<'static>, ConfigError> {
    let bytes = read(setting, path)?;
    // The parser's error never quotes the key's bytes.
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        let reason = match e {
            rustls_pki_types::pem::Error::NoItemsFound => "no private key found".to_owned(),
            e => format!("malformed PEM: {e}"),
        };
        pem_error(setting, path, reason)
    })
}

/// A CA bundle as trust anchors; every certificate must be usable.
pub fn load_roots(setting: &str, path: &Path) -> Result<RootCertStore, ConfigError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(setting, path)? {
        roots
            .add(cert)
            .map_err(|e| pem_error(setting, path, format!("unusable CA certificate: {e}")))?;
    }
    Ok(roots)
}

/// The reason a key does not fit its certificate, for [`ConfigError::Pem`].
fn key_reason(error: rustls::Error, cert_setting: &str) -> String {
    match error {
        rustls::Error::InconsistentKeys(_) => {
            format!("private key does not match the certificate of {cert_setting}")
        }
        e => format!("unusable private key: {e}"),
    }
}

/// A client certificate verifier trusting the CA bundle at `path`.
fn client_verifier(
    setting: &str,
    path: &Path,
    allow_unauthenticated: bool,
) -> Result<Arc<dyn ClientCertVerifier>, ConfigError> {
    let roots = load_roots(setting, path)?;
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
    let builder = if allow_unauthenticated {
        builder.allow_unauthenticated()
    } else {
        builder
    };
    builder
        .build()
        .map_err(|e| pem_error(setting, path, format!("unusable CA bundle: {e}")))
}

// ------------------------------------------------------------------ listener

/// The listener's TLS state: the rustls config handshakes use now, and
/// what is needed to rebuild it from the files.
pub struct ServerTls {
    settings: TlsConfig,
    current: RwLock<Arc<ServerConfig>>,
    /// Modification times of the files when last looked at.
    stamps: Mutex<Vec<Option<SystemTime>>>,
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Reads and checks every file of `settings`; fails naming the file.
    pub fn load(settings: &TlsConfig) -> Result<ServerTls, ConfigError> {
        let stamps = stamps(&files(settings));
        let config = build_server_config(settings)?;
        Ok(ServerTls {
            settings: settings.clone(),
            current: RwLock::new(Arc::new(config)),
            stamps: Mutex::new(stamps),
        })
    }

    /// The config for a new handshake.
    pub fn config(&self) -> Arc<ServerConfig> {
        // A poisoned lock still holds a complete config: the swap is one
        // assignment.
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Rebuilds the config from the files; on error the current one stays.
    pub fn reload(&self) -> Result<(), ConfigError> {
        let config = build_server_config(&self.settings)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
        Ok(())
    }

    /// True when a file's modification time (or existence) changed since
    /// the last call; the times are recorded before the files are read, so
    /// a write during a reload is seen by the next call.
    pub fn files_changed(&self) -> bool {
        let now = stamps(&files(&self.settings));
        let mut last = self.stamps.lock().unwrap_or_else(|e| e.into_inner());
        if *last == now {
            return false;
        }
        *last = now;
        true
    }

    /// The interval between two looks at the files.
    pub fn reload_interval(&self) -> Duration {
        self.settings.reload_interval()
    }

    fn try_reload(&self, why: &str) {
        match self.reload() {
            Ok(()) => tracing::info!(trigger = why, "TLS certificate reloaded"),
            // The error names the file and the problem, never key bytes.
            Err(error) => tracing::warn!(
                trigger = why,
                %error,
                "TLS reload failed, keeping the previous certificate"
            ),
        }
    }
}

fn files(settings: &TlsConfig) -> Vec<PathBuf> {
    let mut files = vec![settings.cert.clone(), settings.key.clone()];
    files.extend(settings.client_ca.clone());
    files
}

fn stamps(files: &[PathBuf]) -> Vec<Option<SystemTime>> {
    files
        .iter()
        .map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok())
        .collect()
}

fn build_server_config(settings: &TlsConfig) -> Result<ServerConfig, ConfigError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .map_err(|e| ConfigError::Tls {
            message: e.to_string(),
        })?;
    let builder = match (&settings.client_ca, settings.client_auth) {
        (_, ClientAuth::None) => builder.with_no_client_auth(),
        (Some(ca), auth) => builder.with_client_cert_verifier(client_verifier(
            "tls.client_ca",
            ca,
            auth == ClientAuth::Optional,
        )?),
        (None, _) => {
            return Err(ConfigError::Tls {
                message: "tls.client_auth needs tls.client_ca".into(),
            });
        }
    };
    let chain = load_certs("tls.cert", &settings.cert)?;
    let key = load_key("tls.key", &settings.key)?;
    // Checks that the key is the certificate's (CertifiedKey::keys_match).
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| pem_error("tls.key", &settings.key, key_reason(e, "tls.cert")))?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// Reloads `tls` on SIGHUP and whenever its files change, until aborted.
pub async fn watch(tls: Arc<ServerTls>) {
    let mut tick = tokio::time::interval(tls.reload_interval());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    #[cfg(unix)]
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(error) => {
            tracing::warn!(%error, "no SIGHUP handler: TLS files are only polled");
            None
        }
    };
    loop {
        #[cfg(unix)]
        let hup = async {
            match hangup.as_mut() {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let hup = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = tick.tick() => {
                if tls.files_changed() {
                    tls.try_reload("file change");
                }
            }
            _ = hup => {
                // Files changed since the last poll need no second reload.
                let _ = tls.files_changed();
                tls.try_reload("SIGHUP");
            }
        }
    }
}

// --------------------------------------------------------- client identities

/// The [`PeerCertificate`] of a verified chain (end entity first); `None`
/// for an empty chain or an end entity x509-parser cannot read.
pub fn peer_certificate(chain: &[CertificateDer<'static>]) -> Option<PeerCertificate> {
    let end_entity = chain.first()?;
    let (_, cert) = X509Certificate::from_der(end_entity).ok()?;
    let mut subject_alt_names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(n) => subject_alt_names.push(format!("dns:{n}")),
                GeneralName::URI(u) => subject_alt_names.push(format!("uri:{u}")),
                GeneralName::RFC822Name(e) => subject_alt_names.push(format!("email:{e}")),
                GeneralName::IPAddress(bytes) => {
                    let ip = match bytes.len() {
                        4 => <[u8; 4]>::try_from(*bytes).ok().map(std::net::IpAddr::from),
                        16 => <[u8; 16]>::try_from(*bytes)
                            .ok()
                            .map(std::net::IpAddr::from),
                        _ => None,
                    };
                    if let Some(ip) = ip {
                        subject_alt_names.push(format!("ip:{ip}"));
                    }
                }
                // Other kinds name no consumer a registry could map.
                _ => {}
            }
        }
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, end_entity);
    Some(PeerCertificate {
        subject: rfc4514(cert.subject()),
        issuer: rfc4514(cert.issuer()),
        subject_alt_names,
        sha256_fingerprint: hex(digest.as_ref()),
        chain: chain.to_vec(),
    })
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A distinguished name as RFC 4514 text: last RDN first, `,` between RDNs,
/// `+` inside one, the short names of RFC 4514 §3 else the dotted OID.
/// Values that are not strings are `#` and the hex of their content.
fn rfc4514(name: &X509Name<'_>) -> String {
    let rdns: Vec<_> = name.iter_rdn().collect();
    let mut out = String::new();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, attr) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let oid = attr.attr_type().to_id_string();
            let short = match oid.as_str() {
                "2.5.4.3" => "CN",
                "2.5.4.7" => "L",
                "2.5.4.8" => "ST",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                "2.5.4.6" => "C",
                "2.5.4.9" => "STREET",
                "0.9.2342.19200300.100.1.25" => "DC",
                "0.9.2342.19200300.100.1.1" => "UID",
                other => other,
            };
            out.push_str(short);
            out.push('=');
            match attr.as_str() {
                Ok(value) => escape_value(value, &mut out),
                Err(_) => {
                    out.push('#');
                    out.push_str(&hex(attr.attr_value().data));
                }
            }
        }
    }
    out
}

/// RFC 4514 §2.4 escaping of an attribute value.
fn escape_value(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && matches!(c, ' ' | '#'))
            || (i == last && c == ' ');
        if c == '\0' {
            out.push_str("\\00");
        } else {
            if special {
                out.push('\\');
            }
            out.push(c);
        }
    }
}

/// An API's own client CA bundle (`apis.NAME.client_ca`): the `mutualTLS`
/// check after routing asks it whether the certificate the listener
/// verified also chains to this API's roots.
pub struct ApiClientCa {
    path: PathBuf,
    verifier: Arc<dyn ClientCertVerifier>,
}

impl fmt::Debug for ApiClientCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClientCa")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ApiClientCa {
    /// Reads the bundle of API `api`; fails naming the file.
    pub fn load(api: &str, path: &Path) -> Result<ApiClientCa, ConfigError> {
        let setting = format!("apis.{api}.client_ca");
        Ok(ApiClientCa {
            path: path.to_owned(),
            verifier: client_verifier(&setting, path, false)?,
        })
    }

    /// True when `cert`'s presented chain leads to one of this API's roots
    /// and is valid now for client authentication.
    pub fn verifies(&self, cert: &PeerCertificate) -> bool {
        let Some((end_entity, intermediates)) = cert.chain.split_first() else {
            return false;
        };
        self.verifier
            .verify_client_cert(end_entity, intermediates, UnixTime::now())
            .is_ok()
    }
}

// ----------------------------------------------------------------- upstreams

/// The TLS settings of an API's upstream: its CA bundle (`None`: the
/// Mozilla roots) and client certificate. APIs with equal settings share
/// one connection pool.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct UpstreamTls {
    pub ca: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

impl UpstreamTls {
    /// The upstream TLS settings of `api`.
    pub fn of(api: &ApiConfig) -> UpstreamTls {
        UpstreamTls {
            ca: api.upstream_ca.clone(),
            client_cert: api.upstream_client_cert.clone(),
            client_key: api.upstream_client_key.clone(),
        }
    }
}

/// The rustls client config for `settings`, first used by API `api` (named
/// in errors).
pub fn upstream_client_config(
    api: &str,
    settings: &UpstreamTls,
) -> Result<ClientConfig, ConfigError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)
        .map_err(|e| ConfigError::Tls {
            message: e.to_string(),
        })?;
    let builder = match &settings.ca {
        Some(ca) => {
            builder.with_root_certificates(load_roots(&format!("apis.{api}.upstream_ca"), ca)?)
        }
        None => hyper_rustls::ConfigBuilderExt::with_webpki_roots(builder),
    };
    match (&settings.client_cert, &settings.client_key) {
        (Some(cert), Some(key)) => {
            let cert_setting = format!("apis.{api}.upstream_client_cert");
            let key_setting = format!("apis.{api}.upstream_client_key");
            let chain = load_certs(&cert_setting, cert)?;
            let key_der = load_key(&key_setting, key)?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| pem_error(&key_setting, key, key_reason(e, &cert_setting)))
        }
        (None, None) => Ok(builder.with_no_client_auth()),
        _ => Err(ConfigError::Tls {
            message: format!(
                "apis.{api}: upstream_client_cert and upstream_client_key go together"
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};

    fn ca(name: &str) -> (rcgen::Certificate, Issuer<'static, KeyPair>) {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        (cert, Issuer::new(params, key))
    }

    fn client(issuer: &Issuer<'_, KeyPair>) -> rcgen::Certificate {
        let mut params = CertificateParams::new(vec!["app1.example".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "app1, \"prod\"");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Org");
        params.subject_alt_names.push(SanType::URI(
            "spiffe://example.org/app1".try_into().unwrap(),
        ));
        params
            .subject_alt_names
            .push(SanType::Rfc822Name("ops@example.org".try_into().unwrap()));
        params
            .subject_alt_names
            .push(SanType::IpAddress("10.0.0.1".parse().unwrap()));
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        params
            .signed_by(&KeyPair::generate().unwrap(), issuer)
            .unwrap()
    }

    #[test]
    fn peer_certificate_fields() {
        let (_, issuer) = ca("Test CA");
        let cert = client(&issuer);
        let der = cert.der().clone();
        let peer = peer_certificate(std::slice::from_ref(&der)).unwrap();
        assert_eq!(peer.subject, "O=Org,CN=app1\\, \\\"prod\\\"");
        assert_eq!(
            peer.subject_alt_names,
            [
                "dns:app1.example",
                "uri:spiffe://example.org/app1",
                "email:ops@example.org",
                "ip:10.0.0.1"
            ]
        );
        let expected = hex(ring::digest::digest(&ring::digest::SHA256, &der).as_ref());
        assert_eq!(peer.sha256_fingerprint, expected);
        assert_eq!(peer.sha256_fingerprint.len(), 64);
        assert!(
            peer.sha256_fingerprint
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(peer.chain, vec![der]);
        assert_eq!(peer_certificate(&[]), None);
    }

    #[test]
    fn api_client_ca_verifies_its_own_chains_only() {
        let (ca_cert, issuer) = ca("Team CA");
        let (_, other) = ca("Other CA");
        let dir = std::env::temp_dir().join(format!("douane-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("team-ca.pem");
        std::fs::write(&path, ca_cert.pem()).unwrap();
        let team = ApiClientCa::load("pets", &path).unwrap();
        let ours = peer_certificate(&[client(&issuer).der().clone()]).unwrap();
        let theirs = peer_certificate(&[client(&other).der().clone()]).unwrap();
        assert!(team.verifies(&ours));
        assert!(!team.verifies(&theirs));

        std::fs::write(&path, "not a certificate").unwrap();
        let error = ApiClientCa::load("pets", &path).unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "apis.pets.client_ca `{}`: no certificate found",
                path.display()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn rfc4514_escaping() {
        for (value, expect) in [
            ("plain", "plain"),
            (" lead", "\\ lead"),
            ("#x", "\\#x"),
            ("trail ", "trail\\ "),
            ("a+b;c<d>e\\f", "a\\+b\\;c\\<d\\>e\\\\f"),
        ] {
            let mut out = String::new();
            escape_value(value, &mut out);
            assert_eq!(out, expect, "{value:?}");
        }
    }
}

//! What the pipeline knows about the connection a request arrived on: the
//! client address and, on TLS listeners, the verified client certificate.
//! The listener fills it once per connection; authentication reads it
//! (`mutualTLS`), the upstream stage reads the address (`X-Forwarded-For`).

use std::net::IpAddr;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;

/// One accepted connection, shared by every request sent on it.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The peer's IP address.
    pub client: IpAddr,
    /// True when the connection is TLS (the request came over `https`).
    pub tls: bool,
    /// The client certificate, present only when the TLS handshake verified
    /// it against the listener's client CA bundle.
    pub peer_certificate: Option<Arc<PeerCertificate>>,
}

impl Connection {
    /// A plain-TCP connection from `client`.
    pub fn plain(client: IpAddr) -> Connection {
        Connection {
            client,
            tls: false,
            peer_certificate: None,
        }
    }
}

/// A client certificate verified during the TLS handshake, with the names a
/// consumer registry can map to a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate {
    /// Subject distinguished name, RFC 4514 string form (`CN=app1,O=Org`).
    pub subject: String,
    /// Issuer distinguished name (RFC 4514), which registry names are bound to.
    pub issuer: String,
    /// Subject alternative names, each prefixed by its kind:
    /// `dns:host.example`, `uri:spiffe://...`, `email:a@b`, `ip:10.0.0.1`.
    pub subject_alt_names: Vec<String>,
    /// SHA-256 of the DER certificate, lowercase hex without separators.
    pub sha256_fingerprint: String,
    /// The chain as presented: end entity first, then intermediates (for a
    /// per-API CA check after routing).
    pub chain: Vec<CertificateDer<'static>>,
}

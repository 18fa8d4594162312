//! TLS end to end, over real sockets, with certificates generated at test
//! time: termination (TLS 1.3 and 1.2, ALPN), client certificates (none,
//! optional, required; per-API CA), reloading the certificate while
//! connections stay open, and TLS to the upstream (custom CA, client
//! certificate).

use std::time::{Duration, Instant};

use douane_runtime::config::{ApiConfig, ClientAuth, Config, Timeouts, TlsConfig};
use douane_runtime::listener::Server;
use douane_runtime::tls::{ApiClientCa, peer_certificate};
use douane_tests::CONTRACT;
use douane_tests::harness::{
    Conn, Gateway, Req, UPSTREAM_BODY, Upstream, assert_problem, test_timeouts,
};
use douane_tests::tls_support::{
    Ca, TLS_UPSTREAM_BODY, TempDir, TlsConn, TlsUpstream, client_config, fetch, fetch_h2,
    write_leaf,
};
use rustls::ProtocolVersion;

const PATH: &str = "/shop/v1/pets";

/// Generous head timeout: keep-alive connections must outlive a reload.
fn timeouts() -> Timeouts {
    Timeouts {
        request_head_ms: 30_000,
        ..test_timeouts()
    }
}

/// Every API of the contract forwarded to `upstream`, over `tls`.
fn config(upstream: &str, tls: Option<TlsConfig>) -> Config {
    let mut config = Config {
        timeouts: timeouts(),
        tls,
        ..Config::default()
    };
    for api in CONTRACT.apis {
        config
            .apis
            .insert(api.name.to_owned(), ApiConfig::upstream(upstream));
    }
    config
}

/// A CA, a server certificate from it in `dir`, and the `[tls]` settings.
fn server_tls(dir: &TempDir, ca: &Ca) -> TlsConfig {
    let (cert, key) = write_leaf(dir, "server", &ca.server("gateway A"));
    TlsConfig::new(cert, key)
}

#[tokio::test]
async fn https_forwarded_with_tls13_and_tls12() {
    let dir = TempDir::new("versions");
    let ca = Ca::new("Server CA");
    let upstream = Upstream::start().await;
    let gateway = Gateway::start_config(config(&upstream.url(), Some(server_tls(&dir, &ca)))).await;
    for (version, expect) in [
        (&rustls::version::TLS13, ProtocolVersion::TLSv1_3),
        (&rustls::version::TLS12, ProtocolVersion::TLSv1_2),
    ] {
        let cfg = client_config(&[ca.der()], None, Some(version), &[b"http/1.1"]);
        let mut conn = TlsConn::connect(gateway.addr(), cfg).await.unwrap();
        assert_eq!(conn.version, expect);
        assert_eq!(conn.alpn.as_deref(), Some(&b"http/1.1"[..]));
        assert_eq!(conn.get(PATH).await.unwrap(), (200, UPSTREAM_BODY.into()));
    }
    let got = upstream.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].target, PATH);
    assert_eq!(got[0].header("x-forwarded-proto"), Some("https"));
    // A client offering h2 first gets it, and is served over HTTP/2.
    let cfg = client_config(&[ca.der()], None, None, &[b"h2", b"http/1.1"]);
    let conn = TlsConn::connect(gateway.addr(), cfg).await.unwrap();
    assert_eq!(conn.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(
        fetch_h2(gateway.addr(), &[ca.der()], PATH).await,
        Ok((200, UPSTREAM_BODY.into()))
    );
    assert_eq!(upstream.count(), 3);
    gateway.shutdown().await;
}

#[tokio::test]
async fn plain_http_on_a_tls_port_gets_no_http_answer() {
    let dir = TempDir::new("plain");
    let ca = Ca::new("Server CA");
    let upstream = Upstream::start().await;
    let gateway = Gateway::start_config(config(&upstream.url(), Some(server_tls(&dir, &ca)))).await;
    let mut conn = Conn::open(gateway.addr()).await;
    conn.write(&Req::get(PATH).to_bytes()).await;
    let got = conn.read_to_close().await;
    assert!(
        !got.starts_with(b"HTTP/"),
        "answered in clear: {:?}",
        String::from_utf8_lossy(&got)
    );
    assert_eq!(upstream.count(), 0);
}

#[tokio::test]
async fn client_certificates_required_and_optional() {
    let dir = TempDir::new("mtls");
    let server_ca = Ca::new("Server CA");
    let client_ca = Ca::new("Client CA");
    let rogue_ca = Ca::new("Rogue CA");
    let trusted = client_ca.client("app1");
    let untrusted = rogue_ca.client("app1");
    let ca_path = dir.write("clients.pem", &client_ca.pem());
    let upstream = Upstream::start().await;
    let roots = [server_ca.der()];

    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let mut tls = server_tls(&dir, &server_ca);
        tls.client_ca = Some(ca_path.clone());
        tls.client_auth = ClientAuth::Required;
        let gateway = Gateway::start_config(config(&upstream.url(), Some(tls))).await;
        let addr = gateway.addr();
        let before = upstream.count();
        let none = fetch(addr, client_config(&roots, None, Some(version), &[]), PATH).await;
        assert!(
            none.is_err(),
            "{version:?}: no certificate served: {none:?}"
        );
        let rogue = client_config(&roots, Some(&untrusted), Some(version), &[]);
        let rogue = fetch(addr, rogue, PATH).await;
        assert!(
            rogue.is_err(),
            "{version:?}: untrusted CA served: {rogue:?}"
        );
        assert_eq!(
            upstream.count(),
            before,
            "{version:?}: a refused client got through"
        );
        let good = client_config(&roots, Some(&trusted), Some(version), &[]);
        assert_eq!(
            fetch(addr, good, PATH).await,
            Ok((200, UPSTREAM_BODY.into())),
            "{version:?}"
        );
        assert_eq!(upstream.count(), before + 1);
        gateway.shutdown().await;
    }

    let mut tls = server_tls(&dir, &server_ca);
    tls.client_ca = Some(ca_path.clone());
    tls.client_auth = ClientAuth::Optional;
    let gateway = Gateway::start_config(config(&upstream.url(), Some(tls))).await;
    let addr = gateway.addr();
    let anonymous = fetch(addr, client_config(&roots, None, None, &[]), PATH).await;
    assert_eq!(anonymous, Ok((200, UPSTREAM_BODY.into())));
    let good = client_config(&roots, Some(&trusted), None, &[]);
    assert_eq!(
        fetch(addr, good, PATH).await,
        Ok((200, UPSTREAM_BODY.into()))
    );
    // Optional means "may be absent", not "may be anyone's".
    let rogue = fetch(
        addr,
        client_config(&roots, Some(&untrusted), None, &[]),
        PATH,
    )
    .await;
    assert!(rogue.is_err(), "untrusted CA served: {rogue:?}");
    gateway.shutdown().await;
}

#[tokio::test]
async fn per_api_client_ca() {
    let dir = TempDir::new("api-ca");
    let server_ca = Ca::new("Server CA");
    let team_ca = Ca::new("Team CA");
    let other_ca = Ca::new("Other CA");
    let mut tls = server_tls(&dir, &server_ca);
    tls.client_ca = Some(dir.write("all-clients.pem", &(team_ca.pem() + &other_ca.pem())));
    tls.client_auth = ClientAuth::Optional;
    let _ = tls;
    // The pipeline's mutualTLS check asks this (see tests/tests/auth.rs).
    let shop_ca = ApiClientCa::load("shop", &dir.write("team.pem", &team_ca.pem())).unwrap();
    let ours = peer_certificate(&[team_ca.client("app1").der()]).unwrap();
    let theirs = peer_certificate(&[other_ca.client("app1").der()]).unwrap();
    assert!(shop_ca.verifies(&ours));
    assert!(!shop_ca.verifies(&theirs));
    assert_eq!(ours.subject, "CN=app1");
    assert_eq!(ours.subject_alt_names, ["uri:spiffe://test/app1"]);
}

/// Opens connections until one presents `want`; false after 10 s.
async fn eventually_serves(addr: std::net::SocketAddr, ca: &Ca, want: &[u8]) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        let cfg = client_config(&[ca.der()], None, None, &[]);
        if let Ok(conn) = TlsConn::connect(addr, cfg).await {
            if conn.server_cert.as_ref() == want {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn certificate_reload_keeps_open_connections() {
    let dir = TempDir::new("reload");
    let ca = Ca::new("Server CA");
    let (a, b, c) = (ca.server("A"), ca.server("B"), ca.server("C"));
    let (cert, key) = write_leaf(&dir, "server", &a);
    let mut tls = TlsConfig::new(cert, key);
    tls.reload_interval_ms = 50;
    let upstream = Upstream::start().await;
    let gateway = Gateway::start_config(config(&upstream.url(), Some(tls))).await;
    let addr = gateway.addr();
    let cfg = client_config(&[ca.der()], None, None, &[]);

    let mut old = TlsConn::connect(addr, cfg.clone()).await.unwrap();
    assert_eq!(old.server_cert, a.der());
    assert_eq!(old.get(PATH).await.unwrap().0, 200);

    write_leaf(&dir, "server", &b);
    assert!(
        eventually_serves(addr, &ca, b.der().as_ref()).await,
        "certificate B never served"
    );
    // The connection opened before the reload is still served.
    assert_eq!(old.get(PATH).await.unwrap(), (200, UPSTREAM_BODY.into()));

    // A broken certificate file is refused; B stays in service.
    dir.write("server.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let conn = TlsConn::connect(addr, cfg.clone()).await.unwrap();
    assert_eq!(conn.server_cert, b.der());
    // A key that does not match the certificate is refused too.
    dir.write("server.pem", &b.cert_pem());
    dir.write("server.key", &c.key_pem());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut conn = TlsConn::connect(addr, cfg.clone()).await.unwrap();
    assert_eq!(conn.server_cert, b.der());
    assert_eq!(conn.get(PATH).await.unwrap().0, 200);

    // The watcher survived the failures: a good pair is picked up.
    write_leaf(&dir, "server", &c);
    assert!(
        eventually_serves(addr, &ca, c.der().as_ref()).await,
        "certificate C never served"
    );
    assert_eq!(old.get(PATH).await.unwrap().0, 200);
    gateway.shutdown().await;
}

#[tokio::test]
async fn startup_errors_name_the_file() {
    let dir = TempDir::new("startup");
    let ca = Ca::new("Server CA");
    let other = ca.server("other");
    let good = server_tls(&dir, &ca);
    let start = |tls: TlsConfig| async move {
        let mut config = config("mock", Some(tls));
        config.listen = "127.0.0.1:0".parse().unwrap();
        Server::start(&CONTRACT, config)
            .await
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };

    let missing = dir.path("missing.pem");
    let error = start(TlsConfig::new(&missing, &good.key)).await;
    assert!(
        error.starts_with(&format!("tls.cert `{}`: cannot read: ", missing.display())),
        "{error}"
    );

    let empty = dir.write("empty.pem", "no PEM here\n");
    let error = start(TlsConfig::new(&empty, &good.key)).await;
    assert_eq!(
        error,
        format!("tls.cert `{}`: no certificate found", empty.display())
    );

    let error = start(TlsConfig::new(&good.cert, &empty)).await;
    assert_eq!(
        error,
        format!("tls.key `{}`: no private key found", empty.display())
    );

    let (_, other_key) = write_leaf(&dir, "other", &other);
    let error = start(TlsConfig::new(&good.cert, &other_key)).await;
    assert_eq!(
        error,
        format!(
            "tls.key `{}`: private key does not match the certificate of tls.cert",
            other_key.display()
        )
    );

    let mut tls = good.clone();
    tls.client_ca = Some(empty.clone());
    tls.client_auth = ClientAuth::Required;
    let error = start(tls).await;
    assert_eq!(
        error,
        format!("tls.client_ca `{}`: no certificate found", empty.display())
    );

    let mut config = config("https://127.0.0.1:1", None);
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.apis.get_mut("shop").unwrap().upstream_ca = Some(missing.clone());
    let error = Server::start(&CONTRACT, config)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!(
            "apis.shop.upstream_ca `{}`: cannot read: ",
            missing.display()
        )),
        "{error}"
    );
}

#[tokio::test]
async fn upstream_over_tls_with_custom_ca_and_client_certificate() {
    let dir = TempDir::new("upstream");
    let upstream_ca = Ca::new("Upstream CA");
    let gateway_id_ca = Ca::new("Gateway identity CA");
    let upstream =
        TlsUpstream::start(&upstream_ca.server("backoffice"), Some(&gateway_id_ca)).await;
    let (client_cert, client_key) = write_leaf(&dir, "gateway-id", &gateway_id_ca.client("douane"));
    let ca_path = dir.write("upstream-ca.pem", &upstream_ca.pem());

    let mut cfg = config(&upstream.url(), None);
    for api in cfg.apis.values_mut() {
        api.upstream_ca = Some(ca_path.clone());
        api.upstream_client_cert = Some(client_cert.clone());
        api.upstream_client_key = Some(client_key.clone());
    }
    let gateway = Gateway::start_config(cfg).await;
    let resp = gateway.send(&Req::get(PATH)).await;
    assert_eq!(
        (resp.status, resp.body_str()),
        (200, TLS_UPSTREAM_BODY),
        "{resp}"
    );
    let got = upstream.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].target, PATH);
    assert!(
        got[0].client_cert.is_some(),
        "no client certificate reached the upstream"
    );
    assert_eq!(got[0].forwarded_proto.as_deref(), Some("http"));
    gateway.shutdown().await;

    // The upstream's certificate is not from the configured CA: 502.
    let wrong_ca = dir.write("wrong-ca.pem", &Ca::new("Wrong CA").pem());
    let mut cfg = config(&upstream.url(), None);
    for api in cfg.apis.values_mut() {
        api.upstream_ca = Some(wrong_ca.clone());
        api.upstream_client_cert = Some(client_cert.clone());
        api.upstream_client_key = Some(client_key.clone());
    }
    let gateway = Gateway::start_config(cfg).await;
    let resp = gateway.send(&Req::get(PATH)).await;
    let problem = assert_problem(&resp, 502, "wrong upstream CA");
    assert_eq!(problem["detail"], "TLS handshake with the upstream failed");
    assert_eq!(upstream.requests().len(), 1, "request reached the upstream");
    gateway.shutdown().await;
}

//! Tokens signed at test time with keys generated at test time (ES256,
//! Ed25519) or committed as test-only (RSA, `../testdata/`), verified
//! against JWKS and introspection endpoints served by a real HTTP server.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use serde_json::{Value, json};
use tokio_rustls::TlsAcceptor;

use super::*;

const ISSUER: &str = "https://idp.example.test";
const AUDIENCE: &str = "douane";
const SECRET_ENV: &str = "TEST_IDP_CLIENT_SECRET";
const SECRET: &str = "s3cret:with space&more";

/// Test-only RSA key pair, generated with
/// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`.
const RSA_PRIVATE_PEM: &[u8] = include_bytes!("../testdata/test_only_rsa_private_key.pem");
const RSA_PUBLIC_PEM: &[u8] = include_bytes!("../testdata/test_only_rsa_public_key.pem");

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn pem_body(pem: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(pem).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

fn now() -> u64 {
    now_secs()
}

/// A private key able to sign tokens, and its public JWK.
struct Signer {
    kid: String,
    alg: Algorithm,
    key: EncodingKey,
    jwk: Value,
}

impl Signer {
    fn rsa(kid: &str, alg: Algorithm) -> Signer {
        let pair = ring::rsa::KeyPair::from_pkcs8(&pem_body(RSA_PRIVATE_PEM)).unwrap();
        let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
        Signer {
            kid: kid.to_string(),
            alg,
            key: EncodingKey::from_rsa_pem(RSA_PRIVATE_PEM).unwrap(),
            jwk: json!({"kty": "RSA", "kid": kid, "use": "sig", "n": b64(&public.n), "e": b64(&public.e)}),
        }
    }

    fn es256(kid: &str) -> Signer {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        // Uncompressed point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        Signer {
            kid: kid.to_string(),
            alg: Algorithm::ES256,
            key: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256",
                        "x": b64(&point[1..33]), "y": b64(&point[33..65])}),
        }
    }

    fn ed25519(kid: &str) -> Signer {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        Signer {
            kid: kid.to_string(),
            alg: Algorithm::EdDSA,
            key: EncodingKey::from_ed_der(pkcs8.as_ref()),
            jwk: json!({"kty": "OKP", "crv": "Ed25519", "kid": kid,
                        "x": b64(pair.public_key().as_ref())}),
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }
}

fn jwks(signers: &[&Signer]) -> Value {
    json!({"keys": signers.iter().map(|s| s.jwk.clone()).collect::<Vec<_>>()})
}

fn claims() -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "client_id": "app",
           "exp": now() + 600, "scope": "pets:read pets:write"})
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

fn without(mut claims: Value, name: &str) -> Value {
    claims.as_object_mut().unwrap().remove(name);
    claims
}

/// A JWT from hand-written header and claims, with `signature` as is.
fn raw_token(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

fn env(name: &str) -> Option<String> {
    (name == SECRET_ENV).then(|| SECRET.to_string())
}

/// A stand-in IdP: a JWKS at `/jwks`, RFC 7662 at `/introspect`; counts
/// what it receives.
#[derive(Default)]
struct Idp {
    jwks: Mutex<Value>,
    jwks_hits: AtomicUsize,
    introspection_hits: AtomicUsize,
    /// Introspection answers by token; unknown tokens are inactive.
    answers: Mutex<HashMap<String, Value>>,
    /// The last introspection request's Authorization header and body.
    last_request: Mutex<Option<(String, String)>>,
}

impl Idp {
    fn new(jwks: Value) -> Arc<Idp> {
        Arc::new(Idp {
            jwks: Mutex::new(jwks),
            ..Idp::default()
        })
    }

    fn set_jwks(&self, jwks: Value) {
        *self.jwks.lock().unwrap() = jwks;
    }

    fn answer_for(&self, token: &str, answer: Value) {
        self.answers
            .lock()
            .unwrap()
            .insert(token.to_string(), answer);
    }

    fn jwks_hits(&self) -> usize {
        self.jwks_hits.load(Ordering::SeqCst)
    }

    fn introspection_hits(&self) -> usize {
        self.introspection_hits.load(Ordering::SeqCst)
    }

    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let ok = |body: &Value| {
            Response::builder()
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body.to_string())))
                .unwrap()
        };
        match request.uri().path() {
            "/jwks" => {
                self.jwks_hits.fetch_add(1, Ordering::SeqCst);
                let jwks = self.jwks.lock().unwrap().clone();
                ok(&jwks)
            }
            "/introspect" => {
                self.introspection_hits.fetch_add(1, Ordering::SeqCst);
                let authorization = request
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default();
                let body = request.into_body().collect().await.unwrap().to_bytes();
                let body = String::from_utf8(body.to_vec()).unwrap();
                let token = body
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("token="))
                    .map(|t| percent_encoding::percent_decode_str(t).decode_utf8_lossy())
                    .unwrap_or_default()
                    .to_string();
                *self.last_request.lock().unwrap() = Some((authorization, body));
                let answer = self.answers.lock().unwrap().get(&token).cloned();
                ok(&answer.unwrap_or_else(|| json!({"active": false})))
            }
            _ => Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body(Full::new(Bytes::new()))
                .unwrap(),
        }
    }

    /// Serves on 127.0.0.1:0 until the test's runtime ends.
    async fn serve(self: &Arc<Idp>) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        self.serve_on(listener, None);
        addr
    }

    /// Serves plain HTTP, or HTTPS through `tls`, on `listener`.
    fn serve_on(self: &Arc<Idp>, listener: tokio::net::TcpListener, tls: Option<TlsAcceptor>) {
        let idp = Arc::clone(self);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (idp, tls) = (Arc::clone(&idp), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        Some(tls) => {
                            if let Ok(stream) = tls.accept(stream).await {
                                idp.serve_connection(stream).await;
                            }
                        }
                        None => idp.serve_connection(stream).await,
                    }
                });
            }
        });
    }

    async fn serve_connection<S>(self: Arc<Idp>, stream: S)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let service = hyper::service::service_fn(move |request| {
            let idp = Arc::clone(&self);
            async move { Ok::<_, Infallible>(idp.handle(request).await) }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .await;
    }
}

/// An address nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn url_config(addr: SocketAddr) -> TokenConfig {
    TokenConfig::with_jwks_url(ISSUER, AUDIENCE, &format!("http://{addr}/jwks"))
}

fn introspection_config(addr: SocketAddr) -> TokenConfig {
    TokenConfig {
        jwks_url: None,
        introspection: Some(IntrospectionConfig {
            url: format!("http://{addr}/introspect"),
            client_id: "douane gw".to_string(),
            client_secret_env: SECRET_ENV.to_string(),
            cache_ms: default_cache_ms(),
            cache_entries: default_cache_entries(),
        }),
        ..url_config(addr)
    }
}

async fn verifier(config: &TokenConfig) -> TokenVerifier {
    TokenVerifier::with_env("oauth", config, env).await.unwrap()
}

/// A verifier trusting `signers`, served over HTTP.
async fn served(signers: &[&Signer]) -> (Arc<Idp>, TokenVerifier) {
    let idp = Idp::new(jwks(signers));
    let addr = idp.serve().await;
    let verifier = verifier(&url_config(addr)).await;
    (idp, verifier)
}

// --- algorithms -----------------------------------------------------------

#[tokio::test]
async fn a_valid_rs256_token_is_accepted_with_its_claims() {
    let rsa = Signer::rsa("rsa-1", Algorithm::RS256);
    let (idp, verifier) = served(&[&rsa]).await;
    let claims = claims();
    let verified = verifier.verify(&rsa.sign(&claims)).await.unwrap();
    assert_eq!(
        verified,
        Claims {
            subject: Some("alice".into()),
            client_id: Some("app".into()),
            scopes: vec!["pets:read".into(), "pets:write".into()],
            expires_at: claims["exp"].as_u64(),
        }
    );
    assert_eq!(
        idp.jwks_hits(),
        1,
        "fetched once at start-up, not per token"
    );
}

#[tokio::test]
async fn a_valid_ps256_token_is_accepted() {
    let rsa = Signer::rsa("rsa-1", Algorithm::PS256);
    let (_idp, verifier) = served(&[&rsa]).await;
    assert!(verifier.verify(&rsa.sign(&claims())).await.is_ok());
}

#[tokio::test]
async fn a_valid_es256_token_is_accepted() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    assert!(verifier.verify(&ec.sign(&claims())).await.is_ok());
}

#[tokio::test]
async fn a_valid_eddsa_token_is_accepted() {
    let ed = Signer::ed25519("ed-1");
    let (_idp, verifier) = served(&[&ed]).await;
    assert!(verifier.verify(&ed.sign(&claims())).await.is_ok());
}

#[tokio::test]
async fn each_key_of_a_mixed_set_verifies_its_own_tokens() {
    let (rsa, ec, ed) = (
        Signer::rsa("rsa-1", Algorithm::RS256),
        Signer::es256("ec-1"),
        Signer::ed25519("ed-1"),
    );
    let (_idp, verifier) = served(&[&rsa, &ec, &ed]).await;
    for signer in [&rsa, &ec, &ed] {
        assert!(verifier.verify(&signer.sign(&claims())).await.is_ok());
    }
}

#[tokio::test]
async fn an_alg_none_token_is_refused() {
    let rsa = Signer::rsa("rsa-1", Algorithm::RS256);
    let (_idp, verifier) = served(&[&rsa]).await;
    // The unsecured form ends with the dot (`header.payload.`); some
    // attackers add a signature anyway.
    for signature in [&b""[..], b"x"] {
        let token = raw_token(
            &json!({"alg": "none", "kid": "rsa-1"}),
            &claims(),
            signature,
        );
        assert_eq!(
            verifier.verify(&token).await,
            Err(TokenError::Algorithm("none".into()))
        );
    }
}

#[tokio::test]
async fn an_hs256_token_signed_with_the_rsa_public_key_as_secret_is_refused() {
    let rsa = Signer::rsa("rsa-1", Algorithm::RS256);
    let (_idp, verifier) = served(&[&rsa]).await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    // The classic confusion: the public key (PEM, DER or JWK modulus) as an
    // HMAC secret, hoping the verifier feeds its key bytes to HMAC.
    let secrets = [
        RSA_PUBLIC_PEM.to_vec(),
        pem_body(RSA_PUBLIC_PEM),
        URL_SAFE_NO_PAD
            .decode(rsa.jwk["n"].as_str().unwrap())
            .unwrap(),
    ];
    for secret in secrets {
        let token =
            jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(&secret)).unwrap();
        assert_eq!(
            verifier.verify(&token).await,
            Err(TokenError::Algorithm("HS256".into()))
        );
    }
}

#[tokio::test]
async fn an_es256_header_naming_an_rsa_key_is_refused() {
    let rsa = Signer::rsa("rsa-1", Algorithm::RS256);
    let ec = Signer::es256("rsa-1");
    let (_idp, verifier) = served(&[&rsa]).await;
    assert_eq!(
        verifier.verify(&ec.sign(&claims())).await,
        Err(TokenError::Algorithm("ES256".into()))
    );
}

#[tokio::test]
async fn the_jwk_alg_pins_the_algorithm_of_its_key() {
    let mut rsa = Signer::rsa("rsa-1", Algorithm::PS256);
    rsa.jwk["alg"] = json!("RS256");
    let (_idp, verifier) = served(&[&rsa]).await;
    assert_eq!(
        verifier.verify(&rsa.sign(&claims())).await,
        Err(TokenError::Algorithm("PS256".into()))
    );
}

#[tokio::test]
async fn an_algorithm_left_out_of_the_config_is_refused() {
    let ed = Signer::ed25519("ed-1");
    let idp = Idp::new(jwks(&[&ed]));
    let addr = idp.serve().await;
    let config = TokenConfig {
        algorithms: vec!["RS256".into()],
        ..url_config(addr)
    };
    let verifier = verifier(&config).await;
    assert_eq!(
        verifier.verify(&ed.sign(&claims())).await,
        Err(TokenError::Algorithm("EdDSA".into()))
    );
}

#[tokio::test]
async fn a_token_without_kid_uses_the_single_key_of_its_type() {
    let (rsa, ec) = (
        Signer::rsa("rsa-1", Algorithm::RS256),
        Signer::es256("ec-1"),
    );
    let (_idp, verifier) = served(&[&rsa, &ec]).await;
    let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims(), &ec.key).unwrap();
    assert!(verifier.verify(&token).await.is_ok());
}

// --- signatures -------------------------------------------------------------

#[tokio::test]
async fn a_tampered_payload_is_refused_as_a_bad_signature() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    let token = ec.sign(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let forged = b64(with(claims(), "sub", json!("mallory"))
        .to_string()
        .as_bytes());
    let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
    assert_eq!(
        verifier.verify(&tampered).await,
        Err(TokenError::BadSignature)
    );
}

#[tokio::test]
async fn a_token_signed_by_a_key_of_another_jwks_is_refused() {
    let ours = Signer::es256("ec-1");
    let theirs_same_kid = Signer::es256("ec-1");
    let theirs = Signer::ed25519("ed-elsewhere");
    let (_idp, verifier) = served(&[&ours]).await;
    assert_eq!(
        verifier.verify(&theirs_same_kid.sign(&claims())).await,
        Err(TokenError::BadSignature)
    );
    assert_eq!(
        verifier.verify(&theirs.sign(&claims())).await,
        Err(TokenError::UnknownKey)
    );
}

#[tokio::test]
async fn garbage_is_malformed() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    let token = ec.sign(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    for garbage in [
        String::new(),
        "opaque-token".into(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{}.%%%.{}", parts[0], parts[2]),
        ec.sign(&json!("a payload that is not an object")),
        format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
        "x".repeat(MAX_TOKEN_LEN + 1),
    ] {
        assert_eq!(
            verifier.verify(&garbage).await,
            Err(TokenError::Malformed),
            "{garbage:.40}"
        );
    }
}

// --- claims ---------------------------------------------------------------

#[tokio::test]
async fn an_expired_token_is_refused() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    let token = ec.sign(&with(claims(), "exp", json!(now() - 120)));
    assert_eq!(verifier.verify(&token).await, Err(TokenError::Expired));
}

#[tokio::test]
async fn a_token_expired_within_the_leeway_is_accepted() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    let token = ec.sign(&with(claims(), "exp", json!(now() - 10)));
    assert!(verifier.verify(&token).await.is_ok());
}

#[tokio::test]
async fn a_token_whose_nbf_is_ahead_is_refused() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    let token = ec.sign(&with(claims(), "nbf", json!(now() + 120)));
    assert_eq!(verifier.verify(&token).await, Err(TokenError::NotYetValid));
    let token = ec.sign(&with(claims(), "nbf", json!(now() + 10)));
    assert!(verifier.verify(&token).await.is_ok(), "within the leeway");
}

#[tokio::test]
async fn a_token_without_exp_is_refused_as_malformed() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    for claims in [
        without(claims(), "exp"),
        with(claims(), "exp", json!("soon")),
    ] {
        assert_eq!(
            verifier.verify(&ec.sign(&claims)).await,
            Err(TokenError::Malformed)
        );
    }
}

#[tokio::test]
async fn a_wrong_or_missing_issuer_is_refused() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    for claims in [
        with(claims(), "iss", json!("https://evil.example.test")),
        with(claims(), "iss", json!(format!("{ISSUER}/"))),
        with(
            claims(),
            "iss",
            json!([ISSUER, "https://evil.example.test"]),
        ),
        without(claims(), "iss"),
    ] {
        assert_eq!(
            verifier.verify(&ec.sign(&claims)).await,
            Err(TokenError::WrongIssuer)
        );
    }
}

#[tokio::test]
async fn a_wrong_or_missing_audience_is_refused() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    for claims in [
        with(claims(), "aud", json!("someone-else")),
        with(claims(), "aud", json!(["someone-else", "another"])),
        without(claims(), "aud"),
    ] {
        assert_eq!(
            verifier.verify(&ec.sign(&claims)).await,
            Err(TokenError::WrongAudience)
        );
    }
}

#[tokio::test]
async fn an_audience_array_containing_ours_is_accepted() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    let token = ec.sign(&with(claims(), "aud", json!(["someone-else", AUDIENCE])));
    assert!(verifier.verify(&token).await.is_ok());
}

#[tokio::test]
async fn a_scope_string_and_an_scp_array_are_merged() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    let claims = with(claims(), "scp", json!(["pets:write", "admin"]));
    let claims = without(with(claims, "azp", json!("spa")), "client_id");
    let verified = verifier.verify(&ec.sign(&claims)).await.unwrap();
    assert_eq!(verified.scopes, ["pets:read", "pets:write", "admin"]);
    assert_eq!(verified.client_id.as_deref(), Some("spa"), "azp stands in");
    let claims = with(without(claims, "scope"), "scp", json!("a  b"));
    let verified = verifier.verify(&ec.sign(&claims)).await.unwrap();
    assert_eq!(verified.scopes, ["a", "b"]);
}

// --- JWKS refresh -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kids_cause_one_jwks_fetch_per_interval_however_many_arrive() {
    let ec = Signer::es256("ec-1");
    let stranger = Signer::es256("not-published");
    let idp = Idp::new(jwks(&[&ec]));
    let addr = idp.serve().await;
    let config = TokenConfig {
        unknown_kid_refresh_ms: 300,
        ..url_config(addr)
    };
    let verifier = Arc::new(verifier(&config).await);
    assert_eq!(idp.jwks_hits(), 1);
    tokio::time::sleep(Duration::from_millis(350)).await;

    let token = stranger.sign(&claims());
    let concurrent: Vec<_> = (0..50)
        .map(|_| {
            let (verifier, token) = (Arc::clone(&verifier), token.clone());
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    for task in concurrent {
        assert_eq!(task.await.unwrap(), Err(TokenError::UnknownKey));
    }
    for _ in 0..50 {
        assert_eq!(verifier.verify(&token).await, Err(TokenError::UnknownKey));
    }
    assert_eq!(idp.jwks_hits(), 2, "one refresh for 100 misses");

    // The next interval allows one more.
    tokio::time::sleep(Duration::from_millis(350)).await;
    for _ in 0..10 {
        assert_eq!(verifier.verify(&token).await, Err(TokenError::UnknownKey));
    }
    assert_eq!(idp.jwks_hits(), 3);
}

#[tokio::test]
async fn a_rotated_key_is_accepted_once_the_jwks_url_publishes_it() {
    let old = Signer::rsa("2024", Algorithm::RS256);
    let new = Signer::es256("2025");
    let idp = Idp::new(jwks(&[&old]));
    let addr = idp.serve().await;
    let config = TokenConfig {
        unknown_kid_refresh_ms: 100,
        ..url_config(addr)
    };
    let verifier = verifier(&config).await;
    idp.set_jwks(jwks(&[&old, &new]));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(verifier.verify(&new.sign(&claims())).await.is_ok());
    assert!(verifier.verify(&old.sign(&claims())).await.is_ok());
    assert_eq!(idp.jwks_hits(), 2);
}

#[tokio::test]
async fn a_stale_jwks_is_refreshed_in_the_background_while_tokens_verify() {
    let ec = Signer::es256("ec-1");
    let idp = Idp::new(jwks(&[&ec]));
    let addr = idp.serve().await;
    let config = TokenConfig {
        jwks_refresh_ms: 100,
        ..url_config(addr)
    };
    let verifier = verifier(&config).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    for _ in 0..20 {
        assert!(verifier.verify(&ec.sign(&claims())).await.is_ok());
    }
    for _ in 0..100 {
        if idp.jwks_hits() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(idp.jwks_hits(), 2, "one background refresh for 20 tokens");
}

#[tokio::test]
async fn an_unreachable_jwks_url_does_not_stop_start_up_but_fails_closed() {
    let ec = Signer::es256("ec-1");
    let verifier = verifier(&url_config(closed_port().await)).await;
    assert!(matches!(
        verifier.verify(&ec.sign(&claims())).await,
        Err(TokenError::Unavailable(_))
    ));
}

#[tokio::test]
async fn the_jwks_is_fetched_on_first_use_once_the_idp_is_up() {
    let ec = Signer::es256("ec-1");
    // Reserve a port, start the verifier while nothing listens there, then
    // serve on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let verifier = verifier(&url_config(addr)).await;
    let idp = Idp::new(jwks(&[&ec]));
    idp.serve_on(tokio::net::TcpListener::bind(addr).await.unwrap(), None);
    tokio::time::sleep(jwks::RETRY_WHEN_EMPTY).await;
    assert!(verifier.verify(&ec.sign(&claims())).await.is_ok());
    assert_eq!(idp.jwks_hits(), 1);
}

struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("douane-token-test-{}-{name}", std::process::id()));
        TempFile(path)
    }

    fn write(&self, contents: &Value, mtime: SystemTime) {
        std::fs::write(&self.0, contents.to_string()).unwrap();
        let file = std::fs::File::options().write(true).open(&self.0).unwrap();
        file.set_modified(mtime).unwrap();
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn a_jwks_file_is_read_again_when_its_mtime_changes() {
    let old = Signer::ed25519("old");
    let new = Signer::es256("new");
    let file = TempFile::new("reload.json");
    let start = SystemTime::now() - Duration::from_secs(60);
    file.write(&jwks(&[&old]), start);
    let config = TokenConfig {
        jwks_url: None,
        jwks_file: Some(file.0.to_string_lossy().into_owned()),
        jwks_refresh_ms: 100,
        ..url_config(closed_port().await)
    };
    let verifier = verifier(&config).await;
    assert!(verifier.verify(&old.sign(&claims())).await.is_ok());
    // Same content written again, mtime unchanged: not reloaded (the new
    // key would be found otherwise).
    file.write(&jwks(&[&new]), start);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(verifier.verify(&old.sign(&claims())).await.is_ok());
    // Now with a new mtime.
    file.write(&jwks(&[&new]), start + Duration::from_secs(30));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(verifier.verify(&new.sign(&claims())).await.is_ok());
}

#[tokio::test]
async fn an_unreadable_or_unusable_jwks_file_fails_start_up() {
    let file = TempFile::new("bad.json");
    let config = TokenConfig {
        jwks_url: None,
        jwks_file: Some(file.0.to_string_lossy().into_owned()),
        ..url_config(closed_port().await)
    };
    let error = TokenVerifier::with_env("oauth", &config, env)
        .await
        .unwrap_err();
    assert!(
        error.starts_with("security scheme oauth: jwks_file"),
        "{error}"
    );
    // Only a symmetric key: nothing usable.
    file.write(
        &json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}),
        SystemTime::now(),
    );
    let error = TokenVerifier::with_env("oauth", &config, env)
        .await
        .unwrap_err();
    assert!(
        error.contains("no usable signature verification key"),
        "{error}"
    );
}

#[tokio::test]
async fn a_jwks_is_fetched_over_https_trusting_the_ca_file() {
    let ec = Signer::es256("ec-1");
    let idp = Idp::new(jwks(&[&ec]));
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let ca = TempFile::new("ca.pem");
    std::fs::write(&ca.0, certified.cert.pem()).unwrap();
    let key = rustls_pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key.into())
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    idp.serve_on(listener, Some(TlsAcceptor::from(Arc::new(server))));

    let config = TokenConfig {
        ca_file: Some(ca.0.to_string_lossy().into_owned()),
        ..TokenConfig::with_jwks_url(ISSUER, AUDIENCE, &format!("https://{addr}/jwks"))
    };
    let trusting = verifier(&config).await;
    assert!(trusting.verify(&ec.sign(&claims())).await.is_ok());
    assert_eq!(idp.jwks_hits(), 1);

    // The webpki roots do not know this certificate: no key, fail closed.
    let default_roots = verifier(&TokenConfig {
        ca_file: None,
        ..config
    })
    .await;
    assert!(matches!(
        default_roots.verify(&ec.sign(&claims())).await,
        Err(TokenError::Unavailable(_))
    ));
    assert_eq!(idp.jwks_hits(), 1);
}

// --- introspection ----------------------------------------------------------

#[tokio::test]
async fn an_active_opaque_token_is_accepted_through_introspection() {
    let idp = Idp::new(json!({"keys": []}));
    let addr = idp.serve().await;
    let exp = now() + 600;
    idp.answer_for(
        "opaque+token/1",
        json!({"active": true, "sub": "bob", "client_id": "cli", "scope": "a b",
               "exp": exp, "iss": ISSUER, "aud": [AUDIENCE]}),
    );
    let verifier = verifier(&introspection_config(addr)).await;
    let verified = verifier.verify("opaque+token/1").await.unwrap();
    assert_eq!(
        verified,
        Claims {
            subject: Some("bob".into()),
            client_id: Some("cli".into()),
            scopes: vec!["a".into(), "b".into()],
            expires_at: Some(exp),
        }
    );
    let (authorization, body) = idp.last_request.lock().unwrap().clone().unwrap();
    assert_eq!(
        body,
        "token=opaque%2Btoken%2F1&token_type_hint=access_token"
    );
    let credentials = STANDARD
        .decode(authorization.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(credentials).unwrap(),
        "douane%20gw:s3cret%3Awith%20space%26more",
        "both parts form-encoded (RFC 6749 §2.3.1)"
    );
}

#[tokio::test]
async fn an_inactive_opaque_token_is_refused() {
    let idp = Idp::new(json!({"keys": []}));
    let addr = idp.serve().await;
    let verifier = verifier(&introspection_config(addr)).await;
    assert_eq!(verifier.verify("revoked").await, Err(TokenError::Inactive));
}

#[tokio::test]
async fn introspection_answers_from_another_issuer_or_audience_are_refused() {
    let idp = Idp::new(json!({"keys": []}));
    let addr = idp.serve().await;
    idp.answer_for(
        "t1",
        json!({"active": true, "iss": "https://evil.example.test"}),
    );
    idp.answer_for("t2", json!({"active": true, "aud": "someone-else"}));
    idp.answer_for("t3", json!({"active": true, "exp": now() - 3600}));
    idp.answer_for("t4", json!({"active": "yes"}));
    let verifier = verifier(&introspection_config(addr)).await;
    assert_eq!(verifier.verify("t1").await, Err(TokenError::WrongIssuer));
    assert_eq!(verifier.verify("t2").await, Err(TokenError::WrongAudience));
    assert_eq!(verifier.verify("t3").await, Err(TokenError::Expired));
    assert!(matches!(
        verifier.verify("t4").await,
        Err(TokenError::Unavailable(_))
    ));
}

#[tokio::test]
async fn introspection_answers_are_cached_both_positive_and_negative() {
    let idp = Idp::new(json!({"keys": []}));
    let addr = idp.serve().await;
    idp.answer_for("good", json!({"active": true, "exp": now() + 600}));
    let verifier = verifier(&introspection_config(addr)).await;
    assert!(verifier.verify("good").await.is_ok());
    assert!(verifier.verify("good").await.is_ok());
    assert_eq!(verifier.verify("bad").await, Err(TokenError::Inactive));
    assert_eq!(verifier.verify("bad").await, Err(TokenError::Inactive));
    assert_eq!(
        idp.introspection_hits(),
        2,
        "second verifications are cached"
    );
}

#[tokio::test]
async fn the_introspection_cache_never_outlives_the_token() {
    let idp = Idp::new(json!({"keys": []}));
    let addr = idp.serve().await;
    idp.answer_for("short", json!({"active": true, "exp": now() + 1}));
    let mut config = introspection_config(addr);
    config.leeway_ms = 0;
    let verifier = verifier(&config).await;
    assert!(verifier.verify("short").await.is_ok());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(verifier.verify("short").await, Err(TokenError::Expired));
    assert_eq!(idp.introspection_hits(), 2);
}

#[tokio::test]
async fn the_introspection_cache_is_bounded_and_evicts_the_oldest_entry() {
    let idp = Idp::new(json!({"keys": []}));
    let addr = idp.serve().await;
    let mut config = introspection_config(addr);
    config.introspection.as_mut().unwrap().cache_entries = 2;
    let verifier = verifier(&config).await;
    for token in ["t1", "t2", "t3", "t3", "t2"] {
        assert_eq!(verifier.verify(token).await, Err(TokenError::Inactive));
    }
    assert_eq!(idp.introspection_hits(), 3);
    assert_eq!(verifier.verify("t1").await, Err(TokenError::Inactive));
    assert_eq!(idp.introspection_hits(), 4, "t1 was evicted");
}

#[tokio::test]
async fn an_unreachable_introspection_endpoint_fails_closed_and_is_not_cached() {
    let verifier = verifier(&introspection_config(closed_port().await)).await;
    for _ in 0..2 {
        assert!(matches!(
            verifier.verify("opaque").await,
            Err(TokenError::Unavailable(_))
        ));
    }
}

#[tokio::test]
async fn a_jwt_goes_to_introspection_when_no_jwks_is_configured() {
    let ec = Signer::es256("ec-1");
    let idp = Idp::new(json!({"keys": []}));
    let addr = idp.serve().await;
    let token = ec.sign(&claims());
    idp.answer_for(&token, json!({"active": true}));
    let verifier = verifier(&introspection_config(addr)).await;
    assert!(verifier.verify(&token).await.is_ok());
    assert_eq!(idp.introspection_hits(), 1);
}

#[tokio::test]
async fn an_opaque_token_is_malformed_without_introspection() {
    let ec = Signer::es256("ec-1");
    let (_idp, verifier) = served(&[&ec]).await;
    assert_eq!(
        verifier.verify("2YotnFZFEjr1zCsicMWpAA").await,
        Err(TokenError::Malformed)
    );
}

// --- configuration ----------------------------------------------------------

#[tokio::test]
async fn a_missing_client_secret_env_var_fails_start_up_with_a_clear_message() {
    let mut config = introspection_config(closed_port().await);
    config.introspection.as_mut().unwrap().client_secret_env = "DOUANE_TEST_UNSET".into();
    let error = TokenVerifier::with_env("oauth", &config, env)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        "security scheme oauth: environment variable DOUANE_TEST_UNSET \
         (introspection client secret) is not set"
    );
}

#[tokio::test]
async fn symmetric_none_or_unknown_algorithms_are_refused_at_config_time() {
    let addr = closed_port().await;
    for (alg, message) in [
        (
            "HS256",
            "algorithm HS256 is symmetric: only asymmetric algorithms are accepted",
        ),
        ("none", "unknown algorithm \"none\""),
        ("ES512", "unknown algorithm \"ES512\""),
    ] {
        let config = TokenConfig {
            algorithms: vec!["RS256".into(), alg.into()],
            ..url_config(addr)
        };
        let error = TokenVerifier::with_env("oauth", &config, env)
            .await
            .unwrap_err();
        assert_eq!(error, format!("security scheme oauth: {message}"));
    }
}

#[tokio::test]
async fn incomplete_or_contradictory_configs_are_refused() {
    let addr = closed_port().await;
    let base = url_config(addr);
    let cases = [
        TokenConfig {
            audiences: vec![],
            ..base.clone()
        },
        TokenConfig {
            jwks_file: Some("/nonexistent".into()),
            ..base.clone()
        },
        TokenConfig {
            jwks_url: None,
            ..base.clone()
        },
        TokenConfig {
            jwks_url: Some("ftp://idp/jwks".into()),
            ..base.clone()
        },
        // Plain http only to loopback: keys could be swapped on the way.
        TokenConfig {
            jwks_url: Some("http://idp.example/jwks".into()),
            ..base.clone()
        },
        TokenConfig {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..base.clone()
        },
        TokenConfig {
            unknown_kid_refresh_ms: 0,
            ..base.clone()
        },
        TokenConfig {
            jwks_file: None,
            jwks_url: None,
            introspection: None,
            ..base.clone()
        },
    ];
    for config in cases {
        assert!(
            TokenVerifier::with_env("oauth", &config, env)
                .await
                .is_err()
        );
    }
}

#[test]
fn a_toml_config_gets_its_defaults_and_refuses_unknown_fields() {
    let config: TokenConfig = toml::from_str(
        r#"
        issuer = "https://idp.example.test"
        audiences = ["douane"]
        jwks_url = "https://idp.example.test/jwks"
        [introspection]
        url = "https://idp.example.test/introspect"
        client_id = "gw"
        client_secret_env = "GW_SECRET"
        "#,
    )
    .unwrap();
    assert_eq!(config.jwks_refresh_ms, 300_000);
    assert_eq!(config.unknown_kid_refresh_ms, 30_000);
    assert_eq!(config.leeway_ms, 30_000);
    assert_eq!(config.algorithms, ["RS256", "PS256", "ES256", "EdDSA"]);
    let introspection = config.introspection.unwrap();
    assert_eq!(introspection.cache_ms, 60_000);
    assert_eq!(introspection.cache_entries, 10_000);
    let error = toml::from_str::<TokenConfig>(
        "issuer = \"i\"\naudiences = [\"a\"]\nclient_secret = \"oops\"\n",
    );
    assert!(error.is_err());
}

#[test]
fn error_messages_reveal_nothing_about_the_token_or_the_endpoint() {
    let errors = [
        TokenError::Malformed,
        TokenError::Algorithm("none".into()),
        TokenError::UnknownKey,
        TokenError::BadSignature,
        TokenError::Expired,
        TokenError::NotYetValid,
        TokenError::WrongIssuer,
        TokenError::WrongAudience,
        TokenError::Inactive,
        TokenError::Unavailable("http://10.0.0.7/introspect unreachable".into()),
    ];
    for error in errors {
        let message = error.to_string();
        assert!(message.starts_with("token "), "{message}");
        assert!(!message.contains("10.0.0.7") && !message.contains("none"));
    }
    assert_eq!(TokenError::Expired.to_string(), "token expired");
    assert_eq!(
        TokenError::BadSignature.to_string(),
        "token signature is invalid"
    );
}

#[test]
fn the_verifier_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<TokenVerifier>();
}

//! Authentication and entitlements end to end: the contracts of
//! `tests/specs-secure/` (every scheme, AND and OR requirements, scopes,
//! roles, public and optional operations) served by a real gateway with a
//! real consumer registry on disk and real JWTs signed here with keys made
//! here, between a raw client and a recording upstream.
//!
//! Every refusal is checked twice: the problem the client gets (status,
//! `WWW-Authenticate`), and that the upstream never saw the request.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use douane_runtime::auth::consumers::{hash_password, new_api_key};
use douane_runtime::config::Config;
use douane_tests::harness::{Gateway, Req, Response, Upstream, assert_problem, test_timeouts};
use douane_tests::secured;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

const ISSUER: &str = "https://idp.test";
const AUDIENCE: &str = "secure-api";

/// An identity provider of our own: an ES256 key pair and its JWKS.
struct Idp {
    pkcs8: Vec<u8>,
    jwk: Value,
}

impl Idp {
    fn new(kid: &str) -> Idp {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .unwrap()
            .as_ref()
            .to_vec();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).unwrap();
        // Uncompressed point: 0x04, then x and y, 32 bytes each.
        let point = pair.public_key().as_ref();
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        });
        Idp { pkcs8, jwk }
    }

    fn sign(&self, kid: &str, claims: &Value) -> String {
        sign(
            Algorithm::ES256,
            kid,
            claims,
            &EncodingKey::from_ec_der(&self.pkcs8),
        )
    }
}

/// A JWT of `claims` signed with `key` under `alg`, naming key `kid`.
fn sign(alg: Algorithm, kid: &str, claims: &Value, key: &EncodingKey) -> String {
    let header = Header {
        kid: Some(kid.to_owned()),
        ..Header::new(alg)
    };
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Claims of a valid token for `client` with `scope`.
fn claims(client: &str, scope: &str) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": client, "client_id": client,
        "scope": scope, "iat": now(), "exp": now() + 600,
    })
}

/// API keys of the registry's consumers, in clear (the registry holds only
/// their digests).
struct Keys {
    alice: String,
    admin: String,
    partner: String,
    carol: String,
}

const ALICE_PASSWORD: &str = "correct horse battery staple";

struct Secured {
    upstream: Upstream,
    gateway: Gateway,
    keys: Keys,
    idp: Idp,
    dir: PathBuf,
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("douane-auth-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a test adds to the default deployment of [`Secured::start`].
#[derive(Default)]
struct Extra {
    /// TOML at the top of the config (e.g. a `[tls]` table).
    top: String,
    /// Lines inside `[apis.secure]`.
    secure: String,
    /// Replaces the `[apis.secure.schemes.bearer]` table's body.
    bearer: Option<String>,
    /// More `[[consumer]]` entries.
    consumers: String,
    /// Lines inside `[auth]`.
    auth: String,
}

impl Secured {
    async fn start(name: &str) -> Secured {
        Secured::start_with(name, Extra::default()).await
    }

    async fn start_with(name: &str, extra: Extra) -> Secured {
        let dir = temp_dir(name);
        let key = |_: ()| new_api_key();
        let (alice, alice_entry) = key(());
        let (admin, admin_entry) = key(());
        let (partner, partner_entry) = key(());
        let (carol, carol_entry) = key(());
        // 10,000 iterations keeps the tests fast; production uses 600,000.
        let password = hash_password(ALICE_PASSWORD, 10_000);
        let registry = format!(
            r#"[[consumer]]
id = "alice"
plan = "gold"
apis = ["secure"]
api_keys = ["{alice_entry}"]
password = "{password}"
token_clients = [{{ issuer = "{ISSUER}", client_id = "alice-client" }}]

[[consumer]]
id = "admin"
apis = ["*"]
scopes = ["admin"]
api_keys = ["{admin_entry}"]

[[consumer]]
id = "partner-app"
apis = ["partner"]
api_keys = ["{partner_entry}"]

[[consumer]]
id = "carol"
apis = ["secure"]
api_keys = ["{carol_entry}"]
{more}"#,
            more = extra.consumers
        );
        std::fs::write(dir.join("consumers.toml"), registry).unwrap();
        let idp = Idp::new("k1");
        std::fs::write(
            dir.join("jwks.json"),
            json!({ "keys": [idp.jwk] }).to_string(),
        )
        .unwrap();
        let upstream = Upstream::start().await;
        let config = Config::from_toml_str(
            &format!(
                r#"{top}
[auth]
consumers = "{registry}"
reload_interval_ms = 100
{auth}

[apis.secure]
upstream = "{url}"
{secure}
[apis.partner]
upstream = "{url}"
forward_credentials = true
{schemes}
"#,
                top = extra.top,
                auth = extra.auth,
                secure = extra.secure,
                registry = dir.join("consumers.toml").display(),
                url = upstream.url(),
                schemes = ["oauth", "bearer", "oidc"]
                    .iter()
                    .map(|s| {
                        let body = match (*s, &extra.bearer) {
                            ("bearer", Some(body)) => body.clone(),
                            _ => format!(
                                "issuer = \"{ISSUER}\"\naudiences = [\"{AUDIENCE}\"]\njwks_file = \"{}\"\n",
                                dir.join("jwks.json").display()
                            ),
                        };
                        format!("[apis.secure.schemes.{s}]\n{body}")
                    })
                    .collect::<String>(),
            ),
            "auth-test.toml",
        )
        .unwrap();
        let config = Config {
            timeouts: test_timeouts(),
            ..config
        };
        let gateway = Gateway::start_contract(&secured::CONTRACT, config).await;
        Secured {
            upstream,
            gateway,
            keys: Keys {
                alice,
                admin,
                partner,
                carol,
            },
            idp,
            dir,
        }
    }

    /// Sends `req`; asserts it reached the upstream, answered 200.
    async fn admitted(&self, req: Req) -> douane_tests::harness::Recorded {
        let before = self.upstream.count();
        let resp = self.gateway.send(&req).await;
        assert_eq!(resp.status, 200, "{req}: {resp}");
        let requests = self.upstream.requests();
        assert_eq!(requests.len(), before + 1, "{req}: upstream count");
        requests.last().unwrap().clone()
    }

    /// Sends `req`; asserts a problem of `status` and that the upstream
    /// received nothing.
    async fn refused(&self, req: Req, status: u16) -> Response {
        let before = self.upstream.count();
        let resp = self.gateway.send(&req).await;
        assert_problem(&resp, status, &req.to_string());
        assert_eq!(self.upstream.count(), before, "{req} reached the upstream");
        resp
    }
}

impl Secured {
    /// Whether a request with API key `key` is admitted within 5 s (the
    /// registry reloads in the background).
    async fn eventually_admitted_with(&self, key: &str) -> bool {
        eventually(|| async {
            self.gateway
                .send(&Req::get("/secure/orders").header("X-API-Key", key))
                .await
                .status
                == 200
        })
        .await
    }
}

impl Drop for Secured {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn challenges(resp: &Response) -> Vec<&str> {
    resp.headers
        .iter()
        .filter(|(n, _)| n == "www-authenticate")
        .map(|(_, v)| v.as_str())
        .collect()
}

fn basic(id: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{password}")))
}

#[tokio::test]
async fn public_operations_need_no_credentials_and_others_get_401_with_a_challenge() {
    let s = Secured::start("public").await;
    s.admitted(Req::get("/secure/public")).await;
    let resp = s.refused(Req::get("/secure/orders"), 401).await;
    assert_eq!(
        challenges(&resp),
        ["ApiKey realm=\"secure\", in=\"header\", name=\"x-api-key\""]
    );
    assert_eq!(resp.json()["detail"], "credentials required: key", "{resp}");
    let resp = s.refused(Req::get("/secure/orders/7"), 401).await;
    assert_eq!(
        challenges(&resp),
        [
            "ApiKey realm=\"secure\", in=\"header\", name=\"x-api-key\"",
            "Bearer realm=\"secure\""
        ]
    );
    assert_eq!(resp.json()["detail"], "credentials required: key or oauth");
}

#[tokio::test]
async fn api_keys_in_header_query_and_cookie_identify_the_consumer_and_are_not_forwarded() {
    let s = Secured::start("keys").await;
    let alice = &s.keys.alice;
    let got = s
        .admitted(Req::get("/secure/orders?limit=5").header("X-API-Key", alice))
        .await;
    assert_eq!(got.header("x-douane-consumer"), Some("alice"));
    assert_eq!(
        got.header("x-api-key"),
        None,
        "the key stays at the gateway"
    );
    assert_eq!(got.target, "/secure/orders?limit=5");

    let got = s
        .admitted(Req::get(&format!(
            "/secure/query-key?q=a+b&api_key={alice}&z=%2F"
        )))
        .await;
    assert_eq!(got.target, "/secure/query-key?q=a+b&z=%2F");
    assert_eq!(got.header("x-douane-consumer"), Some("alice"));

    let got = s
        .admitted(Req::get("/secure/cookie-key").header(
            "Cookie",
            &format!("theme=dark; session_key={alice}; lang=fr"),
        ))
        .await;
    assert_eq!(got.header("cookie"), Some("theme=dark; lang=fr"));

    s.refused(
        Req::get("/secure/orders").header("X-API-Key", "douane_not-a-key"),
        401,
    )
    .await;
    // Two keys: which one would the upstream believe?
    s.refused(
        Req::get(&format!(
            "/secure/query-key?api_key={alice}&api_key={alice}"
        )),
        401,
    )
    .await;
}

#[tokio::test]
async fn a_key_for_another_api_is_forbidden() {
    let s = Secured::start("other-api").await;
    let resp = s
        .refused(
            Req::get("/secure/orders").header("X-API-Key", &s.keys.partner),
            403,
        )
        .await;
    assert_eq!(
        resp.json()["detail"],
        "consumer `partner-app` is not entitled to api `secure`"
    );
    let got = s
        .admitted(Req::get("/partner/data").header("X-API-Key", &s.keys.partner))
        .await;
    // This API is configured with forward_credentials = true.
    assert_eq!(got.header("x-api-key"), Some(s.keys.partner.as_str()));
    assert_eq!(got.header("x-douane-consumer"), Some("partner-app"));
    s.refused(
        Req::get("/partner/data").header("X-API-Key", &s.keys.alice),
        403,
    )
    .await;
    // `*` entitles to every API.
    s.admitted(Req::get("/partner/data").header("X-API-Key", &s.keys.admin))
        .await;
}

#[tokio::test]
async fn roles_on_api_keys_come_from_the_consumer() {
    let s = Secured::start("roles").await;
    s.admitted(Req::get("/secure/admin").header("X-API-Key", &s.keys.admin))
        .await;
    let resp = s
        .refused(
            Req::get("/secure/admin").header("X-API-Key", &s.keys.alice),
            403,
        )
        .await;
    assert!(
        resp.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("insufficient_scope: `key` requires scope `admin`"),
        "{resp}"
    );
}

#[tokio::test]
async fn basic_credentials_are_checked_against_the_password_hash_and_not_forwarded() {
    let s = Secured::start("basic").await;
    let got = s
        .admitted(
            Req::get("/secure/basic").header("Authorization", &basic("alice", ALICE_PASSWORD)),
        )
        .await;
    assert_eq!(got.header("authorization"), None);
    assert_eq!(got.header("x-douane-consumer"), Some("alice"));
    // Cached verdicts answer the same.
    s.admitted(Req::get("/secure/basic").header("Authorization", &basic("alice", ALICE_PASSWORD)))
        .await;
    for wrong in [
        basic("alice", "wrong"),
        basic("nobody", ALICE_PASSWORD),
        basic("carol", ""),
        "Basic !!!".to_owned(),
    ] {
        let resp = s
            .refused(
                Req::get("/secure/basic").header("Authorization", &wrong),
                401,
            )
            .await;
        assert_eq!(
            challenges(&resp),
            ["Basic realm=\"secure\", charset=\"UTF-8\""]
        );
    }
}

#[tokio::test]
async fn and_requirements_need_every_scheme_from_one_consumer() {
    let s = Secured::start("and").await;
    let alice_basic = basic("alice", ALICE_PASSWORD);
    s.admitted(
        Req::get("/secure/both")
            .header("X-API-Key", &s.keys.alice)
            .header("Authorization", &alice_basic),
    )
    .await;
    s.refused(
        Req::get("/secure/both").header("X-API-Key", &s.keys.alice),
        401,
    )
    .await;
    s.refused(
        Req::get("/secure/both").header("Authorization", &alice_basic),
        401,
    )
    .await;
    let resp = s
        .refused(
            Req::get("/secure/both")
                .header("X-API-Key", &s.keys.carol)
                .header("Authorization", &alice_basic),
            401,
        )
        .await;
    assert_eq!(
        resp.json()["detail"],
        "the credentials of this request belong to different consumers"
    );
}

#[tokio::test]
async fn optional_security_admits_anonymous_requests_and_still_identifies_known_callers() {
    let s = Secured::start("optional").await;
    let got = s.admitted(Req::get("/secure/optional")).await;
    assert_eq!(got.header("x-douane-consumer"), None);
    let got = s
        .admitted(Req::get("/secure/optional").header("X-API-Key", &s.keys.alice))
        .await;
    assert_eq!(got.header("x-douane-consumer"), Some("alice"));
}

#[tokio::test]
async fn a_spoofed_identity_header_is_removed_everywhere() {
    let s = Secured::start("spoof").await;
    let got = s
        .admitted(Req::get("/secure/public").header("X-Douane-Consumer", "admin"))
        .await;
    assert_eq!(got.header("x-douane-consumer"), None);
    let got = s
        .admitted(
            Req::get("/secure/orders")
                .header("X-Douane-Consumer", "admin")
                .header("X-API-Key", &s.keys.alice)
                .header("x-douane-consumer", "root"),
        )
        .await;
    assert_eq!(got.header_values("x-douane-consumer"), ["alice"]);
    // Nor can a client have the gateway drop its header as hop-by-hop, or
    // slip in a name that CGI-style upstreams read as the same variable.
    let got = s
        .admitted(
            Req::get("/secure/orders")
                .header("X-API-Key", &s.keys.alice)
                .header("Connection", "x-douane-consumer")
                .header("x_douane_consumer", "admin"),
        )
        .await;
    assert_eq!(got.header_values("x-douane-consumer"), ["alice"]);
    assert_eq!(got.header("x_douane_consumer"), None);
    let got = s
        .admitted(Req::get("/secure/public").header("X_Douane_Consumer", "admin"))
        .await;
    assert!(
        got.headers
            .iter()
            .all(|(n, _)| n.replace('_', "-") != "x-douane-consumer")
    );
    // Spoofing alone authenticates no one.
    s.refused(
        Req::get("/secure/orders").header("X-Douane-Consumer", "admin"),
        401,
    )
    .await;
}

#[tokio::test]
async fn dot_segments_cannot_smuggle_a_request_past_the_router() {
    let s = Secured::start("dots").await;
    for path in [
        "/secure/public/../orders",
        "/secure/orders/..",
        "/secure/orders/%2e%2E",
        "/secure/./public",
        "/secure/orders/.%2e/public",
    ] {
        s.refused(Req::get(path), 400).await;
    }
    // Dots inside a segment are just characters.
    s.admitted(Req::get("/secure/orders/7").header("X-API-Key", &s.keys.alice))
        .await;
}

#[tokio::test]
async fn the_identity_header_name_is_deployment_configuration() {
    let s = Secured::start_with(
        "identity-name",
        Extra {
            auth: "identity_header = \"X-Caller\"\n".to_owned(),
            ..Extra::default()
        },
    )
    .await;
    let got = s
        .admitted(
            Req::get("/secure/orders")
                .header("X-API-Key", &s.keys.alice)
                .header("X-Caller", "admin"),
        )
        .await;
    assert_eq!(got.header_values("x-caller"), ["alice"]);
    assert_eq!(got.header("x-douane-consumer"), None);
}

#[tokio::test]
async fn authentication_comes_before_parameter_and_body_validation() {
    let s = Secured::start("order").await;
    // Anonymous: 401, not the 400 that would tell about the schema.
    s.refused(Req::get("/secure/orders?limit=1000"), 401).await;
    s.refused(Req::post("/secure/orders").json("{\"nope\":1}"), 401)
        .await;
    s.refused(Req::post("/secure/orders").json("{not json"), 401)
        .await;
    // Authenticated: now validation speaks.
    s.refused(
        Req::get("/secure/orders?limit=1000").header("X-API-Key", &s.keys.alice),
        400,
    )
    .await;
}

#[tokio::test]
async fn the_registry_reloads_on_change_and_keeps_the_old_one_when_the_new_is_invalid() {
    let s = Secured::start("reload").await;
    let path = s.dir.join("consumers.toml");
    let (new_key, entry) = new_api_key();
    s.refused(
        Req::get("/secure/orders").header("X-API-Key", &new_key),
        401,
    )
    .await;
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[[consumer]]\nid = \"dave\"\napis = [\"secure\"]\napi_keys = [\"{entry}\"]\n"
    ));
    replace_file(&path, &text);
    let admitted = s.eventually_admitted_with(&new_key).await;
    assert!(admitted, "the new consumer was never admitted");
    // A broken file: reported, the registry in force stays.
    replace_file(
        &path,
        "[[consumer]]\nid = \"broken\"\napi_keys = [\"clear-text\"]\n",
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.admitted(Req::get("/secure/orders").header("X-API-Key", &new_key))
        .await;
    s.admitted(Req::get("/secure/orders").header("X-API-Key", &s.keys.alice))
        .await;
}

/// The tests that send SIGHUP to this process run one at a time, so that
/// one's signal cannot pass for the other's.
#[cfg(unix)]
static SIGHUP_TESTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A test's right to send SIGHUP to its own process.
#[cfg(unix)]
struct Hangup {
    _one_at_a_time: tokio::sync::MutexGuard<'static, ()>,
    signal: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Hangup {
    /// Waits for the other SIGHUP tests; from here on SIGHUP is handled by
    /// tokio in this process, so it cannot terminate the test binary.
    async fn take() -> Hangup {
        let guard = SIGHUP_TESTS.lock().await;
        let signal =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).unwrap();
        Hangup {
            _one_at_a_time: guard,
            signal,
        }
    }

    /// Sends SIGHUP to this process and waits until it has arrived.
    async fn send(&mut self) {
        let status = std::process::Command::new("kill")
            .args(["-HUP", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.signal.recv().await;
    }
}

/// Writes `text` to `path` and puts its modification time back: only a
/// signal can then tell the watchers.
fn write_keeping_mtime(path: &std::path::Path, text: &str) {
    let modified = std::fs::metadata(path).unwrap().modified().unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_the_registry_at_once() {
    let mut hangup = Hangup::take().await;
    let s = Secured::start("sighup").await;
    let path = s.dir.join("consumers.toml");
    // Let the registry watcher subscribe to SIGHUP.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (new_key, entry) = new_api_key();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[[consumer]]\nid = \"erin\"\napis = [\"secure\"]\napi_keys = [\"{entry}\"]\n"
    ));
    write_keeping_mtime(&path, &text);
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.refused(
        Req::get("/secure/orders").header("X-API-Key", &new_key),
        401,
    )
    .await;
    hangup.send().await;
    let admitted = s.eventually_admitted_with(&new_key).await;
    assert!(admitted, "SIGHUP did not reload the registry");
}

/// Replaces a file as deployment tools do (write beside, rename), with a
/// modification time that differs even on coarse file systems.
fn replace_file(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, text).unwrap();
    let file = std::fs::File::options().write(true).open(&tmp).unwrap();
    file.set_modified(SystemTime::now() + Duration::from_secs(2))
        .unwrap();
    drop(file);
    std::fs::rename(&tmp, path).unwrap();
}

async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..50 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

// ------------------------------------------------------------------ tokens

#[tokio::test]
async fn valid_tokens_are_admitted_with_their_scopes_and_forwarded() {
    let s = Secured::start("tokens").await;
    let token = s
        .idp
        .sign("k1", &claims("alice-client", "orders:read orders:write"));
    let got = s
        .admitted(
            Req::post("/secure/orders")
                .header("Authorization", &format!("Bearer {token}"))
                .json("{\"item\":\"book\"}"),
        )
        .await;
    // The token's client is a registered consumer.
    assert_eq!(got.header("x-douane-consumer"), Some("alice"));
    assert_eq!(
        got.header("authorization"),
        Some(format!("Bearer {token}").as_str()),
        "bearer tokens are forwarded: the upstream may need them"
    );
    // A client no consumer claims is named by scheme and client.
    let token = s.idp.sign("k1", &claims("batch-job", "orders:read"));
    let got = s
        .admitted(Req::get("/secure/orders/7").header("Authorization", &format!("Bearer {token}")))
        .await;
    assert_eq!(got.header("x-douane-consumer"), Some("oauth:batch-job"));
    for path in ["/secure/bearer", "/secure/oidc"] {
        s.admitted(Req::get(path).header("Authorization", &format!("Bearer {token}")))
            .await;
    }
}

#[tokio::test]
async fn missing_scopes_get_403_insufficient_scope() {
    let s = Secured::start("scopes").await;
    let token = s.idp.sign("k1", &claims("batch-job", "orders:read"));
    let resp = s
        .refused(
            Req::post("/secure/orders")
                .header("Authorization", &format!("Bearer {token}"))
                .json("{\"item\":\"book\"}"),
            403,
        )
        .await;
    assert_eq!(
        challenges(&resp),
        ["Bearer realm=\"secure\", error=\"insufficient_scope\", scope=\"orders:write\""]
    );
    // `scp` as an array counts as well.
    let mut c = claims("batch-job", "");
    c["scp"] = json!(["orders:write"]);
    let token = s.idp.sign("k1", &c);
    s.admitted(
        Req::post("/secure/orders")
            .header("Authorization", &format!("Bearer {token}"))
            .json("{\"item\":\"book\"}"),
    )
    .await;
}

/// Every forged, stale or misdirected token: 401, never the upstream.
#[tokio::test]
async fn token_attacks_are_rejected() {
    let s = Secured::start("attacks").await;
    let good = claims("batch-job", "orders:read");
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let mut attacks: Vec<(&str, String)> = Vec::new();
    attacks.push((
        "alg none",
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&good)
        ),
    ));
    attacks.push(("HS256 with the public key as secret", {
        let secret = s.idp.jwk.to_string();
        sign(
            Algorithm::HS256,
            "k1",
            &good,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
    }));
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    attacks.push((
        "expired",
        s.idp.sign("k1", &with("exp", json!(now() - 3600))),
    ));
    attacks.push((
        "not yet valid",
        s.idp.sign("k1", &with("nbf", json!(now() + 3600))),
    ));
    attacks.push((
        "wrong iss",
        s.idp.sign("k1", &with("iss", json!("https://evil.test"))),
    ));
    attacks.push((
        "wrong aud",
        s.idp.sign("k1", &with("aud", json!("other-api"))),
    ));
    attacks.push(("unknown kid", s.idp.sign("k9", &good)));
    attacks.push(("key of another issuer", Idp::new("k1").sign("k1", &good)));
    attacks.push(("tampered payload", {
        let token = s.idp.sign("k1", &good);
        let parts: Vec<&str> = token.split('.').collect();
        let forged = with("scope", json!("orders:read orders:write admin"));
        format!("{}.{}.{}", parts[0], b64(&forged), parts[2])
    }));
    attacks.push(("no exp", {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove("exp");
        s.idp.sign("k1", &c)
    }));
    attacks.push(("garbage", "not-a-token".to_owned()));
    for (name, token) in &attacks {
        for path in ["/secure/orders/7", "/secure/bearer"] {
            let resp = s
                .refused(
                    Req::get(path).header("Authorization", &format!("Bearer {token}")),
                    401,
                )
                .await;
            let body = String::from_utf8_lossy(&resp.body);
            assert!(
                !body.contains(token.as_str()),
                "{name}: token echoed: {body}"
            );
            assert!(
                challenges(&resp).iter().any(|c| c.starts_with(
                    "Bearer realm=\"secure\", error=\"invalid_token\", error_description=\""
                )),
                "{name}: {resp}"
            );
        }
    }
}

// -------------------------------------------------------------------- logs

/// Everything the gateway logs, at every level, from every test of this
/// binary (tests run in one process).
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogWriter(sink.clone()))
            .try_init();
        logs
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_reaches_the_logs_or_the_error_bodies() {
    let logs = captured_logs();
    let s = Secured::start("logs").await;
    let token = s.idp.sign("k1", &claims("alice-client", "orders:read"));
    let expired = s.idp.sign("k1", &{
        let mut c = claims("alice-client", "orders:read");
        c["exp"] = json!(now() - 3600);
        c
    });
    let alice = s.keys.alice.clone();
    let requests = [
        Req::get("/secure/orders").header("X-API-Key", &alice),
        Req::get("/secure/orders").header("X-API-Key", "douane_guessed-key"),
        Req::get(&format!("/secure/query-key?api_key={alice}")),
        Req::get("/secure/basic").header("Authorization", &basic("alice", ALICE_PASSWORD)),
        Req::get("/secure/basic").header("Authorization", &basic("alice", "hunter2-wrong")),
        Req::get("/secure/orders/7").header("Authorization", &format!("Bearer {token}")),
        Req::get("/secure/orders/7").header("Authorization", &format!("Bearer {expired}")),
    ];
    let mut bodies = String::new();
    for req in &requests {
        let resp = s.gateway.send(req).await;
        bodies.push_str(&String::from_utf8_lossy(&resp.body));
    }
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(
        logged.contains("douane::access"),
        "the access log was captured:\n{logged}"
    );
    assert!(logged.contains("consumer=\"alice\"") || logged.contains("consumer=alice"));
    for secret in [
        alice.as_str(),
        "douane_guessed-key",
        ALICE_PASSWORD,
        "hunter2-wrong",
        &STANDARD.encode(format!("alice:{ALICE_PASSWORD}")),
        &token,
        &expired,
        &token[token.rfind('.').unwrap() + 1..],
    ] {
        assert!(!logged.contains(secret), "a secret is in the logs");
        assert!(!bodies.contains(secret), "a secret is in an error body");
    }
}

// -------------------------------------------------------------- mutual TLS

/// The `mutualTLS` scheme over a real TLS listener: a certificate verified
/// at the handshake and mapped to a consumer (by subject or SAN) is the
/// credential; an unmapped one, one from a CA the API does not trust, or
/// none at all get 401; an untrusted CA never completes the handshake.
#[tokio::test]
async fn client_certificates_map_to_consumers_through_the_mutual_tls_scheme() {
    use douane_tests::tls_support::{Ca, TempDir, client_config, fetch, write_leaf};
    let pki = TempDir::new("auth-mtls");
    let server_ca = Ca::new("Server CA");
    let team_ca = Ca::new("Team CA");
    let other_ca = Ca::new("Other CA");
    let rogue_ca = Ca::new("Rogue CA");
    let (cert, key) = write_leaf(&pki, "server", &server_ca.server("gateway"));
    let clients = pki.write("clients.pem", &(team_ca.pem() + &other_ca.pem()));
    let team = pki.write("team.pem", &team_ca.pem());
    let s = Secured::start_with(
        "mtls",
        Extra {
            top: format!(
                "[tls]\ncert = \"{}\"\nkey = \"{}\"\nclient_ca = \"{}\"\nclient_auth = \"optional\"\n",
                cert.display(),
                key.display(),
                clients.display()
            ),
            secure: format!("client_ca = \"{}\"\n", team.display()),
            consumers: "\n[[consumer]]\nid = \"app1\"\napis = [\"secure\"]\ncertificates = [\"subject:CN=app1\"]\ncertificate_issuers = [\"CN=Team CA\"]\n\
                        \n[[consumer]]\nid = \"app2\"\napis = [\"secure\"]\ncertificates = [\"san:uri:spiffe://test/app2\"]\ncertificate_issuers = [\"CN=Team CA\"]\n\
                        \n[[consumer]]\nid = \"outsider\"\napis = [\"secure\"]\ncertificates = [\"subject:CN=outsider\"]\ncertificate_issuers = [\"CN=Other CA\"]\n"
                .to_owned(),
            ..Extra::default()
        },
    )
    .await;
    let addr = s.gateway.addr();
    let roots = [server_ca.der()];
    let get = |identity: Option<douane_tests::tls_support::Leaf>| {
        let config = client_config(&roots, identity.as_ref(), None, &[b"http/1.1"]);
        fetch(addr, config, "/secure/cert")
    };
    assert_eq!(get(Some(team_ca.client("app1"))).await.unwrap().0, 200);
    assert_eq!(
        s.upstream
            .requests()
            .last()
            .unwrap()
            .header("x-douane-consumer"),
        Some("app1")
    );
    assert_eq!(get(Some(team_ca.client("app2"))).await.unwrap().0, 200);
    assert_eq!(
        s.upstream
            .requests()
            .last()
            .unwrap()
            .header("x-douane-consumer"),
        Some("app2")
    );
    let before = s.upstream.count();
    // Verified by the listener, but no consumer claims it.
    let (status, body) = get(Some(team_ca.client("stranger"))).await.unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("not registered to a consumer"), "{body}");
    // The same name from another CA the listener trusts is not app1 (this
    // API's own CA refuses it first; the registry's issuer binding is
    // unit-tested in auth::consumers).
    let (status, body) = get(Some(other_ca.client("app1"))).await.unwrap();
    assert_eq!(status, 401, "{body}");
    // Trusted by the listener, mapped, but not by this API's own CA.
    let (status, body) = get(Some(other_ca.client("outsider"))).await.unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(
        body.contains("not issued by a CA this API trusts"),
        "{body}"
    );
    // No certificate: the challenge names the scheme.
    let (status, _) = get(None).await.unwrap();
    assert_eq!(status, 401);
    // A certificate from a CA nobody trusts: no TLS session, no request.
    assert!(get(Some(rogue_ca.client("app1"))).await.is_err());
    assert_eq!(
        s.upstream.count(),
        before,
        "a refused request reached the upstream"
    );
    // Other schemes still work over TLS.
    let config = client_config(&roots, None, None, &[b"http/1.1"]);
    let mut conn = douane_tests::tls_support::TlsConn::connect(addr, config)
        .await
        .unwrap();
    assert_eq!(conn.get("/secure/public").await.unwrap().0, 200);
}

// ------------------------------------------------------ a live identity provider

/// What the identity provider run by [`tokens_from_a_jwks_url_and_introspection`]
/// has received.
#[derive(Default)]
struct IdpLog {
    jwks: usize,
    introspections: Vec<String>,
}

/// A real HTTP identity provider on 127.0.0.1: `/jwks` and RFC 7662
/// `/introspect` (only `opaque-good` is active).
async fn start_idp(jwks: Value) -> (String, Arc<Mutex<IdpLog>>) {
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(IdpLog::default()));
    let served = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (log, jwks) = (served.clone(), jwks.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let (log, jwks) = (log.clone(), jwks.clone());
                        async move {
                            let path = request.uri().path().to_owned();
                            let body = request.into_body().collect().await.unwrap().to_bytes();
                            let answer = if path == "/jwks" {
                                log.lock().unwrap().jwks += 1;
                                jwks.to_string()
                            } else {
                                let form = String::from_utf8_lossy(&body).into_owned();
                                let active = form.contains("token=opaque-good");
                                log.lock().unwrap().introspections.push(form);
                                if active {
                                    json!({"active": true, "client_id": "batch", "scope": "orders:read",
                                       "iss": ISSUER, "exp": now() + 600})
                                .to_string()
                                } else {
                                    json!({"active": false}).to_string()
                                }
                            };
                            let mut response =
                                hyper::Response::new(Full::new(bytes::Bytes::from(answer)));
                            response
                                .headers_mut()
                                .insert("content-type", "application/json".parse().unwrap());
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, log)
}

/// Test-only RSA key pair of the token module's tests.
const RSA_PRIVATE_PEM: &[u8] =
    include_bytes!("../../gateway-runtime/src/auth/testdata/test_only_rsa_private_key.pem");
const RSA_PUBLIC_PEM: &[u8] =
    include_bytes!("../../gateway-runtime/src/auth/testdata/test_only_rsa_public_key.pem");

fn rsa_jwk(kid: &str) -> Value {
    let text = std::str::from_utf8(RSA_PRIVATE_PEM).unwrap();
    let der: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let pair = ring::rsa::KeyPair::from_pkcs8(&STANDARD.decode(der).unwrap()).unwrap();
    let public = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
    json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
           "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e)})
}

#[tokio::test]
async fn tokens_from_a_jwks_url_and_introspection() {
    let (idp_url, idp_log) = start_idp(json!({ "keys": [rsa_jwk("rsa-1")] })).await;
    let s = Secured::start_with(
        "idp",
        Extra {
            // The introspection client's secret comes from the environment;
            // cargo sets CARGO_PKG_NAME for test processes, so it serves here
            // without an unsafe `set_var`.
            bearer: Some(format!(
                "issuer = \"{ISSUER}\"\naudiences = [\"{AUDIENCE}\"]\njwks_url = \"{idp_url}/jwks\"\n\
                 [apis.secure.schemes.bearer.introspection]\nurl = \"{idp_url}/introspect\"\n\
                 client_id = \"douane\"\nclient_secret_env = \"CARGO_PKG_NAME\"\n"
            )),
            ..Extra::default()
        },
    )
    .await;
    let bearer = |token: &str| {
        Req::get("/secure/bearer").header("Authorization", &format!("Bearer {token}"))
    };
    let rs256 = sign(
        Algorithm::RS256,
        "rsa-1",
        &claims("batch-job", "orders:read"),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE_PEM).unwrap(),
    );
    let got = s.admitted(bearer(&rs256)).await;
    assert_eq!(got.header("x-douane-consumer"), Some("bearer:batch-job"));
    assert_eq!(idp_log.lock().unwrap().jwks, 1, "the JWKS was fetched once");
    s.admitted(bearer(&rs256)).await;
    assert_eq!(idp_log.lock().unwrap().jwks, 1, "and then cached");
    // The classic confusion: HS256 keyed with the RSA public key.
    let confused = sign(
        Algorithm::HS256,
        "rsa-1",
        &claims("batch-job", "orders:read"),
        &EncodingKey::from_secret(RSA_PUBLIC_PEM),
    );
    s.refused(bearer(&confused), 401).await;
    // Opaque tokens go to the introspection endpoint; answers are cached.
    let got = s.admitted(bearer("opaque-good")).await;
    assert_eq!(got.header("x-douane-consumer"), Some("bearer:batch"));
    s.admitted(bearer("opaque-good")).await;
    s.refused(bearer("opaque-revoked"), 401).await;
    let log = idp_log.lock().unwrap();
    assert_eq!(
        log.introspections
            .iter()
            .filter(|f| f.contains("opaque-good"))
            .count(),
        1,
        "the active answer was cached: {:?}",
        log.introspections
    );
    assert!(
        log.introspections
            .iter()
            .any(|f| f.contains("opaque-revoked"))
    );
}

/// SIGHUP re-reads the listener's certificate even when the files' times
/// did not change (the poll is set to an hour here); open connections keep
/// going on the old one.
#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_the_tls_certificate_without_dropping_connections() {
    use douane_tests::tls_support::{Ca, TempDir, TlsConn, client_config, write_leaf};
    let mut hangup = Hangup::take().await;
    let pki = TempDir::new("auth-sighup-tls");
    let ca = Ca::new("Server CA");
    let (cert, key) = write_leaf(&pki, "server", &ca.server("gateway A"));
    let s = Secured::start_with(
        "sighup-tls",
        Extra {
            top: format!(
                "[tls]\ncert = \"{}\"\nkey = \"{}\"\nreload_interval_ms = 3600000\n",
                cert.display(),
                key.display()
            ),
            ..Extra::default()
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let roots = [ca.der()];
    let connect = || {
        TlsConn::connect(
            s.gateway.addr(),
            client_config(&roots, None, None, &[b"http/1.1"]),
        )
    };
    let mut old = connect().await.unwrap();
    let first = old.server_cert.clone();
    assert_eq!(old.get("/secure/public").await.unwrap().0, 200);

    let b = ca.server("gateway B");
    write_keeping_mtime(&cert, &b.cert_pem());
    write_keeping_mtime(&key, &b.key_pem());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        connect().await.unwrap().server_cert,
        first,
        "no reload without the signal"
    );
    hangup.send().await;
    let mut reloaded = false;
    for _ in 0..50 {
        if connect().await.unwrap().server_cert != first {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reloaded, "SIGHUP did not reload the certificate");
    assert_eq!(
        old.get("/secure/public").await.unwrap().0,
        200,
        "the open connection was dropped"
    );
}

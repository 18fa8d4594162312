//! JSON Web Key Sets (RFC 7517): the public keys a scheme trusts, loaded
//! from a file or a URL and refreshed while the gateway runs.
//!
//! Refresh is lazy, driven by the requests themselves, so an idle gateway
//! sends nothing to its IdP and no task outlives the verifier:
//!
//! - a request that finds the set older than `jwks_refresh_ms` starts one
//!   refresh in the background and carries on with the current keys;
//! - a request whose `kid` is unknown waits for a refresh, allowed when the
//!   last attempt is older than `unknown_kid_refresh_ms` (or the periodic
//!   refresh is due anyway); callers that were waiting on the same lock
//!   share that one fetch's outcome instead of fetching again;
//! - while no key was ever loaded (IdP down at start-up), requests wait for
//!   a fetch, retried at most once per [`RETRY_WHEN_EMPTY`].

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::header::ACCEPT;
use http::{Method, Request, StatusCode, Uri};
use http_body_util::Full;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

use super::client::{HttpClient, MAX_BODY};

/// While the set is empty, how often a request may try the IdP again.
pub(super) const RETRY_WHEN_EMPTY: Duration = Duration::from_secs(1);

/// The key type an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyKind {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyKind {
    /// The key type `alg` verifies with; `None` for symmetric algorithms.
    pub(super) fn for_algorithm(alg: Algorithm) -> Option<KeyKind> {
        match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => Some(KeyKind::Rsa),
            Algorithm::ES256 => Some(KeyKind::P256),
            Algorithm::ES384 => Some(KeyKind::P384),
            Algorithm::EdDSA => Some(KeyKind::Ed25519),
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => None,
        }
    }
}

/// One usable verification key.
pub(super) struct Key {
    pub(super) kid: Option<String>,
    kind: KeyKind,
    /// The JWK's own `alg`, when it pins one.
    alg: Option<Algorithm>,
    pub(super) decoding: DecodingKey,
}

impl Key {
    /// Whether a token signed with `alg` may be verified with this key: the
    /// key's type must be the algorithm's (an RSA key never serves as an
    /// HMAC secret) and the JWK's `alg`, if any, must be this one.
    fn accepts(&self, alg: Algorithm) -> bool {
        KeyKind::for_algorithm(alg) == Some(self.kind) && self.alg.is_none_or(|own| own == alg)
    }
}

/// What a key lookup found.
pub(super) enum Lookup<'a> {
    Found(&'a Key),
    /// The `kid` exists but its key cannot verify this algorithm.
    WrongType,
    /// No such `kid` (or, without a `kid`, no single key of the right type).
    Missing,
}

/// The usable keys of one JWKS document.
#[derive(Default)]
pub(super) struct KeySet {
    keys: Vec<Key>,
}

impl KeySet {
    /// Parses a JWKS document. Keys that cannot serve for signature
    /// verification (encryption keys, symmetric keys, unknown types or
    /// curves, short RSA moduli) are skipped, not fatal: IdPs publish
    /// those too. A set left without any usable key is an error.
    pub(super) fn parse(scheme: &str, json: &[u8]) -> Result<KeySet, String> {
        let document: Value =
            serde_json::from_slice(json).map_err(|e| format!("JWKS is not valid JSON: {e}"))?;
        let Some(entries) = document.get("keys").and_then(Value::as_array) else {
            return Err("JWKS has no \"keys\" array".to_string());
        };
        let mut keys = Vec::with_capacity(entries.len());
        for entry in entries {
            match parse_jwk(entry) {
                Ok(key) => keys.push(key),
                Err(reason) => {
                    let kid = entry.get("kid").and_then(Value::as_str).unwrap_or("");
                    tracing::debug!(scheme, kid, reason, "JWK skipped");
                }
            }
        }
        if keys.is_empty() {
            return Err("JWKS holds no usable signature verification key".to_string());
        }
        Ok(KeySet { keys })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key for a token's `kid` and `alg`. Without a `kid`, the one key
    /// of the right type, if there is exactly one.
    pub(super) fn find(&self, kid: Option<&str>, alg: Algorithm) -> Lookup<'_> {
        match kid {
            Some(kid) => {
                let mut named = self.keys.iter().filter(|k| k.kid.as_deref() == Some(kid));
                let Some(first) = named.next() else {
                    return Lookup::Missing;
                };
                // A kid may be shared by keys of different types.
                std::iter::once(first)
                    .chain(named)
                    .find(|k| k.accepts(alg))
                    .map_or(Lookup::WrongType, Lookup::Found)
            }
            None => {
                let mut usable = self.keys.iter().filter(|k| k.accepts(alg));
                match (usable.next(), usable.next()) {
                    (Some(key), None) => Lookup::Found(key),
                    _ => Lookup::Missing,
                }
            }
        }
    }
}

fn field<'a>(jwk: &'a Value, name: &str) -> Result<&'a str, String> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no {name:?} string member"))
}

fn decode(jwk: &Value, name: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(field(jwk, name)?)
        .map_err(|_| format!("{name:?} is not base64url"))
}

fn decode_coordinate(jwk: &Value, name: &str, len: usize) -> Result<String, String> {
    let bytes = decode(jwk, name)?;
    if bytes.len() != len {
        return Err(format!("{name:?} is not {len} bytes long"));
    }
    Ok(field(jwk, name)?.to_string())
}

fn parse_jwk(jwk: &Value) -> Result<Key, String> {
    if !jwk.is_object() {
        return Err("not an object".to_string());
    }
    if let Some(usage) = jwk.get("use") {
        if usage.as_str() != Some("sig") {
            return Err("\"use\" is not \"sig\"".to_string());
        }
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
        if !verifies {
            return Err("\"key_ops\" lacks \"verify\"".to_string());
        }
    }
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err("\"kid\" is not a string".to_string()),
    };
    let (kind, decoding) = match field(jwk, "kty")? {
        "RSA" => {
            let n = decode(jwk, "n")?;
            let e = decode(jwk, "e")?;
            let significant = n.iter().skip_while(|&&b| b == 0).count();
            // ring refuses smaller moduli at verification; refuse them here
            // so the failure is a skipped key, not a "bad signature".
            if significant < 256 {
                return Err("RSA modulus shorter than 2048 bits".to_string());
            }
            (KeyKind::Rsa, DecodingKey::from_rsa_raw_components(&n, &e))
        }
        "EC" => {
            let (kind, len) = match field(jwk, "crv")? {
                "P-256" => (KeyKind::P256, 32),
                "P-384" => (KeyKind::P384, 48),
                other => return Err(format!("unsupported curve {other:?}")),
            };
            let x = decode_coordinate(jwk, "x", len)?;
            let y = decode_coordinate(jwk, "y", len)?;
            let decoding = DecodingKey::from_ec_components(&x, &y)
                .map_err(|_| "invalid EC coordinates".to_string())?;
            (kind, decoding)
        }
        "OKP" => {
            if field(jwk, "crv")? != "Ed25519" {
                return Err("unsupported OKP curve".to_string());
            }
            let x = decode_coordinate(jwk, "x", 32)?;
            let decoding = DecodingKey::from_ed_components(&x)
                .map_err(|_| "invalid Ed25519 key".to_string())?;
            (KeyKind::Ed25519, decoding)
        }
        // "oct" (symmetric) keys are never trusted for verification.
        other => return Err(format!("unsupported key type {other:?}")),
    };
    let alg = match jwk.get("alg") {
        None => None,
        Some(alg) => {
            let alg: Algorithm = alg
                .as_str()
                .and_then(|a| a.parse().ok())
                .ok_or_else(|| "unknown \"alg\"".to_string())?;
            if KeyKind::for_algorithm(alg) != Some(kind) {
                return Err("\"alg\" does not match the key type".to_string());
            }
            Some(alg)
        }
    };
    Ok(Key {
        kid,
        kind,
        alg,
        decoding,
    })
}

/// Where a scheme's keys come from.
pub(super) enum Source {
    File(PathBuf),
    // Boxed: the client is large, the file path small.
    Url { uri: Uri, client: Box<HttpClient> },
}

/// Why a refresh is asked for; each reason has its own rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reason {
    /// No key loaded yet.
    Empty,
    /// A token names a key the set does not hold.
    UnknownKid,
    /// The set is older than `jwks_refresh_ms`.
    Periodic,
}

/// What [`KeyStore::refresh`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refreshed {
    /// This caller or the one it waited on refreshed successfully.
    Done,
    /// Too soon since the last attempt: nothing fetched.
    Skipped,
    /// The fetch failed; the previous keys (if any) stay in use.
    Failed(String),
}

const NEVER: u64 = u64::MAX;

/// The keys of one scheme and their refresh state, shared by all requests.
pub(super) struct KeyStore {
    scheme: String,
    source: Source,
    keys: RwLock<Arc<KeySet>>,
    /// `last_attempt` counts milliseconds from here.
    base: Instant,
    /// End of the last load attempt, successful or not ([`NEVER`] before).
    last_attempt: AtomicU64,
    /// Incremented after every load attempt: a caller that saw generation
    /// `g` before waiting knows, if it changed, that someone else loaded.
    generation: AtomicU64,
    /// A background refresh is under way.
    refreshing: AtomicBool,
    /// Serialises loads; holds what the last one left behind.
    state: tokio::sync::Mutex<LoadState>,
    refresh_every: Duration,
    unknown_kid_every: Duration,
}

#[derive(Default)]
struct LoadState {
    /// Modification time of the file when it was last read.
    mtime: Option<SystemTime>,
    last_error: Option<String>,
}

impl KeyStore {
    /// Loads the keys once. A file must load (a typo is a start-up error);
    /// a URL may fail: the gateway starts before its IdP and fetches on
    /// first use.
    pub(super) async fn open(
        scheme: &str,
        source: Source,
        refresh_every: Duration,
        unknown_kid_every: Duration,
    ) -> Result<Arc<KeyStore>, String> {
        let store = Arc::new(KeyStore {
            scheme: scheme.to_string(),
            source,
            keys: RwLock::new(Arc::new(KeySet::default())),
            base: Instant::now(),
            last_attempt: AtomicU64::new(NEVER),
            generation: AtomicU64::new(0),
            refreshing: AtomicBool::new(false),
            state: tokio::sync::Mutex::new(LoadState::default()),
            refresh_every,
            unknown_kid_every,
        });
        if let Refreshed::Failed(error) = store.refresh(Reason::Empty, 0).await {
            match &store.source {
                Source::File(path) => {
                    return Err(format!("jwks_file {}: {error}", path.display()));
                }
                Source::Url { uri, .. } => tracing::warn!(
                    scheme,
                    url = %uri,
                    error,
                    "JWKS not loaded at start-up; it will be fetched on first use"
                ),
            }
        }
        Ok(store)
    }

    /// The current keys and the generation they belong to.
    pub(super) fn snapshot(&self) -> (Arc<KeySet>, u64) {
        // Generation first: a load completing in between only makes the
        // caller's view older, never newer than the generation it holds.
        let generation = self.generation.load(Ordering::Acquire);
        let keys = Arc::clone(&self.keys.read().unwrap_or_else(|e| e.into_inner()));
        (keys, generation)
    }

    fn since_last_attempt(&self) -> Option<Duration> {
        match self.last_attempt.load(Ordering::Acquire) {
            NEVER => None,
            at => {
                let now = self.base.elapsed().as_millis() as u64;
                Some(Duration::from_millis(now.saturating_sub(at)))
            }
        }
    }

    /// Whether the periodic refresh is due.
    pub(super) fn is_stale(&self) -> bool {
        self.since_last_attempt()
            .is_none_or(|elapsed| elapsed >= self.refresh_every)
    }

    /// Starts one background refresh unless one is already running; the
    /// caller goes on with the keys it has.
    pub(super) fn refresh_in_background(self: &Arc<Self>) {
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let store = Arc::clone(self);
        let seen = self.generation.load(Ordering::Acquire);
        tokio::spawn(async move {
            // Reset even if the refresh panics, or no refresh would run again.
            struct Reset<'a>(&'a AtomicBool);
            impl Drop for Reset<'_> {
                fn drop(&mut self) {
                    self.0.store(false, Ordering::Release);
                }
            }
            let _reset = Reset(&store.refreshing);
            store.refresh(Reason::Periodic, seen).await;
        });
    }

    /// Reloads the keys if `reason` allows it now. `seen` is the generation
    /// the caller looked at: if a load finished since, its outcome is shared
    /// and nothing is fetched again (concurrent misses make one fetch).
    pub(super) async fn refresh(&self, reason: Reason, seen: u64) -> Refreshed {
        let mut state = self.state.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            return match &state.last_error {
                Some(error) => Refreshed::Failed(error.clone()),
                None => Refreshed::Done,
            };
        }
        let elapsed = self.since_last_attempt();
        let allowed = elapsed.is_none_or(|elapsed| match reason {
            Reason::Empty => elapsed >= RETRY_WHEN_EMPTY,
            Reason::UnknownKid => {
                elapsed >= self.unknown_kid_every || elapsed >= self.refresh_every
            }
            Reason::Periodic => elapsed >= self.refresh_every,
        });
        if !allowed {
            return match (reason, &state.last_error) {
                (Reason::Empty, Some(error)) => Refreshed::Failed(error.clone()),
                _ => Refreshed::Skipped,
            };
        }
        let outcome = self.load(&mut state).await;
        let now = self.base.elapsed().as_millis() as u64;
        self.last_attempt.store(now, Ordering::Release);
        let refreshed = match outcome {
            Ok(None) => Refreshed::Done,
            Ok(Some(keys)) => {
                tracing::info!(
                    scheme = %self.scheme,
                    keys = keys.keys.len(),
                    kids = ?keys.keys.iter().filter_map(|k| k.kid.as_deref()).collect::<Vec<_>>(),
                    "JWKS loaded"
                );
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
                Refreshed::Done
            }
            Err(error) => {
                tracing::warn!(
                    scheme = %self.scheme,
                    reason = ?reason,
                    error,
                    "JWKS refresh failed; the previous keys stay in use"
                );
                Refreshed::Failed(error)
            }
        };
        state.last_error = match &refreshed {
            Refreshed::Failed(error) => Some(error.clone()),
            _ => None,
        };
        self.generation.fetch_add(1, Ordering::AcqRel);
        refreshed
    }

    /// Reads the source: `Ok(None)` when a file has not changed.
    async fn load(&self, state: &mut LoadState) -> Result<Option<KeySet>, String> {
        match &self.source {
            Source::File(path) => {
                let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
                let mtime = metadata.modified().ok();
                if mtime.is_some() && mtime == state.mtime {
                    return Ok(None);
                }
                if metadata.len() > MAX_BODY as u64 {
                    return Err(format!("larger than {MAX_BODY} bytes"));
                }
                // A small local file, read at most once per refresh
                // interval: not worth a blocking-pool round trip.
                let text = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
                let keys = KeySet::parse(&self.scheme, &text)?;
                state.mtime = mtime;
                Ok(Some(keys))
            }
            Source::Url { uri, client } => {
                let request = Request::builder()
                    .method(Method::GET)
                    .uri(uri.clone())
                    .header(ACCEPT, "application/jwk-set+json, application/json")
                    .body(Full::new(Bytes::new()))
                    .map_err(|e| format!("cannot build JWKS request: {e}"))?;
                let (status, body) = client
                    .send(request)
                    .await
                    .map_err(|e| format!("JWKS {e}"))?;
                if status != StatusCode::OK {
                    return Err(format!("JWKS endpoint answered {status}"));
                }
                KeySet::parse(&self.scheme, &body).map(Some)
            }
        }
    }
}

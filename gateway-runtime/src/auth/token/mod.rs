//! Bearer tokens (OAuth 2.0 access tokens, OpenID Connect): JWTs verified
//! locally against a JWKS, opaque tokens through RFC 7662 introspection.
//!
//! One [`TokenVerifier`] per token-verifying security scheme, built at
//! start-up from its [`TokenConfig`] and shared by all requests. What a
//! token must satisfy, in order:
//!
//! 1. its header names an algorithm of the configured list (asymmetric
//!    only: `none` and `HS*` never verify);
//! 2. a key of the JWKS, found by `kid`, has that algorithm's type (and
//!    the JWK's own `alg`, if any, is that algorithm): an RSA public key is
//!    never used as an HMAC secret;
//! 3. the signature verifies;
//! 4. `exp` is present and not past, `nbf` (if any) not ahead, both with
//!    `leeway_ms`; `iss` is exactly the issuer; `aud` contains one of the
//!    audiences.
//!
//! Nothing here logs a token, a claim value, a secret or key material:
//! only the scheme, `kid`s, URLs and error kinds.

mod client;
mod introspect;
mod jwks;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use self::client::{HttpClient, parse_url};
use self::introspect::Introspector;
use self::jwks::{KeyKind, KeyStore, Lookup, Reason, Refreshed, Source};

/// Longest token considered; anything longer is malformed (real access
/// tokens are a few KiB at most).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Deployment config of one token-verifying scheme (an OpenAPI oauth2 /
/// openIdConnect / http-bearer scheme): which issuer and audience it trusts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The exact `iss` required.
    pub issuer: String,
    /// `aud` (a string or an array) must contain one of them; not empty.
    pub audiences: Vec<String>,
    /// A JWKS JSON file (re-read when its modification time changes).
    pub jwks_file: Option<String>,
    /// Or a JWKS URL (`http` or `https`).
    pub jwks_url: Option<String>,
    /// Refresh period of the JWKS: a URL is fetched again, a file re-read
    /// if its modification time changed. Default 300 000.
    #[serde(default = "default_jwks_refresh_ms")]
    pub jwks_refresh_ms: u64,
    /// An unknown `kid` triggers at most one refresh per this interval;
    /// concurrent misses share one fetch. Default 30 000.
    #[serde(default = "default_unknown_kid_refresh_ms")]
    pub unknown_kid_refresh_ms: u64,
    /// Clock skew tolerated on `exp` and `nbf`, rounded up to whole
    /// seconds (JWT times are seconds). Default 30 000.
    #[serde(default = "default_leeway_ms")]
    pub leeway_ms: u64,
    /// Accepted `alg` values. Default `["RS256", "PS256", "ES256", "EdDSA"]`;
    /// also known: RS384, RS512, PS384, PS512, ES384. Symmetric algorithms
    /// (`HS*`) and `none` are refused.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// For opaque tokens (and for all tokens when no JWKS is configured).
    pub introspection: Option<IntrospectionConfig>,
    /// PEM roots trusted for `https` JWKS and introspection endpoints;
    /// default: the webpki (Mozilla) roots.
    pub ca_file: Option<String>,
}

/// An RFC 7662 introspection endpoint and the client credentials it wants.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionConfig {
    /// The RFC 7662 endpoint (`http` or `https`).
    pub url: String,
    /// Client id for HTTP Basic authentication to the endpoint.
    pub client_id: String,
    /// Name of the environment variable holding the client secret (secrets
    /// never sit in the config file).
    pub client_secret_env: String,
    /// How long an answer is reused, never beyond the token's `exp`.
    /// Default 60 000; 0 disables the cache.
    #[serde(default = "default_cache_ms")]
    pub cache_ms: u64,
    /// Most answers kept (keyed by the token's SHA-256, never the token);
    /// when full, expired entries go first, then the closest to expiry.
    /// Default 10 000.
    #[serde(default = "default_cache_entries")]
    pub cache_entries: usize,
}

fn default_jwks_refresh_ms() -> u64 {
    300_000
}
fn default_unknown_kid_refresh_ms() -> u64 {
    30_000
}
fn default_leeway_ms() -> u64 {
    30_000
}
fn default_algorithms() -> Vec<String> {
    ["RS256", "PS256", "ES256", "EdDSA"]
        .into_iter()
        .map(String::from)
        .collect()
}
fn default_cache_ms() -> u64 {
    60_000
}
fn default_cache_entries() -> usize {
    10_000
}

impl TokenConfig {
    /// A config trusting `issuer` for `audience`, keys from `jwks_url`,
    /// every other setting at its default.
    pub fn with_jwks_url(issuer: &str, audience: &str, jwks_url: &str) -> TokenConfig {
        TokenConfig {
            issuer: issuer.to_string(),
            audiences: vec![audience.to_string()],
            jwks_file: None,
            jwks_url: Some(jwks_url.to_string()),
            jwks_refresh_ms: default_jwks_refresh_ms(),
            unknown_kid_refresh_ms: default_unknown_kid_refresh_ms(),
            leeway_ms: default_leeway_ms(),
            algorithms: default_algorithms(),
            introspection: None,
            ca_file: None,
        }
    }
}

/// What a verified token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `sub`.
    pub subject: Option<String>,
    /// `client_id`, else `azp`.
    pub client_id: Option<String>,
    /// `scope` (space-separated string) and `scp` (array or string),
    /// merged, first occurrence order, without duplicates.
    pub scopes: Vec<String>,
    /// `exp`, seconds since the Unix epoch.
    pub expires_at: Option<u64>,
}

impl Claims {
    fn from_map(claims: &Map<String, Value>) -> Claims {
        let string = |name: &str| claims.get(name).and_then(Value::as_str).map(String::from);
        let mut scopes: Vec<String> = Vec::new();
        for name in ["scope", "scp"] {
            let mut add = |scope: &str| {
                if !scopes.iter().any(|s| s == scope) {
                    scopes.push(scope.to_string());
                }
            };
            match claims.get(name) {
                Some(Value::String(list)) => list.split_ascii_whitespace().for_each(&mut add),
                Some(Value::Array(items)) => {
                    items.iter().filter_map(Value::as_str).for_each(&mut add)
                }
                _ => {}
            }
        }
        Claims {
            subject: string("sub"),
            client_id: string("client_id").or_else(|| string("azp")),
            scopes,
            expires_at: claims.get("exp").and_then(numeric_date),
        }
    }
}

/// Why a token was refused. [`Display`](fmt::Display) gives a short message
/// safe for a 401 problem body: no token, claim value, key or endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Not a JWT and no introspection; bad base64 or JSON; no `exp`.
    Malformed,
    /// The header's `alg` is not accepted (includes `none` and `HS*`), or
    /// does not fit the key. Holds the `alg`, sanitised, for logs.
    Algorithm(String),
    /// The `kid` is not in the JWKS, even after the rate-limited refresh.
    UnknownKey,
    BadSignature,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongAudience,
    /// Introspection answered `active: false`.
    Inactive,
    /// The JWKS or introspection endpoint is unreachable or erroring:
    /// fail closed (503). Holds a detail for logs (never a secret).
    Unavailable(String),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenError::Malformed => "token is malformed",
            TokenError::Algorithm(_) => "token algorithm is not accepted",
            TokenError::UnknownKey => "token signing key is unknown",
            TokenError::BadSignature => "token signature is invalid",
            TokenError::Expired => "token expired",
            TokenError::NotYetValid => "token is not valid yet",
            TokenError::WrongIssuer => "token issuer is not accepted",
            TokenError::WrongAudience => "token audience is not accepted",
            TokenError::Inactive => "token is not active",
            TokenError::Unavailable(_) => "token cannot be verified at the moment",
        })
    }
}

impl std::error::Error for TokenError {}

/// An `alg` as it may appear in logs: bounded, printable ASCII.
fn sanitise_alg(alg: &str) -> String {
    alg.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(16)
        .collect()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A JWT NumericDate (seconds, possibly fractional) as whole seconds.
fn numeric_date(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
            .map(|f| f.round() as u64)
    })
}

/// The claim rules of a scheme, applied to JWT claims and to
/// introspection answers alike.
struct Rules {
    issuer: String,
    audiences: Vec<String>,
    leeway_secs: u64,
}

impl Rules {
    /// `exp` (required for JWTs), `nbf`, `iss` (a string, exactly the
    /// issuer) and `aud`, each checked only if present in an introspection
    /// answer. For JWTs jsonwebtoken has checked the same already; this
    /// second pass also refuses what it lets through (an `iss` array).
    fn check(&self, claims: &Map<String, Value>, jwt: bool) -> Result<(), TokenError> {
        let now = now_secs();
        match claims.get("exp").map(numeric_date) {
            Some(Some(exp)) if exp.saturating_add(self.leeway_secs) < now => {
                return Err(TokenError::Expired);
            }
            Some(Some(_)) => {}
            Some(None) => return Err(TokenError::Malformed),
            None if jwt => return Err(TokenError::Malformed),
            None => {}
        }
        match claims.get("nbf").map(numeric_date) {
            Some(Some(nbf)) if nbf > now.saturating_add(self.leeway_secs) => {
                return Err(TokenError::NotYetValid);
            }
            Some(Some(_)) | None => {}
            Some(None) => return Err(TokenError::Malformed),
        }
        match claims.get("iss") {
            Some(Value::String(iss)) if *iss == self.issuer => {}
            None if !jwt => {}
            _ => return Err(TokenError::WrongIssuer),
        }
        let ours = |aud: &Value| {
            aud.as_str()
                .is_some_and(|aud| self.audiences.iter().any(|a| a == aud))
        };
        match claims.get("aud") {
            Some(Value::Array(auds)) if auds.iter().any(ours) => {}
            Some(aud) if ours(aud) => {}
            None if !jwt => {}
            _ => return Err(TokenError::WrongAudience),
        }
        Ok(())
    }
}

/// Verifies the bearer tokens of one security scheme; `Send + Sync`, shared
/// by all requests.
pub struct TokenVerifier {
    scheme: String,
    rules: Rules,
    /// The prepared validation of each accepted algorithm.
    validations: Vec<(Algorithm, Validation)>,
    keys: Option<Arc<KeyStore>>,
    introspection: Option<Introspector>,
}

impl fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("scheme", &self.scheme)
            .field("issuer", &self.rules.issuer)
            .field("audiences", &self.rules.audiences)
            .field(
                "algorithms",
                &self.validations.iter().map(|(a, _)| a).collect::<Vec<_>>(),
            )
            .field("jwks", &self.keys.is_some())
            .field("introspection", &self.introspection.is_some())
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// Checks the config (files readable, JWKS parsable, algorithms known
    /// and asymmetric, secret environment variable set) and loads the keys.
    /// A JWKS URL is fetched once here; if that fails, a warning is logged
    /// and the keys are fetched on first use, so the gateway can start
    /// before its IdP. Call from within a tokio runtime.
    pub async fn new(scheme: &str, config: &TokenConfig) -> Result<TokenVerifier, String> {
        TokenVerifier::with_env(scheme, config, |name| std::env::var(name).ok()).await
    }

    /// [`TokenVerifier::new`] reading environment variables through `env`.
    pub async fn with_env(
        scheme: &str,
        config: &TokenConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<TokenVerifier, String> {
        let fail = |message: String| format!("security scheme {scheme}: {message}");
        if config.issuer.is_empty() {
            return Err(fail("issuer is empty".into()));
        }
        if config.audiences.is_empty() || config.audiences.iter().any(String::is_empty) {
            return Err(fail(
                "audiences must list at least one non-empty audience".into(),
            ));
        }
        // Zero would refetch on every request (or every miss).
        if config.jwks_refresh_ms == 0 || config.unknown_kid_refresh_ms == 0 {
            return Err(fail(
                "jwks_refresh_ms and unknown_kid_refresh_ms must be positive".into(),
            ));
        }
        if config.algorithms.is_empty() {
            return Err(fail("algorithms is empty".into()));
        }
        let leeway_secs = config.leeway_ms.div_ceil(1000);
        let mut validations = Vec::with_capacity(config.algorithms.len());
        for name in &config.algorithms {
            let alg: Algorithm = name
                .parse()
                .map_err(|_| fail(format!("unknown algorithm {name:?}")))?;
            if KeyKind::for_algorithm(alg).is_none() {
                return Err(fail(format!(
                    "algorithm {name} is symmetric: only asymmetric algorithms are accepted"
                )));
            }
            if validations.iter().any(|(a, _)| *a == alg) {
                continue;
            }
            let mut validation = Validation::new(alg);
            validation.algorithms = vec![alg];
            validation.leeway = leeway_secs;
            validation.validate_exp = true;
            validation.validate_nbf = true;
            validation.validate_aud = true;
            validation.set_issuer(&[&config.issuer]);
            validation.set_audience(&config.audiences);
            validation.set_required_spec_claims(&["exp", "iss", "aud"]);
            validations.push((alg, validation));
        }

        let needs_client = config.jwks_url.is_some() || config.introspection.is_some();
        let client = if needs_client {
            Some(HttpClient::new(config.ca_file.as_deref()).map_err(fail)?)
        } else {
            None
        };
        let source = match (&config.jwks_file, &config.jwks_url, &client) {
            (Some(_), Some(_), _) => {
                return Err(fail("give jwks_file or jwks_url, not both".into()));
            }
            (Some(path), None, _) => Some(Source::File(PathBuf::from(path))),
            (None, Some(url), Some(client)) => Some(Source::Url {
                uri: parse_url("jwks_url", url).map_err(fail)?,
                client: Box::new(client.clone()),
            }),
            _ => None,
        };
        let introspection = match (&config.introspection, &client) {
            (Some(intro), Some(client)) => {
                let uri = parse_url("introspection url", &intro.url).map_err(fail)?;
                if intro.client_id.is_empty() {
                    return Err(fail("introspection client_id is empty".into()));
                }
                let secret = env(&intro.client_secret_env)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        fail(format!(
                            "environment variable {} (introspection client secret) is not set",
                            intro.client_secret_env
                        ))
                    })?;
                Some(
                    Introspector::new(
                        scheme,
                        uri,
                        client.clone(),
                        &intro.client_id,
                        &secret,
                        Duration::from_millis(intro.cache_ms),
                        intro.cache_entries,
                    )
                    .map_err(fail)?,
                )
            }
            _ => None,
        };
        if source.is_none() && introspection.is_none() {
            return Err(fail(
                "needs jwks_file, jwks_url or introspection to verify tokens".into(),
            ));
        }
        let keys = match source {
            Some(source) => Some(
                KeyStore::open(
                    scheme,
                    source,
                    Duration::from_millis(config.jwks_refresh_ms),
                    Duration::from_millis(config.unknown_kid_refresh_ms),
                )
                .await
                .map_err(fail)?,
            ),
            None => None,
        };
        Ok(TokenVerifier {
            scheme: scheme.to_string(),
            rules: Rules {
                issuer: config.issuer.clone(),
                audiences: config.audiences.clone(),
                leeway_secs,
            },
            validations,
            keys,
            introspection,
        })
    }

    /// The security scheme this verifier serves.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The issuer this verifier trusts (every token it admits has this `iss`).
    pub fn issuer(&self) -> &str {
        &self.rules.issuer
    }

    /// Verifies one bearer token: a JWT (three base64url parts) locally,
    /// otherwise (opaque) through introspection if configured, else
    /// [`TokenError::Malformed`]. Without a JWKS, every token goes to
    /// introspection.
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let result = match (jwt_header(token), &self.keys, &self.introspection) {
            (Some(header), Some(keys), _) => self.verify_jwt(token, header, keys).await,
            (_, _, Some(introspection)) => introspection.introspect(token, &self.rules).await,
            (_, _, None) => Err(TokenError::Malformed),
        };
        if let Err(error) = &result {
            tracing::debug!(scheme = %self.scheme, error = ?error, "bearer token refused");
        }
        result
    }

    async fn verify_jwt(
        &self,
        token: &str,
        header: Map<String, Value>,
        keys: &Arc<KeyStore>,
    ) -> Result<Claims, TokenError> {
        let alg_name = match header.get("alg") {
            Some(Value::String(alg)) => alg.as_str(),
            _ => return Err(TokenError::Malformed),
        };
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.as_str()),
            Some(_) => return Err(TokenError::Malformed),
        };
        // Extensions marked critical must be understood; none are.
        if header.contains_key("crit") {
            return Err(TokenError::Malformed);
        }
        let Some((alg, validation)) = alg_name
            .parse::<Algorithm>()
            .ok()
            .and_then(|alg| self.validations.iter().find(|(a, _)| *a == alg))
        else {
            return Err(TokenError::Algorithm(sanitise_alg(alg_name)));
        };

        let (mut set, mut generation) = keys.snapshot();
        if set.is_empty() {
            if let Refreshed::Failed(error) = keys.refresh(Reason::Empty, generation).await {
                return Err(TokenError::Unavailable(error));
            }
            (set, generation) = keys.snapshot();
        } else if keys.is_stale() {
            keys.refresh_in_background();
        }
        let key = match set.find(kid, *alg) {
            Lookup::Found(key) => key,
            Lookup::WrongType => return Err(TokenError::Algorithm(sanitise_alg(alg_name))),
            Lookup::Missing => {
                if let Refreshed::Failed(error) = keys.refresh(Reason::UnknownKid, generation).await
                {
                    return Err(TokenError::Unavailable(error));
                }
                (set, _) = keys.snapshot();
                match set.find(kid, *alg) {
                    Lookup::Found(key) => key,
                    Lookup::WrongType => {
                        return Err(TokenError::Algorithm(sanitise_alg(alg_name)));
                    }
                    Lookup::Missing => {
                        tracing::debug!(scheme = %self.scheme, kid, "unknown signing key");
                        return Err(TokenError::UnknownKey);
                    }
                }
            }
        };

        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, validation)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature
                | ErrorKind::InvalidEcdsaKey
                | ErrorKind::InvalidRsaKey(_)
                | ErrorKind::InvalidKeyFormat => TokenError::BadSignature,
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::MissingRequiredClaim(claim) if claim == "iss" => TokenError::WrongIssuer,
                ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => {
                    TokenError::WrongAudience
                }
                ErrorKind::InvalidAlgorithm
                | ErrorKind::MissingAlgorithm
                | ErrorKind::InvalidAlgorithmName => TokenError::Algorithm(sanitise_alg(alg_name)),
                _ => TokenError::Malformed,
            })?;
        self.rules.check(&data.claims, true)?;
        Ok(Claims::from_map(&data.claims))
    }
}

/// The decoded header of a JWS in compact form (three base64url parts,
/// the first a JSON object); `None` for anything else (an opaque token).
fn jwt_header(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let base64url = |part: &str| {
        part.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    // An empty signature still makes a JWT (the unsecured `alg: none`
    // form), refused later for its algorithm rather than taken as opaque.
    if header.is_empty() || ![header, payload, signature].into_iter().all(base64url) {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(header).ok()?;
    serde_json::from_slice(&bytes).ok()
}

//! OAuth 2.0 token introspection (RFC 7662) for opaque tokens, with a
//! bounded cache keyed by the token's SHA-256 (the token itself is never
//! kept).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::Full;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

use super::client::HttpClient;
use super::{Claims, Rules, TokenError, now_secs};

/// `application/x-www-form-urlencoded` values: everything but the
/// unreserved characters is escaped (over-escaping is always understood).
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

type Key = [u8; 32];

/// One scheme's introspection endpoint and its cache.
pub(super) struct Introspector {
    scheme: String,
    uri: Uri,
    client: HttpClient,
    /// `Basic` credentials, built once; marked sensitive so that hyper
    /// never indexes it in HPACK and `Debug` output hides it.
    authorization: HeaderValue,
    cache: Mutex<Cache>,
    cache_ttl: Duration,
    /// Calls in flight at most: a flood of made-up opaque tokens gets 503
    /// at once instead of being relayed to the identity provider.
    in_flight: tokio::sync::Semaphore,
}

/// Most concurrent calls to one introspection endpoint.
const MAX_IN_FLIGHT: usize = 32;

struct Cache {
    entries: HashMap<Key, (Result<Claims, TokenError>, Instant)>,
    capacity: usize,
}

impl Introspector {
    pub(super) fn new(
        scheme: &str,
        uri: Uri,
        client: HttpClient,
        client_id: &str,
        secret: &str,
        cache_ttl: Duration,
        cache_entries: usize,
    ) -> Result<Introspector, String> {
        // RFC 6749 §2.3.1: both parts are form-encoded before Basic.
        let credentials = format!(
            "{}:{}",
            utf8_percent_encode(client_id, FORM),
            utf8_percent_encode(secret, FORM)
        );
        let mut authorization =
            HeaderValue::try_from(format!("Basic {}", STANDARD.encode(credentials)))
                .map_err(|_| "introspection credentials are not a valid header".to_string())?;
        authorization.set_sensitive(true);
        Ok(Introspector {
            scheme: scheme.to_string(),
            uri,
            client,
            authorization,
            cache: Mutex::new(Cache {
                entries: HashMap::new(),
                capacity: cache_entries,
            }),
            cache_ttl,
            in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
        })
    }

    /// The endpoint's verdict on `token`, from the cache when fresh.
    /// Unavailability is never cached: the next request tries again.
    pub(super) async fn introspect(
        &self,
        token: &str,
        rules: &Rules,
    ) -> Result<Claims, TokenError> {
        let key: Key = ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
            .as_ref()
            .try_into()
            .expect("SHA-256 is 32 bytes");
        if let Some(hit) = self.cached(&key) {
            return hit;
        }
        let Ok(_slot) = self.in_flight.try_acquire() else {
            return Err(TokenError::Unavailable(
                "too many introspection calls in flight".to_owned(),
            ));
        };
        let result = self.call(token, rules).await;
        if let Err(TokenError::Unavailable(error)) = &result {
            tracing::warn!(scheme = %self.scheme, url = %self.uri, error, "introspection failed");
        } else {
            let ttl = match &result {
                // A positive answer never outlives the token.
                Ok(claims) => match claims.expires_at {
                    Some(exp) => self
                        .cache_ttl
                        .min(Duration::from_secs(exp.saturating_sub(now_secs()))),
                    None => self.cache_ttl,
                },
                Err(_) => self.cache_ttl,
            };
            self.store(key, result.clone(), ttl);
        }
        result
    }

    fn cached(&self, key: &Key) -> Option<Result<Claims, TokenError>> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match cache.entries.get(key) {
            Some((result, until)) if *until > Instant::now() => Some(result.clone()),
            _ => None,
        }
    }

    fn store(&self, key: Key, result: Result<Claims, TokenError>, ttl: Duration) {
        if ttl.is_zero() {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.capacity == 0 {
            return;
        }
        let now = Instant::now();
        if cache.entries.len() >= cache.capacity && !cache.entries.contains_key(&key) {
            // Full: drop what has expired, then, if need be, the entry
            // closest to expiry. Linear, but only when full, and each
            // insertion already cost a round trip to the endpoint.
            cache.entries.retain(|_, (_, until)| *until > now);
            if cache.entries.len() >= cache.capacity {
                let soonest = cache
                    .entries
                    .iter()
                    .min_by_key(|(_, (_, until))| *until)
                    .map(|(key, _)| *key);
                if let Some(soonest) = soonest {
                    cache.entries.remove(&soonest);
                }
            }
        }
        cache.entries.insert(key, (result, now + ttl));
    }

    async fn call(&self, token: &str, rules: &Rules) -> Result<Claims, TokenError> {
        let body = format!(
            "token={}&token_type_hint=access_token",
            utf8_percent_encode(token, FORM)
        );
        let request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, self.authorization.clone())
            .body(Full::new(Bytes::from(body)))
            .map_err(|_| TokenError::Unavailable("cannot build introspection request".into()))?;
        let (status, body) = self
            .client
            .send(request)
            .await
            .map_err(|e| TokenError::Unavailable(format!("introspection {e}")))?;
        if status != StatusCode::OK {
            return Err(TokenError::Unavailable(format!(
                "introspection endpoint answered {status}"
            )));
        }
        let answer: Map<String, Value> = serde_json::from_slice(&body).map_err(|_| {
            TokenError::Unavailable("introspection answer is not a JSON object".into())
        })?;
        match answer.get("active") {
            Some(Value::Bool(true)) => {}
            Some(Value::Bool(false)) => return Err(TokenError::Inactive),
            // `active` is required (RFC 7662 §2.2): without it, fail closed.
            _ => {
                return Err(TokenError::Unavailable(
                    "introspection answer lacks a boolean \"active\"".into(),
                ));
            }
        }
        rules.check(&answer, false)?;
        Ok(Claims::from_map(&answer))
    }
}

//! Authentication and authorisation: the security requirements compiled
//! from the contract, checked against the credentials of each request.
//!
//! Each operation carries its requirements (`Operation::security`): an OR
//! of alternatives, each an AND of schemes with the scopes (or roles) they
//! must grant. A request is admitted as soon as one alternative holds
//! entirely. Which consumers, issuers and audiences a scheme trusts is
//! deployment configuration: the consumer registry (`consumers`) for API
//! keys, Basic and client certificates, a [`token::TokenVerifier`] per
//! token scheme.
//!
//! Refusals: no or bad credentials give 401 with a `WWW-Authenticate`
//! challenge per scheme the operation accepts; valid credentials without
//! the entitlement (API not in the consumer's list, missing scope) give
//! 403; an identity provider that cannot be reached gives 503 (never a
//! pass). Details name the scheme and the reason, never the credential.

// Who may call: consumers, their hashed credentials, their entitlements.
pub mod consumers;
// Bearer tokens: JWT verified against a JWKS, or opaque tokens introspected.
pub mod token;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::{AUTHORIZATION, COOKIE};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Uri};

use crate::config::{Config, ConfigError};
use crate::connection::Connection;
use crate::contract::{Api, ApiKeyIn, Contract, Operation, SchemeKind};
use crate::problem::{Problem, ProblemKind};
use crate::tls::ApiClientCa;
use crate::validate::params::form_decode;
use consumers::{Consumer, Consumers, Login};
use token::TokenVerifier;

/// The header that carries the caller's identity upstream, by default.
pub const DEFAULT_IDENTITY_HEADER: &str = "x-douane-consumer";

/// Who a request was admitted as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// A consumer id from the registry, or `scheme:subject` for a token
    /// whose client no consumer claims.
    pub identity: Arc<str>,
}

/// Everything authentication needs, built once at start-up.
#[derive(Debug)]
pub struct Auth {
    consumers: Option<Arc<Consumers>>,
    identity_header: HeaderName,
    /// By index into `Contract::apis`.
    apis: Vec<ApiAuth>,
}

#[derive(Debug)]
struct ApiAuth {
    api: &'static Api,
    /// By index into `Api::security_schemes`; `Some` for token schemes.
    tokens: Vec<Option<TokenVerifier>>,
    /// Pass API keys and Basic credentials on to the upstream.
    forward_credentials: bool,
    /// `apis.NAME.client_ca`: client certificates for `mutualTLS` must
    /// also chain to this API's own roots.
    client_ca: Option<ApiClientCa>,
}

/// What one scheme made of a request's credentials.
#[derive(Debug)]
enum Check {
    Passed(Principal),
    /// No credential for this scheme.
    Missing,
    /// A credential that does not authenticate anyone (401).
    Refused(Cow<'static, str>),
    /// The identity provider could not answer (503).
    Unavailable(String),
}

#[derive(Debug)]
struct Principal {
    consumer: Option<Arc<Consumer>>,
    identity: Arc<str>,
    /// Scopes a token carries; `None`: the consumer's own.
    token_scopes: Option<Vec<String>>,
}

impl Principal {
    fn scopes(&self) -> &[String] {
        match (&self.token_scopes, &self.consumer) {
            (Some(scopes), _) => scopes,
            (None, Some(consumer)) => &consumer.scopes,
            (None, None) => &[],
        }
    }
}

impl Auth {
    /// Checks the deployment's security settings against the contract: every
    /// scheme an operation requires must have what it trusts configured.
    pub async fn new(contract: &'static Contract, config: &Config) -> Result<Auth, ConfigError> {
        let auth = &config.auth;
        let identity_header =
            HeaderName::from_bytes(auth.identity_header.as_bytes()).map_err(|_| {
                ConfigError::Auth {
                    api: None,
                    message: format!(
                        "identity_header `{}` is not a valid header name",
                        auth.identity_header
                    ),
                }
            })?;
        let consumers = match &auth.consumers {
            None => None,
            Some(path) => {
                let consumers = Consumers::open(path.as_ref())
                    .map_err(|message| ConfigError::Auth { api: None, message })?;
                Some(Arc::new(consumers))
            }
        };
        let mut apis = Vec::with_capacity(contract.apis.len());
        for api in contract.apis {
            let settings = config.apis.get(api.name);
            let error = |message: String| ConfigError::Auth {
                api: Some(api.name.to_owned()),
                message,
            };
            let configured = settings.map(|s| &s.schemes);
            for name in configured.into_iter().flat_map(|m| m.keys()) {
                match api.security_schemes.iter().find(|s| s.name == name) {
                    None => {
                        return Err(error(format!(
                            "schemes.{name}: the contract declares no security scheme `{name}`"
                        )));
                    }
                    Some(s) if !s.kind.takes_token() => {
                        return Err(error(format!(
                            "schemes.{name}: `{name}` is not a token scheme (oauth2, openIdConnect or http bearer); its credentials come from the consumer registry"
                        )));
                    }
                    Some(_) => {}
                }
            }
            let mut tokens = Vec::with_capacity(api.security_schemes.len());
            for (index, scheme) in api.security_schemes.iter().enumerate() {
                let required = api.operations.iter().any(|op| {
                    op.security
                        .iter()
                        .any(|r| r.iter().any(|(i, _)| *i == index))
                });
                let token_config = configured.and_then(|m| m.get(scheme.name));
                if scheme.kind.takes_token() {
                    match token_config {
                        Some(tc) => tokens.push(Some(
                            TokenVerifier::new(scheme.name, tc)
                                .await
                                .map_err(|m| error(format!("schemes.{}: {m}", scheme.name)))?,
                        )),
                        None if required => {
                            return Err(error(format!(
                                "security scheme `{0}` needs its token settings: [apis.{1}.schemes.{0}] with issuer, audiences and jwks_file or jwks_url",
                                scheme.name, api.name
                            )));
                        }
                        None => tokens.push(None),
                    }
                } else {
                    if required && consumers.is_none() {
                        return Err(error(format!(
                            "security scheme `{}` checks credentials against the consumer registry: set [auth] consumers",
                            scheme.name
                        )));
                    }
                    tokens.push(None);
                }
            }
            let client_ca = match settings.and_then(|s| s.client_ca.as_deref()) {
                Some(path) => Some(ApiClientCa::load(api.name, path)?),
                None => None,
            };
            apis.push(ApiAuth {
                api,
                tokens,
                forward_credentials: settings.is_some_and(|s| s.forward_credentials),
                client_ca,
            });
        }
        Ok(Auth {
            consumers,
            identity_header,
            apis,
        })
    }

    /// Starts reloading the consumer registry on change and SIGHUP.
    pub fn watch(&self, interval: Duration) {
        if let Some(consumers) = &self.consumers {
            consumers.watch(interval);
        }
    }

    /// The live consumer registry, if one is configured.
    pub fn consumers(&self) -> Option<&Arc<Consumers>> {
        self.consumers.as_ref()
    }

    /// Admits or refuses a request to `op` of API `api` (index into
    /// `Contract::apis`). `Ok(None)`: admitted anonymously (a public
    /// operation, or one whose requirements include `{}`).
    pub async fn admit(
        &self,
        api: usize,
        op: &'static Operation,
        head: &Parts,
        connection: &Connection,
    ) -> Result<Option<Caller>, Problem> {
        if op.security.is_empty() {
            return Ok(None);
        }
        let api = &self.apis[api];
        let mut checks: Vec<Option<Check>> = Vec::new();
        checks.resize_with(api.api.security_schemes.len(), || None);
        let mut anonymous = false;
        let mut forbidden: Option<Problem> = None;
        let mut unavailable: Option<String> = None;
        let mut refused: Option<Cow<'static, str>> = None;
        // Why a bearer token was refused, for the RFC 6750 challenge.
        let mut invalid_token: Option<Cow<'static, str>> = None;
        'alternatives: for requirement in op.security {
            if requirement.is_empty() {
                anonymous = true;
                continue;
            }
            // Credentials are checked in order, each scheme at most once per
            // request, and no further than the first that fails.
            for &(index, _) in *requirement {
                if checks[index].is_none() {
                    checks[index] = Some(self.check(api, index, head, connection).await);
                }
                if !matches!(checks[index], Some(Check::Passed(_))) {
                    break;
                }
            }
            let mut caller: Option<&Principal> = None;
            for &(index, scopes) in *requirement {
                let principal = match &checks[index] {
                    Some(Check::Passed(p)) => p,
                    Some(Check::Refused(why)) => {
                        refused.get_or_insert_with(|| why.clone());
                        if api.api.security_schemes[index].kind.takes_token() {
                            invalid_token.get_or_insert_with(|| why.clone());
                        }
                        continue 'alternatives;
                    }
                    Some(Check::Unavailable(why)) => {
                        unavailable.get_or_insert_with(|| why.clone());
                        continue 'alternatives;
                    }
                    Some(Check::Missing) | None => continue 'alternatives,
                };
                if let Some(consumer) = &principal.consumer {
                    if !consumer.entitled(api.api.name) {
                        forbidden.get_or_insert_with(|| {
                            Problem::new(
                                ProblemKind::Forbidden,
                                format!(
                                    "consumer `{}` is not entitled to api `{}`",
                                    consumer.id, api.api.name
                                ),
                            )
                        });
                        continue 'alternatives;
                    }
                }
                let granted = principal.scopes();
                if let Some(missing) = scopes.iter().find(|s| !granted.iter().any(|g| g == *s)) {
                    let scheme = &api.api.security_schemes[index];
                    forbidden.get_or_insert_with(|| {
                        let mut problem = Problem::new(
                            ProblemKind::Forbidden,
                            format!(
                                "insufficient_scope: `{}` requires scope `{missing}` (needed: {})",
                                scheme.name,
                                scopes.join(" ")
                            ),
                        );
                        if scheme.kind.takes_token() {
                            problem.challenges.push(format!(
                                "Bearer realm=\"{}\", error=\"insufficient_scope\", scope=\"{}\"",
                                api.api.name,
                                scopes.join(" ")
                            ));
                        }
                        problem
                    });
                    continue 'alternatives;
                }
                // Schemes joined by AND must agree on who is calling.
                match caller {
                    Some(first) if !same_consumer(first, principal) => {
                        refused.get_or_insert(Cow::Borrowed(
                            "the credentials of this request belong to different consumers",
                        ));
                        continue 'alternatives;
                    }
                    Some(first) if first.consumer.is_some() => {}
                    _ => caller = Some(principal),
                }
            }
            if let Some(principal) = caller {
                return Ok(Some(Caller {
                    identity: principal.identity.clone(),
                }));
            }
        }
        if anonymous {
            return Ok(None);
        }
        if let Some(problem) = forbidden {
            return Err(problem);
        }
        if let Some(why) = unavailable {
            return Err(Problem::new(
                ProblemKind::AuthUnavailable,
                format!("credentials cannot be verified now: {why}"),
            ));
        }
        let detail = match refused {
            Some(why) => why,
            None => {
                let alternatives: Vec<String> = op
                    .security
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|(i, _)| api.api.security_schemes[*i].name)
                            .collect::<Vec<_>>()
                            .join(" and ")
                    })
                    .collect();
                Cow::Owned(format!(
                    "credentials required: {}",
                    alternatives.join(" or ")
                ))
            }
        };
        let mut problem = Problem::new(ProblemKind::Unauthorized, detail);
        problem.challenges = challenges(api.api, op, invalid_token.as_deref());
        Err(problem)
    }

    /// What scheme `index` makes of the request's credentials.
    async fn check(
        &self,
        api: &ApiAuth,
        index: usize,
        head: &Parts,
        connection: &Connection,
    ) -> Check {
        let scheme = &api.api.security_schemes[index];
        let registry = || self.consumers.as_ref().map(|c| c.current());
        match scheme.kind {
            SchemeKind::ApiKey { location, name } => {
                let key = match api_key(head, location, name) {
                    Ok(Some(key)) => key,
                    Ok(None) => return Check::Missing,
                    Err(why) => return Check::Refused(why),
                };
                match registry()
                    .as_ref()
                    .and_then(|r| r.by_api_key(&key).cloned())
                {
                    Some(consumer) => Check::Passed(Principal {
                        identity: consumer.id.clone(),
                        consumer: Some(consumer),
                        token_scopes: None,
                    }),
                    None => Check::Refused(Cow::Owned(format!(
                        "api key `{}` is not valid",
                        scheme.name
                    ))),
                }
            }
            SchemeKind::Basic => {
                let (id, password) = match authorization(&head.headers, "basic") {
                    Ok(Some(credentials)) => match basic_credentials(credentials) {
                        Some(pair) => pair,
                        None => {
                            return Check::Refused(Cow::Borrowed(
                                "Basic credentials must be base64 of id:password",
                            ));
                        }
                    },
                    Ok(None) => return Check::Missing,
                    Err(why) => return Check::Refused(why),
                };
                let Some(consumers) = &self.consumers else {
                    return Check::Refused(Cow::Borrowed("no consumer registry"));
                };
                match consumers.login(&id, &password).await {
                    Login::Admitted(consumer) => Check::Passed(Principal {
                        identity: consumer.id.clone(),
                        consumer: Some(consumer),
                        token_scopes: None,
                    }),
                    Login::Refused => {
                        Check::Refused(Cow::Borrowed("unknown consumer or wrong password"))
                    }
                    Login::Busy => {
                        Check::Unavailable("too many password verifications in progress".to_owned())
                    }
                }
            }
            SchemeKind::Bearer | SchemeKind::OAuth2 | SchemeKind::OpenIdConnect => {
                let token = match authorization(&head.headers, "bearer") {
                    Ok(Some(token)) => token,
                    Ok(None) => return Check::Missing,
                    Err(why) => return Check::Refused(why),
                };
                let Some(verifier) = &api.tokens[index] else {
                    return Check::Refused(Cow::Borrowed("no token settings"));
                };
                match verifier.verify(token).await {
                    Ok(claims) => {
                        // A consumer claims a token by its issuer and client id
                        // (never by `sub`, which names a user): another issuer
                        // trusted by another API cannot mint its identity.
                        let consumer = claims.client_id.as_deref().and_then(|client| {
                            registry()
                                .and_then(|r| r.by_token_client(verifier.issuer(), client).cloned())
                        });
                        let named = claims.client_id.as_deref().or(claims.subject.as_deref());
                        let identity = match (&consumer, named) {
                            (Some(consumer), _) => consumer.id.clone(),
                            (None, Some(name)) => Arc::from(format!("{}:{name}", scheme.name)),
                            (None, None) => Arc::from(format!("{}:?", scheme.name)),
                        };
                        Check::Passed(Principal {
                            consumer,
                            identity,
                            token_scopes: Some(claims.scopes),
                        })
                    }
                    Err(token::TokenError::Unavailable(why)) => Check::Unavailable(why),
                    Err(error) => Check::Refused(Cow::Owned(error.to_string())),
                }
            }
            SchemeKind::MutualTls => {
                let Some(certificate) = &connection.peer_certificate else {
                    return Check::Missing;
                };
                if api
                    .client_ca
                    .as_ref()
                    .is_some_and(|ca| !ca.verifies(certificate))
                {
                    return Check::Refused(Cow::Borrowed(
                        "the client certificate is not issued by a CA this API trusts",
                    ));
                }
                match registry()
                    .as_ref()
                    .and_then(|r| r.by_certificate(certificate).cloned())
                {
                    Some(consumer) => Check::Passed(Principal {
                        identity: consumer.id.clone(),
                        consumer: Some(consumer),
                        token_scopes: None,
                    }),
                    None => Check::Refused(Cow::Borrowed(
                        "the client certificate is not registered to a consumer",
                    )),
                }
            }
        }
    }

    /// Prepares the request head for the upstream: the identity header is
    /// the gateway's alone (a client's copy is removed), and credentials
    /// only the gateway consumes (API keys, Basic) are removed unless the
    /// API forwards them.
    pub fn prepare_upstream(&self, api: usize, caller: Option<&Caller>, head: &mut Parts) {
        while head.headers.remove(&self.identity_header).is_some() {}
        // `x_douane_consumer` reaches CGI, WSGI, Rack or PHP upstreams as the
        // same variable as `x-douane-consumer`: it goes too.
        let lookalikes: Vec<HeaderName> = head
            .headers
            .keys()
            .filter(|name| {
                let name = name.as_str();
                name.contains('_')
                    && name.len() == self.identity_header.as_str().len()
                    && name
                        .bytes()
                        .zip(self.identity_header.as_str().bytes())
                        .all(|(a, b)| a == b || (a == b'_' && b == b'-'))
            })
            .cloned()
            .collect();
        for name in lookalikes {
            head.headers.remove(&name);
        }
        let api = &self.apis[api];
        if !api.forward_credentials {
            for scheme in api.api.security_schemes {
                match scheme.kind {
                    SchemeKind::ApiKey {
                        location: ApiKeyIn::Header,
                        name,
                    } => while head.headers.remove(name).is_some() {},
                    SchemeKind::ApiKey {
                        location: ApiKeyIn::Query,
                        name,
                    } => head.uri = without_query_parameter(&head.uri, name),
                    SchemeKind::ApiKey {
                        location: ApiKeyIn::Cookie,
                        name,
                    } => remove_cookie(&mut head.headers, name),
                    SchemeKind::Basic => remove_basic_credentials(&mut head.headers),
                    _ => {}
                }
            }
        }
        if let Some(caller) = caller {
            if let Ok(value) = HeaderValue::from_str(&caller.identity) {
                head.headers.insert(self.identity_header.clone(), value);
            }
        }
    }
}

fn same_consumer(a: &Principal, b: &Principal) -> bool {
    match (&a.consumer, &b.consumer) {
        (Some(x), Some(y)) => Arc::ptr_eq(x, y),
        _ => true,
    }
}

/// One `WWW-Authenticate` challenge per scheme the operation accepts; a
/// refused bearer token is named `invalid_token` (RFC 6750, section 3.1).
fn challenges(api: &Api, op: &Operation, invalid_token: Option<&str>) -> Vec<String> {
    let mut seen = Vec::new();
    for &(index, _) in op.security.iter().flat_map(|r| r.iter()) {
        if !seen.contains(&index) {
            seen.push(index);
        }
    }
    let realm = api.name;
    seen.into_iter()
        .map(|index| {
            let scheme = &api.security_schemes[index];
            match scheme.kind {
                SchemeKind::Basic => format!("Basic realm=\"{realm}\", charset=\"UTF-8\""),
                SchemeKind::Bearer | SchemeKind::OAuth2 | SchemeKind::OpenIdConnect => {
                    match invalid_token {
                        // Reasons are fixed texts without quotes or secrets.
                        Some(why) => format!(
                            "Bearer realm=\"{realm}\", error=\"invalid_token\", error_description=\"{}\"",
                            why.replace(['"', '\\'], "'")
                        ),
                        None => format!("Bearer realm=\"{realm}\""),
                    }
                }
                SchemeKind::ApiKey { location, name } => {
                    let at = match location {
                        ApiKeyIn::Header => "header",
                        ApiKeyIn::Query => "query",
                        ApiKeyIn::Cookie => "cookie",
                    };
                    format!("ApiKey realm=\"{realm}\", in=\"{at}\", name=\"{name}\"")
                }
                SchemeKind::MutualTls => format!("MutualTLS realm=\"{realm}\""),
            }
        })
        .collect()
}

/// The credentials of an `Authorization: <scheme> <credentials>` header
/// (scheme compared case-insensitively). `Ok(None)` when absent or of
/// another scheme; an error when the header is repeated or not text.
fn authorization<'h>(
    headers: &'h HeaderMap,
    scheme: &str,
) -> Result<Option<&'h str>, Cow<'static, str>> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Cow::Borrowed("several Authorization headers"));
    }
    let text = value
        .to_str()
        .map_err(|_| Cow::Borrowed("Authorization header is not visible ASCII"))?;
    let (given, credentials) = text.split_once(' ').unwrap_or((text, ""));
    if !given.eq_ignore_ascii_case(scheme) {
        return Ok(None);
    }
    let credentials = credentials.trim_matches(' ');
    if credentials.is_empty() {
        return Err(Cow::Owned(format!("{given} credentials are empty")));
    }
    Ok(Some(credentials))
}

/// Removes every `Authorization: Basic ...` value, even among several
/// (which `authorization` refuses to read), keeping the others.
fn remove_basic_credentials(headers: &mut HeaderMap) {
    let is_basic = |v: &HeaderValue| {
        v.as_bytes().len() >= 6 && v.as_bytes()[..6].eq_ignore_ascii_case(b"basic ")
    };
    if !headers.get_all(AUTHORIZATION).iter().any(is_basic) {
        return;
    }
    let kept: Vec<HeaderValue> = headers
        .get_all(AUTHORIZATION)
        .iter()
        .filter(|v| !is_basic(v))
        .cloned()
        .collect();
    headers.remove(AUTHORIZATION);
    for value in kept {
        headers.append(AUTHORIZATION, value);
    }
}

/// `base64(id:password)` → `(id, password)`.
fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let bytes = STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, password) = text.split_once(':')?;
    Some((id.to_owned(), password.to_owned()))
}

/// The API key carried where the scheme says; an error when it is given
/// more than once (which copy would the upstream believe?).
fn api_key(
    head: &Parts,
    location: ApiKeyIn,
    name: &str,
) -> Result<Option<String>, Cow<'static, str>> {
    let several = || Cow::Owned(format!("api key `{name}` is given more than once"));
    let mut found: Option<String> = None;
    match location {
        ApiKeyIn::Header => {
            for value in head.headers.get_all(name) {
                let text = value
                    .to_str()
                    .map_err(|_| Cow::Owned(format!("api key `{name}` is not visible ASCII")))?;
                if found.replace(text.trim().to_owned()).is_some() {
                    return Err(several());
                }
            }
        }
        ApiKeyIn::Query => {
            for pair in head.uri.query().unwrap_or("").split('&') {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                if form_decode(key).as_deref() != Some(name) {
                    continue;
                }
                let value = form_decode(value)
                    .ok_or_else(|| Cow::Owned(format!("api key `{name}` is not UTF-8")))?;
                if found.replace(value.into_owned()).is_some() {
                    return Err(several());
                }
            }
        }
        ApiKeyIn::Cookie => {
            for (cookie, value) in cookies(&head.headers) {
                if cookie != name.as_bytes() {
                    continue;
                }
                let value = std::str::from_utf8(value)
                    .map_err(|_| Cow::Owned(format!("api key `{name}` is not UTF-8")))?;
                if found.replace(value.to_owned()).is_some() {
                    return Err(several());
                }
            }
        }
    }
    Ok(found.filter(|k| !k.is_empty()))
}

/// `name=value` pairs of every `Cookie` header (RFC 6265, section 5.4),
/// read as bytes: a cookie that is not ASCII must not hide the others.
fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b';'))
        .filter_map(|pair| {
            let pair = pair.trim_ascii();
            let at = pair.iter().position(|&b| b == b'=')?;
            let value = pair[at + 1..].trim_ascii();
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            Some((pair[..at].trim_ascii(), value))
        })
}

fn remove_cookie(headers: &mut HeaderMap, name: &str) {
    let name = name.as_bytes();
    if !cookies(headers).any(|(n, _)| n == name) {
        return;
    }
    let kept: Vec<&[u8]> = headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b';'))
        .map(<[u8]>::trim_ascii)
        .filter(|pair| {
            let key = pair.split(|&b| b == b'=').next().unwrap_or(pair);
            key.trim_ascii() != name && !pair.is_empty()
        })
        .collect();
    let value = kept.join(&b"; "[..]);
    headers.remove(COOKIE);
    if !value.is_empty() {
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            headers.insert(COOKIE, value);
        }
    }
}

/// `uri` without the query pairs whose decoded key is `name`; the other
/// pairs are kept byte for byte.
fn without_query_parameter(uri: &Uri, name: &str) -> Uri {
    let Some(query) = uri.query() else {
        return uri.clone();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(k, _)| k);
            form_decode(key).as_deref() != Some(name)
        })
        .collect();
    if kept.len() == query.split('&').count() {
        return uri.clone();
    }
    let path_and_query = if kept.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{}", uri.path(), kept.join("&"))
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_query_parameters_are_removed_and_the_rest_kept_verbatim() {
        let uri: Uri = "/x?a=1&api%5Fkey=s3cret&b=%2F+&api_key=again"
            .parse()
            .unwrap();
        assert_eq!(
            without_query_parameter(&uri, "api_key").to_string(),
            "/x?a=1&b=%2F+"
        );
        let uri: Uri = "/x?api_key=s".parse().unwrap();
        assert_eq!(without_query_parameter(&uri, "api_key").to_string(), "/x");
    }

    #[test]
    fn api_key_cookies_are_removed_and_others_kept() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; key=s3cret"));
        headers.append(COOKIE, HeaderValue::from_static("b=2"));
        remove_cookie(&mut headers, "key");
        assert_eq!(headers.get_all(COOKIE).iter().count(), 1);
        assert_eq!(headers[COOKIE], "a=1; b=2");
    }

    #[test]
    fn authorization_schemes_are_case_insensitive_and_unique() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bEaReR abc.def"));
        assert_eq!(authorization(&headers, "bearer"), Ok(Some("abc.def")));
        assert_eq!(authorization(&headers, "basic"), Ok(None));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Basic eDp5"));
        assert!(authorization(&headers, "basic").is_err());
        assert_eq!(
            basic_credentials("YWxpY2U6cDpzcw=="),
            Some(("alice".into(), "p:ss".into()))
        );
    }
}

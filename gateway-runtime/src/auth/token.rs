//! Bearer tokens (OAuth 2.0 access tokens, OpenID Connect): JWTs verified
//! locally against a JWKS, opaque tokens through RFC 7662 introspection.

// PLACEHOLDER until the `jwt` branch lands: the interface only, every token
// refused (fails closed).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub jwks_file: Option<String>,
    pub jwks_url: Option<String>,
}

#[derive(Debug)]
pub struct TokenVerifier;

impl TokenVerifier {
    pub async fn new(_scheme: &str, _config: &TokenConfig) -> Result<TokenVerifier, String> {
        Ok(TokenVerifier)
    }
    pub async fn verify(&self, _token: &str) -> Result<Claims, TokenError> {
        Err(TokenError::Malformed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub scopes: Vec<String>,
    pub expires_at: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    Algorithm(String),
    UnknownKey,
    BadSignature,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongAudience,
    Inactive,
    Unavailable(String),
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("token refused")
    }
}

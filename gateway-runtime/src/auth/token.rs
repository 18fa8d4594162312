//! Bearer tokens (OAuth 2.0 access tokens, OpenID Connect): JWTs verified
//! locally against a JWKS, opaque tokens through RFC 7662 introspection.

//! Authentication and authorisation: the security requirements compiled
//! from the contract, checked against the credentials of each request.

// Bearer tokens: JWT verified against a JWKS, or opaque tokens introspected.
pub mod token;

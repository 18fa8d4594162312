//! Cross-origin resource sharing (the Fetch standard's CORS protocol), for
//! the APIs whose contract enables it with `x-douane-cors`.
//!
//! A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
//! on a declared path is answered here, never forwarded: 204 when the
//! origin, the method (one the path declares) and every requested header
//! are allowed, 403 problem+json naming what is not. Responses to allowed
//! origins carry `Access-Control-Allow-Origin` (and the credentials and
//! exposed headers the contract allows), with `Vary: Origin`. Without
//! `x-douane-cors`, `OPTIONS` is an undeclared method like any other (405).

use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};

use crate::body::GatewayBody;
use crate::contract::{Cors, PathItem};
use crate::problem::{Problem, ProblemKind};

/// Request headers a page may send without asking (Fetch §CORS-safelisted).
const SAFELISTED: [&str; 4] = [
    "accept",
    "accept-language",
    "content-language",
    "content-type",
];

/// Whether the request is a CORS preflight.
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(header::ORIGIN)
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The `Access-Control-Allow-Origin` value for a request's `Origin`, if
/// the API allows it.
pub fn allowed_origin(cors: &Cors, origin: &HeaderValue) -> Option<HeaderValue> {
    if cors
        .origins
        .iter()
        .any(|o| o.as_bytes() == origin.as_bytes())
    {
        return Some(origin.clone());
    }
    if cors.origins.contains(&"*") {
        // Any origin: `*`, unless credentials are allowed (then the
        // compiler has refused `*`, so this is not reached).
        return Some(HeaderValue::from_static("*"));
    }
    None
}

/// Answers a preflight for `item`.
pub fn preflight(
    cors: &Cors,
    item: &PathItem,
    headers: &HeaderMap,
) -> Result<Response<GatewayBody>, Problem> {
    let reject = |detail: String| Err(Problem::new(ProblemKind::CorsRejected, detail));
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|o| allowed_origin(cors, o))
    else {
        let origin = headers
            .get(header::ORIGIN)
            .map(|o| String::from_utf8_lossy(o.as_bytes()).into_owned())
            .unwrap_or_default();
        return reject(format!("origin {origin} is not allowed"));
    };
    let requested = headers
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        .unwrap_or("");
    let declared = item.allow.split(", ").any(|m| m == requested);
    if !declared {
        return reject(format!(
            "method {requested} is not declared for {} (allowed: {})",
            item.template, item.allow
        ));
    }
    let asked: Vec<String> = headers
        .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    if let Some(refused) = asked
        .iter()
        .find(|h| !SAFELISTED.contains(&h.as_str()) && !cors.allow_headers.contains(&h.as_str()))
    {
        return reject(format!("request header {refused} is not allowed"));
    }
    let mut response = Response::new(GatewayBody::full(bytes::Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(item.allow),
    );
    if !asked.is_empty() {
        let list = asked.join(", ");
        if let Ok(v) = HeaderValue::from_str(&list) {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
        }
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(cors.max_age),
    );
    if cors.credentials {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// Adds the CORS response headers for an allowed origin.
pub fn decorate(cors: &Cors, origin: HeaderValue, response: &mut Response<GatewayBody>) {
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if cors.credentials {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    if !cors.expose_headers.is_empty() {
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(cors.expose_headers),
        );
    }
}

//! The one place where a refused or failed request becomes an HTTP answer:
//! an RFC 9457 `application/problem+json` body with a stable `type` URI.
//!
//! Every stage returns a [`Problem`]; only [`Problem::into_response`] knows
//! statuses, titles and the wire format. Problems never carry request bodies,
//! query strings or header values, so they cannot echo secrets.

use std::borrow::Cow;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};
use serde::Serialize;

use crate::body::GatewayBody;
use crate::validate::{Location, Violation, Violations};

/// Who caused a failure: decides the status class and whether a client may
/// retry the same request unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The request breaks the contract or a limit: retrying it unchanged
    /// fails again.
    Client,
    /// The upstream could not be reached or was too slow.
    Upstream,
    /// A bug or resource failure in the gateway itself.
    Internal,
}

/// What went wrong, one variant per problem `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The request head breaks HTTP itself (e.g. no or several `Host`).
    MalformedRequest,
    /// The request uses an HTTP feature the gateway does not forward
    /// (a transfer coding other than `chunked`).
    NotImplemented,
    /// No API or no operation matches the request path.
    NotFound,
    /// The path exists but does not declare the request method.
    MethodNotAllowed,
    /// Parameters or body break the contract.
    Validation,
    /// The body exceeds the operation's size limit.
    PayloadTooLarge,
    /// The body's content type is not declared for the operation.
    UnsupportedMediaType,
    /// The client did not send its body in time.
    RequestTimeout,
    /// The upstream refused the connection or broke it.
    BadGateway,
    /// The upstream did not answer in time.
    GatewayTimeout,
    /// A CORS preflight asks for an origin, method or header the API
    /// does not allow.
    CorsRejected,
    /// No credentials, or credentials that authenticate no one (401).
    Unauthorized,
    /// Authenticated, but not entitled to this API or missing a scope (403).
    Forbidden,
    /// The identity provider could not verify the credentials (503).
    AuthUnavailable,
    /// The gateway failed on its own.
    Internal,
}

impl ProblemKind {
    pub fn status(self) -> StatusCode {
        match self {
            ProblemKind::MalformedRequest => StatusCode::BAD_REQUEST,
            ProblemKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::Validation => StatusCode::BAD_REQUEST,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ProblemKind::BadGateway => StatusCode::BAD_GATEWAY,
            ProblemKind::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
            ProblemKind::CorsRejected => StatusCode::FORBIDDEN,
            ProblemKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::AuthUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable problem `type` URI; clients may switch on it.
    pub fn type_uri(self) -> &'static str {
        match self {
            ProblemKind::MalformedRequest => "https://douane.dev/problems/malformed-request",
            ProblemKind::NotImplemented => "https://douane.dev/problems/not-implemented",
            ProblemKind::NotFound => "https://douane.dev/problems/not-found",
            ProblemKind::MethodNotAllowed => "https://douane.dev/problems/method-not-allowed",
            ProblemKind::Validation => "https://douane.dev/problems/validation",
            ProblemKind::PayloadTooLarge => "https://douane.dev/problems/payload-too-large",
            ProblemKind::UnsupportedMediaType => {
                "https://douane.dev/problems/unsupported-media-type"
            }
            ProblemKind::RequestTimeout => "https://douane.dev/problems/request-timeout",
            ProblemKind::BadGateway => "https://douane.dev/problems/bad-gateway",
            ProblemKind::GatewayTimeout => "https://douane.dev/problems/gateway-timeout",
            ProblemKind::CorsRejected => "https://douane.dev/problems/cors-rejected",
            ProblemKind::Unauthorized => "https://douane.dev/problems/unauthorized",
            ProblemKind::Forbidden => "https://douane.dev/problems/forbidden",
            ProblemKind::AuthUnavailable => "https://douane.dev/problems/auth-unavailable",
            ProblemKind::Internal => "https://douane.dev/problems/internal",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::MalformedRequest => "malformed request",
            ProblemKind::NotImplemented => "not implemented",
            ProblemKind::NotFound => "not found",
            ProblemKind::MethodNotAllowed => "method not allowed",
            ProblemKind::Validation => "request does not match the contract",
            ProblemKind::PayloadTooLarge => "payload too large",
            ProblemKind::UnsupportedMediaType => "unsupported media type",
            ProblemKind::RequestTimeout => "request timeout",
            ProblemKind::BadGateway => "bad gateway",
            ProblemKind::GatewayTimeout => "gateway timeout",
            ProblemKind::CorsRejected => "cross-origin request not allowed",
            ProblemKind::Unauthorized => "authentication required",
            ProblemKind::Forbidden => "not entitled",
            ProblemKind::AuthUnavailable => "credentials cannot be verified",
            ProblemKind::Internal => "internal error",
        }
    }

    pub fn cause(self) -> Cause {
        match self {
            ProblemKind::BadGateway
            | ProblemKind::GatewayTimeout
            | ProblemKind::AuthUnavailable => Cause::Upstream,
            ProblemKind::Internal => Cause::Internal,
            _ => Cause::Client,
        }
    }

    /// Whether the same request may succeed if sent again unchanged.
    pub fn retryable(self) -> bool {
        !matches!(self.cause(), Cause::Client) || self == ProblemKind::RequestTimeout
    }

    /// Short rule name for the access log.
    pub fn rule(self) -> &'static str {
        match self {
            ProblemKind::MalformedRequest => "http",
            ProblemKind::NotImplemented => "transfer-coding",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::Validation => "validation",
            ProblemKind::PayloadTooLarge => "max-body-bytes",
            ProblemKind::UnsupportedMediaType => "media-type",
            ProblemKind::RequestTimeout => "request-body-timeout",
            ProblemKind::BadGateway => "upstream-unreachable",
            ProblemKind::GatewayTimeout => "upstream-timeout",
            ProblemKind::CorsRejected => "cors",
            ProblemKind::Unauthorized => "unauthenticated",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::AuthUnavailable => "auth-unavailable",
            ProblemKind::Internal => "internal",
        }
    }
}

/// A request refused or failed at some stage, ready to be answered.
#[derive(Debug)]
pub struct Problem {
    pub kind: ProblemKind,
    /// Human-readable explanation of this occurrence; never contains request
    /// data beyond names from the contract.
    pub detail: Cow<'static, str>,
    /// The broken rules, for [`ProblemKind::Validation`].
    pub errors: Vec<Violation>,
    /// Value of the `Allow` header, for [`ProblemKind::MethodNotAllowed`].
    pub allow: Option<&'static str>,
    /// `WWW-Authenticate` challenges, for 401 (and 403 `insufficient_scope`).
    pub challenges: Vec<String>,
}

impl Problem {
    pub fn new(kind: ProblemKind, detail: impl Into<Cow<'static, str>>) -> Problem {
        Problem {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            allow: None,
            challenges: Vec::new(),
        }
    }

    /// A 400 listing every broken rule.
    pub fn validation(errors: Vec<Violation>) -> Problem {
        let detail = match errors.len() {
            1 => "1 rule broken",
            n if n >= Violations::DEFAULT_CAP => "many rules broken (the first ones are listed)",
            _ => "several rules broken",
        };
        Problem {
            errors,
            ..Problem::new(ProblemKind::Validation, detail)
        }
    }

    /// A 400 for one broken rule about the body as a whole.
    pub fn body(rule: &'static str, message: impl Into<String>) -> Problem {
        Problem::validation(vec![Violation {
            location: Location::Body,
            name: Cow::Borrowed(""),
            pointer: String::new(),
            rule,
            message: message.into(),
        }])
    }

    /// The rule named in the access log: the first violated keyword for a
    /// validation problem, the problem kind otherwise.
    pub fn log_rule(&self) -> &'static str {
        match self.errors.first() {
            Some(v) => v.rule,
            None => self.kind.rule(),
        }
    }

    /// The problem+json body, as bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let errors: Vec<WireError<'_>> = self
            .errors
            .iter()
            .map(|v| WireError {
                location: v.location.as_str(),
                name: (v.location != Location::Body && !v.name.is_empty()).then_some(&*v.name),
                pointer: (!v.pointer.is_empty()).then_some(&*v.pointer),
                rule: v.rule,
                detail: &v.message,
            })
            .collect();
        let wire = Wire {
            type_: self.kind.type_uri(),
            title: self.kind.title(),
            status: self.kind.status().as_u16(),
            detail: &self.detail,
            errors,
        };
        // Serializing plain strings and numbers cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    pub fn into_response(self) -> Response<GatewayBody> {
        let mut response = Response::new(GatewayBody::full(Bytes::from(self.to_json())));
        *response.status_mut() = self.kind.status();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(allow) = self.allow {
            headers.insert(ALLOW, HeaderValue::from_static(allow));
        }
        for challenge in &self.challenges {
            // Challenges are built from contract names and fixed reasons.
            if let Ok(value) = HeaderValue::from_str(challenge) {
                headers.append(WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

#[derive(Serialize)]
struct Wire<'a> {
    #[serde(rename = "type")]
    type_: &'static str,
    title: &'static str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<WireError<'a>>,
}

#[derive(Serialize)]
struct WireError<'a> {
    #[serde(rename = "in")]
    location: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pointer: Option<&'a str>,
    rule: &'static str,
    detail: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(
        location: Location,
        name: &'static str,
        pointer: &str,
        rule: &'static str,
    ) -> Violation {
        Violation {
            location,
            name: Cow::Borrowed(name),
            pointer: pointer.to_owned(),
            rule,
            message: format!("broken {rule}"),
        }
    }

    fn check(problem: Problem, status: u16, expect: &str) {
        let response_status = problem.kind.status().as_u16();
        let json = String::from_utf8(problem.to_json()).unwrap();
        assert_eq!(response_status, status);
        assert_eq!(json, expect);
    }

    #[test]
    fn renders_problems() {
        check(
            Problem::new(ProblemKind::NotFound, "no api matches path"),
            404,
            r#"{"type":"https://douane.dev/problems/not-found","title":"not found","status":404,"detail":"no api matches path"}"#,
        );
        check(
            Problem::validation(vec![
                violation(Location::Query, "limit", "", "maximum"),
                violation(Location::Header, "x-id", "/0", "type"),
                violation(Location::Body, "", "/a/0", "minLength"),
            ]),
            400,
            concat!(
                r#"{"type":"https://douane.dev/problems/validation","title":"request does not match the contract","status":400,"detail":"several rules broken","errors":["#,
                r#"{"in":"query","name":"limit","rule":"maximum","detail":"broken maximum"},"#,
                r#"{"in":"header","name":"x-id","pointer":"/0","rule":"type","detail":"broken type"},"#,
                r#"{"in":"body","pointer":"/a/0","rule":"minLength","detail":"broken minLength"}]}"#
            ),
        );
        check(
            Problem::body("json", "malformed JSON: x"),
            400,
            r#"{"type":"https://douane.dev/problems/validation","title":"request does not match the contract","status":400,"detail":"1 rule broken","errors":[{"in":"body","rule":"json","detail":"malformed JSON: x"}]}"#,
        );
        check(
            Problem::new(
                ProblemKind::GatewayTimeout,
                "upstream did not answer within 5 ms",
            ),
            504,
            r#"{"type":"https://douane.dev/problems/gateway-timeout","title":"gateway timeout","status":504,"detail":"upstream did not answer within 5 ms"}"#,
        );
    }

    #[test]
    fn response_carries_content_type_and_allow() {
        let mut p = Problem::new(ProblemKind::MethodNotAllowed, "x");
        p.allow = Some("GET, HEAD");
        let r = p.into_response();
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()[ALLOW], "GET, HEAD");
        assert_eq!(r.headers()[CONTENT_TYPE], "application/problem+json");
    }

    #[test]
    fn causes_and_retries() {
        assert_eq!(ProblemKind::BadGateway.cause(), Cause::Upstream);
        assert!(ProblemKind::GatewayTimeout.retryable());
        assert!(!ProblemKind::Validation.retryable());
    }
}

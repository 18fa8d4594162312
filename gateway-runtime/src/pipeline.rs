//! The request pipeline: every request goes through [`Gateway::handle`],
//! whose stages run top to bottom in one function, so that the order in
//! which a request is admitted can be read in one place:
//!
//! ```text
//! route ─▶ authenticate ─▶ limits ─▶ validate parameters ─▶ body ─▶ upstream (mock or forward)
//! ```
//!
//! Each stage may refuse the request with a [`Problem`]; the access log
//! records every request whatever its fate.

use std::borrow::Cow;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use hyper::body::Incoming;

use crate::auth::Auth;
use crate::body::GatewayBody;
use crate::config::{Config, ConfigError, Timeouts, Upstream};
use crate::connection::Connection;
use crate::contract::{BodyCheck, Contract, Cors, Operation};
use crate::cors;
use crate::json::{self, ParseError, Value};
use crate::limits::{self, BodyHead};
use crate::media::{self, MediaMismatch};
use crate::mock;
use crate::observe::Access;
use crate::problem::{Problem, ProblemKind};
use crate::route::Routes;
use crate::upstream::{self, Upstreams};
use crate::validate::{Captures, Location, QueryPairs, RequestParts, Violations, params};

/// Everything a gateway builds once at startup and shares, read-only, with
/// every request: the routing table, the upstream client, the limits.
#[derive(Debug)]
pub struct Gateway {
    routes: Routes,
    auth: Auth,
    upstreams: Upstreams,
    timeouts: Timeouts,
}

impl Gateway {
    /// Checks `config` against `contract` and builds the gateway (loading
    /// the consumer registry and token keys). Call within a tokio runtime.
    pub async fn new(contract: &'static Contract, config: &Config) -> Result<Gateway, ConfigError> {
        check_contract(contract)?;
        let resolved = config.resolve(contract)?;
        let auth = Auth::new(contract, config).await?;
        auth.watch(std::time::Duration::from_millis(
            config.auth.reload_interval_ms.max(100),
        ));
        Ok(Gateway {
            routes: Routes::new(contract, resolved),
            auth,
            upstreams: Upstreams::configure(contract, config)?,
            timeouts: config.timeouts,
        })
    }

    /// The served APIs, longest base path first.
    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    /// Authentication: the consumer registry and token verifiers.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    /// Answers one request arrived on `connection`; never fails: every
    /// refusal or upstream failure becomes a problem+json response.
    pub async fn handle(
        &self,
        request: Request<Incoming>,
        connection: &Connection,
    ) -> Response<GatewayBody> {
        let mut access = Access::start();
        // Cheap clones (shared buffers) kept for the log line once the
        // request has been moved upstream.
        let method = request.method().clone();
        let uri = request.uri().clone();
        let origin = request.headers().get(http::header::ORIGIN).cloned();
        let mut cors_of_api = None;
        let mut response = match self
            .admit_and_forward(request, connection, &mut access, &mut cors_of_api)
            .await
        {
            Ok(response) => response,
            Err(problem) => {
                access.rule = Some(problem.log_rule());
                problem.into_response()
            }
        };
        // CORS headers on every answer to an allowed origin, refusals too
        // (a page must be able to read why it was refused).
        if let (Some(cors), Some(origin)) = (cors_of_api, origin) {
            let preflight_answer = response
                .headers()
                .contains_key(http::header::ACCESS_CONTROL_ALLOW_ORIGIN);
            if let (false, Some(allowed)) = (preflight_answer, cors::allowed_origin(cors, &origin))
            {
                cors::decorate(cors, allowed, &mut response);
            }
        }
        access.finish(&method, uri.path(), response.status());
        response
    }

    async fn admit_and_forward(
        &self,
        request: Request<Incoming>,
        connection: &Connection,
        access: &mut Access,
        cors_of_api: &mut Option<&'static Cors>,
    ) -> Result<Response<GatewayBody>, Problem> {
        let (mut head, body) = request.into_parts();
        // head: what HTTP forbids (no or several Host, unknown codings) stops here
        limits::check_request_head(head.version, &head.headers)?;
        limits::check_path(head.uri.path())?;
        // route: only configured APIs, then only their declared operations, go further
        let (mount, below) = self.routes.api(head.uri.path())?;
        access.api = Some(mount.api.name);
        // cors: a preflight is answered here, from the contract
        *cors_of_api = mount.api.cors;
        if let Some(cors) = mount.api.cors {
            if cors::is_preflight(&head.method, &head.headers) {
                let (item, _) = mount.path_item(below)?;
                return cors::preflight(cors, item, &head.headers);
            }
        }
        let (op, captures) =
            mount.operation(&head.method, below, head.uri.query(), &head.headers)?;
        access.operation = Some(op.id);
        // authenticate: before anything about the request is checked, so that
        // anonymous clients cannot probe parameters or body schemas
        let caller = self.auth.admit(mount.index, op, &head, connection).await?;
        access.consumer = caller.as_ref().map(|c| c.identity.clone());
        // limits: an oversized declared body is refused before any of it is read
        let body_head = limits::check_head(&head.headers, &body, op.max_body_bytes)?;
        // validate parameters: path, query and headers, against the contract
        check_parameters(op, &head, &captures)?;
        // body: media type, size, time and content, against the contract
        let body = check_body(op, &head.headers, body, body_head, &self.timeouts).await?;
        // upstream: the mock answers from the contract; a real one gets the request unchanged
        let (scheme, authority, prefix) = match &mount.upstream {
            Upstream::Mock => return Ok(mock::respond(&op.mock, head.method == Method::HEAD)),
            Upstream::Http {
                scheme,
                authority,
                prefix,
            } => (scheme, authority, prefix),
        };
        upstream::prepare_headers(&mut head.headers, &mut head.version, &head.uri, connection);
        // After the hop-by-hop removal above, which a client could aim at the
        // identity header (`Connection: x-douane-consumer`): credentials only
        // the gateway consumes are removed, the identity is the gateway's to tell.
        self.auth
            .prepare_upstream(mount.index, caller.as_ref(), &mut head);
        let uri = upstream::upstream_uri(scheme, authority, prefix, &head.uri)?;
        head.uri = uri;
        // Extensions belong to the client connection, not to the message.
        head.extensions.clear();
        let response = self
            .upstreams
            .send(mount.index, Request::from_parts(head, body))
            .await?;
        access.upstream_status = Some(response.status().as_u16());
        Ok(response)
    }
}

/// Runs the compiled parameter checks; all violations are reported at once.
fn check_parameters(op: &Operation, head: &Parts, captures: &Captures<'_>) -> Result<(), Problem> {
    let parts = RequestParts {
        raw_query: head.uri.query(),
        query: QueryPairs::parse(head.uri.query()),
        headers: &head.headers,
    };
    let mut violations = Violations::default();
    (op.check_parameters)(&parts, captures, &mut violations);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(violations.into_vec()))
    }
}

/// Admits the request body: present only if declared, of a declared media
/// type, within limits, and valid for its media type. Returns the body to
/// forward: the checked bytes, or the untouched (empty) stream.
async fn check_body(
    op: &'static Operation,
    headers: &HeaderMap,
    body: Incoming,
    head: BodyHead,
    timeouts: &Timeouts,
) -> Result<GatewayBody, Problem> {
    let Some(declared) = &op.body else {
        if head.present {
            return Err(Problem::body("body", "operation takes no request body"));
        }
        return Ok(GatewayBody::Stream(body));
    };
    if !head.present {
        if declared.required {
            return Err(Problem::body("required", "request body is required"));
        }
        return Ok(GatewayBody::Stream(body));
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .map(HeaderValue::as_bytes);
    let media = media::select(content_type, declared.media).map_err(|m| unsupported(m, op))?;
    let bytes: Bytes =
        limits::read_body(body, head, op.max_body_bytes, timeouts.request_body()).await?;
    if bytes.is_empty() && declared.required {
        return Err(Problem::body("required", "request body is required"));
    }
    let mut violations = Violations::default();
    violations.enter(Location::Body, "");
    let valid = match media.check {
        BodyCheck::SizeOnly => true,
        BodyCheck::Json(validate) => {
            let value = json::parse(&bytes, op.max_json_depth).map_err(|e| {
                let rule = match e {
                    ParseError::Malformed(_) => "json",
                    ParseError::DuplicateKey(_) => "duplicateKey",
                    ParseError::TooDeep(_) => "maxDepth",
                };
                Problem::body(rule, e.to_string())
            })?;
            validate(&value, &mut violations)
        }
        BodyCheck::Form(form) => {
            let text = utf8_body(&bytes)?;
            params::check_form(form, text, &mut violations);
            violations.is_empty()
        }
        BodyCheck::Multipart(multipart) => {
            let content_type = headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let boundary = multer::parse_boundary(content_type).map_err(|_| {
                Problem::body("multipart", "a multipart body needs a boundary parameter")
            })?;
            let parts = read_parts(bytes.clone(), boundary).await?;
            params::check_multipart(multipart, &parts, &mut violations);
            violations.is_empty()
        }
        BodyCheck::Text(validate) => {
            let text = utf8_body(&bytes)?;
            validate(&Value::String(Cow::Borrowed(text)), &mut violations)
        }
    };
    if !valid || !violations.is_empty() {
        let violations = violations.into_vec();
        // A validator that fails without saying why is a compiler bug;
        // the request is refused all the same.
        if violations.is_empty() {
            return Err(Problem::body("schema", "body does not match the schema"));
        }
        return Err(Problem::validation(violations));
    }
    Ok(GatewayBody::full(bytes))
}

/// The parts of a buffered `multipart/form-data` body (RFC 7578).
async fn read_parts(bytes: Bytes, boundary: String) -> Result<Vec<params::Part>, Problem> {
    let malformed =
        |e: multer::Error| Problem::body("multipart", format!("malformed multipart body: {e}"));
    let stream =
        futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(Problem::body(
                "multipart",
                "a part has no name in its Content-Disposition",
            ));
        };
        let content_type = field.content_type().map(ToString::to_string);
        let bytes = field.bytes().await.map_err(malformed)?;
        parts.push(params::Part {
            name,
            content_type,
            bytes,
        });
    }
    Ok(parts)
}

/// A body validated as text must be UTF-8.
fn utf8_body(bytes: &[u8]) -> Result<&str, Problem> {
    std::str::from_utf8(bytes)
        .map_err(|_| Problem::body("encoding", "request body is not valid UTF-8"))
}

fn unsupported(mismatch: MediaMismatch, op: &Operation) -> Problem {
    let accepted = op
        .body
        .iter()
        .flat_map(|b| b.media.iter().map(|m| m.range))
        .collect::<Vec<_>>()
        .join(", ");
    let why = match mismatch {
        MediaMismatch::Missing => "a request body needs a content type",
        MediaMismatch::Malformed => "content type is not type/subtype",
        MediaMismatch::NotAccepted => "content type is not accepted",
        MediaMismatch::Charset => "JSON bodies must be utf-8",
    };
    Problem::new(
        ProblemKind::UnsupportedMediaType,
        format!("{why}; accepted: {accepted}"),
    )
}

/// Refuses at startup the contract strings that would not make valid
/// header values, so that building responses cannot fail later.
fn check_contract(contract: &Contract) -> Result<(), ConfigError> {
    for api in contract.apis {
        let bad = |what: &str, value: &str| ConfigError::Contract {
            api: api.name.to_owned(),
            message: format!("{what} `{value}` is not a valid header value"),
        };
        for item in api.path_items {
            HeaderValue::from_str(item.allow).map_err(|_| bad("allow", item.allow))?;
        }
        for op in api.operations {
            if let Some(ct) = op.mock.content_type {
                HeaderValue::from_str(ct).map_err(|_| bad("mock content type", ct))?;
            }
        }
    }
    Ok(())
}

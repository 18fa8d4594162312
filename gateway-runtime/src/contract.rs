//! The interface between generated code and the engine: static tables and
//! function pointers that `douane-compiler` emits for each contract set.
//!
//! The runtime never parses OpenAPI: everything it knows about an API comes
//! from these tables, built at compile time. A contract set is a `&'static
//! Contract`; tests build their own from their own specs, the `douane`
//! binary links the one compiled from `specs/`.

use crate::json::Value;
pub use crate::validate::params::{FormBody, FormField, MultipartBody, PartField, PartKind};
use crate::validate::{Captures, RequestParts, Violations};

/// A compiled set of APIs served by one gateway.
#[derive(Debug)]
pub struct Contract {
    /// One entry per contract file, in file-name order; names are unique.
    pub apis: &'static [Api],
}

/// One API: one OpenAPI document and everything compiled from it.
#[derive(Debug)]
pub struct Api {
    /// Stable name (the spec file stem), used in the deployment config.
    pub name: &'static str,
    /// `info.title` and `info.version`, for logs and `--help`.
    pub title: &'static str,
    pub version: &'static str,
    /// Source file, relative to the specs directory.
    pub source: &'static str,
    /// Path prefix from the first `servers` URL, without trailing slash
    /// (empty for the root). The deployment config may override it.
    pub base_path: &'static str,
    /// More base paths the contract's server variables allow (their `enum`
    /// values); served too unless the config overrides the base path.
    pub other_base_paths: &'static [&'static str],
    /// `x-douane-cors`: preflights answered, CORS headers on responses.
    pub cors: Option<&'static Cors>,
    /// Compiled router: maps the request path below `base_path` (starting
    /// with `/`) to an index into `path_items`, filling `captures` with the
    /// raw (still percent-encoded) path parameter values.
    pub route: for<'p> fn(&'p str, &mut Captures<'p>) -> Option<usize>,
    pub path_items: &'static [PathItem],
    pub operations: &'static [Operation],
    /// `components/securitySchemes` that operations require, indexed by
    /// [`Operation::security`].
    pub security_schemes: &'static [SecurityScheme],
}

/// A security scheme of the contract. Which issuer, keys or consumers it
/// trusts is deployment configuration (`auth`).
#[derive(Debug)]
pub struct SecurityScheme {
    pub name: &'static str,
    pub kind: SchemeKind,
}

/// What a security scheme asks of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemeKind {
    /// An API key; a header `name` is lowercase.
    ApiKey {
        location: ApiKeyIn,
        name: &'static str,
    },
    /// `http basic`: consumer id and password.
    Basic,
    /// `http bearer`: an access token (JWT or opaque).
    Bearer,
    /// `oauth2`: an access token; requirements name scopes.
    OAuth2,
    /// `openIdConnect`: an access token from the provider.
    OpenIdConnect,
    /// `mutualTLS`: a verified client certificate.
    MutualTls,
}

impl SchemeKind {
    /// True for the schemes whose credential is a bearer token.
    pub fn takes_token(self) -> bool {
        matches!(
            self,
            SchemeKind::Bearer | SchemeKind::OAuth2 | SchemeKind::OpenIdConnect
        )
    }
}

/// Where an API key is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyIn {
    Header,
    Query,
    Cookie,
}

/// One alternative of an operation's security: every listed scheme
/// (index into [`Api::security_schemes`], with the scopes or roles it must
/// grant) must be satisfied. An empty alternative admits anonymous requests.
pub type Requirement = &'static [(usize, &'static [&'static str])];

/// Cross-origin resource sharing for an API (`x-douane-cors`).
#[derive(Debug)]
pub struct Cors {
    /// Allowed origins, exactly as browsers send them, or `"*"`.
    pub origins: &'static [&'static str],
    /// Request headers a preflight may ask for (lowercase), beyond the
    /// CORS-safelisted ones.
    pub allow_headers: &'static [&'static str],
    /// `Access-Control-Expose-Headers` (empty: not sent).
    pub expose_headers: &'static str,
    pub credentials: bool,
    pub max_age: u32,
}

/// A path template and the operations declared on it.
#[derive(Debug)]
pub struct PathItem {
    pub template: &'static str,
    /// `(method, index into Api::operations)`, sorted by method.
    pub operations: &'static [(Method, usize)],
    /// Value of the `Allow` header for a 405 on this path.
    pub allow: &'static str,
}

/// HTTP methods an OpenAPI path item can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Options,
    Head,
    Patch,
    Trace,
    /// The HTTP QUERY method (OpenAPI 3.2).
    Query,
    /// A method from OpenAPI 3.2's `additionalOperations`, as requests
    /// spell it.
    Extension(&'static str),
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
            Method::Query => "QUERY",
            Method::Extension(name) => name,
        }
    }

    pub fn from_http(m: &http::Method) -> Option<Method> {
        Some(match *m {
            http::Method::GET => Method::Get,
            http::Method::PUT => Method::Put,
            http::Method::POST => Method::Post,
            http::Method::DELETE => Method::Delete,
            http::Method::OPTIONS => Method::Options,
            http::Method::HEAD => Method::Head,
            http::Method::PATCH => Method::Patch,
            http::Method::TRACE => Method::Trace,
            ref m if m.as_str() == "QUERY" => Method::Query,
            // Extension methods are matched by name (see `route`).
            _ => return None,
        })
    }
}

/// One declared operation, with everything needed to admit a request.
#[derive(Debug)]
pub struct Operation {
    /// `operationId`, or `METHOD template` when the contract gives none.
    pub id: &'static str,
    pub method: Method,
    pub template: &'static str,
    /// Query `(key, value)` pairs the request must carry for this operation
    /// (a path key such as `/things?op=list`); empty for most operations.
    pub discriminator: &'static [(&'static str, &'static str)],
    /// Checks path, query and header parameters; pushes one violation per
    /// broken rule.
    pub check_parameters: fn(&RequestParts<'_>, &Captures<'_>, &mut Violations),
    /// Security requirements, an OR of [`Requirement`]s; empty = public.
    pub security: &'static [Requirement],
    pub body: Option<RequestBody>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: u64,
    /// Deepest accepted JSON nesting (objects and arrays).
    pub max_json_depth: u32,
    /// What the built-in `mock` upstream answers.
    pub mock: MockResponse,
}

/// The declared request body of an operation.
#[derive(Debug)]
pub struct RequestBody {
    pub required: bool,
    /// Declared media types, most specific first.
    pub media: &'static [MediaType],
}

/// One declared request media type and how its content is checked.
#[derive(Debug)]
pub struct MediaType {
    /// The media range as declared, lowercased (`application/json`,
    /// `application/*`, `*/*`), without parameters.
    pub range: &'static str,
    pub check: BodyCheck,
}

/// How a body of one media type is validated.
#[derive(Debug, Clone, Copy)]
pub enum BodyCheck {
    /// Parsed as JSON (strictly: no duplicate keys, bounded depth), then
    /// checked by the compiled schema validator.
    Json(fn(&Value<'_>, &mut Violations) -> bool),
    /// `application/x-www-form-urlencoded`: fields read as the Encoding
    /// Object says, then the object checked by the compiled schema.
    Form(&'static FormBody),
    /// `multipart/form-data`: each part read as its field says (text,
    /// JSON, or a file checked for size and type), then the object of
    /// fields checked by the compiled schema.
    Multipart(&'static MultipartBody),
    /// A textual type with a string schema (`text/plain`...): the UTF-8
    /// body checked as one string.
    Text(fn(&Value<'_>, &mut Violations) -> bool),
    /// No validator for this media type: only the size limit applies. The
    /// contract surface lists every such media type as a warning.
    SizeOnly,
}

/// The answer of the built-in mock upstream for an operation.
#[derive(Debug)]
pub struct MockResponse {
    pub status: u16,
    /// `None` for an empty body.
    pub content_type: Option<&'static str>,
    pub body: &'static str,
}

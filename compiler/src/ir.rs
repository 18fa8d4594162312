//! The intermediate representation: what a contract means for the gateway,
//! independent of the OpenAPI version it was written in.
//!
//! Produced by [`crate::lower`], checked by [`crate::check`], consumed by
//! [`crate::emit`] (Rust code) and [`crate::surface`] (the human-readable
//! contract surface). Plain data: every field is public and every choice an
//! enum, so that a new feature shows up here first.

use serde_json::Value;

use crate::diag::Diagnostic;

/// Where a node came from, for diagnostics and generated comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    /// JSON pointer inside `file`, without `#`.
    pub pointer: String,
    /// 1-based line in `file`, when known.
    pub line: Option<u32>,
}

/// One API: one root OpenAPI document.
#[derive(Debug, Clone)]
pub struct Api {
    /// Stable identifier: the root file stem (`petstore` for
    /// `petstore.yaml`); a Rust module name and a config key.
    pub name: String,
    /// Root file, as named by the caller.
    pub source: String,
    /// The `openapi` field as written (`3.0.3`, `3.1.0`).
    pub openapi: String,
    pub title: String,
    pub version: String,
    /// Path of the first `servers` URL, without trailing `/`; `""` for root.
    pub base_path: String,
    /// More base paths the first server's variables allow (their `enum`
    /// values), the default one excluded.
    pub other_base_paths: Vec<String>,
    /// Line of `servers` in the root file, for diagnostics.
    pub base_path_line: Option<u32>,
    pub security_schemes: Vec<SecurityScheme>,
    /// `x-douane-cors`: preflights answered, CORS headers on responses.
    pub cors: Option<Cors>,
    pub path_items: Vec<PathItem>,
    pub operations: Vec<Operation>,
    /// What this API lets pass unenforced (the build's permission and the
    /// document's own).
    pub unenforced: Unenforced,
    /// Every schema used by a request, indexed by [`SchemaId`].
    pub schemas: Vec<Schema>,
    /// What is declared but not enforced: annotations and unknown formats,
    /// and the constraints [`Unenforced`] let pass (never silently: without
    /// that permission, each is an error).
    pub warnings: Vec<Diagnostic>,
}

/// Constraints the gateway cannot enforce as written, which the build
/// refuses unless told to let them pass unenforced: by the document
/// (`x-douane-allow-unenforced: [kinds]` at its root) or by the build
/// (`douanec --allow-unenforced kinds`, `DOUANE_ALLOW_UNENFORCED=kinds`).
/// Each constraint let through is a warning that names it, in the build
/// output and the contract surface.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unenforced {
    /// `parameter-serialisation`: a parameter or form field whose value
    /// OpenAPI gives no defined serialisation for (arrays of objects in a
    /// query...): checked for presence, forwarded unread.
    pub serialisation: bool,
    /// `pattern`: a `pattern` no engine can run as ECMA-262 means it (an
    /// invalid or over-large expression): not checked.
    pub pattern: bool,
    /// `route-conflict`: same-method templates that match the same
    /// requests: the first (in document order) whose parameters are valid
    /// takes the request, which the others never see when both accept it.
    pub route_conflict: bool,
    /// `request-body`: a request body declared without any media type:
    /// size-limited only.
    pub request_body: bool,
}

impl Unenforced {
    /// The kinds, as written in the annotation and the flag.
    pub const KINDS: [&'static str; 4] = [
        "parameter-serialisation",
        "pattern",
        "route-conflict",
        "request-body",
    ];

    /// Every kind.
    pub const ALL: Unenforced = Unenforced {
        serialisation: true,
        pattern: true,
        route_conflict: true,
        request_body: true,
    };

    /// Allows `kind` (one of [`Self::KINDS`], or `all`); `false` if unknown.
    pub fn allow(&mut self, kind: &str) -> bool {
        match kind.trim() {
            "all" => *self = Self::ALL,
            "parameter-serialisation" => self.serialisation = true,
            "pattern" => self.pattern = true,
            "route-conflict" => self.route_conflict = true,
            "request-body" => self.request_body = true,
            _ => return false,
        }
        true
    }

    /// Parses a comma-separated list (`pattern,route-conflict`, `all`).
    pub fn parse(list: &str) -> Result<Unenforced, String> {
        let mut allowed = Unenforced::default();
        for kind in list.split(',').filter(|k| !k.trim().is_empty()) {
            if !allowed.allow(kind) {
                return Err(format!(
                    "unknown kind \"{}\" of unenforced constraint (known: all, {})",
                    kind.trim(),
                    Self::KINDS.join(", ")
                ));
            }
        }
        Ok(allowed)
    }

    pub fn union(self, other: Unenforced) -> Unenforced {
        Unenforced {
            serialisation: self.serialisation || other.serialisation,
            pattern: self.pattern || other.pattern,
            route_conflict: self.route_conflict || other.route_conflict,
            request_body: self.request_body || other.request_body,
        }
    }
}

/// Cross-origin resource sharing, from the document's `x-douane-cors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    /// Allowed origins (`scheme://host[:port]`), or `*`.
    pub origins: Vec<String>,
    /// Request headers a preflight may ask for (lowercase), beyond the
    /// CORS-safelisted ones.
    pub allow_headers: Vec<String>,
    /// Response headers scripts may read (`Access-Control-Expose-Headers`).
    pub expose_headers: Vec<String>,
    pub credentials: bool,
    /// Seconds a browser may cache a preflight answer.
    pub max_age: u32,
}

/// A declared security scheme (`components/securitySchemes`). Which
/// issuer, keys or consumers it trusts is deployment configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityScheme {
    pub name: String,
    pub kind: SchemeKind,
}

/// What a security scheme asks of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeKind {
    /// `apiKey`: a key in a header, query parameter or cookie.
    ApiKey { location: ApiKeyIn, name: String },
    /// `http` `basic`: a consumer id and password.
    Basic,
    /// `http` `bearer`: a token (JWT or opaque).
    Bearer,
    /// `oauth2`: a bearer access token; the scopes its flows declare.
    OAuth2 { scopes: Vec<String> },
    /// `openIdConnect`: a bearer access token from the provider.
    OpenIdConnect,
    /// `mutualTLS` (3.1): a verified client certificate.
    MutualTls,
}

/// Where an `apiKey` is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyIn {
    Header,
    Query,
    Cookie,
}

impl SchemeKind {
    /// Human description, for the contract surface.
    pub fn describe(&self) -> String {
        match self {
            SchemeKind::ApiKey { location, name } => {
                let at = match location {
                    ApiKeyIn::Header => "header",
                    ApiKeyIn::Query => "query",
                    ApiKeyIn::Cookie => "cookie",
                };
                format!("apiKey in {at} {name}")
            }
            SchemeKind::Basic => "http basic".to_owned(),
            SchemeKind::Bearer => "http bearer".to_owned(),
            SchemeKind::OAuth2 { scopes } if scopes.is_empty() => "oauth2".to_owned(),
            SchemeKind::OAuth2 { scopes } => format!("oauth2, scopes: {}", scopes.join(" ")),
            SchemeKind::OpenIdConnect => "openIdConnect".to_owned(),
            SchemeKind::MutualTls => "mutualTLS".to_owned(),
        }
    }
}

/// A routable path shape with the operations declared on it. Templates
/// identical up to parameter names share one path item.
#[derive(Debug, Clone)]
pub struct PathItem {
    /// The template as first written in the contract.
    pub template: String,
    pub segments: Vec<Segment>,
    /// `(method, index into Api::operations)`, sorted by method.
    pub operations: Vec<(Method, usize)>,
}

/// One `/`-separated segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Literal(String),
    /// The whole segment is one parameter; `capture` is its position among
    /// the template's parameters.
    Param {
        name: String,
        capture: usize,
    },
    /// Literals and parameters mixed, e.g. `{name}.{ext}`.
    Mixed(Vec<Piece>),
}

/// Part of a mixed segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Piece {
    Literal(String),
    Param { name: String, capture: usize },
}

/// HTTP methods an OpenAPI path item can declare, in routing order.
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
    /// OpenAPI 3.2's `query` operation (the HTTP QUERY method).
    Query,
    /// Another method, from 3.2's `additionalOperations` (`COPY`, `PURGE`...),
    /// as requests spell it.
    Extension(&'static str),
}

impl Method {
    pub const ALL: [(Method, &'static str); 9] = [
        (Method::Get, "get"),
        (Method::Put, "put"),
        (Method::Post, "post"),
        (Method::Delete, "delete"),
        (Method::Options, "options"),
        (Method::Head, "head"),
        (Method::Patch, "patch"),
        (Method::Trace, "trace"),
        (Method::Query, "query"),
    ];

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
}

/// One operation and everything needed to admit a request to it.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `operationId`, or `METHOD template`.
    pub id: String,
    pub method: Method,
    pub template: String,
    /// Query `(key, value)` pairs from a path key such as
    /// `/things?op=list` or `/#Action=Describe`: the request must carry
    /// them for this operation.
    pub discriminator: Vec<(String, String)>,
    pub parameters: Vec<Parameter>,
    pub body: Option<RequestBody>,
    /// Security requirements (an OR of ANDs); empty = public. A requirement
    /// with no scheme (`{}`) admits anonymous requests.
    pub security: Vec<SecurityRequirement>,
    pub limits: Limits,
    pub mock: Mock,
    pub origin: Origin,
}

/// One alternative of a security requirement: all schemes must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityRequirement {
    /// `(index into Api::security_schemes, required scopes or roles)`.
    pub schemes: Vec<(usize, Vec<String>)>,
}

/// Size limits applied to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: u64,
    pub max_json_depth: u32,
    /// `x-douane-unknown-query-parameters: reject`: query keys that no
    /// parameter declares get 400 instead of being forwarded.
    pub reject_unknown_query: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_json_depth: 64,
            reject_unknown_query: false,
        }
    }
}

/// Where a parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
    /// OpenAPI 3.2 `in: querystring`: the whole query string is one value,
    /// described with `content`.
    QueryString,
}

impl ParamLocation {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamLocation::Path => "path",
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
            ParamLocation::Cookie => "cookie",
            ParamLocation::QueryString => "querystring",
        }
    }

    /// The `style` a parameter here has when it declares none.
    pub fn default_style(self) -> Style {
        match self {
            ParamLocation::Path | ParamLocation::Header => Style::Simple,
            ParamLocation::Query | ParamLocation::Cookie | ParamLocation::QueryString => {
                Style::Form
            }
        }
    }
}

/// OpenAPI `style` of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Simple,
    Label,
    Matrix,
    Form,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
}

impl Style {
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Simple => "simple",
            Style::Label => "label",
            Style::Matrix => "matrix",
            Style::Form => "form",
            Style::SpaceDelimited => "spaceDelimited",
            Style::PipeDelimited => "pipeDelimited",
            Style::DeepObject => "deepObject",
        }
    }

    pub fn parse(s: &str) -> Option<Style> {
        [
            Style::Simple,
            Style::Label,
            Style::Matrix,
            Style::Form,
            Style::SpaceDelimited,
            Style::PipeDelimited,
            Style::DeepObject,
        ]
        .into_iter()
        .find(|style| style.as_str() == s)
    }
}

/// How a raw parameter string is read before schema validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
}

/// Parameter value shape, which decides how its text is split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    Primitive(Kind),
    /// Delimited or repeated items.
    Array(Kind),
    /// Members: each declared property's kind, and the kind of others.
    Object(Vec<(String, Kind)>, Kind),
    /// Described with `content`: the text is a document of this kind.
    Content(ContentKind),
    /// A serialisation OpenAPI leaves undefined, let pass by
    /// [`Unenforced::serialisation`]: present or absent, never read.
    Opaque,
}

/// How a `content` parameter's text is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// JSON (`application/json`, `+json`): parsed, then validated.
    Json,
    /// Any other media type: validated as a string.
    Text,
}

/// A path, query or header parameter.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub location: ParamLocation,
    pub required: bool,
    pub style: Style,
    /// `explode`, defaulted as the specification says (true for `form`).
    pub explode: bool,
    /// Query: `allowEmptyValue` (an empty value is accepted unchecked).
    pub allow_empty: bool,
    /// Query: `allowReserved` (reserved characters, `+` among them, are
    /// data, not encodings).
    pub allow_reserved: bool,
    pub shape: Shape,
    pub schema: SchemaId,
    /// For path parameters: index in the router's captures.
    pub capture: Option<usize>,
}

/// A declared request body.
#[derive(Debug, Clone)]
pub struct RequestBody {
    pub required: bool,
    /// Most specific media range first.
    pub media: Vec<MediaType>,
}

/// One declared request media type.
#[derive(Debug, Clone)]
pub struct MediaType {
    /// Lowercased media range without parameters.
    pub range: String,
    pub check: BodyCheck,
}

/// How a body of one media type is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyCheck {
    /// JSON (`application/json`, `*+json`): parsed strictly and validated.
    Json(SchemaId),
    /// `application/x-www-form-urlencoded`: fields read as the Encoding
    /// Object says, the object validated.
    Form(FormBody),
    /// `multipart/form-data`: parts read per field (text, JSON or file),
    /// the object of fields validated.
    Multipart(MultipartBody),
    /// `text/*` with a schema: the UTF-8 body validated as a string.
    Text(SchemaId),
    /// No validator for this type: size limit only (listed as a warning
    /// when the contract says more than the size can enforce).
    SizeOnly,
}

/// A form body: its declared fields and the object schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormBody {
    pub schema: SchemaId,
    pub fields: Vec<FormField>,
    /// Kind of the fields the schema does not declare.
    pub additional: Kind,
}

/// A multipart body: its declared parts, and the object schema with file
/// properties relaxed to `true` (files are checked by the runtime for size
/// and type, and stand in as `null`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartBody {
    pub schema: SchemaId,
    pub fields: Vec<PartField>,
    pub additional: Kind,
}

/// One declared part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartField {
    pub name: String,
    pub part: PartKind,
}

/// What a part holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartKind {
    /// Text: a primitive, or repeated parts for an array.
    Value(Shape),
    /// A JSON document.
    Json,
    /// Bytes: size (`maxLength`) and allowed types (Encoding Object).
    File {
        max_bytes: Option<u64>,
        content_types: Vec<String>,
        many: bool,
    },
}

/// One property of a form body, serialised per its Encoding Object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    pub name: String,
    pub style: Style,
    pub explode: bool,
    pub allow_reserved: bool,
    pub shape: Shape,
}

/// What the built-in mock upstream answers for an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mock {
    pub status: u16,
    pub content_type: Option<String>,
    /// Compact JSON text (empty when there is no content).
    pub body: String,
}

/// Index into [`Api::schemas`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaId(pub usize);

/// JSON types, for `type` (3.0 `nullable` adds `Null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JsonType {
    Null,
    Boolean,
    Object,
    Array,
    Number,
    /// A number with no fractional part (`1.0` included).
    Integer,
    String,
}

impl JsonType {
    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::String => "string",
        }
    }
}

/// A string or number format asserted in requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Uuid,
    Date,
    DateTime,
    Time,
    Duration,
    Email,
    Hostname,
    Ipv4,
    Ipv6,
    Uri,
    UriReference,
    /// Base64 (RFC 4648).
    Byte,
    Int32,
    Int64,
    /// Integer ranges of the OpenAPI format registry (`int8`, `uint8`,
    /// `int16`, `uint16`) and of Google's discovery documents (`uint32`,
    /// `uint64`).
    Int8,
    Uint8,
    Int16,
    Uint16,
    Uint32,
    Uint64,
    /// Google's `google-duration`: seconds with up to nine decimals and an
    /// `s` (`3.5s`), as protobuf's JSON mapping writes a Duration.
    GoogleDuration,
}

impl Format {
    /// The inclusive range of an integer format, if it is one (besides
    /// `int32`/`int64`, which have their own checks).
    pub fn integer_range(self) -> Option<(i64, u64)> {
        Some(match self {
            Format::Int8 => (i8::MIN.into(), i8::MAX as u64),
            Format::Uint8 => (0, u8::MAX.into()),
            Format::Int16 => (i16::MIN.into(), i16::MAX as u64),
            Format::Uint16 => (0, u16::MAX.into()),
            Format::Uint32 => (0, u32::MAX.into()),
            Format::Uint64 => (0, u64::MAX),
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Uuid => "uuid",
            Format::Date => "date",
            Format::DateTime => "date-time",
            Format::Time => "time",
            Format::Duration => "duration",
            Format::Email => "email",
            Format::Hostname => "hostname",
            Format::Ipv4 => "ipv4",
            Format::Ipv6 => "ipv6",
            Format::Uri => "uri",
            Format::UriReference => "uri-reference",
            Format::Byte => "byte",
            Format::Int32 => "int32",
            Format::Int64 => "int64",
            Format::Int8 => "int8",
            Format::Uint8 => "uint8",
            Format::Int16 => "int16",
            Format::Uint16 => "uint16",
            Format::Uint32 => "uint32",
            Format::Uint64 => "uint64",
            Format::GoogleDuration => "google-duration",
        }
    }
}

/// A numeric bound as written (kept as JSON text for messages) and as f64.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub value: f64,
    pub text: String,
    /// The bound as an integer when it is one beyond ±2^53, where f64
    /// cannot tell neighbouring integers apart: compared exactly then.
    pub big_integer: Option<i128>,
}

/// One schema in the single dialect of the IR (JSON Schema 2020-12 core
/// semantics; OpenAPI 3.0 schemas are normalised into it by `lower`).
/// Absent keywords are `None`/empty.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Pointer of the schema in its file (for comments and messages).
    pub origin: Option<Origin>,
    /// Component name when the schema is `#/components/schemas/<name>`.
    pub name: Option<String>,
    /// A boolean schema: `true` accepts everything, `false` nothing.
    pub always: Option<bool>,
    pub types: Option<Vec<JsonType>>,
    pub enumeration: Option<Vec<Value>>,
    pub constant: Option<Value>,
    pub multiple_of: Option<Bound>,
    pub minimum: Option<Bound>,
    pub exclusive_minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub exclusive_maximum: Option<Bound>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub pattern: Option<Pattern>,
    pub format: Option<Format>,
    /// Schemas for the first items, in order (`prefixItems`).
    pub prefix_items: Vec<SchemaId>,
    /// Schema for the items after `prefix_items` (`items`).
    pub items: Option<SchemaId>,
    pub contains: Option<SchemaId>,
    pub min_contains: Option<u64>,
    pub max_contains: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub properties: Vec<(String, SchemaId)>,
    pub required: Vec<String>,
    /// `patternProperties`: members whose key matches a pattern.
    pub pattern_properties: Vec<(Pattern, SchemaId)>,
    /// Applies to members matched neither by `properties` nor by
    /// `pattern_properties`.
    pub additional_properties: Option<SchemaId>,
    /// Every key, as a string instance (`propertyNames`).
    pub property_names: Option<SchemaId>,
    /// When the key is present, these must be too (`dependentRequired`).
    pub dependent_required: Vec<(String, Vec<String>)>,
    /// When the key is present, the object must match (`dependentSchemas`).
    pub dependent_schemas: Vec<(String, SchemaId)>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub all_of: Vec<SchemaId>,
    pub any_of: Vec<SchemaId>,
    pub one_of: Vec<SchemaId>,
    pub not: Option<SchemaId>,
    pub conditional: Option<Conditional>,
    /// OpenAPI `discriminator` on a `oneOf`/`anyOf`: the property whose
    /// value selects the one branch to validate against.
    pub discriminator: Option<Discriminator>,
    /// Members not evaluated by any other keyword of this schema or of the
    /// schemas it applies in place (`allOf`, `$ref`, valid `anyOf` branches...).
    pub unevaluated_properties: Option<SchemaId>,
    /// Items not evaluated (`prefixItems`, `items`, `contains`), likewise.
    pub unevaluated_items: Option<SchemaId>,
    /// `$ref` applied alongside the other keywords (3.1); in 3.0 a `$ref`
    /// replaces its siblings and the schema is the target itself.
    pub reference: Option<SchemaId>,
    /// Present in a request is an error; `required` does not apply to it.
    pub read_only: bool,
}

/// A discriminator with its values resolved to schemas: explicit
/// `mapping` entries first, then the component name of each branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discriminator {
    pub property: String,
    pub mapping: Vec<(String, SchemaId)>,
}

/// `if`/`then`/`else`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conditional {
    pub condition: SchemaId,
    pub then: Option<SchemaId>,
    pub otherwise: Option<SchemaId>,
}

/// A `pattern`, as written (ECMA-262) and as translated for its engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub source: String,
    pub regex: String,
    pub engine: RegexEngine,
    /// For a linear pattern whose automaton is small: its DFA tables,
    /// walked by the generated code instead of running `regex`.
    pub dfa: Option<Dfa>,
    /// How the translation read what ECMA-262 does not define (Java's
    /// `\p{Alpha}`...): warnings, listed in the surface.
    pub notes: Vec<String>,
}

/// A pattern's DFA, as the generated code walks it
/// (`douane_runtime::validate::pattern::Dfa` says how): states are
/// numbered so that each verdict is a compare with `accept_from`,
/// `stop_from` or `hit_from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dfa {
    pub classes: [u8; 256],
    pub walk: DfaWalk,
    pub start: usize,
    pub accept_from: usize,
    pub stop_from: usize,
    pub hit_from: usize,
}

/// A [`Dfa`]'s table, by how it is walked (the runtime's `Walk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DfaWalk {
    /// One row per byte value (256); a state is a shift amount.
    Shifts(Vec<u64>),
    /// Two bytes per step; `width` is the size in bytes of the entries for
    /// one first class. States are byte offsets of rows.
    Pairs { width: usize, table: Vec<u16> },
    /// One byte per step. States are byte offsets of rows.
    Bytes(Vec<u16>),
}

impl Dfa {
    /// The table as the little-endian bytes the runtime reads.
    pub fn table_bytes(&self) -> Vec<u8> {
        match &self.walk {
            DfaWalk::Shifts(rows) => rows.iter().flat_map(|e| e.to_le_bytes()).collect(),
            DfaWalk::Pairs { table, .. } | DfaWalk::Bytes(table) => {
                table.iter().flat_map(|e| e.to_le_bytes()).collect()
            }
        }
    }
}

/// Which engine runs a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegexEngine {
    /// `regex`: linear time, for every pattern it can express.
    Linear,
    /// `fancy-regex` under a step bound, for look-around and
    /// back-references; a value that hits the bound is rejected.
    Backtracking,
}

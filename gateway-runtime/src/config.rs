//! The deployment configuration: what changes from one environment to
//! another (listen address, timeouts, upstream URL and base path per API),
//! read from a TOML file and environment variables, and checked against the
//! compiled contract before anything listens.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use http::Uri;
use http::uri::{Authority, Scheme};
use serde::Deserialize;

use crate::contract::Contract;

/// Environment variable overriding [`Config::listen`].
pub const ENV_LISTEN: &str = "DOUANE_LISTEN";
/// Environment variable overriding [`Config::workers`].
pub const ENV_WORKERS: &str = "DOUANE_WORKERS";

/// The deployment configuration of one gateway.
///
/// Build it from TOML with [`Config::from_toml_str`], or in code:
///
/// ```
/// use douane_runtime::config::{ApiConfig, Config};
/// let mut config = Config {
///     listen: "127.0.0.1:0".parse().unwrap(),
///     ..Config::default()
/// };
/// config.apis.insert("petstore".into(), ApiConfig::upstream("http://127.0.0.1:9000"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on; env `DOUANE_LISTEN`.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Worker threads; `None` = one per CPU core. Env `DOUANE_WORKERS`.
    /// Only the `douane` binary reads it (tests bring their own runtime).
    #[serde(default)]
    pub workers: Option<usize>,
    #[serde(default)]
    pub timeouts: Timeouts,
    /// Per API, keyed by `Api::name` (the spec file stem).
    #[serde(default)]
    pub apis: BTreeMap<String, ApiConfig>,
    /// TLS termination; absent = plain HTTP (and h2c).
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Who may call: the consumer registry and the identity header.
    #[serde(default)]
    pub auth: AuthConfig,
}

/// Authentication settings shared by all APIs (`[auth]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// The consumer registry file (TOML); required as soon as an operation
    /// requires an apiKey, http basic or mutualTLS scheme.
    pub consumers: Option<String>,
    /// Header carrying the caller's identity to the upstream; the same
    /// header coming from a client is always removed.
    pub identity_header: String,
    /// How often the registry file is checked for changes (SIGHUP reloads
    /// at once).
    pub reload_interval_ms: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            consumers: None,
            identity_header: crate::auth::DEFAULT_IDENTITY_HEADER.to_owned(),
            reload_interval_ms: 2_000,
        }
    }
}

/// The listener's TLS settings (`[tls]`): PEM files, read at startup and
/// again on SIGHUP or when their modification time changes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain, end entity first (PEM).
    pub cert: PathBuf,
    /// Private key of the end-entity certificate (PEM: PKCS#8, PKCS#1 or
    /// SEC1).
    pub key: PathBuf,
    /// CA bundle that client certificates are verified against (PEM).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// Whether clients must present a certificate.
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// How often the files' modification times are checked, in ms.
    #[serde(default = "default_reload_interval_ms")]
    pub reload_interval_ms: u64,
}

impl TlsConfig {
    /// TLS with `cert` and `key`, no client certificates, default reload
    /// interval.
    pub fn new(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> TlsConfig {
        TlsConfig {
            cert: cert.into(),
            key: key.into(),
            client_ca: None,
            client_auth: ClientAuth::None,
            reload_interval_ms: default_reload_interval_ms(),
        }
    }

    pub fn reload_interval(&self) -> Duration {
        Duration::from_millis(self.reload_interval_ms)
    }
}

fn default_reload_interval_ms() -> u64 {
    2_000
}

/// Client certificates on a TLS listener (`tls.client_auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuth {
    /// No certificate is asked for.
    #[default]
    None,
    /// A certificate is asked for; without one the connection is served
    /// (with no `peer_certificate`), with an unverifiable one it is refused.
    Optional,
    /// The handshake fails without a certificate verified by `client_ca`.
    Required,
}

/// Time limits, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    /// Reading the request head (defends against slowloris).
    pub request_head_ms: u64,
    /// Reading the request body.
    pub request_body_ms: u64,
    /// Connecting to an upstream.
    pub upstream_connect_ms: u64,
    /// From sending the request until the upstream's response head.
    pub upstream_response_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            request_head_ms: 10_000,
            request_body_ms: 30_000,
            upstream_connect_ms: 3_000,
            upstream_response_ms: 30_000,
        }
    }
}

impl Timeouts {
    pub fn request_head(&self) -> Duration {
        Duration::from_millis(self.request_head_ms)
    }
    pub fn request_body(&self) -> Duration {
        Duration::from_millis(self.request_body_ms)
    }
    pub fn upstream_connect(&self) -> Duration {
        Duration::from_millis(self.upstream_connect_ms)
    }
    pub fn upstream_response(&self) -> Duration {
        Duration::from_millis(self.upstream_response_ms)
    }
}

/// Deployment settings of one API.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// `"mock"` or an `http[s]://host:port[/prefix]` URL; env
    /// `DOUANE_API_<NAME>_UPSTREAM`. Required once overrides are applied.
    pub upstream: Option<String>,
    /// Overrides `Api::base_path`; env `DOUANE_API_<NAME>_BASE_PATH`.
    pub base_path: Option<String>,
    /// What each token scheme (oauth2, openIdConnect, http bearer) of the
    /// contract trusts, keyed by scheme name.
    #[serde(default)]
    pub schemes: BTreeMap<String, crate::auth::token::TokenConfig>,
    /// Forward API keys and Basic credentials to the upstream (by default
    /// only the gateway sees them).
    #[serde(default)]
    pub forward_credentials: bool,
    /// CA bundle (PEM) this API's client certificates must chain to, on top
    /// of the listener's `tls.client_ca` (for the `mutualTLS` scheme).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// CA bundle (PEM) trusted for an `https://` upstream; default: the
    /// Mozilla roots (webpki-roots).
    #[serde(default)]
    pub upstream_ca: Option<PathBuf>,
    /// Certificate chain (PEM) presented to the upstream; needs
    /// `upstream_client_key`.
    #[serde(default)]
    pub upstream_client_cert: Option<PathBuf>,
    /// Private key (PEM) of `upstream_client_cert`.
    #[serde(default)]
    pub upstream_client_key: Option<PathBuf>,
}

impl ApiConfig {
    /// An API forwarded to `upstream` (`"mock"` or an `http://` URL), at the
    /// contract's base path.
    pub fn upstream(upstream: impl Into<String>) -> ApiConfig {
        ApiConfig {
            upstream: Some(upstream.into()),
            ..ApiConfig::default()
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: default_listen(),
            workers: None,
            timeouts: Timeouts::default(),
            apis: BTreeMap::new(),
            auth: AuthConfig::default(),
            tls: None,
        }
    }
}

/// Where an API's requests go, resolved from its `upstream` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// The built-in mock answers each operation's example response.
    Mock,
    /// An HTTP upstream, over TLS when `scheme` is `https`; `prefix` (no
    /// trailing slash, may be empty) is prepended to the forwarded path.
    Http {
        scheme: Scheme,
        authority: Authority,
        prefix: String,
    },
}

impl Upstream {
    /// Parses `"mock"` or an `http[s]://host[:port][/prefix]` URL.
    pub fn parse(url: &str) -> Result<Upstream, String> {
        if url == "mock" {
            return Ok(Upstream::Mock);
        }
        let uri: Uri = url.parse().map_err(|e| format!("{e}"))?;
        let scheme = match uri.scheme() {
            Some(s) if *s == Scheme::HTTP || *s == Scheme::HTTPS => s.clone(),
            Some(s) => return Err(format!("scheme {s} is not supported, only http and https")),
            None => return Err("expected \"mock\" or an http:// or https:// URL".into()),
        };
        let authority = uri.authority().ok_or("missing host")?.clone();
        if authority.as_str().contains('@') {
            return Err("credentials in the URL are not supported".into());
        }
        if uri.query().is_some() {
            return Err("a query string is not allowed".into());
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(Upstream::Http {
            scheme,
            authority,
            prefix,
        })
    }
}

/// Why a configuration cannot be used; each names the offending thing.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read.
    Read { path: String, error: std::io::Error },
    /// The TOML is malformed or has unknown or mistyped fields.
    Parse { origin: String, message: String },
    /// An environment variable holds an invalid value.
    Env { var: String, message: String },
    /// `[apis.NAME]` names no API of the contract.
    UnknownApi { name: String, known: Vec<String> },
    /// An API of the contract has no upstream.
    MissingUpstream { api: String },
    /// An upstream URL is unusable.
    BadUpstream {
        api: String,
        url: String,
        reason: String,
    },
    /// A base path is not empty nor `/segments` without trailing slash.
    BadBasePath { api: String, path: String },
    /// Two APIs would compete for the same paths.
    OverlappingBasePaths {
        a: String,
        a_path: String,
        b: String,
        b_path: String,
    },
    /// `workers = 0`.
    Workers,
    /// The compiled contract itself is unusable (a compiler bug).
    Contract { api: String, message: String },
    /// Security settings are missing, invalid, or do not fit the contract.
    Auth {
        api: Option<String>,
        message: String,
    },
    /// A PEM file named by `setting` (`tls.cert`, `apis.NAME.upstream_ca`...)
    /// is unreadable, holds nothing usable, or does not fit (key mismatch).
    Pem {
        setting: String,
        path: PathBuf,
        reason: String,
    },
    /// TLS settings that contradict each other.
    Tls { message: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, error } => write!(f, "cannot read config {path}: {error}"),
            ConfigError::Parse { origin, message } => {
                write!(f, "invalid config {origin}: {}", message.trim_end())
            }
            ConfigError::Env { var, message } => write!(f, "invalid ${var}: {message}"),
            ConfigError::UnknownApi { name, known } => write!(
                f,
                "config names unknown api `{name}` (compiled apis: {})",
                known.join(", ")
            ),
            ConfigError::MissingUpstream { api } => write!(
                f,
                "api `{api}` has no upstream: set apis.{api}.upstream or ${}",
                env_var(api, "UPSTREAM")
            ),
            ConfigError::BadUpstream { api, url, reason } => {
                write!(f, "api `{api}`: invalid upstream `{url}`: {reason}")
            }
            ConfigError::BadBasePath { api, path } => write!(
                f,
                "api `{api}`: invalid base path `{path}`: expected empty or /segments without trailing slash"
            ),
            ConfigError::OverlappingBasePaths {
                a,
                a_path,
                b,
                b_path,
            } => write!(
                f,
                "apis `{a}` (base path `{a_path}`) and `{b}` (base path `{b_path}`) overlap"
            ),
            ConfigError::Workers => write!(f, "workers must be at least 1"),
            ConfigError::Contract { api, message } => {
                write!(f, "api `{api}`: compiled contract is invalid: {message}")
            }
            ConfigError::Auth { api: None, message } => write!(f, "auth: {message}"),
            ConfigError::Auth {
                api: Some(api),
                message,
            } => write!(f, "api `{api}`: {message}"),
            ConfigError::Pem {
                setting,
                path,
                reason,
            } => write!(f, "{setting} `{}`: {reason}", path.display()),
            ConfigError::Tls { message } => write!(f, "invalid TLS settings: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Name of the environment variable overriding `key` of API `api`:
/// `DOUANE_API_<NAME>_<KEY>`, the name uppercased with `-` as `_`.
pub fn env_var(api: &str, key: &str) -> String {
    let name: String = api
        .chars()
        .map(|c| match c {
            '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    format!("DOUANE_API_{name}_{key}")
}

impl Config {
    /// Parses a TOML configuration; `origin` names it in errors (a path).
    pub fn from_toml_str(toml: &str, origin: &str) -> Result<Config, ConfigError> {
        toml::from_str(toml).map_err(|e: toml::de::Error| ConfigError::Parse {
            origin: origin.to_owned(),
            message: e.to_string(),
        })
    }

    /// Reads and parses a TOML file.
    pub fn from_file(path: &str) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_owned(),
            error,
        })?;
        Config::from_toml_str(&text, path)
    }

    /// The configuration used without `--config`: every API of the contract
    /// answered by the mock, on 127.0.0.1:8080.
    pub fn mock_all(contract: &Contract) -> Config {
        let mut config = Config::default();
        for api in contract.apis {
            config
                .apis
                .insert(api.name.to_owned(), ApiConfig::upstream("mock"));
        }
        config
    }

    /// Applies environment overrides read through `var` (pass
    /// `|k| std::env::var(k).ok()` in production): `DOUANE_LISTEN`, and for
    /// each API of the contract `DOUANE_API_<NAME>_UPSTREAM` and
    /// `DOUANE_API_<NAME>_BASE_PATH`.
    pub fn apply_env(
        &mut self,
        contract: &Contract,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(listen) = var(ENV_LISTEN) {
            self.listen = listen.parse().map_err(|e| ConfigError::Env {
                var: ENV_LISTEN.into(),
                message: format!("{e}"),
            })?;
        }
        if let Some(workers) = var(ENV_WORKERS) {
            self.workers = Some(workers.parse().map_err(|e| ConfigError::Env {
                var: ENV_WORKERS.into(),
                message: format!("{e}"),
            })?);
        }
        for api in contract.apis {
            if let Some(upstream) = var(&env_var(api.name, "UPSTREAM")) {
                self.apis.entry(api.name.to_owned()).or_default().upstream = Some(upstream);
            }
            if let Some(base_path) = var(&env_var(api.name, "BASE_PATH")) {
                self.apis.entry(api.name.to_owned()).or_default().base_path = Some(base_path);
            }
        }
        Ok(())
    }

    /// Checks the configuration against the contract and resolves each API
    /// of the contract to its base path and upstream, in contract order.
    pub fn resolve(&self, contract: &Contract) -> Result<Vec<ResolvedApi>, ConfigError> {
        if self.workers == Some(0) {
            return Err(ConfigError::Workers);
        }
        for name in self.apis.keys() {
            if !contract.apis.iter().any(|a| a.name == name) {
                return Err(ConfigError::UnknownApi {
                    name: name.clone(),
                    known: contract.apis.iter().map(|a| a.name.to_owned()).collect(),
                });
            }
        }
        self.check_tls()?;
        let mut resolved: Vec<ResolvedApi> = Vec::with_capacity(contract.apis.len());
        for (index, api) in contract.apis.iter().enumerate() {
            let settings = self.apis.get(api.name);
            let url = settings
                .and_then(|s| s.upstream.as_deref())
                .ok_or_else(|| ConfigError::MissingUpstream {
                    api: api.name.to_owned(),
                })?;
            let upstream = Upstream::parse(url).map_err(|reason| ConfigError::BadUpstream {
                api: api.name.to_owned(),
                url: url.to_owned(),
                reason,
            })?;
            let base_path = settings
                .and_then(|s| s.base_path.clone())
                .unwrap_or_else(|| api.base_path.to_owned());
            if !valid_base_path(&base_path) {
                return Err(ConfigError::BadBasePath {
                    api: api.name.to_owned(),
                    path: base_path,
                });
            }
            // Without an override, the contract's server variables may add
            // base paths; an override replaces them all.
            let overridden = settings.is_some_and(|s| s.base_path.is_some());
            let mut base_paths = vec![base_path];
            if !overridden {
                base_paths.extend(api.other_base_paths.iter().map(|p| (*p).to_owned()));
            }
            for other in &resolved {
                for a_path in &other.base_paths {
                    if let Some(b_path) = base_paths.iter().find(|b| overlap(a_path, b)) {
                        return Err(ConfigError::OverlappingBasePaths {
                            a: contract.apis[other.index].name.to_owned(),
                            a_path: a_path.clone(),
                            b: api.name.to_owned(),
                            b_path: b_path.clone(),
                        });
                    }
                }
            }
            if let Some(settings) = settings {
                let https =
                    matches!(&upstream, Upstream::Http { scheme, .. } if *scheme == Scheme::HTTPS);
                let tls_set = settings.upstream_ca.is_some()
                    || settings.upstream_client_cert.is_some()
                    || settings.upstream_client_key.is_some();
                if tls_set && !https {
                    return Err(ConfigError::Tls {
                        message: format!(
                            "apis.{}: upstream_ca and upstream_client_* need an https:// upstream",
                            api.name
                        ),
                    });
                }
            }
            resolved.push(ResolvedApi {
                index,
                base_paths,
                upstream,
            });
        }
        Ok(resolved)
    }
}

impl Config {
    /// The settings no file needs to be read for: client certificates need
    /// a CA, an upstream client key goes with a certificate.
    fn check_tls(&self) -> Result<(), ConfigError> {
        let tls_error = |message: String| Err(ConfigError::Tls { message });
        let client_auth = self
            .tls
            .as_ref()
            .map_or(ClientAuth::None, |t| t.client_auth);
        if let Some(tls) = &self.tls {
            if tls.client_auth != ClientAuth::None && tls.client_ca.is_none() {
                return tls_error("tls.client_auth needs tls.client_ca".into());
            }
            if tls.client_auth == ClientAuth::None && tls.client_ca.is_some() {
                return tls_error(
                    "tls.client_ca is set but tls.client_auth is \"none\" (use \"optional\" or \"required\")".into(),
                );
            }
            if tls.reload_interval_ms == 0 {
                return tls_error("tls.reload_interval_ms must be at least 1".into());
            }
        }
        for (name, api) in &self.apis {
            // Without a certificate asked for at the handshake, a per-API CA
            // would refuse every request: a mistake better caught at start.
            if api.client_ca.is_some() && client_auth == ClientAuth::None {
                return tls_error(format!(
                    "apis.{name}.client_ca needs [tls] with client_auth \"optional\" or \"required\""
                ));
            }
            if api.upstream_client_cert.is_some() != api.upstream_client_key.is_some() {
                return tls_error(format!(
                    "apis.{name}: upstream_client_cert and upstream_client_key go together"
                ));
            }
        }
        Ok(())
    }
}

/// One API of the contract with its deployment settings applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedApi {
    /// Index into `Contract::apis`.
    pub index: usize,
    /// Where the API is served: the base path (the contract's or the
    /// override), then those the contract's server variables add.
    pub base_paths: Vec<String>,
    pub upstream: Upstream,
}

fn valid_base_path(path: &str) -> bool {
    path.is_empty()
        || (path.starts_with('/')
            && !path.ends_with('/')
            && !path.contains("//")
            && !path.contains(['?', '#'])
            && path.bytes().all(|b| b.is_ascii_graphic()))
}

/// True when two base paths are equal or one is a prefix of the other at a
/// `/` boundary: a request could not tell which API it is for.
pub fn overlap(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.starts_with(short) && (long.len() == short.len() || long.as_bytes()[short.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Api;
    use crate::validate::Captures;

    fn no_route(_: &str, _: &mut Captures<'_>) -> Option<usize> {
        None
    }

    const fn api(name: &'static str, base_path: &'static str) -> Api {
        Api {
            name,
            title: "t",
            version: "1",
            source: "x.yaml",
            base_path,
            other_base_paths: &[],
            cors: None,
            route: no_route,
            path_items: &[],
            operations: &[],
            security_schemes: &[],
        }
    }

    static CONTRACT: Contract = Contract {
        apis: &[api("pets", "/v2"), api("store-front", "/shop")],
    };

    /// Parses `toml`, applies `env`, resolves; `expect` is the error message
    /// or `ok`.
    fn check(toml: &str, env: &[(&str, &str)], expect: &str) {
        let result = Config::from_toml_str(toml, "test.toml").and_then(|mut c| {
            c.apply_env(&CONTRACT, |k| {
                env.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            })?;
            c.resolve(&CONTRACT).map(|_| ())
        });
        let got = match result {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expect, "config:\n{toml}");
    }

    const BOTH: &str = "[apis.pets]\nupstream = \"mock\"\n[apis.store-front]\nupstream = \"http://127.0.0.1:9000/api\"\n";

    #[test]
    fn config_errors() {
        check(BOTH, &[], "ok");
        check(
            "listen = \"127.0.0.1:1\"\n[timeouts]\nrequest_head_ms = 5\n",
            &[
                ("DOUANE_API_PETS_UPSTREAM", "mock"),
                ("DOUANE_API_STORE_FRONT_UPSTREAM", "mock"),
            ],
            "ok",
        );
        check(
            "[apis.pets]\nupstream = \"mock\"\n",
            &[],
            "api `store-front` has no upstream: set apis.store-front.upstream or $DOUANE_API_STORE_FRONT_UPSTREAM",
        );
        check(
            &format!("{BOTH}[apis.petz]\nupstream = \"mock\"\n"),
            &[],
            "config names unknown api `petz` (compiled apis: pets, store-front)",
        );
        check(
            "lisen = \"x\"\n",
            &[],
            "invalid config test.toml: TOML parse error at line 1, column 1\n  |\n1 | lisen = \"x\"\n  | ^^^^^\nunknown field `lisen`, expected one of `listen`, `workers`, `timeouts`, `apis`, `tls`, `auth`",
        );
        check(
            &format!("{BOTH}[timeouts]\nrequest_body_ms = \"1s\"\n"),
            &[],
            "invalid config test.toml: TOML parse error at line 6, column 19\n  |\n6 | request_body_ms = \"1s\"\n  |                   ^^^^\ninvalid type: string \"1s\", expected u64",
        );
        check(
            BOTH,
            &[("DOUANE_API_STORE_FRONT_BASE_PATH", "/v2/shop")],
            "apis `pets` (base path `/v2`) and `store-front` (base path `/v2/shop`) overlap",
        );
        check(
            BOTH,
            &[("DOUANE_API_STORE_FRONT_BASE_PATH", "/v2")],
            "apis `pets` (base path `/v2`) and `store-front` (base path `/v2`) overlap",
        );
        check(BOTH, &[("DOUANE_API_STORE_FRONT_BASE_PATH", "/v22")], "ok");
        check(
            BOTH,
            &[("DOUANE_API_PETS_BASE_PATH", "/v2/")],
            "api `pets`: invalid base path `/v2/`: expected empty or /segments without trailing slash",
        );
        check(BOTH, &[("DOUANE_API_PETS_UPSTREAM", "https://x")], "ok");
        check(
            BOTH,
            &[("DOUANE_API_PETS_UPSTREAM", "ftp://x")],
            "api `pets`: invalid upstream `ftp://x`: scheme ftp is not supported, only http and https",
        );
        let tls = "[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n";
        check(&format!("{BOTH}{tls}"), &[], "ok");
        check(
            &format!("{BOTH}{tls}client_ca = \"ca.pem\"\nclient_auth = \"optional\"\n"),
            &[],
            "ok",
        );
        check(
            &format!("{BOTH}{tls}client_auth = \"required\"\n"),
            &[],
            "invalid TLS settings: tls.client_auth needs tls.client_ca",
        );
        check(
            &format!("{BOTH}{tls}client_ca = \"ca.pem\"\n"),
            &[],
            "invalid TLS settings: tls.client_ca is set but tls.client_auth is \"none\" (use \"optional\" or \"required\")",
        );
        check(
            &format!("{BOTH}{tls}client_auth = \"sometimes\"\n"),
            &[],
            "invalid config test.toml: TOML parse error at line 8, column 15\n  |\n8 | client_auth = \"sometimes\"\n  |               ^^^^^^^^^^^\nunknown variant `sometimes`, expected one of `none`, `optional`, `required`",
        );
        check(
            &format!("{BOTH}client_ca = \"ca.pem\"\n"),
            &[],
            "invalid TLS settings: apis.store-front.client_ca needs [tls] with client_auth \"optional\" or \"required\"",
        );
        check(
            &format!("{BOTH}upstream_ca = \"ca.pem\"\n"),
            &[],
            "invalid TLS settings: apis.store-front: upstream_ca and upstream_client_* need an https:// upstream",
        );
        check(
            &format!("{BOTH}upstream_client_cert = \"c.pem\"\n"),
            &[("DOUANE_API_STORE_FRONT_UPSTREAM", "https://x")],
            "invalid TLS settings: apis.store-front: upstream_client_cert and upstream_client_key go together",
        );
        check(
            BOTH,
            &[("DOUANE_API_PETS_UPSTREAM", "localhost:80")],
            "api `pets`: invalid upstream `localhost:80`: expected \"mock\" or an http:// or https:// URL",
        );
        check(
            BOTH,
            &[("DOUANE_WORKERS", "0")],
            "workers must be at least 1",
        );
        check(&format!("workers = 2\n{BOTH}"), &[], "ok");
        check(
            BOTH,
            &[("DOUANE_LISTEN", "nope")],
            "invalid $DOUANE_LISTEN: invalid socket address syntax",
        );
    }

    static VARIANTS: Contract = Contract {
        apis: &[
            Api {
                other_base_paths: &["/v2", "/v3"],
                ..api("pets", "/v1")
            },
            api("shop", "/v3/shop"),
        ],
    };

    #[test]
    fn server_variable_base_paths_are_served_unless_overridden() {
        let resolve = |env: &[(&str, &str)]| {
            let mut config = Config::default();
            for name in ["pets", "shop"] {
                config.apis.insert(name.into(), ApiConfig::upstream("mock"));
            }
            config
                .apply_env(&VARIANTS, |k| {
                    env.iter()
                        .find(|(n, _)| *n == k)
                        .map(|(_, v)| v.to_string())
                })
                .unwrap();
            config.resolve(&VARIANTS)
        };
        assert_eq!(
            resolve(&[]).unwrap_err().to_string(),
            "apis `pets` (base path `/v3`) and `shop` (base path `/v3/shop`) overlap"
        );
        let resolved = resolve(&[("DOUANE_API_SHOP_BASE_PATH", "/shop")]).unwrap();
        assert_eq!(resolved[0].base_paths, ["/v1", "/v2", "/v3"]);
        let resolved = resolve(&[("DOUANE_API_PETS_BASE_PATH", "/pets")]).unwrap();
        assert_eq!(resolved[0].base_paths, ["/pets"]);
    }

    #[test]
    fn base_path_overlaps() {
        for (a, b, expect) in [
            ("/v2", "/v2", true),
            ("/v2", "/v2/x", true),
            ("/v2/x", "/v2", true),
            ("/v2", "/v22", false),
            ("", "/v2", true),
            ("/a", "/b", false),
        ] {
            assert_eq!(overlap(a, b), expect, "{a:?} {b:?}");
        }
    }

    #[test]
    fn upstream_urls() {
        let Upstream::Http {
            authority, prefix, ..
        } = Upstream::parse("http://h:81/a/b/").unwrap()
        else {
            panic!()
        };
        assert_eq!((authority.as_str(), prefix.as_str()), ("h:81", "/a/b"));
        assert_eq!(Upstream::parse("mock"), Ok(Upstream::Mock));
        assert!(Upstream::parse("http://u:p@h").is_err());
    }
}

//! The `douane` command line: reads the deployment configuration, starts
//! the gateway for the compiled contract, stops it on SIGINT or SIGTERM.

use std::fmt::Write as _;
use std::process::ExitCode;

use crate::config::{Config, ConfigError, ENV_LISTEN, ENV_WORKERS, env_var};
use crate::contract::Contract;
use crate::listener::{Server, StartError};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Runs the `douane` binary for `contract`; returns 2 on a configuration
/// error, 1 when the gateway cannot start, 0 after a clean shutdown.
pub fn main(contract: &'static Contract) -> ExitCode {
    let config_path = match parse_args(contract) {
        Ok(Args::Run { config }) => config,
        Ok(Args::Exit) => return ExitCode::SUCCESS,
        Ok(Args::AddConsumer(add)) => return add_consumer(add),
        Err(message) => {
            eprintln!("error: {message}\n(see douane --help)");
            return ExitCode::from(2);
        }
    };
    // Held until exit: dropping it flushes the log lines still queued.
    let _log_flush = init_tracing();
    let config = match load_config(contract, config_path.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    // One worker needs no work stealing: a current-thread runtime is the
    // cheapest way to run on one core.
    let mut builder = match config.workers {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(n);
            builder
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(contract, config))
}

enum Args {
    Run { config: Option<String> },
    AddConsumer(AddConsumer),
    Exit,
}

/// `douane consumer add`: provisions a consumer and prints its new API key.
#[derive(Default)]
struct AddConsumer {
    registry: Option<String>,
    id: Option<String>,
    plan: Option<String>,
    apis: Vec<String>,
    scopes: Vec<String>,
    password_stdin: bool,
}

fn parse_consumer_add(parser: &mut lexopt::Parser) -> Result<Args, String> {
    use lexopt::prelude::*;
    let mut add = AddConsumer::default();
    let text = |parser: &mut lexopt::Parser| -> Result<String, String> {
        let value = parser.value().map_err(|e| e.to_string())?;
        value.string().map_err(|e| e.to_string())
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("registry") => add.registry = Some(text(parser)?),
            Long("id") => add.id = Some(text(parser)?),
            Long("plan") => add.plan = Some(text(parser)?),
            Long("api") => add.apis.push(text(parser)?),
            Long("scope") => add.scopes.push(text(parser)?),
            Long("password-stdin") => add.password_stdin = true,
            other => return Err(other.unexpected().to_string()),
        }
    }
    if add.registry.is_none() || add.id.is_none() {
        return Err("consumer add needs --registry PATH and --id ID".into());
    }
    if add.apis.is_empty() {
        return Err("consumer add needs at least one --api NAME (or --api '*')".into());
    }
    Ok(Args::AddConsumer(add))
}

fn add_consumer(add: AddConsumer) -> ExitCode {
    let password = if add.password_stdin {
        let mut line = String::new();
        if let Err(error) = std::io::stdin().read_line(&mut line) {
            eprintln!("error: cannot read the password from stdin: {error}");
            return ExitCode::from(2);
        }
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            eprintln!("error: the password read from stdin is empty");
            return ExitCode::from(2);
        }
        Some(password)
    } else {
        None
    };
    let (Some(registry), Some(id)) = (&add.registry, &add.id) else {
        return ExitCode::from(2);
    };
    match crate::auth::consumers::add_consumer(
        std::path::Path::new(registry),
        id,
        add.plan.as_deref(),
        &add.apis,
        &add.scopes,
        password.as_deref(),
    ) {
        Ok(key) => {
            eprintln!(
                "consumer `{id}` added to {registry}; its API key follows. It is stored only as a hash: keep it now, it cannot be shown again."
            );
            println!("{key}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn parse_args(contract: &Contract) -> Result<Args, String> {
    use lexopt::prelude::*;
    let mut config = None;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Value(command) if command == "consumer" && config.is_none() => {
                return match parser.next().map_err(|e| e.to_string())? {
                    Some(Value(sub)) if sub == "add" => parse_consumer_add(&mut parser),
                    _ => Err(
                        "usage: douane consumer add --registry PATH --id ID --api NAME ...".into(),
                    ),
                };
            }
            Short('c') | Long("config") => {
                let value = parser.value().map_err(|e| e.to_string())?;
                config = Some(value.string().map_err(|e| e.to_string())?);
            }
            Short('h') | Long("help") => {
                print!("{}", help(contract));
                return Ok(Args::Exit);
            }
            Short('V') | Long("version") => {
                println!("douane {VERSION}");
                return Ok(Args::Exit);
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(Args::Run { config })
}

fn load_config(contract: &Contract, path: Option<&str>) -> Result<Config, ConfigError> {
    let mut config = match path {
        Some(path) => Config::from_file(path)?,
        None => Config::mock_all(contract),
    };
    config.apply_env(contract, |name| std::env::var(name).ok())?;
    // Checked here too so that a bad config exits with status 2 before the
    // runtime starts; `Server::start` checks again for library users.
    config.resolve(contract)?;
    Ok(config)
}

async fn run(contract: &'static Contract, config: Config) -> ExitCode {
    let server = match Server::start(contract, config).await {
        Ok(server) => server,
        Err(StartError::Config(error)) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %server.local_addr(), version = VERSION, "douane listening");
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    ExitCode::SUCCESS
}

fn init_tracing() -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour codes only help a human at a terminal; in a log file or a
    // container log they are noise and cost bytes on every access line.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    // Request tasks hand their lines to a writer thread instead of taking
    // the stdout lock and making a write system call each. Not lossy: when
    // the queue is full, requests wait rather than lose access-log lines.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer)
        .try_init();
    guard
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The `--help` text: usage, the whole configuration format, and the APIs
/// compiled into this binary.
pub fn help(contract: &Contract) -> String {
    let mut out = format!(
        "douane {VERSION}: API gateway compiled from OpenAPI contracts

USAGE:
    douane [--config PATH]
    douane consumer add --registry PATH --id ID --api NAME... [--plan PLAN]
                        [--scope SCOPE...] [--password-stdin]
        adds a consumer to the registry and prints its new API key (once:
        only its hash is stored); --password-stdin also sets a password
        for http basic, read from the first line of stdin

OPTIONS:
    -c, --config PATH   deployment configuration (TOML); without it every API
                        is answered by the built-in mock on 127.0.0.1:8080
    -h, --help          print this help
    -V, --version       print the version

CONFIGURATION FILE:
    listen = \"127.0.0.1:8080\"      # address to listen on
    workers = 2                     # worker threads (default: one per core)
    [timeouts]                      # all optional, in milliseconds
    request_head_ms = 10000         # reading the request head
    request_body_ms = 30000         # reading the request body
    upstream_connect_ms = 3000      # connecting to an upstream
    upstream_response_ms = 30000    # until the upstream's response head
    [apis.NAME]                     # one table per API, NAME as listed below
    upstream = \"mock\"               # \"mock\" or http[s]://host:port[/prefix] (required)
    base_path = \"/v2\"               # optional, overrides the contract's
    forward_credentials = false     # pass API keys and Basic upstream
    [apis.NAME.schemes.SCHEME]      # what a token scheme (oauth2, openIdConnect,
    issuer = \"https://idp\"         # http bearer) trusts: exact iss,
    audiences = [\"my-api\"]         # accepted aud values,
    jwks_url = \"https://idp/jwks\"  # keys (or jwks_file = PATH)
    [auth]
    consumers = \"consumers.toml\"   # consumer registry (apiKey, basic, mutualTLS)
    identity_header = \"x-douane-consumer\" # caller identity sent upstream
    client_ca = \"team-ca.pem\"       # optional: CA bundle for this API's mutualTLS
    upstream_ca = \"up-ca.pem\"       # optional: CA bundle of an https upstream
                                    # (default: the Mozilla roots)
    upstream_client_cert = \"c.pem\"  # optional: certificate shown to the upstream,
    upstream_client_key = \"k.pem\"   # with its key
    [tls]                           # optional: HTTPS (TLS 1.2/1.3, ALPN h2, http/1.1)
    cert = \"cert.pem\"               # certificate chain, end entity first
    key = \"key.pem\"                 # its private key
    client_ca = \"clients.pem\"       # CA bundle for client certificates
    client_auth = \"none\"            # \"none\", \"optional\" or \"required\"
    reload_interval_ms = 2000       # files re-read when changed, and on SIGHUP

    Every compiled API needs an upstream; base paths must not overlap.

ENVIRONMENT:
    {ENV_LISTEN}                   overrides listen
    {ENV_WORKERS}                  overrides workers
    DOUANE_API_<NAME>_UPSTREAM      overrides apis.NAME.upstream
    DOUANE_API_<NAME>_BASE_PATH     overrides apis.NAME.base_path
                                    (<NAME> uppercased, '-' as '_')
    RUST_LOG                        log filter (default: info); access log
                                    lines have the target douane::access

COMPILED APIS:
"
    );
    if contract.apis.is_empty() {
        out.push_str("    (none)\n");
    }
    for api in contract.apis {
        let base = if api.base_path.is_empty() {
            "/"
        } else {
            api.base_path
        };
        let _ = writeln!(
            out,
            "    {:<20} {:<16} {} {} ({})\n    {:<20} env: {}",
            api.name,
            base,
            api.title,
            api.version,
            api.source,
            "",
            env_var(api.name, "UPSTREAM"),
        );
        if !api.other_base_paths.is_empty() {
            let _ = writeln!(
                out,
                "    {:<20} also at: {} (server variables)",
                "",
                api.other_base_paths.join(", ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Api;
    use crate::validate::Captures;

    fn no_route(_: &str, _: &mut Captures<'_>) -> Option<usize> {
        None
    }

    static CONTRACT: Contract = Contract {
        apis: &[Api {
            name: "pet-store",
            title: "Pet Store",
            version: "1.2",
            source: "pet-store.yaml",
            base_path: "",
            other_base_paths: &[],
            cors: None,
            route: no_route,
            path_items: &[],
            operations: &[],
            security_schemes: &[],
        }],
    };

    #[test]
    fn help_documents_config_env_and_apis() {
        let help = help(&CONTRACT);
        for expected in [
            "upstream_response_ms = 30000",
            "DOUANE_LISTEN",
            "    pet-store            /                Pet Store 1.2 (pet-store.yaml)",
            "env: DOUANE_API_PET_STORE_UPSTREAM",
        ] {
            assert!(
                help.contains(expected),
                "{expected:?} missing from:\n{help}"
            );
        }
    }

    #[test]
    fn default_config_mocks_every_api() {
        let config = load_config(&CONTRACT, None).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.apis["pet-store"].upstream.as_deref(), Some("mock"));
    }
}

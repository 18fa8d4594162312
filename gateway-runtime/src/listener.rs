//! Accepting connections: one task per TCP connection, HTTP/1.1 with
//! keep-alive or HTTP/2 cleartext (h2c) on the same port, a deadline on
//! the request head against slow clients, and graceful shutdown.
//!
//! End-to-end tests start a gateway with [`Server::start`] on
//! `127.0.0.1:0` and read the bound address from [`Server::local_addr`].

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::{Config, ConfigError};
use crate::connection::Connection;
use crate::contract::Contract;
use crate::pipeline::Gateway;

/// How long in-flight requests may run on after shutdown is requested.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why a gateway could not start.
#[derive(Debug)]
pub enum StartError {
    /// The configuration does not fit the contract.
    Config(ConfigError),
    /// The listen address could not be bound.
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Config(e) => e.fmt(f),
            StartError::Bind { addr, error } => write!(f, "cannot listen on {addr}: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<ConfigError> for StartError {
    fn from(e: ConfigError) -> Self {
        StartError::Config(e)
    }
}

/// A running gateway, serving in a background task.
///
/// ```no_run
/// # async fn demo(contract: &'static douane_runtime::contract::Contract) {
/// use douane_runtime::config::{ApiConfig, Config};
/// use douane_runtime::listener::Server;
/// let mut config = Config {
///     listen: "127.0.0.1:0".parse().unwrap(),
///     ..Config::default()
/// };
/// config.apis.insert("pets".into(), ApiConfig::upstream("mock"));
/// let server = Server::start(contract, config).await.unwrap();
/// let url = format!("http://{}/v2/pets", server.local_addr());
/// // ... send requests ...
/// server.shutdown().await;
/// # }
/// ```
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Checks `config` against `contract`, binds `config.listen` and starts
    /// serving. Must be called within a tokio runtime.
    pub async fn start(contract: &'static Contract, config: Config) -> Result<Server, StartError> {
        let gateway = Gateway::new(contract, &config).await?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|error| StartError::Bind {
                    addr: config.listen,
                    error,
                })?;
        let local_addr = listener.local_addr().map_err(|error| StartError::Bind {
            addr: config.listen,
            error,
        })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(Arc::new(gateway), listener, async move {
            let _ = stopped.await;
        }));
        Ok(Server {
            local_addr,
            stop: Some(stop),
            task,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets in-flight requests finish (at most
    /// [`SHUTDOWN_GRACE`]), then returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A dropped server (a failed test) must not keep its port busy.
        self.task.abort();
    }
}

/// Serves `listener` until `shutdown` completes, then stops accepting and
/// waits up to [`SHUTDOWN_GRACE`] for open connections to finish their
/// in-flight requests.
pub async fn serve(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(gateway.timeouts().request_head())
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);

    // Connections watch this channel to learn about shutdown; once all of
    // them are gone the sender sees it closed.
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(connection(
                        builder.clone(),
                        gateway.clone(),
                        stream,
                        peer,
                        stop_rx.clone(),
                    ));
                }
                Err(error) => {
                    // Usually out of file descriptors: back off instead of
                    // spinning, the listener stays usable.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(true);
    if tokio::time::timeout(SHUTDOWN_GRACE, stop_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over, closing remaining connections");
    }
}

async fn connection(
    builder: Arc<auto::Builder<TokioExecutor>>,
    gateway: Arc<Gateway>,
    stream: TcpStream,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
) {
    // Small requests and answers must not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let connection = Arc::new(Connection::plain(peer.ip()));
    let service = service_fn(move |request| {
        let gateway = gateway.clone();
        let connection = connection.clone();
        async move { Ok::<_, Infallible>(gateway.handle(request, &connection).await) }
    });
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%peer, error = %error, "connection ended with an error");
            }
            return;
        }
        _ = stop.changed() => conn.as_mut().graceful_shutdown(),
    }
    let _ = conn.await;
}

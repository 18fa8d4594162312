//! Accepting connections: one task per TCP connection, HTTP/1.1 with
//! keep-alive or HTTP/2 on the same port (h2c in clear, ALPN `h2` over
//! TLS when `[tls]` is configured), a deadline on the TLS handshake and the
//! request head against slow clients, and graceful shutdown.
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
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::{Config, ConfigError};
use crate::connection::Connection;
use crate::contract::Contract;
use crate::pipeline::Gateway;
use crate::tls::{self, ServerTls};

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
    /// Reloads the TLS files (SIGHUP, modification time); TLS only.
    reloader: Option<JoinHandle<()>>,
}

impl Server {
    /// Checks `config` against `contract`, reads every PEM file it names,
    /// binds `config.listen` and starts serving (over TLS with `[tls]`).
    /// Must be called within a tokio runtime.
    pub async fn start(contract: &'static Contract, config: Config) -> Result<Server, StartError> {
        let gateway = Gateway::new(contract, &config).await?;
        let tls = match &config.tls {
            Some(settings) => Some(Arc::new(ServerTls::load(settings)?)),
            None => None,
        };
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
        let stopped = async move {
            let _ = stopped.await;
        };
        let gateway = Arc::new(gateway);
        let (task, reloader) = match tls {
            Some(tls) => (
                tokio::spawn(serve_tls(gateway, listener, tls.clone(), stopped)),
                Some(tokio::spawn(tls::watch(tls))),
            ),
            None => (tokio::spawn(serve(gateway, listener, stopped)), None),
        };
        Ok(Server {
            local_addr,
            stop: Some(stop),
            task,
            reloader,
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
        if let Some(reloader) = &self.reloader {
            reloader.abort();
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A dropped server (a failed test) must not keep its port busy.
        self.task.abort();
        if let Some(reloader) = &self.reloader {
            reloader.abort();
        }
    }
}

/// Serves `listener` in clear until `shutdown` completes, then stops
/// accepting and waits up to [`SHUTDOWN_GRACE`] for open connections to
/// finish their in-flight requests.
pub async fn serve(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) {
    serve_with(gateway, listener, None, shutdown).await;
}

/// Like [`serve`], over TLS: each handshake uses the config `tls` holds at
/// accept time (see [`tls::watch`] for reloading it).
pub async fn serve_tls(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    tls: Arc<ServerTls>,
    shutdown: impl Future<Output = ()>,
) {
    serve_with(gateway, listener, Some(tls), shutdown).await;
}

async fn serve_with(
    gateway: Arc<Gateway>,
    listener: TcpListener,
    tls: Option<Arc<ServerTls>>,
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
                        tls.clone(),
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
    tls: Option<Arc<ServerTls>>,
    stream: TcpStream,
    peer: SocketAddr,
    stop: watch::Receiver<bool>,
) {
    // Small requests and answers must not wait for Nagle's algorithm.
    let _ = stream.set_nodelay(true);
    let Some(tls) = tls else {
        let connection = Connection::plain(peer.ip());
        return serve_connection(builder, gateway, stream, connection, peer, stop).await;
    };
    // The config current now: a reload during this connection's life does
    // not change the certificate it was served with.
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.config());
    // The head deadline covers the handshake too: a client that stalls
    // before its first request holds a task just the same.
    let handshake = acceptor.accept(stream);
    let stream = match tokio::time::timeout(gateway.timeouts().request_head(), handshake).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => {
            tracing::debug!(%peer, %error, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let (_, session) = stream.get_ref();
    // rustls reports a chain only once its verifier has accepted it.
    let peer_certificate = session
        .peer_certificates()
        .and_then(tls::peer_certificate)
        .map(Arc::new);
    let connection = Connection {
        client: peer.ip(),
        tls: true,
        peer_certificate,
    };
    serve_connection(builder, gateway, stream, connection, peer, stop).await;
}

async fn serve_connection<I>(
    builder: Arc<auto::Builder<TokioExecutor>>,
    gateway: Arc<Gateway>,
    io: I,
    connection: Connection,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection = Arc::new(connection);
    let service = service_fn(move |request| {
        let gateway = gateway.clone();
        let connection = connection.clone();
        async move { Ok::<_, Infallible>(gateway.handle(request, &connection).await) }
    });
    let conn = builder.serve_connection(TokioIo::new(io), service);
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

//! Binding, the accept loop, TLS, connection limits and graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use loki_metrics::fleet::{Fleet, ProjectSource};
use loki_metrics::Collector;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::config::{Limits, ServerConfig};
use crate::connections::{Admit, ConnectionTable};
use crate::routes::{record_history, router, AppState, Peer};
use crate::{tls, ServeError};

/// A bound, not yet running exporter: everything that can fail at start-up
/// (configuration, TLS files, the port) has been checked.
pub struct BoundServer {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    tls: Option<TlsAcceptor>,
    router: Router,
    limits: Limits,
    fleet: Arc<Fleet>,
    state: Arc<AppState>,
    url: String,
    status_page_url: Option<String>,
    /// Whether requests need the bearer token (for the start-up log line).
    token_required: bool,
}

impl std::fmt::Debug for BoundServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundServer").field("url", &self.url).finish_non_exhaustive()
    }
}

/// The kernel's accept queue length we ask for (Linux caps it at
/// `net.core.somaxconn`, 4096 by default). std's `TcpListener::bind` asks for
/// 128, which a burst of connections overflows; an overflowed queue drops
/// SYNs, and a scraper caught in that waits for SYN retransmits (1 s, 3 s,
/// 7 s). Go's net package asks for somaxconn for the same reason.
const LISTEN_BACKLOG: i32 = 4096;

/// Binds `addr` like `std::net::TcpListener::bind` (SO_REUSEADDR), with a
/// longer accept queue.
fn listen(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(socket.into())
}

fn metrics_url(addr: SocketAddr, tls: bool, path: &str) -> String {
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{addr}{path}")
}

impl BoundServer {
    /// Validates `config`, loads TLS files and binds the port. Needs no runtime.
    pub fn bind(config: &ServerConfig) -> Result<Self, ServeError> {
        config.validate()?;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(TlsAcceptor::from(Arc::new(tls::server_config(cert, key)?))),
            _ => None,
        };
        let wanted = if config.host.contains(':') && !config.host.starts_with('[') {
            format!("[{}]:{}", config.host, config.port)
        } else {
            format!("{}:{}", config.host, config.port)
        };
        let bind_error = |source| ServeError::Bind { addr: wanted.clone(), source };
        let mut last_error = None;
        let mut bound = None;
        for addr in wanted.to_socket_addrs().map_err(bind_error)? {
            match listen(addr) {
                Ok(listener) => {
                    bound = Some(listener);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let listener = match bound {
            Some(listener) => listener,
            None => {
                return Err(bind_error(last_error.unwrap_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "the host resolves to no address")
                })))
            }
        };
        listener.set_nonblocking(true).map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let fleet = Arc::new(if config.projects.is_empty() {
            Fleet::single(config.options.clone(), config.cache_ttl)
        } else {
            Fleet::new(config.projects.clone(), config.options.clone(), config.cache_ttl)
                .track_changes(config.full_check)
        });
        let state =
            Arc::new(AppState::new(Arc::clone(&fleet), config.token.as_deref(), &config.path, config.history_step));
        Ok(BoundServer {
            listener,
            addr,
            url: metrics_url(addr, tls.is_some(), &config.path),
            status_page_url: (config.path != crate::STATUS_PAGE_PATH)
                .then(|| metrics_url(addr, tls.is_some(), crate::STATUS_PAGE_PATH)),
            router: router(Arc::clone(&state), &config.path, &config.limits),
            state,
            tls,
            limits: config.limits.clone(),
            fleet,
            token_required: config.token.is_some(),
        })
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The full URL of the metrics endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The collector the server answers from, when it serves one directory
    /// (no [`ServerConfig::projects`]).
    pub fn collector(&self) -> Option<&Arc<Collector>> {
        self.fleet.single_collector()
    }

    /// The project (or projects) the server answers from.
    pub fn fleet(&self) -> &Arc<Fleet> {
        &self.fleet
    }

    /// The status page's URL; `None` when the metrics path is `/` itself.
    pub fn status_page_url(&self) -> Option<String> {
        self.status_page_url.clone()
    }

    /// Serves on a new runtime of `worker_threads` until SIGINT or SIGTERM,
    /// logging where it listens. Binding first and running after lets a
    /// front end report the bound address (or the bind error) before serving.
    pub fn run_until_signal(self, worker_threads: usize) -> Result<(), ServeError> {
        let rt = runtime(worker_threads)?;
        self.log_listening();
        rt.block_on(self.run(shutdown_signal()))
    }

    fn log_listening(&self) {
        let reading = match self.fleet.single_collector() {
            Some(collector) => collector.options().loki_dir.display().to_string(),
            None => format!("the projects of {}", describe_sources(self.fleet.sources())),
        };
        tracing::info!(
            "loki-metrics exporter listening on {}{} (reading {}, cache {:?}{})",
            self.url,
            self.status_page_url.as_deref().map_or_else(String::new, |page| format!(", status page {page}")),
            reading,
            self.fleet.cache_ttl(),
            if self.token_required { ", bearer token required" } else { "" }
        );
    }

    /// Serves until `shutdown` completes, then stops accepting, lets
    /// in-flight requests finish (up to the shutdown timeout) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
        let BoundServer { listener, tls, router, limits, state, fleet, .. } = self;
        let history = tokio::spawn(record_history(state));
        // Kept for as long as the server runs; dropping it stops the thread.
        let _watcher = match fleet.single_collector() {
            None => crate::watcher::start(Arc::clone(&fleet), fleet.cache_ttl().max(Duration::from_secs(1))),
            Some(_) => None,
        };
        let listener =
            TcpListener::from_std(listener).map_err(|e| ServeError::Bind { addr: self.addr.to_string(), source: e })?;
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.max_header_bytes.max(8192))
            .max_headers(limits.max_headers.max(1))
            .keep_alive(true);
        let connections = ConnectionTable::new(limits.max_connections);
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);

        loop {
            let (stream, peer) = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, don't spin.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let mut made_room = false;
            let admission = loop {
                match connections.admit() {
                    Admit::In(admission) => break Some(admission),
                    Admit::Refused => break None,
                    Admit::Wait => {
                        made_room = true;
                        tokio::select! {
                            () = &mut shutdown => break None,
                            () = connections.left() => {}
                        }
                    }
                }
            };
            let Some(admission) = admission else {
                tracing::debug!(%peer, "every open connection is answering a request: closing the new one");
                continue;
            };
            let admission = Arc::new(admission);
            let _ = stream.set_nodelay(true);
            let router = router.clone();
            let requests = Arc::clone(&admission);
            let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(Peer(peer));
                let router = router.clone();
                let answering = requests.answering();
                async move {
                    let response = router.oneshot(request).await.unwrap_or_else(|e| match e {});
                    Ok::<_, Infallible>(response.map(|body| answering.hold_until_sent(body)))
                }
            });
            let http = http.clone();
            let watcher = graceful.watcher();
            let handshake = tls.clone().map(|acceptor| (acceptor, limits.header_read_timeout));
            tokio::spawn(async move {
                let serve = async move {
                    match handshake {
                        None => {
                            let connection = http.serve_connection(TokioIo::new(stream), service);
                            if let Err(e) = watcher.watch(connection).await {
                                tracing::trace!(%peer, error = %e, "connection ended with an error");
                            }
                        }
                        Some((acceptor, limit)) => {
                            let stream = match tokio::time::timeout(limit, acceptor.accept(stream)).await {
                                Ok(Ok(stream)) => stream,
                                Ok(Err(e)) => {
                                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                    return;
                                }
                                Err(_) => {
                                    tracing::debug!(%peer, "TLS handshake timed out");
                                    return;
                                }
                            };
                            let connection = http.serve_connection(TokioIo::new(stream), service);
                            if let Err(e) = watcher.watch(connection).await {
                                tracing::trace!(%peer, error = %e, "connection ended with an error");
                            }
                        }
                    }
                };
                tokio::select! {
                    () = serve => {}
                    () = admission.closed_to_make_room() => {
                        tracing::debug!(%peer, "closed while waiting for a request, to admit a new connection");
                    }
                }
            });
            if made_room {
                // At the limit, pace admissions by the connections' progress:
                // let every runnable connection task (the one just spawned,
                // the one just closed) run before admitting another, so a
                // flood in the accept queue cannot push out a new connection
                // before its task has read the request it already sent.
                tokio::task::yield_now().await;
            }
        }
        drop(listener);
        history.abort();
        tracing::info!("shutting down: letting in-flight requests finish");
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(limits.shutdown_timeout) => {
                tracing::warn!("some connections were still open after {:?}; closing", limits.shutdown_timeout);
            }
        }
        Ok(())
    }
}

/// The sources of a fleet for a log line: `--loki-dir A, registry R, glob G`.
fn describe_sources(sources: &[ProjectSource]) -> String {
    let parts: Vec<String> = sources
        .iter()
        .map(|s| match s {
            ProjectSource::Dir(dir) => dir.display().to_string(),
            ProjectSource::Registry(path) => format!("registry {}", path.display()),
            ProjectSource::Glob(pattern) => format!("glob {pattern}"),
        })
        .collect();
    parts.join(", ")
}

/// Binds and serves `config` on the current tokio runtime until `shutdown`
/// completes, logging where it listens.
pub async fn serve(config: ServerConfig, shutdown: impl Future<Output = ()>) -> Result<(), ServeError> {
    let bound = BoundServer::bind(&config)?;
    bound.log_listening();
    bound.run(shutdown).await
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}

fn runtime(worker_threads: usize) -> Result<tokio::runtime::Runtime, ServeError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .max_blocking_threads(8)
        .thread_name("loki-metrics-http")
        .enable_all()
        .build()
        .map_err(|e| ServeError::Runtime(e.to_string()))
}

/// Serves `config` on a new runtime until SIGINT or SIGTERM (the CLI's `serve`).
pub fn serve_until_signal(config: ServerConfig) -> Result<(), ServeError> {
    BoundServer::bind(&config)?.run_until_signal(config.worker_threads)
}

/// Starts exporters in the background: the embedding API for the bindings.
#[derive(Debug)]
pub struct Server;

impl Server {
    /// Binds `config` and serves it on its own runtime thread(s). Returns once
    /// the port is bound, so the server is reachable when this returns.
    pub fn start(config: ServerConfig) -> Result<RunningServer, ServeError> {
        let bound = BoundServer::bind(&config)?;
        let rt = runtime(config.worker_threads)?;
        bound.log_listening();
        let addr = bound.local_addr();
        let url = bound.url().to_owned();
        let collector = bound.collector().map(Arc::clone);
        let fleet = Arc::clone(bound.fleet());
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("loki-metrics-server".to_owned())
            .spawn(move || {
                let result = rt.block_on(bound.run(async {
                    // A dropped sender (the handle dropped) also stops the server.
                    let _ = stopped.await;
                }));
                rt.shutdown_timeout(Duration::from_secs(1));
                result
            })
            .map_err(|e| ServeError::Runtime(e.to_string()))?;
        Ok(RunningServer { addr, url, collector, fleet, stop: Some(stop), thread: Some(thread) })
    }
}

/// A server started by [`Server::start`]. Dropping it shuts it down too.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    url: String,
    collector: Option<Arc<Collector>>,
    fleet: Arc<Fleet>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServeError>>>,
}

impl RunningServer {
    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The metrics endpoint's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The collector the server answers from, when it serves one directory
    /// (no [`ServerConfig::projects`]).
    pub fn collector(&self) -> Option<&Arc<Collector>> {
        self.collector.as_ref()
    }

    /// The project (or projects) the server answers from.
    pub fn fleet(&self) -> &Arc<Fleet> {
        &self.fleet
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the
    /// server thread to end.
    pub fn shutdown(mut self) -> Result<(), ServeError> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| ServeError::Runtime("the server thread panicked".to_owned()))?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

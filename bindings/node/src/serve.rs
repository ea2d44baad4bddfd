//! `serve(opts)`: the core exporter on its own runtime thread, as a `Server`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use loki_metrics_server::{RunningServer, ServerConfig};
use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;
use std::result::Result;

use crate::collector::{ttl_arg, Collector};
use crate::error::{js_number, NodeError, ERR_LOKI_SERVE};
use crate::options::{core_options, object_arg, CollectOptions, Now};
use crate::remote_write::{check_serve_names, serve_remote_write, RemoteWriteOptions, RemoteWriteStats};
use crate::task::{Offload, Work};
use loki_metrics_remote_write::{PeriodicPush, RemoteWriteStats as CoreStats};

/// Options of `serve(opts)`.
#[napi(object, object_to_js = false)]
#[derive(Debug, Default)]
pub struct ServeOptions {
    /// The `.loki` directory (default: env `LOKI_DIR`, else `./.loki`).
    pub loki_dir: Option<String>,
    /// `lokiDir`, as it was first named.
    pub dir: Option<String>,
    /// Address to bind (default `127.0.0.1`).
    pub host: Option<String>,
    /// Port to bind (default 57374); 0 picks a free port (see `Server.port`).
    pub port: Option<f64>,
    /// The metrics path (default `/metrics`).
    pub path: Option<String>,
    /// Require `Authorization: Bearer <token>` on every request.
    pub token: Option<String>,
    /// PEM certificate chain; with `tlsKey`, serve HTTPS.
    pub tls_cert: Option<String>,
    /// PEM private key for `tlsCert`.
    pub tls_key: Option<String>,
    /// How long a collection is served from cache, in milliseconds (default 2000; 0 disables).
    pub cache_ttl_ms: Option<f64>,
    /// As in `collect`.
    pub max_iterations: Option<f64>,
    /// As in `collect`.
    #[napi(ts_type = "Date | number | string")]
    pub now: Option<Now>,
    /// As in `collect`.
    pub json_size_cap: Option<f64>,
    /// Also serve `loki_source_error`, `loki_scrape_duration_seconds`, `loki_exporter_build_info`.
    pub exporter_metrics: Option<bool>,
    /// As in `collect`.
    pub stale_after_ms: Option<f64>,
    /// Also send the metrics to a Prometheus remote-write receiver every
    /// `intervalMs`: its URL (every default), or its options. `close()` sends
    /// one last collection and stops it; `Server.remoteWriteStats` counts.
    #[napi(ts_type = "string | RemoteWriteOptions")]
    pub remote_write: Option<Either<String, RemoteWriteOptions>>,
}

impl crate::options::OptionKeys for ServeOptions {
    const KEYS: &'static [&'static str] = &[
        "lokiDir",
        "dir",
        "host",
        "port",
        "path",
        "token",
        "tlsCert",
        "tlsKey",
        "cacheTtlMs",
        "maxIterations",
        "now",
        "jsonSizeCap",
        "exporterMetrics",
        "staleAfterMs",
        "remoteWrite",
    ];
}

fn serve_config(mut opts: ServeOptions) -> Result<StartWork, NodeError> {
    let remote_write = opts.remote_write.take();
    let collect = CollectOptions {
        max_iterations: opts.max_iterations,
        now: opts.now.clone(),
        json_size_cap: opts.json_size_cap,
        exporter_metrics: opts.exporter_metrics,
        stale_after_ms: opts.stale_after_ms,
    };
    let dir = crate::options::dir_option(opts.dir, opts.loki_dir)?;
    let mut config = ServerConfig::new(core_options(dir, &collect)?);
    if let Some(host) = opts.host {
        config.host = host;
    }
    if let Some(port) = opts.port {
        // A number, not a u32: napi would read NaN as 0 (a random port) and 80.5 as 80.
        if port.fract() != 0.0 || !(0.0..=65535.0).contains(&port) {
            return Err(NodeError::arg_value(
                "port",
                format!("must be an integer 0-65535. Received {}", js_number(port)),
            ));
        }
        // The check above makes the cast exact.
        config.port = port as u16;
    }
    if let Some(path) = opts.path {
        config.path = path;
    }
    config.token = opts.token;
    config.tls_cert = opts.tls_cert.map(PathBuf::from);
    config.tls_key = opts.tls_key.map(PathBuf::from);
    config.cache_ttl = ttl_arg(opts.cache_ttl_ms)?;
    config.validate()?;
    Ok(StartWork(config, remote_write))
}

/// A running exporter (`GET /metrics`, `GET /health`) on its own threads.
///
/// It does not keep the Node process alive by itself; `close()` stops it
/// gracefully (in-flight requests finish).
#[napi]
pub struct Server {
    url: String,
    host: String,
    port: u32,
    collector: Arc<loki_metrics::Collector>,
    running: Arc<Mutex<Option<RunningServer>>>,
    push: Arc<Mutex<PushState>>,
}

/// The remote write beside a server.
pub enum PushState {
    Off,
    Running(PeriodicPush),
    Stopped(CoreStats),
}

#[napi]
impl Server {
    /// The metrics endpoint, e.g. `http://127.0.0.1:57374/metrics`.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The bound port (the real one when 0 was asked for).
    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.port
    }

    /// The bound address.
    #[napi(getter)]
    pub fn host(&self) -> String {
        self.host.clone()
    }

    /// Whether `close()` has been called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.running.lock().map(|r| r.is_none()).unwrap_or(true)
    }

    /// The collector the server answers from (shares its cache).
    #[napi(getter)]
    pub fn collector(&self) -> Collector {
        Collector::from_core(Arc::clone(&self.collector))
    }

    /// The remote-write counters (`null` without `remoteWrite`): live while
    /// the server runs, final after `close()`.
    #[napi(getter, ts_return_type = "RemoteWriteStats | null")]
    pub fn remote_write_stats(&self) -> Option<RemoteWriteStats> {
        let state = self.push.lock().unwrap_or_else(|e| e.into_inner());
        match &*state {
            PushState::Off => None,
            PushState::Running(push) => Some(push.stats().into()),
            PushState::Stopped(stats) => Some(stats.clone().into()),
        }
    }

    /// Stops accepting, lets in-flight requests finish; with `remoteWrite`,
    /// then sends one last collection (within its `requestTimeoutMs`) and
    /// stops it; then resolves. Closing a closed server resolves at once.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Offload<CloseWork>> {
        let server = self.running.lock().map(|mut r| r.take()).unwrap_or(None);
        Offload::new(Ok(CloseWork(server, Arc::clone(&self.push))))
    }
}

pub struct CloseWork(Option<RunningServer>, Arc<Mutex<PushState>>);

impl Work for CloseWork {
    type Output = ();
    type Js = ();
    fn run(self) -> Result<(), NodeError> {
        let stopped = self.0.map(RunningServer::shutdown);
        let push = {
            let mut state = self.1.lock().unwrap_or_else(|e| e.into_inner());
            match std::mem::replace(&mut *state, PushState::Off) {
                PushState::Running(push) => Some(push),
                other => {
                    *state = other;
                    None
                }
            }
        };
        if let Some(push) = push {
            let stats = push.stop();
            *self.1.lock().unwrap_or_else(|e| e.into_inner()) = PushState::Stopped(stats);
        }
        stopped.transpose()?;
        Ok(())
    }
    fn into_js(_env: &Env, _output: ()) -> Result<(), NodeError> {
        Ok(())
    }
}

pub struct StartWork(ServerConfig, Option<Either<String, RemoteWriteOptions>>);

impl Work for StartWork {
    type Output = (RunningServer, PushState);
    type Js = Server;
    fn run(self) -> Result<(RunningServer, PushState), NodeError> {
        let remote_write = self.1.map(serve_remote_write).transpose()?;
        let running = loki_metrics_server::Server::start(self.0)?;
        let push = match remote_write {
            None => PushState::Off,
            Some((config, interval)) => match PeriodicPush::start(Arc::clone(running.fleet()), config, interval) {
                Ok(push) => PushState::Running(push),
                Err(e) => {
                    // Nothing may keep running behind the rejection.
                    let _ = running.shutdown();
                    return Err(NodeError::new(ERR_LOKI_SERVE, e.to_string()));
                }
            },
        };
        Ok((running, push))
    }
    fn into_js(_env: &Env, (running, push): (RunningServer, PushState)) -> Result<Server, NodeError> {
        let addr = running.local_addr();
        Ok(Server {
            url: running.url().to_owned(),
            host: addr.ip().to_string(),
            port: u32::from(addr.port()),
            collector: Arc::clone(
                running
                    .collector()
                    .ok_or_else(|| NodeError::new(ERR_LOKI_SERVE, "the server serves no single directory"))?,
            ),
            running: Arc::new(Mutex::new(Some(running))),
            push: Arc::new(Mutex::new(push)),
        })
    }
}

/// Starts the exporter in the background; resolves once the port is bound.
#[napi(ts_args_type = "opts?: ServeOptions | null", ts_return_type = "Promise<Server>")]
pub fn serve(opts: Option<Unknown>) -> AsyncTask<Offload<StartWork>> {
    let work = object_arg::<ServeOptions>("opts", opts)
        .and_then(|o| check_serve_names(opts).map(|()| o))
        .and_then(serve_config);
    Offload::new(work)
}

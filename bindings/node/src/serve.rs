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
use crate::task::{Offload, Work};

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
    ];
}

fn serve_config(opts: ServeOptions) -> Result<ServerConfig, NodeError> {
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
    Ok(config)
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

    /// Stops accepting, lets in-flight requests finish, then resolves. Closing
    /// a closed server resolves at once.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Offload<CloseWork>> {
        let server = self.running.lock().map(|mut r| r.take()).unwrap_or(None);
        Offload::new(Ok(CloseWork(server)))
    }
}

pub struct CloseWork(Option<RunningServer>);

impl Work for CloseWork {
    type Output = ();
    type Js = ();
    fn run(self) -> Result<(), NodeError> {
        match self.0 {
            Some(server) => Ok(server.shutdown()?),
            None => Ok(()),
        }
    }
    fn into_js(_env: &Env, _output: ()) -> Result<(), NodeError> {
        Ok(())
    }
}

pub struct StartWork(ServerConfig);

impl Work for StartWork {
    type Output = RunningServer;
    type Js = Server;
    fn run(self) -> Result<RunningServer, NodeError> {
        Ok(loki_metrics_server::Server::start(self.0)?)
    }
    fn into_js(_env: &Env, running: RunningServer) -> Result<Server, NodeError> {
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
        })
    }
}

/// Starts the exporter in the background; resolves once the port is bound.
#[napi(ts_args_type = "opts?: ServeOptions | null", ts_return_type = "Promise<Server>")]
pub fn serve(opts: Option<Unknown>) -> AsyncTask<Offload<StartWork>> {
    Offload::new(object_arg::<ServeOptions>("opts", opts).and_then(serve_config).map(StartWork))
}

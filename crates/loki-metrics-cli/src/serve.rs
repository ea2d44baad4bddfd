//! `loki-metrics serve` (and the `demo` that serves a simulated session).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use loki_metrics::Options;
use loki_metrics_server::{BoundServer, Limits, ServerConfig};

use crate::render::{FleetArgs, SourceArgs};

/// Where and how the exporter listens (shared by `serve` and `demo`).
#[derive(Args)]
pub struct ListenArgs {
    /// Address to bind. The default is loopback only; use 0.0.0.0 to open it.
    #[arg(long, env = "LOKI_METRICS_HOST", default_value = loki_metrics_server::DEFAULT_HOST)]
    host: String,
    /// Port to bind (0 picks a free one).
    #[arg(long, env = "LOKI_METRICS_PORT", default_value_t = loki_metrics_server::DEFAULT_PORT)]
    port: u16,
    /// Path of the metrics endpoint.
    #[arg(long, env = "LOKI_METRICS_PATH", default_value = loki_metrics_server::DEFAULT_PATH)]
    path: String,
    /// Require `Authorization: Bearer <token>`, the token being this file's
    /// first line. LOKI_METRICS_TOKEN gives the token directly.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Seconds a collection is served from cache (0 disables the cache).
    #[arg(long, env = "LOKI_METRICS_CACHE_TTL", value_name = "SECONDS", default_value_t = 2.0)]
    cache_ttl: f64,
    /// Most connections open at once.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_connections)]
    max_connections: usize,
    /// Seconds a client has to send its request headers.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    header_read_timeout: f64,
    /// Largest request head in bytes (more gets 431; at least 8192).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_header_bytes)]
    max_header_bytes: usize,
    /// Seconds between two points of the status page's history (GET / and
    /// GET /api/v1/status), which keeps the last 360 points: one hour at the
    /// default 10.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    history_step: f64,
    /// Log filter: error, warn, info, debug (access logs), trace, or a
    /// tracing-subscriber directive.
    #[arg(long, env = "LOKI_METRICS_LOG", default_value = "info")]
    log_level: String,
}

fn seconds(name: &str, value: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value).map_err(|_| format!("--{name} must be a non-negative number of seconds"))
}

impl ListenArgs {
    /// The server configuration for `options`.
    pub fn config(&self, options: Options) -> Result<ServerConfig, String> {
        let mut config = ServerConfig::new(options);
        config.host = self.host.clone();
        config.port = self.port;
        config.path = self.path.clone();
        config.tls_cert = self.tls_cert.clone();
        config.tls_key = self.tls_key.clone();
        config.cache_ttl = seconds("cache-ttl", self.cache_ttl)?;
        config.limits.max_connections = self.max_connections;
        config.limits.header_read_timeout = seconds("header-read-timeout", self.header_read_timeout)?;
        config.limits.max_header_bytes = self.max_header_bytes;
        config.history_step = seconds("history-step", self.history_step)?;
        config.token = match &self.token_file {
            Some(file) => Some(loki_metrics_server::read_token_file(file).map_err(|e| e.to_string())?),
            None => std::env::var("LOKI_METRICS_TOKEN").ok().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
        };
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }

    /// Installs the stderr log subscriber at `--log-level`.
    pub fn init_logging(&self) {
        let filter = tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init();
    }
}

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    fleet: FleetArgs,
    /// With several projects: seconds an unchanged project (no filesystem
    /// notification under it) keeps its last snapshot before it is read
    /// anyway, which also brings its uptime and liveness up to date (a run
    /// that ended without a write shows as stopped within it).
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    full_check: f64,
    #[command(flatten)]
    listen: ListenArgs,
    #[command(flatten)]
    remote_write: crate::push::ServeRemoteWriteArgs,
}

pub fn run(args: ServeArgs) -> ExitCode {
    args.listen.init_logging();
    let config = match args
        .source
        .options(None)
        .map_err(|e| e.message_for(loki_metrics::NameStyle::Flag))
        .and_then(|o| args.listen.config(o))
        .and_then(|mut config| {
            config.projects = args.fleet.sources(&args.source)?;
            config.full_check = seconds("full-check", args.full_check)?;
            Ok(config)
        }) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let bound = match bind(&config) {
        Ok(bound) => bound,
        Err(code) => return code,
    };
    let push = match args.remote_write.start(bound.fleet()) {
        Ok(push) => push,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let code = serve(bound, config.worker_threads);
    if let Some(push) = push {
        let stats = push.stop();
        tracing::info!(
            sent = stats.samples_sent,
            failed = stats.samples_failed,
            dropped = stats.samples_dropped,
            "remote write stopped"
        );
    }
    code
}

/// Binds the port (and loads the TLS files): a failure is one line and exit 1,
/// before anything says where the exporter listens.
pub fn bind(config: &ServerConfig) -> Result<BoundServer, ExitCode> {
    BoundServer::bind(config).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::FAILURE
    })
}

/// Serves `bound` until SIGINT/SIGTERM; a failure is one line and exit 1.
pub fn serve(bound: BoundServer, worker_threads: usize) -> ExitCode {
    match bound.run_until_signal(worker_threads) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

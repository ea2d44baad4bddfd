//! What the exporter serves, where, and within which limits.

use std::path::PathBuf;
use std::time::Duration;

use loki_metrics::{OptionInputs, Options};

use crate::ServeError;

/// Default port (`LOKI_METRICS_PORT`).
pub const DEFAULT_PORT: u16 = 57374;
/// Default bind address (`LOKI_METRICS_HOST`): loopback unless the operator opens it.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// Default metrics path (`LOKI_METRICS_PATH`).
pub const DEFAULT_PATH: &str = "/metrics";
/// The health endpoint's path.
pub const HEALTH_PATH: &str = "/health";
/// The status page's JSON (`GET`): every project's [`loki_metrics::view::SessionView`].
pub const STATUS_API_PATH: &str = "/api/v1/status";
/// Prometheus HTTP service discovery of the projects served (`GET`): one
/// target per project, for the multi-target pattern (`/metrics?project=`).
pub const TARGETS_API_PATH: &str = "/api/v1/targets";
/// The status page (`GET`), unless the metrics path is `/` itself.
pub const STATUS_PAGE_PATH: &str = "/";
/// The default [`ServerConfig::full_check`].
///
/// Each project is read once per full check even when nothing changed, so a
/// collection reads about `projects × cache TTL / full check` unchanged
/// projects (33 of 1,000 at 2 s and 60 s); a process that ended without a
/// write shows as stopped, and an idle run's uptime moves, within it.
pub const DEFAULT_FULL_CHECK: Duration = Duration::from_secs(60);
/// The shortest history step (tests and demos speed it up).
pub const MIN_HISTORY_STEP: Duration = Duration::from_millis(50);
/// The longest history step: the history then spans 15 days.
pub const MAX_HISTORY_STEP: Duration = Duration::from_secs(3600);

/// Bounds on what one client can make the exporter hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request head (request line + headers) in bytes; more gets 431.
    /// Values below 8192 (HTTP/1's minimum buffer) are raised to it.
    pub max_header_bytes: usize,
    /// Most header fields in one request; more gets 431.
    pub max_headers: usize,
    /// A client must send its complete request head within this time
    /// (TLS handshake included), or the connection is closed.
    pub header_read_timeout: Duration,
    /// Longest a request may take to answer (503 after).
    pub request_timeout: Duration,
    /// Most connections open at once. The server keeps accepting: at the
    /// limit, a new connection closes the one waiting longest for a request
    /// (idle, half-sent or between keep-alive requests), or is itself closed
    /// if every open connection is answering a request.
    pub max_connections: usize,
    /// How long graceful shutdown lets in-flight requests finish.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// Everything [`crate::Server::start`] and [`crate::serve`] need.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind (a name, IPv4 or IPv6 literal).
    pub host: String,
    /// Port to bind; 0 picks a free port (see [`crate::RunningServer::local_addr`]).
    pub port: u16,
    /// The metrics path, e.g. `/metrics`.
    pub path: String,
    /// Bearer token required on every request, if set. Never logged.
    pub token: Option<String>,
    /// PEM certificate chain; with `tls_key`, serve HTTPS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// How long a collection is served from cache (`Duration::ZERO` disables).
    pub cache_ttl: Duration,
    /// Resource limits.
    pub limits: Limits,
    /// What to read: with no `projects`, the directory `options.loki_dir`
    /// (served without a `project` label); else each project's directory
    /// with these options.
    pub options: Options,
    /// Several projects in one exporter (see [`loki_metrics::fleet`]); empty
    /// for the one directory of `options`.
    pub projects: Vec<loki_metrics::fleet::ProjectSource>,
    /// With `projects`: how long an unchanged project (filesystem
    /// notifications say nothing happened under it) keeps its last snapshot
    /// before it is read anyway.
    pub full_check: Duration,
    /// Worker threads of the runtime [`crate::Server::start`] creates.
    pub worker_threads: usize,
    /// Time between two points of the status page's history, which keeps
    /// [`loki_metrics::view::HISTORY_CAPACITY`] points (one hour at the default 10 s).
    pub history_step: Duration,
}

impl ServerConfig {
    /// Defaults (127.0.0.1:57374/metrics, 2 s cache, no token, no TLS) for `options`.
    pub fn new(options: Options) -> Self {
        ServerConfig {
            host: DEFAULT_HOST.to_owned(),
            port: DEFAULT_PORT,
            path: DEFAULT_PATH.to_owned(),
            token: None,
            tls_cert: None,
            tls_key: None,
            cache_ttl: loki_metrics::DEFAULT_CACHE_TTL,
            limits: Limits::default(),
            options,
            projects: Vec::new(),
            full_check: DEFAULT_FULL_CHECK,
            worker_threads: 2,
            history_step: loki_metrics::view::DEFAULT_HISTORY_STEP,
        }
    }

    /// Defaults overridden by `LOKI_METRICS_HOST`, `LOKI_METRICS_PORT`,
    /// `LOKI_METRICS_PATH` and `LOKI_METRICS_TOKEN`, the collection options
    /// being what [`OptionInputs::resolve`] makes of no inputs (`LOKI_DIR`,
    /// `LOKI_METRICS_EXPORTER_METRICS`, `LOKI_METRICS_STALE_AFTER`, ...).
    pub fn from_env() -> Result<Self, ServeError> {
        let options = OptionInputs::default().resolve().map_err(|e| ServeError::Config(e.to_string()))?;
        let mut config = ServerConfig::new(options);
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(host) = var("LOKI_METRICS_HOST") {
            config.host = host.trim().to_owned();
        }
        if let Some(port) = var("LOKI_METRICS_PORT") {
            config.port = port.trim().parse().map_err(|_| {
                ServeError::Config(format!("LOKI_METRICS_PORT={port:?} is not a port number (0-65535)"))
            })?;
        }
        if let Some(path) = var("LOKI_METRICS_PATH") {
            config.path = path.trim().to_owned();
        }
        config.token = var("LOKI_METRICS_TOKEN").map(|t| t.trim().to_owned());
        Ok(config)
    }

    /// Whether the server will speak TLS.
    pub fn tls_enabled(&self) -> bool {
        self.tls_cert.is_some() || self.tls_key.is_some()
    }

    /// Checks the values that can be checked without touching the network.
    pub fn validate(&self) -> Result<(), ServeError> {
        if self.host.is_empty() {
            return Err(ServeError::Config(
                "the host is empty: give a name or an address (0.0.0.0 or :: for every interface)".to_owned(),
            ));
        }
        if self.host.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ServeError::Config(format!(
                "the host {:?} must be a name or an address, without spaces or control characters",
                self.host
            )));
        }
        if !self.path.starts_with('/')
            || self.path.contains(['?', '#', ' ', '{', '}', '*', ':', '\\'])
            || self.path.contains("//")
            || self.path.chars().any(char::is_control)
        {
            return Err(ServeError::Config(format!(
                "the metrics path {:?} must start with '/' and use only plain path characters",
                self.path
            )));
        }
        if [HEALTH_PATH, STATUS_API_PATH, TARGETS_API_PATH].contains(&self.path.as_str()) {
            return Err(ServeError::Config(format!(
                "the metrics path cannot be {HEALTH_PATH} (the health check), {STATUS_API_PATH} or {TARGETS_API_PATH}, which the exporter serves itself"
            )));
        }
        if !(MIN_HISTORY_STEP..=MAX_HISTORY_STEP).contains(&self.history_step) {
            return Err(ServeError::Config(format!(
                "the history step must be between {MIN_HISTORY_STEP:?} and {MAX_HISTORY_STEP:?}, not {:?}",
                self.history_step
            )));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err(ServeError::Config(
                "TLS needs both a certificate (--tls-cert) and a key (--tls-key)".to_owned(),
            ));
        }
        if let Some(token) = &self.token {
            if token.is_empty() || token.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
                return Err(ServeError::Config(
                    "the token must be non-empty printable ASCII without spaces".to_owned(),
                ));
            }
        }
        if self.limits.max_connections == 0 {
            return Err(ServeError::Config("max_connections must be at least 1".to_owned()));
        }
        Ok(())
    }
}

/// Reads a bearer token from a file: its first line, trimmed.
pub fn read_token_file(path: &std::path::Path) -> Result<String, ServeError> {
    let text = read_regular_file(path, MAX_TOKEN_FILE_BYTES)
        .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned()))
        .map_err(|e| ServeError::Config(format!("cannot read token file {}: {e}", path.display())))?;
    let token = text.lines().next().unwrap_or("").trim().to_owned();
    if token.is_empty() {
        return Err(ServeError::Config(format!("token file {} is empty", path.display())));
    }
    Ok(token)
}

/// Largest token file read (a token is a line of text; the hostile-clients
/// timing test uses a 128 KiB one).
const MAX_TOKEN_FILE_BYTES: u64 = 1024 * 1024;

/// Reads a small file given on the command line or in a config (a token, a
/// certificate) only if it is a regular file of at most `max` bytes. It is
/// opened non-blocking, so a FIFO in its place cannot hang the caller.
pub(crate) fn read_regular_file(path: &std::path::Path, max: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file =
        std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".to_owned());
    }
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max {
        return Err(format!("larger than {max} bytes"));
    }
    Ok(bytes)
}

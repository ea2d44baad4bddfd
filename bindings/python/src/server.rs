//! `serve`: the Rust exporter running on a background thread of its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use loki_metrics::env_flag;
use loki_metrics_remote_write::{PeriodicPush, RemoteWriteConfig, RemoteWriteStats};
use loki_metrics_server::{RunningServer, ServeError, Server as CoreServer, ServerConfig};
use pyo3::prelude::*;

use crate::args::{int_like, path_arg, seconds_arg, str_arg, OptionArgs};
use crate::collector::PyCollector;
use crate::errors::{detach, wrong_type, ExceptionClass, ARGUMENT_ERROR, LOKI_METRICS_ERROR};
use crate::remote_write::{setup_error, RemoteWrite, RemoteWriteStats as PyRemoteWriteStats};

static SERVE_ERROR: ExceptionClass = ExceptionClass::new("ServeError");

/// Starts the exporter (GET /metrics, GET /health) on a background thread
/// and returns the Server once it listens; close() or a with block stops it.
///
/// A port in use raises ServeError (an OSError with errno set).
///
/// host: the address to listen on.
/// port: the port; 0 picks a free one (see Server.port and Server.url).
/// path: the metrics endpoint's path.
/// cache_ttl: seconds (a float >= 0 or a timedelta) a collection is served
///     from cache; 0 collects on every scrape.
/// token: when given, requests need "Authorization: Bearer <token>".
/// tls_cert, tls_key: PEM files; both given serve HTTPS.
/// loki_dir: the .loki directory, a str or os.PathLike. None means the
///     environment variable LOKI_DIR if set and non-empty, else ./.loki.
/// max_iterations: the run's configured maximum iteration, reported as
///     loki_iteration_max; an int >= 1. None means LOKI_MAX_ITERATIONS,
///     read at each collection (an invalid value there is a warning and
///     1000), else 1000.
/// now: the clock for loki_uptime_seconds and the state's age: a datetime
///     (naive means UTC), epoch seconds (int or float) or an RFC 3339 str.
///     None means the system clock.
/// json_size_cap: the largest JSON source read, in bytes, an int >= 1;
///     larger sources are skipped with a warning. None means 64 MiB.
/// exporter_metrics: True adds the exporter families (collection time,
///     version). None means LOKI_METRICS_EXPORTER_METRICS (true, 1 or yes
///     in any case).
/// stale_after: how old dashboard-state.json may be, in seconds (a float
///     >= 0 or a timedelta), and still show the session as running when no
///     liveness file (loki.pid, session.json) exists. None means
///     LOKI_METRICS_STALE_AFTER, else 60.
/// remote_write: also send the metrics to a Prometheus remote-write
///     receiver every interval: a RemoteWrite, or its URL with every
///     default. close() sends one last collection (within its
///     request_timeout) and stops it; Server.remote_write_stats counts.
#[pyfunction]
#[pyo3(signature = (
    loki_dir=None, *, host=None, port=None, path=None, cache_ttl=None, token=None,
    tls_cert=None, tls_key=None, max_iterations=None, now=None, json_size_cap=None, exporter_metrics=None,
    stale_after=None, remote_write=None
), text_signature = "(loki_dir=None, *, host='127.0.0.1', port=57374, path='/metrics', cache_ttl=2.0, token=None, \
    tls_cert=None, tls_key=None, max_iterations=None, now=None, json_size_cap=None, exporter_metrics=None, \
    stale_after=None, remote_write=None)")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn serve(
    py: Python<'_>,
    loki_dir: Option<&Bound<'_, PyAny>>,
    host: Option<&Bound<'_, PyAny>>,
    port: Option<&Bound<'_, PyAny>>,
    path: Option<&Bound<'_, PyAny>>,
    cache_ttl: Option<&Bound<'_, PyAny>>,
    token: Option<&Bound<'_, PyAny>>,
    tls_cert: Option<&Bound<'_, PyAny>>,
    tls_key: Option<&Bound<'_, PyAny>>,
    max_iterations: Option<&Bound<'_, PyAny>>,
    now: Option<&Bound<'_, PyAny>>,
    json_size_cap: Option<&Bound<'_, PyAny>>,
    exporter_metrics: Option<bool>,
    stale_after: Option<&Bound<'_, PyAny>>,
    remote_write: Option<&Bound<'_, PyAny>>,
) -> PyResult<Server> {
    let options =
        OptionArgs { loki_dir, max_iterations, now, json_size_cap, exporter_metrics, stale_after }.to_options(py)?;
    let mut config = ServerConfig::new(options);
    if let Some(host) = host {
        config.host = str_arg("host", host)?;
    }
    if let Some(port) = port {
        config.port = port_arg(port)?;
    }
    if let Some(path) = path {
        config.path = str_arg("path", path)?;
    }
    if let Some(ttl) = cache_ttl {
        config.cache_ttl = seconds_arg("cache_ttl", ttl)?;
    }
    config.token = token.map(|t| str_arg("token", t)).transpose()?;
    config.tls_cert = tls_cert.map(|p| path_arg("tls_cert", p)).transpose()?;
    config.tls_key = tls_key.map(|p| path_arg("tls_key", p)).transpose()?;
    let remote_write = remote_write.map(RemoteWrite::from_arg).transpose()?;
    start(py, config, remote_write)
}

/// Starts the exporter as configured by the environment, only when
/// LOKI_METRICS_ENABLED is on (true, 1 or yes in any case); else returns
/// None and starts nothing.
///
/// Reads LOKI_DIR, LOKI_METRICS_HOST, LOKI_METRICS_PORT, LOKI_METRICS_PATH,
/// LOKI_METRICS_TOKEN, LOKI_MAX_ITERATIONS, LOKI_METRICS_EXPORTER_METRICS and
/// LOKI_METRICS_STALE_AFTER, as loki-metrics serve does.
#[pyfunction]
pub(crate) fn serve_from_env(py: Python<'_>) -> PyResult<Option<Server>> {
    if !env_flag("LOKI_METRICS_ENABLED") {
        return Ok(None);
    }
    let config = ServerConfig::from_env().map_err(|e| serve_error(py, e))?;
    start(py, config, None).map(Some)
}

fn start(
    py: Python<'_>,
    config: ServerConfig,
    remote_write: Option<(RemoteWriteConfig, Duration)>,
) -> PyResult<Server> {
    let running = detach(py, || CoreServer::start(config))?.map_err(|e| serve_error(py, e))?;
    let push = match remote_write {
        None => PushState::Off,
        Some((config, interval)) => {
            let fleet = Arc::clone(running.fleet());
            match PeriodicPush::start(fleet, config, interval) {
                Ok(push) => PushState::Running(push),
                Err(e) => {
                    // Nothing may keep running behind the exception.
                    let _ = detach(py, || running.shutdown());
                    return Err(setup_error(py, e));
                }
            }
        }
    };
    let addr = running.local_addr();
    Ok(Server {
        url: running.url().to_owned(),
        host: addr.ip().to_string(),
        port: addr.port(),
        collector: Py::new(
            py,
            PyCollector::from_core(std::sync::Arc::clone(
                running.collector().ok_or_else(|| SERVE_ERROR.msg(py, "the server serves no single directory"))?,
            )),
        )?,
        running: Mutex::new(Some(running)),
        push: Mutex::new(push),
    })
}

/// The remote write beside a server.
enum PushState {
    Off,
    Running(PeriodicPush),
    Stopped(RemoteWriteStats),
}

fn port_arg(value: &Bound<'_, PyAny>) -> PyResult<u16> {
    let Some(port) = int_like(value)? else {
        return Err(wrong_type("port", "an int", value));
    };
    port.extract::<u16>().map_err(|_| ARGUMENT_ERROR.msg(value.py(), format!("port must be 0-65535, got {value}")))
}

/// Each start-up failure as its exception.
fn serve_error(py: Python<'_>, error: ServeError) -> PyErr {
    let message = error.to_string();
    match &error {
        ServeError::Config(_) => ARGUMENT_ERROR.msg(py, message),
        ServeError::Bind { source, .. } => match source.raw_os_error() {
            Some(errno) => SERVE_ERROR.err(py, (errno, crate::scrape::without_os_error(&message, errno)), &[]),
            None => SERVE_ERROR.msg(py, message),
        },
        ServeError::Tls(_) | ServeError::Runtime(_) => SERVE_ERROR.msg(py, message),
        _ => SERVE_ERROR.msg(py, message),
    }
}

/// A running exporter. close() (or leaving a with block) stops it:
/// no new connections, in-flight requests finish, the thread ends.
#[pyclass(frozen, module = "loki_metrics")]
pub(crate) struct Server {
    /// The metrics endpoint's URL, e.g. http://127.0.0.1:57374/metrics.
    #[pyo3(get)]
    url: String,
    /// The bound address.
    #[pyo3(get)]
    host: String,
    /// The bound port (the real one when 0 was asked for).
    #[pyo3(get)]
    port: u16,
    /// The collector the server answers from (shares its cache).
    #[pyo3(get)]
    collector: Py<PyCollector>,
    running: Mutex<Option<RunningServer>>,
    push: Mutex<PushState>,
}

#[pymethods]
impl Server {
    /// Stops the server and waits for its thread; with remote write, then
    /// sends one last collection (within its request_timeout) and stops it.
    /// Idempotent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner()).take();
        let push = {
            let mut state = self.push.lock().unwrap_or_else(|e| e.into_inner());
            match std::mem::replace(&mut *state, PushState::Off) {
                PushState::Running(push) => Some(push),
                other => {
                    *state = other;
                    None
                }
            }
        };
        let (stopped, stats) = detach(py, || (running.map(RunningServer::shutdown), push.map(PeriodicPush::stop)))?;
        if let Some(stats) = stats {
            *self.push.lock().unwrap_or_else(|e| e.into_inner()) = PushState::Stopped(stats);
        }
        match stopped {
            Some(result) => {
                result.map_err(|e| LOKI_METRICS_ERROR.msg(py, format!("the server stopped with an error: {e}")))
            }
            None => Ok(()),
        }
    }

    /// The remote-write counters (None without remote_write): live while
    /// the server runs, final after close().
    #[getter]
    fn remote_write_stats(&self) -> Option<PyRemoteWriteStats> {
        match &*self.push.lock().unwrap_or_else(|e| e.into_inner()) {
            PushState::Off => None,
            PushState::Running(push) => Some(push.stats().into()),
            PushState::Stopped(stats) => Some(stats.clone().into()),
        }
    }

    /// Whether close() was called.
    #[getter]
    fn closed(&self) -> bool {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).is_none()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "running" };
        format!("<Server {} ({state})>", self.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Dropped by the garbage collector with the GIL held: stop the server
        // but let another thread wait for it, so the interpreter never blocks.
        let running = self.running.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        let push = match std::mem::replace(self.push.get_mut().unwrap_or_else(|e| e.into_inner()), PushState::Off) {
            PushState::Running(push) => Some(push),
            _ => None,
        };
        if running.is_some() || push.is_some() {
            let _ = std::thread::Builder::new().name("loki-metrics-stop".to_owned()).spawn(move || {
                drop(running);
                if let Some(push) = push {
                    push.stop();
                }
            });
        }
    }
}

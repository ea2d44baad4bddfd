//! `push` and `RemoteWrite`: Prometheus remote write from Python. The
//! arguments become the remote-write crate's `RemoteWriteInputs`, whose
//! `resolve` holds every rule; the push itself is its `push_once`.

use std::time::Duration;

use loki_metrics::NameStyle;
use loki_metrics_remote_write::{
    push_once, PushError, RemoteWriteConfig, RemoteWriteError, RemoteWriteInputs, RemoteWriteStats as CoreStats,
};
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyMapping, PyString, PyTuple};

use crate::args::{int_like, path_arg, seconds_arg, str_arg, OptionArgs};
use crate::errors::{detach, wrong_type, ExceptionClass, ARGUMENT_ERROR};

static REMOTE_WRITE_ERROR: ExceptionClass = ExceptionClass::new("RemoteWriteError");
static REMOTE_WRITE_REFUSED_ERROR: ExceptionClass = ExceptionClass::new("RemoteWriteRefusedError");
static REMOTE_WRITE_TIMEOUT_ERROR: ExceptionClass = ExceptionClass::new("RemoteWriteTimeoutError");

/// The remote-write keyword arguments `push` and `RemoteWrite` share.
pub(crate) struct RemoteWriteArgs<'a, 'py> {
    pub url: &'a Bound<'py, PyAny>,
    pub external_labels: Option<&'a Bound<'py, PyAny>>,
    pub headers: Option<&'a Bound<'py, PyAny>>,
    pub bearer_token_file: Option<&'a Bound<'py, PyAny>>,
    pub basic_auth: Option<&'a Bound<'py, PyAny>>,
    pub ca_file: Option<&'a Bound<'py, PyAny>>,
    pub request_timeout: Option<&'a Bound<'py, PyAny>>,
    pub queue_samples: Option<&'a Bound<'py, PyAny>>,
    pub interval: Option<&'a Bound<'py, PyAny>>,
}

/// A mapping (a `dict`, ...) of `str` to `str`, in its order.
fn str_pairs(what: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let mapping = value.cast::<PyMapping>().map_err(|_| wrong_type(what, "a mapping of str to str", value))?;
    let mut pairs = Vec::new();
    for item in mapping.items()?.iter() {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let name = str_arg(&format!("{what} key"), &k)?;
        let value = str_arg(&format!("{what}[{name:?}]"), &v)?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

impl RemoteWriteArgs<'_, '_> {
    /// The core's inputs (types converted; no rule applied here).
    fn inputs(&self) -> PyResult<RemoteWriteInputs> {
        let (basic_auth_user, basic_auth_password_file) = match self.basic_auth {
            None => (None, None),
            Some(pair) => {
                let expected = "a (user, password_file) tuple";
                let tuple = pair.cast::<PyTuple>().map_err(|_| wrong_type("basic_auth", expected, pair))?;
                if tuple.len() != 2 {
                    return Err(ARGUMENT_ERROR
                        .msg(pair.py(), format!("basic_auth must be {expected}, got {} items", tuple.len())));
                }
                (
                    Some(str_arg("basic_auth user", &tuple.get_item(0)?)?),
                    Some(path_arg("basic_auth password_file", &tuple.get_item(1)?)?),
                )
            }
        };
        Ok(RemoteWriteInputs {
            url: str_arg("url", self.url)?,
            external_labels: self
                .external_labels
                .map(|v| str_pairs("external_labels", v))
                .transpose()?
                .unwrap_or_default(),
            headers: self.headers.map(|v| str_pairs("headers", v)).transpose()?.unwrap_or_default(),
            bearer_token_file: self.bearer_token_file.map(|p| path_arg("bearer_token_file", p)).transpose()?,
            basic_auth_user,
            basic_auth_password_file,
            ca_file: self.ca_file.map(|p| path_arg("ca_file", p)).transpose()?,
            request_timeout: self.request_timeout.map(|t| seconds_arg("request_timeout", t)).transpose()?,
            queue_samples: self.queue_samples.map(queue_arg).transpose()?,
            interval: self.interval.map(|t| seconds_arg("interval", t)).transpose()?,
        })
    }
}

/// An `int` (0 is left to the core's rule, which names it).
fn queue_arg(value: &Bound<'_, PyAny>) -> PyResult<u64> {
    let Some(int) = int_like(value)? else {
        return Err(wrong_type("queue_samples", "an int", value));
    };
    int.extract::<u64>()
        .map_err(|_| ARGUMENT_ERROR.msg(value.py(), format!("queue_samples must be at least 1, got {value}")))
}

/// Each refusal of the remote-write options as an `ArgumentError`.
pub(crate) fn setup_error(py: Python<'_>, error: RemoteWriteError) -> PyErr {
    match error {
        RemoteWriteError::Runtime(_) => REMOTE_WRITE_ERROR.msg(py, error.to_string()),
        _ => ARGUMENT_ERROR.msg(py, error.message_for(NameStyle::Snake)),
    }
}

fn push_error(py: Python<'_>, error: PushError) -> PyErr {
    let message = error.message_for(NameStyle::Snake);
    let raise = |class: &ExceptionClass, url: &str, stats: CoreStats, status: Option<u16>| -> PyResult<PyErr> {
        let status = match status {
            Some(s) => PyInt::new(py, s).into_any(),
            None => py.None().into_bound(py),
        };
        let attrs = [
            ("url", PyString::new(py, url).into_any()),
            ("stats", Bound::new(py, RemoteWriteStats::from(stats))?.into_any()),
            ("status", status),
        ];
        Ok(class.err(py, (message.clone(),), &attrs))
    };
    let built = match error {
        PushError::Setup(e) => return setup_error(py, e),
        PushError::Refused { url, status, stats, .. } => raise(&REMOTE_WRITE_REFUSED_ERROR, &url, *stats, status),
        PushError::GaveUp { url, stats, .. } => {
            let status = stats.last_status;
            raise(&REMOTE_WRITE_TIMEOUT_ERROR, &url, *stats, status)
        }
        _ => Ok(REMOTE_WRITE_ERROR.msg(py, message.clone())),
    };
    built.unwrap_or_else(|e| e)
}

/// What a remote-write sender counted.
#[pyclass(frozen, module = "loki_metrics", get_all)]
#[derive(Debug, Clone)]
pub(crate) struct RemoteWriteStats {
    /// Samples the receiver accepted.
    samples_sent: u64,
    /// Samples the receiver refused for good (a 4xx other than 429).
    samples_failed: u64,
    /// Samples dropped unsent (the queue was full, or the deadline passed).
    samples_dropped: u64,
    /// Samples waiting to be sent.
    queue_samples: u64,
    /// Unix time (seconds) the receiver last accepted a request; None before.
    last_success: Option<f64>,
    /// HTTP requests made, retries included.
    requests: u64,
    /// What went wrong last (a status and body, a connection error); None after a success.
    last_error: Option<String>,
}

impl From<CoreStats> for RemoteWriteStats {
    fn from(s: CoreStats) -> Self {
        RemoteWriteStats {
            samples_sent: s.samples_sent,
            samples_failed: s.samples_failed,
            samples_dropped: s.samples_dropped,
            queue_samples: s.queue_length,
            last_success: s.last_success_unix_seconds,
            requests: s.requests,
            last_error: s.last_error,
        }
    }
}

#[pymethods]
impl RemoteWriteStats {
    fn __repr__(&self) -> String {
        format!(
            "RemoteWriteStats(samples_sent={}, samples_failed={}, samples_dropped={}, queue_samples={}, requests={})",
            self.samples_sent, self.samples_failed, self.samples_dropped, self.queue_samples, self.requests
        )
    }
}

/// Where and how serve(remote_write=...) sends its collections: checked,
/// and its secret files read, when it is made.
///
/// url: the receiver, http:// or https://, e.g.
///     http://prometheus:9090/api/v1/write.
/// external_labels: a dict of labels added to every series, e.g.
///     {"instance": "laptop"}; a sample's own label of the same name wins.
/// headers: a dict of extra request headers, e.g. {"X-Scope-OrgID": "team-a"}.
/// bearer_token_file: sends "Authorization: Bearer <the file's first line>".
/// basic_auth: a (user, password_file) tuple: basic auth with the password
///     file's first line (Grafana Cloud: the instance ID and a token file).
/// ca_file: trust only these PEM CA certificates for https:// (default: the
///     Mozilla roots).
/// request_timeout: seconds one request may take (default 10); also the
///     deadline of the last send at Server.close().
/// queue_samples: most samples queued while the receiver is unreachable
///     (default 50000); past it the oldest collection is dropped.
/// interval: seconds between two collections sent (default 15).
#[pyclass(frozen, module = "loki_metrics")]
pub(crate) struct RemoteWrite {
    pub(crate) config: RemoteWriteConfig,
    pub(crate) interval: Duration,
}

#[pymethods]
impl RemoteWrite {
    #[new]
    #[pyo3(signature = (
        url, *, external_labels=None, headers=None, bearer_token_file=None, basic_auth=None, ca_file=None,
        request_timeout=None, queue_samples=None, interval=None
    ), text_signature = "(url, *, external_labels=None, headers=None, bearer_token_file=None, basic_auth=None, \
        ca_file=None, request_timeout=10.0, queue_samples=50000, interval=15.0)")]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        external_labels: Option<&Bound<'_, PyAny>>,
        headers: Option<&Bound<'_, PyAny>>,
        bearer_token_file: Option<&Bound<'_, PyAny>>,
        basic_auth: Option<&Bound<'_, PyAny>>,
        ca_file: Option<&Bound<'_, PyAny>>,
        request_timeout: Option<&Bound<'_, PyAny>>,
        queue_samples: Option<&Bound<'_, PyAny>>,
        interval: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let args = RemoteWriteArgs {
            url,
            external_labels,
            headers,
            bearer_token_file,
            basic_auth,
            ca_file,
            request_timeout,
            queue_samples,
            interval,
        };
        RemoteWrite::from_inputs(py, &args.inputs()?)
    }

    /// The receiver's URL.
    #[getter]
    fn url(&self) -> &str {
        &self.config.url
    }

    /// Seconds between two collections sent.
    #[getter]
    fn interval(&self) -> f64 {
        self.interval.as_secs_f64()
    }

    fn __repr__(&self) -> String {
        format!("RemoteWrite({:?}, interval={})", self.config.url, self.interval.as_secs_f64())
    }
}

impl RemoteWrite {
    fn from_inputs(py: Python<'_>, inputs: &RemoteWriteInputs) -> PyResult<Self> {
        let interval = inputs.resolve_interval().map_err(|e| setup_error(py, e))?;
        let config = detach(py, || inputs.resolve())?.map_err(|e| setup_error(py, e))?;
        Ok(RemoteWrite { config, interval })
    }

    /// `serve`'s `remote_write`: a `RemoteWrite`, or a URL with every default.
    pub(crate) fn from_arg(value: &Bound<'_, PyAny>) -> PyResult<(RemoteWriteConfig, Duration)> {
        if let Ok(given) = value.cast::<RemoteWrite>() {
            let given = given.get();
            return Ok((given.config.clone(), given.interval));
        }
        if value.is_instance_of::<PyString>() {
            let r = RemoteWrite::from_inputs(value.py(), &RemoteWriteInputs::new(str_arg("remote_write", value)?))?;
            return Ok((r.config, r.interval));
        }
        Err(wrong_type("remote_write", "a RemoteWrite or a URL str", value))
    }
}

/// Collects a .loki directory once and sends it to a Prometheus remote-write
/// receiver; returns the sender's counters once the receiver accepted every
/// sample.
///
/// Raises RemoteWriteRefusedError (with status) when the receiver refused
/// the samples (a 4xx other than 429; not retried), RemoteWriteTimeoutError
/// when no success came within timeout (no answer, 5xx or 429 are retried
/// with backoff until then), ArgumentError for a refused option (a bad
/// label name, an unreadable secret file, a URL that is not http(s)://).
/// The GIL is released while collecting and sending.
///
/// url: the receiver, http:// or https://.
/// loki_dir: the .loki directory, as in collect().
/// external_labels: a dict of labels added to every series.
/// headers: a dict of extra request headers.
/// bearer_token_file: sends "Authorization: Bearer <the file's first line>".
/// basic_auth: a (user, password_file) tuple.
/// ca_file: trust only these PEM CA certificates for https://.
/// request_timeout: seconds one request may take (default 10).
/// timeout: seconds the push may take, retries included (default 30).
/// max_iterations, now: as in collect().
/// json_size_cap, exporter_metrics: as in collect().
/// stale_after: as in collect().
#[pyfunction]
#[pyo3(signature = (
    url, loki_dir=None, *, external_labels=None, headers=None, bearer_token_file=None, basic_auth=None,
    ca_file=None, request_timeout=None, timeout=None, max_iterations=None, now=None, json_size_cap=None,
    exporter_metrics=None, stale_after=None
), text_signature = "(url, loki_dir=None, *, external_labels=None, headers=None, bearer_token_file=None, \
    basic_auth=None, ca_file=None, request_timeout=10.0, timeout=30.0, max_iterations=None, now=None, \
    json_size_cap=None, exporter_metrics=None, stale_after=None)")]
#[allow(clippy::too_many_arguments)]
pub(crate) fn push(
    py: Python<'_>,
    url: &Bound<'_, PyAny>,
    loki_dir: Option<&Bound<'_, PyAny>>,
    external_labels: Option<&Bound<'_, PyAny>>,
    headers: Option<&Bound<'_, PyAny>>,
    bearer_token_file: Option<&Bound<'_, PyAny>>,
    basic_auth: Option<&Bound<'_, PyAny>>,
    ca_file: Option<&Bound<'_, PyAny>>,
    request_timeout: Option<&Bound<'_, PyAny>>,
    timeout: Option<&Bound<'_, PyAny>>,
    max_iterations: Option<&Bound<'_, PyAny>>,
    now: Option<&Bound<'_, PyAny>>,
    json_size_cap: Option<&Bound<'_, PyAny>>,
    exporter_metrics: Option<bool>,
    stale_after: Option<&Bound<'_, PyAny>>,
) -> PyResult<RemoteWriteStats> {
    let args = RemoteWriteArgs {
        url,
        external_labels,
        headers,
        bearer_token_file,
        basic_auth,
        ca_file,
        request_timeout,
        queue_samples: None,
        interval: None,
    };
    let inputs = args.inputs()?;
    let timeout = timeout
        .map(|t| seconds_arg("timeout", t))
        .transpose()?
        .unwrap_or(loki_metrics_remote_write::DEFAULT_PUSH_TIMEOUT);
    let options =
        OptionArgs { loki_dir, max_iterations, now, json_size_cap, exporter_metrics, stale_after }.to_options(py)?;
    let config = detach(py, || inputs.resolve())?.map_err(|e| setup_error(py, e))?;
    let pushed = detach(py, || {
        let families = loki_metrics::collect(&options).families().to_vec();
        push_once(&families, config, timeout)
    })?;
    pushed.map(RemoteWriteStats::from).map_err(|e| push_error(py, e))
}

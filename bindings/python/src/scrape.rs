//! `scrape`: GET a metrics endpoint and parse the answer (the exporter
//! crate's client, on the same HTTP stack as the server).

use std::time::Duration;

use loki_metrics::parse::ParseFormat;
use loki_metrics_server::client::{fetch_blocking, FetchOptions};
use loki_metrics_server::{ClientTrust, FetchError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use crate::args::{path_arg, seconds_arg, str_arg};
use crate::errors::{detach, ExceptionClass, ARGUMENT_ERROR};
use crate::parse::{parse_text, Text};

static SCRAPE_ERROR: ExceptionClass = ExceptionClass::new("ScrapeError");
static SCRAPE_CONNECTION_ERROR: ExceptionClass = ExceptionClass::new("ScrapeConnectionError");
static SCRAPE_TIMEOUT_ERROR: ExceptionClass = ExceptionClass::new("ScrapeTimeoutError");
static SCRAPE_STATUS_ERROR: ExceptionClass = ExceptionClass::new("ScrapeStatusError");

/// What Prometheus itself sends: OpenMetrics preferred, 0.0.4 accepted.
pub(crate) const SCRAPE_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,\
application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// GETs `url` and parses the answer into a list of `MetricFamily`.
///
/// Sends Prometheus' own `Accept` header (unless `accept` is given) and
/// parses by the answer's `Content-Type`. `token` is sent as a bearer token.
/// For `https://`, the server's certificate is checked against the Mozilla
/// roots, or only against `ca_file`; `insecure=True` skips the check.
/// Network failures raise `ScrapeError` (an `OSError`), an answer that is not
/// exposition text `ParseError`. The GIL is released while waiting.
#[pyfunction]
#[pyo3(
    signature = (url, *, timeout=None, token=None, accept=None, ca_file=None, insecure=false),
    text_signature = "(url, *, timeout=10.0, token=None, accept=None, ca_file=None, insecure=False)"
)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn scrape<'py>(
    py: Python<'py>,
    url: &Bound<'py, PyAny>,
    timeout: Option<&Bound<'py, PyAny>>,
    token: Option<&Bound<'py, PyAny>>,
    accept: Option<&Bound<'py, PyAny>>,
    ca_file: Option<&Bound<'py, PyAny>>,
    insecure: bool,
) -> PyResult<Bound<'py, PyList>> {
    let url: String = str_arg("url", url)?;
    let mut options = FetchOptions {
        token: token.map(|t| str_arg("token", t)).transpose()?,
        accept: Some(accept.map(|a| str_arg("accept", a)).transpose()?.unwrap_or_else(|| SCRAPE_ACCEPT.to_owned())),
        ..FetchOptions::default()
    };
    if let Some(timeout) = timeout {
        options.timeout = seconds_arg("timeout", timeout)?;
        if options.timeout == Duration::ZERO {
            return Err(ARGUMENT_ERROR.msg(py, "timeout must be more than 0 seconds"));
        }
    }
    options.trust = match (ca_file, insecure) {
        (Some(_), true) => return Err(ARGUMENT_ERROR.msg(py, "give ca_file or insecure=True, not both")),
        (Some(path), false) => ClientTrust::CaFile(path_arg("ca_file", path)?),
        (None, true) => ClientTrust::Insecure,
        (None, false) => ClientTrust::WebPki,
    };
    let response = detach(py, || fetch_blocking(&url, &options))?.map_err(|e| fetch_error(py, e))?;
    let format = match response.content_type.as_deref().map(str::trim_start) {
        Some(ct) if ct.to_ascii_lowercase().starts_with("application/openmetrics-text") => ParseFormat::OpenMetrics,
        Some(ct) if ct.to_ascii_lowercase().starts_with("text/plain") => ParseFormat::Prometheus,
        _ => ParseFormat::Auto,
    };
    parse_text(py, Text::Owned(response.body), format)
}

/// The message without io::Error's " (os error N)": Python's `OSError`
/// already shows `[Errno N]`.
pub(crate) fn without_os_error(message: &str, errno: i32) -> String {
    message.replace(&format!(" (os error {errno})"), "")
}

/// Each fetch failure as its exception, with `url` (and `status`, `body`) set.
fn fetch_error(py: Python<'_>, error: FetchError) -> PyErr {
    let message = error.to_string();
    let url_of = |url: &str| -> Vec<(&str, Bound<'_, PyAny>)> { vec![("url", PyString::new(py, url).into_any())] };
    match &error {
        FetchError::InvalidUrl { .. } | FetchError::InvalidHeader(_) => ARGUMENT_ERROR.msg(py, message),
        FetchError::Connect { url, source } => match source.raw_os_error() {
            Some(errno) => SCRAPE_CONNECTION_ERROR.err(py, (errno, without_os_error(&message, errno)), &url_of(url)),
            None => SCRAPE_CONNECTION_ERROR.err(py, (message,), &url_of(url)),
        },
        FetchError::Timeout { url, .. } => SCRAPE_TIMEOUT_ERROR.err(py, (message,), &url_of(url)),
        FetchError::Status { url, status, body } => {
            let mut attrs = url_of(url);
            attrs.push(("status", pyo3::types::PyInt::new(py, *status).into_any()));
            attrs.push(("body", PyString::new(py, body).into_any()));
            SCRAPE_STATUS_ERROR.err(py, (message,), &attrs)
        }
        FetchError::Tls { url, .. } | FetchError::Http { url, .. } | FetchError::NotText { url } => {
            SCRAPE_ERROR.err(py, (message,), &url_of(url))
        }
        _ => SCRAPE_ERROR.err(py, (message,), &[]),
    }
}

//! The one-shot API: `collect`, `render` and `negotiate`.

use loki_metrics::{negotiate as core_negotiate, Format};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::args::{format_arg, OptionArgs};
use crate::errors::{detach, wrong_type};
use crate::snapshot::PySnapshot;

/// Reads a .loki directory once and returns its Snapshot.
///
/// Problems in the directory never raise: they are Snapshot.warnings and
/// the documented fallback values. A wrong argument type raises TypeError, a
/// refused value ArgumentError (a ValueError).
///
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
#[pyfunction]
#[pyo3(signature = (
    loki_dir=None, *, max_iterations=None, now=None, json_size_cap=None, exporter_metrics=None, stale_after=None
))]
pub(crate) fn collect(
    py: Python<'_>,
    loki_dir: Option<&Bound<'_, PyAny>>,
    max_iterations: Option<&Bound<'_, PyAny>>,
    now: Option<&Bound<'_, PyAny>>,
    json_size_cap: Option<&Bound<'_, PyAny>>,
    exporter_metrics: Option<bool>,
    stale_after: Option<&Bound<'_, PyAny>>,
) -> PyResult<PySnapshot> {
    let options =
        OptionArgs { loki_dir, max_iterations, now, json_size_cap, exporter_metrics, stale_after }.to_options(py)?;
    let snapshot = detach(py, || loki_metrics::collect(&options))?;
    Ok(PySnapshot::new(snapshot))
}

/// Encodes a Snapshot, or collects a directory and encodes it.
///
/// source: a Snapshot, a directory (str or os.PathLike), or None (the
///     environment variable LOKI_DIR, else ./.loki). A directory is
///     collected with the default options; collect() takes the others.
/// format: "prometheus" (text format 0.0.4), "openmetrics" (OpenMetrics
///     1.0.0) or "json". Any other name raises UnknownFormatError.
#[pyfunction]
#[pyo3(signature = (source=None, *, format=None), text_signature = "(source=None, *, format='prometheus')")]
pub(crate) fn render(
    py: Python<'_>,
    source: Option<&Bound<'_, PyAny>>,
    format: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let format = match format {
        Some(f) => format_arg(f)?,
        None => Format::Prometheus,
    };
    if let Some(snapshot) = source.and_then(|s| s.cast::<PySnapshot>().ok()) {
        let snapshot = &snapshot.get().inner;
        return detach(py, || loki_metrics::render(snapshot, format));
    }
    if let Some(source) = source {
        if !(source.is_instance_of::<PyString>() || source.hasattr("__fspath__")?) {
            return Err(wrong_type("source", "a Snapshot, a str or os.PathLike directory, or None", source));
        }
    }
    let args = OptionArgs {
        loki_dir: source,
        max_iterations: None,
        now: None,
        json_size_cap: None,
        exporter_metrics: None,
        stale_after: None,
    };
    let options = args.to_options(py)?;
    detach(py, || loki_metrics::render(&loki_metrics::collect(&options), format))
}

/// Picks the encoding for an HTTP Accept header.
///
/// Returns (format, content_type): ("openmetrics", OPENMETRICS_CONTENT_TYPE)
/// when application/openmetrics-text outranks text/plain (Prometheus' own
/// scrape header does), else ("prometheus", PROMETHEUS_CONTENT_TYPE), also
/// for None and */*. bytes (as ASGI servers give headers) are read as Latin-1.
#[pyfunction]
#[pyo3(signature = (accept=None))]
pub(crate) fn negotiate(accept: Option<&Bound<'_, PyAny>>) -> PyResult<(&'static str, &'static str)> {
    let header: Option<String> = match accept {
        None => None,
        Some(a) if a.is_none() => None,
        Some(a) => {
            if let Ok(s) = a.cast::<PyString>() {
                // A header that cannot be UTF-8 (a lone surrogate) still
                // negotiates: the media types that matter are ASCII.
                Some(s.to_string_lossy().into_owned())
            } else if let Ok(b) = a.cast::<PyBytes>() {
                Some(b.as_bytes().iter().map(|&c| char::from(c)).collect())
            } else {
                return Err(wrong_type("accept", "a str, bytes or None", a));
            }
        }
    };
    let format = core_negotiate(header.as_deref());
    Ok((format.as_str(), format.content_type()))
}

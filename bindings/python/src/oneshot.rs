//! The one-shot API: `collect`, `render` and `negotiate`.

use loki_metrics::{negotiate as core_negotiate, Format};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::args::{format_arg, OptionArgs};
use crate::errors::{detach, wrong_type};
use crate::snapshot::PySnapshot;

/// Reads a `.loki` directory once and returns its `Snapshot`.
///
/// `loki_dir` is a `str` or `os.PathLike`; `None` means env `LOKI_DIR`, else
/// `./.loki`. Problems in the directory never raise: they are
/// `Snapshot.warnings` and the documented fallback values.
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

/// Encodes a `Snapshot`, or collects a directory and encodes it.
///
/// `source` is a `Snapshot`, a directory (`str` or `os.PathLike`), or `None`
/// (env `LOKI_DIR`, else `./.loki`). `format` is `"prometheus"` (text
/// 0.0.4), `"openmetrics"` (1.0.0) or `"json"`.
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

/// Picks the encoding for an HTTP `Accept` header.
///
/// Returns `(format, content_type)`: `("openmetrics", OPENMETRICS_CONTENT_TYPE)`
/// when `application/openmetrics-text` outranks `text/plain` (Prometheus' own
/// scrape header does), else `("prometheus", PROMETHEUS_CONTENT_TYPE)`, also
/// for `None` and `*/*`. `bytes` (as ASGI servers give headers) are read as Latin-1.
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

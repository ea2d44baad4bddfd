//! `loki_metrics._native`: the PyO3 adapter over the loki-metrics core.
//!
//! Each function converts its Python arguments, calls the core without the
//! GIL (file I/O, encoding, parsing and network waits all run detached), and
//! maps the core's errors to the exceptions of `loki_metrics._errors`. The
//! public Python API is `loki_metrics` (`python/loki_metrics/__init__.py`),
//! which re-exports this module; its types are in `_native.pyi`.

mod args;
mod collector;
mod errors;
mod oneshot;
mod parse;
mod remote_write;
mod scrape;
mod server;
mod snapshot;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", loki_metrics::VERSION)?;
    m.add("PROMETHEUS_CONTENT_TYPE", loki_metrics::encode::PROMETHEUS_CONTENT_TYPE)?;
    m.add("OPENMETRICS_CONTENT_TYPE", loki_metrics::encode::OPENMETRICS_CONTENT_TYPE)?;
    m.add("JSON_CONTENT_TYPE", loki_metrics::encode::JSON_CONTENT_TYPE)?;
    m.add_function(wrap_pyfunction!(oneshot::collect, m)?)?;
    m.add_function(wrap_pyfunction!(oneshot::render, m)?)?;
    m.add_function(wrap_pyfunction!(oneshot::negotiate, m)?)?;
    m.add_function(wrap_pyfunction!(parse::parse, m)?)?;
    m.add_class::<parse::SampleSource>()?;
    m.add_function(wrap_pyfunction!(scrape::scrape, m)?)?;
    m.add_function(wrap_pyfunction!(remote_write::push, m)?)?;
    m.add_class::<remote_write::RemoteWrite>()?;
    m.add_class::<remote_write::RemoteWriteStats>()?;
    m.add_function(wrap_pyfunction!(server::serve, m)?)?;
    m.add_function(wrap_pyfunction!(server::serve_from_env, m)?)?;
    m.add_class::<server::Server>()?;
    m.add_class::<snapshot::PySnapshot>()?;
    snapshot::add_typed_properties(m.py(), &m.py().get_type::<snapshot::PySnapshot>())?;
    m.add_class::<snapshot::Values>()?;
    m.add_class::<snapshot::SourceWarning>()?;
    m.add_class::<collector::PyCollector>()?;
    Ok(())
}

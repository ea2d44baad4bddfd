//! `Collector`: the core's caching, single-flight, incremental collector.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use loki_metrics::{Collector as CoreCollector, Format, DEFAULT_CACHE_TTL};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::args::{format_arg, seconds_arg, OptionArgs};
use crate::errors::detach;
use crate::snapshot::PySnapshot;

/// Collects a directory at most once per cache_ttl seconds, however many
/// threads ask, reading only what changed since the last collection.
///
/// Thread-safe: threads that ask while a collection runs wait for it (without
/// the GIL) and share its result.
///
/// cache_ttl: seconds (a float >= 0 or a timedelta) a collection is served
///     before the directory is read again; 0 collects on every call.
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
#[pyclass(frozen, module = "loki_metrics", name = "Collector")]
pub(crate) struct PyCollector {
    inner: Arc<CoreCollector>,
    /// The last text handed out per format, as a Python `str`: a warm render
    /// of the same cached snapshot returns the same object, not a new copy.
    texts: Mutex<[Option<SharedText>; 3]>,
}

/// A rendered text and the Python `str` made from it.
type SharedText = (Arc<str>, Py<PyString>);

fn slot(format: Format) -> usize {
    match format {
        Format::Prometheus => 0,
        Format::OpenMetrics => 1,
        Format::Json => 2,
    }
}

#[pymethods]
impl PyCollector {
    #[new]
    #[pyo3(
        signature = (
            loki_dir=None, *, cache_ttl=None, max_iterations=None, now=None, json_size_cap=None,
            exporter_metrics=None, stale_after=None
        ),
        text_signature = "(loki_dir=None, *, cache_ttl=2.0, max_iterations=None, now=None, json_size_cap=None, \
            exporter_metrics=None, stale_after=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        loki_dir: Option<&Bound<'_, PyAny>>,
        cache_ttl: Option<&Bound<'_, PyAny>>,
        max_iterations: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
        json_size_cap: Option<&Bound<'_, PyAny>>,
        exporter_metrics: Option<bool>,
        stale_after: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let options = OptionArgs { loki_dir, max_iterations, now, json_size_cap, exporter_metrics, stale_after }
            .to_options(py)?;
        let ttl = match cache_ttl {
            Some(ttl) => seconds_arg("cache_ttl", ttl)?,
            None => DEFAULT_CACHE_TTL,
        };
        Ok(PyCollector { inner: Arc::new(CoreCollector::new(options, ttl)), texts: Mutex::default() })
    }

    /// The cached snapshot while fresh, else a new collection.
    fn collect(&self, py: Python<'_>) -> PyResult<PySnapshot> {
        let inner = &self.inner;
        let snapshot = detach(py, || inner.collect())?;
        Ok(PySnapshot::from_arc(snapshot))
    }

    /// The cached snapshot's encoding in format ("prometheus", "openmetrics"
    /// or "json"), collecting first if the cache is stale.
    #[pyo3(signature = (format=None), text_signature = "($self, format='prometheus')")]
    fn render<'py>(&self, py: Python<'py>, format: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyString>> {
        let format = match format {
            Some(f) => format_arg(f)?,
            None => Format::Prometheus,
        };
        let inner = &self.inner;
        let text = detach(py, || inner.render(format))?;
        Ok(self.python_text(py, format, text))
    }

    /// The cached encoding in format while the cache is fresh, else None:
    /// never reads the directory, so an event loop can call it directly and
    /// hand only a stale cache to a worker thread.
    #[pyo3(signature = (format=None), text_signature = "($self, format='prometheus')")]
    fn render_if_fresh<'py>(
        &self,
        py: Python<'py>,
        format: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyString>>> {
        let format = match format {
            Some(f) => format_arg(f)?,
            None => Format::Prometheus,
        };
        Ok(self.inner.render_if_fresh(format).map(|text| self.python_text(py, format, text)))
    }

    /// Drops the cached snapshot, so the next call collects again (what was
    /// learned about the files is kept).
    fn invalidate(&self) {
        self.inner.invalidate();
    }

    /// How many collections (directory reads) this collector has run.
    #[getter]
    fn collections(&self) -> u64 {
        self.inner.collections()
    }

    /// The directory collected.
    #[getter]
    fn loki_dir(&self) -> std::path::PathBuf {
        self.inner.options().loki_dir.clone()
    }

    /// Seconds a snapshot is served before the directory is read again.
    #[getter]
    fn cache_ttl(&self) -> f64 {
        self.inner.cache_ttl().as_secs_f64()
    }

    fn __repr__(&self) -> String {
        format!(
            "Collector(loki_dir={}, cache_ttl={})",
            crate::snapshot::py_str(&self.inner.options().loki_dir.display().to_string()),
            fmt_seconds(self.inner.cache_ttl())
        )
    }
}

impl PyCollector {
    /// Wraps a collector the core (or a server) already owns.
    pub(crate) fn from_core(inner: Arc<CoreCollector>) -> Self {
        PyCollector { inner, texts: Mutex::default() }
    }

    /// `text` as a Python `str`, reusing the one made for the same `Arc`.
    fn python_text<'py>(&self, py: Python<'py>, format: Format, text: Arc<str>) -> Bound<'py, PyString> {
        let mut texts = self.texts.lock().unwrap_or_else(|e| e.into_inner());
        let entry = &mut texts[slot(format)];
        if let Some((cached, string)) = entry {
            if Arc::ptr_eq(cached, &text) {
                return string.bind(py).clone();
            }
        }
        let string = PyString::new(py, &text);
        *entry = Some((text, string.clone().unbind()));
        string
    }
}

fn fmt_seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.1}")
    } else {
        format!("{s}")
    }
}

//! `Snapshot` and the small immutable types it is made of.

use std::sync::Arc;

use loki_metrics::Snapshot as CoreSnapshot;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

use crate::errors::ARGUMENT_ERROR;

/// The metric values of one collection of a `.loki` directory, and every
/// problem met while reading it. Immutable.
#[pyclass(frozen, eq, module = "loki_metrics", name = "Snapshot")]
#[derive(PartialEq)]
pub(crate) struct PySnapshot {
    pub inner: Arc<CoreSnapshot>,
}

impl PySnapshot {
    pub(crate) fn new(snapshot: CoreSnapshot) -> Self {
        PySnapshot { inner: Arc::new(snapshot) }
    }
}

#[pymethods]
impl PySnapshot {
    /// `"stopped"`, `"running"` or `"paused"`.
    #[getter]
    fn session_status(&self) -> &'static str {
        self.inner.session_status().as_str()
    }

    /// The value of `loki_session_status`: 0 stopped, 1 running, 2 paused.
    #[getter]
    fn session_status_code(&self) -> u8 {
        self.inner.session_status().code()
    }

    /// `loki_iteration_current`.
    #[getter]
    fn iteration_current(&self) -> u64 {
        self.inner.iteration_current()
    }

    /// `loki_iteration_max`.
    #[getter]
    fn iteration_max(&self) -> u64 {
        self.inner.iteration_max()
    }

    /// `loki_tasks_total`, by status.
    #[getter]
    fn tasks(&self) -> TaskCounts {
        let t = self.inner.tasks();
        TaskCounts { pending: t.pending, in_progress: t.in_progress, completed: t.completed, failed: t.failed }
    }

    /// `loki_agents_active`.
    #[getter]
    fn agents_active(&self) -> u64 {
        self.inner.agents_active()
    }

    /// `loki_agents_total`.
    #[getter]
    fn agents_total(&self) -> u64 {
        self.inner.agents_total()
    }

    /// `loki_cost_usd`, rounded to 6 decimals.
    #[getter]
    fn cost_usd(&self) -> f64 {
        self.inner.cost_usd()
    }

    /// `loki_events_total`.
    #[getter]
    fn events_total(&self) -> u64 {
        self.inner.events_total()
    }

    /// `loki_uptime_seconds`, rounded to 0.1.
    #[getter]
    fn uptime_seconds(&self) -> f64 {
        self.inner.uptime_seconds()
    }

    /// Sources (paths relative to the directory) that exist but could not be used.
    #[getter]
    fn failed_sources<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.failed_sources().iter().map(|s| s.path()))
    }

    /// Every problem met while reading, in the order met.
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let warnings = self
            .inner
            .warnings
            .iter()
            .map(|w| SourceWarning { source: w.source.path(), message: w.message.clone() })
            .map(|w| Bound::new(py, w))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, warnings)
    }

    /// The values of the optional exporter families, when they were enabled.
    #[getter]
    fn exporter(&self) -> Option<ExporterInfo> {
        self.inner.exporter().map(|e| ExporterInfo { collect_seconds: e.collect_seconds, version: e.version })
    }

    /// The metric families, as `parse()` returns them (`MetricFamily`
    /// objects with `Sample`s), in output order.
    #[getter]
    fn families<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let families: Vec<_> = self.inner.families().iter().map(|f| f.to_f64()).collect();
        crate::parse::build_families(py, &families)
    }

    /// The value of the sample `name` (e.g. `"loki_tasks_total"`, or a family
    /// name such as `"loki_events"`) whose labels are exactly `labels`, as an
    /// `int` for counts and a `float` otherwise; `None` if there is none.
    #[pyo3(signature = (name, /, **labels))]
    fn value<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        labels: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Some(labels) = labels {
            for (k, v) in labels.iter() {
                let v = v
                    .cast::<pyo3::types::PyString>()
                    .map_err(|_| crate::errors::wrong_type("label value", "a str", &v))?;
                pairs.push((k.extract()?, v.to_cow()?.into_owned()));
            }
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Ok(match self.inner.value(name, &pairs) {
            Some(loki_metrics::Value::Int(n)) => Some(n.into_pyobject(py)?.into_any()),
            Some(loki_metrics::Value::Float(v)) => Some(pyo3::types::PyFloat::new(py, v).into_any()),
            None => None,
        })
    }

    /// The snapshot as plain data: the same shape as `render(format="json")`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // Through the core's own JSON: the same keys, order and numbers by construction.
        JSON_LOADS.import(py, "json", "loads")?.call1((self.inner.to_json(),))
    }

    /// The snapshot as pretty JSON, exactly `render(snapshot, format="json")`.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// A snapshot from its JSON (`to_json()` / `render(format="json")`).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        serde_json::from_str::<CoreSnapshot>(text)
            .map(PySnapshot::new)
            .map_err(|e| ARGUMENT_ERROR.msg(py, format!("not the JSON of a snapshot: {e}")))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        Ok((slf.get_type().getattr("from_json")?, (slf.get().inner.to_json(),)))
    }

    fn __repr__(&self) -> String {
        let s = &self.inner;
        format!(
            "Snapshot(session_status={}, iteration_current={}, iteration_max={}, tasks={}, agents_active={}, \
             agents_total={}, cost_usd={}, events_total={}, uptime_seconds={}, warnings={})",
            py_str(s.session_status().as_str()),
            s.iteration_current(),
            s.iteration_max(),
            self.tasks().__repr__(),
            s.agents_active(),
            s.agents_total(),
            py_float(s.cost_usd()),
            s.events_total(),
            py_float(s.uptime_seconds()),
            s.warnings.len(),
        )
    }
}

/// A string as Python's `repr` writes it (single quotes unless it holds one).
pub(crate) fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A float as Python's `repr` writes it (`1.0`, not `1`).
fn py_float(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// Task counts by status, as in `loki_tasks_total{status=...}`.
#[pyclass(frozen, eq, hash, module = "loki_metrics")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct TaskCounts {
    /// `tasks.pending`.
    #[pyo3(get)]
    pending: u64,
    /// `tasks.inProgress`.
    #[pyo3(get)]
    in_progress: u64,
    /// `tasks.completed`.
    #[pyo3(get)]
    completed: u64,
    /// `tasks.failed`.
    #[pyo3(get)]
    failed: u64,
}

#[pymethods]
impl TaskCounts {
    /// The counts keyed by the `status` label value.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("pending", self.pending)?;
        d.set_item("in_progress", self.in_progress)?;
        d.set_item("completed", self.completed)?;
        d.set_item("failed", self.failed)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "TaskCounts(pending={}, in_progress={}, completed={}, failed={})",
            self.pending, self.in_progress, self.completed, self.failed
        )
    }
}

/// A problem met while reading a source; its value fell back as documented.
#[pyclass(frozen, eq, hash, module = "loki_metrics")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct SourceWarning {
    /// The source's path relative to the directory (`.` for the directory).
    #[pyo3(get)]
    source: &'static str,
    /// What was wrong and what was used instead.
    #[pyo3(get)]
    message: String,
}

#[pymethods]
impl SourceWarning {
    fn __str__(&self) -> String {
        format!("{}: {}", self.source, self.message)
    }

    fn __repr__(&self) -> String {
        format!("SourceWarning(source={}, message={})", py_str(self.source), py_str(&self.message))
    }
}

/// Values of the optional exporter families (`exporter_metrics=True`).
#[pyclass(frozen, eq, module = "loki_metrics")]
#[derive(Clone, PartialEq)]
pub(crate) struct ExporterInfo {
    /// How long the collection took, in seconds (`loki_scrape_duration_seconds`).
    #[pyo3(get)]
    collect_seconds: f64,
    /// The library version (`loki_exporter_build_info{version}`).
    #[pyo3(get)]
    version: String,
}

#[pymethods]
impl ExporterInfo {
    fn __repr__(&self) -> String {
        format!("ExporterInfo(collect_seconds={}, version={})", py_float(self.collect_seconds), py_str(&self.version))
    }
}

//! `Snapshot` and the small immutable types it is made of.
//!
//! The typed conveniences (`snapshot.iteration_current`, `snapshot.tasks`,
//! `snapshot.exporter`, ...) are the core's typed view (`KeyCase::Snake`, the
//! JSON encoding): one property per catalogue key, attached to the class when
//! the module loads, so a new family needs no change here.

use std::sync::Arc;

use loki_metrics::families::{self, Family, Group, Json};
use loki_metrics::Snapshot as CoreSnapshot;
use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyCFunction, PyDict, PyList, PyString, PyTuple, PyType};

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

use crate::errors::ARGUMENT_ERROR;

/// The metric values of one collection of a `.loki` directory, and every
/// problem met while reading it. Immutable.
#[pyclass(frozen, module = "loki_metrics", name = "Snapshot")]
pub(crate) struct PySnapshot {
    pub inner: Arc<CoreSnapshot>,
    /// The typed view as Python data (`json.loads` of the JSON encoding), made once.
    typed: PyOnceLock<Py<PyDict>>,
}

impl PySnapshot {
    pub(crate) fn new(snapshot: CoreSnapshot) -> Self {
        PySnapshot { inner: Arc::new(snapshot), typed: PyOnceLock::new() }
    }

    pub(crate) fn from_arc(snapshot: Arc<CoreSnapshot>) -> Self {
        PySnapshot { inner: snapshot, typed: PyOnceLock::new() }
    }

    fn typed<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyDict>> {
        let typed = self.typed.get_or_try_init(py, || -> PyResult<Py<PyDict>> {
            // Through the core's own JSON: the same keys, order and numbers by construction.
            let loads = JSON_LOADS.import(py, "json", "loads")?;
            Ok(loads.call1((self.inner.to_json(),))?.cast_into::<PyDict>()?.unbind())
        })?;
        Ok(typed.bind(py))
    }
}

/// What one generated property of `Snapshot` reads.
#[derive(Clone, Copy)]
enum Property {
    /// A family's key.
    Family(&'static Family),
    /// The value behind a [`Json::Named`] family's name (`<key>_code`).
    Code(&'static Family),
    /// A group's key (`None` when its families are off).
    Group(Group),
}

/// Every generated property: `(name, what it reads, docstring)`.
fn properties() -> Vec<(String, Property, String)> {
    let mut out = Vec::new();
    for family in families::group(Group::Default) {
        let Some(key) = family.json.key() else { continue };
        let doc = format!("`{}`: {}", family.name, family.help);
        if let Json::Named(..) = family.json {
            out.push((format!("{key}_code"), Property::Code(family), format!("{doc} (the value)")));
        }
        out.push((key.to_owned(), Property::Family(family), doc));
    }
    for group in Group::ALL {
        if let Some(key) = group.json_key() {
            out.push((key.to_owned(), Property::Group(group), format!("The `{key}` families, or None when off.")));
        }
    }
    out
}

/// A family's entries read from `object` (a typed view object): `<key>` and,
/// for a named value, `<key>_code`.
fn family_entries<'py>(
    py: Python<'py>,
    family: &Family,
    object: &Bound<'py, PyDict>,
) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
    let Some(key) = family.json.key() else { return Ok(Vec::new()) };
    let value = object.get_item(key)?.unwrap_or_else(|| py.None().into_bound(py));
    let mut out = vec![(key.to_owned(), to_values(py, &value)?)];
    if let Json::Named(_, names) = family.json {
        out.push((format!("{key}_code"), code(py, names, &value)?));
    }
    Ok(out)
}

/// The index of a named value in its names (`None` for `None`).
fn code<'py>(py: Python<'py>, names: &[&str], name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    match name.cast::<PyString>() {
        Ok(name) => {
            let name = name.to_cow()?;
            Ok(names.iter().position(|n| *n == name).unwrap_or(0).into_pyobject(py)?.into_any())
        }
        Err(_) => Ok(py.None().into_bound(py)),
    }
}

/// Typed view data as Python: objects become `Values`.
fn to_values<'py>(py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    match value.cast::<PyDict>() {
        Ok(dict) => {
            let items = dict
                .iter()
                .map(|(k, v)| Ok((k.extract::<String>()?, to_values(py, &v)?.unbind())))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(Bound::new(py, Values { items })?.into_any())
        }
        Err(_) => Ok(value.clone()),
    }
}

impl Property {
    fn read<'py>(self, py: Python<'py>, snapshot: &PySnapshot) -> PyResult<Bound<'py, PyAny>> {
        let typed = snapshot.typed(py)?;
        match self {
            Property::Family(family) => {
                let key = family.json.key().unwrap_or_default();
                let value = typed.get_item(key)?.unwrap_or_else(|| py.None().into_bound(py));
                to_values(py, &value)
            }
            Property::Code(family) => {
                let Json::Named(key, names) = family.json else { return Ok(py.None().into_bound(py)) };
                code(py, names, &typed.get_item(key)?.unwrap_or_else(|| py.None().into_bound(py)))
            }
            Property::Group(group) => {
                let key = group.json_key().unwrap_or_default();
                let Some(object) = typed.get_item(key)? else { return Ok(py.None().into_bound(py)) };
                let Ok(object) = object.cast_into::<PyDict>() else { return Ok(py.None().into_bound(py)) };
                let mut items = Vec::new();
                for family in families::group(group) {
                    for (k, v) in family_entries(py, family, &object)? {
                        items.push((k, v.unbind()));
                    }
                }
                Ok(Bound::new(py, Values { items })?.into_any())
            }
        }
    }
}

/// Attaches the generated properties to `Snapshot` (at module load).
pub(crate) fn add_typed_properties(py: Python<'_>, class: &Bound<'_, PyType>) -> PyResult<()> {
    let property = py.import("builtins")?.getattr("property")?;
    for (name, reads, doc) in properties() {
        let getter = PyCFunction::new_closure(
            py,
            None,
            None,
            move |args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<Py<PyAny>> {
                let py = args.py();
                let slf = args.get_item(0)?;
                let snapshot = slf.cast::<PySnapshot>()?;
                reads.read(py, snapshot.get()).map(Bound::unbind)
            },
        )?;
        class.setattr(name.as_str(), property.call1((getter, py.None(), py.None(), doc))?)?;
    }
    Ok(())
}

impl PartialEq for PySnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

#[pymethods]
impl PySnapshot {
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

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PySnapshot>().is_ok_and(|o| *self == *o.get())
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        Ok((slf.get_type().getattr("from_json")?, (slf.get().inner.to_json(),)))
    }

    /// `Snapshot(<each default family's key>=..., warnings=(<n> warnings))`:
    /// the count, since the warnings themselves can be long (`snapshot.warnings`
    /// lists them); "(1 warning)" for one.
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let mut fields = Vec::new();
        for (name, reads, _) in properties() {
            if let Property::Family(_) = reads {
                fields.push(format!("{name}={}", reads.read(py, slf.get())?.repr()?));
            }
        }
        let n = slf.get().inner.warnings.len();
        fields.push(format!("warnings=({n} warning{})", if n == 1 { "" } else { "s" }));
        Ok(format!("Snapshot({})", fields.join(", ")))
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

/// Named values of the snapshot's typed view: a family by label value
/// (`snapshot.tasks`), a group of families (`snapshot.exporter`), an info
/// family's labels. Immutable; read by attribute or `to_dict()`.
#[pyclass(frozen, subclass, module = "loki_metrics", name = "Values")]
pub(crate) struct Values {
    items: Vec<(String, Py<PyAny>)>,
}

#[pymethods]
impl Values {
    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        match self.items.iter().find(|(k, _)| k == name) {
            Some((_, v)) => Ok(v.clone_ref(py)),
            None => Err(PyAttributeError::new_err(format!("Values has no {}", py_str(name)))),
        }
    }

    /// The values as a dict, in order (nested `Values` as dicts too).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.items {
            match v.bind(py).cast::<Values>() {
                Ok(nested) => d.set_item(k, nested.get().to_dict(py)?)?,
                Err(_) => d.set_item(k, v)?,
            }
        }
        Ok(d)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<Values>() else { return Ok(false) };
        let other = other.get();
        if self.items.len() != other.items.len() {
            return Ok(false);
        }
        for ((k, v), (ok, ov)) in self.items.iter().zip(&other.items) {
            if k != ok || !v.bind(py).eq(ov.bind(py))? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        let pairs =
            self.items.iter().map(|(k, v)| PyTuple::new(py, [k.into_pyobject(py)?.into_any(), v.bind(py).clone()]));
        PyTuple::new(py, pairs.collect::<PyResult<Vec<_>>>()?)?.hash()
    }

    /// `Values(pending=3, ...)`, or `Values({'gpt-4.1': 0.5})` when a key is
    /// not an identifier.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let identifiers = self.items.iter().all(|(k, _)| is_identifier(k));
        let mut parts = Vec::with_capacity(self.items.len());
        for (k, v) in &self.items {
            let v = v.bind(py).repr()?;
            parts.push(if identifiers { format!("{k}={v}") } else { format!("{}: {v}", py_str(k)) });
        }
        Ok(if identifiers {
            format!("Values({})", parts.join(", "))
        } else {
            format!("Values({{{}}})", parts.join(", "))
        })
    }
}

/// Whether `key` can be a keyword argument (ASCII rules; others get the dict form).
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
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

//! `parse`: exposition text to the `MetricFamily` / `Sample` / `Exemplar`
//! objects of `loki_metrics._families` (the shape of `prometheus_client`'s
//! parser results).
//!
//! The core parses without the GIL; building the Python objects needs it, and
//! is most of the time on a large text, so it avoids Python-level calls per
//! sample: label-name and sample-name strings are made once per parse and
//! shared (not interned: on CPython 3.12 interned strings are immortal, and
//! the names come from untrusted text), and each `Sample` tuple is
//! allocated and filled directly.

use std::collections::HashMap;

use loki_metrics::parse::{parse as core_parse, Exemplar, MetricFamily, MetricType, ParseError, ParseFormat, Sample};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyFloat, PyList, PyString, PyTuple, PyType};

use crate::errors::{detach, wrong_type, ExceptionClass, UNKNOWN_FORMAT_ERROR};

/// `ParseError(LokiMetricsError, ValueError)`.
pub(crate) static PARSE_ERROR: ExceptionClass = ExceptionClass::new("ParseError");

const FAMILIES_MODULE: &str = "loki_metrics._families";
static SAMPLE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static EXEMPLAR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static FAMILY: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The text to parse, kept alive (and immutable) while the GIL is released.
pub(crate) enum Text {
    Str(PyBackedStr),
    Bytes(PyBackedBytes),
    Owned(String),
}

impl Text {
    /// A `str`, or `bytes`/`bytearray` holding UTF-8.
    pub(crate) fn from_py(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(s) = value.cast::<PyString>() {
            return s.extract().map(Text::Str).map_err(|e| unencodable(s, e));
        }
        if value.is_instance_of::<PyBytes>() || value.is_instance_of::<pyo3::types::PyByteArray>() {
            return Ok(Text::Bytes(value.extract()?));
        }
        Err(wrong_type("text", "a str or bytes", value))
    }

    /// The text as `str`; bytes that are not UTF-8 are a parse error at the
    /// first bad byte.
    fn as_str(&self) -> Result<&str, ParseError> {
        match self {
            Text::Str(s) => Ok(s),
            Text::Owned(s) => Ok(s),
            Text::Bytes(b) => std::str::from_utf8(b).map_err(|e| {
                let valid = &b[..e.valid_up_to()];
                let line_start = valid.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1);
                let column = String::from_utf8_lossy(&valid[line_start..]).chars().count() + 1;
                ParseError {
                    line: valid.iter().filter(|&&c| c == b'\n').count() + 1,
                    column,
                    message: "invalid UTF-8: exposition text must be UTF-8".to_owned(),
                }
            }),
        }
    }
}

/// A `str` that is not valid Unicode text (a lone surrogate, which UTF-8
/// cannot encode) as a `ParseError` at that character, as invalid UTF-8 in
/// `bytes` is; `error` (the `UnicodeEncodeError`) when its place is unknown.
fn unencodable(text: &Bound<'_, PyString>, error: PyErr) -> PyErr {
    let py = text.py();
    let Ok(start) = error.value(py).getattr("start").and_then(|s| s.extract::<usize>()) else {
        return error;
    };
    // Everything before `start` is valid, so the lossy copy is exact there.
    let lossy = text.to_string_lossy();
    let end = lossy.char_indices().nth(start).map_or(lossy.len(), |(i, _)| i);
    let before = &lossy[..end];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let line = before.matches('\n').count() + 1;
    let message = "a lone surrogate: exposition text must be valid Unicode".to_owned();
    parse_error(py, ParseError { line, column, message })
}

/// A `parse` format name: `auto`, `prometheus` or `openmetrics`.
pub(crate) fn parse_format_arg(value: Option<&Bound<'_, PyAny>>) -> PyResult<ParseFormat> {
    let Some(value) = value else {
        return Ok(ParseFormat::Auto);
    };
    let name = value.cast::<PyString>().map_err(|_| wrong_type("format", "a str", value))?;
    name.to_cow()?.parse::<ParseFormat>().map_err(|e| UNKNOWN_FORMAT_ERROR.msg(value.py(), e.to_string()))
}

/// A core parse error as `ParseError(message, line, column)`.
pub(crate) fn parse_error(py: Python<'_>, e: ParseError) -> PyErr {
    PARSE_ERROR.err(py, (e.message, e.line, e.column), &[])
}

/// Parses exposition text into a list of `MetricFamily`.
///
/// `format` is `"auto"` (OpenMetrics when the last line is `# EOF`, else
/// Prometheus 0.0.4), `"prometheus"` or `"openmetrics"` (strict 1.0). Invalid
/// text raises `ParseError` with the line and column of the first problem.
#[pyfunction]
#[pyo3(signature = (text, *, format=None), text_signature = "(text, *, format='auto')")]
pub(crate) fn parse<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    format: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let format = parse_format_arg(format)?;
    let text = Text::from_py(text)?;
    parse_text(py, &text, format)
}

/// Parses `text` without the GIL, then builds the Python families.
pub(crate) fn parse_text<'py>(py: Python<'py>, text: &Text, format: ParseFormat) -> PyResult<Bound<'py, PyList>> {
    let parsed = detach(py, || {
        let text = text.as_str()?;
        let resolved = format.detect(text);
        core_parse(text, resolved).map(|families| (families, resolved))
    })?;
    let (families, resolved) = parsed.map_err(|e| parse_error(py, e))?;
    let built = {
        let _paused = GcPause::new(py)?;
        Builder::new(py, resolved == ParseFormat::Prometheus)?.families(&families)
    };
    detach(py, move || drop(families))?;
    built
}

/// The `MetricFamily` objects of already parsed (or collected) families, as
/// `parse` returns them.
pub(crate) fn build_families<'py>(py: Python<'py>, families: &[MetricFamily<'_>]) -> PyResult<Bound<'py, PyList>> {
    Builder::new(py, false)?.families(families)
}

static GC_ENABLE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static GC_DISABLE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static GC_ISENABLED: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Pauses the cyclic garbage collector while the families are built.
///
/// Building allocates hundreds of thousands of tuples and dicts; each
/// allocation counts towards a collection, and the full collections it
/// triggers traverse every `Sample` made so far (a tuple holding a dict
/// stays tracked), only to find nothing: the new objects form no cycles.
/// That was 40% of the time of a 200,000-sample parse. The collector's
/// state is restored afterwards; it is only ever re-enabled if this guard
/// disabled it.
struct GcPause<'py> {
    py: Python<'py>,
    was_enabled: bool,
}

impl<'py> GcPause<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        let was_enabled = GC_ISENABLED.import(py, "gc", "isenabled")?.call0()?.is_truthy()?;
        if was_enabled {
            GC_DISABLE.import(py, "gc", "disable")?.call0()?;
        }
        Ok(GcPause { py, was_enabled })
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if self.was_enabled {
            if let Ok(enable) = GC_ENABLE.import(self.py, "gc", "enable") {
                let _ = enable.call0();
            }
        }
    }
}

/// Builds the Python objects of one parse, sharing repeated strings.
struct Builder<'py> {
    py: Python<'py>,
    sample_type: Bound<'py, PyType>,
    sample_alloc: ffi::allocfunc,
    exemplar_type: Bound<'py, PyType>,
    family_type: Bound<'py, PyType>,
    /// Prometheus 0.0.4 counters are presented as OpenMetrics ones.
    munge_counters: bool,
    /// Label names by position in the previous sample (the usual case: every
    /// sample of a family has the same names in the same order).
    recent_keys: Vec<(String, Bound<'py, PyString>)>,
    keys: HashMap<String, Bound<'py, PyString>>,
}

impl<'py> Builder<'py> {
    fn new(py: Python<'py>, munge_counters: bool) -> PyResult<Self> {
        let sample_type = SAMPLE.import(py, FAMILIES_MODULE, "Sample")?.clone();
        if !sample_type.is_subclass_of::<PyTuple>()? {
            return Err(pyo3::exceptions::PyRuntimeError::new_err("loki_metrics._families.Sample is not a tuple"));
        }
        // SAFETY: `Sample` is a heap type (a class statement), for which
        // `PyType_GetSlot` is valid on every supported Python; a tuple
        // subclass always has a `tp_alloc` (inherited `PyType_GenericAlloc`).
        let slot = unsafe { ffi::PyType_GetSlot(sample_type.as_type_ptr(), ffi::Py_tp_alloc) };
        if slot.is_null() {
            return Err(pyo3::exceptions::PyRuntimeError::new_err("Sample has no tp_alloc"));
        }
        // SAFETY: the `Py_tp_alloc` slot holds an `allocfunc`.
        let sample_alloc = unsafe { std::mem::transmute::<*mut std::ffi::c_void, ffi::allocfunc>(slot) };
        Ok(Builder {
            py,
            sample_type,
            sample_alloc,
            exemplar_type: EXEMPLAR.import(py, FAMILIES_MODULE, "Exemplar")?.clone(),
            family_type: FAMILY.import(py, FAMILIES_MODULE, "MetricFamily")?.clone(),
            munge_counters,
            recent_keys: Vec::new(),
            keys: HashMap::new(),
        })
    }

    fn families(&mut self, families: &[MetricFamily<'_>]) -> PyResult<Bound<'py, PyList>> {
        let out = families.iter().map(|f| self.family(f)).collect::<PyResult<Vec<_>>>()?;
        PyList::new(self.py, out)
    }

    fn family(&mut self, family: &MetricFamily<'_>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let mut name: &str = &family.name;
        let mut sample_suffix = "";
        // prometheus_client's parser presents a 0.0.4 counter as OpenMetrics
        // does: the family without `_total`, its samples with it.
        if self.munge_counters && family.metric_type == MetricType::Counter {
            match name.strip_suffix("_total") {
                Some(base) => name = base,
                None => sample_suffix = "_total",
            }
        }
        // Sample names of one family are few (the name and its suffixes).
        let mut sample_names: Vec<(&str, Bound<'py, PyString>)> = Vec::new();
        let mut samples = Vec::with_capacity(family.samples.len());
        for sample in &family.samples {
            let sample_name = match sample_names.iter().find(|(n, _)| *n == sample.name.as_ref()) {
                Some((_, s)) => s.clone(),
                None => {
                    let s = if sample_suffix.is_empty() {
                        PyString::new(py, &sample.name)
                    } else {
                        PyString::new(py, &format!("{}{sample_suffix}", sample.name))
                    };
                    sample_names.push((sample.name.as_ref(), s.clone()));
                    s
                }
            };
            samples.push(self.sample(sample_name, sample)?);
        }
        let documentation = family.help.as_deref().unwrap_or("");
        let unit = family.unit.as_deref().unwrap_or("");
        let samples = PyList::new(py, samples)?;
        self.family_type.call1((name, documentation, family.metric_type.as_str(), unit, samples))
    }

    fn sample(&mut self, name: Bound<'py, PyString>, sample: &Sample<'_>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let labels = self.labels(&sample.labels)?.into_any();
        let value = PyFloat::new(py, sample.value).into_any();
        let timestamp = match sample.timestamp {
            Some(t) => PyFloat::new(py, t).into_any(),
            None => py.None().into_bound(py),
        };
        let exemplar = match &sample.exemplar {
            Some(e) => self.exemplar(e)?,
            None => py.None().into_bound(py),
        };
        let items = [name.into_any(), labels, value, timestamp, exemplar, py.None().into_bound(py)];
        // SAFETY: `sample_alloc` is `Sample`'s `tp_alloc`, which returns a new
        // reference to a zero-filled tuple of the size asked for (or NULL with
        // an exception set). Each `PyTuple_SetItem` fills one slot of that
        // fresh, unshared tuple and steals the item's reference, exactly as
        // `tuple.__new__(Sample, items)` does.
        unsafe {
            let tuple = (self.sample_alloc)(self.sample_type.as_type_ptr(), items.len() as ffi::Py_ssize_t);
            let tuple = Bound::from_owned_ptr_or_err(py, tuple)?;
            for (i, item) in items.into_iter().enumerate() {
                if ffi::PyTuple_SetItem(tuple.as_ptr(), i as ffi::Py_ssize_t, item.into_ptr()) != 0 {
                    return Err(PyErr::fetch(py));
                }
            }
            Ok(tuple)
        }
    }

    fn exemplar(&mut self, exemplar: &Exemplar<'_>) -> PyResult<Bound<'py, PyAny>> {
        let labels = self.labels(&exemplar.labels)?;
        self.exemplar_type.call1((labels, exemplar.value, exemplar.timestamp))
    }

    fn labels(&mut self, labels: &[loki_metrics::parse::Label<'_>]) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(self.py);
        for (i, (k, v)) in labels.iter().enumerate() {
            let key = self.key(i, k)?;
            dict.set_item(key, PyString::new(self.py, v))?;
        }
        Ok(dict)
    }

    /// The shared Python string of label name `k` at position `i`.
    fn key(&mut self, i: usize, k: &str) -> PyResult<Bound<'py, PyString>> {
        if let Some((name, s)) = self.recent_keys.get(i) {
            if name == k {
                return Ok(s.clone());
            }
        }
        let s = match self.keys.get(k) {
            Some(s) => s.clone(),
            None => {
                let s = PyString::new(self.py, k);
                self.keys.insert(k.to_owned(), s.clone());
                s
            }
        };
        if i < self.recent_keys.len() {
            self.recent_keys[i] = (k.to_owned(), s.clone());
        } else {
            self.recent_keys.push((k.to_owned(), s.clone()));
        }
        Ok(s)
    }
}

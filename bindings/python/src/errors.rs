//! Core errors mapped to the Python exceptions of `loki_metrics._errors`,
//! each variant on purpose.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// The module that defines the exception classes (they need two bases,
/// which `create_exception!` cannot express).
const ERRORS_MODULE: &str = "loki_metrics._errors";

/// One exception class of [`ERRORS_MODULE`], imported on first use.
pub(crate) struct ExceptionClass {
    name: &'static str,
    class: PyOnceLock<Py<PyType>>,
}

impl ExceptionClass {
    pub(crate) const fn new(name: &'static str) -> Self {
        ExceptionClass { name, class: PyOnceLock::new() }
    }

    fn get<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyType>> {
        self.class.import(py, ERRORS_MODULE, self.name)
    }

    /// The exception with `args`, its attributes set from `attrs`.
    pub(crate) fn err<'py, A>(&self, py: Python<'py>, args: A, attrs: &[(&str, Bound<'py, PyAny>)]) -> PyErr
    where
        A: pyo3::call::PyCallArgs<'py>,
    {
        let build = || -> PyResult<PyErr> {
            let value = self.get(py)?.call1(args)?;
            for (name, attr) in attrs {
                value.setattr(*name, attr)?;
            }
            Ok(PyErr::from_value(value))
        };
        build().unwrap_or_else(|e| e)
    }

    /// The exception with one message argument.
    pub(crate) fn msg(&self, py: Python<'_>, message: impl Into<String>) -> PyErr {
        self.err(py, (message.into(),), &[])
    }
}

/// `LokiMetricsError`.
pub(crate) static LOKI_METRICS_ERROR: ExceptionClass = ExceptionClass::new("LokiMetricsError");
/// `ArgumentError(LokiMetricsError, ValueError)`.
pub(crate) static ARGUMENT_ERROR: ExceptionClass = ExceptionClass::new("ArgumentError");
/// `UnknownFormatError(ArgumentError)`.
pub(crate) static UNKNOWN_FORMAT_ERROR: ExceptionClass = ExceptionClass::new("UnknownFormatError");

/// Maps an error of the core's API (always a bad argument).
pub(crate) fn core_error(py: Python<'_>, error: loki_metrics::Error) -> PyErr {
    match error {
        loki_metrics::Error::UnknownFormat(_) => UNKNOWN_FORMAT_ERROR.msg(py, error.to_string()),
        loki_metrics::Error::InvalidTimestamp(_) | loki_metrics::Error::InvalidOption { .. } => {
            ARGUMENT_ERROR.msg(py, error.to_string())
        }
        // A variant added to the core later: still one of ours, never bare.
        _ => LOKI_METRICS_ERROR.msg(py, error.to_string()),
    }
}

/// `TypeError("<what> must be <expected>, not <type>")`.
pub(crate) fn wrong_type(what: &str, expected: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let type_name = got.get_type().qualname().map(|n| n.to_string()).unwrap_or_else(|_| "object".to_owned());
    PyTypeError::new_err(format!("{what} must be {expected}, not {type_name}"))
}

/// Runs `f` without the GIL (file I/O, encoding, parsing, network waits), so
/// other Python threads run meanwhile. A panic in the core becomes a
/// `LokiMetricsError`, never a `PanicException`.
pub(crate) fn detach<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: Send + FnOnce() -> T,
    T: Send,
{
    py.detach(|| catch_unwind(AssertUnwindSafe(f))).map_err(|payload| internal_error(py, payload.as_ref()))
}

fn internal_error(py: Python<'_>, payload: &(dyn Any + Send)) -> PyErr {
    // The panic message is for a bug report, not for the user's error path.
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let err = LOKI_METRICS_ERROR.msg(py, "internal error in the loki-metrics core (please report it)");
    if !detail.is_empty() {
        let _ = err.value(py).setattr("detail", detail);
    }
    err
}

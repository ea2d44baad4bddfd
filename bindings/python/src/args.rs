//! Python arguments turned into the core's types, with a `TypeError` for a
//! wrong type and an `ArgumentError` (a `ValueError`) for a refused value.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use loki_metrics::{Format, OptionInputs, Options};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyType};

use crate::errors::{core_error, wrong_type, ARGUMENT_ERROR};

/// The collection options shared by `collect`, `render`, `Collector` and `serve`.
pub(crate) struct OptionArgs<'a, 'py> {
    pub loki_dir: Option<&'a Bound<'py, PyAny>>,
    pub max_iterations: Option<&'a Bound<'py, PyAny>>,
    pub now: Option<&'a Bound<'py, PyAny>>,
    pub json_size_cap: Option<&'a Bound<'py, PyAny>>,
    pub exporter_metrics: Option<bool>,
    pub stale_after: Option<&'a Bound<'py, PyAny>>,
}

impl OptionArgs<'_, '_> {
    /// The core's options. `loki_dir=None` is env `LOKI_DIR`, else `./.loki`;
    /// `exporter_metrics=None` is env `LOKI_METRICS_EXPORTER_METRICS`.
    pub(crate) fn to_options(&self, py: Python<'_>) -> PyResult<Options> {
        let inputs = OptionInputs {
            loki_dir: self.loki_dir.map(|dir| path_arg("loki_dir", dir)).transpose()?,
            max_iterations: self.max_iterations.map(|max| positive_int("max_iterations", max)).transpose()?,
            json_size_cap: self.json_size_cap.map(|cap| positive_int("json_size_cap", cap)).transpose()?,
            now: self.now.map(|now| time_arg(py, now)).transpose()?,
            exporter_metrics: self.exporter_metrics,
            stale_after: self.stale_after.map(|age| seconds_arg("stale_after", age)).transpose()?,
        };
        inputs.resolve().map_err(|e| core_error(py, e))
    }
}

/// A `str` or `os.PathLike` giving a `str`.
///
/// What `os.fspath` raises for a path-like object (its `__fspath__` failing,
/// or returning another type) and a `str` that cannot be encoded (a lone
/// surrogate) propagate as Python's own errors; a NUL byte, which no file name
/// can hold, is an `ArgumentError`, as `open()` makes it a `ValueError`.
pub(crate) fn path_arg(what: &str, value: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    let path = value.extract::<PathBuf>().map_err(|e| {
        if value.is_instance_of::<PyString>() || value.hasattr("__fspath__").unwrap_or(false) {
            e
        } else {
            wrong_type(what, "a str or os.PathLike", value)
        }
    })?;
    if path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err(ARGUMENT_ERROR.msg(value.py(), format!("{what} contains a NUL byte: {path:?}")));
    }
    Ok(path)
}

/// An `int`, or an object with `__index__` (e.g. a NumPy integer), as the
/// `int` it stands for; `None` for a `bool` or any other type. What
/// `__index__` raises propagates.
pub(crate) fn int_like<'py>(value: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyInt>>> {
    if value.is_instance_of::<PyBool>() {
        return Ok(None);
    }
    if let Ok(int) = value.cast::<PyInt>() {
        return Ok(Some(int.clone()));
    }
    if value.is_instance_of::<PyFloat>() || value.is_instance_of::<PyString>() || !value.hasattr("__index__")? {
        return Ok(None);
    }
    // SAFETY: `PyNumber_Index` takes a borrowed object and returns a new
    // reference to an `int` (or NULL with an exception set).
    let index = unsafe { Bound::from_owned_ptr_or_err(value.py(), pyo3::ffi::PyNumber_Index(value.as_ptr()))? };
    Ok(Some(index.cast_into::<PyInt>()?))
}

/// A `str`.
pub(crate) fn str_arg(what: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    let s = value.cast::<PyString>().map_err(|_| wrong_type(what, "a str", value))?;
    Ok(s.to_cow()?.into_owned())
}

/// A positive `int` or `__index__` object (a `bool` is refused, although
/// Python counts it as an int).
pub(crate) fn positive_int(what: &str, value: &Bound<'_, PyAny>) -> PyResult<u64> {
    let py = value.py();
    let Some(int) = int_like(value)? else {
        return Err(wrong_type(what, "an int", value));
    };
    match int.extract::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ARGUMENT_ERROR.msg(py, format!("{what} must be a positive int, got {value}"))),
    }
}

static TIMEDELTA: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A duration: a non-negative, finite number of seconds (`int`, `__index__`
/// object or `float`) or a non-negative `datetime.timedelta`.
pub(crate) fn seconds_arg(what: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let py = value.py();
    let refused =
        || ARGUMENT_ERROR.msg(py, format!("{what} must be a finite, non-negative number of seconds, got {value}"));
    let seconds: f64 = if value.is_instance_of::<PyFloat>() {
        value.extract()?
    } else if let Some(int) = int_like(value)? {
        // An int too large for a float is out of range, like any other.
        int.extract().map_err(|_| refused())?
    } else if value.is_instance(TIMEDELTA.import(py, "datetime", "timedelta")?)? {
        // Exact: timedelta's days, seconds and microseconds are integers
        // (seconds and microseconds never negative, days only when it is).
        let days: i64 = value.getattr("days")?.extract()?;
        let seconds: u64 = value.getattr("seconds")?.extract()?;
        let micros: u32 = value.getattr("microseconds")?.extract()?;
        let days = u64::try_from(days).map_err(|_| refused())?;
        return Ok(Duration::new(days * 86_400 + seconds, micros * 1_000));
    } else {
        return Err(wrong_type(what, "a number of seconds (int or float) or a timedelta", value));
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| refused())
}

/// An output format name: `prometheus`, `openmetrics` or `json`.
pub(crate) fn format_arg(value: &Bound<'_, PyAny>) -> PyResult<Format> {
    let name = value.cast::<PyString>().map_err(|_| wrong_type("format", "a str", value))?;
    name.to_cow()?.parse::<Format>().map_err(|e| core_error(value.py(), e))
}

static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static EPOCH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// `now`: an aware `datetime` (naive is UTC), epoch seconds as `int` or
/// `float`, or an RFC 3339 `str`.
pub(crate) fn time_arg(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    let expected = "a datetime, epoch seconds (int or float) or an RFC 3339 str";
    if value.is_instance_of::<PyBool>() {
        return Err(wrong_type("now", expected, value));
    }
    if let Ok(text) = value.cast::<PyString>() {
        return loki_metrics::parse_rfc3339(&text.to_cow()?).map_err(|e| core_error(py, e));
    }
    let out_of_range = || ARGUMENT_ERROR.msg(py, format!("now={value} is out of range"));
    if value.is_instance_of::<PyInt>() {
        let seconds: i64 = value.extract().map_err(|_| out_of_range())?;
        return offset_from_epoch(i128::from(seconds) * 1_000_000).ok_or_else(out_of_range);
    }
    if value.is_instance_of::<PyFloat>() {
        let seconds: f64 = value.extract()?;
        if !seconds.is_finite() || seconds.abs() > 1e15 {
            return Err(ARGUMENT_ERROR.msg(py, format!("now must be finite epoch seconds, got {value}")));
        }
        // Within ±1e15 s the product fits an i128 exactly enough (µs).
        return offset_from_epoch((seconds * 1e6).round() as i128).ok_or_else(out_of_range);
    }
    let datetime = DATETIME.import(py, "datetime", "datetime")?;
    if value.is_instance(datetime)? {
        let epoch = EPOCH.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
            let utc = py.import("datetime")?.getattr("timezone")?.getattr("utc")?;
            Ok(datetime.call1((1970, 1, 1, 0, 0, 0, 0, utc))?.unbind())
        })?;
        let aware = if value.call_method0("utcoffset")?.is_none() {
            let kwargs = pyo3::types::PyDict::new(py);
            kwargs.set_item("tzinfo", epoch.bind(py).getattr("tzinfo")?)?;
            value.call_method("replace", (), Some(&kwargs))?
        } else {
            value.clone()
        };
        // Exact: timedelta's days, seconds and microseconds are integers.
        let delta = aware.sub(epoch.bind(py))?;
        let days: i64 = delta.getattr("days")?.extract()?;
        let seconds: i64 = delta.getattr("seconds")?.extract()?;
        let micros: i64 = delta.getattr("microseconds")?.extract()?;
        let total = (i128::from(days) * 86_400 + i128::from(seconds)) * 1_000_000 + i128::from(micros);
        return offset_from_epoch(total).ok_or_else(out_of_range);
    }
    Err(wrong_type("now", expected, value))
}

fn offset_from_epoch(micros: i128) -> Option<SystemTime> {
    let magnitude = Duration::from_micros(u64::try_from(micros.unsigned_abs()).ok()?);
    if micros >= 0 {
        UNIX_EPOCH.checked_add(magnitude)
    } else {
        UNIX_EPOCH.checked_sub(magnitude)
    }
}

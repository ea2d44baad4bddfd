//! Arguments from JavaScript: the directory, option objects, `now`, formats.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use loki_metrics::{Format, Options};
use napi::bindgen_prelude::*;
use napi::{sys, JsDate, JsValue, ValueType};
use napi_derive::napi;

use crate::error::{js_number, NodeError};

/// `now` as JavaScript gives it: a `Date`, epoch milliseconds, or RFC 3339 text.
#[derive(Debug, Clone, PartialEq)]
pub enum Now {
    Millis(f64),
    Rfc3339(String),
}

impl TypeName for Now {
    fn type_name() -> &'static str {
        "Date | number | string"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ValidateNapiValue for Now {}

impl FromNapiValue for Now {
    unsafe fn from_napi_value(env: napi::sys::napi_env, value: napi::sys::napi_value) -> napi::Result<Self> {
        // SAFETY: napi hands us a live value of this env.
        let unknown = unsafe { Unknown::from_raw_unchecked(env, value) };
        match unknown.get_type()? {
            ValueType::Number => Ok(Now::Millis(unsafe { unknown.cast::<f64>() }?)),
            ValueType::String => Ok(Now::Rfc3339(unsafe { unknown.cast::<String>() }?)),
            ValueType::Object if unknown.is_date()? => {
                let date: JsDate = unsafe { unknown.cast() }?;
                Ok(Now::Millis(date.value_of()?))
            }
            _ => Err(napi::Error::new(
                Status::InvalidArg,
                "now must be a Date, epoch milliseconds or an RFC 3339 string",
            )),
        }
    }
}

impl Now {
    pub fn to_system_time(&self) -> std::result::Result<SystemTime, NodeError> {
        match self {
            Now::Rfc3339(text) => loki_metrics::parse_rfc3339(text).map_err(|e| NodeError::arg_value("now", e)),
            Now::Millis(ms) if ms.is_finite() => {
                // `try_from`: `Duration::from_secs_f64` panics (and aborts the process) past u64 seconds.
                let time = Duration::try_from_secs_f64(ms.abs() / 1000.0).ok().and_then(|offset| {
                    if *ms >= 0.0 {
                        SystemTime::UNIX_EPOCH.checked_add(offset)
                    } else {
                        SystemTime::UNIX_EPOCH.checked_sub(offset)
                    }
                });
                time.ok_or_else(|| NodeError::arg_value("now", format!("{} ms is out of range", js_number(*ms))))
            }
            Now::Millis(ms) => Err(NodeError::arg_value("now", format!("{} is not a finite time", js_number(*ms)))),
        }
    }
}

/// Options of `collect` and `collectAsync`.
#[napi(object, object_to_js = false)]
#[derive(Debug, Default)]
pub struct CollectOptions {
    /// `loki_iteration_max`; default: env `LOKI_MAX_ITERATIONS`, else 1000.
    pub max_iterations: Option<f64>,
    /// The clock for `loki_uptime_seconds`: a `Date`, epoch milliseconds, or RFC 3339 text.
    #[napi(ts_type = "Date | number | string")]
    pub now: Option<Now>,
    /// JSON sources larger than this many bytes are skipped with a warning (default 64 MiB).
    pub json_size_cap: Option<f64>,
    /// Also report `loki_source_error`, `loki_scrape_duration_seconds`, `loki_exporter_build_info`.
    pub exporter_metrics: Option<bool>,
    /// How old `dashboard-state.json` may be, in milliseconds, and still show the session as
    /// running when no liveness file exists; default: env `LOKI_METRICS_STALE_AFTER` (seconds), else 60000.
    pub stale_after_ms: Option<f64>,
}

/// Options of `render` and `renderAsync`: the collection options and the format.
#[napi(object, object_to_js = false)]
#[derive(Debug, Default)]
pub struct RenderOptions {
    /// `'prometheus'` (text 0.0.4, the default), `'openmetrics'` (1.0.0) or `'json'`.
    #[napi(ts_type = "Format")]
    pub format: Option<String>,
    /// As in `collect`; used only when the source is a directory.
    pub max_iterations: Option<f64>,
    /// As in `collect`; used only when the source is a directory.
    #[napi(ts_type = "Date | number | string")]
    pub now: Option<Now>,
    /// As in `collect`; used only when the source is a directory.
    pub json_size_cap: Option<f64>,
    /// As in `collect`; used only when the source is a directory.
    pub exporter_metrics: Option<bool>,
    /// As in `collect`; used only when the source is a directory.
    pub stale_after_ms: Option<f64>,
}

impl RenderOptions {
    pub fn collect_options(&self) -> CollectOptions {
        CollectOptions {
            max_iterations: self.max_iterations,
            now: self.now.clone(),
            json_size_cap: self.json_size_cap,
            exporter_metrics: self.exporter_metrics,
            stale_after_ms: self.stale_after_ms,
        }
    }
}

/// Converts argument `name` with napi's `FromNapiValue`. What a getter or
/// Proxy trap of the object throws is rethrown as it is, as JavaScript
/// functions do; any other failure is `ERR_INVALID_ARG_TYPE`, worded
/// `The "<name>" argument <problem>: <napi's reason>`.
pub fn convert_arg<T: FromNapiValue>(name: &str, value: &Unknown, problem: &str) -> std::result::Result<T, NodeError> {
    let env = value.value().env;
    // SAFETY: `value` is a live value of the current env.
    unsafe { T::from_napi_value(env, value.raw()) }.map_err(|e| {
        NodeError::rethrow_pending(env, name).unwrap_or_else(|| {
            NodeError::new(
                crate::error::ERR_INVALID_ARG_TYPE,
                format!("The \"{name}\" argument {problem}: {}", e.reason),
            )
        })
    })
}

/// The option names an options object may have (its fields, camelCase).
pub trait OptionKeys {
    /// Every name, as JavaScript spells it.
    const KEYS: &'static [&'static str];
}

/// The enumerable property names of `value` (own and inherited, as `for...in`).
pub fn property_names(name: &str, value: &Unknown) -> std::result::Result<Vec<String>, NodeError> {
    let env = value.value().env;
    let rethrown =
        |e: napi::Error| NodeError::rethrow_pending(env, name).unwrap_or_else(|| NodeError::arg_value(name, e.reason));
    // SAFETY: the caller checked that `value` is an object.
    let object: Object = unsafe { value.cast() }.map_err(rethrown)?;
    let names = object.get_property_names().map_err(rethrown)?;
    let len = names.get_array_length().map_err(rethrown)?;
    (0..len).map(|i| names.get_element::<String>(i).map_err(rethrown)).collect()
}

/// Reads an optional options object (see [`convert_arg`]); a property that
/// is not one of its options is an error naming it.
pub fn object_arg<T: FromNapiValue + Default + OptionKeys>(
    name: &str,
    value: Option<Unknown>,
) -> std::result::Result<T, NodeError> {
    let Some(value) = value else { return Ok(T::default()) };
    match value.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => Ok(T::default()),
        Ok(ValueType::Object) => {
            // Converted first: what a getter of a known option throws comes first.
            let options = convert_arg(name, &value, "is invalid")?;
            let keys = property_names(name, &value)?;
            loki_metrics::check_option_names(keys.iter().map(String::as_str), T::KEYS)
                .map_err(|e| NodeError::arg_value(name, e))?;
            Ok(options)
        }
        Ok(other) => Err(NodeError::arg_type(name, "an object", other)),
        Err(e) => Err(NodeError::arg_value(name, e.reason)),
    }
}

/// An optional string argument (`undefined` and `null` are `None`).
pub fn string_arg(name: &str, value: Option<Unknown>) -> std::result::Result<Option<String>, NodeError> {
    let Some(value) = value else { return Ok(None) };
    match value.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => Ok(None),
        Ok(ValueType::String) => utf8_of(&value).map(Some).map_err(|e| NodeError::arg_value(name, e.reason)),
        Ok(other) => Err(NodeError::arg_type(name, "of type string", other)),
        Err(e) => Err(NodeError::arg_value(name, e.reason)),
    }
}

/// A required string argument.
pub fn required_string_arg(name: &str, value: Unknown) -> std::result::Result<String, NodeError> {
    match value.get_type() {
        Ok(ValueType::String) => utf8_of(&value).map_err(|e| NodeError::arg_value(name, e.reason)),
        Ok(other) => Err(NodeError::arg_type(name, "of type string", other)),
        Err(e) => Err(NodeError::arg_value(name, e.reason)),
    }
}

/// The UTF-8 of a JavaScript string, in one pass over it when it can.
///
/// napi-rs's `String` conversion first asks V8 for the UTF-8 length, a pass
/// over the whole string that costs three times the copy itself (for a 25 MB
/// exposition text, about 10 ms of a 100 ms `parse`). The length in UTF-16
/// units is known without a pass, and a buffer of that plus a quarter holds
/// the UTF-8 of every text that is mostly ASCII; the UTF-8 length is asked
/// for only when the copy may not have fit. The buffer's unused tail is
/// never written, so it costs address space, not memory.
fn utf8_of(value: &Unknown<'_>) -> Result<String> {
    let (env, value) = (value.value().env, value.value().value);
    let mut units = 0;
    // SAFETY: `env` and `value` (a string: the callers checked) belong to
    // the current call; a null buffer asks for the length in UTF-16 units.
    check(unsafe { sys::napi_get_value_string_utf16(env, value, std::ptr::null_mut(), 0, &mut units) })?;
    if let Some(s) = write_utf8(env, value, units.saturating_add(units / 4).saturating_add(8))? {
        return Ok(s);
    }
    let mut len = 0;
    // SAFETY: as above; a null buffer asks for the length in UTF-8 bytes.
    check(unsafe { sys::napi_get_value_string_utf8(env, value, std::ptr::null_mut(), 0, &mut len) })?;
    write_utf8(env, value, len.saturating_add(5))?
        .ok_or_else(|| Error::new(Status::GenericFailure, "the string's UTF-8 was longer than Node-API said"))
}

/// The string's UTF-8 written into a buffer of `capacity` bytes, or `None`
/// when it may not all have fit.
fn write_utf8(env: sys::napi_env, value: sys::napi_value, capacity: usize) -> Result<Option<String>> {
    let mut buf: Vec<u8> = Vec::with_capacity(capacity);
    let mut written = 0;
    // SAFETY: `buf` has room for `capacity` bytes; napi writes at most
    // `capacity - 1` of the string's UTF-8 (whole characters only, lone
    // surrogates replaced by U+FFFD) and a NUL after them, and says how many
    // it wrote before the NUL.
    check(unsafe { sys::napi_get_value_string_utf8(env, value, buf.as_mut_ptr().cast(), capacity, &mut written) })?;
    // A character is at most 4 bytes: with 4 bytes left over, the next one
    // would have fit, so there was none.
    if written.saturating_add(4) > capacity.saturating_sub(1) {
        return Ok(None);
    }
    // SAFETY: napi initialised the first `written` bytes (`written` is below
    // the capacity, as just checked).
    unsafe { buf.set_len(written) };
    debug_assert!(std::str::from_utf8(&buf).is_ok());
    // SAFETY: Node-API's contract: `napi_get_value_string_utf8` writes
    // UTF-8, whole characters only, with lone surrogates replaced (napi-rs's
    // own `String` conversion rests on the same). Checking it again would be
    // a second pass over the text as long as the copy itself (2.5 ms for
    // 25 MB); debug builds still check.
    Ok(Some(unsafe { String::from_utf8_unchecked(buf) }))
}

/// A napi status as a `Result`.
fn check(status: sys::napi_status) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(Status::from(status), "could not read the string"))
    }
}

/// A format name (`undefined` is Prometheus text).
pub fn format_arg(name: &str, value: Option<&str>) -> std::result::Result<Format, NodeError> {
    match value {
        None => Ok(Format::Prometheus),
        Some(text) => text.parse().map_err(|e: loki_metrics::Error| NodeError::arg_value(name, e)),
    }
}

/// A positive integer that a JS number can hold exactly.
pub fn count_arg(name: &str, value: f64, min: f64) -> std::result::Result<u64, NodeError> {
    if value.fract() != 0.0 || !(min..=9_007_199_254_740_991.0).contains(&value) {
        return Err(NodeError::new(
            crate::error::ERR_INVALID_ARG_VALUE,
            format!("The \"{name}\" option must be an integer >= {min}. Received {}", js_number(value)),
        ));
    }
    // The range check above makes the cast exact.
    Ok(value as u64)
}

/// A number of milliseconds as a `Duration`: finite, > 0 (`min_exclusive`) or
/// >= 0, and at most what a `Duration` holds (about 5.8e14 years).
pub fn millis_arg(name: &str, ms: f64, min_exclusive: bool) -> std::result::Result<Duration, NodeError> {
    let low_ok = if min_exclusive { ms > 0.0 } else { ms >= 0.0 };
    match Duration::try_from_secs_f64(ms / 1000.0) {
        Ok(duration) if low_ok => Ok(duration),
        _ => Err(NodeError::arg_value(
            name,
            format!(
                "must be a finite number of milliseconds {} 0. Received {}",
                if min_exclusive { ">" } else { ">=" },
                js_number(ms)
            ),
        )),
    }
}

/// Core options from a directory and JS options, by the core's one set of
/// rules (`OptionInputs::resolve`: else `LOKI_DIR`, else `./.loki`, ...).
pub fn core_options(dir: Option<String>, opts: &CollectOptions) -> std::result::Result<Options, NodeError> {
    let inputs = loki_metrics::OptionInputs {
        loki_dir: dir.map(PathBuf::from),
        max_iterations: opts.max_iterations.map(|max| count_arg("maxIterations", max, 1.0)).transpose()?,
        json_size_cap: opts.json_size_cap.map(|cap| count_arg("jsonSizeCap", cap, 0.0)).transpose()?,
        now: opts.now.as_ref().map(Now::to_system_time).transpose()?,
        exporter_metrics: opts.exporter_metrics,
        stale_after: opts.stale_after_ms.map(|ms| millis_arg("staleAfterMs", ms, false)).transpose()?,
    };
    Ok(inputs.resolve()?)
}

/// The directory of an options object that takes it as `lokiDir` or, as
/// shipped, `dir` (both given and different is an error).
pub fn dir_option(dir: Option<String>, loki_dir: Option<String>) -> std::result::Result<Option<String>, NodeError> {
    match (dir, loki_dir) {
        (Some(a), Some(b)) if a != b => {
            Err(NodeError::arg_value("opts", format!("lokiDir {b:?} and its alias dir {a:?} disagree: give one")))
        }
        (dir, loki_dir) => Ok(loki_dir.or(dir)),
    }
}

impl OptionKeys for CollectOptions {
    const KEYS: &'static [&'static str] = &["maxIterations", "now", "jsonSizeCap", "exporterMetrics", "staleAfterMs"];
}

impl OptionKeys for RenderOptions {
    const KEYS: &'static [&'static str] =
        &["format", "maxIterations", "now", "jsonSizeCap", "exporterMetrics", "staleAfterMs"];
}

//! Encoding: `loki_render` (from a directory), `loki_render_snapshot`, and
//! the owned `loki_string` they return.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use loki_metrics::Format;

use crate::boundary::{guard, guard_value, loki_status, ref_arg, str_arg, write_out, Failure};
use crate::options::loki_options;
use crate::snapshot::{loki_snapshot, options_args};

/// Output formats of `loki_render*`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum loki_format {
    /// Prometheus text format 0.0.4.
    Prometheus = 0,
    /// OpenMetrics text format 1.0.0.
    Openmetrics = 1,
    /// The snapshot as JSON, warnings included.
    Json = 2,
}

/// The core format for a C format code.
pub(crate) fn format_arg(format: u32) -> Result<Format, Failure> {
    match format {
        f if f == loki_format::Prometheus as u32 => Ok(Format::Prometheus),
        f if f == loki_format::Openmetrics as u32 => Ok(Format::OpenMetrics),
        f if f == loki_format::Json as u32 => Ok(Format::Json),
        other => Err(Failure::new(
            loki_status::UnknownFormat,
            format!("unknown format code {other}: expected a loki_format (0 prometheus, 1 openmetrics, 2 json)"),
        )),
    }
}

/// A string the library allocated: `len` bytes of UTF-8 at `data`, followed
/// by a NUL (so `data` is also a C string). Release it with `loki_string_free`
/// exactly once; do not change `data` or `len`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug)]
pub struct loki_string {
    /// The bytes; NULL only in a zeroed (empty or freed) string.
    pub data: *mut c_char,
    /// The length in bytes, not counting the trailing NUL.
    pub len: usize,
}

impl loki_string {
    pub(crate) const EMPTY: loki_string = loki_string { data: std::ptr::null_mut(), len: 0 };

    /// Takes ownership of `text`, appending the NUL.
    pub(crate) fn from_string(text: String) -> Self {
        let mut bytes = text.into_bytes();
        bytes.push(0);
        let len = bytes.len() - 1;
        let data = Box::into_raw(bytes.into_boxed_slice()).cast::<c_char>();
        loki_string { data, len }
    }

    /// A new copy of `text`.
    pub(crate) fn from_str(text: &str) -> Self {
        let mut bytes = Vec::with_capacity(text.len() + 1);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(0);
        let len = text.len();
        let data = Box::into_raw(bytes.into_boxed_slice()).cast::<c_char>();
        loki_string { data, len }
    }
}

/// Encodes the `.loki` directory `dir` in `format` (a `loki_format`) and
/// stores the text in `*out`: one collection and one encoding, as the CLI's
/// `loki-metrics render` does.
///
/// `dir`, `dir_len` and `options` are as for `loki_collect`. On failure `*out`
/// is zeroed.
///
/// # Safety
/// `dir` must point to `dir_len` readable bytes or be NULL; `options` must be
/// NULL or valid; `out` must be valid for writes. Free `*out` with
/// `loki_string_free`.
#[no_mangle]
pub unsafe extern "C" fn loki_render(
    dir: *const c_char,
    dir_len: usize,
    options: *const loki_options,
    format: u32,
    out: *mut loki_string,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, loki_string::EMPTY, "out") }?;
        let format = format_arg(format)?;
        // SAFETY: forwarded from the caller.
        let options = unsafe { options_args(dir, dir_len, options) }?;
        let text = loki_metrics::render(&loki_metrics::collect(&options), format);
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(loki_string::from_string(text)) };
        Ok(())
    })
}

/// Encodes `snapshot` in `format`.
///
/// # Safety
/// `snapshot` must be a live snapshot; `out` must be valid for writes.
/// Free `*out` with `loki_string_free`.
#[no_mangle]
pub unsafe extern "C" fn loki_render_snapshot(
    snapshot: *const loki_snapshot,
    format: u32,
    out: *mut loki_string,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, loki_string::EMPTY, "out") }?;
        // SAFETY: the caller guarantees validity.
        let snapshot = unsafe { ref_arg(snapshot, "snapshot") }?;
        let format = format_arg(format)?;
        let text = loki_metrics::render(snapshot.core(), format);
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(loki_string::from_string(text)) };
        Ok(())
    })
}

/// Releases a string returned by the library and zeroes `*string`. NULL, a
/// zeroed string and an already freed one are no-ops.
///
/// # Safety
/// `string` must be NULL or point to a `loki_string` filled by this library
/// (or zeroed), unmodified, not freed through a copy, and not used
/// concurrently.
#[no_mangle]
pub unsafe extern "C" fn loki_string_free(string: *mut loki_string) {
    guard_value((), || {
        // SAFETY: the caller guarantees NULL or a valid, exclusive string.
        let Some(string) = (unsafe { string.as_mut() }) else { return };
        let owned = std::mem::replace(string, loki_string::EMPTY);
        if !owned.data.is_null() {
            let slice = std::ptr::slice_from_raw_parts_mut(owned.data.cast::<u8>(), owned.len + 1);
            // SAFETY: `data` came from `Box::into_raw` of a boxed slice of
            // `len + 1` bytes (`loki_string::from_*`) and is freed only here.
            drop(unsafe { Box::from_raw(slice) });
        }
    })
}

/// Looks up a format by name (`prometheus`, `openmetrics`, `json`, and the
/// aliases `text`, `0.0.4`, `om`; any case) and stores its `loki_format`
/// code in `*format`. Returns `LOKI_STATUS_UNKNOWN_FORMAT` for anything else.
///
/// # Safety
/// `name` must point to `len` readable bytes (or be NULL with `len` 0);
/// `format` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_format_from_name(name: *const c_char, len: usize, format: *mut u32) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `len` readable bytes.
        let name = unsafe { str_arg(name, len, "name") }?;
        let code = match name.parse::<Format>()? {
            Format::Prometheus => loki_format::Prometheus,
            Format::OpenMetrics => loki_format::Openmetrics,
            Format::Json => loki_format::Json,
        };
        // SAFETY: the caller guarantees `format` is NULL or writable.
        unsafe { write_out(format, code as u32, "format") }
    })
}

/// The HTTP `Content-Type` of `format` (a `loki_format`), as a static C
/// string; NULL for an unknown code.
#[no_mangle]
pub extern "C" fn loki_format_content_type(format: u32) -> *const c_char {
    guard_value(std::ptr::null(), || {
        static TYPES: OnceLock<Vec<CString>> = OnceLock::new();
        let types = TYPES.get_or_init(|| {
            [Format::Prometheus, Format::OpenMetrics, Format::Json]
                .into_iter()
                .map(|f| CString::new(f.content_type()).unwrap_or_default())
                .collect()
        });
        usize::try_from(format).ok().and_then(|i| types.get(i)).map_or(std::ptr::null(), |t| t.as_ptr())
    })
}

//! The edge between C and Rust: the status enum, the thread-local last error,
//! the panic boundary every export runs inside, and the checks that turn raw
//! C arguments into Rust references.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The result of every fallible `loki_` call. `LOKI_STATUS_OK` is 0; on any
/// other value `loki_last_error_message()` says what went wrong.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum loki_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL (or NULL with a non-zero length).
    NullArgument = 1,
    /// A text argument was not valid UTF-8.
    InvalidUtf8 = 2,
    /// A format code or name that is not one of the `loki_format` /
    /// `loki_parse_format` values.
    UnknownFormat = 3,
    /// A `loki_options` field (or a Collector's cache TTL) outside its range.
    InvalidOption = 4,
    /// A timestamp that is not RFC 3339.
    InvalidTimestamp = 5,
    /// The directory does not exist or is not a directory (only with
    /// `LOKI_OPTION_REQUIRE_DIRECTORY`; otherwise either is a snapshot
    /// warning). The message says which: `no such directory`, `not a
    /// directory`, or `cannot be read: ` and the system's reason.
    DirectoryNotFound = 6,
    /// The text is not a valid exposition; the message starts with `line:column:`
    /// and `loki_last_error_position()` gives both numbers.
    ParseError = 7,
    /// An index past the end (family, sample, label or warning).
    OutOfRange = 8,
    /// Any other argument outside its domain (a length over `PTRDIFF_MAX`, a
    /// `loki_options.size` too small to hold its `size`).
    InvalidArgument = 9,
    /// An internal error (a bug in the library): a Rust panic, stopped at the
    /// C boundary. The library remains usable.
    Panic = 10,
    /// `loki_snapshot_value`: the snapshot has no sample of that name and labels.
    NotFound = 11,
}

/// Why a call failed: its status, the message for `loki_last_error_message`,
/// and for parse errors the 1-based line and column.
#[derive(Debug)]
pub(crate) struct Failure {
    status: loki_status,
    message: String,
    position: Option<(usize, usize)>,
}

impl Failure {
    pub(crate) fn new(status: loki_status, message: impl Into<String>) -> Self {
        Failure { status, message: message.into(), position: None }
    }

    pub(crate) fn at(mut self, line: usize, column: usize) -> Self {
        self.position = Some((line, column));
        self
    }

    pub(crate) fn null(what: &str) -> Self {
        Failure::new(loki_status::NullArgument, format!("{what} is NULL"))
    }
}

impl From<loki_metrics::Error> for Failure {
    fn from(error: loki_metrics::Error) -> Self {
        use loki_metrics::Error;
        let status = match &error {
            Error::UnknownFormat(_) => loki_status::UnknownFormat,
            Error::InvalidTimestamp(_) => loki_status::InvalidTimestamp,
            Error::InvalidOption { .. } | Error::UnknownOption { .. } => loki_status::InvalidOption,
            _ => loki_status::InvalidArgument,
        };
        Failure::new(status, error.to_string())
    }
}

struct LastError {
    /// NUL-terminated; empty when the thread's last call succeeded.
    message: CString,
    position: Option<(usize, usize)>,
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> = RefCell::new(LastError { message: CString::default(), position: None });
}

fn set_last_error(message: &str, position: Option<(usize, usize)>) {
    // A message never contains NUL in practice; if one does, it must not cut
    // the C string short silently.
    let message = CString::new(message.replace('\0', "\u{fffd}")).unwrap_or_default();
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = LastError { message, position });
}

fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|last| {
        let mut last = last.borrow_mut();
        if !last.message.is_empty() || last.position.is_some() {
            *last = LastError { message: CString::default(), position: None };
        }
    });
}

/// The thread's last error message (empty if the last fallible call succeeded).
pub(crate) fn last_error_ptr() -> *const c_char {
    // The CString lives in the thread-local until the next fallible call on
    // this thread replaces it; the pointer is valid until then.
    LAST_ERROR.try_with(|last| last.borrow().message.as_ptr()).unwrap_or(c"".as_ptr())
}

pub(crate) fn last_error_position() -> Option<(usize, usize)> {
    LAST_ERROR.try_with(|last| last.borrow().position).ok().flatten()
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    format!("internal error (panic in loki-metrics, please report it): {detail}")
}

/// Runs the body of a fallible export: a panic becomes `LOKI_STATUS_PANIC`, an
/// `Err` its status; either sets the thread's last error, success clears it.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Failure>) -> loki_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            clear_last_error();
            loki_status::Ok
        }
        Ok(Err(failure)) => {
            set_last_error(&failure.message, failure.position);
            failure.status
        }
        Err(payload) => {
            set_last_error(&panic_message(payload.as_ref()), None);
            loki_status::Panic
        }
    }
}

/// Runs the body of an infallible export (a free, a count): a panic yields
/// `fallback` and sets the last error.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            set_last_error(&panic_message(payload.as_ref()), None);
            fallback
        }
    }
}

/// The bytes of a `(pointer, length)` argument: `(NULL, 0)` is empty,
/// `(NULL, n > 0)` is `LOKI_STATUS_NULL_ARGUMENT`.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that stay unchanged for `'a`.
pub(crate) unsafe fn bytes_arg<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(Failure::null(what)) };
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(loki_status::InvalidArgument, format!("{what}: length {len} exceeds PTRDIFF_MAX")));
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// A `(pointer, length)` text argument, validated as UTF-8.
///
/// # Safety
/// As [`bytes_arg`].
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { bytes_arg(ptr, len, what) }?;
    std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(loki_status::InvalidUtf8, format!("{what} is not valid UTF-8 (at byte {})", e.valid_up_to()))
    })
}

/// A required input pointer.
///
/// # Safety
/// A non-NULL `ptr` must point to a valid, initialised `T` for `'a`.
pub(crate) unsafe fn ref_arg<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller guarantees a non-NULL pointer is valid.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// Writes `value` through a required output pointer.
///
/// # Safety
/// A non-NULL `ptr` must be valid for a write of `T` (it need not be initialised).
pub(crate) unsafe fn write_out<T>(ptr: *mut T, value: T, what: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: non-NULL and writable, as the caller guarantees; `write` does not
    // drop the (possibly uninitialised) old value.
    unsafe { ptr.write(value) };
    Ok(())
}

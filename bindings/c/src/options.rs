//! `loki_options`: what to read and how, as plain C data, and the RFC 3339
//! helper that fills its clock.

use std::ffi::c_char;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::path::PathBuf;

use loki_metrics::{OptionInputs, Options};

use crate::boundary::{guard, loki_status, str_arg, write_out, Failure};

/// `loki_options.flags`: use `now_seconds` + `now_nanoseconds` as the clock
/// instead of the system clock (for reproducible `loki_uptime_seconds`).
pub const LOKI_OPTION_NOW: u32 = 1;
/// `loki_options.flags`: also emit `loki_source_error`,
/// `loki_scrape_duration_seconds` and `loki_exporter_build_info`.
pub const LOKI_OPTION_EXPORTER_METRICS: u32 = 1 << 1;
/// `loki_options.flags`: fail with `LOKI_STATUS_DIRECTORY_NOT_FOUND` when the
/// directory does not exist or is not a directory, instead of returning
/// fallback values and a warning. A collector checks once, when it is made.
pub const LOKI_OPTION_REQUIRE_DIRECTORY: u32 = 1 << 2;

/// `loki_options.flags`: `max_iterations` is given even when it is 0 (and so
/// refused with `LOKI_STATUS_INVALID_OPTION`, as in every front end). Without
/// it, 0 means "not given" (a zero-initialised `loki_options`).
pub const LOKI_OPTION_MAX_ITERATIONS: u32 = 1 << 3;
/// `loki_options.flags`: `json_size_cap` is given even when it is 0 (and so
/// refused). Without it, 0 means "not given": the default, 64 MiB.
pub const LOKI_OPTION_JSON_SIZE_CAP: u32 = 1 << 4;
/// `loki_options.flags`: `stale_after_ms` is given even when it is 0 (a
/// state of any age shows a stopped session). Without it, 0 means "not
/// given": env `LOKI_METRICS_STALE_AFTER` (seconds), else 60 s.
pub const LOKI_OPTION_STALE_AFTER: u32 = 1 << 5;

const KNOWN_FLAGS: u32 = LOKI_OPTION_NOW
    | LOKI_OPTION_EXPORTER_METRICS
    | LOKI_OPTION_REQUIRE_DIRECTORY
    | LOKI_OPTION_MAX_ITERATIONS
    | LOKI_OPTION_JSON_SIZE_CAP
    | LOKI_OPTION_STALE_AFTER;

/// Options of a collection. Initialise it with `LOKI_OPTIONS_INIT` (its
/// `size`, every other field zero: every default), then set what you need;
/// passing NULL also means every default.
///
/// The struct only ever grows at its end: the library reads `size` bytes of
/// it, so a program built against an older, shorter `loki_options` keeps
/// working (the fields it does not know are "not given"), and a program
/// built against a newer one gets `LOKI_STATUS_INVALID_OPTION` if it sets a
/// field this library does not know.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct loki_options {
    /// `sizeof(loki_options)` as the caller was compiled (`LOKI_OPTIONS_INIT` sets it).
    pub size: usize,
    /// A bitwise OR of `LOKI_OPTION_*` values; other bits are refused.
    pub flags: u32,
    /// `loki_iteration_max`; 0 (without `LOKI_OPTION_MAX_ITERATIONS`) reads
    /// env `LOKI_MAX_ITERATIONS` at each collection (an invalid value there is
    /// a warning and 1000).
    pub max_iterations: u64,
    /// JSON sources larger than this many bytes are skipped with a warning;
    /// 0 (without `LOKI_OPTION_JSON_SIZE_CAP`) means the default, 64 MiB.
    pub json_size_cap: u64,
    /// With `LOKI_OPTION_NOW`: the clock, in whole seconds since the Unix epoch
    /// (negative before 1970). See `loki_parse_rfc3339`.
    pub now_seconds: i64,
    /// With `LOKI_OPTION_NOW`: nanoseconds added to `now_seconds`, below 1e9.
    pub now_nanoseconds: u32,
    /// How old `dashboard-state.json` may be, in milliseconds, and still show
    /// the session as running when no liveness file exists; 0 (without
    /// `LOKI_OPTION_STALE_AFTER`) reads env `LOKI_METRICS_STALE_AFTER`
    /// (seconds; an invalid value is `LOKI_STATUS_INVALID_OPTION`), else 60 s.
    pub stale_after_ms: u64,
}

/// The caller's options: NULL is `None`; otherwise its first `size` bytes,
/// the rest of this library's struct zero.
///
/// # Safety
/// A non-NULL `options` must point to `options->size` readable bytes.
pub(crate) unsafe fn read_options(options: *const loki_options) -> Result<Option<loki_options>, Failure> {
    if options.is_null() {
        return Ok(None);
    }
    const SIZE_FIELD: usize = std::mem::size_of::<usize>();
    // SAFETY: every `loki_options` starts with its `size`, readable by the contract.
    let size = unsafe { options.cast::<usize>().read_unaligned() };
    if size < SIZE_FIELD {
        return Err(Failure::new(
            loki_status::InvalidArgument,
            format!("loki_options.size is {size}: initialise the options with LOKI_OPTIONS_INIT"),
        ));
    }
    let ours = std::mem::size_of::<loki_options>();
    let bytes = options.cast::<u8>();
    if size > ours {
        // SAFETY: `size` bytes are readable by the contract.
        let unknown = unsafe { std::slice::from_raw_parts(bytes.add(ours), size - ours) };
        if unknown.iter().any(|&b| b != 0) {
            return Err(invalid(format!(
                "loki_options: bytes {ours}..{size} set options this library ({}) does not know",
                loki_metrics::VERSION
            )));
        }
    }
    let mut out = loki_options::default();
    // SAFETY: `min(size, ours)` bytes are readable (the contract) and writable
    // (our struct); every bit pattern is a valid `loki_options` field.
    unsafe { std::ptr::copy_nonoverlapping(bytes, (&mut out as *mut loki_options).cast::<u8>(), size.min(ours)) };
    Ok(Some(out))
}

/// The core options for `dir` (already validated) and `options` (NULL =
/// defaults), by the core's one set of rules (`OptionInputs::resolve`: the
/// directory, else env `LOKI_DIR`, else `./.loki`; exporter metrics, else env
/// `LOKI_METRICS_EXPORTER_METRICS`; ...).
pub(crate) fn core_options(dir: Option<&str>, options: Option<&loki_options>) -> Result<Options, Failure> {
    let o = options.copied().unwrap_or_default();
    let unknown = o.flags & !KNOWN_FLAGS;
    if unknown != 0 {
        return Err(invalid(format!("loki_options.flags: unknown bits {unknown:#x}")));
    }
    let given = |flag: u32, value: u64| (o.flags & flag != 0 || value != 0).then_some(value);
    let inputs = OptionInputs {
        loki_dir: dir.map(PathBuf::from),
        max_iterations: given(LOKI_OPTION_MAX_ITERATIONS, o.max_iterations),
        json_size_cap: given(LOKI_OPTION_JSON_SIZE_CAP, o.json_size_cap),
        now: match o.flags & LOKI_OPTION_NOW {
            0 => None,
            _ => Some(system_time(o.now_seconds, o.now_nanoseconds)?),
        },
        exporter_metrics: (o.flags & LOKI_OPTION_EXPORTER_METRICS != 0).then_some(true),
        stale_after: given(LOKI_OPTION_STALE_AFTER, o.stale_after_ms).map(Duration::from_millis),
    };
    Ok(inputs.resolve()?)
}

pub(crate) fn require_directory(options: Option<&loki_options>, core: &Options) -> Result<(), Failure> {
    let required = options.is_some_and(|o| o.flags & LOKI_OPTION_REQUIRE_DIRECTORY != 0);
    if !required {
        return Ok(());
    }
    let dir = core.loki_dir.display();
    let why = match std::fs::metadata(&core.loki_dir) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => "not a directory".to_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "no such directory".to_owned(),
        Err(e) => format!("cannot be read: {e}"),
    };
    Err(Failure::new(loki_status::DirectoryNotFound, format!("{dir}: {why}")))
}

fn invalid(message: String) -> Failure {
    Failure::new(loki_status::InvalidOption, message)
}

fn system_time(seconds: i64, nanoseconds: u32) -> Result<SystemTime, Failure> {
    if nanoseconds >= 1_000_000_000 {
        return Err(invalid(format!("loki_options.now_nanoseconds: {nanoseconds} is not below 1e9")));
    }
    let time = if seconds >= 0 {
        UNIX_EPOCH.checked_add(Duration::new(seconds.unsigned_abs(), nanoseconds))
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(seconds.unsigned_abs()))
            .and_then(|t| t.checked_add(Duration::from_nanos(nanoseconds.into())))
    };
    time.ok_or_else(|| invalid(format!("loki_options.now_seconds: {seconds} is out of range")))
}

/// Seconds (floored) and nanoseconds since the Unix epoch.
fn epoch_parts(time: SystemTime) -> (i64, u32) {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => (i64::try_from(after.as_secs()).unwrap_or(i64::MAX), after.subsec_nanos()),
        Err(before) => {
            let before = before.duration();
            let seconds = i64::try_from(before.as_secs()).map(|s| -s).unwrap_or(i64::MIN);
            match before.subsec_nanos() {
                0 => (seconds, 0),
                n => (seconds.saturating_sub(1), 1_000_000_000 - n),
            }
        }
    }
}

/// Parses an RFC 3339 timestamp (`2026-01-05T10:00:00Z`, or with a numeric
/// offset) into seconds since the Unix epoch (floored) and nanoseconds, as
/// `loki_options.now_seconds` / `now_nanoseconds` take them.
///
/// Returns `LOKI_STATUS_INVALID_TIMESTAMP` for anything else.
///
/// # Safety
/// `text` must point to `len` readable bytes (or be NULL with `len` 0);
/// `seconds` and `nanoseconds` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_parse_rfc3339(
    text: *const c_char,
    len: usize,
    seconds: *mut i64,
    nanoseconds: *mut u32,
) -> loki_status {
    guard(|| {
        if seconds.is_null() || nanoseconds.is_null() {
            return Err(Failure::null("seconds or nanoseconds"));
        }
        // SAFETY: the caller guarantees `len` readable bytes.
        let text = unsafe { str_arg(text, len, "text") }?;
        let (s, n) = epoch_parts(loki_metrics::parse_rfc3339(text)?);
        // SAFETY: both checked non-NULL above; the caller guarantees validity.
        unsafe {
            write_out(seconds, s, "seconds")?;
            write_out(nanoseconds, n, "nanoseconds")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_parts_round_trip_before_and_after_1970() {
        for (s, n) in [(0, 0), (1_767_607_200, 500), (-1, 999_999_999), (-86_400, 0), (-5, 1)] {
            let time = system_time(s, n).expect("in range");
            assert_eq!(epoch_parts(time), (s, n));
        }
    }
}

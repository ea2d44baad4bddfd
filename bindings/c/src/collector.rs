//! `loki_collector`: the core's caching, single-flight Collector behind an
//! opaque handle.

use std::ffi::c_char;
use std::time::Duration;

use loki_metrics::Collector;

use crate::boundary::{guard, guard_value, loki_status, ref_arg, write_out, Failure};
use crate::options::loki_options;
use crate::render::{format_arg, loki_string};
use crate::snapshot::{loki_snapshot, options_args};

/// A caching collector of one `.loki` directory (opaque).
///
/// Thread safety: one collector may be used from many threads at once
/// (`collect`, `render`, `invalidate`, `collections`); concurrent callers
/// share one directory read. `loki_collector_free` must not race with them.
#[allow(non_camel_case_types)]
pub struct loki_collector {
    inner: Collector,
}

/// The cache TTL for `seconds`, refusing negative, NaN and infinite values.
fn ttl_arg(seconds: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        Failure::new(
            loki_status::InvalidOption,
            format!("cache_ttl_seconds {seconds} must be a finite number of seconds >= 0"),
        )
    })
}

/// Creates a collector of `dir` that reads the directory at most once per
/// `cache_ttl_seconds` (0 disables the cache; 2.0 is the exporter's default)
/// and stores it in `*out`. `dir`, `dir_len` and `options` are as for
/// `loki_collect`; the options are copied.
///
/// On failure `*out` is set to NULL. Free the collector with `loki_collector_free`.
///
/// # Safety
/// `dir` must point to `dir_len` readable bytes or be NULL; `options` must be
/// NULL or valid; `out` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_collector_new(
    dir: *const c_char,
    dir_len: usize,
    options: *const loki_options,
    cache_ttl_seconds: f64,
    out: *mut *mut loki_collector,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        // SAFETY: forwarded from the caller.
        let options = unsafe { options_args(dir, dir_len, options) }?;
        let ttl = ttl_arg(cache_ttl_seconds)?;
        let collector = Box::new(loki_collector { inner: Collector::new(options, ttl) });
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(Box::into_raw(collector)) };
        Ok(())
    })
}

/// Stores in `*out` the cached snapshot if it is fresh, else a new
/// collection. Free it with `loki_snapshot_free`. On failure `*out` is set
/// to NULL.
///
/// # Safety
/// `collector` must be a live collector; `out` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_collector_collect(
    collector: *const loki_collector,
    out: *mut *mut loki_snapshot,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        // SAFETY: the caller guarantees a live collector.
        let collector = unsafe { ref_arg(collector, "collector") }?;
        let snapshot = loki_snapshot::new(collector.inner.collect());
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(Box::into_raw(snapshot)) };
        Ok(())
    })
}

/// Stores in `*out` a copy of the cached snapshot's encoding in `format` (a
/// `loki_format`), collecting first if the cache is stale. Free `*out` with
/// `loki_string_free`. On failure `*out` is zeroed.
///
/// # Safety
/// `collector` must be a live collector; `out` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_collector_render(
    collector: *const loki_collector,
    format: u32,
    out: *mut loki_string,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, loki_string::EMPTY, "out") }?;
        // SAFETY: the caller guarantees a live collector.
        let collector = unsafe { ref_arg(collector, "collector") }?;
        let format = format_arg(format)?;
        let text = collector.inner.render(format);
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(loki_string::from_str(&text)) };
        Ok(())
    })
}

/// Drops the cached result, so the next call reads the directory again.
///
/// # Safety
/// `collector` must be a live collector.
#[no_mangle]
pub unsafe extern "C" fn loki_collector_invalidate(collector: *const loki_collector) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees a live collector.
        unsafe { ref_arg(collector, "collector") }?.inner.invalidate();
        Ok(())
    })
}

/// How many times the collector has read the directory (0 for NULL).
///
/// # Safety
/// `collector` must be NULL or a live collector.
#[no_mangle]
pub unsafe extern "C" fn loki_collector_collections(collector: *const loki_collector) -> u64 {
    // SAFETY: the caller guarantees NULL or a live collector.
    guard_value(0, || unsafe { collector.as_ref() }.map_or(0, |c| c.inner.collections()))
}

/// Destroys a collector. NULL is a no-op.
///
/// # Safety
/// `collector` must be NULL or a collector from `loki_collector_new` not yet
/// freed, with no call on it running in another thread.
#[no_mangle]
pub unsafe extern "C" fn loki_collector_free(collector: *mut loki_collector) {
    guard_value((), || {
        if !collector.is_null() {
            // SAFETY: from `Box::into_raw` in `loki_collector_new`, freed once.
            drop(unsafe { Box::from_raw(collector) });
        }
    })
}

//! `loki_snapshot`: one collection, as an opaque handle read through
//! functions (the families as data, any value by name and labels, the
//! warnings and failed sources as paths). Nothing here names a family: a
//! family added to the core's catalogue is there with no new symbol.

use std::ffi::c_char;
use std::sync::Arc;

use loki_metrics::{SampleValue, Snapshot};

use crate::boundary::{guard, guard_value, loki_status, ref_arg, str_arg, write_out, Failure};
use crate::loki_str;
use crate::options::{core_options, loki_options, read_options, require_directory};

/// One collection of a `.loki` directory (opaque). Immutable once made, so it
/// may be read from several threads at once; free it with
/// `loki_snapshot_free`.
#[allow(non_camel_case_types)]
pub struct loki_snapshot {
    inner: Arc<Snapshot>,
    /// Each warning's message with a trailing NUL, for C callers who want a C string.
    messages: Vec<Box<str>>,
    /// Each source path (of warnings and failed sources) with a trailing NUL.
    paths: Vec<(&'static str, Box<str>)>,
}

impl loki_snapshot {
    pub(crate) fn new(inner: Arc<Snapshot>) -> Box<Self> {
        let messages = inner.warnings.iter().map(|w| format!("{}\0", w.message).into_boxed_str()).collect();
        let paths =
            loki_metrics::Source::ALL.iter().map(|s| (s.path(), format!("{}\0", s.path()).into_boxed_str())).collect();
        Box::new(loki_snapshot { inner, messages, paths })
    }

    pub(crate) fn core(&self) -> &Snapshot {
        &self.inner
    }

    /// The NUL-terminated copy of a source path.
    fn path(&self, path: &str) -> loki_str {
        let copy = self.paths.iter().find(|(p, _)| *p == path).map_or("\0", |(_, c)| c);
        loki_str { data: copy.as_ptr().cast(), len: copy.len() - 1 }
    }
}

/// A label name and value (for `loki_snapshot_value`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct loki_label {
    /// The label name.
    pub name: loki_str,
    /// The label value.
    pub value: loki_str,
}

/// The `.loki` directory argument: `(NULL, 0)` means `Options::from_env`
/// (`LOKI_DIR`, else `./.loki`).
///
/// # Safety
/// As `bytes_arg`.
pub(crate) unsafe fn dir_arg<'a>(dir: *const c_char, dir_len: usize) -> Result<Option<&'a str>, Failure> {
    if dir.is_null() && dir_len == 0 {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { str_arg(dir, dir_len, "dir") }.map(Some)
}

/// The core options for a C `(dir, dir_len, options)` triple.
///
/// # Safety
/// As `bytes_arg` for `dir`; `options` NULL or valid.
pub(crate) unsafe fn options_args(
    dir: *const c_char,
    dir_len: usize,
    options: *const loki_options,
) -> Result<loki_metrics::Options, Failure> {
    // SAFETY: forwarded from the caller.
    let dir = unsafe { dir_arg(dir, dir_len) }?;
    // SAFETY: the caller guarantees a non-NULL `options` is valid for its `size`.
    let c_options = unsafe { read_options(options) }?;
    let core = core_options(dir, c_options.as_ref())?;
    require_directory(c_options.as_ref(), &core)?;
    Ok(core)
}

/// Reads the `.loki` directory `dir` once and stores the snapshot in `*out`.
///
/// `dir` is `dir_len` bytes of UTF-8 (no NUL needed); `(NULL, 0)` reads
/// `LOKI_DIR`, else `./.loki`. `options` may be NULL for every default.
/// Problems in the directory (a missing directory included, unless
/// `LOKI_OPTION_REQUIRE_DIRECTORY`) are not errors: they are warnings in the
/// snapshot, with the specification's fallback values.
///
/// Free `*out` with `loki_snapshot_free`. On failure `*out` is set to NULL.
///
/// # Safety
/// `dir` must point to `dir_len` readable bytes or be NULL; `options` must be
/// NULL or point to a `loki_options` of `options->size` readable bytes; `out`
/// must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_collect(
    dir: *const c_char,
    dir_len: usize,
    options: *const loki_options,
    out: *mut *mut loki_snapshot,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        // SAFETY: forwarded from the caller.
        let options = unsafe { options_args(dir, dir_len, options) }?;
        let snapshot = loki_snapshot::new(Arc::new(loki_metrics::collect(&options)));
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(Box::into_raw(snapshot)) };
        Ok(())
    })
}

/// Releases a snapshot. NULL is a no-op.
///
/// # Safety
/// `snapshot` must be NULL or a live snapshot, not used afterwards (nor by
/// another thread meanwhile).
#[no_mangle]
pub unsafe extern "C" fn loki_snapshot_free(snapshot: *mut loki_snapshot) {
    guard_value((), || {
        if !snapshot.is_null() {
            // SAFETY: from `Box::into_raw` in `loki_collect` /
            // `loki_collector_collect`, released only here.
            drop(unsafe { Box::from_raw(snapshot) });
        }
    })
}

/// Stores in `*out` the value of the sample `name` (a sample name such as
/// `loki_tasks_total`, or an OpenMetrics family name such as `loki_events`)
/// whose labels are exactly the `label_count` pairs at `labels` (in any
/// order; `(NULL, 0)` for none). `LOKI_STATUS_NOT_FOUND` when the snapshot
/// has no such sample; `*out` is then 0. Counts above 2^53 are rounded, as in
/// every f64 (no `.loki` directory gets there).
///
/// # Safety
/// `snapshot` must be a live snapshot; `name` must point to `name_len`
/// readable bytes; `labels` must point to `label_count` labels whose strings
/// are readable; `out` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_snapshot_value(
    snapshot: *const loki_snapshot,
    name: *const c_char,
    name_len: usize,
    labels: *const loki_label,
    label_count: usize,
    out: *mut f64,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, 0.0, "out") }?;
        // SAFETY: the caller guarantees a live snapshot and readable strings.
        let snapshot = unsafe { ref_arg(snapshot, "snapshot") }?;
        let name = unsafe { str_arg(name, name_len, "name") }?;
        let labels: &[loki_label] = match (labels.is_null(), label_count) {
            (_, 0) => &[],
            (true, _) => return Err(Failure::null("labels")),
            // SAFETY: the caller guarantees `label_count` labels at `labels`.
            (false, n) => unsafe { std::slice::from_raw_parts(labels, n) },
        };
        let mut pairs = Vec::with_capacity(labels.len());
        for label in labels {
            // SAFETY: the caller guarantees each label's strings are readable.
            let k = unsafe { str_arg(label.name.data, label.name.len, "labels[].name") }?;
            let v = unsafe { str_arg(label.value.data, label.value.len, "labels[].value") }?;
            pairs.push((k, v));
        }
        let value = snapshot.core().value(name, &pairs).ok_or_else(|| {
            Failure::new(loki_status::NotFound, format!("no sample {name:?} with these {} labels", pairs.len()))
        })?;
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(value.to_f64()) };
        Ok(())
    })
}

/// The metric families of `snapshot`, in output order, in a new handle
/// stored in `*out`: the same families `loki_parse` reads from the
/// snapshot's OpenMetrics rendering, read with `loki_families_family`,
/// `loki_families_sample` and `loki_families_label`, released with
/// `loki_families_free`. On failure `*out` is set to NULL.
///
/// # Safety
/// `snapshot` must be a live snapshot; `out` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_snapshot_families(
    snapshot: *const loki_snapshot,
    out: *mut *mut crate::parse::loki_families,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        // SAFETY: the caller guarantees a live snapshot.
        let snapshot = unsafe { ref_arg(snapshot, "snapshot") }?;
        let families = snapshot.core().families().iter().map(|f| f.to_f64()).collect();
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(Box::into_raw(crate::parse::loki_families::owned(families))) };
        Ok(())
    })
}

/// How many warnings `snapshot` has (0 for NULL).
///
/// # Safety
/// `snapshot` must be NULL or a live snapshot.
#[no_mangle]
pub unsafe extern "C" fn loki_snapshot_warning_count(snapshot: *const loki_snapshot) -> usize {
    // SAFETY: the caller guarantees NULL or a live snapshot.
    guard_value(0, || unsafe { snapshot.as_ref() }.map_or(0, |s| s.core().warnings.len()))
}

/// Warning number `index` (from 0) of `snapshot`: stores the path of its
/// source relative to the `.loki` directory (`.` for the directory itself) in
/// `*source` and what was wrong and what was used instead in `*message`, both
/// NUL-terminated and borrowed from the snapshot (valid until
/// `loki_snapshot_free`). `LOKI_STATUS_OUT_OF_RANGE` past the end.
///
/// # Safety
/// `snapshot` must be a live snapshot; `source` and `message` must be valid
/// for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_snapshot_warning(
    snapshot: *const loki_snapshot,
    index: usize,
    source: *mut loki_str,
    message: *mut loki_str,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees validity.
        let snapshot = unsafe { ref_arg(snapshot, "snapshot") }?;
        let count = snapshot.messages.len();
        let (Some(warning), Some(text)) = (snapshot.core().warnings.get(index), snapshot.messages.get(index)) else {
            return Err(Failure::new(
                loki_status::OutOfRange,
                format!("warning index {index} is out of range (the snapshot has {count})"),
            ));
        };
        let text = loki_str { data: text.as_ptr().cast(), len: text.len() - 1 };
        // SAFETY: the caller guarantees both are NULL or writable.
        unsafe {
            write_out(source, snapshot.path(warning.source.path()), "source")?;
            write_out(message, text, "message")
        }
    })
}

/// How many sources of `snapshot` exist but could not be used (0 for NULL).
///
/// # Safety
/// `snapshot` must be NULL or a live snapshot.
#[no_mangle]
pub unsafe extern "C" fn loki_snapshot_failed_source_count(snapshot: *const loki_snapshot) -> usize {
    // SAFETY: the caller guarantees NULL or a live snapshot.
    guard_value(0, || unsafe { snapshot.as_ref() }.map_or(0, |s| s.core().failed_sources().len()))
}

/// Failed source number `index` (from 0, sorted): stores its path relative to
/// the `.loki` directory in `*path`, NUL-terminated and borrowed from the
/// snapshot. `LOKI_STATUS_OUT_OF_RANGE` past the end.
///
/// # Safety
/// `snapshot` must be a live snapshot; `path` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_snapshot_failed_source(
    snapshot: *const loki_snapshot,
    index: usize,
    path: *mut loki_str,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees validity.
        let snapshot = unsafe { ref_arg(snapshot, "snapshot") }?;
        let failed = snapshot.core().failed_sources();
        let source = failed.get(index).ok_or_else(|| {
            Failure::new(
                loki_status::OutOfRange,
                format!("failed source index {index} is out of range (the snapshot has {})", failed.len()),
            )
        })?;
        // SAFETY: the caller guarantees `path` is NULL or writable.
        unsafe { write_out(path, snapshot.path(source.path()), "path") }
    })
}

//! `loki_parse`: exposition text to an opaque `loki_families` handle, read
//! through accessors.

use std::ffi::c_char;
use std::ptr::NonNull;

use loki_metrics::parse::{parse, MetricFamily, MetricType, ParseFormat, Sample};

use crate::boundary::{guard, guard_value, loki_status, ref_arg, str_arg, write_out, Failure};
use crate::loki_str;

/// Input formats of `loki_parse`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum loki_parse_format {
    /// OpenMetrics when the text's last line is `# EOF`, else Prometheus.
    Auto = 0,
    /// Prometheus text format 0.0.4.
    Prometheus = 1,
    /// OpenMetrics 1.0, strictly (every MUST of the specification).
    Openmetrics = 2,
}

/// The type of a metric family.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum loki_metric_type {
    /// `counter`.
    Counter = 0,
    /// `gauge`.
    Gauge = 1,
    /// `histogram`.
    Histogram = 2,
    /// `gaugehistogram` (OpenMetrics only).
    GaugeHistogram = 3,
    /// `summary`.
    Summary = 4,
    /// `stateset` (OpenMetrics only).
    StateSet = 5,
    /// `info` (OpenMetrics only).
    Info = 6,
    /// `unknown` (OpenMetrics), `untyped` (Prometheus 0.0.4), or no TYPE line.
    Unknown = 7,
}

impl From<MetricType> for loki_metric_type {
    fn from(kind: MetricType) -> Self {
        match kind {
            MetricType::Counter => loki_metric_type::Counter,
            MetricType::Gauge => loki_metric_type::Gauge,
            MetricType::Histogram => loki_metric_type::Histogram,
            MetricType::GaugeHistogram => loki_metric_type::GaugeHistogram,
            MetricType::Summary => loki_metric_type::Summary,
            MetricType::StateSet => loki_metric_type::StateSet,
            MetricType::Info => loki_metric_type::Info,
            MetricType::Unknown => loki_metric_type::Unknown,
        }
    }
}

fn parse_format_arg(format: u32) -> Result<ParseFormat, Failure> {
    match format {
        f if f == loki_parse_format::Auto as u32 => Ok(ParseFormat::Auto),
        f if f == loki_parse_format::Prometheus as u32 => Ok(ParseFormat::Prometheus),
        f if f == loki_parse_format::Openmetrics as u32 => Ok(ParseFormat::OpenMetrics),
        other => Err(Failure::new(
            loki_status::UnknownFormat,
            format!(
                "unknown parse format code {other}: expected a loki_parse_format (0 auto, 1 prometheus, 2 openmetrics)"
            ),
        )),
    }
}

/// Parsed metric families (opaque). Their strings point into the input
/// text (`loki_parse`: the handle's own copy of it; `loki_parse_borrowed`: the
/// caller's buffer) or, when unescaped, into their own allocations.
/// Immutable once made, so it may be read from several threads at once.
#[allow(non_camel_case_types)]
pub struct loki_families {
    /// Borrows from the input; declared first, and cleared before `copy` is
    /// freed in `Drop`.
    families: Vec<MetricFamily<'static>>,
    /// The handle's copy of the input (from `Box::into_raw`), or `None` when the
    /// caller's buffer is borrowed. A raw pointer rather than a `Box`, so that
    /// moving this struct asserts nothing about the bytes `families` borrows.
    copy: Option<NonNull<str>>,
}

impl Drop for loki_families {
    fn drop(&mut self) {
        self.families.clear();
        if let Some(copy) = self.copy.take() {
            // SAFETY: from `Box::into_raw` in `loki_families::parse_copy`,
            // released only here, after every borrow of it (in `families`) is gone.
            drop(unsafe { Box::from_raw(copy.as_ptr()) });
        }
    }
}

fn parse_failure(error: loki_metrics::parse::ParseError) -> Failure {
    Failure::new(loki_status::ParseError, error.to_string()).at(error.line, error.column)
}

impl loki_families {
    /// Parses a copy of `text`, which the handle owns.
    fn parse_copy(text: &str, format: ParseFormat) -> Result<Box<Self>, Failure> {
        let copy: *mut str = Box::into_raw(Box::<str>::from(text));
        // SAFETY: `copy` is a live allocation that nothing else references; it
        // is freed only by `Drop` (or below on error), after `families`.
        let borrowed: &'static str = unsafe { &*copy };
        match parse(borrowed, format) {
            Ok(families) => Ok(Box::new(loki_families { families, copy: NonNull::new(copy) })),
            Err(error) => {
                // SAFETY: as in `Drop`; `parse`'s result (the only borrower) is gone.
                drop(unsafe { Box::from_raw(copy) });
                Err(parse_failure(error))
            }
        }
    }

    /// Parses the caller's `text` in place.
    ///
    /// # Safety
    /// `text` must stay alive and unchanged as long as the returned handle.
    unsafe fn parse_borrowed(text: &str, format: ParseFormat) -> Result<Box<Self>, Failure> {
        // SAFETY: the caller keeps `text` alive for the handle's lifetime.
        let text: &'static str = unsafe { &*(text as *const str) };
        let families = parse(text, format).map_err(parse_failure)?;
        Ok(Box::new(loki_families { families, copy: None }))
    }

    /// A handle owning `families` outright (no input text to borrow from).
    pub(crate) fn owned(families: Vec<MetricFamily<'static>>) -> Box<Self> {
        Box::new(loki_families { families, copy: None })
    }

    fn family(&self, index: usize) -> Result<&MetricFamily<'static>, Failure> {
        self.families.get(index).ok_or_else(|| {
            Failure::new(
                loki_status::OutOfRange,
                format!("family index {index} is out of range (there are {})", self.families.len()),
            )
        })
    }

    fn sample(&self, family: usize, sample: usize) -> Result<&Sample<'static>, Failure> {
        let f = self.family(family)?;
        f.samples.get(sample).ok_or_else(|| {
            Failure::new(
                loki_status::OutOfRange,
                format!("sample index {sample} is out of range (family {family} has {})", f.samples.len()),
            )
        })
    }
}

/// One family's metadata, borrowed from its `loki_families`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct loki_family {
    /// The family name (OpenMetrics: without `_total`, `_bucket`, ...).
    pub name: loki_str,
    /// The declared type.
    pub metric_type: loki_metric_type,
    /// The HELP text, unescaped; `data` NULL when absent or empty.
    pub help: loki_str,
    /// The UNIT (OpenMetrics); `data` NULL when absent or empty.
    pub unit: loki_str,
    /// How many samples the family has.
    pub sample_count: usize,
}

/// One sample, borrowed from its `loki_families`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct loki_sample {
    /// The sample name, with its suffix (e.g. `foo_bucket`).
    pub name: loki_str,
    /// How many labels the sample has (read them with `loki_families_label`).
    pub label_count: usize,
    /// The value (`NAN` and infinities included).
    pub value: f64,
    /// Seconds since the epoch (Prometheus milliseconds divided by 1000);
    /// meaningful only when `has_timestamp` is non-zero.
    pub timestamp: f64,
    /// Non-zero when the sample has a timestamp.
    pub has_timestamp: u32,
}

fn borrow(text: &str) -> loki_str {
    loki_str { data: text.as_ptr().cast(), len: text.len() }
}

fn borrow_opt(text: Option<&str>) -> loki_str {
    text.map_or(loki_str::NONE, borrow)
}

/// Parses `len` bytes of exposition text in `format` (a `loki_parse_format`)
/// and stores the families in `*out` (free them with `loki_families_free`).
///
/// The text is copied: it may be released as soon as this returns. A text
/// that is not a valid exposition is `LOKI_STATUS_PARSE_ERROR`; the message
/// (`loki_last_error_message`) starts with `line:column:`, and
/// `loki_last_error_position` gives both. Numbers are read by the core's own
/// parser (never `strtod`), so hex floats and the like are refused as the
/// formats require. On failure `*out` is set to NULL.
///
/// # Safety
/// `text` must point to `len` readable bytes (or be NULL with `len` 0); `out`
/// must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_parse(
    text: *const c_char,
    len: usize,
    format: u32,
    out: *mut *mut loki_families,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        let format = parse_format_arg(format)?;
        // SAFETY: the caller guarantees `len` readable bytes.
        let text = unsafe { str_arg(text, len, "text") }?;
        let families = loki_families::parse_copy(text, format)?;
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(Box::into_raw(families)) };
        Ok(())
    })
}

/// As `loki_parse`, without copying the text: the families point into
/// `text`, which must outlive them. Saves a copy of the input (about 4% of
/// the parse time of a large scrape); prefer `loki_parse` unless that matters.
///
/// # Safety
/// As `loki_parse`, and: the `len` bytes at `text` must stay valid and
/// unmodified until `loki_families_free` of the handle stored in `*out`.
#[no_mangle]
pub unsafe extern "C" fn loki_parse_borrowed(
    text: *const c_char,
    len: usize,
    format: u32,
    out: *mut *mut loki_families,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, std::ptr::null_mut(), "out") }?;
        let format = parse_format_arg(format)?;
        // SAFETY: the caller guarantees `len` readable bytes.
        let text = unsafe { str_arg(text, len, "text") }?;
        // SAFETY: the caller keeps `text` alive and unchanged for the handle.
        let families = unsafe { loki_families::parse_borrowed(text, format) }?;
        // SAFETY: checked non-NULL by the first write.
        unsafe { out.write(Box::into_raw(families)) };
        Ok(())
    })
}

/// How many families `families` holds (0 for NULL).
///
/// # Safety
/// `families` must be NULL or a live handle from `loki_parse`.
#[no_mangle]
pub unsafe extern "C" fn loki_families_count(families: *const loki_families) -> usize {
    // SAFETY: the caller guarantees NULL or a live handle.
    guard_value(0, || unsafe { families.as_ref() }.map_or(0, |f| f.families.len()))
}

/// Family number `family` (from 0, in input order), borrowed from `families`
/// (valid until `loki_families_free`). `LOKI_STATUS_OUT_OF_RANGE` past the end.
///
/// # Safety
/// `families` must be a live handle from `loki_parse`; `out` must be valid
/// for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_families_family(
    families: *const loki_families,
    family: usize,
    out: *mut loki_family,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees a live handle.
        let f = unsafe { ref_arg(families, "families") }?.family(family)?;
        let value = loki_family {
            name: borrow(&f.name),
            metric_type: f.metric_type.into(),
            help: borrow_opt(f.help.as_deref()),
            unit: borrow_opt(f.unit.as_deref()),
            sample_count: f.samples.len(),
        };
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, value, "out") }
    })
}

/// Sample number `sample` of family `family`, borrowed from `families`
/// (valid until `loki_families_free`). `LOKI_STATUS_OUT_OF_RANGE` past the end.
///
/// # Safety
/// `families` must be a live handle from `loki_parse`; `out` must be valid
/// for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_families_sample(
    families: *const loki_families,
    family: usize,
    sample: usize,
    out: *mut loki_sample,
) -> loki_status {
    guard(|| {
        // SAFETY: the caller guarantees a live handle.
        let s = unsafe { ref_arg(families, "families") }?.sample(family, sample)?;
        let value = loki_sample {
            name: borrow(&s.name),
            label_count: s.labels.len(),
            value: s.value,
            timestamp: s.timestamp.unwrap_or(0.0),
            has_timestamp: s.timestamp.is_some().into(),
        };
        // SAFETY: the caller guarantees `out` is NULL or writable.
        unsafe { write_out(out, value, "out") }
    })
}

/// Label number `label` of a sample (in input order, values unescaped):
/// stores its name in `*name` and its value in `*value`, borrowed from
/// `families`. `LOKI_STATUS_OUT_OF_RANGE` past the end.
///
/// # Safety
/// `families` must be a live handle from `loki_parse`; `name` and `value`
/// must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn loki_families_label(
    families: *const loki_families,
    family: usize,
    sample: usize,
    label: usize,
    name: *mut loki_str,
    value: *mut loki_str,
) -> loki_status {
    guard(|| {
        if name.is_null() || value.is_null() {
            return Err(Failure::null("name or value"));
        }
        // SAFETY: the caller guarantees a live handle.
        let s = unsafe { ref_arg(families, "families") }?.sample(family, sample)?;
        let Some((k, v)) = s.labels.get(label) else {
            return Err(Failure::new(
                loki_status::OutOfRange,
                format!("label index {label} is out of range (the sample has {})", s.labels.len()),
            ));
        };
        // SAFETY: both checked non-NULL; the caller guarantees writability.
        unsafe {
            write_out(name, borrow(k), "name")?;
            write_out(value, borrow(v), "value")
        }
    })
}

/// Releases families returned by `loki_parse`. NULL is a no-op.
///
/// # Safety
/// `families` must be NULL or a live handle from `loki_parse`, not used
/// afterwards (nor by another thread meanwhile).
#[no_mangle]
pub unsafe extern "C" fn loki_families_free(families: *mut loki_families) {
    guard_value((), || {
        if !families.is_null() {
            // SAFETY: from `Box::into_raw` in `loki_parse`, released once.
            drop(unsafe { Box::from_raw(families) });
        }
    })
}

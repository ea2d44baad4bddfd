//! `parse`: exposition text to the `MetricFamily` / `Sample` / `Exemplar`
//! objects of `loki_metrics._families` (the shape of `prometheus_client`'s
//! parser results).
//!
//! The core parses without the GIL; building the Python objects needs it, and
//! is most of the time on a large text, so:
//!
//! * each family's samples are built on the first access of its `samples`
//!   (`_SampleSource`), just before a program reads them, while they are
//!   still in the CPU's caches; the core's result and the text it borrows
//!   from live until every family is built or dropped;
//! * label names and values that repeat are one shared string
//!   (`SharedStrings`, bounded), not interned: on CPython 3.12 interned
//!   strings are immortal, and these come from untrusted text;
//! * each `Sample` tuple is allocated and filled directly, without a
//!   Python-level call, and left out of the cyclic GC (see `Builder::sample`).

use std::sync::{Arc, Mutex};

use loki_metrics::parse::{parse as core_parse, Exemplar, MetricFamily, MetricType, ParseError, ParseFormat, Sample};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyFloat, PyList, PyListMethods, PyString, PyTuple, PyType};

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
    Utf8(Utf8Str),
    Bytes(PyBackedBytes),
    Owned(String),
}

/// A `str`'s UTF-8, which CPython keeps in the (immutable) object itself
/// (for an ASCII string, its characters): no copy of a 25 MB text.
/// `PyBackedStr` copies it into a `bytes` when built for the 3.9 stable ABI,
/// which lacks `PyUnicode_AsUTF8AndSize`; 3.10's has it.
pub(crate) struct Utf8Str {
    _owner: Py<PyString>,
    data: *const u8,
    len: usize,
}

// SAFETY: `data` points to immutable bytes owned by `_owner` (a `Py`, itself
// `Send` and `Sync`), which live as long as this value.
unsafe impl Send for Utf8Str {}
// SAFETY: as for `Send`: the bytes are never written.
unsafe impl Sync for Utf8Str {}

impl Utf8Str {
    /// The UTF-8 of `s`, on Python 3.10 or later (`None` before).
    fn new(s: &Bound<'_, PyString>) -> Option<PyResult<Self>> {
        extern "C" {
            fn PyUnicode_AsUTF8AndSize(unicode: *mut ffi::PyObject, size: *mut ffi::Py_ssize_t) -> *const u8;
        }
        if s.py().version_info() < (3, 10) {
            return None;
        }
        let mut len: ffi::Py_ssize_t = 0;
        // SAFETY: `s` is a `str`; on 3.10+ this function is part of the
        // stable ABI. It returns the UTF-8 buffer the object owns (valid while
        // it lives) and its length, or NULL with an exception set.
        let data = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut len) };
        if data.is_null() {
            return Some(Err(PyErr::fetch(s.py())));
        }
        Some(Ok(Utf8Str { _owner: s.clone().unbind(), data, len: len as usize }))
    }

    fn as_str(&self) -> &str {
        // SAFETY: `data` and `len` are the UTF-8 buffer of `_owner`, which
        // CPython encoded (valid UTF-8) and which neither moves nor changes
        // while `_owner` lives.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.data, self.len)) }
    }
}

impl Text {
    /// A `str`, or `bytes`/`bytearray` holding UTF-8.
    pub(crate) fn from_py(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(s) = value.cast::<PyString>() {
            return match Utf8Str::new(s) {
                Some(utf8) => utf8.map(Text::Utf8),
                None => s.extract().map(Text::Str),
            }
            .map_err(|e| unencodable(s, e));
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
            Text::Utf8(s) => Ok(s.as_str()),
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
    parse_text(py, text, format)
}

/// Parses `text` without the GIL, then builds the Python families; each
/// family's samples are built on first access of `MetricFamily.samples`.
pub(crate) fn parse_text(py: Python<'_>, text: Text, format: ParseFormat) -> PyResult<Bound<'_, PyList>> {
    let parsed = detach(py, move || Parsed::new(text, format))?.map_err(|e| parse_error(py, e))?;
    let parsed = Arc::new(parsed);
    let family_type = FAMILY.import(py, FAMILIES_MODULE, "MetricFamily")?;
    let list = PyList::empty(py);
    for (index, family) in parsed.families.iter().enumerate() {
        let (name, _) = presented_names(family, parsed.munge_counters);
        let source = Bound::new(py, SampleSource { parsed: Arc::clone(&parsed), index })?;
        list.append(new_family(family_type, name, family, source.into_any())?)?;
    }
    Ok(list)
}

/// The `MetricFamily` objects of already parsed (or collected) families, as
/// `parse` returns them, with their samples built at once.
pub(crate) fn build_families<'py>(py: Python<'py>, families: &[MetricFamily<'_>]) -> PyResult<Bound<'py, PyList>> {
    let family_type = FAMILY.import(py, FAMILIES_MODULE, "MetricFamily")?;
    let mut strings = SharedStrings::for_samples(families.iter().map(|f| f.samples.len()).sum());
    let mut builder = Builder::new(py, &mut strings)?;
    let list = PyList::empty(py);
    for family in families {
        let samples = {
            let _paused = GcPause::new(py)?;
            builder.samples(family, false)?
        };
        let (name, _) = presented_names(family, false);
        list.append(new_family(family_type, name, family, samples.into_any())?)?;
    }
    Ok(list)
}

/// `MetricFamily(name, documentation, type, unit, samples)`.
fn new_family<'py>(
    family_type: &Bound<'py, PyType>,
    name: &str,
    family: &MetricFamily<'_>,
    samples: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let documentation = family.help.as_deref().unwrap_or("");
    let unit = family.unit.as_deref().unwrap_or("");
    family_type.call1((name, documentation, family.metric_type.as_str(), unit, samples))
}

/// The family name and the suffix of its samples' names as presented:
/// prometheus_client's parser presents a 0.0.4 counter as OpenMetrics does,
/// the family without `_total`, its samples with it.
fn presented_names<'f>(family: &'f MetricFamily<'_>, munge_counters: bool) -> (&'f str, &'static str) {
    let name: &str = &family.name;
    if munge_counters && family.metric_type == MetricType::Counter {
        match name.strip_suffix("_total") {
            Some(base) => (base, ""),
            None => (name, "_total"),
        }
    } else {
        (name, "")
    }
}

/// One parsed text: the core's families, which borrow from the text, and the
/// strings shared by the Python objects built from them.
struct Parsed {
    /// Borrows from `text` (see `Parsed::new`); declared first, so dropped
    /// before it.
    families: Vec<MetricFamily<'static>>,
    _text: Text,
    /// Prometheus 0.0.4 counters are presented as OpenMetrics ones.
    munge_counters: bool,
    strings: Mutex<SharedStrings>,
}

impl Parsed {
    fn new(text: Text, format: ParseFormat) -> Result<Self, ParseError> {
        let borrowed = text.as_str()?;
        // SAFETY: `borrowed` points into memory owned by `text` that neither
        // moves nor changes while `text` lives: the buffer of an immutable
        // Python `str`/`bytes` (or the copy of a `bytearray`) that
        // `Utf8Str`/`PyBackedStr`/`PyBackedBytes` keep alive, or a `String`'s
        // heap buffer. `Parsed` owns `text`, drops `families` first, and its
        // strings are only read through borrows of the `Parsed` (what the
        // builder keeps, it copies).
        let borrowed: &'static str = unsafe { &*(borrowed as *const str) };
        let resolved = format.detect(borrowed);
        let families = core_parse(borrowed, resolved)?;
        let samples = families.iter().map(|f| f.samples.len()).sum();
        Ok(Parsed {
            families,
            _text: text,
            munge_counters: resolved == ParseFormat::Prometheus,
            strings: Mutex::new(SharedStrings::for_samples(samples)),
        })
    }
}

/// The samples of one family of a parse, not built yet: what
/// `MetricFamily.samples` holds until its first access.
#[pyclass(frozen, module = "loki_metrics._native", name = "_SampleSource")]
pub(crate) struct SampleSource {
    parsed: Arc<Parsed>,
    index: usize,
}

#[pymethods]
impl SampleSource {
    /// The family's samples, a new list of `Sample`s.
    fn build<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let Some(family) = self.parsed.families.get(self.index) else {
            // The index is the family's own; this is not reached.
            return Err(pyo3::exceptions::PyRuntimeError::new_err("sample source out of range"));
        };
        let _paused = GcPause::new(py)?;
        // Only a re-entrant build (none is known) would find the strings
        // taken; it builds with a cache of its own.
        match self.parsed.strings.try_lock() {
            Ok(mut strings) => Builder::new(py, &mut strings)?.samples(family, self.parsed.munge_counters),
            Err(_) => Builder::new(py, &mut SharedStrings::for_samples(0))?.samples(family, self.parsed.munge_counters),
        }
    }
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

/// Builds the `Sample` objects of families, sharing repeated strings.
struct Builder<'py, 's> {
    py: Python<'py>,
    sample_type: &'py Bound<'py, PyType>,
    sample_alloc: ffi::allocfunc,
    exemplar_type: &'py Bound<'py, PyType>,
    strings: &'s mut SharedStrings,
}

impl<'py, 's> Builder<'py, 's> {
    fn new(py: Python<'py>, strings: &'s mut SharedStrings) -> PyResult<Self> {
        let sample_type = SAMPLE.import(py, FAMILIES_MODULE, "Sample")?;
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
            exemplar_type: EXEMPLAR.import(py, FAMILIES_MODULE, "Exemplar")?,
            strings,
        })
    }

    /// The list of `family`'s samples.
    fn samples(&mut self, family: &MetricFamily<'_>, munge_counters: bool) -> PyResult<Bound<'py, PyList>> {
        let py = self.py;
        let (_, sample_suffix) = presented_names(family, munge_counters);
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
        PyList::new(py, samples)
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
            // A `Sample` holds strings, floats, `None` and a dict of strings:
            // no cycle (unless code puts a sample into its own labels, which
            // would then leak), so the collector need not traverse the
            // hundreds of thousands a parse makes; tracked, they cost a full
            // pass over them (~100 ms on the 25 MB benchmark text). CPython
            // itself untracks tuples whose items cannot form a cycle; it
            // keeps a tuple holding a dict tracked only because the dict may
            // later receive a container.
            ffi::PyObject_GC_UnTrack(tuple.as_ptr().cast());
            Ok(tuple)
        }
    }

    fn exemplar(&mut self, exemplar: &Exemplar<'_>) -> PyResult<Bound<'py, PyAny>> {
        let labels = self.labels(&exemplar.labels)?;
        self.exemplar_type.call1((labels, exemplar.value, exemplar.timestamp))
    }

    fn labels(&mut self, labels: &[loki_metrics::parse::Label<'_>]) -> PyResult<Bound<'py, PyDict>> {
        let py = self.py;
        let dict = PyDict::new(py);
        for (i, (k, v)) in labels.iter().enumerate() {
            let key = self.strings.label_name(py, i, k);
            let value = self.strings.get(py, v);
            // SAFETY: `dict` is a dict; `key` and `value` are strings that
            // `self.strings` holds (`get` leaves the label names alone, and
            // nothing else runs in between); `PyDict_SetItem` takes its own
            // references to them.
            if unsafe { ffi::PyDict_SetItem(dict.as_ptr(), key, value) } != 0 {
                return Err(PyErr::fetch(py));
            }
        }
        Ok(dict)
    }
}

/// The Python strings of one parse's label names and values, shared by every
/// sample that repeats them (most label values repeat: methods, status
/// codes, paths, instances), which saves their creation and their memory.
///
/// Bounded whatever the text: a direct-mapped table (a string evicts the one
/// in its slot) of at most `MAX_SLOTS` strings of at most `MAX_LEN` bytes,
/// whose bytes are kept in `arena` until it holds `MAX_ARENA` bytes, when the
/// table starts over. Not interned: on CPython 3.12 interned strings are
/// immortal, and these come from untrusted text.
struct SharedStrings {
    slots: Vec<Slot>,
    /// `64 - log2(slots.len())`: a hash's top bits pick its slot.
    shift: u32,
    /// The bytes of the cached strings longer than `Key::INLINE`.
    arena: Vec<u8>,
    /// The label names of the previous sample, by position (the usual case:
    /// every sample of a family has the same names in the same order).
    recent_names: Vec<(Box<str>, Py<PyAny>)>,
    /// The last string too long to share (what `get` lends).
    uncached: Option<Py<PyAny>>,
}

/// What identifies a string in its slot: a short one by its bytes, a longer
/// one by its hash and its bytes in the arena.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Key {
    len: u64,
    /// The first and last 8 bytes of a short string (overlapping, or 4 and
    /// 4, or 3 picked bytes when shorter); a long one's hash and arena offset.
    words: [u64; 2],
}

impl Key {
    /// Strings up to this many bytes are compared as `Key`s alone.
    const INLINE: usize = 16;

    /// The key of a string of at most `INLINE` bytes: different strings of
    /// the same length have different words.
    fn short(b: &[u8]) -> Key {
        let n = b.len();
        let word8 = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
        let word4 = |at: usize| u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default()));
        let words = match n {
            8.. => [word8(0), word8(n - 8)],
            4..=7 => [word4(0), word4(n - 4)],
            1..=3 => [u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16, 0],
            0 => [0, 0],
        };
        Key { len: n as u64, words }
    }

    fn hash(&self) -> u64 {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        ((self.words[0] ^ self.len).wrapping_mul(K).rotate_left(26) ^ self.words[1]).wrapping_mul(K)
    }
}

struct Slot {
    key: Key,
    string: Option<Py<PyAny>>,
}

impl SharedStrings {
    const MAX_SLOTS: usize = 1 << 10;
    const MAX_LEN: usize = 128;
    const MAX_ARENA: usize = 1 << 20;

    /// A table sized for a text of `samples` samples. Small on purpose: a
    /// table that stays in the CPU's caches measured faster on 200,000
    /// samples than one big enough to keep their 25,000 distinct values.
    fn for_samples(samples: usize) -> Self {
        let slots = samples.clamp(16, Self::MAX_SLOTS).next_power_of_two();
        SharedStrings {
            slots: (0..slots).map(|_| Slot { key: Key::default(), string: None }).collect(),
            shift: 64 - slots.trailing_zeros(),
            arena: Vec::new(),
            recent_names: Vec::new(),
            uncached: None,
        }
    }

    /// The shared string of label name `name` at position `i` of a sample,
    /// borrowed: valid until the next call for position `i`.
    fn label_name(&mut self, py: Python<'_>, i: usize, name: &str) -> *mut ffi::PyObject {
        if let Some((recent, s)) = self.recent_names.get(i) {
            if **recent == *name {
                return s.as_ptr();
            }
        }
        let s = self.get(py, name);
        // SAFETY: `get` returns a string it holds, alive until its next call.
        let s = unsafe { Bound::from_borrowed_ptr(py, s) }.unbind();
        let entry = (Box::from(name), s);
        let i = i.min(self.recent_names.len());
        if i < self.recent_names.len() {
            self.recent_names[i] = entry;
        } else {
            self.recent_names.push(entry);
        }
        self.recent_names[i].1.as_ptr()
    }

    /// The shared string equal to `s`, borrowed: valid until the next call
    /// of `get`.
    fn get(&mut self, py: Python<'_>, s: &str) -> *mut ffi::PyObject {
        let bytes = s.as_bytes();
        let (key, hash) = if bytes.len() <= Key::INLINE {
            let key = Key::short(bytes);
            (key, key.hash())
        } else if bytes.len() <= Self::MAX_LEN {
            let hash = long_hash(bytes);
            (Key { len: bytes.len() as u64, words: [hash, 0] }, hash)
        } else {
            return self.uncached.insert(PyString::new(py, s).into_any().unbind()).as_ptr();
        };
        let index = (hash >> self.shift) as usize;
        let slot = &self.slots[index];
        if let Some(string) = &slot.string {
            let hit = if bytes.len() <= Key::INLINE {
                slot.key == key
            } else {
                slot.key.len == key.len
                    && slot.key.words[0] == hash
                    && &self.arena[slot.key.words[1] as usize..][..bytes.len()] == bytes
            };
            if hit {
                return string.as_ptr();
            }
        }
        let mut key = key;
        if bytes.len() > Key::INLINE {
            if self.arena.len() + bytes.len() > Self::MAX_ARENA {
                self.arena.clear();
                for slot in &mut self.slots {
                    if slot.key.len > Key::INLINE as u64 {
                        slot.string = None;
                    }
                }
            }
            key.words[1] = self.arena.len() as u64;
            self.arena.extend_from_slice(bytes);
        }
        let slot = &mut self.slots[index];
        *slot = Slot { key, string: Some(PyString::new(py, s).into_any().unbind()) };
        slot.string.as_ref().map_or(std::ptr::null_mut(), |s| s.as_ptr())
    }
}

/// A fast hash of strings longer than `Key::INLINE` (FxHash's
/// multiply-rotate over 8-byte words); collisions only cost a cache miss.
fn long_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word.try_into().unwrap_or_default())).wrapping_mul(K);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    h
}

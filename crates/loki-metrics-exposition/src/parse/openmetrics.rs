//! OpenMetrics 1.0 text format, checked strictly.
//!
//! Line by line, this enforces the ABNF and the MUSTs of the specification's
//! text format: `# EOF` last and nothing after it (but one LF); no blank
//! lines or carriage returns; TYPE/HELP/UNIT at most once per family and
//! before its samples; UNIT a `_`-separated suffix of the name and absent on
//! info and stateset; every sample name one its family's type allows (else it
//! starts a new `unknown` family); family names unique and not clashing with
//! another family's sample names; counters' `_total`, and histogram and summary
//! counts, sums and buckets, not negative or NaN; counts and buckets integers;
//! histogram buckets strictly ascending in `le` with non-decreasing values and
//! a `+Inf` bucket equal to `_count`, `_count` present if and only if `_sum`
//! is, no `_sum` with negative buckets; `le`/`quantile` valid numbers
//! (quantiles in [0, 1], infinity spelled `+Inf`); stateset values 0/1 with the
//! family's label, info values 1; no `le`/`quantile` label where the type
//! reserves it; the samples of one metric not interleaved with another's,
//! timestamps present on all or none of a metric's points and never going
//! backwards; exemplars only on counter totals and histogram buckets, at most
//! 128 characters of labels, and within their bucket.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::lexer::{
    eq_inline, metric_name_len, push_sample, scan_openmetrics, unescape_help, Escapes, ScanHint, ScannedSample,
};
use super::number::parse_number;
use super::{MetricFamily, MetricType, ParseError, Sample};

/// Every suffix any type uses, for clash detection.
const ALL_SUFFIXES: [&str; 9] = ["", "_total", "_created", "_count", "_sum", "_bucket", "_gcount", "_gsum", "_info"];

fn kind_from_type(s: &str) -> Option<MetricType> {
    Some(match s {
        "counter" => MetricType::Counter,
        "gauge" => MetricType::Gauge,
        "histogram" => MetricType::Histogram,
        "gaugehistogram" => MetricType::GaugeHistogram,
        "summary" => MetricType::Summary,
        "stateset" => MetricType::StateSet,
        "info" => MetricType::Info,
        "unknown" => MetricType::Unknown,
        _ => return None,
    })
}

/// A sample name's suffix after its family name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suffix {
    None,
    Total,
    Created,
    Count,
    Sum,
    Bucket,
    GCount,
    GSum,
    Info,
}

impl Suffix {
    fn of(s: &str) -> Suffix {
        match s {
            "_total" => Suffix::Total,
            "_created" => Suffix::Created,
            "_count" => Suffix::Count,
            "_sum" => Suffix::Sum,
            "_bucket" => Suffix::Bucket,
            "_gcount" => Suffix::GCount,
            "_gsum" => Suffix::GSum,
            "_info" => Suffix::Info,
            _ => Suffix::None,
        }
    }
}

/// A hasher for already-mixed `u64` keys.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type GroupMap = HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>;

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// A fast, non-cryptographic hash of a byte string; equal hashes are always
/// confirmed by comparing the labels, so collisions cost time, not accuracy.
#[inline]
fn hash_bytes(seed: u64, b: &[u8]) -> u64 {
    let mut h = seed ^ (b.len() as u64).wrapping_mul(K);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        h = (h ^ word(c)).wrapping_mul(K).rotate_left(29);
    }
    h = (h ^ tail_word(chunks.remainder())).wrapping_mul(K);
    h ^ (h >> 32)
}

/// The little-endian `u64` of the first eight bytes of `b` (0 if shorter).
#[inline(always)]
fn word(b: &[u8]) -> u64 {
    b.get(..8).and_then(|c| <[u8; 8]>::try_from(c).ok()).map_or(0, u64::from_le_bytes)
}

/// Up to seven bytes as one word, without a copy loop: every byte lands in
/// the result (the two 4-byte halves, or first, middle and last, overlap).
#[inline(always)]
fn tail_word(r: &[u8]) -> u64 {
    let n = r.len();
    let u32_at = |at: usize| {
        r.get(at..at + 4).and_then(|c| <[u8; 4]>::try_from(c).ok()).map_or(0, |c| u64::from(u32::from_le_bytes(c)))
    };
    if n >= 4 {
        u32_at(0) | (u32_at(n - 4) << 32)
    } else if n > 0 {
        let byte = |at: usize| u64::from(r.get(at).copied().unwrap_or(0));
        byte(0) | (byte(n / 2) << 8) | (byte(n - 1) << 16)
    } else {
        0
    }
}

/// Order-independent hash of a label set without the `excluded` label.
#[inline]
fn group_hash(sample: &Sample<'_>, excluded: Option<&str>) -> u64 {
    let mut sum = 0u64;
    for (k, v) in &sample.labels {
        if Some(k.as_ref()) == excluded {
            continue;
        }
        let h = hash_bytes(hash_bytes(1, k.as_bytes()), v.as_bytes());
        sum = sum.wrapping_add(h.wrapping_mul(K) ^ (h >> 29));
    }
    sum
}

/// The label set of `s` without `excl`, sorted.
fn sorted_labels<'s>(s: &'s Sample<'_>, excl: Option<&str>) -> Vec<(&'s str, &'s str)> {
    let mut v: Vec<(&str, &str)> =
        s.labels.iter().filter(|(k, _)| Some(k.as_ref()) != excl).map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    v.sort_unstable();
    v
}

/// Whether two samples belong to the same metric (label set without the
/// type's point label, in any order).
fn same_group(a: &Sample<'_>, a_excl: Option<&str>, b: &Sample<'_>, b_excl: Option<&str>) -> bool {
    let count = |s: &Sample<'_>, excl: Option<&str>| s.labels.iter().filter(|(k, _)| Some(k.as_ref()) != excl).count();
    let n = count(a, a_excl);
    if n != count(b, b_excl) {
        return false;
    }
    if n > 32 {
        // Sorted, not pairwise: a hostile 100 000-label bucket took 9 s.
        return sorted_labels(a, a_excl) == sorted_labels(b, b_excl);
    }
    a.labels
        .iter()
        .filter(|(k, _)| Some(k.as_ref()) != a_excl)
        .all(|(k, v)| b.labels.iter().any(|(k2, v2)| k2 == k && v2 == v && Some(k2.as_ref()) != b_excl))
}

/// The state of one histogram or gauge-histogram metric point.
#[derive(Default)]
struct HistogramPoint {
    last_le: Option<f64>,
    last_bucket: f64,
    inf_bucket: Option<f64>,
    count: Option<f64>,
    sum: Option<f64>,
    negative_bucket: bool,
}

/// The metrics seen in the current family.
#[derive(Default)]
struct Groups {
    /// Group hash -> index of the first sample of that metric.
    first: GroupMap,
    /// First samples of metrics whose hash collided with another metric's.
    collided: Vec<u32>,
}

/// The family being read.
struct Current<'a> {
    family: MetricFamily<'a>,
    start_line: usize,
    has_type: bool,
    has_help: bool,
    has_unit: bool,
    unit_line: usize,
    /// The metric being read: its hash, first sample, and point label.
    group: Option<(u64, u32)>,
    /// Timestamp of the last sample of the current metric.
    group_ts: Option<f64>,
    /// The current point of a histogram.
    hist: HistogramPoint,
    /// Whether the current point of a counter has its `_total`.
    counter_total: bool,
    /// Line of the last sample, for point-level errors.
    last_line: usize,
}

/// Reads OpenMetrics lines into families.
pub(crate) struct OpenMetricsAssembler<'a> {
    current: Option<Current<'a>>,
    /// Metrics of the current family (kept here to reuse the allocation).
    groups: Groups,
    /// Finished family names and their types.
    closed: HashMap<Box<str>, MetricType>,
    eof_line: Option<usize>,
}

fn err(line_no: usize, line: &str, at: usize, message: impl Into<String>) -> ParseError {
    ParseError::at(line_no, line, at, message.into())
}

impl<'a> OpenMetricsAssembler<'a> {
    pub(crate) fn new() -> Self {
        OpenMetricsAssembler { current: None, groups: Groups::default(), closed: HashMap::new(), eof_line: None }
    }

    /// The family being read.
    pub(crate) fn open_family(&self) -> Option<&MetricFamily<'a>> {
        self.current.as_ref().map(|c| &c.family)
    }

    /// Reads one line (without its `\n`).
    pub(crate) fn feed<'l>(
        &mut self,
        line: &'l str,
        line_no: usize,
        keep: impl FnOnce(Sample<'l>) -> Sample<'a>,
        out: &mut Vec<MetricFamily<'a>>,
    ) -> Result<(), ParseError> {
        if let Some(eof) = self.eof_line {
            return Err(err(
                line_no,
                line,
                0,
                format!("unexpected text after '# EOF' on line {eof}: the exposition must end there"),
            ));
        }
        if line.is_empty() {
            return Err(err(line_no, line, 0, "blank line: OpenMetrics allows no empty lines"));
        }
        if line.ends_with('\r') {
            return Err(err(line_no, line, line.len() - 1, "carriage return: lines must end with a line feed only"));
        }
        if line_no == 1 && line.starts_with('\u{feff}') {
            return Err(err(line_no, line, 0, "byte order mark: OpenMetrics text must not start with one"));
        }
        if line.as_bytes().first() == Some(&b'#') {
            return self.metadata(line, line_no, out);
        }
        let hint = match &self.current {
            Some(c) => ScanHint { name: &c.family.name, labels: c.family.samples.last().map_or(&[], |s| &s.labels) },
            None => ScanHint::default(),
        };
        let scanned = scan_openmetrics(line, hint).map_err(|(at, m)| err(line_no, line, at, m))?;
        self.sample(scanned, line, line_no, keep, out)
    }

    /// Ends the input: `# EOF` must have been read.
    pub(crate) fn finish(&mut self, next_line_no: usize, out: &mut Vec<MetricFamily<'a>>) -> Result<(), ParseError> {
        if self.eof_line.is_none() {
            return Err(ParseError {
                line: next_line_no,
                column: 1,
                message: "expected '# EOF' as the last line of the exposition".into(),
            });
        }
        self.close(out)
    }

    fn metadata(&mut self, line: &str, line_no: usize, out: &mut Vec<MetricFamily<'a>>) -> Result<(), ParseError> {
        if line == "# EOF" {
            self.eof_line = Some(line_no);
            return self.close(out);
        }
        let keyword = line.get(..7).unwrap_or("");
        if !matches!(keyword, "# TYPE " | "# HELP " | "# UNIT ") {
            return Err(err(
                line_no,
                line,
                0,
                "expected '# TYPE ', '# HELP ', '# UNIT ' or '# EOF': OpenMetrics allows no other lines starting with '#'",
            ));
        }
        let b = line.as_bytes();
        let n = metric_name_len(b.get(7..).unwrap_or(&[]));
        if n == 0 {
            return Err(err(line_no, line, 7, "expected a metric family name ([a-zA-Z_:][a-zA-Z0-9_:]*)"));
        }
        let name = line.get(7..7 + n).unwrap_or("");
        let after = 7 + n;
        if b.get(after) != Some(&b' ') {
            let what = match keyword {
                "# TYPE " => "the type",
                "# HELP " => "the help text",
                _ => "the unit",
            };
            return Err(err(
                line_no,
                line,
                after,
                format!("expected a single space and {what} after the metric family name"),
            ));
        }
        let value = line.get(after + 1..).unwrap_or("");
        let value_at = after + 1;

        self.enter_family(name, line, line_no, out)?;
        let cur = match self.current.as_mut() {
            Some(c) => c,
            None => return Err(err(line_no, line, 0, "internal error: no current family")),
        };
        if !cur.family.samples.is_empty() {
            return Err(err(
                line_no,
                line,
                0,
                format!("metadata for family {name:?} after its samples: TYPE, HELP and UNIT must come first"),
            ));
        }
        match keyword {
            "# TYPE " => {
                if cur.has_type {
                    return Err(err(line_no, line, 0, format!("second TYPE line for family {name:?}")));
                }
                let kind = kind_from_type(value).ok_or_else(|| {
                    err(
                        line_no,
                        line,
                        value_at,
                        format!("unknown type {value:?}: expected counter, gauge, histogram, gaugehistogram, stateset, info, summary or unknown"),
                    )
                })?;
                cur.has_type = true;
                cur.family.metric_type = kind;
            }
            "# HELP " => {
                if cur.has_help {
                    return Err(err(line_no, line, 0, format!("second HELP line for family {name:?}")));
                }
                cur.has_help = true;
                let help = unescape_help(value, Escapes::OpenMetricsHelp).map_err(|at| {
                    err(
                        line_no,
                        line,
                        value_at + at,
                        "lone backslash at the end of the help text: expected \\\\, \\n or \\\"",
                    )
                })?;
                cur.family.help = (!help.is_empty()).then(|| Cow::Owned(help.into_owned()));
            }
            _ => {
                if cur.has_unit {
                    return Err(err(line_no, line, 0, format!("second UNIT line for family {name:?}")));
                }
                if let Some(p) = value.bytes().position(|c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b':')) {
                    return Err(err(line_no, line, value_at + p, "expected a unit of [a-zA-Z0-9_:] characters"));
                }
                cur.has_unit = true;
                cur.unit_line = line_no;
                cur.family.unit = (!value.is_empty()).then(|| Cow::Owned(value.to_owned()));
            }
        }
        Ok(())
    }

    /// Makes `name` the current family, closing the previous one.
    fn enter_family(
        &mut self,
        name: &str,
        line: &str,
        line_no: usize,
        out: &mut Vec<MetricFamily<'a>>,
    ) -> Result<(), ParseError> {
        if self.current.as_ref().is_some_and(|c| c.family.name == name) {
            return Ok(());
        }
        // Families tend to be alike: size the next like the last.
        let capacity = self.current.as_ref().map_or(0, |c| c.family.samples.len().min(4096));
        self.close(out)?;
        if self.closed.contains_key(name) {
            return Err(err(
                line_no,
                line,
                0,
                format!("family {name:?} appears a second time: the families of a MetricSet must be unique and not interleaved"),
            ));
        }
        self.groups.first.clear();
        self.groups.collided.clear();
        self.current = Some(Current {
            family: MetricFamily {
                name: Cow::Owned(name.to_owned()),
                metric_type: MetricType::Unknown,
                help: None,
                unit: None,
                samples: Vec::with_capacity(capacity),
            },
            start_line: line_no,
            has_type: false,
            has_help: false,
            has_unit: false,
            unit_line: 0,
            group: None,
            group_ts: None,
            hist: HistogramPoint::default(),
            counter_total: false,
            last_line: line_no,
        });
        Ok(())
    }

    /// Finishes the current family: its last point, its unit, name clashes.
    fn close(&mut self, out: &mut Vec<MetricFamily<'a>>) -> Result<(), ParseError> {
        let Some(mut cur) = self.current.take() else {
            return Ok(());
        };
        end_point(&mut cur)?;
        let name = cur.family.name.to_string();
        let kind = cur.family.metric_type;
        if let Some(unit) = cur.family.unit.as_deref() {
            let at_unit = |m: String| ParseError { line: cur.unit_line, column: 1, message: m };
            if matches!(kind, MetricType::Info | MetricType::StateSet) {
                return Err(at_unit(format!("{kind} family {name:?} must not have a unit")));
            }
            let suffix_ok = name.strip_suffix(unit).is_some_and(|head| head.ends_with('_'));
            if !suffix_ok {
                return Err(at_unit(format!(
                    "unit {unit:?} is not a suffix of the family name {name:?}: expected the name to end in \"_{unit}\""
                )));
            }
        }
        let mine = kind.openmetrics_suffixes();
        for own in std::iter::once("").chain(mine.iter().copied()) {
            let candidate = format!("{name}{own}");
            for theirs in ALL_SUFFIXES {
                let Some(other) = candidate.strip_suffix(theirs) else {
                    continue;
                };
                let Some(&other_kind) = self.closed.get(other) else {
                    continue;
                };
                if theirs.is_empty() || other_kind.openmetrics_suffixes().contains(&theirs) {
                    return Err(ParseError {
                        line: cur.start_line,
                        column: 1,
                        message: format!(
                            "family {name:?} clashes with family {other:?}: both could have a sample named {candidate:?}"
                        ),
                    });
                }
            }
        }
        self.closed.insert(name.into_boxed_str(), kind);
        out.push(cur.family);
        Ok(())
    }

    fn sample<'l>(
        &mut self,
        scanned: ScannedSample<'l>,
        line: &str,
        line_no: usize,
        keep: impl FnOnce(Sample<'l>) -> Sample<'a>,
        out: &mut Vec<MetricFamily<'a>>,
    ) -> Result<(), ParseError> {
        let sample_name: &str = &scanned.sample.name;
        let belongs = self.current.as_ref().and_then(|c| {
            // The scan already compared the name with the family's (its hint).
            if !scanned.starts_with_hint {
                return None;
            }
            let rest = sample_name.get(c.family.name.len()..)?;
            c.family.metric_type.openmetrics_suffixes().iter().find(|s| eq_inline(s, rest)).copied()
        });
        let suffix = match belongs {
            Some(s) => s,
            None => {
                if let Some(c) = self.current.as_ref().filter(|c| c.family.name == sample_name) {
                    let kind = c.family.metric_type;
                    let names: Vec<String> =
                        kind.openmetrics_suffixes().iter().map(|s| format!("{sample_name}{s}")).collect();
                    return Err(err(
                        line_no,
                        line,
                        0,
                        format!("a sample of {kind} family {sample_name:?} must be named {}", names.join(" or ")),
                    ));
                }
                let owned_name = sample_name.to_owned();
                self.enter_family(&owned_name, line, line_no, out)?;
                ""
            }
        };
        let cur = match self.current.as_mut() {
            Some(c) => c,
            None => return Err(err(line_no, line, 0, "internal error: no current family")),
        };
        let suffix = Suffix::of(suffix);
        check_sample(cur, suffix, &scanned, line, line_no)?;
        track_groups(cur, &mut self.groups, suffix, &scanned, line, line_no)?;
        cur.last_line = line_no;
        push_sample(&mut cur.family.samples, keep(scanned.sample));
        Ok(())
    }
}

/// The label that distinguishes the points of one metric, excluded from its
/// identity: `le` of buckets, `quantile` of summary quantiles, and the
/// family-named label of a stateset.
fn point_label(kind: MetricType, suffix: Suffix, family: &str) -> Option<&str> {
    match (kind, suffix) {
        (MetricType::Histogram | MetricType::GaugeHistogram, Suffix::Bucket) => Some("le"),
        (MetricType::Summary, Suffix::None) => Some("quantile"),
        (MetricType::StateSet, _) => Some(family),
        _ => None,
    }
}

fn is_integer(v: f64) -> bool {
    v.is_finite() && v.fract() == 0.0
}

fn check_sample(
    cur: &Current<'_>,
    suffix: Suffix,
    s: &ScannedSample<'_>,
    line: &str,
    line_no: usize,
) -> Result<(), ParseError> {
    let kind = cur.family.metric_type;
    let family: &str = &cur.family.name;
    let v = s.sample.value;
    let at_value = |m: String| err(line_no, line, s.value_at, m);
    let at_labels = |m: String| err(line_no, line, s.labels_at, m);
    let name: &str = &s.sample.name;

    let counter_like = |what: &str| -> Result<(), ParseError> {
        if v.is_nan() {
            return Err(at_value(format!("{what} {name} must not be NaN")));
        }
        if v < 0.0 {
            return Err(at_value(format!("{what} {name} must not be negative")));
        }
        Ok(())
    };
    let integer = |what: &str| -> Result<(), ParseError> {
        if !is_integer(v) {
            return Err(at_value(format!("{what} {name} must be an integer")));
        }
        Ok(())
    };

    match (kind, suffix) {
        (MetricType::Counter, Suffix::Total) => counter_like("counter total")?,
        (MetricType::Histogram | MetricType::GaugeHistogram, Suffix::Bucket) => {
            let le = s.sample.label("le").ok_or_else(|| at_labels(format!("bucket {name} has no \"le\" label")))?;
            check_le(le).map_err(at_labels)?;
            counter_like("bucket")?;
            integer("bucket")?;
        }
        (MetricType::Histogram, Suffix::Count) | (MetricType::GaugeHistogram, Suffix::GCount) => {
            counter_like("count")?;
            integer("count")?;
        }
        (MetricType::Histogram, Suffix::Sum) => counter_like("histogram sum")?,
        (MetricType::GaugeHistogram, Suffix::GSum) if v.is_nan() => {
            return Err(at_value(format!("gauge histogram sum {name} must not be NaN")));
        }
        (MetricType::Summary, Suffix::None) => {
            let q = s
                .sample
                .label("quantile")
                .ok_or_else(|| at_labels(format!("summary quantile {name} has no \"quantile\" label")))?;
            let qv = parse_number(q).ok().filter(|q| (0.0..=1.0).contains(q));
            if qv.is_none() {
                return Err(at_labels(format!("quantile {q:?} is not a number between 0 and 1")));
            }
            if v < 0.0 {
                return Err(at_value(format!("quantile value of {name} must not be negative")));
            }
        }
        (MetricType::Summary, Suffix::Count) => {
            counter_like("summary count")?;
            integer("summary count")?;
        }
        (MetricType::Summary, Suffix::Sum) => counter_like("summary sum")?,
        (MetricType::StateSet, _) => {
            if s.sample.label(family).is_none() {
                return Err(at_labels(format!(
                    "stateset sample {name} has no label named after its family ({family:?})"
                )));
            }
            if v != 0.0 && v != 1.0 {
                return Err(at_value(format!("stateset value of {name} must be 0 or 1")));
            }
        }
        (MetricType::Info, _) if v != 1.0 => {
            return Err(at_value(format!("info value of {name} must be 1")));
        }
        _ => {}
    }

    // Labels the type reserves for its points.
    match kind {
        MetricType::Histogram | MetricType::GaugeHistogram
            if suffix != Suffix::Bucket && s.sample.label("le").is_some() =>
        {
            return Err(at_labels(format!("{name} must not have an \"le\" label: it is reserved for buckets")));
        }
        MetricType::Summary if suffix != Suffix::None && s.sample.label("quantile").is_some() => {
            return Err(at_labels(format!("{name} must not have a \"quantile\" label: it is reserved for quantiles")));
        }
        _ => {}
    }

    if let Some(ex) = &s.sample.exemplar {
        let at_ex = |m: String| err(line_no, line, s.exemplar_at, m);
        match (kind, suffix) {
            (MetricType::Counter, Suffix::Total) => {}
            (MetricType::Histogram | MetricType::GaugeHistogram, Suffix::Bucket) => {
                let le = s.sample.label("le").and_then(|le| parse_number(le).ok());
                if let Some(le) = le {
                    if ex.value > le {
                        return Err(at_ex(format!("exemplar value {} is above its bucket's le {}", ex.value, le)));
                    }
                }
            }
            _ => {
                return Err(at_ex(format!(
                    "exemplars are allowed only on counter _total and histogram _bucket samples, not on {name}"
                )))
            }
        }
    }
    Ok(())
}

/// `le` must be a number, not NaN, with positive infinity spelled `+Inf`.
fn check_le(le: &str) -> Result<(), String> {
    match parse_number(le) {
        Ok(v) if v.is_nan() => Err("bucket le must not be NaN".into()),
        Ok(v) if v == f64::INFINITY && le != "+Inf" => {
            Err(format!("bucket le {le:?} is not canonical: positive infinity must be written \"+Inf\""))
        }
        Ok(_) => Ok(()),
        Err(_) => Err(format!("bucket le {le:?} is not a number")),
    }
}

/// Metric and point bookkeeping: metrics not interleaved, timestamps,
/// per-point histogram and counter rules.
fn track_groups(
    cur: &mut Current<'_>,
    groups: &mut Groups,
    suffix: Suffix,
    s: &ScannedSample<'_>,
    line: &str,
    line_no: usize,
) -> Result<(), ParseError> {
    let kind = cur.family.metric_type;
    let ts = s.sample.timestamp;
    let index = u32::try_from(cur.family.samples.len()).unwrap_or(u32::MAX);

    // Identity of this sample's metric, compared with borrows only.
    let (hash, same, known, interleaved) = {
        let family: &str = &cur.family.name;
        let excl = point_label(kind, suffix, family);
        let hash = group_hash(&s.sample, excl);
        let matches = |first: u32| {
            cur.family.samples.get(first as usize).is_some_and(|f| {
                let f_suffix = f.name.get(family.len()..).unwrap_or("");
                same_group(&s.sample, excl, f, point_label(kind, Suffix::of(f_suffix), family))
            })
        };
        let same = matches!(cur.group, Some((h, first)) if h == hash && matches(first));
        // A new metric's hash is recorded now (one probe of the map); on an
        // error below, the parse stops, so recording early changes nothing.
        let known = if same {
            None
        } else {
            match groups.first.entry(hash) {
                std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(index);
                    None
                }
            }
        };
        let interleaved = known
            .filter(|&first| matches(first) || groups.collided.iter().any(|&c| matches(c)))
            .map(|_| label_text(&s.sample, excl));
        (hash, same, known, interleaved)
    };

    if same {
        match (cur.group_ts, ts) {
            (None, None) => {}
            (Some(prev), Some(now)) => {
                if now < prev {
                    return Err(err(
                        line_no,
                        line,
                        s.timestamp_at,
                        format!("timestamp {now} goes backwards (the previous sample of this metric has {prev})"),
                    ));
                }
                if now != prev {
                    end_point(cur)?;
                }
            }
            _ => {
                return Err(err(
                    line_no,
                    line,
                    if ts.is_some() { s.timestamp_at } else { s.value_at },
                    "timestamps must be given on all or none of a metric's samples",
                ))
            }
        }
    } else {
        if let Some(labels) = interleaved {
            return Err(err(
                line_no,
                line,
                s.labels_at,
                format!(
                    "the samples of metric {}{labels} are interleaved with another metric's: a metric's samples must be together",
                    s.sample.name
                ),
            ));
        }
        end_point(cur)?;
        if known.is_some() {
            groups.collided.push(index);
        }
        cur.group = Some((hash, index));
    }
    cur.group_ts = ts;

    // Point bookkeeping.
    match kind {
        MetricType::Histogram | MetricType::GaugeHistogram => {
            let v = s.sample.value;
            let p = &mut cur.hist;
            match suffix {
                Suffix::Bucket => {
                    let le = s.sample.label("le").and_then(|l| parse_number(l).ok()).unwrap_or(f64::NAN);
                    if let Some(last) = p.last_le {
                        if le <= last {
                            return Err(err(
                                line_no,
                                line,
                                s.labels_at,
                                format!("bucket le {le} is not above the previous bucket's le {last}: buckets must be sorted by increasing le"),
                            ));
                        }
                        if v < p.last_bucket {
                            return Err(err(
                                line_no,
                                line,
                                s.value_at,
                                format!(
                                    "bucket value {v} is below the previous bucket's {}: buckets are cumulative",
                                    p.last_bucket
                                ),
                            ));
                        }
                    }
                    if le < 0.0 {
                        p.negative_bucket = true;
                    }
                    if le == f64::INFINITY {
                        p.inf_bucket = Some(v);
                    }
                    p.last_le = Some(le);
                    p.last_bucket = v;
                }
                Suffix::Count | Suffix::GCount => p.count = Some(v),
                Suffix::Sum | Suffix::GSum => p.sum = Some(v),
                _ => {}
            }
        }
        MetricType::Counter if suffix == Suffix::Total => cur.counter_total = true,
        _ => {}
    }
    Ok(())
}

fn label_text(s: &Sample<'_>, excl: Option<&str>) -> String {
    let parts: Vec<String> =
        s.labels.iter().filter(|(k, _)| Some(k.as_ref()) != excl).map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", parts.join(","))
}

/// Checks the rules that span a whole metric point, then resets for the next.
fn end_point(cur: &mut Current<'_>) -> Result<(), ParseError> {
    if cur.group.is_none() {
        return Ok(());
    }
    let problem = match cur.family.metric_type {
        MetricType::Histogram | MetricType::GaugeHistogram => {
            let p = std::mem::take(&mut cur.hist);
            histogram_point_problem(&cur.family.name, cur.family.metric_type, &p)
        }
        MetricType::Counter => {
            let had_total = std::mem::take(&mut cur.counter_total);
            (!had_total).then(|| {
                let name = &cur.family.name;
                format!("counter {name}: a metric point must have a {name}_total sample")
            })
        }
        _ => None,
    };
    match problem {
        Some(message) => Err(ParseError { line: cur.last_line, column: 1, message }),
        None => Ok(()),
    }
}

fn histogram_point_problem(name: &str, kind: MetricType, p: &HistogramPoint) -> Option<String> {
    let gauge = kind == MetricType::GaugeHistogram;
    let (count_name, sum_name) = if gauge { ("_gcount", "_gsum") } else { ("_count", "_sum") };
    let Some(inf) = p.inf_bucket else {
        return Some(format!("{kind} {name}: a metric point must have a bucket with le=\"+Inf\""));
    };
    if let Some(count) = p.count {
        if count != inf {
            return Some(format!("{kind} {name}: {name}{count_name} {count} must equal the +Inf bucket {inf}"));
        }
    }
    match (p.count.is_some(), p.sum) {
        (true, None) => return Some(format!("{kind} {name}: {name}{count_name} requires {name}{sum_name}")),
        (false, Some(_)) => return Some(format!("{kind} {name}: {name}{sum_name} requires {name}{count_name}")),
        _ => {}
    }
    let sum = p.sum?;
    if !gauge && p.negative_bucket {
        return Some(format!("histogram {name}: a point with negative buckets must not have {name}_sum"));
    }
    if gauge && sum < 0.0 && !p.negative_bucket {
        return Some(format!("gaugehistogram {name}: {name}_gsum may be negative only with negative buckets"));
    }
    None
}

//! Parsing of exposition text: Prometheus text 0.0.4 and OpenMetrics 1.0.
//!
//! [`parse`] reads a whole text and borrows from it where it can: names and
//! label values without escapes are slices of the input. [`FamilyReader`]
//! reads any [`BufRead`](std::io::BufRead) one family at a time, for inputs
//! too large to hold in memory. [`lint`] reports what `promtool check metrics`
//! would warn about.
//!
//! OpenMetrics is checked strictly against every MUST of the 1.0 text format
//! (see `openmetrics.rs`); Prometheus 0.0.4 is read as Prometheus' own text
//! parser reads it, plus the checks of the reference Go text parser
//! (`expfmt`): HELP and TYPE at most once per family, TYPE before samples,
//! no repeated label names.
//!
//! ```
//! use loki_metrics::parse::{parse, ParseFormat};
//! let families = parse("# TYPE a counter\na_total 1\n# EOF\n", ParseFormat::Auto)?;
//! assert_eq!(families[0].name, "a");
//! assert_eq!(families[0].samples[0].value, 1.0);
//! # Ok::<(), loki_metrics::parse::ParseError>(())
//! ```

mod assemble;
mod lexer;
mod lint;
mod number;
mod openmetrics;
mod prometheus;
mod stream;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

pub use lint::{lint, LintWarning};
pub use stream::{FamilyReader, AUTO_DETECT_LIMIT, MAX_LINE_BYTES};

/// Which text format to parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ParseFormat {
    /// Prometheus text format 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0 text format, strictly.
    OpenMetrics,
    /// OpenMetrics when the text's last line is `# EOF`, else Prometheus.
    #[default]
    Auto,
}

impl ParseFormat {
    /// The name accepted by [`ParseFormat::from_str`].
    pub fn as_str(self) -> &'static str {
        match self {
            ParseFormat::Prometheus => "prometheus",
            ParseFormat::OpenMetrics => "openmetrics",
            ParseFormat::Auto => "auto",
        }
    }

    /// Resolves [`ParseFormat::Auto`] for a whole text.
    pub fn detect(self, text: &str) -> ParseFormat {
        match self {
            ParseFormat::Auto if ends_with_eof_line(text) => ParseFormat::OpenMetrics,
            ParseFormat::Auto => ParseFormat::Prometheus,
            concrete => concrete,
        }
    }
}

fn ends_with_eof_line(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    match body.strip_suffix("# EOF") {
        Some(before) => before.is_empty() || before.ends_with('\n'),
        None => false,
    }
}

impl fmt::Display for ParseFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a [`ParseFormat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownParseFormat(pub String);

impl fmt::Display for UnknownParseFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown format {:?} (expected prometheus, openmetrics or auto)", self.0)
    }
}

impl std::error::Error for UnknownParseFormat {}

impl FromStr for ParseFormat {
    type Err = UnknownParseFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "prometheus" | "text" | "0.0.4" => Ok(ParseFormat::Prometheus),
            "openmetrics" | "om" | "1.0.0" => Ok(ParseFormat::OpenMetrics),
            "auto" => Ok(ParseFormat::Auto),
            _ => Err(UnknownParseFormat(s.to_owned())),
        }
    }
}

/// The type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// `counter`.
    Counter,
    /// `gauge`.
    Gauge,
    /// `histogram`.
    Histogram,
    /// `gaugehistogram` (OpenMetrics only).
    GaugeHistogram,
    /// `summary`.
    Summary,
    /// `stateset` (OpenMetrics only).
    StateSet,
    /// `info` (OpenMetrics only).
    Info,
    /// `unknown` in OpenMetrics, `untyped` in Prometheus 0.0.4, or no TYPE line.
    Unknown,
}

impl MetricKind {
    /// The OpenMetrics spelling (`unknown` for untyped families).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
            MetricKind::GaugeHistogram => "gaugehistogram",
            MetricKind::Summary => "summary",
            MetricKind::StateSet => "stateset",
            MetricKind::Info => "info",
            MetricKind::Unknown => "unknown",
        }
    }

    /// The sample-name suffixes an OpenMetrics family of this type may use.
    pub fn openmetrics_suffixes(self) -> &'static [&'static str] {
        match self {
            MetricKind::Counter => &["_total", "_created"],
            MetricKind::Summary => &["", "_count", "_sum", "_created"],
            MetricKind::Histogram => &["_bucket", "_count", "_sum", "_created"],
            MetricKind::GaugeHistogram => &["_bucket", "_gcount", "_gsum"],
            MetricKind::Info => &["_info"],
            MetricKind::Gauge | MetricKind::StateSet | MetricKind::Unknown => &[""],
        }
    }

    /// The sample-name suffixes a Prometheus 0.0.4 family of this type may use.
    pub fn prometheus_suffixes(self) -> &'static [&'static str] {
        match self {
            MetricKind::Summary => &["", "_count", "_sum"],
            MetricKind::Histogram => &["_bucket", "_count", "_sum"],
            _ => &[""],
        }
    }
}

impl fmt::Display for MetricKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MetricKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A label name and value, unescaped.
pub type Label<'a> = (Cow<'a, str>, Cow<'a, str>);

/// One metric family: its metadata and its samples in input order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricFamily<'a> {
    /// The family name (OpenMetrics: without the `_total`/`_bucket`/... suffix).
    pub name: Cow<'a, str>,
    /// The declared type; [`MetricKind::Unknown`] without a TYPE line.
    #[serde(rename = "type")]
    pub metric_type: MetricKind,
    /// The HELP text, unescaped; `None` when absent or empty.
    pub help: Option<Cow<'a, str>>,
    /// The UNIT (OpenMetrics); `None` when absent or empty.
    pub unit: Option<Cow<'a, str>>,
    /// The samples, in input order.
    pub samples: Vec<ParsedSample<'a>>,
}

impl MetricFamily<'_> {
    /// Copies every borrowed string, detaching the family from the input.
    pub fn into_owned(self) -> MetricFamily<'static> {
        MetricFamily {
            name: Cow::Owned(self.name.into_owned()),
            metric_type: self.metric_type,
            help: self.help.map(|h| Cow::Owned(h.into_owned())),
            unit: self.unit.map(|u| Cow::Owned(u.into_owned())),
            samples: self.samples.into_iter().map(ParsedSample::into_owned).collect(),
        }
    }
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedSample<'a> {
    /// The sample name, with its suffix (e.g. `foo_bucket`).
    pub name: Cow<'a, str>,
    /// Labels in input order, values unescaped.
    pub labels: Vec<Label<'a>>,
    /// The value.
    pub value: f64,
    /// The timestamp in seconds since the epoch (0.0.4 milliseconds divided by 1000).
    pub timestamp: Option<f64>,
    /// The exemplar (OpenMetrics only).
    pub exemplar: Option<Exemplar<'a>>,
}

impl ParsedSample<'_> {
    /// The value of label `name`, if present.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_ref())
    }

    /// Copies every borrowed string.
    pub fn into_owned(self) -> ParsedSample<'static> {
        ParsedSample {
            name: Cow::Owned(self.name.into_owned()),
            labels: owned_labels(self.labels),
            value: self.value,
            timestamp: self.timestamp,
            exemplar: self.exemplar.map(Exemplar::into_owned),
        }
    }
}

fn owned_labels(labels: Vec<Label<'_>>) -> Vec<Label<'static>> {
    labels.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned()))).collect()
}

/// An OpenMetrics exemplar: `# {labels} value [timestamp]` after a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar<'a> {
    /// Labels in input order, values unescaped.
    pub labels: Vec<Label<'a>>,
    /// The exemplar's value.
    pub value: f64,
    /// The timestamp in seconds, if given.
    pub timestamp: Option<f64>,
}

impl Exemplar<'_> {
    /// Copies every borrowed string.
    pub fn into_owned(self) -> Exemplar<'static> {
        Exemplar { labels: owned_labels(self.labels), value: self.value, timestamp: self.timestamp }
    }
}

/// JSON has no NaN or infinities: those are written as the strings `"NaN"`,
/// `"+Inf"` and `"-Inf"`, finite values as numbers.
struct JsonNumber(f64);

impl Serialize for JsonNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_nan() {
            s.serialize_str("NaN")
        } else if v == f64::INFINITY {
            s.serialize_str("+Inf")
        } else if v == f64::NEG_INFINITY {
            s.serialize_str("-Inf")
        } else {
            s.serialize_f64(v)
        }
    }
}

/// Labels as a JSON object in input order.
struct JsonLabels<'l, 'a>(&'l [Label<'a>]);

impl Serialize for JsonLabels<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k.as_ref(), v.as_ref())?;
        }
        map.end()
    }
}

impl Serialize for ParsedSample<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ParsedSample", 5)?;
        st.serialize_field("name", self.name.as_ref())?;
        st.serialize_field("labels", &JsonLabels(&self.labels))?;
        st.serialize_field("value", &JsonNumber(self.value))?;
        st.serialize_field("timestamp", &self.timestamp.map(JsonNumber))?;
        st.serialize_field("exemplar", &self.exemplar)?;
        st.end()
    }
}

impl Serialize for Exemplar<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Exemplar", 3)?;
        st.serialize_field("labels", &JsonLabels(&self.labels))?;
        st.serialize_field("value", &JsonNumber(self.value))?;
        st.serialize_field("timestamp", &self.timestamp.map(JsonNumber))?;
        st.end()
    }
}

/// Why a text is not a valid exposition, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What was wrong, saying what was expected.
    pub message: String,
}

impl ParseError {
    /// An error at the character of `line_text` that starts at byte `offset`.
    pub(crate) fn at(line_no: usize, line_text: &str, offset: usize, message: String) -> Self {
        let prefix = line_text.get(..offset.min(line_text.len())).unwrap_or(line_text);
        ParseError { line: line_no, column: prefix.chars().count() + 1, message }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole exposition text.
///
/// In Prometheus 0.0.4 a family whose samples are split by other families
/// (allowed there) is returned once, with all its samples in input order.
pub fn parse(text: &str, format: ParseFormat) -> Result<Vec<MetricFamily<'_>>, ParseError> {
    let format = format.detect(text);
    let mut asm = assemble::Assembler::new(format);
    let mut families = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0usize;
    let mut line_no = 0usize;
    while start < bytes.len() {
        line_no += 1;
        let (end, next) = match memchr::memchr(b'\n', &bytes[start..]) {
            Some(i) => (start + i, start + i + 1),
            None => (bytes.len(), bytes.len()),
        };
        // `start` and `end` are at a line start and at a '\n' or the end:
        // both are char boundaries.
        let line = text.get(start..end).unwrap_or("");
        asm.feed(line, line_no, |s| s, &mut families)?;
        start = next;
    }
    asm.finish(line_no + 1, &mut families)?;
    if format == ParseFormat::Prometheus {
        merge_interleaved(&mut families);
    }
    Ok(families)
}

/// The families as a JSON array (see [`MetricFamily`]'s `Serialize`: labels
/// as an object in input order, NaN and infinities as `"NaN"`, `"+Inf"`,
/// `"-Inf"`).
pub fn to_json(families: &[MetricFamily<'_>]) -> String {
    // Serializing strings, numbers and maps into a String cannot fail.
    serde_json::to_string(families).unwrap_or_else(|_| String::from("[]"))
}

/// Joins the runs of a 0.0.4 family split by other families into its first run.
fn merge_interleaved(families: &mut Vec<MetricFamily<'_>>) {
    use std::collections::HashMap;
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut repeated = false;
    for (i, f) in families.iter().enumerate() {
        if first.insert(f.name.to_string(), i).is_some() {
            repeated = true;
        }
    }
    if !repeated {
        return;
    }
    first.clear();
    let mut merged: Vec<MetricFamily<'_>> = Vec::with_capacity(families.len());
    for f in families.drain(..) {
        match first.get(f.name.as_ref()).and_then(|&i| merged.get_mut(i)) {
            Some(target) => {
                target.samples.extend(f.samples);
                if target.help.is_none() {
                    target.help = f.help;
                }
                if target.metric_type == MetricKind::Unknown {
                    target.metric_type = f.metric_type;
                }
            }
            None => {
                first.insert(f.name.to_string(), merged.len());
                merged.push(f);
            }
        }
    }
    *families = merged;
}

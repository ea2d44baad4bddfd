//! The exposition model shared by the encoders and the parser: a
//! [`MetricFamily`] (name, type, help, unit) and its [`Sample`]s (name, a label
//! set of any size, value, optional timestamp and exemplar).
//!
//! Family names follow OpenMetrics: a counter family `foo` has samples
//! `foo_total`, an info family `bar` has samples `bar_info`. The Prometheus
//! 0.0.4 encoder derives its metadata names from them (`foo_total`, `bar_info`).

use std::borrow::Cow;
use std::fmt;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

/// The type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
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

impl MetricType {
    /// The OpenMetrics spelling (`unknown` for untyped families).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::StateSet => "stateset",
            MetricType::Info => "info",
            MetricType::Unknown => "unknown",
        }
    }

    /// The sample-name suffixes an OpenMetrics family of this type may use.
    pub fn openmetrics_suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Counter => &["_total", "_created"],
            MetricType::Summary => &["", "_count", "_sum", "_created"],
            MetricType::Histogram => &["_bucket", "_count", "_sum", "_created"],
            MetricType::GaugeHistogram => &["_bucket", "_gcount", "_gsum"],
            MetricType::Info => &["_info"],
            MetricType::Gauge | MetricType::StateSet | MetricType::Unknown => &[""],
        }
    }

    /// The sample-name suffixes a Prometheus 0.0.4 family of this type may use.
    pub fn prometheus_suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Summary => &["", "_count", "_sum"],
            MetricType::Histogram => &["_bucket", "_count", "_sum"],
            _ => &[""],
        }
    }
}

impl MetricType {
    /// Every type, in a fixed order.
    pub const ALL: [MetricType; 8] = [
        MetricType::Counter,
        MetricType::Gauge,
        MetricType::Histogram,
        MetricType::GaugeHistogram,
        MetricType::Summary,
        MetricType::StateSet,
        MetricType::Info,
        MetricType::Unknown,
    ];

    /// The spelling in a Prometheus 0.0.4 `# TYPE` line: 0.0.4 has no
    /// `info` or `stateset` (their samples are gauges), no `gaugehistogram`
    /// and calls `unknown` `untyped`.
    pub fn prometheus_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge | MetricType::Info | MetricType::StateSet => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::GaugeHistogram | MetricType::Unknown => "untyped",
        }
    }

    /// The suffix OpenMetrics family names drop from the sample name that
    /// Prometheus 0.0.4 uses as the family name (`_total`, `_info`).
    pub fn name_suffix(self) -> Option<&'static str> {
        match self {
            MetricType::Counter => Some("_total"),
            MetricType::Info => Some("_info"),
            _ => None,
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MetricType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What a sample's value can be: [`f64`] (what the parser returns, what
/// Prometheus stores) or [`Value`] (exact integers, for producers that count).
pub trait SampleValue: Copy + PartialEq + fmt::Debug {
    /// The value as Prometheus stores it.
    fn to_f64(self) -> f64;
    /// Appends the value as the text formats spell it.
    fn write_text(self, out: &mut String);
    /// Serializes the value as JSON (NaN and infinities as strings).
    fn serialize_json<S: Serializer>(self, s: S) -> Result<S::Ok, S::Error>;
}

impl SampleValue for f64 {
    fn to_f64(self) -> f64 {
        self
    }

    fn write_text(self, out: &mut String) {
        crate::number::write_f64(out, self);
    }

    fn serialize_json<S: Serializer>(self, s: S) -> Result<S::Ok, S::Error> {
        JsonNumber(self).serialize(s)
    }
}

/// A sample value that keeps counts exact: an integer is written without a
/// decimal point and without the rounding an f64 has above 2^53.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A count.
    Int(u64),
    /// Any other number.
    Float(f64),
}

impl Value {
    /// The value as a count: an integer as it is, a float truncated and
    /// saturated (NaN and negatives read as 0).
    pub fn to_u64(self) -> u64 {
        match self {
            Value::Int(n) => n,
            Value::Float(v) => v as u64,
        }
    }
}

impl SampleValue for Value {
    fn to_f64(self) -> f64 {
        match self {
            Value::Int(n) => n as f64,
            Value::Float(v) => v,
        }
    }

    fn write_text(self, out: &mut String) {
        match self {
            Value::Int(n) => crate::number::write_u64(out, n),
            Value::Float(v) => crate::number::write_f64(out, v),
        }
    }

    fn serialize_json<S: Serializer>(self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Int(n) => s.serialize_u64(n),
            Value::Float(v) => JsonNumber(v).serialize(s),
        }
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Int(n)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

/// A label name and value, unescaped.
pub type Label<'a> = (Cow<'a, str>, Cow<'a, str>);

/// One metric family: its metadata and its samples in input order.
///
/// `V` is the type of the sample values: `f64` for parsed text, [`Value`]
/// where counts must stay exact.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(bound = "V: SampleValue")]
pub struct MetricFamily<'a, V = f64> {
    /// The family name (OpenMetrics: without the `_total`/`_bucket`/... suffix).
    pub name: Cow<'a, str>,
    /// The declared type; [`MetricType::Unknown`] without a TYPE line.
    #[serde(rename = "type")]
    pub metric_type: MetricType,
    /// The HELP text, unescaped; `None` when absent or empty.
    pub help: Option<Cow<'a, str>>,
    /// The UNIT (OpenMetrics); `None` when absent or empty.
    pub unit: Option<Cow<'a, str>>,
    /// The samples, in input order.
    pub samples: Vec<Sample<'a, V>>,
}

impl<V: SampleValue> MetricFamily<'_, V> {
    /// The family name an OpenMetrics text uses: the name without the
    /// `_total` / `_info` a counter / info family's samples carry.
    pub fn openmetrics_name(&self) -> &str {
        match self.metric_type.name_suffix() {
            Some(suffix) => self.name.strip_suffix(suffix).unwrap_or(&self.name),
            None => &self.name,
        }
    }

    /// The family name a Prometheus 0.0.4 text uses in `# HELP` and `# TYPE`:
    /// a counter's or info's sample name (`foo_total`, `foo_info`).
    pub fn prometheus_name(&self) -> Cow<'_, str> {
        match self.metric_type.name_suffix() {
            Some(suffix) if !self.name.ends_with(suffix) => Cow::Owned(format!("{}{suffix}", self.name)),
            _ => Cow::Borrowed(&self.name),
        }
    }

    /// Copies every borrowed string, detaching the family from the input.
    pub fn into_owned(self) -> MetricFamily<'static, V> {
        MetricFamily {
            name: Cow::Owned(self.name.into_owned()),
            metric_type: self.metric_type,
            help: self.help.map(|h| Cow::Owned(h.into_owned())),
            unit: self.unit.map(|u| Cow::Owned(u.into_owned())),
            samples: self.samples.into_iter().map(Sample::into_owned).collect(),
        }
    }

    /// The family with every value as Prometheus stores it (an f64).
    pub fn to_f64(&self) -> MetricFamily<'static, f64> {
        MetricFamily {
            name: Cow::Owned(self.name.to_string()),
            metric_type: self.metric_type,
            help: self.help.as_ref().map(|h| Cow::Owned(h.to_string())),
            unit: self.unit.as_ref().map(|u| Cow::Owned(u.to_string())),
            samples: self
                .samples
                .iter()
                .map(|s| Sample {
                    name: Cow::Owned(s.name.to_string()),
                    labels: owned_labels(s.labels.clone()),
                    value: s.value.to_f64(),
                    timestamp: s.timestamp,
                    exemplar: s.exemplar.clone().map(|e| Box::new(e.into_owned())),
                })
                .collect(),
        }
    }
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a, V = f64> {
    /// The sample name, with its suffix (e.g. `foo_bucket`).
    pub name: Cow<'a, str>,
    /// Labels in input order, values unescaped.
    pub labels: Vec<Label<'a>>,
    /// The value.
    pub value: V,
    /// The timestamp in seconds since the epoch (0.0.4 milliseconds divided by 1000).
    pub timestamp: Option<f64>,
    /// The exemplar (OpenMetrics only). Boxed: few samples have one, and
    /// unboxed it would be a third of every sample's size.
    pub exemplar: Option<Box<Exemplar<'a>>>,
}

impl<V: SampleValue> Sample<'_, V> {
    /// The value of label `name`, if present.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_ref())
    }

    /// Copies every borrowed string.
    pub fn into_owned(self) -> Sample<'static, V> {
        Sample {
            name: Cow::Owned(self.name.into_owned()),
            labels: owned_labels(self.labels),
            value: self.value,
            timestamp: self.timestamp,
            exemplar: self.exemplar.map(|e| Box::new(e.into_owned())),
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

/// A sample value as JSON.
struct JsonValue<V>(V);

impl<V: SampleValue> Serialize for JsonValue<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_json(s)
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

impl<V: SampleValue> Serialize for Sample<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Sample", 5)?;
        st.serialize_field("name", self.name.as_ref())?;
        st.serialize_field("labels", &JsonLabels(&self.labels))?;
        st.serialize_field("value", &JsonValue(self.value))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_stays_small() {
        // A parse result holds one `Sample` per line: 200,000 of them for a
        // 25 MB text. The exemplar is boxed so that samples without one (nearly
        // all) do not carry its 48 bytes.
        assert!(std::mem::size_of::<Sample<'_>>() <= 80, "{}", std::mem::size_of::<Sample<'_>>());
    }
}

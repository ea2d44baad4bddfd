//! Encodings of a [`Snapshot`]: Prometheus text 0.0.4, OpenMetrics 1.0.0, JSON.

mod number;
mod openmetrics;
mod prometheus;

use std::fmt;
use std::str::FromStr;

pub use number::{write_f64, write_u64};
pub use openmetrics::render_openmetrics;
pub use prometheus::render_prometheus;

use crate::families::{self, Family};
use crate::{Error, Snapshot, Source};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    Prometheus,
    /// OpenMetrics text format 1.0.0.
    OpenMetrics,
    /// The snapshot as JSON, warnings included.
    Json,
}

impl Format {
    /// Every format, in a fixed order.
    pub const ALL: [Format; 3] = [Format::Prometheus, Format::OpenMetrics, Format::Json];

    /// The HTTP `Content-Type` of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => PROMETHEUS_CONTENT_TYPE,
            Format::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Format::Json => JSON_CONTENT_TYPE,
        }
    }

    /// The name accepted by [`Format::from_str`].
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Prometheus => "prometheus",
            Format::OpenMetrics => "openmetrics",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "prometheus" | "text" | "0.0.4" => Ok(Format::Prometheus),
            "openmetrics" | "om" => Ok(Format::OpenMetrics),
            "json" => Ok(Format::Json),
            _ => Err(Error::unknown_format(s)),
        }
    }
}

/// `Content-Type` of Prometheus text 0.0.4.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// `Content-Type` of OpenMetrics 1.0.0.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// `Content-Type` of the JSON encoding.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// Encodes `snapshot` in `format`.
pub fn render(snapshot: &Snapshot, format: Format) -> String {
    let mut out = String::with_capacity(1536);
    render_into(snapshot, format, &mut out);
    out
}

/// Encodes `snapshot` in `format`, appending to `out`.
pub fn render_into(snapshot: &Snapshot, format: Format, out: &mut String) {
    match format {
        Format::Prometheus => render_prometheus(snapshot, out),
        Format::OpenMetrics => render_openmetrics(snapshot, out),
        Format::Json => out.push_str(&snapshot.to_json()),
    }
}

/// A sample value: integers are written without a decimal point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value {
    Int(u64),
    Float(f64),
}

/// One sample: its label pairs and value.
pub(crate) struct Sample {
    pub labels: [(&'static str, &'static str); 1],
    pub label_count: usize,
    pub value: Value,
}

impl Sample {
    fn plain(value: Value) -> Self {
        Sample { labels: [("", "")], label_count: 0, value }
    }

    fn labelled(name: &'static str, value_label: &'static str, value: Value) -> Self {
        Sample { labels: [(name, value_label)], label_count: 1, value }
    }

    pub fn labels(&self) -> &[(&'static str, &'static str)] {
        &self.labels[..self.label_count]
    }
}

/// Calls `emit` for each family of `snapshot`, in output order, with its samples.
pub(crate) fn for_each_family(snapshot: &Snapshot, mut emit: impl FnMut(&Family, &[Sample])) {
    use Value::{Float, Int};
    let t = &snapshot.tasks;
    emit(&families::SESSION_STATUS, &[Sample::plain(Int(u64::from(snapshot.session_status.code())))]);
    emit(&families::ITERATION_CURRENT, &[Sample::plain(Int(snapshot.iteration_current))]);
    emit(&families::ITERATION_MAX, &[Sample::plain(Int(snapshot.iteration_max))]);
    emit(
        &families::TASKS_TOTAL,
        &[
            Sample::labelled("status", "pending", Int(t.pending)),
            Sample::labelled("status", "in_progress", Int(t.in_progress)),
            Sample::labelled("status", "completed", Int(t.completed)),
            Sample::labelled("status", "failed", Int(t.failed)),
        ],
    );
    emit(&families::AGENTS_ACTIVE, &[Sample::plain(Int(snapshot.agents_active))]);
    emit(&families::AGENTS_TOTAL, &[Sample::plain(Int(snapshot.agents_total))]);
    emit(&families::COST_USD, &[Sample::plain(Float(snapshot.cost_usd))]);
    emit(&families::EVENTS_TOTAL, &[Sample::plain(Int(snapshot.events_total))]);
    emit(&families::UPTIME_SECONDS, &[Sample::plain(Float(snapshot.uptime_seconds))]);

    if let Some(exporter) = &snapshot.exporter {
        let errors: Vec<Sample> = Source::ALL
            .iter()
            .filter(|s| **s != Source::Options)
            .map(|s| Sample::labelled("source", s.path(), Int(u64::from(snapshot.failed_sources.contains(s)))))
            .collect();
        emit(&families::SOURCE_ERROR, &errors);
        emit(&families::SCRAPE_DURATION_SECONDS, &[Sample::plain(Float(exporter.collect_seconds))]);
        emit(&families::EXPORTER_BUILD_INFO, &[Sample::labelled("version", crate::VERSION, Int(1))]);
    }
}

/// Appends `s` with `\\` and newlines escaped, and `"` too when `quote` is set.
pub(crate) fn push_escaped(out: &mut String, s: &str, quote: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

pub(crate) fn push_sample(out: &mut String, name: &str, sample: &Sample) {
    out.push_str(name);
    let labels = sample.labels();
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push_str("=\"");
            push_escaped(out, v, true);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    match sample.value {
        Value::Int(v) => write_u64(out, v),
        Value::Float(v) => write_f64(out, v),
    }
    out.push('\n');
}

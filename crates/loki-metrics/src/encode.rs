//! Encodings of a [`Snapshot`]: Prometheus text 0.0.4, OpenMetrics 1.0.0
//! (both by the exposition crate's encoders, over the snapshot's families)
//! and JSON.

use std::fmt;
use std::str::FromStr;

pub use loki_metrics_exposition::number::{write_f64, write_u64};
pub use loki_metrics_exposition::{TextFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE};

use crate::{Error, Snapshot};

/// An output format: one of the two text formats, or JSON.
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
        match self.text() {
            Some(text) => text.content_type(),
            None => JSON_CONTENT_TYPE,
        }
    }

    /// The name accepted by [`Format::from_str`].
    pub fn as_str(self) -> &'static str {
        match self.text() {
            Some(text) => text.as_str(),
            None => "json",
        }
    }

    /// The text format this is, `None` for JSON.
    pub fn text(self) -> Option<TextFormat> {
        match self {
            Format::Prometheus => Some(TextFormat::Prometheus),
            Format::OpenMetrics => Some(TextFormat::OpenMetrics),
            Format::Json => None,
        }
    }
}

impl From<TextFormat> for Format {
    fn from(text: TextFormat) -> Self {
        match text {
            TextFormat::Prometheus => Format::Prometheus,
            TextFormat::OpenMetrics => Format::OpenMetrics,
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

    /// The text formats by [`TextFormat::from_name`]'s names, and `json`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match TextFormat::from_name(s) {
            Some(text) => Ok(text.into()),
            None if s.trim().eq_ignore_ascii_case("json") => Ok(Format::Json),
            None => Err(Error::unknown_format(s)),
        }
    }
}

/// `Content-Type` of the JSON encoding.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// Picks Prometheus text 0.0.4 or OpenMetrics 1.0.0 for an HTTP `Accept`
/// header, as [`loki_metrics_exposition::negotiate`] does.
pub fn negotiate(accept: Option<&str>) -> Format {
    loki_metrics_exposition::negotiate(accept).into()
}

/// Encodes `snapshot` in `format`.
pub fn render(snapshot: &Snapshot, format: Format) -> String {
    let mut out = String::with_capacity(1536);
    render_into(snapshot, format, &mut out);
    out
}

/// Encodes `snapshot` in `format`, appending to `out`.
pub fn render_into(snapshot: &Snapshot, format: Format, out: &mut String) {
    match format.text() {
        Some(text) => loki_metrics_exposition::encode_into(snapshot.families(), text, out),
        None => out.push_str(&snapshot.to_json()),
    }
}

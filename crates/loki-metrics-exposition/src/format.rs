//! The two text formats and the one table of names they are known by.

use std::fmt;

/// `Content-Type` of Prometheus text 0.0.4.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// `Content-Type` of OpenMetrics 1.0.0.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A text exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextFormat {
    /// Prometheus text format 0.0.4.
    Prometheus,
    /// OpenMetrics text format 1.0.0.
    OpenMetrics,
}

impl TextFormat {
    /// Both formats.
    pub const ALL: [TextFormat; 2] = [TextFormat::Prometheus, TextFormat::OpenMetrics];

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        match self {
            TextFormat::Prometheus => "prometheus",
            TextFormat::OpenMetrics => "openmetrics",
        }
    }

    /// The HTTP `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            TextFormat::Prometheus => PROMETHEUS_CONTENT_TYPE,
            TextFormat::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }

    /// The format a name denotes, trimmed and in any case: `prometheus`,
    /// `text`, `0.0.4`; `openmetrics`, `om`, `1.0.0`. Every API that takes a
    /// format name (encoding and parsing, in every language) goes through
    /// this one table.
    pub fn from_name(name: &str) -> Option<TextFormat> {
        let name = name.trim();
        const PROMETHEUS: [&str; 3] = ["prometheus", "text", "0.0.4"];
        const OPENMETRICS: [&str; 3] = ["openmetrics", "om", "1.0.0"];
        if PROMETHEUS.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            Some(TextFormat::Prometheus)
        } else if OPENMETRICS.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            Some(TextFormat::OpenMetrics)
        } else {
            None
        }
    }
}

impl fmt::Display for TextFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

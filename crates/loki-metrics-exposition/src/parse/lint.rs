//! Style warnings, as `promtool check metrics` (client_golang's `promlint`)
//! gives them. Warnings never make a text invalid.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

use super::{MetricFamily, MetricType};

/// One style problem of one family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LintWarning {
    /// The family's name.
    pub family: String,
    /// What is wrong, in promlint's words.
    pub message: String,
}

impl fmt::Display for LintWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.family, self.message)
    }
}

/// SI base units and the prefixes promlint asks to drop.
const BASE_UNITS: [&str; 10] =
    ["amperes", "bytes", "celsius", "grams", "joules", "kelvin", "meters", "metres", "seconds", "volts"];
const UNIT_PREFIXES: [&str; 18] = [
    "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi", "mega", "mebi", "giga", "gibi",
    "tera", "tebi", "peta", "pebi",
];
const TIME_UNITS: [&str; 4] = ["minutes", "hours", "days", "weeks"];
const ABBREVIATED_UNITS: [&str; 15] =
    ["s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d", "secs"];

fn has_camel_case(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
}

/// The warnings `promtool check metrics` would print for `families`.
pub fn lint(families: &[MetricFamily<'_>]) -> Vec<LintWarning> {
    let mut out = Vec::new();
    for f in families {
        let name: &str = &f.name;
        let mut warn = |message: String| out.push(LintWarning { family: name.to_owned(), message });
        if f.help.is_none() {
            warn("no help text".into());
        }
        let parts: Vec<&str> = name.split('_').collect();
        for part in &parts {
            let lower = part.to_ascii_lowercase();
            for base in BASE_UNITS {
                if let Some(prefix) = lower.strip_suffix(base) {
                    if UNIT_PREFIXES.contains(&prefix) {
                        warn(format!("use base unit \"{base}\" instead of \"{lower}\""));
                    }
                }
            }
            if TIME_UNITS.contains(&lower.as_str()) {
                warn(format!("use base unit \"seconds\" instead of \"{lower}\""));
            }
            if ABBREVIATED_UNITS.contains(&lower.as_str()) {
                warn("metric names should not contain abbreviated units".into());
            }
        }
        let type_word = match f.metric_type {
            MetricType::Unknown => "untyped",
            k => k.as_str(),
        };
        if parts.contains(&type_word) {
            warn(format!("metric name should not include type '{type_word}'"));
        }
        match f.metric_type {
            MetricType::Counter => {
                let lacks_total =
                    f.samples.iter().filter(|s| !s.name.ends_with("_created")).any(|s| !s.name.ends_with("_total"));
                if lacks_total {
                    warn("counter metrics should have \"_total\" suffix".into());
                }
            }
            _ => {
                if name.ends_with("_total") {
                    warn("non-counter metrics should not have \"_total\" suffix".into());
                }
            }
        }
        let histogram_like =
            matches!(f.metric_type, MetricType::Histogram | MetricType::GaugeHistogram | MetricType::Summary);
        if !histogram_like {
            for suffix in ["_count", "_sum", "_bucket"] {
                if name.ends_with(suffix) {
                    warn(format!("non-histogram and non-summary metrics should not have \"{suffix}\" suffix"));
                }
            }
        }
        if name.contains(':') {
            warn("metric names should not contain ':'".into());
        }
        if has_camel_case(name) {
            warn("metric names should be written in 'snake_case' not 'camelCase'".into());
        }
        let mut label_names: HashSet<&str> = HashSet::new();
        let mut seen_series: HashSet<String> = HashSet::new();
        let mut duplicate = false;
        for s in &f.samples {
            for (k, _) in &s.labels {
                label_names.insert(k);
            }
            if !duplicate && s.timestamp.is_none() {
                let mut key = String::from(s.name.as_ref());
                let mut labels: Vec<_> = s.labels.iter().collect();
                labels.sort();
                for (k, v) in labels {
                    key.push('\u{0}');
                    key.push_str(k);
                    key.push('\u{0}');
                    key.push_str(v);
                }
                duplicate = !seen_series.insert(key);
            }
        }
        let mut sorted: Vec<&str> = label_names.into_iter().collect();
        sorted.sort_unstable();
        for label in sorted {
            if has_camel_case(label) {
                warn("label names should be written in 'snake_case' not 'camelCase'".into());
            }
            if label == "le" && !matches!(f.metric_type, MetricType::Histogram | MetricType::GaugeHistogram) {
                warn("non-histogram metrics should not have \"le\" label".into());
            }
            if label == "quantile" && f.metric_type != MetricType::Summary {
                warn("non-summary metrics should not have \"quantile\" label".into());
            }
        }
        if duplicate {
            warn("metric not unique".into());
        }
    }
    out
}

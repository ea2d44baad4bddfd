//! The metric families: one table that the encoders and the docs are made from.

use std::borrow::Cow;

pub use loki_metrics_exposition::MetricType;
use loki_metrics_exposition::{MetricFamily, Sample};

/// Static description of one metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// The sample name as Prometheus 0.0.4 exposes it (e.g. `loki_events_total`).
    pub name: &'static str,
    /// The family's type.
    pub metric_type: MetricType,
    /// The `# HELP` text.
    pub help: &'static str,
    /// The OpenMetrics unit (a suffix of the name), if any.
    pub unit: Option<&'static str>,
    /// Labels its samples carry, in order (documentation only).
    pub labels: &'static [&'static str],
    /// Where the value comes from (documentation only).
    pub source: &'static str,
}

impl Family {
    /// An empty family of this description, named as the exposition model
    /// names families (OpenMetrics names).
    pub fn to_metric_family(&self) -> MetricFamily<'static> {
        MetricFamily {
            name: Cow::Borrowed(self.openmetrics_name()),
            metric_type: self.metric_type,
            help: Some(Cow::Borrowed(self.help)),
            unit: self.unit.map(Cow::Borrowed),
            samples: Vec::new(),
        }
    }

    /// A sample of this family with `labels` (pairs of the family's label
    /// names and values) and `value`.
    pub fn sample(&self, labels: &[(&'static str, &'static str)], value: f64) -> Sample<'static> {
        Sample {
            name: Cow::Borrowed(self.name),
            labels: labels.iter().map(|&(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v))).collect(),
            value,
            timestamp: None,
            exemplar: None,
        }
    }

    /// The OpenMetrics family name: counters and infos drop their sample suffix.
    pub fn openmetrics_name(&self) -> &'static str {
        match self.metric_type.name_suffix() {
            Some(suffix) => self.name.strip_suffix(suffix).unwrap_or(self.name),
            None => self.name,
        }
    }
}

/// `loki_session_status`.
pub const SESSION_STATUS: Family = Family {
    name: "loki_session_status",
    metric_type: MetricType::Gauge,
    help: "Current session status (0=stopped, 1=running, 2=paused)",
    unit: None,
    labels: &[],
    source: "dashboard-state.json `mode`; else liveness of the PID in loki.pid",
};
/// `loki_iteration_current`.
pub const ITERATION_CURRENT: Family = Family {
    name: "loki_iteration_current",
    metric_type: MetricType::Gauge,
    help: "Current iteration number",
    unit: None,
    labels: &[],
    source: "dashboard-state.json `iteration`",
};
/// `loki_iteration_max`.
pub const ITERATION_MAX: Family = Family {
    name: "loki_iteration_max",
    metric_type: MetricType::Gauge,
    help: "Maximum configured iterations",
    unit: None,
    labels: &[],
    source: "option / env LOKI_MAX_ITERATIONS (default 1000)",
};
/// `loki_tasks_total`.
pub const TASKS_TOTAL: Family = Family {
    name: "loki_tasks_total",
    metric_type: MetricType::Gauge,
    help: "Number of tasks by status",
    unit: None,
    labels: &["status"],
    source: "dashboard-state.json `tasks.pending|inProgress|completed|failed`",
};
/// `loki_agents_active`.
pub const AGENTS_ACTIVE: Family = Family {
    name: "loki_agents_active",
    metric_type: MetricType::Gauge,
    help: "Number of currently active agents",
    unit: None,
    labels: &[],
    source: "state/agents.json (else dashboard-state.json `agents`), status == \"active\"",
};
/// `loki_agents_total`.
pub const AGENTS_TOTAL: Family = Family {
    name: "loki_agents_total",
    metric_type: MetricType::Gauge,
    help: "Total number of agents registered",
    unit: None,
    labels: &[],
    source: "state/agents.json (else dashboard-state.json `agents`)",
};
/// `loki_cost_usd`.
pub const COST_USD: Family = Family {
    name: "loki_cost_usd",
    metric_type: MetricType::Gauge,
    help: "Estimated total cost in USD",
    unit: None,
    labels: &[],
    source: "metrics/efficiency/*.json `cost_usd`, else tokens x pricing",
};
/// `loki_events_total`.
pub const EVENTS_TOTAL: Family = Family {
    name: "loki_events_total",
    metric_type: MetricType::Counter,
    help: "Total number of events recorded",
    unit: None,
    labels: &[],
    source: "non-blank lines of events.jsonl",
};
/// `loki_uptime_seconds`.
pub const UPTIME_SECONDS: Family = Family {
    name: "loki_uptime_seconds",
    metric_type: MetricType::Gauge,
    help: "Seconds since session started",
    unit: Some("seconds"),
    labels: &[],
    source: "now - dashboard-state.json `startedAt`; else now - mtime of loki.pid",
};

/// The nine default families, in output order.
pub const DEFAULT_FAMILIES: [Family; 9] = [
    SESSION_STATUS,
    ITERATION_CURRENT,
    ITERATION_MAX,
    TASKS_TOTAL,
    AGENTS_ACTIVE,
    AGENTS_TOTAL,
    COST_USD,
    EVENTS_TOTAL,
    UPTIME_SECONDS,
];

/// `loki_source_error` (exporter metrics, off by default).
pub const SOURCE_ERROR: Family = Family {
    name: "loki_source_error",
    metric_type: MetricType::Gauge,
    help: "1 if the source exists but could not be used on the last collection",
    unit: None,
    labels: &["source"],
    source: "the collection's warnings",
};
/// `loki_scrape_duration_seconds` (exporter metrics, off by default).
pub const SCRAPE_DURATION_SECONDS: Family = Family {
    name: "loki_scrape_duration_seconds",
    metric_type: MetricType::Gauge,
    help: "Time the last collection of the .loki directory took",
    unit: Some("seconds"),
    labels: &[],
    source: "the collection's own timing",
};
/// `loki_exporter_build_info` (exporter metrics, off by default).
pub const EXPORTER_BUILD_INFO: Family = Family {
    name: "loki_exporter_build_info",
    metric_type: MetricType::Info,
    help: "Version of the loki-metrics exporter",
    unit: None,
    labels: &["version"],
    source: "the library's version",
};

/// The families added by `--exporter-metrics`, in output order.
pub const EXPORTER_FAMILIES: [Family; 3] = [SOURCE_ERROR, SCRAPE_DURATION_SECONDS, EXPORTER_BUILD_INFO];

/// The metrics reference page (`docs/metrics.md`), made from the tables above.
pub fn reference_markdown() -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "# Metrics reference\n\n\
         <!-- Generated from crates/loki-metrics/src/families.rs by \
         `LOKI_METRICS_BLESS=1 cargo test -p loki-metrics --test docs`; do not edit. -->\n\n\
         Every family is always emitted, in this order, also when its sources are missing \
         (then with its fallback value). In OpenMetrics, a counter's family name drops `_total` \
         and an info family drops `_info`.\n\n",
    );
    let mut table = |title: &str, families: &[Family]| {
        let _ = writeln!(out, "## {title}\n");
        out.push_str("| metric | type | unit | labels | help | source |\n|---|---|---|---|---|---|\n");
        for f in families {
            let labels = if f.labels.is_empty() { "—".to_owned() } else { f.labels.join(", ") };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                f.name,
                f.metric_type.as_str(),
                f.unit.unwrap_or("—"),
                labels,
                f.help,
                f.source.replace('|', "\\|")
            );
        }
        out.push('\n');
    };
    table("Default families", &DEFAULT_FAMILIES);
    table("Exporter families (`--exporter-metrics`, `LOKI_METRICS_EXPORTER_METRICS=true`)", &EXPORTER_FAMILIES);
    out
}

//! The metric families: one catalogue ([`CATALOGUE`]) that the snapshot, the
//! encoders, the JSON encoding, the bindings and the docs are all made from.
//!
//! Adding a family is one row here (a [`Family`] constant listed in
//! [`CATALOGUE`]) and one reader that sets its value with
//! [`Snapshot::set`](crate::Snapshot::set); nothing else names it.

use std::borrow::Cow;

pub use loki_metrics_exposition::MetricType;
use loki_metrics_exposition::{MetricFamily, Sample, Value};

/// Which families a collection emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Always emitted, with the fallback value when the source is missing.
    Default,
    /// Emitted with exporter metrics on (`--exporter-metrics`,
    /// `LOKI_METRICS_EXPORTER_METRICS=true`); in JSON, under `"exporter"`.
    Exporter,
}

impl Group {
    /// Every group, in output order.
    pub const ALL: [Group; 2] = [Group::Default, Group::Exporter];

    /// The key its families sit under in the snapshot's typed view (`None`:
    /// at the top level).
    pub fn json_key(self) -> Option<&'static str> {
        match self {
            Group::Default => None,
            Group::Exporter => Some("exporter"),
        }
    }
}

/// The samples a family always has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// One sample without labels.
    Single,
    /// One sample per value of `label`, in this order.
    Each {
        /// The label's name.
        label: &'static str,
        /// Its values.
        values: &'static [&'static str],
    },
    /// Samples added by its reader (none until then).
    Dynamic,
}

/// How a family appears in the JSON encoding of a snapshot and in the
/// bindings' typed conveniences (see [`crate::KeyCase`]).
///
/// A key whose family has no sample ([`Series::Dynamic`] before its reader
/// sets one) is `null`, except [`ByLabel`](Json::ByLabel), which is `{}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Json {
    /// Not a key of its own: derived from other keys (e.g. `failed_sources`).
    Derived,
    /// `key: <integer>` (the single sample's value).
    Integer(&'static str),
    /// `key: <number>` (the single sample's value).
    Float(&'static str),
    /// `key: names[value]` (the single sample's value indexes `names`).
    Named(&'static str, &'static [&'static str]),
    /// `key: {<label value>: <value>, ...}`: every sample of a family with one
    /// label ([`Series::Each`] or [`Series::Dynamic`]), keyed by that label's
    /// value; each value an integer or a number as the sample's value is.
    ByLabel(&'static str),
    /// `key: <the value of the single sample's one label>`.
    Label(&'static str),
    /// `key: {<label name>: <label value>, ...}`: the single sample's labels
    /// (an info family such as `loki_session_info{version,provider}`).
    Labels(&'static str),
}

impl Json {
    /// The JSON key, if the family has one.
    pub fn key(self) -> Option<&'static str> {
        match self {
            Json::Derived => None,
            Json::Integer(k)
            | Json::Float(k)
            | Json::Named(k, _)
            | Json::ByLabel(k)
            | Json::Label(k)
            | Json::Labels(k) => Some(k),
        }
    }
}

/// Static description of one metric family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Family {
    /// The sample name as Prometheus 0.0.4 exposes it (e.g. `loki_events_total`).
    pub name: &'static str,
    /// The family's type.
    pub metric_type: MetricType,
    /// The `# HELP` text.
    pub help: &'static str,
    /// The OpenMetrics unit (a suffix of the name), if any.
    pub unit: Option<&'static str>,
    /// Labels its samples carry, in order.
    pub labels: &'static [&'static str],
    /// Where the value comes from (documentation).
    pub source: &'static str,
    /// When it is emitted.
    pub group: Group,
    /// Its samples before any reader runs.
    pub series: Series,
    /// The value of each of those samples before any reader runs.
    pub fallback: Value,
    /// Its place in the JSON encoding.
    pub json: Json,
}

impl Family {
    /// The OpenMetrics family name: counters and infos drop their sample suffix.
    pub fn openmetrics_name(&self) -> &'static str {
        match self.metric_type.name_suffix() {
            Some(suffix) => self.name.strip_suffix(suffix).unwrap_or(self.name),
            None => self.name,
        }
    }

    /// The family with its fallback samples, named as the exposition model
    /// names families (the OpenMetrics name).
    pub fn to_metric_family(&self) -> MetricFamily<'static, Value> {
        let samples = match self.series {
            Series::Single => vec![self.sample(Vec::new(), self.fallback)],
            Series::Each { label, values } => values
                .iter()
                .map(|v| self.sample(vec![(Cow::Borrowed(label), Cow::Borrowed(*v))], self.fallback))
                .collect(),
            Series::Dynamic => Vec::new(),
        };
        MetricFamily {
            name: Cow::Borrowed(self.openmetrics_name()),
            metric_type: self.metric_type,
            help: Some(Cow::Borrowed(self.help)),
            unit: self.unit.map(Cow::Borrowed),
            samples,
        }
    }

    /// A sample of this family.
    pub fn sample(&self, labels: Vec<(Cow<'static, str>, Cow<'static, str>)>, value: Value) -> Sample<'static, Value> {
        Sample { name: Cow::Borrowed(self.name), labels, value, timestamp: None, exemplar: None }
    }
}

/// The names `loki_session_status` values stand for, by value.
pub const SESSION_STATUS_NAMES: &[&str] = &["stopped", "running", "paused"];

/// `loki_session_status`.
pub const SESSION_STATUS: Family = Family {
    name: "loki_session_status",
    metric_type: MetricType::Gauge,
    help: "Current session status (0=stopped, 1=running, 2=paused)",
    unit: None,
    labels: &[],
    source: "STOP/PAUSE, liveness (loki.pid, sessions/*/loki.pid, pids/*.json, session.json), else a fresh dashboard-state.json `mode`",
    group: Group::Default,
    series: Series::Single,
    fallback: Value::Int(0),
    json: Json::Named("session_status", SESSION_STATUS_NAMES),
};
/// `loki_iteration_current`.
pub const ITERATION_CURRENT: Family = Family {
    name: "loki_iteration_current",
    metric_type: MetricType::Gauge,
    help: "Current iteration number",
    unit: None,
    labels: &[],
    source: "autonomy-state.json `iterationCount`, else dashboard-state.json `iteration`, else state/orchestrator.json `iteration`",
    group: Group::Default,
    series: Series::Single,
    fallback: Value::Int(0),
    json: Json::Integer("iteration_current"),
};
/// `loki_iteration_max`.
pub const ITERATION_MAX: Family = Family {
    name: "loki_iteration_max",
    metric_type: MetricType::Gauge,
    help: "Maximum configured iterations",
    unit: None,
    labels: &[],
    source: "option / env LOKI_MAX_ITERATIONS (default 1000)",
    group: Group::Default,
    series: Series::Single,
    fallback: Value::Int(crate::DEFAULT_MAX_ITERATIONS),
    json: Json::Integer("iteration_max"),
};
/// The `status` label values of `loki_tasks_total`, in output order.
pub const TASK_STATUSES: &[&str] = &["pending", "in_progress", "completed", "failed"];
/// `loki_tasks_total`.
pub const TASKS_TOTAL: Family = Family {
    name: "loki_tasks_total",
    metric_type: MetricType::Gauge,
    help: "Number of tasks by status",
    unit: None,
    labels: &["status"],
    source: "dashboard-state.json `tasks.pending|inProgress|completed|failed`; else queue/{pending,in-progress,completed,failed}.json",
    group: Group::Default,
    series: Series::Each { label: "status", values: TASK_STATUSES },
    fallback: Value::Int(0),
    json: Json::ByLabel("tasks"),
};
/// `loki_agents_active`.
pub const AGENTS_ACTIVE: Family = Family {
    name: "loki_agents_active",
    metric_type: MetricType::Gauge,
    help: "Number of currently active agents",
    unit: None,
    labels: &[],
    source: "state/agents.json (else dashboard-state.json `agents`), status == \"active\"",
    group: Group::Default,
    series: Series::Single,
    fallback: Value::Int(0),
    json: Json::Integer("agents_active"),
};
/// `loki_agents_total`.
pub const AGENTS_TOTAL: Family = Family {
    name: "loki_agents_total",
    metric_type: MetricType::Gauge,
    help: "Total number of agents registered",
    unit: None,
    labels: &[],
    source: "state/agents.json (else dashboard-state.json `agents`)",
    group: Group::Default,
    series: Series::Single,
    fallback: Value::Int(0),
    json: Json::Integer("agents_total"),
};
/// `loki_cost_usd`.
pub const COST_USD: Family = Family {
    name: "loki_cost_usd",
    metric_type: MetricType::Gauge,
    help: "Estimated total cost in USD",
    unit: None,
    labels: &[],
    source: "metrics/efficiency/*.json `cost_usd`, else input, output and cache tokens x pricing",
    group: Group::Default,
    series: Series::Single,
    fallback: Value::Float(0.0),
    json: Json::Float("cost_usd"),
};
/// `loki_events_total`.
pub const EVENTS_TOTAL: Family = Family {
    name: "loki_events_total",
    metric_type: MetricType::Counter,
    help: "Total number of events recorded",
    unit: None,
    labels: &[],
    source: "non-blank lines of events.jsonl",
    group: Group::Default,
    series: Series::Single,
    fallback: Value::Int(0),
    json: Json::Integer("events_total"),
};
/// `loki_uptime_seconds`.
pub const UPTIME_SECONDS: Family = Family {
    name: "loki_uptime_seconds",
    metric_type: MetricType::Gauge,
    help: "Seconds since session started",
    unit: Some("seconds"),
    labels: &[],
    source: "age of the live run: the live PID file's mtime, session.json `startedAt`, or dashboard-state.json `startedAt`; stopped: 0",
    group: Group::Default,
    series: Series::Single,
    fallback: Value::Float(0.0),
    json: Json::Float("uptime_seconds"),
};

/// The `verdict` label values of `loki_receipts_by_verdict`, in output order.
pub const RECEIPT_VERDICTS: &[&str] = &["verified", "with_gaps", "not_verified", "unknown"];
/// `loki_receipts_total` (Loki Mode 9.20).
pub const RECEIPTS_TOTAL: Family = Family {
    name: "loki_receipts_total",
    metric_type: MetricType::Gauge,
    help: "Evidence Receipts on disk",
    unit: None,
    labels: &[],
    source: "proofs/<run>/proof.json that are JSON objects",
    group: Group::Default,
    series: Series::Single,
    fallback: Value::Int(0),
    json: Json::Integer("receipts_total"),
};
/// `loki_receipts_by_verdict` (Loki Mode 9.20).
pub const RECEIPTS_BY_VERDICT: Family = Family {
    name: "loki_receipts_by_verdict",
    metric_type: MetricType::Gauge,
    help: "Receipts bucketed on the recorded honesty headline",
    unit: None,
    labels: &["verdict"],
    source: "proofs/<run>/proof.json `honesty.headline`",
    group: Group::Default,
    series: Series::Each { label: "verdict", values: RECEIPT_VERDICTS },
    fallback: Value::Int(0),
    json: Json::ByLabel("receipts_by_verdict"),
};
/// The `kind` label values of `loki_receipts_with_provenance`, in output order.
pub const PROVENANCE_KINDS: &[&str] = &["attestation", "gpg"];
/// `loki_receipts_with_provenance` (Loki Mode 9.20).
pub const RECEIPTS_WITH_PROVENANCE: Family = Family {
    name: "loki_receipts_with_provenance",
    metric_type: MetricType::Gauge,
    help: "Receipts carrying a checkable provenance record",
    unit: None,
    labels: &["kind"],
    source: "proofs/<run>/proof.json `verification.attestation`, `verification.gpg_signature` (truthy)",
    group: Group::Default,
    series: Series::Each { label: "kind", values: PROVENANCE_KINDS },
    fallback: Value::Int(0),
    json: Json::ByLabel("receipts_with_provenance"),
};
/// `loki_budget_limit_usd`.
pub const BUDGET_LIMIT_USD: Family = Family {
    name: "loki_budget_limit_usd",
    metric_type: MetricType::Gauge,
    help: "Configured session budget in USD",
    unit: None,
    labels: &[],
    source: "metrics/budget.json `limit`, else `budget_limit`; else env LOKI_BUDGET_LIMIT; none: no sample",
    group: Group::Default,
    series: Series::Dynamic,
    fallback: Value::Float(0.0),
    json: Json::Float("budget_limit_usd"),
};
/// `loki_budget_exceeded`.
pub const BUDGET_EXCEEDED: Family = Family {
    name: "loki_budget_exceeded",
    metric_type: MetricType::Gauge,
    help: "Whether the session budget was exceeded (1) or not (0)",
    unit: None,
    labels: &[],
    source: "metrics/budget.json `exceeded`, or signals/BUDGET_EXCEEDED; neither file: no sample",
    group: Group::Default,
    series: Series::Dynamic,
    fallback: Value::Int(0),
    json: Json::Integer("budget_exceeded"),
};
/// The `kind` label values of `loki_tokens_total`, in output order.
pub const TOKEN_KINDS: &[&str] = &["input", "output", "cache_read", "cache_creation"];
/// `loki_tokens_total`.
pub const TOKENS_TOTAL: Family = Family {
    name: "loki_tokens_total",
    metric_type: MetricType::Counter,
    help: "Tokens used by the current run",
    unit: None,
    labels: &["kind"],
    source: "metrics/efficiency/*.json `input_tokens`, `output_tokens`, `cache_read_tokens`, `cache_creation_tokens`",
    group: Group::Default,
    series: Series::Each { label: "kind", values: TOKEN_KINDS },
    fallback: Value::Int(0),
    json: Json::ByLabel("tokens"),
};
/// `loki_model_cost_usd`.
pub const MODEL_COST_USD: Family = Family {
    name: "loki_model_cost_usd",
    metric_type: MetricType::Gauge,
    help: "Estimated cost in USD by model",
    unit: None,
    labels: &["model"],
    source: "metrics/efficiency/*.json by `model` (lower-cased; the 32 costliest, the rest as `other`)",
    group: Group::Default,
    series: Series::Dynamic,
    fallback: Value::Float(0.0),
    json: Json::ByLabel("model_cost_usd"),
};
/// The labels of `loki_session_info`, in output order.
pub const SESSION_INFO_LABELS: &[&str] = &["version", "provider", "phase", "project"];
/// `loki_session_info`.
pub const SESSION_INFO: Family = Family {
    name: "loki_session_info",
    metric_type: MetricType::Info,
    help: "Loki Mode session metadata",
    unit: None,
    labels: SESSION_INFO_LABELS,
    source: "dashboard-state.json `version`, `provider`, `phase`, `project.name`; else session.json, state/orchestrator.json",
    group: Group::Default,
    series: Series::Dynamic,
    fallback: Value::Int(1),
    json: Json::Labels("session_info"),
};
/// `loki_state_updated_timestamp_seconds`.
pub const STATE_UPDATED_TIMESTAMP_SECONDS: Family = Family {
    name: "loki_state_updated_timestamp_seconds",
    metric_type: MetricType::Gauge,
    help: "Unix time the session state was last written",
    unit: Some("seconds"),
    labels: &[],
    source: "dashboard-state.json `timestamp` (else its mtime); else session.json `updatedAt`; none: no sample",
    group: Group::Default,
    series: Series::Dynamic,
    fallback: Value::Float(0.0),
    json: Json::Float("state_updated_timestamp_seconds"),
};
/// The `status` label values of `loki_checklist_items`, in output order.
pub const CHECKLIST_STATUSES: &[&str] = &["verified", "failing", "pending"];
/// `loki_checklist_items`.
pub const CHECKLIST_ITEMS: Family = Family {
    name: "loki_checklist_items",
    metric_type: MetricType::Gauge,
    help: "PRD checklist items by verification status",
    unit: None,
    labels: &["status"],
    source: "checklist/checklist.json `summary.verified|failing|pending`; absent: no sample",
    group: Group::Default,
    series: Series::Dynamic,
    fallback: Value::Int(0),
    json: Json::ByLabel("checklist_items"),
};

/// `loki_source_error` (exporter metrics, off by default).
pub const SOURCE_ERROR: Family = Family {
    name: "loki_source_error",
    metric_type: MetricType::Gauge,
    help: "1 if the source exists but could not be used on the last collection",
    unit: None,
    labels: &["source"],
    source: "the collection's warnings",
    group: Group::Exporter,
    series: Series::Dynamic,
    fallback: Value::Int(0),
    json: Json::Derived,
};
/// `loki_scrape_duration_seconds` (exporter metrics, off by default).
pub const SCRAPE_DURATION_SECONDS: Family = Family {
    name: "loki_scrape_duration_seconds",
    metric_type: MetricType::Gauge,
    help: "Time the last collection of the .loki directory took",
    unit: Some("seconds"),
    labels: &[],
    source: "the collection's own timing",
    group: Group::Exporter,
    series: Series::Single,
    fallback: Value::Float(0.0),
    json: Json::Float("collect_seconds"),
};
/// `loki_exporter_build_info` (exporter metrics, off by default).
pub const EXPORTER_BUILD_INFO: Family = Family {
    name: "loki_exporter_build_info",
    metric_type: MetricType::Info,
    help: "Version of the loki-metrics exporter",
    unit: None,
    labels: &["version"],
    source: "the library's version",
    group: Group::Exporter,
    series: Series::Each { label: "version", values: &[crate::VERSION] },
    fallback: Value::Int(1),
    json: Json::Label("version"),
};

/// `loki_test_answer`: only with the `test-family` feature (see Cargo.toml).
#[cfg(feature = "test-family")]
pub const TEST_ANSWER: Family = Family {
    name: "loki_test_answer",
    metric_type: MetricType::Gauge,
    help: "A family that exists only in test builds",
    unit: None,
    labels: &[],
    source: "a constant: 42 (for a directory that exists)",
    group: Group::Default,
    series: Series::Single,
    fallback: Value::Int(0),
    json: Json::Integer("test_answer"),
};

/// Every family, in output order.
pub const CATALOGUE: &[Family] = &[
    SESSION_STATUS,
    ITERATION_CURRENT,
    ITERATION_MAX,
    TASKS_TOTAL,
    AGENTS_ACTIVE,
    AGENTS_TOTAL,
    COST_USD,
    EVENTS_TOTAL,
    UPTIME_SECONDS,
    RECEIPTS_TOTAL,
    RECEIPTS_BY_VERDICT,
    RECEIPTS_WITH_PROVENANCE,
    BUDGET_LIMIT_USD,
    BUDGET_EXCEEDED,
    TOKENS_TOTAL,
    MODEL_COST_USD,
    SESSION_INFO,
    STATE_UPDATED_TIMESTAMP_SECONDS,
    CHECKLIST_ITEMS,
    #[cfg(feature = "test-family")]
    TEST_ANSWER,
    SOURCE_ERROR,
    SCRAPE_DURATION_SECONDS,
    EXPORTER_BUILD_INFO,
];

/// The families of `group`, in output order.
pub fn group(group: Group) -> impl Iterator<Item = &'static Family> {
    CATALOGUE.iter().filter(move |f| f.group == group)
}

/// The family whose sample name or OpenMetrics family name is `name`.
pub fn by_name(name: &str) -> Option<&'static Family> {
    CATALOGUE.iter().find(|f| f.name == name || f.openmetrics_name() == name)
}

/// The metrics reference page (`docs/metrics.md`), made from the catalogue.
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
    let mut table = |title: &str, group: Group| {
        let _ = writeln!(out, "## {title}\n");
        out.push_str("| metric | type | unit | labels | help | source |\n|---|---|---|---|---|---|\n");
        for f in self::group(group) {
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
    table("Default families", Group::Default);
    table("Exporter families (`--exporter-metrics`, `LOKI_METRICS_EXPORTER_METRICS=true`)", Group::Exporter);
    out
}

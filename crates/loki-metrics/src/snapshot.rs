use loki_metrics_exposition::MetricFamily;
use serde::{Deserialize, Serialize};

/// What `loki_session_status` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// `0`: no session, or a dead PID.
    Stopped,
    /// `1`: `mode` is autonomous/running, or the PID is alive.
    Running,
    /// `2`: `mode` is paused.
    Paused,
}

impl SessionStatus {
    /// The value exposed in `loki_session_status`.
    pub fn code(self) -> u8 {
        match self {
            SessionStatus::Stopped => 0,
            SessionStatus::Running => 1,
            SessionStatus::Paused => 2,
        }
    }
}

/// Task counts by queue, as exposed in `loki_tasks_total{status=...}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskCounts {
    /// `tasks.pending`.
    pub pending: u64,
    /// `tasks.inProgress`.
    pub in_progress: u64,
    /// `tasks.completed`.
    pub completed: u64,
    /// `tasks.failed`.
    pub failed: u64,
}

/// One of the files (or folders) a snapshot is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Source {
    /// The `.loki` directory itself.
    #[serde(rename = ".")]
    Directory,
    /// `dashboard-state.json`.
    #[serde(rename = "dashboard-state.json")]
    DashboardState,
    /// `loki.pid`.
    #[serde(rename = "loki.pid")]
    Pid,
    /// `state/agents.json`.
    #[serde(rename = "state/agents.json")]
    Agents,
    /// `metrics/efficiency/` and the records in it.
    #[serde(rename = "metrics/efficiency")]
    Efficiency,
    /// `pricing.json`.
    #[serde(rename = "pricing.json")]
    Pricing,
    /// `events.jsonl`.
    #[serde(rename = "events.jsonl")]
    Events,
    /// The options the collection was given (e.g. `LOKI_MAX_ITERATIONS`).
    #[serde(rename = "options")]
    Options,
}

impl Source {
    /// Every source, in a fixed order.
    pub const ALL: [Source; 8] = [
        Source::Directory,
        Source::DashboardState,
        Source::Pid,
        Source::Agents,
        Source::Efficiency,
        Source::Pricing,
        Source::Events,
        Source::Options,
    ];

    /// The path relative to the `.loki` directory (`.` for the directory).
    pub fn path(self) -> &'static str {
        match self {
            Source::Directory => ".",
            Source::DashboardState => "dashboard-state.json",
            Source::Pid => "loki.pid",
            Source::Agents => "state/agents.json",
            Source::Efficiency => "metrics/efficiency",
            Source::Pricing => "pricing.json",
            Source::Events => "events.jsonl",
            Source::Options => "options",
        }
    }
}

/// A problem met while reading: the value fell back as the specification says.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Warning {
    /// Which source it concerns.
    pub source: Source,
    /// What was wrong and what was used instead.
    pub message: String,
}

impl Warning {
    pub(crate) fn new(source: Source, message: impl Into<String>) -> Self {
        Warning { source, message: message.into() }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.source.path(), self.message)
    }
}

/// The metric values of one collection of a `.loki` directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `loki_session_status`.
    pub session_status: SessionStatus,
    /// `loki_iteration_current`.
    pub iteration_current: u64,
    /// `loki_iteration_max`.
    pub iteration_max: u64,
    /// `loki_tasks_total`.
    pub tasks: TaskCounts,
    /// `loki_agents_active`.
    pub agents_active: u64,
    /// `loki_agents_total`.
    pub agents_total: u64,
    /// `loki_cost_usd`, rounded to 6 decimals.
    pub cost_usd: f64,
    /// `loki_events_total`.
    pub events_total: u64,
    /// `loki_uptime_seconds`, rounded to 0.1.
    pub uptime_seconds: f64,
    /// Sources that exist but could not be used (wholly or partly), sorted.
    pub failed_sources: Vec<Source>,
    /// Every problem met while reading, in the order met.
    pub warnings: Vec<Warning>,
    /// Exporter metrics (`loki_scrape_duration_seconds` etc.), when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exporter: Option<ExporterInfo>,
}

/// Values of the optional exporter families.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExporterInfo {
    /// How long the collection took, in seconds.
    pub collect_seconds: f64,
    /// The library version.
    pub version: String,
}

impl Snapshot {
    /// A snapshot with every fallback value and no warnings.
    pub fn empty(iteration_max: u64) -> Self {
        Snapshot {
            session_status: SessionStatus::Stopped,
            iteration_current: 0,
            iteration_max,
            tasks: TaskCounts::default(),
            agents_active: 0,
            agents_total: 0,
            cost_usd: 0.0,
            events_total: 0,
            uptime_seconds: 0.0,
            failed_sources: Vec::new(),
            warnings: Vec::new(),
            exporter: None,
        }
    }

    /// The snapshot's metric families, in output order, as the encoders and
    /// the bindings see them.
    pub fn families(&self) -> Vec<MetricFamily<'static>> {
        use crate::families::*;
        // Integers are exact in an f64 up to 2^53; above, the text shows the
        // float Prometheus would store anyway.
        let int = |v: u64| v as f64;
        let single = |family: &Family, value: f64| {
            let mut f = family.to_metric_family();
            f.samples.push(family.sample(&[], value));
            f
        };
        let t = &self.tasks;
        let mut tasks = TASKS_TOTAL.to_metric_family();
        for (status, v) in
            [("pending", t.pending), ("in_progress", t.in_progress), ("completed", t.completed), ("failed", t.failed)]
        {
            tasks.samples.push(TASKS_TOTAL.sample(&[("status", status)], int(v)));
        }
        let mut out = vec![
            single(&SESSION_STATUS, f64::from(self.session_status.code())),
            single(&ITERATION_CURRENT, int(self.iteration_current)),
            single(&ITERATION_MAX, int(self.iteration_max)),
            tasks,
            single(&AGENTS_ACTIVE, int(self.agents_active)),
            single(&AGENTS_TOTAL, int(self.agents_total)),
            single(&COST_USD, self.cost_usd),
            single(&EVENTS_TOTAL, int(self.events_total)),
            single(&UPTIME_SECONDS, self.uptime_seconds),
        ];
        if let Some(exporter) = &self.exporter {
            let mut errors = SOURCE_ERROR.to_metric_family();
            for source in Source::ALL.iter().filter(|s| **s != Source::Options) {
                let failed = f64::from(u8::from(self.failed_sources.contains(source)));
                errors.samples.push(SOURCE_ERROR.sample(&[("source", source.path())], failed));
            }
            out.push(errors);
            out.push(single(&SCRAPE_DURATION_SECONDS, exporter.collect_seconds));
            let mut build = EXPORTER_BUILD_INFO.to_metric_family();
            build.samples.push(EXPORTER_BUILD_INFO.sample(&[("version", crate::VERSION)], 1.0));
            out.push(build);
        }
        out
    }

    /// The snapshot as pretty JSON (the `--format json` output).
    pub fn to_json(&self) -> String {
        let mut out =
            serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
        out.push('\n');
        out
    }
}

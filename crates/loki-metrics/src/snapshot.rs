use std::borrow::Cow;
use std::path::{Path, PathBuf};

use loki_metrics_exposition::{MetricFamily, Sample, SampleValue, Value};
use serde::{Deserialize, Serialize};

use crate::families::{self, Family, Group, Series};

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

    /// The status a `loki_session_status` value stands for (unknown values: stopped).
    pub fn from_code(code: u64) -> Self {
        match code {
            1 => SessionStatus::Running,
            2 => SessionStatus::Paused,
            _ => SessionStatus::Stopped,
        }
    }

    /// Its name: `stopped`, `running` or `paused`.
    pub fn as_str(self) -> &'static str {
        families::SESSION_STATUS_NAMES[usize::from(self.code())]
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
    /// `autonomy-state.json` (run.sh's main loop).
    #[serde(rename = "autonomy-state.json")]
    AutonomyState,
    /// `session.json` (skill-invoked sessions).
    #[serde(rename = "session.json")]
    Session,
    /// `sessions/<id>/loki.pid` of parallel sessions.
    #[serde(rename = "sessions")]
    Sessions,
    /// `pids/*.json`, the process registry.
    #[serde(rename = "pids")]
    PidRegistry,
    /// `state/orchestrator.json`.
    #[serde(rename = "state/orchestrator.json")]
    Orchestrator,
    /// `queue/{pending,in-progress,completed,failed}.json`.
    #[serde(rename = "queue")]
    Queue,
    /// `metrics/budget.json`.
    #[serde(rename = "metrics/budget.json")]
    Budget,
    /// `proofs/<run>/proof.json`, the Evidence Receipts.
    #[serde(rename = "proofs")]
    Proofs,
    /// `checklist/checklist.json`.
    #[serde(rename = "checklist/checklist.json")]
    Checklist,
    /// The options the collection was given (e.g. `LOKI_MAX_ITERATIONS`).
    #[serde(rename = "options")]
    Options,
}

impl Source {
    /// Every source, in a fixed order.
    pub const ALL: [Source; 17] = [
        Source::Directory,
        Source::DashboardState,
        Source::Pid,
        Source::Agents,
        Source::Efficiency,
        Source::Pricing,
        Source::Events,
        Source::AutonomyState,
        Source::Session,
        Source::Sessions,
        Source::PidRegistry,
        Source::Orchestrator,
        Source::Queue,
        Source::Budget,
        Source::Proofs,
        Source::Checklist,
        Source::Options,
    ];

    /// The source whose [`path`](Source::path) is `path`.
    pub fn from_path(path: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.path() == path)
    }

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
            Source::AutonomyState => "autonomy-state.json",
            Source::Session => "session.json",
            Source::Sessions => "sessions",
            Source::PidRegistry => "pids",
            Source::Orchestrator => "state/orchestrator.json",
            Source::Queue => "queue",
            Source::Budget => "metrics/budget.json",
            Source::Proofs => "proofs",
            Source::Checklist => "checklist/checklist.json",
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

    /// The file or directory the warning concerns in a collection of
    /// `loki_dir` (`loki_dir` itself for [`Source::Directory`]); `None` for
    /// [`Source::Options`], which is no file.
    pub fn path_in(&self, loki_dir: &Path) -> Option<PathBuf> {
        match self.source {
            Source::Directory => Some(loki_dir.to_path_buf()),
            Source::Options => None,
            source => Some(loki_dir.join(source.path())),
        }
    }

    /// The warning as one line for a collection of `loki_dir`: like its
    /// [`Display`](std::fmt::Display) (`<source>: <message>`), except that a
    /// warning about the directory itself names `loki_dir` as given instead
    /// of `.`. The message stays path-free, so snapshots of one tree render
    /// the same wherever the tree is.
    pub fn located(&self, loki_dir: &Path) -> String {
        match self.source {
            Source::Directory => format!("{}: {}", loki_dir.display(), self.message),
            _ => self.to_string(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.source.path(), self.message)
    }
}

/// One collection of a `.loki` directory: its metric families, filled from
/// the [catalogue](crate::families::CATALOGUE), and every problem met.
///
/// The families are data: [`families`](Snapshot::families) hands them out in
/// the exposition model the parser also returns, [`value`](Snapshot::value)
/// looks one sample up, and the typed accessors (`iteration_current()`, ...)
/// read them.
///
/// Two snapshots are equal when what the encodings carry is equal (families,
/// failed sources, warnings); the status's [reason](Snapshot::status_reason),
/// which is for people and not encoded, is not compared.
#[derive(Debug, Clone)]
pub struct Snapshot {
    families: Vec<MetricFamily<'static, Value>>,
    failed_sources: Vec<Source>,
    status_reason: String,
    /// Every problem met while reading, in the order met.
    pub warnings: Vec<Warning>,
}

impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        self.families == other.families
            && self.failed_sources == other.failed_sources
            && self.warnings == other.warnings
    }
}

/// Values of the optional exporter families.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExporterInfo {
    /// How long the collection took, in seconds.
    pub collect_seconds: f64,
    /// The library version.
    pub version: String,
}

/// The sample's labels are exactly `labels`, in any order.
fn labels_match(sample: &Sample<'_, Value>, labels: &[(&str, &str)]) -> bool {
    sample.labels.len() == labels.len()
        && labels.iter().all(|(k, v)| sample.label(k) == Some(*v))
        && sample.labels.iter().all(|(k, v)| labels.iter().any(|(qk, qv)| qk == k && qv == v))
}

impl Snapshot {
    /// A snapshot with every fallback value and no warnings.
    pub fn empty(iteration_max: u64) -> Self {
        let mut snapshot = Snapshot {
            families: families::group(Group::Default).map(Family::to_metric_family).collect(),
            failed_sources: Vec::new(),
            status_reason: String::new(),
            warnings: Vec::new(),
        };
        snapshot.set_iteration_max(iteration_max);
        snapshot
    }

    /// The metric families, in output order.
    pub fn families(&self) -> &[MetricFamily<'static, Value>] {
        &self.families
    }

    /// The family `family` describes, if the snapshot has it (exporter
    /// families only with exporter metrics on).
    pub fn family(&self, family: &Family) -> Option<&MetricFamily<'static, Value>> {
        let name = family.openmetrics_name();
        self.families.iter().find(|f| f.name == name)
    }

    /// Sources that exist but could not be used (wholly or partly), sorted.
    pub fn failed_sources(&self) -> &[Source] {
        &self.failed_sources
    }

    /// Sets the failed sources (sorted, each once), and with exporter
    /// metrics on, `loki_source_error` to match.
    pub fn set_failed_sources(&mut self, mut sources: Vec<Source>) {
        sources.sort_unstable();
        sources.dedup();
        self.failed_sources = sources;
        if self.family(&families::SOURCE_ERROR).is_some() {
            let samples = self.exporter_samples(&families::SOURCE_ERROR);
            let name = families::SOURCE_ERROR.openmetrics_name();
            if let Some(f) = self.families.iter_mut().find(|f| f.name == name) {
                f.samples = samples;
            }
        }
    }

    /// The value of the sample named `name` (a sample name such as
    /// `loki_tasks_total`, or a family name such as `loki_events`) whose
    /// labels are exactly `labels` (in any order).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<Value> {
        self.families
            .iter()
            .filter(|f| f.name == name || f.samples.first().is_some_and(|s| s.name == name))
            .flat_map(|f| f.samples.iter())
            .find(|s| labels_match(s, labels))
            .map(|s| s.value)
    }

    /// Sets the sample of `family` with `labels` to `value`, adding the
    /// sample if it is not there. Does nothing if the snapshot does not have
    /// the family.
    pub fn set(&mut self, family: &Family, labels: &[(&str, &str)], value: impl Into<Value>) {
        let value = value.into();
        let name = family.openmetrics_name();
        let Some(f) = self.families.iter_mut().find(|f| f.name == name) else {
            return;
        };
        match f.samples.iter_mut().find(|s| labels_match(s, labels)) {
            Some(sample) => sample.value = value,
            None => {
                let labels = labels.iter().map(|(k, v)| (Cow::Owned((*k).to_owned()), Cow::Owned((*v).to_owned())));
                f.samples.push(family.sample(labels.collect(), value));
            }
        }
    }

    fn get(&self, family: &Family, labels: &[(&str, &str)]) -> Value {
        self.family(family)
            .and_then(|f| f.samples.iter().find(|s| labels_match(s, labels)))
            .map_or(family.fallback, |s| s.value)
    }

    /// `loki_session_status`.
    pub fn session_status(&self) -> SessionStatus {
        SessionStatus::from_code(self.get(&families::SESSION_STATUS, &[]).to_u64())
    }

    /// Sets `loki_session_status`.
    pub fn set_session_status(&mut self, status: SessionStatus) {
        self.set(&families::SESSION_STATUS, &[], u64::from(status.code()));
    }

    /// Why the session has its status, in the words of the status rules
    /// (`PID 4242 (loki.pid) is not alive`); empty for a snapshot that was
    /// not collected (one decoded from JSON, say). Not a metric: the status
    /// page and `watch` show it.
    pub fn status_reason(&self) -> &str {
        &self.status_reason
    }

    /// Sets [`status_reason`](Snapshot::status_reason).
    pub fn set_status_reason(&mut self, reason: impl Into<String>) {
        self.status_reason = reason.into();
    }

    /// `loki_tasks_total`, by status.
    pub fn tasks(&self) -> TaskCounts {
        let get = |status| self.get(&families::TASKS_TOTAL, &[("status", status)]).to_u64();
        TaskCounts {
            pending: get("pending"),
            in_progress: get("in_progress"),
            completed: get("completed"),
            failed: get("failed"),
        }
    }

    /// Sets `loki_tasks_total`.
    pub fn set_tasks(&mut self, tasks: TaskCounts) {
        let by_status = [tasks.pending, tasks.in_progress, tasks.completed, tasks.failed];
        for (status, n) in families::TASK_STATUSES.iter().zip(by_status) {
            self.set(&families::TASKS_TOTAL, &[("status", status)], n);
        }
    }

    /// The values of the exporter families, when exporter metrics are on.
    pub fn exporter(&self) -> Option<ExporterInfo> {
        let duration = self.family(&families::SCRAPE_DURATION_SECONDS)?;
        let build = self.family(&families::EXPORTER_BUILD_INFO);
        let version = build.and_then(|f| f.samples.first()).and_then(|s| s.label("version"));
        Some(ExporterInfo {
            collect_seconds: duration.samples.first().map_or(0.0, |s| s.value.to_f64()),
            version: version.unwrap_or(crate::VERSION).to_owned(),
        })
    }

    /// Turns the exporter families on with `info` (and `loki_source_error`
    /// from [`failed_sources`](Snapshot::failed_sources) as it is now), or
    /// off with `None`. `loki_exporter_build_info` always carries this
    /// library's version (the exporter that renders it), whatever
    /// `info.version` says.
    pub fn set_exporter(&mut self, info: Option<ExporterInfo>) {
        self.families.retain(|f| families::by_name(&f.name).is_none_or(|c| c.group != Group::Exporter));
        let Some(info) = info else {
            return;
        };
        for family in families::group(Group::Exporter) {
            let mut f = family.to_metric_family();
            if family.series == Series::Dynamic {
                f.samples = self.exporter_samples(family);
            }
            self.families.push(f);
        }
        self.set(&families::SCRAPE_DURATION_SECONDS, &[], info.collect_seconds);
    }

    /// The samples of a dynamic exporter family.
    fn exporter_samples(&self, family: &Family) -> Vec<Sample<'static, Value>> {
        Source::ALL
            .iter()
            .filter(|s| **s != Source::Options)
            .map(|s| {
                let failed = Value::Int(u64::from(self.failed_sources.contains(s)));
                family.sample(vec![(Cow::Borrowed("source"), Cow::Borrowed(s.path()))], failed)
            })
            .collect()
    }

    /// The snapshot as pretty JSON (the `--format json` output).
    pub fn to_json(&self) -> String {
        let mut out =
            serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
        out.push('\n');
        out
    }
}

/// The typed accessors of the single-sample count and number families.
macro_rules! single_valued {
    ($($(#[$doc:meta])* $get:ident / $set:ident: $ty:ident = $family:ident;)*) => {
        impl Snapshot {
            $(
                $(#[$doc])*
                pub fn $get(&self) -> $ty {
                    single_valued!(@from $ty, self.get(&families::$family, &[]))
                }

                #[doc = concat!("Sets `", stringify!($get), "`.")]
                pub fn $set(&mut self, value: $ty) {
                    self.set(&families::$family, &[], value);
                }
            )*
        }
    };
    (@from u64, $v:expr) => { $v.to_u64() };
    (@from f64, $v:expr) => { $v.to_f64() };
}

single_valued! {
    /// `loki_iteration_current`.
    iteration_current / set_iteration_current: u64 = ITERATION_CURRENT;
    /// `loki_iteration_max`.
    iteration_max / set_iteration_max: u64 = ITERATION_MAX;
    /// `loki_agents_active`.
    agents_active / set_agents_active: u64 = AGENTS_ACTIVE;
    /// `loki_agents_total`.
    agents_total / set_agents_total: u64 = AGENTS_TOTAL;
    /// `loki_cost_usd`, rounded to 6 decimals.
    cost_usd / set_cost_usd: f64 = COST_USD;
    /// `loki_events_total`.
    events_total / set_events_total: u64 = EVENTS_TOTAL;
    /// `loki_uptime_seconds`, rounded to 0.1.
    uptime_seconds / set_uptime_seconds: f64 = UPTIME_SECONDS;
}

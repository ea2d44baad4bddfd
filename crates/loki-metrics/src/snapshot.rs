use std::borrow::Cow;

use loki_metrics_exposition::{MetricFamily, Sample, SampleValue, Value};
use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as JsonValue;

use crate::families::{self, Family, Group, Json, Series};

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
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    families: Vec<MetricFamily<'static, Value>>,
    failed_sources: Vec<Source>,
    /// Every problem met while reading, in the order met.
    pub warnings: Vec<Warning>,
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
        self.families.retain(|f| families::by_name(&f.name).map_or(true, |c| c.group != Group::Exporter));
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

/// The JSON of a family's samples, as its [`Json`] shape says.
struct FamilyJson<'a> {
    family: &'a Family,
    samples: &'a [Sample<'static, Value>],
}

impl Serialize for FamilyJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let first = self.samples.first();
        let value = first.map_or(self.family.fallback, |s| s.value);
        match self.family.json {
            Json::Derived => s.serialize_unit(),
            // A family whose source is absent has no sample: null.
            Json::Integer(_) | Json::Float(_) if first.is_none() => s.serialize_none(),
            Json::Integer(_) => s.serialize_u64(value.to_u64()),
            Json::Float(_) => s.serialize_f64(value.to_f64()),
            Json::Named(_, names) => {
                s.serialize_str(usize::try_from(value.to_u64()).ok().and_then(|i| names.get(i)).unwrap_or(&names[0]))
            }
            Json::ByLabel(_) => {
                let mut map = s.serialize_map(Some(self.samples.len()))?;
                for sample in self.samples {
                    let key = sample.labels.first().map_or("", |(_, v)| v.as_ref());
                    match sample.value {
                        Value::Int(n) => map.serialize_entry(key, &n)?,
                        Value::Float(v) => map.serialize_entry(key, &v)?,
                    }
                }
                map.end()
            }
            Json::Label(_) => s.serialize_str(first.and_then(|s| s.labels.first()).map_or("", |(_, v)| v.as_ref())),
        }
    }
}

/// The keys of one group's families.
struct GroupJson<'a>(&'a Snapshot, Group);

impl GroupJson<'_> {
    fn entries(&self) -> impl Iterator<Item = (&'static str, FamilyJson<'_>)> {
        families::group(self.1).filter_map(|family| {
            let key = family.json.key()?;
            let samples = self.0.family(family).map_or(&[][..], |f| &f.samples[..]);
            Some((key, FamilyJson { family, samples }))
        })
    }
}

impl Serialize for GroupJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (key, value) in self.entries() {
            map.serialize_entry(key, &value)?;
        }
        map.end()
    }
}

/// The JSON encoding: each default family under its catalogue key, then
/// `failed_sources`, `warnings`, and the exporter families under
/// `"exporter"` when they are on.
impl Serialize for Snapshot {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (key, value) in GroupJson(self, Group::Default).entries() {
            map.serialize_entry(key, &value)?;
        }
        map.serialize_entry("failed_sources", &self.failed_sources)?;
        map.serialize_entry("warnings", &self.warnings)?;
        if self.family(&families::SCRAPE_DURATION_SECONDS).is_some() {
            map.serialize_entry("exporter", &GroupJson(self, Group::Exporter))?;
        }
        map.end()
    }
}

/// Reads the JSON encoding back (every default family's key is required;
/// unknown keys are ignored).
impl<'de> Deserialize<'de> for Snapshot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let object = serde_json::Map::<String, JsonValue>::deserialize(d)?;
        let field = |object: &serde_json::Map<String, JsonValue>, key: &str| {
            object.get(key).cloned().ok_or_else(|| D::Error::custom(format!("missing field `{key}`")))
        };
        let mut snapshot = Snapshot::empty(0);
        let failed_sources = serde_json::from_value(field(&object, "failed_sources")?).map_err(D::Error::custom)?;
        snapshot.set_failed_sources(failed_sources);
        snapshot.warnings = serde_json::from_value(field(&object, "warnings")?).map_err(D::Error::custom)?;
        let exporter = match object.get("exporter") {
            None | Some(JsonValue::Null) => None,
            Some(JsonValue::Object(exporter)) => {
                snapshot.set_exporter(Some(ExporterInfo { collect_seconds: 0.0, version: String::new() }));
                Some(exporter.clone())
            }
            Some(_) => return Err(D::Error::custom("exporter: expected an object")),
        };
        for family in families::CATALOGUE {
            let Some(key) = family.json.key() else { continue };
            let object = match family.group {
                Group::Default => &object,
                Group::Exporter => match &exporter {
                    Some(exporter) => exporter,
                    None => continue,
                },
            };
            let value = field(object, key)?;
            read_family(&mut snapshot, family, key, value).map_err(D::Error::custom)?;
        }
        Ok(snapshot)
    }
}

fn read_family(snapshot: &mut Snapshot, family: &Family, key: &str, value: JsonValue) -> Result<(), String> {
    let integer = |v: &JsonValue| v.as_u64().ok_or_else(|| format!("{key}: expected an integer ≥ 0"));
    match family.json {
        Json::Derived => {}
        Json::Integer(_) | Json::Float(_) if value.is_null() && family.series == Series::Dynamic => {}
        Json::Integer(_) => snapshot.set(family, &[], integer(&value)?),
        Json::Float(_) => snapshot.set(family, &[], value.as_f64().ok_or_else(|| format!("{key}: expected a number"))?),
        Json::Named(_, names) => {
            let name = value.as_str().unwrap_or_default();
            let code = names
                .iter()
                .position(|n| *n == name)
                .ok_or_else(|| format!("{key}: expected one of {}", names.join(", ")))?;
            snapshot.set(family, &[], code as u64);
        }
        Json::ByLabel(_) if family.series == Series::Dynamic => {
            let (Some(label), JsonValue::Object(object)) = (family.labels.first(), &value) else {
                return Err(format!("{key}: expected an object"));
            };
            for (v, n) in object {
                // The catalogue's fallback says whether the family counts or measures.
                let n = match family.fallback {
                    Value::Int(_) => Value::Int(integer(n).map_err(|e| format!("{e} ({v})"))?),
                    Value::Float(_) => Value::Float(n.as_f64().ok_or_else(|| format!("{key}: {v} is not a number"))?),
                };
                snapshot.set(family, &[(label, v)], n);
            }
        }
        Json::ByLabel(_) => {
            let (Series::Each { label, values }, JsonValue::Object(object)) = (family.series, &value) else {
                return Err(format!("{key}: expected an object"));
            };
            for v in values {
                let n = object.get(*v).ok_or_else(|| format!("{key}: missing {v}"))?;
                snapshot.set(family, &[(label, v)], integer(n).map_err(|e| format!("{e} ({v})"))?);
            }
        }
        Json::Label(_) => {
            // Checked, not kept: the family's label is the catalogue's (this library's version).
            value.as_str().ok_or_else(|| format!("{key}: expected a string"))?;
        }
    }
    Ok(())
}

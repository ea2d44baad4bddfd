//! The snapshot as a plain JavaScript object (camelCase), both ways.

use std::sync::Arc;

use loki_metrics as core;
use napi::bindgen_prelude::*;
use napi::{Env, ValueType};
use napi_derive::napi;
use std::result::Result;

use crate::error::{NodeError, OrThrow};
use crate::options::{convert_arg, count_arg, required_string_arg};

/// A collection held on the native side (internal): the package's `collect`
/// returns its plain object (`toObject`) with `families` and `value` bound
/// to it, so both describe the collection itself, every family included.
#[napi(js_name = "__NativeSnapshot")]
pub struct NativeSnapshot {
    inner: Arc<core::Snapshot>,
}

impl NativeSnapshot {
    pub fn new(inner: Arc<core::Snapshot>) -> Self {
        NativeSnapshot { inner }
    }
}

#[napi]
impl NativeSnapshot {
    /// The snapshot as its plain object.
    #[napi(js_name = "toObject")]
    pub fn to_object(&self) -> Snapshot {
        Snapshot::from(&*self.inner)
    }

    /// The families, up to the columns (the package builds the objects).
    #[napi]
    pub fn columns(&self, env: Env) -> napi::Result<crate::parse::ColumnsJs> {
        let families: Vec<_> = self.inner.families().iter().map(|f| f.to_f64()).collect();
        crate::parse::Columns::encode(&families).map(crate::parse::Columns::into_js).or_throw(&env)
    }

    /// Each family's name as Prometheus text 0.0.4 spells it (`loki_events_total`
    /// for the counter family `loki_events`), in the order of `columns`.
    #[napi(js_name = "prometheusNames")]
    pub fn prometheus_names(&self) -> Vec<String> {
        self.inner.families().iter().map(|f| f.prometheus_name().into_owned()).collect()
    }

    /// The value of the sample `name` whose labels are exactly `labels`, or `null`.
    #[napi(ts_args_type = "name: string, labels?: Record<string, string> | null")]
    pub fn value(&self, env: Env, name: Unknown, labels: Option<Unknown>) -> napi::Result<Option<f64>> {
        let value = || -> Result<Option<f64>, NodeError> {
            let name = required_string_arg("name", name)?;
            let labels: Option<std::collections::HashMap<String, String>> =
                match labels.filter(|l| !matches!(l.get_type(), Ok(ValueType::Undefined | ValueType::Null))) {
                    Some(l) => Some(convert_arg("labels", &l, "must be an object of strings")?),
                    None => None,
                };
            let pairs: Vec<(&str, &str)> = labels.iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            // Counts above 2^53 lose precision in a JS number; no .loki directory gets there.
            Ok(self.inner.value(&name, &pairs).map(core::SampleValue::to_f64))
        };
        value().or_throw(&env)
    }
}

/// Task counts by queue, as in `loki_tasks_total{status=...}`.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct TaskCounts {
    pub pending: f64,
    pub in_progress: f64,
    pub completed: f64,
    pub failed: f64,
}

/// A problem met while reading: the value fell back as the specification says.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// The source's path relative to the `.loki` directory (`.` for the directory itself).
    #[napi(ts_type = "SourcePath")]
    pub source: String,
    /// What was wrong and what was used instead.
    pub message: String,
}

/// Values of the optional exporter families (`exporterMetrics: true`).
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct ExporterInfo {
    /// How long the collection took, in seconds.
    pub collect_seconds: f64,
    /// The library version.
    pub version: String,
}

/// The metric values of one collection of a `.loki` directory.
#[napi(object)]
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `loki_session_status`: 0 stopped, 1 running, 2 paused.
    #[napi(ts_type = "'stopped' | 'running' | 'paused'")]
    pub session_status: String,
    /// `loki_iteration_current`.
    pub iteration_current: f64,
    /// `loki_iteration_max`.
    pub iteration_max: f64,
    /// `loki_tasks_total`.
    pub tasks: TaskCounts,
    /// `loki_agents_active`.
    pub agents_active: f64,
    /// `loki_agents_total`.
    pub agents_total: f64,
    /// `loki_cost_usd`, rounded to 6 decimals.
    pub cost_usd: f64,
    /// `loki_events_total`.
    pub events_total: f64,
    /// `loki_uptime_seconds`, rounded to 0.1.
    pub uptime_seconds: f64,
    /// Sources that exist but could not be used, sorted.
    #[napi(ts_type = "SourcePath[]")]
    pub failed_sources: Vec<String>,
    /// Every problem met while reading, in the order met.
    pub warnings: Vec<Warning>,
    /// Exporter metrics, when enabled.
    pub exporter: Option<ExporterInfo>,
}

// Counts above 2^53 lose precision in a JS number; no .loki directory gets there.
fn num(v: u64) -> f64 {
    v as f64
}

impl From<&core::Snapshot> for Snapshot {
    fn from(s: &core::Snapshot) -> Self {
        let tasks = s.tasks();
        Snapshot {
            session_status: s.session_status().as_str().to_owned(),
            iteration_current: num(s.iteration_current()),
            iteration_max: num(s.iteration_max()),
            tasks: TaskCounts {
                pending: num(tasks.pending),
                in_progress: num(tasks.in_progress),
                completed: num(tasks.completed),
                failed: num(tasks.failed),
            },
            agents_active: num(s.agents_active()),
            agents_total: num(s.agents_total()),
            cost_usd: s.cost_usd(),
            events_total: num(s.events_total()),
            uptime_seconds: s.uptime_seconds(),
            failed_sources: s.failed_sources().iter().map(|src| src.path().to_owned()).collect(),
            warnings: s
                .warnings
                .iter()
                .map(|w| Warning { source: w.source.path().to_owned(), message: w.message.clone() })
                .collect(),
            exporter: s.exporter().map(|e| ExporterInfo { collect_seconds: e.collect_seconds, version: e.version }),
        }
    }
}

fn source(path: &str) -> Result<core::Source, NodeError> {
    core::Source::from_path(path)
        .ok_or_else(|| NodeError::arg_value("source", format!("{path:?} is not a .loki source path")))
}

impl TryFrom<Snapshot> for core::Snapshot {
    type Error = NodeError;

    /// A snapshot object back into the core's type (to render one built or edited in JS).
    fn try_from(s: Snapshot) -> Result<Self, NodeError> {
        let session_status = match s.session_status.as_str() {
            "stopped" => core::SessionStatus::Stopped,
            "running" => core::SessionStatus::Running,
            "paused" => core::SessionStatus::Paused,
            other => {
                return Err(NodeError::arg_value(
                    "source",
                    format!("sessionStatus must be 'stopped', 'running' or 'paused', not {other:?}"),
                ))
            }
        };
        let mut out = core::Snapshot::empty(count_arg("iterationMax", s.iteration_max, 0.0)?);
        out.set_session_status(session_status);
        out.set_iteration_current(count_arg("iterationCurrent", s.iteration_current, 0.0)?);
        out.set_tasks(core::TaskCounts {
            pending: count_arg("tasks.pending", s.tasks.pending, 0.0)?,
            in_progress: count_arg("tasks.inProgress", s.tasks.in_progress, 0.0)?,
            completed: count_arg("tasks.completed", s.tasks.completed, 0.0)?,
            failed: count_arg("tasks.failed", s.tasks.failed, 0.0)?,
        });
        out.set_agents_active(count_arg("agentsActive", s.agents_active, 0.0)?);
        out.set_agents_total(count_arg("agentsTotal", s.agents_total, 0.0)?);
        out.set_cost_usd(s.cost_usd);
        out.set_events_total(count_arg("eventsTotal", s.events_total, 0.0)?);
        out.set_uptime_seconds(s.uptime_seconds);
        out.set_failed_sources(s.failed_sources.iter().map(|p| source(p)).collect::<Result<_, _>>()?);
        out.warnings = s
            .warnings
            .into_iter()
            .map(|w| Ok(core::Warning { source: source(&w.source)?, message: w.message }))
            .collect::<Result<_, NodeError>>()?;
        out.set_exporter(
            s.exporter.map(|e| core::ExporterInfo { collect_seconds: e.collect_seconds, version: e.version }),
        );
        Ok(out)
    }
}

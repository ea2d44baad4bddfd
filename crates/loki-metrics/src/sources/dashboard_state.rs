//! `dashboard-state.json`: mode, iteration, startedAt, timestamp, tasks,
//! agents and the session's metadata (version, provider, phase, project).

use std::time::SystemTime;

use serde_json::value::RawValue;

use super::agents::{self, AgentCounts};
use super::json;
use crate::TaskCounts;

/// What `mode` says about the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `paused`.
    Paused,
    /// `autonomous` or `running`.
    Running,
    /// `stopped`.
    Stopped,
    /// Missing, null, unknown or unusable.
    Unset,
}

/// The parts of `dashboard-state.json` the metrics use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DashboardState {
    pub mode: Mode,
    /// `None` when missing or unusable (the next source of the iteration applies).
    pub iteration: Option<u64>,
    pub started_at: Option<SystemTime>,
    /// `timestamp`: when the status monitor wrote the file.
    pub timestamp: Option<SystemTime>,
    pub tasks: TaskCounts,
    /// `None` when `agents` is missing or unusable.
    pub agents: Option<AgentCounts>,
    /// `version`, `provider`, `phase` and `project.name`, when non-empty strings.
    pub info: Info,
}

/// The session metadata of `loki_session_info`, each `None` when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Info {
    pub version: Option<String>,
    pub provider: Option<String>,
    pub phase: Option<String>,
    pub project: Option<String>,
}

/// Parses the document; `Err` when it is not a JSON object at all.
/// Field-level problems are pushed to `warnings` and fall back.
pub(crate) fn parse(bytes: &[u8], warnings: &mut Vec<String>) -> Result<DashboardState, String> {
    let fields = json::object_fields(
        bytes,
        &["mode", "iteration", "startedAt", "timestamp", "tasks", "agents", "version", "provider", "phase", "project"],
    )
    .map_err(|e| json::object_error(bytes, &e))?;
    let [mode, iteration, started_at, timestamp, tasks, agents, version, provider, phase, project] = fields[..] else {
        unreachable!("object_fields returns one slot per wanted key")
    };
    let project = project.and_then(|raw| json::raw_object_fields(raw, &["name"]).ok()).and_then(|f| f[0]);
    Ok(DashboardState {
        mode: mode.map_or(Mode::Unset, |raw| parse_mode(raw, warnings)),
        iteration: iteration.and_then(|raw| parse_iteration(raw, "iteration", warnings)),
        started_at: started_at.and_then(|raw| parse_time(raw, "startedAt", warnings)),
        timestamp: timestamp.and_then(|raw| parse_time(raw, "timestamp", warnings)),
        tasks: tasks.map_or_else(TaskCounts::default, |raw| parse_tasks(raw, warnings)),
        agents: agents.and_then(|raw| parse_agents(raw, warnings)),
        info: Info {
            version: version.and_then(label_text),
            provider: provider.and_then(label_text),
            phase: phase.and_then(label_text),
            project: project.and_then(label_text),
        },
    })
}

/// A non-empty string value (a label of `loki_session_info`); anything else is
/// left out silently, as an empty value is.
pub(crate) fn label_text(raw: &RawValue) -> Option<String> {
    json::string(raw).filter(|s| !s.trim().is_empty())
}

fn parse_mode(raw: &RawValue, warnings: &mut Vec<String>) -> Mode {
    match json::string(raw).as_deref() {
        Some("paused") => Mode::Paused,
        Some("autonomous") | Some("running") => Mode::Running,
        Some("stopped") => Mode::Stopped,
        Some(other) => {
            warnings.push(format!("unknown mode {other:?}; ignored"));
            Mode::Unset
        }
        None if json::is_null(raw) => Mode::Unset,
        None => {
            warnings.push(format!("mode is {}, not a string; ignored", json::kind(raw)));
            Mode::Unset
        }
    }
}

/// An iteration count: a non-negative integer, a float truncated; `null` is
/// silently absent, anything else a warning (the next source applies).
pub(crate) fn parse_iteration(raw: &RawValue, name: &str, warnings: &mut Vec<String>) -> Option<u64> {
    if json::is_null(raw) {
        return None;
    }
    match json::count(raw, true) {
        Ok(n) => Some(n),
        Err(why) => {
            warnings.push(format!("{name} {} {why}; ignored", json::show(raw)));
            None
        }
    }
}

/// An ISO-8601 date-time field; `null` and `""` are absent, anything else
/// that is not a date-time is a warning.
pub(crate) fn parse_time(raw: &RawValue, name: &str, warnings: &mut Vec<String>) -> Option<SystemTime> {
    let Some(text) = json::string(raw) else {
        if !json::is_null(raw) {
            warnings.push(format!("{name} is {}, not a string; ignored", json::kind(raw)));
        }
        return None;
    };
    if text.trim().is_empty() {
        return None;
    }
    let parsed = parse_iso8601(&text);
    if parsed.is_none() {
        warnings.push(format!("{name} {} is not an ISO-8601 date-time; ignored", json::show(raw)));
    }
    parsed
}

/// An ISO-8601 date-time; one without a zone is taken as UTC (Loki Mode writes UTC).
pub(crate) fn parse_iso8601(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(SystemTime::from(ts));
    }
    let civil = text.parse::<jiff::civil::DateTime>().ok()?;
    let zoned = civil.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(SystemTime::from(zoned.timestamp()))
}

fn parse_tasks(raw: &RawValue, warnings: &mut Vec<String>) -> TaskCounts {
    let fields = match json::raw_object_fields(raw, &["pending", "inProgress", "completed", "failed"]) {
        Ok(fields) => fields,
        Err(_) => {
            if !json::is_null(raw) {
                warnings.push(format!("tasks is {}, not an object; all task counts 0", json::kind(raw)));
            }
            return TaskCounts::default();
        }
    };
    let mut one = |name: &str, raw: Option<&RawValue>| -> u64 {
        let Some(raw) = raw else { return 0 };
        if raw.get().starts_with('[') {
            return json::array_len(raw).unwrap_or(0);
        }
        if json::is_null(raw) {
            return 0;
        }
        json::count(raw, false).unwrap_or_else(|why| {
            warnings.push(format!("tasks.{name} {} {why}; counted as 0", json::show(raw)));
            0
        })
    };
    TaskCounts {
        pending: one("pending", fields[0]),
        in_progress: one("inProgress", fields[1]),
        completed: one("completed", fields[2]),
        failed: one("failed", fields[3]),
    }
}

fn parse_agents(raw: &RawValue, warnings: &mut Vec<String>) -> Option<AgentCounts> {
    if json::is_null(raw) {
        return None;
    }
    match json::raw_array_elements(raw) {
        Ok(elements) => Some(agents::count(&elements, "agents", warnings)),
        Err(_) => {
            warnings.push(format!("agents is {}, not an array; ignored", json::kind(raw)));
            None
        }
    }
}

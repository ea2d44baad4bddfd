//! `dashboard-state.json`: mode, iteration, startedAt, tasks, agents.

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
    /// Missing, `stopped`, unknown or unusable: decide by the PID.
    Undecided,
}

/// The parts of `dashboard-state.json` the metrics use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DashboardState {
    pub mode: Mode,
    pub iteration: u64,
    pub started_at: Option<SystemTime>,
    pub tasks: TaskCounts,
    /// `None` when `agents` is missing or unusable.
    pub agents: Option<AgentCounts>,
}

/// Parses the document; `Err` when it is not a JSON object at all.
/// Field-level problems are pushed to `warnings` and fall back.
pub(crate) fn parse(bytes: &[u8], warnings: &mut Vec<String>) -> Result<DashboardState, String> {
    let fields = json::object_fields(bytes, &["mode", "iteration", "startedAt", "tasks", "agents"])
        .map_err(|e| json::object_error(bytes, &e))?;
    let [mode, iteration, started_at, tasks, agents] = fields[..] else {
        unreachable!("object_fields returns one slot per wanted key")
    };
    Ok(DashboardState {
        mode: mode.map_or(Mode::Undecided, |raw| parse_mode(raw, warnings)),
        iteration: iteration.map_or(0, |raw| parse_iteration(raw, warnings)),
        started_at: started_at.and_then(|raw| parse_started_at(raw, warnings)),
        tasks: tasks.map_or_else(TaskCounts::default, |raw| parse_tasks(raw, warnings)),
        agents: agents.and_then(|raw| parse_agents(raw, warnings)),
    })
}

fn parse_mode(raw: &RawValue, warnings: &mut Vec<String>) -> Mode {
    match json::string(raw).as_deref() {
        Some("paused") => Mode::Paused,
        Some("autonomous") | Some("running") => Mode::Running,
        Some("stopped") => Mode::Undecided,
        Some(other) => {
            warnings.push(format!("unknown mode {other:?}; session status decided by loki.pid"));
            Mode::Undecided
        }
        None if json::is_null(raw) => Mode::Undecided,
        None => {
            warnings.push(format!("mode is {}, not a string; session status decided by loki.pid", json::kind(raw)));
            Mode::Undecided
        }
    }
}

fn parse_iteration(raw: &RawValue, warnings: &mut Vec<String>) -> u64 {
    json::count(raw, true).unwrap_or_else(|why| {
        warnings.push(format!("iteration {} {why}; using 0", json::show(raw)));
        0
    })
}

fn parse_started_at(raw: &RawValue, warnings: &mut Vec<String>) -> Option<SystemTime> {
    let Some(text) = json::string(raw) else {
        if !json::is_null(raw) {
            warnings.push(format!("startedAt is {}, not a string; ignored", json::kind(raw)));
        }
        return None;
    };
    if text.trim().is_empty() {
        return None;
    }
    let parsed = parse_iso8601(&text);
    if parsed.is_none() {
        warnings.push(format!("startedAt {} is not an ISO-8601 date-time; ignored", json::show(raw)));
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

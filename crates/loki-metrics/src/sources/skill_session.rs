//! `session.json`: what a skill-invoked session (Loki Mode run as a Claude
//! Code skill, no run.sh) writes instead of `dashboard-state.json` and
//! `loki.pid`; the agent rewrites `updatedAt` every turn.

use std::time::SystemTime;

use super::dashboard_state::{label_text, parse_time};
use super::json;

/// The parts of `session.json` the metrics use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkillSession {
    /// `status` is `"running"`.
    pub running: bool,
    pub started_at: Option<SystemTime>,
    pub updated_at: Option<SystemTime>,
    pub provider: Option<String>,
}

/// Parses the document; `Err` when it is not a JSON object.
pub(crate) fn parse(bytes: &[u8], warnings: &mut Vec<String>) -> Result<SkillSession, String> {
    let fields = json::object_fields(bytes, &["status", "startedAt", "updatedAt", "provider"])
        .map_err(|e| json::object_error(bytes, &e))?;
    let [status, started_at, updated_at, provider] = fields[..] else {
        unreachable!("object_fields returns one slot per wanted key")
    };
    let running = match status {
        None => false,
        Some(raw) => match json::string(raw) {
            Some(s) => s == "running",
            None if json::is_null(raw) => false,
            None => {
                warnings.push(format!("status is {}, not a string; read as not running", json::kind(raw)));
                false
            }
        },
    };
    Ok(SkillSession {
        running,
        started_at: started_at.and_then(|raw| parse_time(raw, "startedAt", warnings)),
        updated_at: updated_at.and_then(|raw| parse_time(raw, "updatedAt", warnings)),
        provider: provider.and_then(label_text),
    })
}

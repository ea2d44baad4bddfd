//! `state/orchestrator.json`: the phase and version, and an iteration some
//! versions keep.

use super::dashboard_state::{label_text, parse_iteration};
use super::json;

/// The parts of `state/orchestrator.json` the metrics use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Orchestrator {
    /// `currentPhase`, when a non-empty string.
    pub phase: Option<String>,
    /// `iteration`, when a usable count.
    pub iteration: Option<u64>,
    /// `version`, when a non-empty string.
    pub version: Option<String>,
}

/// Parses the document; `Err` when it is not a JSON object.
pub(crate) fn parse(bytes: &[u8], warnings: &mut Vec<String>) -> Result<Orchestrator, String> {
    let fields = json::object_fields(bytes, &["currentPhase", "iteration", "version"])
        .map_err(|e| json::object_error(bytes, &e))?;
    Ok(Orchestrator {
        phase: fields[0].and_then(label_text),
        iteration: fields[1].and_then(|raw| parse_iteration(raw, "iteration", warnings)),
        version: fields[2].and_then(label_text),
    })
}

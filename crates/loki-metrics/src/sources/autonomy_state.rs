//! `autonomy-state.json`: run.sh's main loop writes it at each iteration, so
//! its `iterationCount` is the live iteration (the status monitor's copy in
//! `dashboard-state.json` is frozen at the value the run started with).

use super::dashboard_state::parse_iteration;
use super::json;

/// The parts of `autonomy-state.json` the metrics use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AutonomyState {
    /// `iterationCount`; `None` when missing or unusable.
    pub iteration: Option<u64>,
}

/// Parses the document; `Err` when it is not a JSON object.
pub(crate) fn parse(bytes: &[u8], warnings: &mut Vec<String>) -> Result<AutonomyState, String> {
    let fields = json::object_fields(bytes, &["iterationCount"]).map_err(|e| json::object_error(bytes, &e))?;
    Ok(AutonomyState { iteration: fields[0].and_then(|raw| parse_iteration(raw, "iterationCount", warnings)) })
}

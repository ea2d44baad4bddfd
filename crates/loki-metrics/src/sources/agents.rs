//! `state/agents.json`: the registered agents and which are active.

use serde_json::value::RawValue;

use super::json;

/// Agents registered and agents with `status == "active"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AgentCounts {
    pub total: u64,
    pub active: u64,
}

/// Parses `state/agents.json`: a JSON array of agent objects.
pub(crate) fn parse(bytes: &[u8], warnings: &mut Vec<String>) -> Result<AgentCounts, String> {
    let elements = json::array_elements(bytes).map_err(|e| {
        if e.is_data() {
            "is not a JSON array of agents".to_owned()
        } else {
            json::error_message(&e)
        }
    })?;
    Ok(count(&elements, "agent", warnings))
}

/// Counts agents: every element is registered; objects whose `status` is
/// `"active"` are active. Non-object elements are counted and warned about once.
pub(crate) fn count(elements: &[&RawValue], what: &str, warnings: &mut Vec<String>) -> AgentCounts {
    let mut counts = AgentCounts { total: elements.len() as u64, active: 0 };
    let mut odd = 0usize;
    for element in elements {
        match json::raw_object_fields(element, &["status"]) {
            Ok(fields) => {
                if fields[0].and_then(json::string).as_deref() == Some("active") {
                    counts.active += 1;
                }
            }
            Err(_) => odd += 1,
        }
    }
    if odd > 0 {
        warnings.push(format!(
            "{odd} {what} entr{} not a JSON object; counted as registered, not active",
            if odd == 1 { "y is" } else { "ies are" }
        ));
    }
    counts
}

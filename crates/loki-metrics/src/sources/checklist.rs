//! `checklist/checklist.json`: the PRD checklist's verification summary.

use super::json;

/// `summary.verified`, `.failing`, `.pending`, in the order of
/// `loki_checklist_items`'s `status` values.
pub(crate) fn parse(bytes: &[u8], warnings: &mut Vec<String>) -> Result<[u64; 3], String> {
    let fields = json::object_fields(bytes, &["summary"]).map_err(|e| json::object_error(bytes, &e))?;
    let Some(summary) = fields[0] else {
        return Err("has no \"summary\" object".to_owned());
    };
    let counts = json::raw_object_fields(summary, &["verified", "failing", "pending"])
        .map_err(|_| format!("\"summary\" is {}, not an object", json::kind(summary)))?;
    let mut out = [0u64; 3];
    for ((slot, raw), name) in out.iter_mut().zip(counts).zip(["verified", "failing", "pending"]) {
        let Some(raw) = raw.filter(|r| !json::is_null(r)) else { continue };
        match json::count(raw, false) {
            Ok(n) => *slot = n,
            Err(why) => warnings.push(format!("summary.{name} {} {why}; counted as 0", json::show(raw))),
        }
    }
    Ok(out)
}

//! `queue/{pending,in-progress,completed,failed}.json`: the task queues, read
//! for `loki_tasks_total` when there is no `dashboard-state.json` (skill
//! sessions). Each is an array of tasks, or an object whose `tasks` is one.

use super::json;

/// The queue files, in the order of `loki_tasks_total`'s `status` values.
pub(crate) const FILES: [&str; 4] =
    ["queue/pending.json", "queue/in-progress.json", "queue/completed.json", "queue/failed.json"];

/// The number of tasks in one queue file; `Err` when it is neither shape.
pub(crate) fn parse(bytes: &[u8], _warnings: &mut Vec<String>) -> Result<u64, String> {
    let raw: &serde_json::value::RawValue = serde_json::from_slice(bytes).map_err(|e| json::error_message(&e))?;
    let tasks = if raw.get().starts_with('{') {
        let fields = json::raw_object_fields(raw, &["tasks"]).map_err(|e| json::error_message(&e))?;
        match fields[0] {
            Some(tasks) => tasks,
            None => return Err("is an object without a \"tasks\" array".to_owned()),
        }
    } else {
        raw
    };
    if !tasks.get().starts_with('[') {
        let what = if std::ptr::eq(tasks, raw) { "is" } else { "\"tasks\" is" };
        return Err(format!("{what} {}, not an array of tasks", json::kind(tasks)));
    }
    json::array_len(tasks).map_err(|e| json::error_message(&e))
}

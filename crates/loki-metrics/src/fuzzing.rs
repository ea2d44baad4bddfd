//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`; not a
//! stable API). Each feeds untrusted bytes to one reader exactly as a
//! collection would, and must never panic, hang or allocate without bound.

/// `dashboard-state.json`.
pub fn dashboard_state(bytes: &[u8]) {
    let mut warnings = Vec::new();
    let _ = crate::sources::fuzz_dashboard_state(bytes, &mut warnings);
}

/// `state/agents.json`.
pub fn agents(bytes: &[u8]) {
    let mut warnings = Vec::new();
    let _ = crate::sources::fuzz_agents(bytes, &mut warnings);
}

/// One `metrics/efficiency/*.json` record.
pub fn efficiency_record(bytes: &[u8]) {
    crate::sources::fuzz_efficiency_record(bytes);
}

/// `pricing.json`.
pub fn pricing(bytes: &[u8]) {
    let mut warnings = Vec::new();
    let _ = crate::sources::fuzz_pricing(bytes, &mut warnings);
}

/// `loki.pid`.
pub fn pid(bytes: &[u8]) {
    let _ = crate::sources::fuzz_pid(bytes);
}

/// `events.jsonl`, fed in two pieces split at `split`: the count must equal
/// the count of the whole.
pub fn events(bytes: &[u8], split: usize) {
    let split = split.min(bytes.len());
    let mut whole = crate::LineCount::default();
    whole.feed(bytes);
    let mut parts = crate::LineCount::default();
    parts.feed(&bytes[..split]);
    parts.feed(&bytes[split..]);
    assert_eq!(whole.total(), parts.total(), "chunking changed the count");
}

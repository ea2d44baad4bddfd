#![no_main]
//! Raw client bytes through hyper and the exporter's router: never a panic,
//! never a 5xx other than the request-timeout 503.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use loki_metrics_server::fuzzing::RequestHarness;

fn harness() -> &'static RequestHarness {
    static HARNESS: OnceLock<RequestHarness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let dir = std::env::temp_dir().join("loki-metrics-fuzz-http").join(".loki");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("dashboard-state.json"), r#"{"mode":"running","iteration":3}"#);
        RequestHarness::new(&dir, Some("fuzz-token"))
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = harness().handle(data);
});

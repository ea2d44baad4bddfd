#![no_main]
//! Any `Accept` header: never panics, and always one of the two text formats.

use libfuzzer_sys::fuzz_target;
use loki_metrics::{negotiate, Format};

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = std::str::from_utf8(data) {
        let format = negotiate(Some(header));
        assert!(matches!(format, Format::Prometheus | Format::OpenMetrics));
    }
});

#![no_main]
//! The same bytes through every JSON source reader and the PID reader.

use libfuzzer_sys::fuzz_target;
use loki_metrics::fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::dashboard_state(data);
    fuzzing::agents(data);
    fuzzing::efficiency_record(data);
    fuzzing::pricing(data);
    fuzzing::pid(data);
});

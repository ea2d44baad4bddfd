#![no_main]
//! Line counting is independent of how the file is chunked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let split = usize::from(data[0]) * data.len() / 256;
    loki_metrics::fuzzing::events(&data[1..], split);
});

#![no_main]
//! Any text through the Prometheus parser: never panics, and the streaming reader
//! agrees with the whole-text parser on whether it is valid.

use libfuzzer_sys::fuzz_target;
use loki_metrics::parse::{parse, FamilyReader, ParseFormat};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let whole = parse(text, ParseFormat::Prometheus);
    let streamed: Result<Vec<_>, _> = FamilyReader::new(text.as_bytes(), ParseFormat::Prometheus).collect();
    if let Ok(families) = &whole {
        let _ = loki_metrics::parse::to_json(families);
    }
    assert_eq!(whole.is_ok(), streamed.is_ok(), "parse and FamilyReader disagree on {text:?}");
});

//! Every golden fixture in `tests/fixtures/` renders byte-identically.

use std::path::{Path, PathBuf};

use loki_metrics::{Format, Options};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// `(case name, options)` for every fixture, with its fixed `now`.
fn cases() -> Vec<(String, PathBuf, Options)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixtures_dir()).expect("tests/fixtures exists") {
        let dir = entry.expect("readable fixtures dir").path();
        if !dir.is_dir() {
            continue;
        }
        let now = std::fs::read_to_string(dir.join("now")).expect("every fixture has a `now` file");
        let mut options = Options::new(dir.join(".loki")).with_now_rfc3339(&now).expect("valid now");
        options.max_iterations = None;
        let name = dir.file_name().expect("named").to_string_lossy().into_owned();
        out.push((name, dir, options));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 30, "expected the full fixture set, found {}", out.len());
    out
}

#[test]
fn every_fixture_renders_its_expected_files_byte_for_byte() {
    // LOKI_MAX_ITERATIONS would change loki_iteration_max in every fixture.
    assert!(std::env::var_os("LOKI_MAX_ITERATIONS").is_none(), "unset LOKI_MAX_ITERATIONS to run the golden tests");
    let mut failures = Vec::new();
    for (name, dir, options) in cases() {
        let snapshot = loki_metrics::collect(&options);
        for (format, file) in [
            (Format::Prometheus, "expected.prom"),
            (Format::OpenMetrics, "expected.om"),
            (Format::Json, "expected.json"),
        ] {
            let expected = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
            let actual = loki_metrics::render(&snapshot, format);
            if actual != expected {
                failures.push(format!("{name}/{file} differs:\n--- expected\n{expected}\n--- actual\n{actual}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_json_round_trips_through_serde() {
    for (name, dir, _) in cases() {
        let text = std::fs::read_to_string(dir.join("expected.json")).expect("expected.json");
        let snapshot: loki_metrics::Snapshot = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(snapshot.to_json(), text, "{name}");
    }
}

#[test]
fn a_second_collection_with_the_same_state_gives_the_same_snapshot() {
    for (name, _, options) in cases() {
        let mut state = loki_metrics::SourceState::default();
        let first = state.collect(&options);
        let second = state.collect(&options);
        assert_eq!(first, second, "{name}: incremental re-collection changed the result");
    }
}

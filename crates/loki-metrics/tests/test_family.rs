//! The test-only family (`--features test-family`): one catalogue row and one
//! reader, and it is in every output. scripts/test-family.sh runs this and
//! the same check through the CLI, Python, Node and C.
#![cfg(feature = "test-family")]

use std::path::Path;

use loki_metrics::{Format, Options};

fn running() -> loki_metrics::Snapshot {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/running/.loki");
    loki_metrics::collect(&Options::new(dir))
}

#[test]
fn the_test_family_is_in_the_snapshot_and_every_encoding() {
    let snapshot = running();
    assert!(snapshot.families().iter().any(|f| f.name == "loki_test_answer"));
    assert_eq!(snapshot.value("loki_test_answer", &[]), Some(loki_metrics::Value::Int(42)));
    let prom = loki_metrics::render(&snapshot, Format::Prometheus);
    assert!(prom.contains("# HELP loki_test_answer A family that exists only in test builds\n"), "{prom}");
    assert!(prom.contains("\nloki_test_answer 42\n"));
    assert!(loki_metrics::render(&snapshot, Format::OpenMetrics).contains("\nloki_test_answer 42\n"));
    let json = loki_metrics::render(&snapshot, Format::Json);
    assert!(json.contains("\"test_answer\": 42,"), "{json}");
    let back: loki_metrics::Snapshot = serde_json::from_str(&json).expect("its JSON reads back");
    assert_eq!(back.value("loki_test_answer", &[]), Some(loki_metrics::Value::Int(42)));
}

#[test]
fn the_metrics_reference_lists_it() {
    assert!(loki_metrics::families::reference_markdown().contains("| `loki_test_answer` | gauge |"));
}

#[test]
fn the_typed_view_has_its_key_in_both_cases_and_reads_it_back() {
    let snapshot = running();
    let camel = snapshot.to_json_value(loki_metrics::KeyCase::Camel);
    assert_eq!(camel["testAnswer"], 42);
    assert!(loki_metrics::typings::typescript_declarations().contains("  testAnswer: number\n"));
    assert!(loki_metrics::typings::python_stub().1.contains("    def test_answer(self) -> int: ...\n"));
    let back = loki_metrics::Snapshot::from_json_value(camel, loki_metrics::KeyCase::Camel).expect("reads back");
    assert_eq!(back.value("loki_test_answer", &[]), Some(loki_metrics::Value::Int(42)));
}

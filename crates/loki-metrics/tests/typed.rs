//! The snapshot's typed view (`Snapshot::typed_view`, `from_typed`): the JSON
//! encoding in snake_case, the JavaScript object in camelCase, both ways.

use std::path::Path;

use loki_metrics::{Error, KeyCase, Options, Snapshot, Source};
use serde_json::{json, Value as Json};

fn running(exporter: bool) -> Snapshot {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/running/.loki");
    let mut options = Options::new(dir).with_now_rfc3339("2026-01-05T12:00:00Z").expect("valid now");
    options.exporter_metrics = exporter;
    let mut snapshot = loki_metrics::collect(&options);
    snapshot.set_failed_sources(vec![Source::Pricing]);
    snapshot
}

fn camel(snapshot: &Snapshot) -> Json {
    snapshot.to_json_value(KeyCase::Camel)
}

fn read(value: Json, case: KeyCase) -> Result<Snapshot, Error> {
    Snapshot::from_json_value(value, case)
}

#[test]
fn snake_case_is_the_json_encoding() {
    let snapshot = running(true);
    let view = serde_json::to_string_pretty(&snapshot.typed_view(KeyCase::Snake)).expect("serializes");
    assert_eq!(format!("{view}\n"), snapshot.to_json());
}

#[test]
fn camel_case_renames_catalogue_keys_and_fixed_label_values() {
    let value = camel(&running(true));
    let keys: Vec<&str> = value.as_object().expect("an object").keys().map(String::as_str).collect();
    for key in ["sessionStatus", "iterationCurrent", "agentsActive", "costUsd", "failedSources", "exporter"] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert!(!keys.iter().any(|k| k.contains('_')), "{keys:?}");
    assert_eq!(value["tasks"], json!({"pending": 3, "inProgress": 1, "completed": 7, "failed": 1}));
    assert_eq!(value["exporter"]["version"], loki_metrics::VERSION);
    assert!(value["exporter"]["collectSeconds"].is_f64());
    assert_eq!(value["failedSources"], json!(["pricing.json"]));
}

#[test]
fn the_camel_case_view_keeps_the_serialized_order() {
    let text = serde_json::to_string(&running(false).typed_view(KeyCase::Camel)).expect("serializes");
    let at = |key: &str| text.find(&format!("\"{key}\"")).unwrap_or_else(|| panic!("{key} in {text}"));
    assert!(at("sessionStatus") < at("iterationCurrent") && at("uptimeSeconds") < at("failedSources"));
    assert!(at("failedSources") < at("warnings") && !text.contains("exporter"));
}

#[test]
fn camel_case_integers_past_u32_are_javascript_numbers() {
    let mut snapshot = running(false);
    snapshot.set_events_total((1 << 53) - 1);
    assert!(camel(&snapshot)["eventsTotal"].is_f64());
    assert_eq!(snapshot.to_json_value(KeyCase::Snake)["events_total"].as_u64(), Some((1 << 53) - 1));
    assert_eq!(read(camel(&snapshot), KeyCase::Camel).expect("reads back"), snapshot);
}

#[test]
fn both_cases_read_back_to_the_same_snapshot() {
    for exporter in [false, true] {
        let snapshot = running(exporter);
        let mut snapshot_view = snapshot.clone();
        // The exporter's build info always carries this library's version, and the
        // duration is whatever the view says.
        snapshot_view.set_exporter(snapshot.exporter());
        assert_eq!(read(camel(&snapshot), KeyCase::Camel).expect("camel"), snapshot_view);
        assert_eq!(read(snapshot.to_json_value(KeyCase::Snake), KeyCase::Snake).expect("snake"), snapshot_view);
    }
}

#[test]
fn integral_floats_count_and_unknown_keys_are_ignored() {
    let mut value = camel(&running(false));
    value["iterationCurrent"] = json!(12.0);
    value["tasks"]["pending"] = json!(4.0);
    value["somethingElse"] = json!({"nested": [1, 2, 3]});
    let snapshot = read(value, KeyCase::Camel).expect("reads");
    assert_eq!((snapshot.iteration_current(), snapshot.tasks().pending), (12, 4));
}

#[test]
fn a_missing_key_is_named_as_the_case_spells_it_first_in_catalogue_order() {
    assert_eq!(read(json!({}), KeyCase::Camel), Err(Error::SnapshotKeyMissing { key: "sessionStatus".into() }));
    assert_eq!(read(json!({}), KeyCase::Snake), Err(Error::SnapshotKeyMissing { key: "session_status".into() }));
    let mut value = camel(&running(false));
    value["tasks"].as_object_mut().expect("tasks").remove("inProgress");
    assert_eq!(read(value, KeyCase::Camel), Err(Error::SnapshotKeyMissing { key: "tasks.inProgress".into() }));
}

#[test]
fn a_wrong_type_and_a_refused_value_are_told_apart() {
    let with = |key: &str, v: Json| {
        let mut value = camel(&running(false));
        value[key] = v;
        read(value, KeyCase::Camel)
    };
    let expected = |key: &str, expected| Err(Error::SnapshotKeyType { key: key.into(), expected });
    assert_eq!(with("iterationCurrent", json!("12")), expected("iterationCurrent", "an integer"));
    assert_eq!(with("costUsd", json!(null)), expected("costUsd", "a number"));
    assert_eq!(read(json!([]), KeyCase::Camel), expected("", "an object"));
    let refused = |key: &str, reason: &str| Err(Error::SnapshotKeyValue { key: key.into(), reason: reason.into() });
    assert_eq!(
        with("iterationCurrent", json!(-1)),
        refused("iterationCurrent", "must be an integer >= 0. Received -1")
    );
    assert_eq!(with("agentsTotal", json!(1.5)), refused("agentsTotal", "must be an integer >= 0. Received 1.5"));
    assert_eq!(
        with("eventsTotal", json!(1u64 << 53)),
        refused("eventsTotal", "must be an integer >= 0. Received 9007199254740992")
    );
    assert_eq!(
        with("sessionStatus", json!("asleep")),
        refused("sessionStatus", "must be one of 'stopped', 'running', 'paused'. Received \"asleep\"")
    );
    assert_eq!(
        with("warnings", json!([{"source": "../etc/passwd", "message": "x"}])),
        refused("warnings[0].source", "is not a .loki source path: \"../etc/passwd\"")
    );
    assert_eq!(with("failedSources", json!(["x"])), refused("failedSources[0]", "is not a .loki source path: \"x\""));
}

#[test]
fn snake_case_counts_take_every_u64() {
    let mut value = running(false).to_json_value(KeyCase::Snake);
    value["events_total"] = json!(u64::MAX);
    assert_eq!(read(value, KeyCase::Snake).expect("reads").events_total(), u64::MAX);
}

#[test]
fn data_nested_deeper_than_a_snapshot_can_be_is_refused() {
    let mut deep = json!(1);
    for _ in 0..40 {
        deep = json!([deep]);
    }
    let mut value = camel(&running(false));
    value["extra"] = deep;
    assert!(read(value, KeyCase::Camel).is_err());
}

#[test]
fn key_cases_spell_snake_case_names() {
    assert_eq!(KeyCase::Camel.spell("collect_seconds"), "collectSeconds");
    assert_eq!(KeyCase::Camel.spell("tasks"), "tasks");
    assert_eq!(KeyCase::Camel.spell("in_progress"), "inProgress");
    assert_eq!(KeyCase::Snake.spell("in_progress"), "in_progress");
}

#[test]
fn the_typescript_declarations_list_every_source_path() {
    let ts = loki_metrics::typings::typescript_declarations();
    for source in Source::ALL {
        assert!(ts.contains(&format!("'{}'", source.path())), "{}", source.path());
    }
    assert!(ts.contains("  sessionStatus: 'stopped' | 'running' | 'paused'\n"));
    assert!(ts.contains("  inProgress: number\n"));
}

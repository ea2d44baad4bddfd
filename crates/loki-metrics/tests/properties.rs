//! Property tests of the readers, the encoders and negotiation (run in CI;
//! the fuzz targets in `fuzz/` explore the same code for longer).

use std::fs;
use std::time::{Duration, SystemTime};

use loki_metrics::parse::{parse, ParseFormat};
use loki_metrics::{negotiate, Format, Options, Source};
use proptest::prelude::*;

const SOURCES: [&str; 6] = [
    "dashboard-state.json",
    "loki.pid",
    "state/agents.json",
    "pricing.json",
    "events.jsonl",
    "metrics/efficiency/1.json",
];

fn options(dir: &std::path::Path) -> Options {
    let mut o = Options::new(dir);
    o.max_iterations = Some(1000);
    o.now = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_614_400));
    o
}

/// JSON-ish values of every type, numbers at the edges included.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:e}")),
        Just("1e400".to_owned()),
        Just("-1e400".to_owned()),
        Just("18446744073709551616".to_owned()),
        "[a-zA-Z0-9 :+.-]{0,12}".prop_map(|s| format!("{s:?}")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-zA-Z]{1,10}", inner), 0..4).prop_map(|kv| {
                let body: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

/// A dashboard state whose known fields hold arbitrary values.
fn dashboard_state() -> impl Strategy<Value = String> {
    (json_value(), json_value(), json_value(), json_value(), json_value(), json_value()).prop_map(
        |(mode, iteration, started, pending, failed, agents)| {
            format!(
                r#"{{"mode":{mode},"iteration":{iteration},"startedAt":{started},"tasks":{{"pending":{pending},"failed":{failed}}},"agents":{agents}}}"#
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn negotiation_never_panics_and_picks_a_text_format(header in ".{0,200}") {
        let format = negotiate(Some(&header));
        prop_assert!(matches!(format, Format::Prometheus | Format::OpenMetrics));
    }

    #[test]
    fn any_bytes_in_any_source_still_give_valid_expositions(
        contents in prop::collection::vec((0..SOURCES.len(), prop::collection::vec(any::<u8>(), 0..200)), 0..6)
    ) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join(".loki");
        fs::create_dir_all(dir.join("state")).expect("mkdir");
        fs::create_dir_all(dir.join("metrics/efficiency")).expect("mkdir");
        for (i, bytes) in &contents {
            fs::write(dir.join(SOURCES[*i]), bytes).expect("write");
        }
        let snapshot = loki_metrics::collect(&options(&dir));
        prop_assert!(snapshot.cost_usd().is_finite() && snapshot.cost_usd() >= 0.0);
        prop_assert!(snapshot.uptime_seconds().is_finite() && snapshot.uptime_seconds() >= 0.0);
        let prom = loki_metrics::render(&snapshot, Format::Prometheus);
        let om = loki_metrics::render(&snapshot, Format::OpenMetrics);
        prop_assert!(parse(&prom, ParseFormat::Prometheus).is_ok(), "{}", prom);
        prop_assert!(parse(&om, ParseFormat::OpenMetrics).is_ok(), "{}", om);
        let back: loki_metrics::Snapshot = serde_json::from_str(&snapshot.to_json()).expect("JSON round trip");
        prop_assert_eq!(back, snapshot);
    }

    #[test]
    fn any_dashboard_state_gives_valid_expositions_and_warns_about_what_it_drops(doc in dashboard_state()) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join(".loki");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("dashboard-state.json"), &doc).expect("write");
        let snapshot = loki_metrics::collect(&options(&dir));
        let om = loki_metrics::render(&snapshot, Format::OpenMetrics);
        prop_assert!(parse(&om, ParseFormat::OpenMetrics).is_ok(), "{}", om);
        // A non-zero iteration can only come from an iteration that was a usable number.
        if snapshot.iteration_current() > 0 {
            prop_assert!(!snapshot.warnings.iter().any(|w| w.source == Source::DashboardState && w.message.starts_with("iteration")));
        }
    }

    #[test]
    fn iteration_is_the_integer_or_0_with_a_warning(i in any::<i64>()) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join(".loki");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("dashboard-state.json"), format!(r#"{{"iteration":{i}}}"#)).expect("write");
        let s = loki_metrics::collect(&options(&dir));
        if i >= 0 {
            prop_assert_eq!(s.iteration_current(), i as u64);
            prop_assert!(s.failed_sources().is_empty());
        } else {
            prop_assert_eq!(s.iteration_current(), 0);
            prop_assert!(s.failed_sources().contains(&Source::DashboardState));
        }
    }

    #[test]
    fn events_count_equals_the_non_blank_lines(
        lines in prop::collection::vec(("[ \t\u{b}\u{c}]{0,3}", prop_oneof![Just(""), Just("{}"), Just("x"), Just("\u{ff}")], prop_oneof![Just("\n"), Just("\r\n")]), 0..40),
        tail in prop_oneof![Just(""), Just("  "), Just("{\"partial\"")],
    ) {
        let mut text = String::new();
        let mut expected = 0u64;
        for (pad, body, end) in &lines {
            text.push_str(pad);
            text.push_str(body);
            text.push_str(end);
            if !body.is_empty() {
                expected += 1;
            }
        }
        text.push_str(tail);
        if !tail.trim().is_empty() {
            expected += 1;
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join(".loki");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("events.jsonl"), &text).expect("write");
        prop_assert_eq!(loki_metrics::collect(&options(&dir)).events_total(), expected);
    }
}

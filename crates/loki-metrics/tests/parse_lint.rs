//! Lint warnings where `promtool check metrics` warns; they never fail a parse.

use loki_metrics::parse::{lint, parse, ParseFormat};

fn messages(text: &str, format: ParseFormat) -> Vec<String> {
    let families = parse(text, format).expect("valid text");
    lint(&families).into_iter().map(|w| w.to_string()).collect()
}

#[test]
fn counter_without_total_suffix_is_warned_about() {
    let m = messages("# HELP a x\n# TYPE a counter\na 1\n", ParseFormat::Prometheus);
    assert_eq!(m, ["a: counter metrics should have \"_total\" suffix"]);
}

#[test]
fn openmetrics_counter_samples_with_total_are_not_warned_about() {
    let m = messages("# HELP a x\n# TYPE a counter\na_total 1\na_created 2\n# EOF\n", ParseFormat::OpenMetrics);
    assert!(m.is_empty(), "{m:?}");
}

#[test]
fn gauge_with_total_suffix_and_missing_help_are_warned_about() {
    let m = messages("# TYPE a_total gauge\na_total 1\n", ParseFormat::Prometheus);
    assert_eq!(m, ["a_total: no help text", "a_total: non-counter metrics should not have \"_total\" suffix"]);
}

#[test]
fn non_base_units_camel_case_and_reserved_labels_are_warned_about() {
    let m = messages(
        "# HELP req_milliseconds x\n# TYPE req_milliseconds gauge\nreq_milliseconds{le=\"1\",fooBar=\"x\"} 1\n",
        ParseFormat::Prometheus,
    );
    assert!(
        m.contains(&"req_milliseconds: use base unit \"seconds\" instead of \"milliseconds\"".to_string()),
        "{m:?}"
    );
    assert!(
        m.contains(&"req_milliseconds: label names should be written in 'snake_case' not 'camelCase'".to_string()),
        "{m:?}"
    );
    assert!(m.contains(&"req_milliseconds: non-histogram metrics should not have \"le\" label".to_string()), "{m:?}");
}

#[test]
fn repeated_series_is_warned_about() {
    let m = messages("# HELP a x\n# TYPE a gauge\na 1\na 2\n", ParseFormat::Prometheus);
    assert_eq!(m, ["a: metric not unique"]);
}

/// The guide names two gauges `*_total` (task and agent counts) and Loki Mode
/// 9.20 a third (`loki_receipts_total`), which promtool flags; nothing else in
/// our own output is.
#[test]
fn loki_metrics_own_output_warns_only_about_the_total_gauges_loki_mode_names() {
    let snapshot = loki_metrics::Snapshot::empty(1000);
    for (format, parse_format) in [
        (loki_metrics::Format::Prometheus, ParseFormat::Prometheus),
        (loki_metrics::Format::OpenMetrics, ParseFormat::OpenMetrics),
    ] {
        let text = loki_metrics::render(&snapshot, format);
        assert_eq!(
            messages(&text, parse_format),
            [
                "loki_tasks_total: non-counter metrics should not have \"_total\" suffix",
                "loki_agents_total: non-counter metrics should not have \"_total\" suffix",
                "loki_receipts_total: non-counter metrics should not have \"_total\" suffix",
            ]
        );
    }
}

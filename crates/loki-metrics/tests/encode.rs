//! Encodings and negotiation (SPEC §4).

use loki_metrics::encode::{write_f64, write_u64, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE};
use loki_metrics::{negotiate, Format, Snapshot};

fn f(v: f64) -> String {
    let mut s = String::new();
    write_f64(&mut s, v);
    s
}

#[test]
fn floats_are_written_in_shortest_round_trip_form() {
    assert_eq!(f(0.5), "0.5");
    assert_eq!(f(3.0), "3");
    assert_eq!(f(0.1 + 0.2), "0.30000000000000004");
    assert_eq!(f(1e21), "1e21");
    assert_eq!(f(1.5e-7), "1.5e-7");
    assert_eq!(f(-0.0), "-0");
    for v in [0.1, 123.456, 1e300, 5e-324, f64::MAX] {
        assert_eq!(f(v).parse::<f64>().expect("parses back"), v);
    }
}

#[test]
fn special_floats_are_spelled_as_the_text_formats_require() {
    assert_eq!(f(f64::INFINITY), "+Inf");
    assert_eq!(f(f64::NEG_INFINITY), "-Inf");
    assert_eq!(f(f64::NAN), "NaN");
}

#[test]
fn integers_have_no_decimal_point() {
    let mut s = String::new();
    write_u64(&mut s, 18_446_744_073_709_551_615);
    assert_eq!(s, "18446744073709551615");
}

#[test]
fn content_types_are_exact() {
    assert_eq!(Format::Prometheus.content_type(), "text/plain; version=0.0.4; charset=utf-8");
    assert_eq!(Format::OpenMetrics.content_type(), "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert_eq!(PROMETHEUS_CONTENT_TYPE, Format::Prometheus.content_type());
    assert_eq!(OPENMETRICS_CONTENT_TYPE, Format::OpenMetrics.content_type());
    assert_eq!(Format::Json.content_type(), "application/json");
}

#[test]
fn format_names_parse_and_unknown_ones_are_typed_errors() {
    assert_eq!("prometheus".parse::<Format>(), Ok(Format::Prometheus));
    assert_eq!("OpenMetrics".parse::<Format>(), Ok(Format::OpenMetrics));
    assert_eq!("json".parse::<Format>(), Ok(Format::Json));
    assert!(matches!("xml".parse::<Format>(), Err(loki_metrics::Error::UnknownFormat(s)) if s == "xml"));
}

const PROMETHEUS_SCRAPE_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

#[test]
fn prometheus_own_scrape_header_chooses_openmetrics() {
    assert_eq!(negotiate(Some(PROMETHEUS_SCRAPE_ACCEPT)), Format::OpenMetrics);
    // Prometheus 2.x's older header too.
    assert_eq!(
        negotiate(Some("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")),
        Format::OpenMetrics
    );
}

#[test]
fn no_header_or_a_bare_wildcard_chooses_0_0_4() {
    assert_eq!(negotiate(None), Format::Prometheus);
    assert_eq!(negotiate(Some("*/*")), Format::Prometheus);
    assert_eq!(negotiate(Some("")), Format::Prometheus);
    assert_eq!(negotiate(Some("text/plain")), Format::Prometheus);
}

#[test]
fn q_values_decide_between_the_two() {
    assert_eq!(negotiate(Some("text/plain;q=0.9, application/openmetrics-text;q=0.8")), Format::Prometheus);
    assert_eq!(negotiate(Some("text/plain;q=0.8, application/openmetrics-text;q=0.9")), Format::OpenMetrics);
    assert_eq!(negotiate(Some("application/openmetrics-text")), Format::OpenMetrics);
    assert_eq!(negotiate(Some("application/openmetrics-text; q=0")), Format::Prometheus);
    assert_eq!(negotiate(Some("application/openmetrics-text, */*;q=0.1")), Format::OpenMetrics);
}

#[test]
fn an_explicit_openmetrics_beats_a_wildcard_at_equal_q() {
    assert_eq!(negotiate(Some("application/openmetrics-text, */*")), Format::OpenMetrics);
    assert_eq!(negotiate(Some("application/openmetrics-text, text/plain")), Format::Prometheus);
}

#[test]
fn only_openmetrics_version_1_0_0_or_unversioned_counts() {
    assert_eq!(negotiate(Some("application/openmetrics-text;version=0.0.1")), Format::Prometheus);
    assert_eq!(negotiate(Some("application/openmetrics-text;version=2.0.0")), Format::Prometheus);
    assert_eq!(negotiate(Some("application/openmetrics-text; version=\"1.0.0\"")), Format::OpenMetrics);
}

#[test]
fn malformed_headers_fall_back_to_0_0_4() {
    for h in [
        "garbage",
        ";;;,,,",
        "application/openmetrics-text;q=banana",
        "application/openmetrics-text;q=1.5",
        "/",
        "text/plain;q=",
        "\u{0}\u{ff}",
    ] {
        assert_eq!(negotiate(Some(h)), Format::Prometheus, "{h:?}");
    }
}

#[test]
fn a_one_megabyte_accept_header_is_handled() {
    let huge = "text/html;q=0.1,".repeat(65_536) + "application/openmetrics-text";
    assert!(huge.len() >= 1 << 20);
    assert_eq!(negotiate(Some(&huge)), Format::OpenMetrics);
}

fn sample_snapshot() -> Snapshot {
    let mut s = Snapshot::empty(1000);
    s.set_cost_usd(12.345678);
    s.set_uptime_seconds(61.5);
    s.set_events_total(42);
    s
}

#[test]
fn openmetrics_names_the_counter_family_without_total_and_ends_with_eof() {
    let text = loki_metrics::render(&sample_snapshot(), Format::OpenMetrics);
    assert!(text.contains("# TYPE loki_events counter\nloki_events_total 42\n"));
    assert!(text.contains("# UNIT loki_uptime_seconds seconds\n"));
    assert!(text.ends_with("# EOF\n"));
    assert!(!text.contains("\n\n"), "no blank lines");
}

#[test]
fn prometheus_text_has_help_then_type_then_samples_for_every_family_in_spec_order() {
    let text = loki_metrics::render(&sample_snapshot(), Format::Prometheus);
    let names: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).map(|l| l.split(' ').next().unwrap_or("")).collect();
    assert_eq!(
        names,
        [
            "loki_session_status",
            "loki_iteration_current",
            "loki_iteration_max",
            "loki_tasks_total",
            "loki_agents_active",
            "loki_agents_total",
            "loki_cost_usd",
            "loki_events_total",
            "loki_uptime_seconds",
            "loki_receipts_total",
            "loki_receipts_by_verdict",
            "loki_receipts_with_provenance",
            "loki_budget_limit_usd",
            "loki_budget_exceeded",
            "loki_tokens_total",
            "loki_model_cost_usd",
            "loki_session_info",
            "loki_state_updated_timestamp_seconds",
            "loki_checklist_items",
        ]
    );
    assert!(text.contains(
        "# HELP loki_cost_usd Estimated total cost in USD\n# TYPE loki_cost_usd gauge\nloki_cost_usd 12.345678\n"
    ));
    assert!(text.contains("loki_tasks_total{status=\"pending\"} 0\nloki_tasks_total{status=\"in_progress\"} 0\nloki_tasks_total{status=\"completed\"} 0\nloki_tasks_total{status=\"failed\"} 0\n"));
    assert!(!text.contains("# EOF"));
}

#[test]
fn exporter_metrics_add_source_errors_duration_and_build_info() {
    let mut s = sample_snapshot();
    s.set_failed_sources(vec![loki_metrics::Source::Events]);
    s.set_exporter(Some(loki_metrics::ExporterInfo { collect_seconds: 0.25, version: "x".into() }));
    let om = loki_metrics::render(&s, Format::OpenMetrics);
    assert!(om.contains("loki_source_error{source=\"events.jsonl\"} 1\n"));
    assert!(om.contains("loki_source_error{source=\"dashboard-state.json\"} 0\n"));
    assert!(om.contains("# TYPE loki_scrape_duration_seconds gauge\n# UNIT loki_scrape_duration_seconds seconds\nloki_scrape_duration_seconds 0.25\n"));
    assert!(om.contains(&format!(
        "# TYPE loki_exporter_build info\nloki_exporter_build_info{{version=\"{}\"}} 1\n",
        loki_metrics::VERSION
    )));
    let prom = loki_metrics::render(&s, Format::Prometheus);
    assert!(prom.contains("# TYPE loki_exporter_build_info gauge\n"));
}

#[test]
fn value_looks_samples_up_by_name_and_exact_labels() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/running/.loki");
    let s = loki_metrics::collect(&loki_metrics::Options::new(dir));
    use loki_metrics::Value::{Float, Int};
    assert_eq!(s.value("loki_tasks_total", &[("status", "pending")]), Some(Int(3)));
    assert_eq!(s.value("loki_cost_usd", &[]), Some(Float(1.2)));
    assert_eq!(s.value("loki_events", &[]), s.value("loki_events_total", &[]), "family or sample name");
    assert_eq!(s.value("loki_tasks_total", &[]), None, "no unlabelled sample");
    assert_eq!(s.value("loki_tasks_total", &[("status", "pending"), ("status", "pending")]), None);
    assert_eq!(s.value("loki_nope", &[]), None);
}

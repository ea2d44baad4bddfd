//! Round trips: what `loki_metrics::render` writes parses back to the
//! snapshot's values (SPEC §3 says which sample carries which value), and
//! encode -> parse -> encode gives the same text.

use std::path::Path;

use loki_metrics::encode::write_f64;
use loki_metrics::parse::{parse, MetricFamily, MetricType, ParseFormat};
use loki_metrics::{render, ExporterInfo, Format, SessionStatus, Snapshot, Source, TaskCounts};
use proptest::prelude::*;

/// A sample as (name, labels, value).
type Flat = (String, Vec<(String, String)>, f64);

/// (sample name, labels, value) that SPEC §3 assigns to a snapshot.
fn expected_samples(s: &Snapshot) -> Vec<Flat> {
    let plain = |n: &str, v: f64| (n.to_owned(), Vec::new(), v);
    let task = |status: &str, v: u64| {
        ("loki_tasks_total".to_owned(), vec![("status".to_owned(), status.to_owned())], v as f64)
    };
    let mut out = vec![
        plain("loki_session_status", f64::from(s.session_status().code())),
        plain("loki_iteration_current", s.iteration_current() as f64),
        plain("loki_iteration_max", s.iteration_max() as f64),
        task("pending", s.tasks().pending),
        task("in_progress", s.tasks().in_progress),
        task("completed", s.tasks().completed),
        task("failed", s.tasks().failed),
        plain("loki_agents_active", s.agents_active() as f64),
        plain("loki_agents_total", s.agents_total() as f64),
        plain("loki_cost_usd", s.cost_usd()),
        plain("loki_events_total", s.events_total() as f64),
        plain("loki_uptime_seconds", s.uptime_seconds()),
    ];
    // The families after 5.38's nine have no typed accessors: their samples as the snapshot holds them.
    let default_families = loki_metrics::families::group(loki_metrics::families::Group::Default).skip(9);
    for family in default_families {
        for sample in s.family(family).map_or(&[][..], |f| &f.samples[..]) {
            let labels = sample.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            out.push((sample.name.to_string(), labels, loki_metrics::SampleValue::to_f64(sample.value)));
        }
    }
    if let Some(e) = &s.exporter() {
        for src in Source::ALL.iter().filter(|s| **s != Source::Options) {
            out.push((
                "loki_source_error".to_owned(),
                vec![("source".to_owned(), src.path().to_owned())],
                if s.failed_sources().contains(src) { 1.0 } else { 0.0 },
            ));
        }
        out.push(plain("loki_scrape_duration_seconds", e.collect_seconds));
        out.push((
            "loki_exporter_build_info".to_owned(),
            // The exporter reports the library's own version (SPEC §3).
            vec![("version".to_owned(), loki_metrics::VERSION.to_owned())],
            1.0,
        ));
    }
    out
}

fn parsed_samples(families: &[MetricFamily<'_>]) -> Vec<Flat> {
    families
        .iter()
        .flat_map(|f| f.samples.iter())
        .map(|s| (s.name.to_string(), s.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), s.value))
        .collect()
}

#[track_caller]
fn assert_text_has_snapshot_values(text: &str, format: ParseFormat, snapshot: &Snapshot) {
    let families = parse(text, format).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(parsed_samples(&families), expected_samples(snapshot));
    let by_name = |n: &str| families.iter().find(|f| f.name == n);
    if format.detect(text) == ParseFormat::OpenMetrics {
        let events = by_name("loki_events").expect("counter family loki_events");
        assert_eq!(events.metric_type, MetricType::Counter);
        let uptime = by_name("loki_uptime_seconds").expect("uptime family");
        assert_eq!(uptime.unit.as_deref(), Some("seconds"));
    } else {
        let events = by_name("loki_events_total").expect("counter family loki_events_total");
        assert_eq!(events.metric_type, MetricType::Counter);
    }
    assert!(families.iter().all(|f| f.help.is_some()));
}

fn busy_snapshot() -> Snapshot {
    let mut s = Snapshot::empty(1000);
    s.set_session_status(SessionStatus::Paused);
    s.set_iteration_current(42);
    s.set_tasks(TaskCounts { pending: 3, in_progress: 1, completed: 17, failed: 2 });
    s.set_agents_active(2);
    s.set_agents_total(5);
    s.set_cost_usd(12.345678);
    s.set_events_total(9001);
    s.set_uptime_seconds(3600.5);
    s
}

#[test]
fn rendered_snapshots_parse_back_to_their_values_in_both_formats() {
    let mut with_exporter = busy_snapshot();
    with_exporter.set_exporter(Some(ExporterInfo { collect_seconds: 0.001234, version: "0.1.0".into() }));
    with_exporter.set_failed_sources(vec![Source::Events, Source::Pricing]);
    let mut huge = Snapshot::empty(u64::MAX);
    huge.set_events_total(u64::MAX);
    huge.set_cost_usd(1e21);
    huge.set_uptime_seconds(1.5e-7);
    for snapshot in [Snapshot::empty(1000), busy_snapshot(), with_exporter, huge] {
        for (format, parse_format) in [
            (Format::Prometheus, ParseFormat::Prometheus),
            (Format::OpenMetrics, ParseFormat::OpenMetrics),
            (Format::OpenMetrics, ParseFormat::Auto),
        ] {
            let text = render(&snapshot, format);
            assert_text_has_snapshot_values(&text, parse_format, &snapshot);
        }
    }
}

/// Every golden fixture's expected outputs parse back to its expected
/// snapshot. (The fixtures live in `tests/fixtures/` of the repository; a
/// checkout without them has nothing to check here.)
#[test]
fn golden_fixture_outputs_parse_back_to_the_snapshot_values() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        eprintln!("no {} here; skipped", root.display());
        return;
    };
    let mut checked = 0;
    for dir in dirs.flatten() {
        let dir = dir.path();
        let Ok(json) = std::fs::read_to_string(dir.join("expected.json")) else {
            continue;
        };
        let snapshot: Snapshot = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for (file, format) in [("expected.prom", ParseFormat::Prometheus), ("expected.om", ParseFormat::OpenMetrics)] {
            if let Ok(text) = std::fs::read_to_string(dir.join(file)) {
                assert_text_has_snapshot_values(&text, format, &snapshot);
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "fixtures directory without expected outputs");
}

/// Writes parsed families back in `format`, in the layout the encoders use.
fn encode(families: &[MetricFamily<'_>], format: Format) -> String {
    let mut out = String::new();
    let escape = |s: &str, quote: bool| {
        let mut o = String::new();
        for c in s.chars() {
            match c {
                '\\' => o.push_str("\\\\"),
                '\n' => o.push_str("\\n"),
                '"' if quote => o.push_str("\\\""),
                c => o.push(c),
            }
        }
        o
    };
    let om = format == Format::OpenMetrics;
    for f in families {
        if let Some(help) = &f.help {
            out.push_str(&format!("# HELP {} {}\n", f.name, escape(help, om)));
        }
        let t = match (om, f.metric_type) {
            (false, MetricType::Unknown) => "untyped",
            (_, k) => k.as_str(),
        };
        out.push_str(&format!("# TYPE {} {t}\n", f.name));
        if let Some(unit) = &f.unit {
            out.push_str(&format!("# UNIT {} {unit}\n", f.name));
        }
        for s in &f.samples {
            out.push_str(&s.name);
            if !s.labels.is_empty() {
                let labels: Vec<String> =
                    s.labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v, true))).collect();
                out.push_str(&format!("{{{}}}", labels.join(",")));
            }
            out.push(' ');
            write_f64(&mut out, s.value);
            if let Some(ts) = s.timestamp {
                out.push(' ');
                if om {
                    write_f64(&mut out, ts);
                } else {
                    out.push_str(&format!("{}", (ts * 1000.0).round() as i64));
                }
            }
            out.push('\n');
        }
    }
    if om {
        out.push_str("# EOF\n");
    }
    out
}

fn arb_snapshot() -> impl Strategy<Value = Snapshot> {
    // Integers up to 2^53 render identically as integers and as floats.
    let int = 0u64..=(1u64 << 53);
    let real = prop_oneof![Just(0.0), (0u64..=10_000_000_000u64).prop_map(|n| n as f64 / 1e6), (0.0f64..1e300),];
    (
        (0u8..3, int.clone(), int.clone(), int.clone()),
        (int.clone(), int.clone(), int.clone(), int.clone()),
        (int.clone(), int.clone(), int),
        (real.clone(), real),
        proptest::option::of((0.0f64..10.0, "[0-9a-z.\\-+\"\\\\\n ]{0,12}")),
    )
        .prop_map(
            |((status, it, max, pending), (inp, done, failed, active), (total, events, _), (cost, up), exporter)| {
                let mut s = Snapshot::empty(max);
                s.set_session_status(match status {
                    0 => SessionStatus::Stopped,
                    1 => SessionStatus::Running,
                    _ => SessionStatus::Paused,
                });
                s.set_iteration_current(it);
                s.set_tasks(TaskCounts { pending, in_progress: inp, completed: done, failed });
                s.set_agents_active(active);
                s.set_agents_total(total);
                s.set_events_total(events);
                s.set_cost_usd(cost);
                s.set_uptime_seconds(up);
                s.set_exporter(exporter.map(|(secs, version)| ExporterInfo { collect_seconds: secs, version }));
                s
            },
        )
}

proptest! {
    #[test]
    fn any_snapshot_renders_parses_and_reencodes_identically(snapshot in arb_snapshot()) {
        for (format, parse_format) in [
            (Format::Prometheus, ParseFormat::Prometheus),
            (Format::OpenMetrics, ParseFormat::OpenMetrics),
        ] {
            let text = render(&snapshot, format);
            let families = parse(&text, parse_format).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(parsed_samples(&families), expected_samples(&snapshot));
            prop_assert_eq!(&encode(&families, format), &text);
        }
    }
}

/// Families of arbitrary gauges and counters with tricky label values,
/// non-finite values and timestamps.
/// (name, is a counter, help, samples of (labels, value, timestamp)).
type ArbFamily = (String, bool, Option<String>, Vec<(Vec<(String, String)>, f64, Option<f64>)>);

fn arb_families() -> impl Strategy<Value = Vec<ArbFamily>> {
    let value = prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        (0u32..1000).prop_map(f64::from),
    ];
    let label_value = "(\\PC|[\\\\\"\n{},= #])*";
    let labels = proptest::collection::vec(("[a-zA-Z_][a-zA-Z0-9_]{0,5}", label_value), 0..4).prop_map(|mut v| {
        let mut seen = std::collections::HashSet::new();
        v.retain(|(k, _)| seen.insert(k.clone()));
        v
    });
    let sample = (labels, value, proptest::option::of(-1e9f64..1e10));
    let family = (
        "[a-zA-Z_:][a-zA-Z0-9_:]{0,8}",
        any::<bool>(),
        proptest::option::of("(\\PC|[\\\\\"\n])+"),
        proptest::collection::vec(sample, 0..5),
    );
    proptest::collection::vec(family, 0..6).prop_map(|mut fams| {
        // Unique, non-clashing names; unique label sets within a family.
        let mut names = std::collections::HashSet::new();
        fams.retain(|(n, _, _, _)| !n.ends_with("_total") && !n.ends_with("_created") && names.insert(n.clone()));
        let all: Vec<String> = fams.iter().map(|f| f.0.clone()).collect();
        fams.retain(|(n, _, _, _)| {
            !all.iter().any(|o| o != n && (n.starts_with(o.as_str()) || o.starts_with(n.as_str())))
        });
        for (_, _, _, samples) in &mut fams {
            let mut sets = std::collections::HashSet::new();
            samples.retain(|(l, _, _)| {
                let mut key: Vec<_> = l.clone();
                key.sort();
                sets.insert(key)
            });
        }
        fams
    })
}

proptest! {
    #[test]
    fn any_openmetrics_gauge_or_counter_text_round_trips(fams in arb_families()) {
        let mut text = String::new();
        let mut expected = Vec::new();
        for (name, counter, help, samples) in &fams {
            let mut f = MetricFamily {
                name: name.clone().into(),
                metric_type: if *counter { MetricType::Counter } else { MetricType::Gauge },
                help: help.clone().map(Into::into),
                unit: None,
                samples: Vec::new(),
            };
            for (labels, value, ts) in samples {
                let value = if *counter && (value.is_nan() || *value < 0.0) { value.abs() } else { *value };
                let value = if *counter && value.is_nan() { 0.0 } else { value };
                f.samples.push(loki_metrics::parse::Sample {
                    name: if *counter { format!("{name}_total").into() } else { name.clone().into() },
                    labels: labels.iter().map(|(k, v)| (k.clone().into(), v.clone().into())).collect(),
                    value,
                    timestamp: *ts,
                    exemplar: None,
                });
            }
            expected.push(f);
        }
        text.push_str(&encode(&expected, Format::OpenMetrics));
        let parsed = parse(&text, ParseFormat::OpenMetrics).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed.len(), expected.len());
        prop_assert_eq!(&encode(&parsed, Format::OpenMetrics), &text);
        for (p, e) in parsed.iter().zip(&expected) {
            prop_assert_eq!(&p.name, &e.name);
            prop_assert_eq!(&p.help, &e.help);
            prop_assert_eq!(p.samples.len(), e.samples.len());
            for (ps, es) in p.samples.iter().zip(&e.samples) {
                prop_assert_eq!(&ps.labels, &es.labels);
                prop_assert!(ps.value == es.value || (ps.value.is_nan() && es.value.is_nan()));
                prop_assert_eq!(ps.timestamp, es.timestamp);
            }
        }
    }
}

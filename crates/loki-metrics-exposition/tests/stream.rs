//! The streaming reader agrees with `parse`, and neither panics on any input.

use std::io::BufReader;

use loki_metrics_exposition::parse::{parse, FamilyReader, MetricFamily, ParseFormat};
use proptest::prelude::*;

mod common;
use common::{mutated_om, OM};

fn stream(
    text: &str,
    format: ParseFormat,
    buf: usize,
) -> Result<Vec<MetricFamily<'static>>, loki_metrics_exposition::parse::ParseError> {
    FamilyReader::new(BufReader::with_capacity(buf, text.as_bytes()), format).collect()
}

#[test]
fn reader_yields_the_same_families_as_parse_whatever_the_buffer_size() {
    let whole: Vec<MetricFamily<'static>> =
        parse(OM, ParseFormat::OpenMetrics).expect("valid").into_iter().map(MetricFamily::into_owned).collect();
    for buf in [1, 2, 7, 64, 8192] {
        assert_eq!(stream(OM, ParseFormat::OpenMetrics, buf).expect("valid"), whole);
    }
}

#[test]
fn reader_reports_the_same_error_as_parse() {
    let bad = "# TYPE a gauge\na 1\n\nb 1\n# EOF\n";
    let e1 = parse(bad, ParseFormat::OpenMetrics).expect_err("blank line");
    let e2 = stream(bad, ParseFormat::OpenMetrics, 3).expect_err("blank line");
    assert_eq!(e1, e2);
    let missing = "a 1\n";
    assert_eq!(
        parse(missing, ParseFormat::OpenMetrics).expect_err("no eof"),
        stream(missing, ParseFormat::OpenMetrics, 2).expect_err("no eof")
    );
}

#[test]
fn reader_yields_families_before_the_input_ends() {
    // A reader that fails after the first two families: they arrive first.
    let text = "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE c gauge\n";
    let failing = std::io::Read::chain(text.as_bytes(), FailingReader);
    let mut reader = FamilyReader::new(BufReader::new(failing), ParseFormat::OpenMetrics);
    assert_eq!(reader.next().and_then(Result::ok).map(|f| f.name.into_owned()), Some("a".into()));
    assert_eq!(reader.next().and_then(Result::ok).map(|f| f.name.into_owned()), Some("b".into()));
    let err = reader.next().and_then(Result::err).expect("read error");
    assert!(err.message.contains("read error"), "{err}");
    assert!(reader.next().is_none(), "fused after an error");
}

struct FailingReader;

impl std::io::Read for FailingReader {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("connection reset"))
    }
}

#[test]
fn reader_rejects_invalid_utf8_with_its_position() {
    let bytes: &[u8] = b"a 1\nb{x=\"\xc3\xa9\xff\"} 1\n# EOF\n";
    let err = FamilyReader::new(bytes, ParseFormat::OpenMetrics).find_map(Result::err).expect("invalid utf-8");
    assert_eq!((err.line, err.column), (2, 7));
}

#[test]
fn reader_yields_interleaved_prometheus_runs_separately_with_their_type() {
    let text = "# TYPE a counter\na 1\nb 2\na 3\n";
    let fams = stream(text, ParseFormat::Prometheus, 16).expect("valid");
    let runs: Vec<(String, &str)> = fams.iter().map(|f| (f.name.to_string(), f.metric_type.as_str())).collect();
    assert_eq!(runs, [("a".into(), "counter"), ("b".into(), "unknown"), ("a".into(), "counter")]);
}

#[test]
fn reader_auto_detects_small_inputs() {
    let fams = stream(OM, ParseFormat::Auto, 5).expect("valid");
    assert_eq!(fams[0].name, "a");
    let prom = stream("a_total 1\n", ParseFormat::Auto, 5).expect("valid");
    assert_eq!(prom[0].name, "a_total");
}

#[test]
fn reader_rejects_overlong_lines() {
    let long = format!("a{{x=\"{}\"}} 1\n", "y".repeat(loki_metrics_exposition::parse::MAX_LINE_BYTES));
    let err = stream(&long, ParseFormat::Prometheus, 8192).expect_err("too long");
    assert!(err.message.contains("longer than"), "{err}");
}

proptest! {
    #[test]
    fn parse_never_panics_on_arbitrary_text(text in "(\\PC|[\n\r\t\"\\\\{}#=, ])*") {
        for format in [ParseFormat::Prometheus, ParseFormat::OpenMetrics, ParseFormat::Auto] {
            let _ = parse(&text, format);
            let _ = stream(&text, format, 3).is_ok();
        }
    }

    #[test]
    fn parse_never_panics_on_mutated_valid_text(pos in 0usize..200, byte in any::<u8>(), cut in 0usize..200) {
        let bytes = mutated_om(pos, byte, cut);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let whole = parse(text, ParseFormat::OpenMetrics)
                .map(|v| v.into_iter().map(MetricFamily::into_owned).collect::<Vec<_>>());
            prop_assert_eq!(whole, stream(text, ParseFormat::OpenMetrics, 4));
            // 0.0.4 runs are joined by `parse` but not by the reader: compare the verdicts.
            let prom = parse(text, ParseFormat::Prometheus).map(|_| ());
            prop_assert_eq!(prom, stream(text, ParseFormat::Prometheus, 4).map(|_| ()));
        }
        for format in [ParseFormat::Prometheus, ParseFormat::OpenMetrics] {
            let _ = FamilyReader::new(&bytes[..], format).count();
        }
    }
}

//! `families` yields what `parse` returns, one family at a time, and agrees
//! with `FamilyReader` (its own line loop) family by family and error by error.

use loki_metrics_exposition::parse::{families, parse, FamilyReader, MetricFamily, ParseFormat};
use proptest::prelude::*;

mod common;
use common::{mutated_om, OM};

/// The families and the error, as text: `Debug` shows a NaN value as `NaN`,
/// where `PartialEq` would find it unequal to itself.
fn each(text: &str, format: ParseFormat) -> Vec<String> {
    families(text, format).map(|f| format!("{f:?}")).collect()
}

fn read(text: &str, format: ParseFormat) -> Vec<String> {
    FamilyReader::new(text.as_bytes(), format).map(|f| format!("{f:?}")).collect()
}

fn parser_corpus() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/parser");
    let mut texts: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("tests/parser")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "om" || x == "prom"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("text")))
        .collect();
    texts.sort();
    assert!(texts.len() >= 5, "the parser corpus is missing");
    texts
}

#[test]
fn families_of_the_parser_corpus_are_parse_s_and_the_reader_s() {
    for (path, text) in parser_corpus() {
        let format = if path.ends_with(".om") { ParseFormat::OpenMetrics } else { ParseFormat::Prometheus };
        let whole = parse(&text, format).unwrap_or_else(|e| panic!("{path}: {e}"));
        let one_by_one: Vec<MetricFamily<'_>> =
            families(&text, format).collect::<Result<_, _>>().unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(!families(&text, format).resumed(), "{path}");
        assert_eq!(format!("{one_by_one:?}"), format!("{whole:?}"), "{path}");
        assert_eq!(each(&text, format), read(&text, format), "{path}");
    }
}

#[test]
fn finished_families_come_before_the_error_and_nothing_after_it() {
    // `a` is finished; `b`, open at the bad line, may lack samples and is
    // not yielded.
    let text = "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\nb{ 2\nc 3\n";
    let mut it = families(text, ParseFormat::Prometheus);
    assert_eq!(it.next().and_then(Result::ok).map(|f| f.name), Some("a".into()));
    let err = it.next().and_then(Result::err).expect("the bad line");
    assert_eq!(err, parse(text, ParseFormat::Prometheus).expect_err("bad line"));
    assert_eq!(err.line, 5);
    assert!(it.next().is_none());
    assert!(it.next().is_none(), "fused");
}

#[test]
fn an_openmetrics_text_without_eof_yields_its_finished_families_then_the_error() {
    // The text may have been cut inside `b`: `a`, then the error.
    let text = "# TYPE a gauge\na 1\n# TYPE b gauge\nb 2\n";
    let got: Vec<_> = families(text, ParseFormat::OpenMetrics).map(|f| f.map(|f| f.name.into_owned())).collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], Ok("a".to_owned()));
    assert_eq!(got[1], Err(parse(text, ParseFormat::OpenMetrics).expect_err("no # EOF")));
}

#[test]
fn split_prometheus_families_come_in_runs_which_parse_joins() {
    let text = "# TYPE a counter\na 1\nb 2\na 3\n";
    let mut it = families(text, ParseFormat::Prometheus);
    let runs: Vec<(String, &str, usize)> = (&mut it)
        .map(|f| f.expect("valid"))
        .map(|f| (f.name.to_string(), f.metric_type.as_str(), f.samples.len()))
        .collect();
    assert_eq!(runs, [("a".into(), "counter", 1), ("b".into(), "unknown", 1), ("a".into(), "counter", 1)]);
    assert!(it.resumed());
    let joined = parse(text, ParseFormat::Prometheus).expect("valid");
    assert_eq!(joined.len(), 2);
    assert_eq!(joined[0].samples.len(), 2);
    assert_eq!(each(text, ParseFormat::Prometheus), read(text, ParseFormat::Prometheus));
}

#[test]
fn auto_is_resolved_from_the_whole_text() {
    let om: Vec<_> = families(OM, ParseFormat::Auto).map(|f| f.expect("valid").name.into_owned()).collect();
    assert_eq!(om, ["a", "h", "plain"]);
    let prom: Vec<_> = families("a_total 1\n", ParseFormat::Auto).map(|f| f.expect("valid").name).collect();
    assert_eq!(prom, ["a_total"]);
}

#[test]
fn an_empty_text_has_no_families() {
    assert_eq!(families("", ParseFormat::Prometheus).count(), 0);
    assert!(matches!(families("", ParseFormat::OpenMetrics).next(), Some(Err(_))), "OpenMetrics needs # EOF");
}

proptest! {
    #[test]
    fn families_agree_with_the_reader_on_mutated_text(pos in 0usize..200, byte in any::<u8>(), cut in 0usize..200) {
        let bytes = mutated_om(pos, byte, cut);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            for format in [ParseFormat::Prometheus, ParseFormat::OpenMetrics] {
                prop_assert_eq!(each(text, format), read(text, format));
            }
        }
    }

    #[test]
    fn families_agree_with_the_reader_on_arbitrary_text(text in "(\\PC|[\n\r\t\"\\\\{}#=, ]|a|# TYPE a gauge\n|a 1\n)*") {
        for format in [ParseFormat::Prometheus, ParseFormat::OpenMetrics] {
            prop_assert_eq!(each(&text, format), read(&text, format));
        }
    }
}

//! OpenMetrics 1.0 parsing: the specification's own examples must parse, and
//! each MUST of the text format must reject the input that breaks it, at the
//! right line and column. Cases follow the spec text and the shape of the
//! OpenMetrics conformance suite (`tests/testdata/parsers`).

use loki_metrics_exposition::parse::{parse, MetricType, ParseError, ParseFormat};

fn om(text: &str) -> Result<Vec<loki_metrics_exposition::parse::MetricFamily<'_>>, ParseError> {
    parse(text, ParseFormat::OpenMetrics)
}

/// Asserts `text` is rejected at `line:column` with a message containing `needle`.
#[track_caller]
fn rejects(text: &str, line: usize, column: usize, needle: &str) {
    match om(text) {
        Ok(f) => panic!("accepted {text:?} as {f:?}"),
        Err(e) => {
            assert_eq!((e.line, e.column), (line, column), "position of {e} for {text:?}");
            assert!(e.message.contains(needle), "message {:?} lacks {needle:?}", e.message);
        }
    }
}

#[track_caller]
fn accepts(text: &str) -> Vec<loki_metrics_exposition::parse::MetricFamily<'_>> {
    om(text).unwrap_or_else(|e| panic!("rejected {text:?}: {e}"))
}

// ---- The specification's examples -------------------------------------------

#[test]
fn spec_complete_exposition_example_parses() {
    let text = "# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path=\"/api/v1\",method=\"GET\"} 9036.32
acme_http_router_request_seconds_count{path=\"/api/v1\",method=\"GET\"} 807283.0
acme_http_router_request_seconds_created{path=\"/api/v1\",method=\"GET\"} 1605281325.0
acme_http_router_request_seconds_sum{path=\"/api/v2\",method=\"POST\"} 479.3
acme_http_router_request_seconds_count{path=\"/api/v2\",method=\"POST\"} 34.0
acme_http_router_request_seconds_created{path=\"/api/v2\",method=\"POST\"} 1605281325.0
# TYPE go_goroutines gauge
# HELP go_goroutines Number of goroutines that currently exist.
go_goroutines 69
# TYPE process_cpu_seconds counter
# UNIT process_cpu_seconds seconds
# HELP process_cpu_seconds Total user and system CPU time spent in seconds.
process_cpu_seconds_total 4.20072246e+06
# EOF
";
    let f = accepts(text);
    assert_eq!(f.len(), 3);
    assert_eq!(f[0].metric_type, MetricType::Summary);
    assert_eq!(f[0].unit.as_deref(), Some("seconds"));
    assert_eq!(f[0].samples.len(), 6);
    assert_eq!(f[0].samples[0].label("path"), Some("/api/v1"));
    assert_eq!(f[0].samples[1].value, 807283.0);
    assert_eq!(f[2].name, "process_cpu_seconds");
    assert_eq!(f[2].samples[0].value, 4.20072246e6);
}

#[test]
fn spec_histogram_with_wide_le_variety_parses() {
    let text = "# TYPE foo histogram
foo_bucket{le=\"0.0\"} 0
foo_bucket{le=\"1e-05\"} 0
foo_bucket{le=\"0.0001\"} 5
foo_bucket{le=\"0.1\"} 8
foo_bucket{le=\"1.0\"} 10
foo_bucket{le=\"10.0\"} 11
foo_bucket{le=\"100000.0\"} 11
foo_bucket{le=\"1e+06\"} 15
foo_bucket{le=\"1e+23\"} 16
foo_bucket{le=\"1.1e+23\"} 17
foo_bucket{le=\"+Inf\"} 17
foo_count 17
foo_sum 324789.3
foo_created 1520430000.123
# EOF
";
    let f = accepts(text);
    assert_eq!(f[0].samples.len(), 14);
    assert_eq!(f[0].samples[13].value, 1520430000.123);
}

#[test]
fn spec_exemplar_examples_parse_with_labels_values_and_timestamps() {
    let text = "# TYPE foo histogram
foo_bucket{le=\"0.01\"} 0
foo_bucket{le=\"0.1\"} 8 # {} 0.054
foo_bucket{le=\"1\"} 11 # {trace_id=\"KOO5S4vxi0o\"} 0.67
foo_bucket{le=\"10\"} 17 # {trace_id=\"oHg5SJYRHA0\"} 9.8 1520879607.789
foo_bucket{le=\"+Inf\"} 17
foo_count 17
foo_sum 324789.3
# EOF
";
    let f = accepts(text);
    let s = &f[0].samples;
    assert!(s[0].exemplar.is_none());
    let e1 = s[1].exemplar.as_ref().expect("exemplar on le=0.1");
    assert!(e1.labels.is_empty());
    assert_eq!(e1.value, 0.054);
    let e2 = s[2].exemplar.as_ref().expect("exemplar on le=1");
    assert_eq!(e2.labels[0].1, "KOO5S4vxi0o");
    let e3 = s[3].exemplar.as_ref().expect("exemplar on le=10");
    assert_eq!(e3.timestamp, Some(1520879607.789));
}

#[test]
fn spec_metric_point_example_with_timestamps_parses() {
    let text = "# TYPE foo_seconds summary
# UNIT foo_seconds seconds
foo_seconds_count{a=\"bb\"} 0 123
foo_seconds_sum{a=\"bb\"} 0 123
foo_seconds_count{a=\"bb\"} 0 456
foo_seconds_sum{a=\"bb\"} 0 456
foo_seconds_count{a=\"ccc\"} 0 123
foo_seconds_sum{a=\"ccc\"} 0 123
foo_seconds_count{a=\"ccc\"} 0 456
foo_seconds_sum{a=\"ccc\"} 0 456
# EOF
";
    let f = accepts(text);
    assert_eq!(f[0].samples[2].timestamp, Some(456.0));
}

#[test]
fn spec_interleaved_metrics_example_is_rejected() {
    rejects(
        "# TYPE foo_seconds summary
# UNIT foo_seconds seconds
foo_seconds_count{a=\"bb\"} 0 123
foo_seconds_count{a=\"ccc\"} 0 123
foo_seconds_count{a=\"bb\"} 0 456
foo_seconds_count{a=\"ccc\"} 0 456
# EOF
",
        5,
        18,
        "interleaved",
    );
}

#[test]
fn spec_interleaved_metric_points_example_is_rejected() {
    rejects(
        "# TYPE foo_seconds summary
# UNIT foo_seconds seconds
foo_seconds_count{a=\"bb\"} 0 123
foo_seconds_count{a=\"bb\"} 0 456
foo_seconds_sum{a=\"bb\"} 0 123
foo_seconds_sum{a=\"bb\"} 0 456
# EOF
",
        5,
        27,
        "backwards",
    );
}

#[test]
fn spec_stateset_info_gaugehistogram_and_unknown_examples_parse() {
    let text = "# TYPE foo stateset
foo{entity=\"controller\",foo=\"a\"} 1.0
foo{entity=\"controller\",foo=\"bb\"} 0.0
foo{entity=\"replica\",foo=\"a\"} 1.0
# TYPE bar info
bar_info{entity=\"controller\",name=\"pretty name\",version=\"8.2.7\"} 1.0
# TYPE baz gaugehistogram
baz_bucket{le=\"0.01\"} 20.0
baz_bucket{le=\"+Inf\"} 42.0
baz_gcount 42.0
baz_gsum 3289.3
# TYPE qux unknown
qux 42.23
# EOF";
    let f = accepts(text);
    let kinds: Vec<MetricType> = f.iter().map(|f| f.metric_type).collect();
    assert_eq!(kinds, [MetricType::StateSet, MetricType::Info, MetricType::GaugeHistogram, MetricType::Unknown]);
}

#[test]
fn sample_without_metadata_is_an_unknown_family_named_after_it() {
    let f = accepts("a 1\n# EOF\n");
    assert_eq!(f[0].name, "a");
    assert_eq!(f[0].metric_type, MetricType::Unknown);
    assert_eq!(f[0].help, None);
}

#[test]
fn empty_help_and_unit_are_treated_as_absent() {
    let f = accepts("# TYPE a_s gauge\n# UNIT a_s \n# HELP a_s \na_s 1\n# EOF\n");
    assert_eq!(f[0].help, None);
    assert_eq!(f[0].unit, None);
}

#[test]
fn family_with_metadata_and_no_samples_is_kept() {
    let f = accepts("# TYPE a gauge\n# TYPE b gauge\nb 1\n# EOF\n");
    assert_eq!(f.len(), 2);
    assert!(f[0].samples.is_empty());
}

// ---- Escapes, numbers, timestamps ---------------------------------------------

#[test]
fn label_values_unescape_backslash_newline_and_quote_and_keep_other_escapes() {
    let f = accepts("# TYPE a counter\na_total{foo=\"b\\\"a\\nr\",bar=\"b\\\\a\\z\",baz=\"}{,= \"} 1\n# EOF\n");
    let s = &f[0].samples[0];
    assert_eq!(s.label("foo"), Some("b\"a\nr"));
    assert_eq!(s.label("bar"), Some("b\\a\\z"));
    assert_eq!(s.label("baz"), Some("}{,= "));
}

#[test]
fn help_unescapes_backslash_newline_and_quote() {
    let f = accepts("# HELP a he\\n\\\\l\\tp \\\"q\\\"\na 1\n# EOF\n");
    assert_eq!(f[0].help.as_deref(), Some("he\n\\l\\tp \"q\""));
}

#[test]
fn label_values_may_hold_any_utf8_and_nul() {
    let f = accepts("a{x=\"h\u{e9}\u{1f600}\0\t\"} 1\n# EOF\n");
    assert_eq!(f[0].samples[0].label("x"), Some("h\u{e9}\u{1f600}\0\t"));
}

#[test]
fn values_accept_every_number_form_of_the_abnf() {
    let f = accepts(
        "a{i=\"1\"} 0042\na{i=\"2\"} -1.5e3\na{i=\"3\"} .5\na{i=\"4\"} 5.\na{i=\"5\"} +Inf\na{i=\"6\"} -inf\na{i=\"7\"} nan\na{i=\"8\"} InFiNiTy\na{i=\"9\"} 1E2\n# EOF\n",
    );
    let v: Vec<f64> = f[0].samples.iter().map(|s| s.value).collect();
    assert_eq!(&v[..5], &[42.0, -1500.0, 0.5, 5.0, f64::INFINITY]);
    assert_eq!(v[5], f64::NEG_INFINITY);
    assert!(v[6].is_nan());
    assert_eq!(v[7], f64::INFINITY);
    assert_eq!(v[8], 100.0);
}

#[test]
fn timestamps_are_real_numbers_of_seconds() {
    let f = accepts(
        "# TYPE a counter\na_total{foo=\"1\"} 1 000\na_total{foo=\"2\"} 1 0.0\na_total{foo=\"3\"} 1 1.1\na_total{foo=\"4\"} 1 1.5e3\na_total{foo=\"5\"} 1 -10\n# EOF\n",
    );
    let ts: Vec<Option<f64>> = f[0].samples.iter().map(|s| s.timestamp).collect();
    assert_eq!(ts, [Some(0.0), Some(0.0), Some(1.1), Some(1500.0), Some(-10.0)]);
}

#[test]
fn equal_timestamps_within_a_metric_are_allowed() {
    accepts("# TYPE a gauge\na 1 1\na 2 1\n# EOF\n");
}

#[test]
fn uint64_sized_counter_values_parse() {
    let f = accepts("# TYPE a counter\na_total 18446744073709551615\n# EOF\n");
    assert_eq!(f[0].samples[0].value, 18446744073709551615.0);
}

// ---- Structure: EOF, blank lines, line endings ------------------------------

#[test]
fn missing_eof_is_rejected_after_the_last_line() {
    rejects("a 1\n", 2, 1, "# EOF");
    rejects("", 1, 1, "# EOF");
}

#[test]
fn text_after_eof_is_rejected() {
    rejects("a 1\n# EOF\nblah\n", 3, 1, "after '# EOF'");
    rejects("a 1\n# EOF\n\n", 3, 1, "after '# EOF'");
}

#[test]
fn eof_with_trailing_text_on_its_line_is_rejected() {
    rejects("a 1\n# EOFblah\n", 2, 1, "expected '# TYPE '");
    rejects("a 1\n# EOF \n", 2, 1, "expected '# TYPE '");
}

#[test]
fn eof_without_final_newline_is_accepted() {
    accepts("a 1\n# EOF");
}

#[test]
fn blank_lines_are_rejected() {
    rejects("a 1\n\nb 1\n# EOF\n", 2, 1, "blank line");
}

#[test]
fn carriage_returns_are_rejected() {
    rejects("a 1\r\n# EOF\n", 1, 4, "carriage return");
    rejects("# HELP a x\r\na 1\n# EOF\n", 1, 11, "carriage return");
}

#[test]
fn byte_order_mark_is_rejected() {
    rejects("\u{feff}a 1\n# EOF\n", 1, 1, "byte order mark");
}

#[test]
fn comments_other_than_metadata_are_rejected() {
    rejects("# a comment\na 1\n# EOF\n", 1, 1, "no other lines starting with '#'");
    rejects("#TYPE a gauge\na 1\n# EOF\n", 1, 1, "expected '# TYPE '");
}

// ---- Metadata -----------------------------------------------------------------

#[test]
fn malformed_metadata_lines_are_rejected() {
    rejects("# TYPE\n# EOF\n", 1, 1, "expected '# TYPE '");
    rejects("# TYPE \n# EOF\n", 1, 8, "metric family name");
    rejects("# TYPE a\n# EOF\n", 1, 9, "the type");
    rejects("# TYPE a meh\n# EOF\n", 1, 10, "unknown type");
    rejects("# TYPE a gauge \n# EOF\n", 1, 10, "unknown type");
    rejects("# TYPE a  gauge\n# EOF\n", 1, 10, "unknown type");
    rejects("# TYPE a untyped\n# EOF\n", 1, 10, "unknown type");
    rejects("# TYPE a Gauge\n# EOF\n", 1, 10, "unknown type");
    rejects("# HELP a\n# EOF\n", 1, 9, "help text");
    rejects("# HELP 0a x\n# EOF\n", 1, 8, "metric family name");
    rejects("# UNIT a\n# EOF\n", 1, 9, "unit");
    rejects("# UNIT a_s s s\n# EOF\n", 1, 13, "unit of");
    rejects(" # HELP a meh\n# EOF\n", 1, 1, "metric name");
}

#[test]
fn help_ending_in_a_lone_backslash_is_rejected() {
    rejects("# HELP a x\\\n# EOF\n", 1, 11, "lone backslash");
}

#[test]
fn repeated_metadata_is_rejected() {
    rejects("# TYPE a gauge\n# TYPE a gauge\n# EOF\n", 2, 1, "second TYPE");
    rejects("# HELP a x\n# HELP a y\n# EOF\n", 2, 1, "second HELP");
    rejects("# UNIT a_s s\n# UNIT a_s s\n# EOF\n", 2, 1, "second UNIT");
}

#[test]
fn metadata_after_samples_is_rejected() {
    rejects("# TYPE a_s gauge\na_s 1\n# UNIT a_s s\n# EOF\n", 3, 1, "after its samples");
    rejects("# TYPE a counter\na_total 1\n# HELP a x\n# EOF\n", 3, 1, "after its samples");
}

#[test]
fn unit_must_be_a_suffix_of_the_name() {
    rejects("# TYPE a counter\n# UNIT a seconds\n# EOF\n", 2, 1, "not a suffix");
    rejects("# TYPE aseconds gauge\n# UNIT aseconds seconds\n# EOF\n", 2, 1, "not a suffix");
    accepts("# TYPE a_seconds gauge\n# UNIT a_seconds seconds\na_seconds 1\n# EOF\n");
}

#[test]
fn info_and_stateset_families_must_not_have_a_unit() {
    rejects("# TYPE x_u info\n# UNIT x_u u\n# EOF\n", 2, 1, "must not have a unit");
    rejects("# TYPE x_u stateset\n# UNIT x_u u\n# EOF\n", 2, 1, "must not have a unit");
}

#[test]
fn families_must_not_repeat_or_interleave() {
    rejects("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\na 1\n# EOF\n", 5, 1, "second time");
    rejects("a 1\nb 1\na 1\n# EOF\n", 3, 1, "second time");
}

#[test]
fn family_names_must_not_clash_with_other_families_sample_names() {
    rejects("# TYPE a counter\na_total 1\n# TYPE a_total gauge\na_total 1\n# EOF\n", 3, 1, "clashes");
    rejects("# TYPE a_created gauge\na_created 1\n# TYPE a counter\na_total 1\n# EOF\n", 3, 1, "clashes");
    rejects("# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\n# TYPE a_bucket gauge\na_bucket 0\n# EOF\n", 3, 1, "clashes");
}

// ---- Names and labels ---------------------------------------------------------

#[test]
fn bad_metric_names_are_rejected() {
    rejects("0a 1\n# EOF\n", 1, 1, "metric name");
    rejects("a.b 1\n# EOF\n", 1, 2, "single space");
    rejects("a-b 1\n# EOF\n", 1, 2, "single space");
}

#[test]
fn bad_label_syntax_is_rejected_at_the_offending_character() {
    rejects("a{a=1} 1\n# EOF\n", 1, 5, "'\"'");
    rejects("a{a=\"1} 1\n# EOF\n", 1, 5, "unterminated");
    rejects("a{a='1'} 1\n# EOF\n", 1, 5, "'\"'");
    rejects("a{a=\"1\"b=\"2\"} 1\n# EOF\n", 1, 8, "',' or '}'");
    rejects("a{a=\"1\",,b=\"2\"} 1\n# EOF\n", 1, 9, "label name");
    rejects("a{a=\"1\",b=\"2\",} 1\n# EOF\n", 1, 15, "label name");
    rejects("a{0a=\"1\"} 1\n# EOF\n", 1, 3, "label name");
    rejects("a{a:b=\"1\"} 1\n# EOF\n", 1, 4, "'='");
    rejects("a{a =\"1\"} 1\n# EOF\n", 1, 4, "'='");
    rejects("a {a=\"1\"} 1\n# EOF\n", 1, 3, "sample value");
}

#[test]
fn repeated_label_names_are_rejected() {
    rejects("a{a=\"1\",a=\"1\"} 1\n# EOF\n", 1, 9, "repeated");
}

#[test]
fn label_names_like_the_previous_samples_are_still_checked() {
    // See the 0.0.4 test of the same name: the previous sample's names are a
    // hint only.
    rejects("a{x=\"1\",y=\"2\"} 1\na{x=\"1\",x=\"2\"} 1\n# EOF\n", 2, 9, "\"x\" is repeated");
    rejects("a{ab=\"1\"} 1\na{ab=\"2\",a=\"2\",ab=\"3\"} 1\n# EOF\n", 2, 16, "\"ab\" is repeated");
    let f = accepts("a{ab=\"1\",c=\"2\"} 1\na{abc=\"1\",a=\"2\"} 2\n# EOF\n");
    assert_eq!(f[0].samples[1].labels[0].0, "abc");
    let names: Vec<String> = (0..40).map(|i| format!("l{i:03}=\"v\"")).collect();
    let text = format!("a{{{},l000=\"w\"}} 1\n# EOF\n", names.join(","));
    rejects(&text, 1, 3 + names.join(",").len() + 1, "\"l000\" is repeated");
    let text = format!("a{{{}}} 1\na{{{},l039=\"w\"}} 1\n# EOF\n", names.join(","), names.join(","));
    rejects(&text, 2, 3 + names.join(",").len() + 1, "\"l039\" is repeated");
}

#[test]
fn a_repeated_label_name_in_a_large_label_set_is_found_where_it_repeats() {
    // Past the first labels the check uses hashes: the same error, the same place.
    let names: Vec<String> = (0..200).map(|i| format!("l{i:03}=\"v\"")).collect();
    let text = format!("a{{{},l042=\"v\",l007=\"v\"}} 1\n# EOF\n", names.join(","));
    rejects(&text, 1, 3 + names.join(",").len() + 1, "\"l042\" is repeated");
    let text = format!("a{{{}}} 1\n# EOF\n", names.join(","));
    assert_eq!(accepts(&text)[0].samples[0].labels.len(), 200);
}

// ---- Values and timestamps ----------------------------------------------------

#[test]
fn bad_values_are_rejected() {
    rejects("a\n# EOF\n", 1, 2, "single space");
    rejects("a \n# EOF\n", 1, 3, "expected the sample value");
    rejects("a a\n# EOF\n", 1, 3, "sample value");
    rejects("a  1\n# EOF\n", 1, 3, "expected the sample value");
    rejects("a 1\t\n# EOF\n", 1, 3, "sample value");
    rejects("a 0x1p3\n# EOF\n", 1, 3, "sample value");
    rejects("a 1_000\n# EOF\n", 1, 3, "sample value");
    rejects("a +NaN\n# EOF\n", 1, 3, "sample value");
    rejects("a 1e400\n# EOF\n", 1, 3, "outside the range");
    rejects("a\t1\n# EOF\n", 1, 2, "single space");
}

#[test]
fn bad_timestamps_are_rejected() {
    rejects("a 1 \n# EOF\n", 1, 5, "timestamp");
    rejects("a 1 z\n# EOF\n", 1, 5, "timestamp");
    rejects("a 1 1z\n# EOF\n", 1, 5, "timestamp");
    rejects("a 1 1.1.1\n# EOF\n", 1, 5, "timestamp");
    rejects("a 1 NaN\n# EOF\n", 1, 5, "timestamp");
    rejects("a 1 +Inf\n# EOF\n", 1, 5, "timestamp");
    rejects("a 1 1 \n# EOF\n", 1, 7, "exemplar");
    rejects("a 1 1 2\n# EOF\n", 1, 7, "exemplar");
}

#[test]
fn timestamps_going_backwards_within_a_metric_are_rejected() {
    rejects("# TYPE a gauge\na 1 2\na 1 1\n# EOF\n", 3, 5, "backwards");
}

#[test]
fn timestamps_on_some_points_of_a_metric_only_are_rejected() {
    rejects("# TYPE a gauge\na 1 1\na 2\n# EOF\n", 3, 3, "all or none");
}

// ---- Types --------------------------------------------------------------------

#[test]
fn counter_samples_need_the_total_or_created_suffix() {
    rejects("# TYPE a counter\na 1\n# EOF\n", 2, 1, "a_total or a_created");
}

#[test]
fn counter_point_without_total_is_rejected() {
    rejects("# TYPE a counter\na_created 1\n# EOF\n", 2, 1, "_total");
}

#[test]
fn counter_totals_must_not_be_negative_or_nan() {
    rejects("# TYPE a counter\na_total -1\n# EOF\n", 2, 9, "negative");
    rejects("# TYPE a counter\na_total NaN\n# EOF\n", 2, 9, "NaN");
    accepts("# TYPE a counter\na_total +Inf\n# EOF\n");
}

#[test]
fn histogram_needs_an_inf_bucket() {
    rejects("# TYPE a histogram\na_bucket{le=\"1\"} 0\n# EOF\n", 2, 1, "+Inf");
    rejects("# TYPE a histogram\na_sum 0\na_count 0\n# EOF\n", 3, 1, "+Inf");
}

#[test]
fn histogram_buckets_must_ascend_and_be_cumulative() {
    rejects(
        "# TYPE a histogram\na_bucket{le=\"2\"} 0\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n",
        3,
        9,
        "sorted",
    );
    rejects(
        "# TYPE a histogram\na_bucket{le=\"1\"} 0\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n",
        3,
        9,
        "sorted",
    );
    rejects("# TYPE a histogram\na_bucket{le=\"1\"} 2\na_bucket{le=\"+Inf\"} 1\n# EOF\n", 3, 21, "cumulative");
}

#[test]
fn histogram_count_must_match_the_inf_bucket() {
    rejects("# TYPE a histogram\na_bucket{le=\"+Inf\"} 2\na_count 1\na_sum 1\n# EOF\n", 4, 1, "must equal");
}

#[test]
fn histogram_sum_and_count_come_together() {
    rejects("# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_count 0\n# EOF\n", 3, 1, "requires a_sum");
    rejects("# TYPE a histogram\na_bucket{le=\"+Inf\"} 0\na_sum 0\n# EOF\n", 3, 1, "requires a_count");
    rejects("# TYPE a gaugehistogram\na_bucket{le=\"+Inf\"} 0\na_gsum 0\n# EOF\n", 3, 1, "requires a_gcount");
}

#[test]
fn histogram_with_negative_buckets_must_not_have_a_sum() {
    rejects(
        "# TYPE a histogram\na_bucket{le=\"-1\"} 0\na_bucket{le=\"+Inf\"} 0\na_count 0\na_sum 0\n# EOF\n",
        5,
        1,
        "negative buckets",
    );
    accepts("# TYPE a gaugehistogram\na_bucket{le=\"-1\"} 0\na_bucket{le=\"+Inf\"} 0\na_gcount 0\na_gsum -1\n# EOF\n");
    rejects(
        "# TYPE a gaugehistogram\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 0\na_gcount 0\na_gsum -1\n# EOF\n",
        5,
        1,
        "negative only with negative buckets",
    );
}

#[test]
fn bucket_le_must_be_a_number_with_canonical_infinity() {
    rejects("# TYPE a histogram\na_bucket{le=\"+inf\"} 0\n# EOF\n", 2, 9, "+Inf");
    rejects("# TYPE a histogram\na_bucket{le=\"Inf\"} 0\n# EOF\n", 2, 9, "+Inf");
    rejects("# TYPE a histogram\na_bucket{le=\"NaN\"} 0\n# EOF\n", 2, 9, "NaN");
    rejects("# TYPE a histogram\na_bucket{le=\"x\"} 0\n# EOF\n", 2, 9, "not a number");
    rejects("# TYPE a histogram\na_bucket 0\n# EOF\n", 2, 9, "no \"le\"");
    // Non-canonical but valid numbers must not be rejected.
    accepts("# TYPE a histogram\na_bucket{le=\"1.1e-4\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n");
}

#[test]
fn bucket_and_count_values_must_be_non_negative_integers() {
    rejects("# TYPE a histogram\na_bucket{le=\"+Inf\"} 1.5\n# EOF\n", 2, 21, "integer");
    rejects("# TYPE a histogram\na_bucket{le=\"+Inf\"} -1\n# EOF\n", 2, 21, "negative");
    rejects("# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_count 1.5\na_sum 1\n# EOF\n", 3, 9, "integer");
    rejects("# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_count 1\na_sum NaN\n# EOF\n", 4, 7, "NaN");
    rejects("# TYPE a summary\na_count 1.5\na_sum 1\n# EOF\n", 2, 9, "integer");
    rejects("# TYPE a summary\na_sum -1\n# EOF\n", 2, 7, "negative");
}

#[test]
fn le_label_is_reserved_for_buckets() {
    rejects("# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_count{le=\"1\"} 1\n# EOF\n", 3, 8, "reserved");
}

#[test]
fn summary_quantiles_must_be_between_zero_and_one_with_non_negative_values() {
    rejects("# TYPE a summary\na{quantile=\"1.5\"} 1\n# EOF\n", 2, 2, "between 0 and 1");
    rejects("# TYPE a summary\na{quantile=\"x\"} 1\n# EOF\n", 2, 2, "between 0 and 1");
    rejects("# TYPE a summary\na 1\n# EOF\n", 2, 2, "no \"quantile\"");
    rejects("# TYPE a summary\na{quantile=\"0.5\"} -1\n# EOF\n", 2, 19, "negative");
    accepts("# TYPE a summary\na{quantile=\"0.5\"} NaN\na{quantile=\"0.99\"} 1\n# EOF\n");
    rejects("# TYPE a summary\na_count{quantile=\"0.5\"} 1\n# EOF\n", 2, 8, "reserved");
}

#[test]
fn stateset_samples_need_their_label_and_boolean_values() {
    rejects("# TYPE a stateset\na{b=\"x\"} 1\n# EOF\n", 2, 2, "label named after");
    rejects("# TYPE a stateset\na{a=\"x\"} 2\n# EOF\n", 2, 10, "0 or 1");
}

#[test]
fn info_values_must_be_one() {
    rejects("# TYPE a info\na_info{x=\"1\"} 2\n# EOF\n", 2, 15, "must be 1");
}

#[test]
fn gauge_and_info_sample_names_must_match_the_type() {
    rejects("# TYPE a info\na 1\n# EOF\n", 2, 1, "a_info");
    // A suffixed name under a gauge is a new, unknown family.
    let f = accepts("# TYPE a gauge\na_total 1\n# EOF\n");
    assert_eq!(f[1].name, "a_total");
    assert_eq!(f[1].metric_type, MetricType::Unknown);
}

// ---- Exemplars ----------------------------------------------------------------

#[test]
fn exemplar_syntax_errors_are_rejected() {
    let h = "# TYPE a histogram\n";
    rejects(&format!("{h}a_bucket{{le=\"+Inf\"}} 1 #\n# EOF\n"), 2, 23, "'# {'");
    rejects(&format!("{h}a_bucket{{le=\"+Inf\"}} 1# {{}} 1\n# EOF\n"), 2, 21, "sample value");
    rejects(&format!("{h}a_bucket{{le=\"+Inf\"}} 1 #{{}} 1\n# EOF\n"), 2, 23, "'# {'");
    rejects(&format!("{h}a_bucket{{le=\"+Inf\"}} 1 # {{}}1\n# EOF\n"), 2, 27, "exemplar value");
    rejects(&format!("{h}a_bucket{{le=\"+Inf\"}} 1 # {{}} 1 \n# EOF\n"), 2, 30, "exemplar timestamp");
    rejects(&format!("{h}a_bucket{{le=\"+Inf\"}} 1 # {{}} 1 1 \n# EOF\n"), 2, 31, "end of the line");
    rejects(&format!("{h}a_bucket{{le=\"+Inf\"}} 1 # {{}} 1 NaN\n# EOF\n"), 2, 30, "exemplar timestamp");
    rejects(&format!("{h}a_bucket{{le=\"+Inf\"}} 1 # {{}} 1 Inf\n# EOF\n"), 2, 30, "exemplar timestamp");
    rejects(&format!("{h}a_bucket{{le=\"+Inf\"}} 1 # {{a=\"1\",a=\"2\"}} 1\n# EOF\n"), 2, 32, "repeated");
}

#[test]
fn exemplars_are_allowed_only_on_counter_totals_and_buckets() {
    rejects("# TYPE a gauge\na 1 # {a=\"b\"} 1\n# EOF\n", 2, 5, "allowed only");
    rejects("# TYPE a counter\na_total 1\na_created 1 # {a=\"b\"} 1\n# EOF\n", 3, 13, "allowed only");
    rejects(
        "# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\na_count 1 # {a=\"b\"} 1\na_sum 1\n# EOF\n",
        3,
        11,
        "allowed only",
    );
    accepts("# TYPE a counter\na_total 1 # {a=\"b\"} 1\n# EOF\n");
}

#[test]
fn exemplar_labels_are_limited_to_128_characters() {
    let ok = "x".repeat(127);
    accepts(&format!("# TYPE a counter\na_total 1 # {{a=\"{ok}\"}} 1\n# EOF\n"));
    let long = "x".repeat(128);
    rejects(&format!("# TYPE a counter\na_total 1 # {{a=\"{long}\"}} 1\n# EOF\n"), 2, 13, "128");
    // Code points, not bytes: 64 two-byte characters + name "a" fit.
    let wide = "\u{e9}".repeat(64);
    accepts(&format!("# TYPE a counter\na_total 1 # {{a=\"{wide}\"}} 1\n# EOF\n"));
}

#[test]
fn exemplar_value_must_be_within_its_bucket() {
    rejects(
        "# TYPE a histogram\na_bucket{le=\"1\"} 1 # {} 2\na_bucket{le=\"+Inf\"} 1\n# EOF\n",
        2,
        20,
        "above its bucket",
    );
}

// ---- Errors -------------------------------------------------------------------

#[test]
fn error_display_is_line_colon_column_colon_message() {
    let e = om("a 1\n# EOF\nx").expect_err("text after EOF");
    assert_eq!(e.to_string(), format!("3:1: {}", e.message));
}

#[test]
fn error_columns_count_characters_not_bytes() {
    rejects("a{x=\"\u{e9}\u{e9}\"} z\n# EOF\n", 1, 11, "sample value");
}

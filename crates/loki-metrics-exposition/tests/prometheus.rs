//! Prometheus text 0.0.4 parsing, as Prometheus' own text parser reads it.

use loki_metrics_exposition::parse::{parse, MetricType, ParseError, ParseFormat};

fn prom(text: &str) -> Result<Vec<loki_metrics_exposition::parse::MetricFamily<'_>>, ParseError> {
    parse(text, ParseFormat::Prometheus)
}

#[track_caller]
fn accepts(text: &str) -> Vec<loki_metrics_exposition::parse::MetricFamily<'_>> {
    prom(text).unwrap_or_else(|e| panic!("rejected {text:?}: {e}"))
}

#[track_caller]
fn rejects(text: &str, line: usize, column: usize, needle: &str) {
    match prom(text) {
        Ok(f) => panic!("accepted {text:?} as {f:?}"),
        Err(e) => {
            assert_eq!((e.line, e.column), (line, column), "position of {e}");
            assert!(e.message.contains(needle), "message {:?} lacks {needle:?}", e.message);
        }
    }
}

#[test]
fn exposition_format_documentation_example_parses() {
    let text = r#"# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
"#;
    // The documentation's pre-epoch example has a negative timestamp, which
    // Prometheus' lexer ({D}+) does not accept.
    let err = prom(text).expect_err("negative timestamp");
    assert_eq!((err.line, err.column), (13, 50));

    let fixed = text.replace(" -3982045", "");
    let f = accepts(&fixed);
    let names: Vec<&str> = f.iter().map(|f| f.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "http_requests_total",
            "msdos_file_access_time_seconds",
            "metric_without_timestamp_and_labels",
            "something_weird",
            "http_request_duration_seconds",
            "rpc_duration_seconds"
        ]
    );
    assert_eq!(f[0].metric_type, MetricType::Counter);
    assert_eq!(f[0].samples[0].timestamp, Some(1395066363.0));
    assert_eq!(f[0].samples[1].value, 3.0);
    assert_eq!(f[1].samples[0].label("path"), Some("C:\\DIR\\FILE.TXT"));
    assert_eq!(f[1].samples[0].label("error"), Some("Cannot find file:\n\"FILE.TXT\""));
    assert_eq!(f[1].metric_type, MetricType::Unknown);
    assert_eq!(f[3].samples[0].value, f64::INFINITY);
    assert_eq!(f[4].metric_type, MetricType::Histogram);
    assert_eq!(f[4].samples.len(), 4);
    assert_eq!(f[5].samples.len(), 4);
}

#[test]
fn timestamps_are_integer_milliseconds_converted_to_seconds() {
    let f = accepts("a 1 1500\n");
    assert_eq!(f[0].samples[0].timestamp, Some(1.5));
    rejects("a 1 1.5\n", 1, 5, "integer milliseconds");
    rejects("a 1 -1\n", 1, 5, "integer milliseconds");
    rejects("a 1 99999999999999999999\n", 1, 5, "outside the range");
}

#[test]
fn help_unescapes_only_backslash_and_newline() {
    let f = accepts("# HELP a x\\\\y\\nz \\\"q\\\" \\t\na 1\n");
    assert_eq!(f[0].help.as_deref(), Some("x\\y\nz \\\"q\\\" \\t"));
}

#[test]
fn help_and_type_may_appear_at_most_once() {
    rejects("# HELP a x\n# HELP a y\n", 2, 1, "second HELP");
    rejects("# TYPE a gauge\n# TYPE a gauge\n", 2, 1, "second TYPE");
}

#[test]
fn type_after_samples_is_rejected() {
    rejects("a 1\n# TYPE a gauge\n", 2, 1, "before the first sample");
}

#[test]
fn type_names_are_the_five_of_0_0_4() {
    for t in ["counter", "gauge", "histogram", "summary", "untyped"] {
        accepts(&format!("# TYPE a {t}\n"));
    }
    rejects("# TYPE a info\n", 1, 10, "invalid metric type");
    rejects("# TYPE a gauge \n", 1, 10, "invalid metric type");
}

#[test]
fn untyped_samples_form_unknown_families() {
    let f = accepts("# TYPE a untyped\na 1\nb 2\n");
    assert_eq!(f[0].metric_type, MetricType::Unknown);
    assert_eq!(f[1].name, "b");
    assert_eq!(f[1].metric_type, MetricType::Unknown);
}

#[test]
fn duplicate_label_names_are_rejected() {
    rejects("a{x=\"1\",x=\"2\"} 1\n", 1, 9, "repeated");
}

#[test]
fn a_repeated_label_name_in_a_large_label_set_is_found_where_it_repeats() {
    // Past the first labels the check uses hashes: the same error, the same place.
    let names: Vec<String> = (0..200).map(|i| format!("l{i:03}=\"v\"")).collect();
    let text = format!("a{{{},l199=\"v\"}} 1\n", names.join(","));
    rejects(&text, 1, 3 + names.join(",").len() + 1, "\"l199\" is repeated");
    let text = format!("a{{{}}} 1\n", names.join(","));
    assert_eq!(prom(&text).expect("valid")[0].samples[0].labels.len(), 200);
}

#[test]
fn label_names_like_the_previous_samples_are_still_checked() {
    // The scanner takes the previous sample's names as a hint; a name that
    // repeats, extends or shortens a hinted one is read and checked as
    // without the hint.
    rejects("a{x=\"1\",y=\"2\"} 1\na{x=\"1\",x=\"2\"} 1\n", 2, 9, "\"x\" is repeated");
    rejects("a{x=\"1\",y=\"2\"} 1\na{y=\"1\",x=\"2\",y=\"3\"} 1\n", 2, 15, "\"y\" is repeated");
    rejects("a{ab=\"1\"} 1\na{ab=\"1\",a=\"2\",ab=\"3\"} 1\n", 2, 16, "\"ab\" is repeated");
    let f = accepts("a{ab=\"1\",c=\"2\"} 1\na{abc=\"1\",a=\"2\"} 2\na{ab =\"3\", c=\"4\"} 3\n");
    let names: Vec<Vec<&str>> =
        f[0].samples.iter().map(|s| s.labels.iter().map(|(k, _)| k.as_ref()).collect()).collect();
    assert_eq!(names, vec![vec!["ab", "c"], vec!["abc", "a"], vec!["ab", "c"]]);
    // Past the linear check's size, after a hinted prefix.
    let names: Vec<String> = (0..40).map(|i| format!("l{i:03}=\"v\"")).collect();
    let text = format!("a{{{}}} 1\na{{{},l003=\"v\"}} 1\n", names.join(","), names.join(","));
    rejects(&text, 2, 3 + names.join(",").len() + 1, "\"l003\" is repeated");
}

#[test]
fn interleaved_families_are_joined_under_their_declared_type() {
    let f = accepts(
        "# TYPE a counter\na{x=\"1\"} 1\n# TYPE b gauge\nb 2\na{x=\"2\"} 3\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nb_other 1\nh_count 1\nh_sum 0\n",
    );
    let names: Vec<&str> = f.iter().map(|f| f.name.as_ref()).collect();
    assert_eq!(names, ["a", "b", "h", "b_other"]);
    assert_eq!(f[0].samples.len(), 2);
    assert_eq!(f[0].samples[1].value, 3.0);
    assert_eq!(f[2].metric_type, MetricType::Histogram);
    assert_eq!(f[2].samples.len(), 3);
}

#[test]
fn blank_lines_comments_and_extra_whitespace_are_allowed() {
    let f = accepts(
        "\n  \n# just a comment\n#no space comment\n# HELPER not help\n  a { x = \"1\" , } \t 2 \t 3 \t\n\na{}4\n",
    );
    assert_eq!(f[0].samples[0].label("x"), Some("1"));
    assert_eq!(f[0].samples[0].value, 2.0);
    assert_eq!(f[0].samples[0].timestamp, Some(0.003));
    assert_eq!(f[0].samples[1].value, 4.0);
}

#[test]
fn last_line_may_lack_a_newline() {
    let f = accepts("a 1");
    assert_eq!(f[0].samples[0].value, 1.0);
}

#[test]
fn values_follow_go_parse_float_without_hex_or_underscores() {
    let f = accepts("a 1e3\nb -Inf\nc NaN\nd .5\ne +1\n");
    assert_eq!(f[0].samples[0].value, 1000.0);
    assert_eq!(f[1].samples[0].value, f64::NEG_INFINITY);
    assert!(f[2].samples[0].value.is_nan());
    rejects("a 0x1p3\n", 1, 3, "sample value");
    rejects("a 1_0\n", 1, 3, "sample value");
    rejects("a\n", 1, 2, "sample value");
}

#[test]
fn malformed_lines_are_rejected_with_position() {
    rejects("a{x=1} 1\n", 1, 5, "'\"'");
    rejects("a{x=\"1\" 1\n", 1, 9, "',' or '}'");
    rejects("# HELP 0a x\n", 1, 8, "metric name after HELP");
    rejects("a 1 2 3\n", 1, 7, "end of the line");
    rejects("a 1\r\n", 1, 3, "sample value");
    rejects("a 1 # {x=\"y\"} 1\n", 1, 5, "timestamp");
}

#[test]
fn openmetrics_only_constructs_are_comments_or_families_in_0_0_4() {
    // `# EOF` and `# UNIT` are comments; a counter's `_total` sample is its own family.
    let f = accepts("# TYPE a counter\n# UNIT a seconds\na_total 1\n# EOF\n");
    assert_eq!(f.len(), 2);
    assert!(f[0].samples.is_empty());
    assert_eq!(f[1].name, "a_total");
}

#[test]
fn auto_detects_openmetrics_by_final_eof_line() {
    let om = "# TYPE a counter\na_total 1\n# EOF\n";
    let f = parse(om, ParseFormat::Auto).expect("openmetrics");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].name, "a");
    assert_eq!(ParseFormat::Auto.detect("a 1\n# EOF"), ParseFormat::OpenMetrics);
    assert_eq!(ParseFormat::Auto.detect("a 1\n"), ParseFormat::Prometheus);
    assert_eq!(ParseFormat::Auto.detect("a 1\n#  EOF\n"), ParseFormat::Prometheus);
    assert_eq!(ParseFormat::Auto.detect("a 1 # EOF\n"), ParseFormat::Prometheus);
}

#[test]
fn parse_format_names_round_trip_through_from_str() {
    for f in [ParseFormat::Prometheus, ParseFormat::OpenMetrics, ParseFormat::Auto] {
        assert_eq!(f.as_str().parse::<ParseFormat>(), Ok(f));
    }
    assert!("xml".parse::<ParseFormat>().is_err());
}

#[test]
fn label_values_without_escapes_borrow_from_the_input() {
    let text = String::from("a{x=\"plain\",y=\"esc\\n\"} 1\n");
    let f = prom(&text).expect("valid");
    let s = &f[0].samples[0];
    assert!(matches!(s.name, std::borrow::Cow::Borrowed(_)));
    assert!(matches!(s.labels[0].1, std::borrow::Cow::Borrowed(_)));
    assert!(matches!(s.labels[1].1, std::borrow::Cow::Owned(_)));
}

"""parse(): the shape of prometheus_client's results, formats, errors."""

from __future__ import annotations

import gc
import math
import pickle

import pytest

import loki_metrics
from loki_metrics import Exemplar, MetricFamily, Sample
from conftest import RUNNING

OM_EXEMPLAR = (
    "# TYPE req counter\n"
    '# HELP req Requests.\n'
    'req_total{path="/a"} 3 1700000000.5 # {trace_id="abc"} 1.5 1700000000.25\n'
    "# EOF\n"
)


def test_families_have_prometheus_clients_attributes():
    [family] = loki_metrics.parse('# HELP g A gauge.\n# TYPE g gauge\ng{a="1",b="2"} 3.5 1500\n')
    assert isinstance(family, MetricFamily)
    assert (family.name, family.documentation, family.unit, family.type) == ("g", "A gauge.", "", "gauge")
    [sample] = family.samples
    assert isinstance(sample, Sample) and isinstance(sample, tuple)
    assert sample == ("g", {"a": "1", "b": "2"}, 3.5, 1.5, None, None)
    assert (sample.name, sample.labels, sample.value, sample.timestamp, sample.exemplar) == (
        "g", {"a": "1", "b": "2"}, 3.5, 1.5, None,
    )
    assert list(sample.labels) == ["a", "b"], "labels keep the input order"


def test_a_0_0_4_counter_is_presented_the_openmetrics_way_like_prometheus_client():
    [named_total] = loki_metrics.parse("# TYPE x_total counter\nx_total 1\n")
    assert (named_total.name, named_total.samples[0].name) == ("x", "x_total")
    [named_plain] = loki_metrics.parse("# TYPE y counter\ny 2\n")
    assert (named_plain.name, named_plain.samples[0].name) == ("y", "y_total")


def test_untyped_is_unknown_and_absent_help_is_empty():
    [family] = loki_metrics.parse("# TYPE u untyped\nu 1\n")
    assert (family.type, family.documentation, family.unit) == ("unknown", "", "")


def test_openmetrics_units_timestamps_and_exemplars():
    [family] = loki_metrics.parse(OM_EXEMPLAR)
    assert (family.name, family.type, family.documentation) == ("req", "counter", "Requests.")
    [sample] = family.samples
    assert sample.timestamp == 1700000000.5
    assert sample.exemplar == Exemplar({"trace_id": "abc"}, 1.5, 1700000000.25)
    units = {f.name: f.unit for f in loki_metrics.parse((RUNNING / "expected.om").read_text()) if f.unit}
    assert units == {"loki_uptime_seconds": "seconds", "loki_state_updated_timestamp_seconds": "seconds"}


def test_special_values_are_floats():
    samples = loki_metrics.parse("a +Inf\nb -Inf\nc NaN\nd 1e3\n")
    values = [f.samples[0].value for f in samples]
    assert values[0] == math.inf and values[1] == -math.inf and math.isnan(values[2]) and values[3] == 1000.0
    assert all(type(v) is float for v in values)


def test_escapes_in_labels_and_help_are_undone():
    [family] = loki_metrics.parse('# HELP e a\\\\b\\nc\ne{p="C:\\\\x",q="say \\"hi\\"\\n"} 1\n')
    assert family.documentation == "a\\b\nc"
    assert family.samples[0].labels == {"p": "C:\\x", "q": 'say "hi"\n'}


@pytest.mark.parametrize(
    "fmt, text, families",
    [
        ("auto", "# TYPE a counter\na_total 1\n# EOF\n", ["a"]),
        ("auto", "a 1\n", ["a"]),
        ("openmetrics", "# TYPE a counter\na_total 1\n# EOF\n", ["a"]),
        ("prometheus", "# TYPE a counter\na_total 1\n# EOF\n", ["a", "a_total"]),
    ],
)
def test_format_selects_the_grammar(fmt, text, families):
    assert [f.name for f in loki_metrics.parse(text, format=fmt)] == families


def test_bytes_are_parsed_as_utf8():
    [family] = loki_metrics.parse('a{x="é"} 1\n'.encode())
    assert family.samples[0].labels == {"x": "é"}
    assert loki_metrics.parse(bytearray(b"a 1\n"))[0].samples[0].value == 1.0


def test_invalid_utf8_is_a_parse_error_at_the_bad_byte():
    with pytest.raises(loki_metrics.ParseError) as e:
        loki_metrics.parse(b'a 1\nb{x="\xff"} 1\n')
    assert (e.value.line, e.value.column) == (2, 6)


@pytest.mark.parametrize(
    "text, fmt, line, column, needle",
    [
        ("a{x=1} 1\n", "prometheus", 1, 5, '"'),
        ("a 1\nb\n", "prometheus", 2, 2, "sample value"),
        ("a 1\n# EOF\nb 1\n", "openmetrics", 3, 1, ""),
        ("a 1\n", "openmetrics", 2, 1, "EOF"),
    ],
)
def test_invalid_text_is_a_parse_error_with_line_and_column(text, fmt, line, column, needle):
    with pytest.raises(loki_metrics.ParseError) as e:
        loki_metrics.parse(text, format=fmt)
    err = e.value
    assert (err.line, err.column) == (line, column)
    assert needle in err.message
    assert str(err) == f"{line}:{column}: {err.message}"
    assert isinstance(err, ValueError) and isinstance(err, loki_metrics.LokiMetricsError)


def test_a_parse_error_pickles_with_its_position():
    with pytest.raises(loki_metrics.ParseError) as e:
        loki_metrics.parse("a{x=1} 1\n")
    copy = pickle.loads(pickle.dumps(e.value))
    assert (type(copy), copy.line, copy.column, copy.message) == (
        loki_metrics.ParseError, e.value.line, e.value.column, e.value.message,
    )


def test_an_unknown_format_is_an_unknown_format_error():
    with pytest.raises(loki_metrics.UnknownFormatError):
        loki_metrics.parse("a 1\n", format="json")


@pytest.mark.parametrize("bad", [None, 1, ["a 1"]])
def test_text_that_is_not_str_or_bytes_is_a_type_error(bad):
    with pytest.raises(TypeError, match="text must be a str or bytes"):
        loki_metrics.parse(bad)


def test_families_compare_equal_by_value_and_pickle():
    a = loki_metrics.parse(OM_EXEMPLAR)
    assert a == loki_metrics.parse(OM_EXEMPLAR)
    assert pickle.loads(pickle.dumps(a)) == a
    assert "MetricFamily(name='req'" in repr(a[0])


def test_parse_leaves_the_garbage_collector_as_it_found_it():
    assert gc.isenabled()
    loki_metrics.parse("a 1\n")
    assert gc.isenabled()
    gc.disable()
    try:
        loki_metrics.parse("a 1\n")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_compat_module_mirrors_prometheus_client_parser():
    from loki_metrics.parser import text_fd_to_metric_families, text_string_to_metric_families
    import io

    text = (RUNNING / "expected.prom").read_text()
    families = list(text_string_to_metric_families(text))
    assert [f.name for f in families][7] == "loki_events"
    assert list(text_fd_to_metric_families(io.StringIO(text))) == families
    assert loki_metrics.text_string_to_metric_families is text_string_to_metric_families

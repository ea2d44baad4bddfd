"""parse() agrees with prometheus_client on the parser issue's corpus
(tests/parser/, owned by the parser and with every known disagreement named
in tests/python/test_parse_differential.py).

Here the comparison is of the Python objects themselves: our families and
samples compare equal to prometheus_client's, after only the differences the
parser documents (untyped samples grouped; OpenMetrics timestamps as float
seconds rather than prometheus_client's Timestamp objects)."""

from __future__ import annotations

import math

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as pc_openmetrics
from prometheus_client.parser import text_string_to_metric_families as pc_prometheus

import loki_metrics
from loki_metrics.parser import text_string_to_metric_families
from conftest import CORPUS, RUNNING

CORPUS_FILES = sorted(CORPUS.glob("*.prom")) + sorted(CORPUS.glob("*.om"))


def comparable(samples):
    """Samples with NaN made comparable and Timestamp objects as floats."""
    out = []
    for s in samples:
        value = "NaN" if isinstance(s.value, float) and math.isnan(s.value) else s.value
        ts = None if s.timestamp is None else float(s.timestamp)
        ex = s.exemplar
        if ex is not None:
            ex = (ex.labels, ex.value, None if ex.timestamp is None else float(ex.timestamp))
        out.append((s.name, s.labels, value, ts, ex))
    return out


def grouped(families):
    """prometheus_client's one-family-per-untyped-sample joined into runs."""
    out = []
    for f in families:
        if out and f.type == "unknown" and out[-1].type == "unknown" and out[-1].name == f.name:
            out[-1].samples.extend(f.samples)
        else:
            out.append(f)
    return out


def test_corpus_is_there():
    assert len(CORPUS_FILES) >= 6, CORPUS


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_file_gives_prometheus_clients_families(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".om":
        ours, theirs = loki_metrics.parse(text, format="openmetrics"), list(pc_openmetrics(text))
    else:
        ours, theirs = loki_metrics.parse(text, format="prometheus"), grouped(list(pc_prometheus(text)))
    assert [(f.name, f.type, f.documentation, f.unit) for f in ours] == [
        (f.name, f.type, f.documentation, f.unit) for f in theirs
    ]
    for a, b in zip(ours, theirs):
        assert comparable(a.samples) == comparable(b.samples), a.name


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.prom")), ids=lambda p: p.name)
def test_without_timestamps_or_nan_families_compare_equal_as_objects(path):
    """Where no normalisation is needed, our MetricFamily == their Metric and
    our Sample == their Sample, as Python objects."""
    text = path.read_text(encoding="utf-8")
    ours = loki_metrics.parse(text, format="prometheus")
    theirs = grouped(list(pc_prometheus(text)))
    for a, b in zip(ours, theirs):
        if any(s.timestamp is not None or math.isnan(s.value) for s in a.samples):
            continue
        assert a == b
        assert a.samples == b.samples


def test_switching_the_import_gives_the_same_loop_output():
    """The guide's use: a loop written for prometheus_client prints the same."""
    text = (RUNNING / "expected.prom").read_text()

    def report(parser):
        return [
            (family.name, sample.name, sorted(sample.labels.items()), float(sample.value))
            for family in parser(text)
            for sample in family.samples
        ]

    assert report(text_string_to_metric_families) == report(pc_prometheus)


def test_invalid_text_raises_value_error_on_both_sides():
    for parser in (text_string_to_metric_families, pc_prometheus):
        with pytest.raises(ValueError):
            list(parser('a{x="1" 1\n'))

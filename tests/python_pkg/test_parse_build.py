"""How parse() builds its objects: each family's samples on first access,
repeated strings shared, and nothing of that visible in what the objects are."""

from __future__ import annotations

import copy
import gc
import pickle
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families as pc_prometheus

import loki_metrics
from loki_metrics import MetricFamily, Sample

TEXT = (
    "# HELP req_total Requests.\n"
    "# TYPE req_total counter\n"
    'req_total{method="GET",path="/a"} 3\n'
    'req_total{method="POST",path="/a"} 4\n'
    "# TYPE g gauge\n"
    'g{method="GET",path="/b"} 1.5\n'
)


def test_samples_are_a_real_list_built_once_on_first_access():
    family = loki_metrics.parse(TEXT)[0]
    samples = family.samples
    assert type(samples) is list
    assert family.samples is samples
    assert samples == [
        Sample("req_total", {"method": "GET", "path": "/a"}, 3.0),
        Sample("req_total", {"method": "POST", "path": "/a"}, 4.0),
    ]


def test_samples_can_be_replaced_like_an_attribute():
    family = loki_metrics.parse(TEXT)[0]
    family.samples = []
    assert family.samples == []
    assert MetricFamily("x", "", "gauge").samples == []


def test_unbuilt_families_compare_pickle_copy_and_repr_like_built_ones():
    built = loki_metrics.parse(TEXT)
    for family in built:
        family.samples
    assert loki_metrics.parse(TEXT) == built
    assert pickle.loads(pickle.dumps(loki_metrics.parse(TEXT))) == built
    assert copy.deepcopy(loki_metrics.parse(TEXT)) == built
    assert [repr(f) for f in loki_metrics.parse(TEXT)] == [repr(f) for f in built]
    assert "samples=[Sample(name='req_total', labels={'method': 'GET', 'path': '/a'}" in repr(built[0])


def test_unbuilt_families_equal_prometheus_clients():
    assert loki_metrics.parse(TEXT, format="prometheus") == list(pc_prometheus(TEXT))


def test_a_family_outliving_its_parse_still_builds_its_samples():
    family = loki_metrics.parse(TEXT)[1]
    gc.collect()
    assert family.samples == [Sample("g", {"method": "GET", "path": "/b"}, 1.5)]


def test_a_parse_of_no_samples():
    assert loki_metrics.parse("") == []
    [family] = loki_metrics.parse("# HELP a Nothing yet.\n# TYPE a gauge\n")
    assert family.samples == []


def test_repeated_label_names_and_values_are_shared_strings():
    [a, b] = loki_metrics.parse(TEXT)
    samples = a.samples + b.samples
    assert samples[0].labels["method"] is samples[2].labels["method"]
    assert samples[0].labels["path"] is samples[1].labels["path"]
    keys = [k for s in samples for k in s.labels if k == "method"]
    assert all(k is keys[0] for k in keys)


def test_strings_of_every_length_and_many_distinct_values_are_kept_exact():
    # Lengths around the inline and cacheable limits, values that differ only
    # in their middle byte, and more distinct bytes than the cache keeps.
    values = []
    for n in (0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 127, 128, 129, 1000):
        for c in "abc":
            values.append(("x" * (n // 2) + c + "x" * n)[:n])
    values += [f"{i:0120d}" for i in range(40_000)]  # ~4.8 MB: the cache starts over
    values += ["é" * 5, "é" * 9, "\u2603" * 6, "\U0001f600" * 4]
    text = "".join(f'm{{v="{v}",w="{v[::-1]}"}} {i}\n' for i, v in enumerate(values))
    samples = loki_metrics.parse(text)[0].samples
    assert [(s.labels["v"], s.labels["w"], s.value) for s in samples] == [
        (v, v[::-1], float(i)) for i, v in enumerate(values)
    ]


def test_labels_in_another_order_or_number_than_the_previous_sample():
    text = 'm{a="1",b="2"} 1\nm{b="2",a="1"} 2\nm{a="1"} 3\nm{a="1",b="2",c="3"} 4\nm 5\n'
    samples = loki_metrics.parse(text)[0].samples
    assert [list(s.labels.items()) for s in samples] == [
        [("a", "1"), ("b", "2")],
        [("b", "2"), ("a", "1")],
        [("a", "1")],
        [("a", "1"), ("b", "2"), ("c", "3")],
        [],
    ]


def test_building_samples_leaves_the_garbage_collector_as_it_found_it():
    assert gc.isenabled()
    family = loki_metrics.parse(TEXT)[0]
    family.samples
    assert gc.isenabled()
    gc.disable()
    try:
        family = loki_metrics.parse(TEXT)[0]
        family.samples
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_while_building_samples_re_enables_the_garbage_collector():
    # A fresh interpreter whose Exemplar class fails: the build raises part-way.
    code = """
import gc
import loki_metrics._families as families

class Boom(Exception):
    pass

class Failing(tuple):
    def __new__(cls, *args):
        raise Boom()

families.Exemplar = Failing
import loki_metrics

text = '# TYPE a counter\\na_total{x="1"} 1\\na_total{x="2"} 2 # {t="1"} 1\\n# EOF\\n'
family = loki_metrics.parse(text)[0]
try:
    family.samples
except Boom:
    pass
else:
    raise SystemExit("no error")
assert gc.isenabled(), "the collector stayed off"
try:
    family.samples
except Boom:
    print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_samples_are_not_tracked_by_the_garbage_collector():
    # A Sample holds strings, floats and a dict of strings: no cycle unless
    # code puts the sample into its own labels, so the collector need not
    # traverse the hundreds of thousands of them a large parse makes.
    sample = loki_metrics.parse(TEXT)[0].samples[0]
    assert not gc.is_tracked(sample)
    assert not gc.is_tracked(sample.labels)

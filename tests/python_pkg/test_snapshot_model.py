"""Snapshot.families and Snapshot.value: the core's families as data."""

from __future__ import annotations

import pytest

import loki_metrics
from conftest import RUNNING, fixture_now


@pytest.fixture
def snapshot() -> loki_metrics.Snapshot:
    return loki_metrics.collect(RUNNING / ".loki", now=fixture_now(RUNNING))


def test_value_finds_a_sample_by_sample_name_and_exact_labels(snapshot):
    pending = snapshot.value("loki_tasks_total", status="pending")
    assert pending == snapshot.tasks.pending == 3
    assert type(pending) is int
    assert snapshot.value("loki_tasks_total", status="in_progress") == 1
    # Labels must match exactly: the family has no unlabelled sample.
    assert snapshot.value("loki_tasks_total") is None
    assert snapshot.value("loki_tasks_total", status="pending", extra="x") is None


def test_value_of_a_float_family_is_a_float(snapshot):
    cost = snapshot.value("loki_cost_usd")
    assert cost == snapshot.cost_usd == 1.2
    assert type(cost) is float


def test_value_accepts_the_openmetrics_family_name(snapshot):
    assert snapshot.value("loki_events") == snapshot.value("loki_events_total") == snapshot.events_total


def test_value_of_an_unknown_name_is_none(snapshot):
    assert snapshot.value("loki_no_such_metric") is None


def test_value_label_values_must_be_str(snapshot):
    with pytest.raises(TypeError, match="label value must be a str, not int"):
        snapshot.value("loki_tasks_total", status=1)


def test_families_follow_exporter_metrics():
    snapshot = loki_metrics.collect(RUNNING / ".loki", now=fixture_now(RUNNING), exporter_metrics=True)
    names = [f.name for f in snapshot.families]
    assert names[-3:] == ["loki_source_error", "loki_scrape_duration_seconds", "loki_exporter_build"]
    build = snapshot.families[-1]
    assert build.type == "info"
    assert build.samples[0].labels == {"version": loki_metrics.__version__}
    assert snapshot.value("loki_exporter_build_info", version=loki_metrics.__version__) == 1


def test_families_survive_pickling_through_json(snapshot):
    import pickle

    again = pickle.loads(pickle.dumps(snapshot))
    assert again == snapshot
    assert again.families == snapshot.families

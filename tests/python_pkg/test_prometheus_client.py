"""LokiCollector inside a real prometheus_client registry."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_latest_openmetrics
from prometheus_client.openmetrics.parser import text_string_to_metric_families as pc_openmetrics
from prometheus_client.parser import text_string_to_metric_families as pc_prometheus

import loki_metrics
from loki_metrics.prometheus_client import LokiCollector
from conftest import RUNNING, fixture_now, write_events

NOW = fixture_now(RUNNING)


def values(families):
    return {(s.name, tuple(sorted(s.labels.items()))): float(s.value) for f in families for s in f.samples}


@pytest.fixture
def registry(running_dir):
    registry = CollectorRegistry()
    registry.register(LokiCollector(collector=loki_metrics.Collector(running_dir, now=NOW)))
    return registry


def test_the_registry_exposes_the_loki_metrics_next_to_the_apps_own(registry):
    Gauge("app_queue_depth", "Jobs waiting.", registry=registry).set(4)
    text = generate_latest(registry).decode()
    exposed = values(pc_prometheus(text))
    ours = values(loki_metrics.parse((RUNNING / "expected.prom").read_text()))
    assert exposed[("app_queue_depth", ())] == 4
    for key, value in ours.items():
        assert exposed[key] == value, key


def test_the_openmetrics_exposition_keeps_types_help_and_units(registry):
    families = {f.name: f for f in pc_openmetrics(generate_latest_openmetrics(registry).decode())}
    assert families["loki_events"].type == "counter"
    assert families["loki_uptime_seconds"].unit == "seconds"
    assert families["loki_session_status"].documentation == "Current session status (0=stopped, 1=running, 2=paused)"
    assert families["loki_tasks_total"].type == "gauge"


def test_describe_names_the_families_without_samples(running_dir):
    collector = LokiCollector(running_dir)
    described = list(collector.describe())
    assert [m.name for m in described][:3] == ["loki_session_status", "loki_iteration_current", "loki_iteration_max"]
    assert all(m.samples == [] for m in described)


def test_registering_twice_is_refused_as_a_duplicate(running_dir):
    registry = CollectorRegistry(auto_describe=True)
    registry.register(LokiCollector(running_dir))
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        registry.register(LokiCollector(running_dir))


def test_each_scrape_sees_new_values_after_the_cache_ttl(loki_dir):
    registry = CollectorRegistry()
    registry.register(LokiCollector(loki_dir, cache_ttl=0))
    write_events(loki_dir, 3)
    assert values(pc_prometheus(generate_latest(registry).decode()))[("loki_events_total", ())] == 3
    write_events(loki_dir, 2)
    assert values(pc_prometheus(generate_latest(registry).decode()))[("loki_events_total", ())] == 5

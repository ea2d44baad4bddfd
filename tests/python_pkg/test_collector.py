"""Collector: caching, single flight across threads, warm renders."""

from __future__ import annotations

import pathlib
import threading
import time

import pytest

import loki_metrics
from conftest import write_events


def test_a_fresh_cache_answers_without_reading_again(loki_dir):
    write_events(loki_dir, 1)
    c = loki_metrics.Collector(loki_dir, cache_ttl=60)
    assert c.collect().events_total == 1
    write_events(loki_dir, 1)
    assert c.collect().events_total == 1
    assert c.collections == 1


def test_an_expired_cache_collects_again(loki_dir):
    write_events(loki_dir, 1)
    c = loki_metrics.Collector(loki_dir, cache_ttl=0.05)
    c.collect()
    write_events(loki_dir, 1)
    time.sleep(0.1)
    assert c.collect().events_total == 2


def test_cache_ttl_zero_collects_on_every_call(loki_dir):
    c = loki_metrics.Collector(loki_dir, cache_ttl=0)
    c.collect()
    write_events(loki_dir, 4)
    assert c.collect().events_total == 4
    assert c.collections == 2


def test_invalidate_forces_a_collection(loki_dir):
    c = loki_metrics.Collector(loki_dir, cache_ttl=60)
    c.collect()
    write_events(loki_dir, 2)
    c.invalidate()
    assert c.collect().events_total == 2


def test_a_warm_render_returns_the_same_str_object(loki_dir):
    c = loki_metrics.Collector(loki_dir, cache_ttl=60)
    first = c.render()
    assert c.render() is first
    assert c.render("openmetrics").endswith("# EOF\n")
    assert c.render("prometheus") is first
    assert c.collections == 1


def test_render_if_fresh_never_collects(loki_dir):
    c = loki_metrics.Collector(loki_dir, cache_ttl=60)
    assert c.render_if_fresh() is None
    assert c.collections == 0
    text = c.render("openmetrics")
    assert c.render_if_fresh("openmetrics") is text


def test_collect_and_render_come_from_the_same_snapshot(loki_dir):
    write_events(loki_dir, 3)
    c = loki_metrics.Collector(loki_dir, cache_ttl=60)
    assert loki_metrics.render(c.collect()) == c.render()


def test_concurrent_callers_share_one_collection(loki_dir):
    write_events(loki_dir, 200_000)  # long enough for the threads to overlap
    c = loki_metrics.Collector(loki_dir, cache_ttl=60)
    barrier = threading.Barrier(8)
    results = []

    def worker():
        barrier.wait()
        results.append(c.collect().events_total)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200_000] * 8
    assert c.collections == 1


def test_options_and_repr(loki_dir):
    c = loki_metrics.Collector(loki_dir, cache_ttl=1.5, max_iterations=9, now="2026-01-05T12:00:00Z")
    assert c.loki_dir == pathlib.Path(loki_dir)
    assert c.cache_ttl == 1.5
    assert c.collect().iteration_max == 9
    assert repr(c) == f"Collector(loki_dir='{loki_dir}', cache_ttl=1.5)"
    assert loki_metrics.Collector(loki_dir).cache_ttl == 2.0


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf")])
def test_a_bad_cache_ttl_is_an_argument_error(loki_dir, bad):
    with pytest.raises(loki_metrics.ArgumentError, match="cache_ttl"):
        loki_metrics.Collector(loki_dir, cache_ttl=bad)


@pytest.mark.parametrize("bad", ["2", True])
def test_a_cache_ttl_of_another_type_is_a_type_error(loki_dir, bad):
    with pytest.raises(TypeError, match="cache_ttl"):
        loki_metrics.Collector(loki_dir, cache_ttl=bad)


def test_a_bad_format_is_an_unknown_format_error(loki_dir):
    with pytest.raises(loki_metrics.UnknownFormatError):
        loki_metrics.Collector(loki_dir).render("yaml")

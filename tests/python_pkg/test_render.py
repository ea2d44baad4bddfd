"""render(): sources, formats, and their errors; negotiate()."""

from __future__ import annotations

import pytest

import loki_metrics
from conftest import RUNNING, fixture_now

NOW = fixture_now(RUNNING)
EXPECTED = (RUNNING / "expected.prom").read_text()
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


def test_render_of_a_snapshot_defaults_to_prometheus_text(running_dir):
    assert loki_metrics.render(loki_metrics.collect(running_dir, now=NOW)) == EXPECTED


@pytest.mark.parametrize("name", ["prometheus", "openmetrics", "json", "OpenMetrics", "om", "text", "0.0.4"])
def test_format_names_are_the_cli_names(running_dir, name):
    text = loki_metrics.render(loki_metrics.collect(running_dir, now=NOW), format=name)
    assert text.startswith("# HELP") or text.startswith("{")


def test_render_of_a_directory_collects_it(running_dir):
    for source in (running_dir, str(running_dir)):
        assert "loki_events_total 12\n" in loki_metrics.render(source)
        assert loki_metrics.render(source, format="openmetrics").endswith("# EOF\n")


def test_render_of_none_reads_env_loki_dir(running_dir, monkeypatch):
    monkeypatch.setenv("LOKI_DIR", str(running_dir))
    assert "loki_iteration_current 12\n" in loki_metrics.render()


def test_an_unknown_format_is_an_unknown_format_error_and_a_value_error(running_dir):
    with pytest.raises(loki_metrics.UnknownFormatError, match="unknown format \"xml\"") as e:
        loki_metrics.render(running_dir, format="xml")
    assert isinstance(e.value, ValueError) and isinstance(e.value, loki_metrics.LokiMetricsError)


@pytest.mark.parametrize("bad", [None.__class__, 1, b"json"])
def test_a_format_that_is_not_a_str_is_a_type_error(running_dir, bad):
    with pytest.raises(TypeError, match="format must be a str"):
        loki_metrics.render(running_dir, format=bad)


@pytest.mark.parametrize("bad", [1, 2.0, ["a"], {"a": 1}])
def test_a_source_of_another_type_is_a_type_error(bad):
    with pytest.raises(TypeError, match="source must be a Snapshot"):
        loki_metrics.render(bad)


def test_content_type_constants():
    assert loki_metrics.PROMETHEUS_CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"
    assert loki_metrics.OPENMETRICS_CONTENT_TYPE == "application/openmetrics-text; version=1.0.0; charset=utf-8"
    assert loki_metrics.JSON_CONTENT_TYPE == "application/json"


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, "prometheus"),
        ("*/*", "prometheus"),
        ("text/plain", "prometheus"),
        (PROMETHEUS_ACCEPT, "openmetrics"),
        ("application/openmetrics-text", "openmetrics"),
        ("application/openmetrics-text;q=0.2,text/plain;q=0.5", "prometheus"),
        (PROMETHEUS_ACCEPT.encode(), "openmetrics"),
    ],
)
def test_negotiate_returns_the_format_and_its_content_type(accept, expected):
    fmt, content_type = loki_metrics.negotiate(accept)
    assert fmt == expected
    assert content_type == {
        "prometheus": loki_metrics.PROMETHEUS_CONTENT_TYPE,
        "openmetrics": loki_metrics.OPENMETRICS_CONTENT_TYPE,
    }[fmt]


def test_negotiate_of_another_type_is_a_type_error():
    with pytest.raises(TypeError, match="accept must be a str, bytes or None"):
        loki_metrics.negotiate(1)  # type: ignore[arg-type]

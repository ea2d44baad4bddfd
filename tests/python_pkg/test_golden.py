"""Every golden fixture renders byte for byte like the Rust CLI: the
committed expected.prom / .om / .json are the CLI's output (the Rust and
tests/python suites check that), and, when the CLI is built, it is run too."""

from __future__ import annotations

import json
import subprocess

import pytest

import loki_metrics
from conftest import cli_binary, fixture_cases, fixture_now

CASES = fixture_cases()
IDS = [c.name for c in CASES]
FORMATS = [("prometheus", "expected.prom"), ("openmetrics", "expected.om"), ("json", "expected.json")]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_render_of_collect_matches_the_expected_files(case):
    snapshot = loki_metrics.collect(case / ".loki", now=fixture_now(case))
    for fmt, name in FORMATS:
        assert loki_metrics.render(snapshot, format=fmt) == (case / name).read_text(), f"{case.name}/{name}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_collector_render_matches_the_expected_files(case):
    collector = loki_metrics.Collector(case / ".loki", now=fixture_now(case))
    for fmt, name in FORMATS:
        assert collector.render(fmt) == (case / name).read_text(), f"{case.name}/{name}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_to_dict_is_the_expected_json(case):
    snapshot = loki_metrics.collect(case / ".loki", now=fixture_now(case))
    assert snapshot.to_dict() == json.loads((case / "expected.json").read_text())
    assert snapshot.to_json() == (case / "expected.json").read_text()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_render_is_byte_identical_to_the_cli(case):
    binary = cli_binary()
    if binary is None:
        pytest.skip("the loki-metrics CLI is not built (cargo build -p loki-metrics-cli)")
    now = fixture_now(case)
    snapshot = loki_metrics.collect(case / ".loki", now=now)
    for fmt, _ in FORMATS:
        cli = subprocess.run(
            [str(binary), "render", "-q", "--loki-dir", str(case / ".loki"), "--now", now, "--format", fmt],
            check=True, capture_output=True,
        ).stdout
        assert loki_metrics.render(snapshot, format=fmt).encode() == cli, f"{case.name} {fmt}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_warnings_are_the_expected_jsons(case):
    snapshot = loki_metrics.collect(case / ".loki", now=fixture_now(case))
    expected = json.loads((case / "expected.json").read_text())
    assert [{"source": w.source, "message": w.message} for w in snapshot.warnings] == expected["warnings"]
    assert list(snapshot.failed_sources) == expected["failed_sources"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_families_are_what_parse_reads_from_the_expected_openmetrics(case):
    snapshot = loki_metrics.collect(case / ".loki", now=fixture_now(case))
    expected = loki_metrics.parse((case / "expected.om").read_text(), format="openmetrics")
    assert snapshot.families == expected

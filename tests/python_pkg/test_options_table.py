"""The option rules of tests/options/cases.txt through Python's keyword
arguments (the CLI, Node, C and the core run the same cases)."""

from __future__ import annotations

import pathlib

import pytest

import loki_metrics
from conftest import FIXTURES, ROOT, fixture_now

LOKI_ENV = ("LOKI_DIR", "LOKI_MAX_ITERATIONS", "LOKI_METRICS_EXPORTER_METRICS", "LOKI_METRICS_STALE_AFTER")


def _value(text: str) -> str:
    return {"@running": str(FIXTURES / "running" / ".loki"), "@missing": str(FIXTURES / "missing-dir" / ".loki")}.get(text, text)


def _pairs(text: str) -> list[tuple[str, str]]:
    if text.strip() == "-":
        return []
    return [(k.strip(), _value(v.strip())) for k, v in (p.split("=", 1) for p in text.split(","))]


def _cases() -> list[tuple[str, list, list, str]]:
    out = []
    for line in (ROOT / "tests" / "options" / "cases.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, given, env, outcome = (f.strip() for f in line.split("|"))
        out.append((name, _pairs(given), _pairs(env), outcome))
    assert len(out) >= 10
    return out


CASES = _cases()


def _kwargs(given: list[tuple[str, str]]) -> dict[str, object]:
    kwargs: dict[str, object] = {}
    for k, v in given:
        if k in ("max_iterations", "json_size_cap"):
            kwargs[k] = int(v)
        elif k == "exporter_metrics":
            kwargs[k] = v == "true"
        elif k == "stale_after":
            kwargs[k] = float(v)
        else:
            kwargs[k] = v
    return kwargs


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_case_behaves_as_the_table_says(case, monkeypatch):
    name, given, env, outcome = case
    for var in LOKI_ENV:
        monkeypatch.delenv(var, raising=False)
    for k, v in env:
        monkeypatch.setenv(k, v)
    kwargs = _kwargs(given)
    now = fixture_now(FIXTURES / "running")
    words = outcome.split()
    if words[0] == "ok":
        snapshot = loki_metrics.collect(now=now, **kwargs)
        for check in words[1:]:
            k, v = check.split("=", 1)
            if k in ("iteration_current", "iteration_max"):
                assert str(getattr(snapshot, k)) == v, check
            elif k == "exporter":
                assert (snapshot.exporter is not None) == (v == "yes"), check
            elif k == "failed":
                assert v in snapshot.failed_sources, check
            elif k == "session_status":
                assert snapshot.session_status == v, check
            else:
                raise AssertionError(f"unknown check {check}")
    elif words[0] == "error":
        with pytest.raises(loki_metrics.ArgumentError, match=words[1]):
            loki_metrics.collect(now=now, **kwargs)
    else:
        assert words[0] == "unknown"
        with pytest.raises(TypeError, match=words[1]):
            loki_metrics.collect(now=now, **kwargs)

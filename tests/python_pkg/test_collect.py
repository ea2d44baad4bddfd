"""collect(): arguments, the Snapshot's Python surface, immutability."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import pickle

import pytest

import loki_metrics
from conftest import RUNNING, fixture_now, write_events

NOW = fixture_now(RUNNING)  # 2026-01-05T12:00:00Z, started 10:00:00Z
EPOCH_NOW = int(dt.datetime(2026, 1, 5, 12, tzinfo=dt.timezone.utc).timestamp())


def test_snapshot_attributes_have_pythonic_names(running_dir):
    s = loki_metrics.collect(running_dir, now=NOW)
    assert (s.session_status, s.session_status_code) == ("running", 1)
    assert (s.iteration_current, s.iteration_max) == (12, 1000)
    assert (s.tasks.pending, s.tasks.in_progress, s.tasks.completed, s.tasks.failed) == (3, 1, 7, 1)
    assert s.tasks.to_dict() == {"pending": 3, "in_progress": 1, "completed": 7, "failed": 1}
    assert (s.agents_active, s.agents_total) == (2, 3)
    assert (s.cost_usd, s.events_total, s.uptime_seconds) == (1.2, 12, 7200.0)
    assert s.warnings == () and s.failed_sources == () and s.exporter is None


def test_loki_dir_may_be_a_str_or_a_pathlike(running_dir):
    assert loki_metrics.collect(str(running_dir), now=NOW) == loki_metrics.collect(running_dir, now=NOW)

    class Custom:
        def __fspath__(self) -> str:
            return str(running_dir)

    assert loki_metrics.collect(Custom(), now=NOW).events_total == 12


def test_loki_dir_none_reads_env_loki_dir(running_dir, monkeypatch):
    monkeypatch.setenv("LOKI_DIR", str(running_dir))
    assert loki_metrics.collect(now=NOW).events_total == 12


def test_loki_dir_none_without_env_is_dot_loki_in_the_cwd(running_dir, monkeypatch):
    monkeypatch.chdir(running_dir.parent)
    assert loki_metrics.collect(now=NOW).iteration_current == 12


@pytest.mark.parametrize("bad", [42, 1.5, ["a"], object()])
def test_loki_dir_of_another_type_is_a_type_error(bad):
    with pytest.raises(TypeError, match="loki_dir must be a str or os.PathLike"):
        loki_metrics.collect(bad)


@pytest.mark.parametrize(
    "now",
    [
        NOW,
        "2026-01-05T13:00:00+01:00",
        EPOCH_NOW,
        float(EPOCH_NOW),
        dt.datetime(2026, 1, 5, 12, tzinfo=dt.timezone.utc),
        dt.datetime(2026, 1, 5, 7, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(2026, 1, 5, 12),  # naive is UTC
    ],
    ids=["rfc3339-z", "rfc3339-offset", "int", "float", "aware-utc", "aware-offset", "naive"],
)
def test_now_accepts_datetimes_epoch_seconds_and_rfc3339(running_dir, now):
    assert loki_metrics.collect(running_dir, now=now).uptime_seconds == 7200.0


def test_now_keeps_sub_second_precision(running_dir):
    assert loki_metrics.collect(running_dir, now=EPOCH_NOW + 0.25).uptime_seconds == 7200.3
    later = dt.datetime(2026, 1, 5, 12, 0, 0, 250000, tzinfo=dt.timezone.utc)
    assert loki_metrics.collect(running_dir, now=later).uptime_seconds == 7200.3


@pytest.mark.parametrize("bad", [True, dt.date(2026, 1, 5), [NOW], b"2026-01-05T12:00:00Z"])
def test_now_of_another_type_is_a_type_error(running_dir, bad):
    with pytest.raises(TypeError, match="now must be a datetime, epoch seconds"):
        loki_metrics.collect(running_dir, now=bad)


@pytest.mark.parametrize("bad", ["yesterday", "2026-01-05 12:00", float("nan"), float("inf"), 10**30])
def test_now_with_a_bad_value_is_an_argument_error(running_dir, bad):
    with pytest.raises(loki_metrics.ArgumentError) as e:
        loki_metrics.collect(running_dir, now=bad)
    assert isinstance(e.value, ValueError) and isinstance(e.value, loki_metrics.LokiMetricsError)


def test_max_iterations_sets_loki_iteration_max(running_dir):
    assert loki_metrics.collect(running_dir, max_iterations=50).iteration_max == 50


def test_max_iterations_none_reads_env_loki_max_iterations(running_dir, monkeypatch):
    monkeypatch.setenv("LOKI_MAX_ITERATIONS", "77")
    assert loki_metrics.collect(running_dir).iteration_max == 77


@pytest.mark.parametrize("bad", [0, -1, 2**64])
def test_max_iterations_must_be_positive(running_dir, bad):
    with pytest.raises(loki_metrics.ArgumentError, match="max_iterations"):
        loki_metrics.collect(running_dir, max_iterations=bad)


@pytest.mark.parametrize("bad", [True, False, 5.0, "5", None.__class__])
def test_max_iterations_must_be_an_int_and_not_a_bool(running_dir, bad):
    with pytest.raises(TypeError, match="max_iterations must be an int"):
        loki_metrics.collect(running_dir, max_iterations=bad)


def test_json_size_cap_skips_larger_json_sources_with_a_warning(running_dir):
    s = loki_metrics.collect(running_dir, now=NOW, json_size_cap=10)
    assert s.iteration_current == 0
    assert any(w.source == "dashboard-state.json" for w in s.warnings)


def test_exporter_metrics_adds_the_exporter_families(running_dir):
    s = loki_metrics.collect(running_dir, now=NOW, exporter_metrics=True)
    assert s.exporter is not None and s.exporter.version == loki_metrics.__version__
    assert s.exporter.collect_seconds >= 0
    assert "loki_exporter_build_info" in loki_metrics.render(s)


def test_exporter_metrics_none_reads_the_env_flag(running_dir, monkeypatch):
    monkeypatch.setenv("LOKI_METRICS_EXPORTER_METRICS", "true")
    assert loki_metrics.collect(running_dir).exporter is not None
    assert loki_metrics.collect(running_dir, exporter_metrics=False).exporter is None


def test_problems_are_warnings_not_exceptions(loki_dir):
    (loki_dir / "dashboard-state.json").write_text('{"iteration": 3, "tasks": ')
    (loki_dir / "loki.pid").write_text("not a pid")
    s = loki_metrics.collect(loki_dir)
    assert s.iteration_current == 0
    sources = {w.source for w in s.warnings}
    assert {"dashboard-state.json", "loki.pid"} <= sources
    w = next(w for w in s.warnings if w.source == "loki.pid")
    assert str(w) == f"loki.pid: {w.message}"
    assert repr(w).startswith("SourceWarning(source='loki.pid', message=")


def test_a_missing_directory_is_a_warning(tmp_path):
    s = loki_metrics.collect(tmp_path / "nowhere")
    assert [w.source for w in s.warnings] == ["."]
    assert s.session_status == "stopped"


def test_a_snapshot_is_immutable(running_dir):
    s = loki_metrics.collect(running_dir, now=NOW)
    with pytest.raises(AttributeError):
        s.events_total = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.tasks.pending = 5  # type: ignore[misc]
    assert isinstance(s.warnings, tuple) and isinstance(s.failed_sources, tuple)


def test_a_snapshot_is_a_value(running_dir, loki_dir):
    a = loki_metrics.collect(running_dir, now=NOW)
    assert a == loki_metrics.collect(running_dir, now=NOW)
    assert a != loki_metrics.collect(loki_dir, now=NOW)
    with pytest.raises(TypeError):
        hash(a)
    assert hash(a.tasks) == hash(loki_metrics.collect(running_dir, now=NOW).tasks)


def test_a_snapshot_has_a_useful_repr(running_dir):
    r = repr(loki_metrics.collect(running_dir, now=NOW))
    assert r == (
        "Snapshot(session_status='running', iteration_current=12, iteration_max=1000, "
        "tasks=Values(pending=3, in_progress=1, completed=7, failed=1), agents_active=2, "
        "agents_total=3, cost_usd=1.2, events_total=12, uptime_seconds=7200.0, receipts_total=0, "
        "receipts_by_verdict=Values(verified=0, with_gaps=0, not_verified=0, unknown=0), "
        "receipts_with_provenance=Values(attestation=0, gpg=0), budget_limit_usd=None, budget_exceeded=None, "
        "tokens=Values(input=170000, output=10000, cache_read=0, cache_creation=0), "
        "model_cost_usd=Values(opus=0.3, sonnet=0.9), "
        "session_info=Values(version='5.38.0', provider='claude', phase='DEVELOPMENT'), "
        "state_updated_timestamp_seconds=1767614398.0, checklist_items=Values(), warnings=(0 warnings))"
    )


def test_the_repr_counts_the_warnings(tmp_path):
    # warnings is a tuple of SourceWarning; the repr gives their number, not a
    # bare 0 that reads like a value.
    assert repr(loki_metrics.collect(tmp_path / "nowhere")).endswith(", warnings=(1 warning))")
    loki = tmp_path / ".loki"
    (loki / "metrics").mkdir(parents=True)
    (loki / "metrics" / "budget.json").write_text("{")
    (loki / "dashboard-state.json").write_text("[")
    snapshot = loki_metrics.collect(loki)
    assert len(snapshot.warnings) >= 2
    assert repr(snapshot).endswith(f", warnings=({len(snapshot.warnings)} warnings))")


def test_every_key_of_the_typed_view_is_an_attribute(running_dir):
    s = loki_metrics.collect(running_dir, now=NOW, exporter_metrics=True)
    for key, value in s.to_dict().items():
        if key in ("failed_sources", "warnings"):
            continue
        attr = getattr(s, key)
        assert (attr.to_dict() if isinstance(attr, loki_metrics.Values) else attr) == value, key
    assert isinstance(type(s).__dict__["iteration_current"], property)


def test_values_are_immutable_comparable_and_hashable(running_dir):
    a = loki_metrics.collect(running_dir, now=NOW).tasks
    b = loki_metrics.collect(running_dir, now=NOW).tasks
    assert a == b and hash(a) == hash(b) and a != b.to_dict()
    assert loki_metrics.TaskCounts is loki_metrics.ExporterInfo is loki_metrics.Values
    with pytest.raises(AttributeError, match="no 'nope'"):
        a.nope  # noqa: B018


def test_a_snapshot_pickles_and_round_trips_through_json(running_dir):
    s = loki_metrics.collect(running_dir, now=NOW, exporter_metrics=True)
    assert pickle.loads(pickle.dumps(s)) == s
    assert loki_metrics.Snapshot.from_json(s.to_json()) == s
    with pytest.raises(loki_metrics.ArgumentError):
        loki_metrics.Snapshot.from_json("{}")


def test_to_dict_is_plain_json_data_in_the_json_order(running_dir):
    d = loki_metrics.collect(running_dir, now=NOW).to_dict()
    assert list(d) == [
        "session_status", "iteration_current", "iteration_max", "tasks", "agents_active",
        "agents_total", "cost_usd", "events_total", "uptime_seconds", "receipts_total", "receipts_by_verdict",
        "receipts_with_provenance", "budget_limit_usd", "budget_exceeded", "tokens", "model_cost_usd",
        "session_info", "state_updated_timestamp_seconds", "checklist_items", "failed_sources", "warnings",
    ]
    assert json.loads(json.dumps(d)) == d


def test_each_collect_reads_the_directory_again(loki_dir):
    write_events(loki_dir, 2)
    assert loki_metrics.collect(loki_dir).events_total == 2
    write_events(loki_dir, 3)
    assert loki_metrics.collect(pathlib.Path(loki_dir)).events_total == 5


def test_stale_after_is_how_old_the_state_may_be_in_every_function_that_collects(running_dir):
    # The running fixture's dashboard-state.json was written 2 s before its `now`.
    assert loki_metrics.collect(running_dir, now=NOW, stale_after=1).session_status == "stopped"
    assert loki_metrics.collect(running_dir, now=NOW, stale_after=dt.timedelta(seconds=3)).session_status == "running"
    assert loki_metrics.Collector(running_dir, now=NOW, stale_after=1.5).collect().session_status == "stopped"
    with loki_metrics.serve(running_dir, port=0, now=NOW, stale_after=1) as server:
        assert server.collector.collect().session_status == "stopped"


def test_the_integrations_pass_stale_after_on(running_dir):
    from loki_metrics.asgi import make_asgi_app
    from loki_metrics.prometheus_client import LokiCollector
    from loki_metrics.wsgi import make_wsgi_app

    # They take no `now`: by the system clock the fixture's state is months
    # old (2026-01-05), so a stale_after longer than that shows it running.
    long_enough = dt.timedelta(days=100 * 365)
    collectors = [
        make_asgi_app(running_dir, stale_after=long_enough).endpoint.collector,
        make_wsgi_app(running_dir, stale_after=long_enough).endpoint.collector,
        LokiCollector(running_dir, stale_after=long_enough).collector,
    ]
    assert [c.collect().session_status for c in collectors] == ["running"] * 3

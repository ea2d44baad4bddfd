"""The examples in examples/python run and say what their docstrings say."""

from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import subprocess
import sys

import pytest

import loki_metrics
from conftest import ROOT, RUNNING, fixture_now, free_port

EXAMPLES = ROOT / "examples" / "python"


def run_example(name, *args, env=None):
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_every_example_compiles_and_has_a_docstring(path, tmp_path):
    py_compile.compile(str(path), cfile=str(tmp_path / "x.pyc"), doraise=True)
    assert path.read_text().startswith('"""')


def test_custom_metrics_export_replaces_the_guides_split_parser(running_dir):
    with loki_metrics.serve(running_dir, port=0, now=fixture_now(RUNNING)) as server:
        proc = run_example("custom_metrics_export.py", server.url)
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads(proc.stdout)
    assert metrics["loki_tasks_total{status=pending}"] == 3
    assert metrics["loki_tasks_total{status=completed}"] == 7
    assert metrics["loki_events_total"] == 12 and metrics["loki_cost_usd"] == 1.2


def test_custom_metrics_export_says_when_nothing_answers():
    proc = run_example("custom_metrics_export.py", f"http://127.0.0.1:{free_port()}/metrics")
    assert proc.returncode == 1
    assert proc.stderr.startswith("no metrics: [Errno 111] cannot connect to http://127.0.0.1:")
    assert proc.stderr.rstrip().endswith("Connection refused")


def test_dashboard_prints_a_status_line(live_dir):
    proc = run_example("dashboard.py", str(live_dir), "--once")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("running  iteration 17/1000  tasks 2 pending, 1 running, 1 done, 0 failed")


def test_embedded_exporter_starts_nothing_unless_enabled():
    proc = run_example("embedded_exporter.py", env={"LOKI_METRICS_ENABLED": "false"})
    assert proc.returncode == 0 and "no exporter started" in proc.stdout


def test_fastapi_app_mounts_metrics_in_one_line(running_dir, monkeypatch):
    pytest.importorskip("fastapi")
    monkeypatch.setenv("LOKI_DIR", str(running_dir))
    spec = importlib.util.spec_from_file_location("fastapi_app", EXAMPLES / "fastapi_app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert "/metrics" in {route.path for route in module.app.routes}



"""The hand-written _native.pyi matches the built module (mypy.stubtest),
and the package type-checks for its users (py.typed)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("mypy")


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_stubtest_finds_the_stub_and_the_native_module_consistent(tmp_path):
    proc = run("mypy.stubtest", "loki_metrics._native", "--mypy-config-file", str(tmp_path / "none.ini"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_user_code_type_checks_against_the_installed_package(tmp_path):
    script = tmp_path / "user.py"
    script.write_text(textwrap.dedent('''
        import datetime
        from typing import Optional

        import loki_metrics
        from loki_metrics.asgi import make_asgi_app
        from loki_metrics.parser import text_string_to_metric_families

        snapshot: loki_metrics.Snapshot = loki_metrics.collect(".loki", now=datetime.datetime.now())
        cost: float = snapshot.cost_usd
        pending: int = snapshot.tasks.pending
        text: str = loki_metrics.render(snapshot, format="openmetrics")
        for family in loki_metrics.parse(text):
            for sample in family.samples:
                value: float = sample.value
                labels: dict[str, str] = sample.labels
        fmt, content_type = loki_metrics.negotiate("text/plain")
        collector = loki_metrics.Collector(".loki", cache_ttl=1.0)
        app = make_asgi_app(collector=collector)
        families = list(text_string_to_metric_families("a 1\\n"))
        try:
            loki_metrics.scrape("http://127.0.0.1:57374/metrics", timeout=1.0)
        except loki_metrics.ScrapeError as e:
            url: Optional[str] = e.url
    '''))
    proc = run("mypy", "--strict", "--no-incremental", str(script), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_wrong_call_is_a_type_error_for_mypy(tmp_path):
    script = tmp_path / "wrong.py"
    script.write_text("import loki_metrics\nloki_metrics.collect(max_iterations='5')\n")
    proc = run("mypy", "--no-incremental", str(script), cwd=tmp_path)
    assert proc.returncode == 1 and "max_iterations" in proc.stdout

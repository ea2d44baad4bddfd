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


def test_format_names_are_literals_for_mypy_strict(tmp_path):
    # render(format="yaml") raises UnknownFormatError at run time; the stub's
    # Literal types make it an error before that. The right names pass.
    right = tmp_path / "right.py"
    right.write_text(textwrap.dedent('''
        import loki_metrics

        a: str = loki_metrics.render(".loki", format="prometheus")
        b: str = loki_metrics.render(".loki", format="openmetrics")
        c: str = loki_metrics.render(".loki", format="json")
        collector = loki_metrics.Collector(".loki")
        d: str = collector.render("json")
        e = collector.render_if_fresh(format="openmetrics")
        negotiated, content_type = loki_metrics.negotiate("text/plain")
        f: str = collector.render(negotiated)
        families = loki_metrics.parse("a 1\\n", format="auto") + loki_metrics.parse("a 1\\n", format="prometheus")
        families += loki_metrics.parse("# EOF\\n", format="openmetrics")
    '''))
    proc = run("mypy", "--strict", "--no-incremental", str(right), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    wrong = tmp_path / "wrong.py"
    wrong.write_text(textwrap.dedent('''
        import loki_metrics

        loki_metrics.render(format="yaml")
        loki_metrics.Collector().render("yaml")
        loki_metrics.Collector().render_if_fresh(format="text")
        loki_metrics.parse("a 1\\n", format="json")
    '''))
    proc = run("mypy", "--strict", "--no-incremental", str(wrong), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = [line for line in proc.stdout.splitlines() if ": error: " in line]
    assert [line.split(":")[1] for line in errors] == ["4", "5", "6", "7"], proc.stdout
    assert "Argument \"format\" to \"render\" has incompatible type \"Literal['yaml']\"" in errors[0]
    assert "expected \"Literal['prometheus', 'openmetrics', 'json']\"" in errors[0]
    assert "expected \"Literal['auto', 'prometheus', 'openmetrics']\"" in errors[3]

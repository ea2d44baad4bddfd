"""The READMEs' Python snippets and shell commands run as written.

Each ```python block of the top-level README's Python section runs as a
script with the installed package, in a directory whose ``.loki`` is a live
fixture; python/README.md's blocks run as one script, in order (they continue
one another), with ``app`` being the user's FastAPI app. Only the port
changes: a snippet that scrapes 57374 gets a running exporter's port. The
shell commands that are safe to run (the ones to try while ``demo`` runs, and
the Troubleshooting checks) run against ``loki-metrics demo`` and the CLI
(``cargo run --release -p loki-metrics-cli --`` is the built binary here).
The Node snippets are tests/node/readme.test.mjs.
"""

from __future__ import annotations

import os
import pathlib
import re
import shlex
import subprocess
import sys
import textwrap
import urllib.request
from typing import Iterator, List

import pytest

import loki_metrics
from conftest import FIXTURES, ROOT, cli_binary, free_port, wait_until

README = (ROOT / "README.md").read_text()
PYTHON_README = (ROOT / "python" / "README.md").read_text()


def blocks(text: str, lang: str) -> List[str]:
    """The fenced blocks of `lang` in `text`, in order."""
    return [m.group(1) for m in re.finditer(rf"^```{lang}\n(.*?)^```$", text, re.S | re.M)]


def section(text: str, heading: str) -> str:
    """From `heading` to the next heading of the same level."""
    start = text.index(heading)
    level = heading.split(" ")[0]
    end = text.find(f"\n{level} ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.fixture
def work(tmp_path: pathlib.Path) -> pathlib.Path:
    """A directory whose .loki is a live session (its loki.pid names PID 1)."""
    (tmp_path / ".loki").symlink_to(FIXTURES / "runsh-mid-run" / ".loki")
    return tmp_path


@pytest.fixture
def exporter(work: pathlib.Path) -> Iterator[loki_metrics.Server]:
    """The exporter the snippets expect "already running on 57374"."""
    with loki_metrics.serve(work / ".loki", port=0) as server:
        yield server


def run_python(code: str, work: pathlib.Path) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_the_readmes_have_python_snippets():
    assert len(blocks(section(README, "### Python ("), "python")) == 1
    assert len(blocks(PYTHON_README, "python")) >= 3


@pytest.mark.parametrize("index", range(len(blocks(section(README, "### Python ("), "python"))))
def test_the_readmes_python_snippet_runs(index, work, exporter):
    code = blocks(section(README, "### Python ("), "python")[index]
    out = run_python(code.replace("57374", str(exporter.port)), work)
    assert "# EOF" in out  # the OpenMetrics rendering
    assert re.search(r"^http://127\.0\.0\.1:\d+/metrics$", out, re.M)  # server.url


def test_the_python_readmes_snippets_run_in_order(work, exporter):
    # Its blocks continue one another (the scrape one uses the quick start's
    # import); the Integrations block adds a route to the user's `app`.
    prelude = "from fastapi import FastAPI\napp = FastAPI()\n"
    code = prelude + "\n".join(blocks(PYTHON_README, "python"))
    code += textwrap.dedent("""
        assert metrics["loki_session_status"] == 1.0, metrics
        assert any(getattr(r, "path", None) == "/metrics" for r in app.routes)
        assert REGISTRY.get_sample_value("loki_session_status") == 1.0
    """)
    out = run_python(code.replace("57374", str(exporter.port)), work)
    assert "running" in out and "# EOF" in out


# The shell: what to try while `demo` runs, and the Troubleshooting checks.

CARGO_RUN = "cargo run --release -p loki-metrics-cli --"


def shell_lines(text: str) -> List[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture
def cli() -> pathlib.Path:
    binary = cli_binary()
    if binary is None:
        pytest.skip("the loki-metrics CLI is not built (scripts/test-python.sh builds it)")
    return binary


@pytest.fixture
def demo(cli: pathlib.Path, work: pathlib.Path) -> Iterator[int]:
    """The README's quick start command, on a free port (LOKI_METRICS_PORT,
    which demo reads), until "Ctrl-C"."""
    quick_start = blocks(section(README, "## Quick start"), "bash")
    assert quick_start[0].strip() == f"{CARGO_RUN} demo"
    port = free_port()
    env = {**os.environ, "LOKI_METRICS_PORT": str(port)}
    command = quick_start[0].strip().replace(CARGO_RUN, shlex.quote(str(cli)))
    proc = subprocess.Popen(shlex.split(command), cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def healthy() -> bool:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return True
        except OSError:
            return False

    try:
        wait_until(healthy, timeout=60)
        yield port
    finally:
        proc.send_signal(2)  # Ctrl-C
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_shell(line: str, cli: pathlib.Path, port: int, work: pathlib.Path) -> str:
    command = line.replace(CARGO_RUN, shlex.quote(str(cli))).replace("57374", str(port))
    command = re.sub(r"^loki-metrics ", shlex.quote(str(cli)) + " ", command)
    env = {**os.environ, "LOKI_METRICS_PORT": str(port)}
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{line}\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def test_the_commands_to_try_while_demo_runs(cli, demo, work):
    block = blocks(README, "bash")
    while_demo = next(b for b in block if "127.0.0.1:57374/metrics" in b)
    lines = shell_lines(while_demo)
    assert len(lines) == 4
    outputs = [run_shell(line, cli, demo, work) for line in lines]
    assert "# TYPE loki_events_total counter" in outputs[0] and "# EOF" not in outputs[0]
    assert "# TYPE loki_events counter" in outputs[1] and outputs[1].endswith("# EOF\n")
    assert '"status":"ok"' in outputs[2]
    assert "loki_events_total" in outputs[3]


def test_the_troubleshooting_checks(cli, demo, work):
    table = section(README, "## Troubleshooting")
    commands = [c for c in re.findall(r"`([^`]+)`", table) if c.startswith(("loki-metrics render", "curl -s "))]
    assert commands == ["curl -s localhost:57374/health", "loki-metrics render --loki-dir .loki --format json"]
    assert '"status":"ok"' in run_shell(commands[0], cli, demo, work)
    rendered = run_shell(commands[1], cli, demo, work)
    assert '"session_status": "running"' in rendered and '"warnings"' in rendered

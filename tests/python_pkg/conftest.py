"""Shared fixtures of the Python package's tests.

They run against the *installed* package (``pip install .`` or a wheel), never
the source tree: ``scripts/test-python.sh`` builds both ways into fresh venvs.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import threading
import time
from typing import Callable, Iterator, List

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CORPUS = ROOT / "tests" / "parser"

# Variables that change what a collection or the exporter does.
LOKI_ENV = [
    "LOKI_DIR",
    "LOKI_MAX_ITERATIONS",
    "LOKI_METRICS_EXPORTER_METRICS",
    "LOKI_METRICS_ENABLED",
    "LOKI_METRICS_HOST",
    "LOKI_METRICS_PORT",
    "LOKI_METRICS_PATH",
    "LOKI_METRICS_TOKEN",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without the LOKI_* variables (the golden fixtures
    assume the defaults)."""
    for name in LOKI_ENV:
        monkeypatch.delenv(name, raising=False)


def fixture_cases() -> List[pathlib.Path]:
    """Every golden fixture directory."""
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def fixture_now(case: pathlib.Path) -> str:
    """The fixed clock of a golden fixture."""
    return (case / "now").read_text().strip()


RUNNING = FIXTURES / "running"


@pytest.fixture
def running_dir() -> pathlib.Path:
    """The `running` fixture's .loki directory (a session in progress at its
    fixed `now`; by the system clock its state is stale, so it reads stopped)."""
    return RUNNING / ".loki"


@pytest.fixture
def live_dir() -> pathlib.Path:
    """The `runsh-mid-run` fixture's .loki: its loki.pid names PID 1, so it
    reads running whatever the clock."""
    return FIXTURES / "runsh-mid-run" / ".loki"


@pytest.fixture
def loki_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    """An empty, writable .loki directory."""
    d = tmp_path / ".loki"
    d.mkdir()
    return d


def write_events(loki: pathlib.Path, n: int) -> None:
    """Appends n event lines to events.jsonl."""
    with open(loki / "events.jsonl", "a") as f:
        f.write('{"type":"tool_call","detail":"ok"}\n' * n)


def free_port() -> int:
    """A port nothing listens on (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Polls condition until true, failing the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %.1f s" % timeout)
        time.sleep(0.01)


def cli_binary() -> pathlib.Path | None:
    """The Rust CLI (env LOKI_METRICS_BIN, else target/{release,debug}), if built."""
    env = os.environ.get("LOKI_METRICS_BIN")
    candidates = [pathlib.Path(env)] if env else [ROOT / "target" / "release" / "loki-metrics", ROOT / "target" / "debug" / "loki-metrics"]
    for c in candidates:
        if c.exists():
            return c
    found = shutil.which("loki-metrics")
    return pathlib.Path(found) if found else None


class Ticker:
    """A Python thread that needs the GIL about every millisecond.

    ``ticks_during(call)`` runs ``call`` on the calling thread and returns how
    many times the ticker ran meanwhile. A native call that holds the GIL for
    its whole duration allows (nearly) none; one that releases it allows about
    one per millisecond.
    """

    def __init__(self) -> None:
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.ticks += 1
            time.sleep(0.001)

    def __enter__(self) -> "Ticker":
        self._thread.start()
        wait_until(lambda: self.ticks > 3)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def ticks_during(self, call: Callable[[], object]) -> tuple[int, float]:
        before = self.ticks
        start = time.perf_counter()
        call()
        elapsed = time.perf_counter() - start
        return self.ticks - before, elapsed


@pytest.fixture
def ticker() -> Iterator[Ticker]:
    with Ticker() as t:
        yield t

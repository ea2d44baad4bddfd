"""The GIL is released during file I/O, encoding, parsing and network waits.

Each test runs a native call that takes a few hundred milliseconds while a
Python thread (the Ticker) needs the GIL about every millisecond. A call that
held the GIL throughout would let the ticker run (nearly) never -- the first
test shows that with a C call known to hold it -- so each test would fail.
The scrape test is stronger still: its server is a Python thread, so a
scrape that held the GIL while waiting could never get an answer.
"""

from __future__ import annotations

import http.server
import json
import random
import threading

import pytest

import loki_metrics
from conftest import RUNNING

RELEASED = 20  # ticks; a held GIL gives 0-3 over these durations


@pytest.fixture(scope="module")
def big_state_dir(tmp_path_factory):
    """A .loki whose dashboard-state.json is ~38 MB (400,000 tasks)."""
    d = tmp_path_factory.mktemp("big") / ".loki"
    d.mkdir()
    task = json.dumps({"id": "task-0000000", "title": "Implement feature number", "priority": "high"})
    with open(d / "dashboard-state.json", "w") as f:
        f.write('{"mode":"running","iteration":3,"tasks":{"pending":[' + ",".join([task] * 400_000) + "]}}")
    return d


@pytest.fixture(scope="module")
def big_text():
    """~25 MB of Prometheus text: 200,000 samples in 2,000 families."""
    lines = []
    for f in range(2000):
        lines.append(f"# HELP fam_{f} Family {f}.\n# TYPE fam_{f} gauge\n")
        lines.extend(
            f'fam_{f}{{service="svc-{i % 17}",instance="host-{i:04d}.example:9100",method="GET",code="200"}} {i}.5\n'
            for i in range(100)
        )
    return "".join(lines)


def test_the_ticker_detects_a_call_that_holds_the_gil(ticker):
    floats = [random.random() for _ in range(1_500_000)]
    ticks, elapsed = ticker.ticks_during(lambda: sorted(floats))  # list.sort never releases the GIL
    assert elapsed > 0.1
    assert ticks < RELEASED


def test_collect_releases_the_gil_while_reading_files(ticker, big_state_dir):
    ticks, _ = ticker.ticks_during(lambda: loki_metrics.collect(big_state_dir))
    assert ticks >= RELEASED
    assert loki_metrics.collect(big_state_dir).tasks.pending == 400_000


def test_render_of_a_directory_releases_the_gil(ticker, big_state_dir):
    ticks, _ = ticker.ticks_during(lambda: loki_metrics.render(big_state_dir, format="openmetrics"))
    assert ticks >= RELEASED


def test_collector_releases_the_gil_while_collecting(ticker, big_state_dir):
    collector = loki_metrics.Collector(big_state_dir, cache_ttl=0)
    ticks, _ = ticker.ticks_during(collector.render)
    assert ticks >= RELEASED


def test_parse_releases_the_gil_while_parsing(ticker, big_text):
    ticks, _ = ticker.ticks_during(lambda: loki_metrics.parse(big_text))
    assert ticks >= RELEASED


def test_scrape_releases_the_gil_while_waiting_for_a_python_server():
    body = (RUNNING / "expected.prom").read_bytes()
    answered = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            # Runs Python code on another thread: impossible while the
            # scraping thread holds the GIL.
            answered.set()
            self.send_response(200)
            self.send_header("Content-Type", loki_metrics.PROMETHEUS_CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        families = loki_metrics.scrape(f"http://127.0.0.1:{httpd.server_address[1]}/metrics", timeout=5)
        assert answered.is_set()
        assert families == loki_metrics.parse(body.decode())
    finally:
        httpd.shutdown()
        httpd.server_close()


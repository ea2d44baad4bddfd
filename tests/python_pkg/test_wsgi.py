"""The WSGI app under a real server (wsgiref) on loopback."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

import loki_metrics
from loki_metrics.wsgi import make_wsgi_app
from conftest import RUNNING, fixture_now

NOW = fixture_now(RUNNING)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def base_url(running_dir):
    httpd = make_server("127.0.0.1", 0, make_wsgi_app(collector=loki_metrics.Collector(running_dir, now=NOW)),
                        handler_class=QuietHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def request(url, accept=None, method="GET"):
    req = urllib.request.Request(url, method=method, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def test_get_serves_prometheus_text_by_default(base_url):
    status, headers, body = request(base_url + "/metrics")
    assert (status, headers["Content-Type"], body) == (
        200, loki_metrics.PROMETHEUS_CONTENT_TYPE, (RUNNING / "expected.prom").read_text(),
    )


def test_prometheus_scrapes_get_openmetrics(base_url):
    assert loki_metrics.scrape(base_url + "/metrics") == loki_metrics.parse((RUNNING / "expected.om").read_text())


def test_head_and_other_methods(base_url):
    status, headers, body = request(base_url, method="HEAD")
    assert (status, body) == (200, "") and int(headers["Content-Length"]) > 0
    status, headers, _ = request(base_url, method="DELETE")
    assert status == 405 and headers["Allow"] == "GET, HEAD"

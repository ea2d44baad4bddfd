"""The ASGI app under a real server (uvicorn) on loopback, mounted in
FastAPI and Starlette the way the old endpoint's users will mount it."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request

import pytest
import uvicorn

import loki_metrics
from loki_metrics.asgi import make_asgi_app
from conftest import RUNNING, fixture_now, wait_until

NOW = fixture_now(RUNNING)
EXPECTED_PROM = (RUNNING / "expected.prom").read_text()
EXPECTED_OM = (RUNNING / "expected.om").read_text()


class UvicornThread:
    """uvicorn serving `app` on a free loopback port, in a thread."""

    def __init__(self, app) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "UvicornThread":
        self.thread.start()
        wait_until(lambda: self.server.started)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def get(url: str, accept: str | None = None, method: str = "GET"):
    request = urllib.request.Request(url, method=method, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def test_fastapi_add_route_serves_the_negotiated_text(running_dir):
    fastapi = pytest.importorskip("fastapi")
    app = fastapi.FastAPI()
    app.add_route("/metrics", make_asgi_app(collector=loki_metrics.Collector(running_dir, now=NOW)))
    with UvicornThread(app) as server:
        status, headers, body = get(server.base + "/metrics")
        assert (status, headers["content-type"], body) == (200, loki_metrics.PROMETHEUS_CONTENT_TYPE, EXPECTED_PROM)
        families = loki_metrics.scrape(server.base + "/metrics")  # Prometheus' Accept header
        assert families == loki_metrics.parse(EXPECTED_OM)


def test_fastapi_mount_serves_under_the_mount_path(running_dir):
    fastapi = pytest.importorskip("fastapi")
    app = fastapi.FastAPI()
    app.mount("/metrics", make_asgi_app(collector=loki_metrics.Collector(running_dir, now=NOW)))
    with UvicornThread(app) as server:
        status, _, body = get(server.base + "/metrics/")
        assert (status, body) == (200, EXPECTED_PROM)


def test_starlette_route_and_negotiation(running_dir):
    from starlette.applications import Starlette
    from starlette.routing import Route

    app = Starlette(routes=[Route("/metrics", make_asgi_app(collector=loki_metrics.Collector(running_dir, now=NOW)))])
    with UvicornThread(app) as server:
        status, headers, body = get(server.base + "/metrics", accept="application/openmetrics-text")
        assert (status, headers["content-type"], body) == (200, loki_metrics.OPENMETRICS_CONTENT_TYPE, EXPECTED_OM)
        assert headers["vary"] == "Accept"


def test_the_bare_app_under_uvicorn(running_dir):
    app = make_asgi_app(collector=loki_metrics.Collector(running_dir, now=NOW))
    with UvicornThread(app) as server:
        status, headers, body = get(server.base + "/anything")
        assert (status, body) == (200, EXPECTED_PROM)
        assert int(headers["content-length"]) == len(EXPECTED_PROM.encode())
        status, headers, body = get(server.base + "/", method="HEAD")
        assert (status, body) == (200, "")
        assert int(headers["content-length"]) == len(EXPECTED_PROM.encode())
        status, headers, _ = get(server.base + "/", method="POST")
        assert status == 405 and headers["allow"] == "GET, HEAD"


def test_a_stale_cache_is_collected_off_the_event_loop(loki_dir):
    (loki_dir / "events.jsonl").write_text("{}\n")
    app = make_asgi_app(loki_dir, cache_ttl=0)
    with UvicornThread(app) as server:
        assert "loki_events_total 1\n" in get(server.base + "/")[2]
        (loki_dir / "events.jsonl").write_text("{}\n{}\n")
        assert "loki_events_total 2\n" in get(server.base + "/")[2]
    assert app.collector.collections == 2


def test_make_asgi_app_refuses_a_collector_and_a_directory(running_dir):
    with pytest.raises(TypeError):
        make_asgi_app(running_dir, collector=loki_metrics.Collector(running_dir))

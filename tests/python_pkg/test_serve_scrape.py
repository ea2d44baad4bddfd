"""serve() and scrape() over real HTTP on loopback."""

from __future__ import annotations

import errno
import http.server
import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

import loki_metrics
from conftest import RUNNING, fixture_now, free_port

NOW = fixture_now(RUNNING)


@pytest.fixture
def server(running_dir):
    with loki_metrics.serve(running_dir, port=0, now=NOW) as s:
        yield s


def test_serve_and_scrape_round_trip(server):
    families = loki_metrics.scrape(server.url)
    assert families == loki_metrics.parse((RUNNING / "expected.om").read_text())
    by_name = {f.name: f for f in families}
    assert by_name["loki_events"].samples[0] == ("loki_events_total", {}, 12.0, None, None, None)
    assert by_name["loki_uptime_seconds"].unit == "seconds"


def test_port_zero_picks_a_free_port_and_the_url_says_which(server):
    assert server.port > 0 and server.host == "127.0.0.1"
    assert server.url == f"http://127.0.0.1:{server.port}/metrics"
    assert repr(server) == f"<Server {server.url} (running)>"


def test_the_server_answers_plain_http_clients_with_negotiation(server):
    with urllib.request.urlopen(server.url) as r:
        assert r.headers["Content-Type"] == loki_metrics.PROMETHEUS_CONTENT_TYPE
        assert r.read().decode() == (RUNNING / "expected.prom").read_text()
    health = server.url.replace("/metrics", "/health")
    with urllib.request.urlopen(health) as r:
        assert r.status == 200


def test_scrape_with_a_text_plain_accept_parses_0_0_4(server):
    families = loki_metrics.scrape(server.url, accept="text/plain")
    assert families == loki_metrics.parse((RUNNING / "expected.prom").read_text())


def test_the_server_shares_its_collector(server):
    assert server.collector.render() == (RUNNING / "expected.prom").read_text()


def test_close_stops_the_server_and_is_idempotent(running_dir):
    s = loki_metrics.serve(running_dir, port=0)
    url = s.url
    loki_metrics.scrape(url)
    s.close()
    s.close()
    assert s.closed and repr(s).endswith("(closed)>")
    with pytest.raises(loki_metrics.ScrapeConnectionError):
        loki_metrics.scrape(url, timeout=2)


def test_a_custom_path_and_a_token(running_dir):
    with loki_metrics.serve(running_dir, port=0, path="/loki", token="s3cret") as s:
        assert s.url.endswith("/loki")
        assert loki_metrics.scrape(s.url, token="s3cret")
        with pytest.raises(loki_metrics.ScrapeStatusError) as e:
            loki_metrics.scrape(s.url)
        assert e.value.status == 401 and e.value.url == s.url
        assert isinstance(e.value, OSError)


def test_a_port_in_use_is_a_serve_error_with_errno(running_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(loki_metrics.ServeError) as e:
            loki_metrics.serve(running_dir, port=taken.getsockname()[1])
    assert e.value.errno == errno.EADDRINUSE
    assert str(e.value).startswith(f"[Errno {errno.EADDRINUSE}] cannot listen on 127.0.0.1:")
    assert "(os error" not in str(e.value)
    assert isinstance(e.value, OSError) and isinstance(e.value, loki_metrics.LokiMetricsError)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"path": "metrics"}, loki_metrics.ArgumentError),
        ({"path": "/health"}, loki_metrics.ArgumentError),
        ({"port": 70000}, loki_metrics.ArgumentError),
        ({"port": "80"}, TypeError),
        ({"port": True}, TypeError),
        ({"host": 127}, TypeError),
        ({"tls_cert": "/nonexistent.pem"}, loki_metrics.ArgumentError),
        ({"tls_cert": "/nonexistent.pem", "tls_key": "/nonexistent.key"}, loki_metrics.ServeError),
    ],
)
def test_bad_serve_arguments_raise_typed_errors(running_dir, kwargs, error):
    with pytest.raises(error):
        loki_metrics.serve(running_dir, **{"port": 0, **kwargs})


def test_serve_from_env_starts_nothing_unless_enabled(running_dir, monkeypatch):
    monkeypatch.setenv("LOKI_DIR", str(running_dir))
    monkeypatch.setenv("LOKI_METRICS_PORT", "0")
    assert loki_metrics.serve_from_env() is None
    monkeypatch.setenv("LOKI_METRICS_ENABLED", "false")
    assert loki_metrics.serve_from_env() is None


def test_serve_from_env_serves_when_enabled(running_dir, monkeypatch):
    port = free_port()
    monkeypatch.setenv("LOKI_METRICS_ENABLED", "true")
    monkeypatch.setenv("LOKI_DIR", str(running_dir))
    monkeypatch.setenv("LOKI_METRICS_PORT", str(port))
    monkeypatch.setenv("LOKI_METRICS_PATH", "/m")
    server = loki_metrics.serve_from_env()
    assert server is not None
    with server:
        assert server.url == f"http://127.0.0.1:{port}/m"
        assert {f.name for f in loki_metrics.scrape(server.url)} >= {"loki_events", "loki_cost_usd"}


def test_serve_from_env_with_a_bad_port_is_an_argument_error(monkeypatch):
    monkeypatch.setenv("LOKI_METRICS_ENABLED", "true")
    monkeypatch.setenv("LOKI_METRICS_PORT", "not-a-port")
    with pytest.raises(loki_metrics.ArgumentError, match="LOKI_METRICS_PORT"):
        loki_metrics.serve_from_env()


def test_scrape_of_a_closed_port_is_a_connection_error_with_errno():
    url = f"http://127.0.0.1:{free_port()}/metrics"
    with pytest.raises(loki_metrics.ScrapeConnectionError) as e:
        loki_metrics.scrape(url)
    assert isinstance(e.value, ConnectionError) and isinstance(e.value, OSError)
    assert e.value.errno == errno.ECONNREFUSED and e.value.url == url
    assert str(e.value) == f"[Errno {errno.ECONNREFUSED}] cannot connect to {url}: Connection refused"


def test_scrape_of_a_silent_server_is_a_timeout_error():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/metrics"
        with pytest.raises(loki_metrics.ScrapeTimeoutError) as e:
            loki_metrics.scrape(url, timeout=0.3)
    assert isinstance(e.value, TimeoutError) and isinstance(e.value, OSError)


@pytest.mark.parametrize("url", ["ftp://example.com/metrics", "not a url", "http://"])
def test_scrape_of_a_bad_url_is_an_argument_error(url):
    with pytest.raises(loki_metrics.ArgumentError):
        loki_metrics.scrape(url)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"timeout": 0}, loki_metrics.ArgumentError),
        ({"timeout": -1}, loki_metrics.ArgumentError),
        ({"timeout": "1"}, TypeError),
        ({"token": 5}, TypeError),
        ({"ca_file": "/x.pem", "insecure": True}, loki_metrics.ArgumentError),
    ],
)
def test_bad_scrape_arguments_raise_typed_errors(kwargs, error):
    with pytest.raises(error):
        loki_metrics.scrape("http://127.0.0.1:9/metrics", **kwargs)


def test_scrape_of_a_body_that_is_not_exposition_text_is_a_parse_error():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html>not metrics</html>\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(loki_metrics.ParseError) as e:
            loki_metrics.scrape(f"http://127.0.0.1:{httpd.server_address[1]}/")
        assert e.value.line == 1
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI for a test certificate")
def test_https_with_a_private_ca(running_dir, tmp_path):
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp_path)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test CA",
            "-keyout", "ca.key", "-out", "ca.pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "key.pem", "-out", "req.csr")
    (tmp_path / "ext.cnf").write_text("basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "req.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "1", "-extfile", "ext.cnf", "-out", "cert.pem")
    with loki_metrics.serve(running_dir, port=0, tls_cert=tmp_path / "cert.pem", tls_key=tmp_path / "key.pem") as s:
        assert s.url.startswith("https://")
        assert loki_metrics.scrape(s.url, ca_file=tmp_path / "ca.pem")
        assert loki_metrics.scrape(s.url, insecure=True)
        with pytest.raises(loki_metrics.ScrapeError, match="TLS"):
            loki_metrics.scrape(s.url)  # not signed by a public CA

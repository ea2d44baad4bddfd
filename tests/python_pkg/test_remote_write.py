"""push() and serve(remote_write=...) against a real receiver: Debian's
Prometheus started with --web.enable-remote-write-receiver, queried with
PromQL; and the error mapping against a closed port and a receiver that
answers 400."""

from __future__ import annotations

import http.server
import json
import math
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid

import pytest

import loki_metrics
from conftest import RUNNING, fixture_now, free_port, wait_until

NOW = fixture_now(RUNNING)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    """A real Prometheus with its remote-write receiver; yields its base URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("prometheus is not on PATH (apt-get install prometheus)")
    work = tmp_path_factory.mktemp("prometheus")
    config = work / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")
    port = free_port()
    log = open(work / "prometheus.log", "wb")
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={work / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"{api}/-/ready", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        wait_until(ready, timeout=30)
        yield api
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def promql(api: str, expr: str) -> list:
    with urllib.request.urlopen(f"{api}/api/v1/query?" + urllib.parse.urlencode({"query": expr}), timeout=5) as r:
        return json.loads(r.read())["data"]["result"]


def by_series(results: list, leave_out: set[str]) -> dict:
    """PromQL results as {(name, ((label, value), ...)): value}, without `leave_out`."""
    out = {}
    for r in results:
        labels = {k: v for k, v in r["metric"].items() if k != "__name__" and k not in leave_out}
        out[(r["metric"]["__name__"], tuple(sorted(labels.items())))] = float(r["value"][1])
    return out


def rendered_series(snapshot) -> dict:
    """Every sample `render` prints, keyed as by_series (empty labels are no label)."""
    out = {}
    for family in loki_metrics.parse(loki_metrics.render(snapshot)):
        for s in family.samples:
            labels = tuple(sorted((k, v) for k, v in s.labels.items() if v != ""))
            out[(s.name, labels)] = float(s.value)
    return out


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12)


def write_url(api: str) -> str:
    return f"{api}/api/v1/write"


def test_push_delivers_every_sample_render_prints_with_the_external_labels(prometheus, running_dir):
    run = uuid.uuid4().hex
    stats = loki_metrics.push(write_url(prometheus), running_dir, now=NOW,
                              external_labels={"run": run, "instance": "py-test"})
    expected = rendered_series(loki_metrics.collect(running_dir, now=NOW))
    assert stats.samples_sent == len(expected) > 20
    assert stats.samples_failed == stats.samples_dropped == 0 and stats.last_error is None
    got_all = promql(prometheus, f'{{run="{run}"}}')
    assert {r["metric"]["instance"] for r in got_all} == {"py-test"}
    got = by_series(got_all, {"run", "instance"})
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert same(got[key], value), (key, got[key], value)


def test_push_to_a_closed_port_gives_up_after_the_timeout_with_a_timeout_error(running_dir):
    url = f"http://127.0.0.1:{free_port()}/api/v1/write"
    started = time.monotonic()
    with pytest.raises(loki_metrics.RemoteWriteTimeoutError) as caught:
        loki_metrics.push(url, running_dir, timeout=1)
    # It stops once the next retry would end past the timeout.
    assert time.monotonic() - started < 1.5
    e = caught.value
    assert isinstance(e, TimeoutError) and isinstance(e, loki_metrics.RemoteWriteError)
    assert e.url == url and e.status is None
    assert "cannot connect" in str(e) and "gave up after 1 s of retries" in str(e)
    assert e.stats.samples_sent == 0 and e.stats.samples_dropped > 0


class Refusing(http.server.BaseHTTPRequestHandler):
    """Answers every POST with 400 and counts them."""

    posts = 0

    def do_POST(self):  # noqa: N802 (http.server's naming)
        type(self).posts += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"out of bounds"
        self.send_response(400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_push_refused_with_400_is_a_refused_error_naming_the_status_and_not_retried(running_dir):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/api/v1/write"
    try:
        with pytest.raises(loki_metrics.RemoteWriteRefusedError) as caught:
            loki_metrics.push(url, running_dir, timeout=5)
    finally:
        httpd.shutdown()
        httpd.server_close()
    e = caught.value
    assert e.status == 400 and e.url == url
    assert "HTTP 400" in str(e) and "out of bounds" in str(e) and "not retried" in str(e)
    assert e.stats.samples_failed > 0 and e.stats.samples_sent == 0
    assert Refusing.posts == 1


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"external_labels": {"1x": "v"}}, loki_metrics.ArgumentError, "invalid external label \"1x\""),
        ({"external_labels": {"__tenant": "v"}}, loki_metrics.ArgumentError, "reserved"),
        ({"external_labels": {"instance": ""}}, loki_metrics.ArgumentError, "empty"),
        ({"headers": {"Content-Encoding": "gzip"}}, loki_metrics.ArgumentError, "set by loki-metrics itself"),
        ({"timeout": 0}, loki_metrics.ArgumentError, "^timeout must be a number of seconds greater than 0$"),
        ({"request_timeout": 0}, loki_metrics.ArgumentError, "^request_timeout must be a number of seconds"),
        ({"bearer_token_file": "/nonexistent/token"}, loki_metrics.ArgumentError, "/nonexistent/token"),
        ({"basic_auth": ("user",)}, loki_metrics.ArgumentError, "basic_auth must be a \\(user, password_file\\)"),
        ({"basic_auth": "user:pw"}, TypeError, "basic_auth must be"),
        ({"external_labels": ["instance=x"]}, TypeError, "external_labels must be a mapping"),
        ({"remote_write_timeout": 1}, TypeError, "remote_write_timeout"),
    ],
)
def test_bad_push_arguments_raise_argument_or_type_errors(running_dir, kwargs, error, match):
    with pytest.raises(error, match=match):
        loki_metrics.push("http://127.0.0.1:9/api/v1/write", running_dir, **kwargs)


@pytest.mark.parametrize("url", ["ftp://example.com/write", "not a url"])
def test_push_to_a_url_that_is_not_http_is_an_argument_error(url, running_dir):
    with pytest.raises(loki_metrics.ArgumentError, match="URL"):
        loki_metrics.push(url, running_dir)


def test_bearer_token_and_basic_auth_together_are_refused(tmp_path, running_dir):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    with pytest.raises(loki_metrics.ArgumentError, match="^bearer_token_file cannot be given with basic auth"):
        loki_metrics.push("http://127.0.0.1:9/w", running_dir, bearer_token_file=secret, basic_auth=("u", secret))


def test_push_releases_the_gil_while_waiting_for_the_receiver(running_dir):
    from conftest import Ticker

    url = f"http://127.0.0.1:{free_port()}/api/v1/write"

    def call():
        with pytest.raises(loki_metrics.RemoteWriteTimeoutError):
            loki_metrics.push(url, running_dir, timeout=1)

    with Ticker() as ticker:
        ticks, elapsed = ticker.ticks_during(call)
    # About one tick per millisecond while released; none while held.
    assert elapsed > 0.3 and ticks > 150


def test_remote_write_checks_its_options_when_made():
    with pytest.raises(loki_metrics.ArgumentError, match="^interval must be a number of seconds greater than 0$"):
        loki_metrics.RemoteWrite("http://127.0.0.1:9/w", interval=0)
    with pytest.raises(loki_metrics.ArgumentError, match="^queue_samples must be at least 1$"):
        loki_metrics.RemoteWrite("http://127.0.0.1:9/w", queue_samples=0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'intervall'"):
        loki_metrics.RemoteWrite("http://127.0.0.1:9/w", intervall=1)  # type: ignore[call-arg]
    r = loki_metrics.RemoteWrite("http://127.0.0.1:9/w", interval=2.5)
    assert (r.url, r.interval) == ("http://127.0.0.1:9/w", 2.5)


def test_serve_remote_write_must_be_a_remote_write_or_a_url(running_dir):
    with pytest.raises(TypeError, match="remote_write must be a RemoteWrite or a URL str"):
        loki_metrics.serve(running_dir, port=0, remote_write=42)  # type: ignore[arg-type]
    with pytest.raises(loki_metrics.ArgumentError, match="URL"):
        loki_metrics.serve(running_dir, port=0, remote_write="ftp://example.com/")


def test_serve_without_remote_write_has_no_remote_write_stats(running_dir):
    with loki_metrics.serve(running_dir, port=0) as server:
        assert server.remote_write_stats is None


def test_serve_with_remote_write_delivers_every_interval_and_close_stops_it(prometheus, running_dir):
    run = uuid.uuid4().hex
    remote = loki_metrics.RemoteWrite(write_url(prometheus), external_labels={"run": run}, interval=0.2)
    server = loki_metrics.serve(running_dir, port=0, now=NOW, exporter_metrics=True, remote_write=remote)
    points = f'count_over_time(loki_tasks_total{{run="{run}",status="completed"}}[5m])'
    try:
        wait_until(lambda: bool(promql(prometheus, points)) and float(promql(prometheus, points)[0]["value"][1]) >= 3)
        live = server.remote_write_stats
        assert live is not None and live.samples_sent > 0 and live.samples_failed == 0
        # The exporter's own families count the remote write too.
        scraped = {f.name for f in loki_metrics.scrape(server.url)}
        assert "loki_remote_write_samples_sent" in scraped
    finally:
        server.close()
    final = server.remote_write_stats
    assert final is not None and final.samples_sent >= live.samples_sent and final.queue_samples == 0
    sent_at_close = float(promql(prometheus, points)[0]["value"][1])
    time.sleep(1.0)  # five intervals
    assert float(promql(prometheus, points)[0]["value"][1]) == sent_at_close
    assert server.remote_write_stats.samples_sent == final.samples_sent


def test_serve_with_a_url_string_uses_every_default(prometheus, running_dir):
    with loki_metrics.serve(running_dir, port=0, remote_write=write_url(prometheus)) as server:
        # The first collection goes at once; later ones every 15 s.
        wait_until(lambda: server.remote_write_stats.samples_sent > 0)

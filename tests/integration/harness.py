"""Shared helpers of the integration scripts: the binary, free ports,
processes that are always cleaned up, readiness polls with deadlines."""

import atexit
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)

_children: list[subprocess.Popen] = []


def binary() -> str:
    """The loki-metrics binary: $LOKI_METRICS_BIN, else target/debug."""
    path = os.environ.get("LOKI_METRICS_BIN") or str(ROOT / "target/debug/loki-metrics")
    if not Path(path).is_file():
        sys.exit(f"{path} not found: run `cargo build -p loki-metrics-cli` first")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Starts a process in its own process group, killed at exit (with `env`
    as its whole environment when given)."""
    proc = subprocess.Popen(
        args,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
    )
    _children.append(proc)
    return proc


def _cleanup() -> None:
    for proc in _children:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
    for proc in _children:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def http_get(url: str, accept: str | None = None, timeout: float = 5.0) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url)
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def wait_until(what: str, check, deadline_s: float, proc: subprocess.Popen | None = None, log: Path | None = None):
    """Polls `check()` until it returns a truthy value, or fails naming `what`."""
    deadline = time.monotonic() + deadline_s
    last_error = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log else ""
            raise SystemExit(f"FAIL: process exited ({proc.returncode}) while waiting for {what}\n{tail}")
        try:
            value = check()
            if value:
                return value
        except (OSError, ValueError, KeyError) as e:
            last_error = e
        time.sleep(0.1)
    raise SystemExit(f"FAIL: timed out waiting for {what} (last error: {last_error})")


def parse_exposition(text: str, openmetrics: bool) -> dict[str, float]:
    """Parses the body with prometheus_client's parsers (the strict OpenMetrics
    one for OpenMetrics) into `name{k="v",...}` -> value. Raises ValueError on
    anything they reject."""
    if openmetrics:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    else:
        from prometheus_client.parser import text_string_to_metric_families
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sample.labels.items())
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = float(sample.value)
    return samples


def start_prometheus(config: Path, work: Path, *flags: str) -> tuple[subprocess.Popen, Path, str]:
    """Debian's Prometheus on a free loopback port with `config` and its data
    under `work`, ready; returns the process, its log and its base URL."""
    port = free_port()
    log = work / "prometheus.log"
    proc = spawn(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work / 'tsdb'}",
                  f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn", *flags], log)
    api = f"http://127.0.0.1:{port}"
    wait_until("Prometheus ready", lambda: http_get(f"{api}/-/ready")[0] == 200, 30, proc, log)
    return proc, log, api


def promql(api: str, expr: str) -> list:
    """The result of an instant query through Prometheus' HTTP API."""
    import json
    import urllib.parse

    status, _, body = http_get(f"{api}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    if status != 200:
        raise ValueError(f"query {expr!r}: HTTP {status}: {body[:200]!r}")
    return json.loads(body)["data"]["result"]


def rss_kb(pid: int) -> int:
    """The resident set size of process `pid`, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def ok(message: str) -> None:
    print(f"ok - {message}", flush=True)

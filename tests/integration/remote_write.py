#!/usr/bin/env python3
"""Remote write into a real Prometheus (Debian's 2.42, started with
--web.enable-remote-write-receiver and no scrape job).

1. `push` from three finished simulated sessions, each with its own
   --external-label project=... and instance=...: every sample `render
   --format prometheus` prints for a directory is in Prometheus, through
   PromQL, with that value and the external labels (a sample's own label of
   the same name wins).
2. `serve --remote-write --remote-write-interval 1` while `simulate` writes,
   twice (the default queue, and --remote-write-queue 100); Prometheus is
   stopped for 30 s and started again on the same storage: the large queue
   delivers the points of the outage afterwards, the small one drops the
   oldest and counts them (its shutdown log line); the exporters' RSS stays
   bounded and GET /metrics answers 200 throughout.
3. Meanwhile a third exporter writes to a receiver that answers every
   request with 400: about one request per interval (no retry storm), and the
   refusal is logged once."""

import http.server
import json
import math
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from harness import binary, free_port, http_get, ok, parse_exposition, rss_kb, spawn, wait_until

OUTAGE_S = 30


def prometheus(work: Path, port: int, log: Path) -> subprocess.Popen:
    config = work / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")
    return spawn(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={work / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-remote-write-receiver",
            "--log.level=warn",
        ],
        log,
    )


def selector(key: str, external: dict[str, str]) -> str:
    """`name{a="b"}` of parse_exposition as a PromQL selector with the
    external labels the sample does not carry itself."""
    name, _, labels = key.partition("{")
    pairs = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))
    for k, v in external.items():
        pairs.setdefault(k, v)
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(pairs.items())) + "}"


class RefusingReceiver(http.server.BaseHTTPRequestHandler):
    """Answers every POST with 400 and counts them."""

    requests = 0

    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).requests += 1
        body = b"out of bounds\n"
        self.send_response(400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main() -> None:
    if shutil.which("prometheus") is None:
        sys.exit("FAIL: prometheus not on PATH (apt-get install prometheus)")
    bin_ = binary()
    work = Path(tempfile.mkdtemp(prefix="loki-rw-"))
    prom_port = free_port()
    api = f"http://127.0.0.1:{prom_port}"
    write_url = f"{api}/api/v1/write"
    prom_log = work / "prometheus.log"
    prom = prometheus(work, prom_port, prom_log)

    # Three finished sessions (simulated in parallel while Prometheus starts).
    # The directories' own project names (app-N, in loki_session_info) differ
    # from the external project labels (proj-N), to see which one wins.
    projects = {f"proj-{i}": work / f"app-{i}" / ".loki" for i in (1, 2, 3)}
    sims = [
        spawn([bin_, "simulate", "--loki-dir", str(d), "--seed", str(i), "--rate", "40", "--duration", "2"], work / f"sim-{i}.log")
        for i, d in enumerate(projects.values(), 1)
    ]
    wait_until("Prometheus ready", lambda: http_get(f"{api}/-/ready")[0] == 200, 30, prom, prom_log)
    for sim in sims:
        assert sim.wait(timeout=30) == 0

    def query(expr: str, at: float | None = None) -> list:
        params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
        status, _, body = http_get(f"{api}/api/v1/query?" + urllib.parse.urlencode(params))
        if status != 200:
            raise ValueError(f"query {expr!r}: HTTP {status} {body[:200]!r}")
        return json.loads(body)["data"]["result"]

    # 1. push from each project, then every rendered sample is in Prometheus.
    for i, (name, loki) in enumerate(projects.items(), 1):
        push = subprocess.run(
            [bin_, "push", "--loki-dir", str(loki), "--remote-write", write_url,
             "--external-label", f"project={name}", "--external-label", f"instance=host-{i}:57374"],
            capture_output=True, text=True, timeout=60,
        )
        assert push.returncode == 0, push.stderr
        assert "pushed" in push.stderr, push.stderr
    ok("push exits 0 for each of three projects")
    total = 0
    for i, (name, loki) in enumerate(projects.items(), 1):
        rendered = subprocess.run(
            [bin_, "render", "--loki-dir", str(loki), "--format", "prometheus", "-q"],
            check=True, capture_output=True, text=True,
        ).stdout
        samples = parse_exposition(rendered, openmetrics=False)
        external = {"project": name, "instance": f"host-{i}:57374"}
        assert len({k.partition("{")[0] for k in samples}) >= 12, samples
        for key, want in samples.items():
            expr = selector(key, external)
            result = wait_until(f"{expr} in Prometheus", lambda: query(expr), 10, prom, prom_log)
            assert len(result) == 1, (expr, result)
            got = float(result[0]["value"][1])
            assert math.isclose(got, want, rel_tol=0, abs_tol=1e-9), (expr, got, want)
            labels = result[0]["metric"]
            assert labels["instance"] == external["instance"], labels
            if 'project="' not in key:
                assert labels["project"] == name, labels
        total += len(samples)
        ok(f"{name}: all {len(samples)} samples of render equal Prometheus' values, with project and instance attached")
    info = query('loki_session_info{instance="host-1:57374"}')
    assert len(info) == 1 and info[0]["metric"]["project"] == "app-1", info
    ok(f"{total} samples checked; a sample's own project label wins over --external-label project (loki_session_info: {info[0]['metric']['project']})")

    # 2. serve --remote-write during an outage of the receiver, and 3. a receiver answering 400.
    live = work / "live" / ".loki"
    sim_log = work / "sim-live.log"
    sim = spawn([bin_, "simulate", "--loki-dir", str(live), "--seed", "9", "--rate", "5", "--duration", str(OUTAGE_S + 40)], sim_log)
    wait_until("the live dashboard-state.json", lambda: (live / "dashboard-state.json").exists(), 10, sim, sim_log)

    refusing = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RefusingReceiver)
    threading.Thread(target=refusing.serve_forever, daemon=True).start()
    refusing_url = f"http://127.0.0.1:{refusing.server_address[1]}/api/v1/write"

    exporters = {}
    for label, target, queue in (("big-queue", write_url, None), ("small-queue", write_url, "100"), ("refused", refusing_url, None)):
        port = free_port()
        log = work / f"serve-{label}.log"
        args = [bin_, "serve", "--loki-dir", str(live), "--port", str(port), "--remote-write", target,
                "--remote-write-interval", "1", "--external-label", f"instance={label}", "--external-label", "project=live"]
        if queue:
            args += ["--remote-write-queue", queue]
        proc = spawn(args, log)
        wait_until(f"exporter {label}", lambda: http_get(f"http://127.0.0.1:{port}/health")[0] == 200, 10, proc, log)
        exporters[label] = (proc, port, log)

    for label in ("big-queue", "small-queue"):
        wait_until(f"{label} delivering", lambda: query(f'loki_iteration_max{{instance="{label}"}}'), 15, prom, prom_log)
    ok("serve --remote-write delivers while the receiver is up")
    samples_per_collection = len(query('{project="live",instance="big-queue"}'))

    statuses: list[int] = []
    rss: dict[str, list[int]] = {label: [] for label in exporters}
    stop_scraping = threading.Event()

    def scrape_loop():
        while not stop_scraping.is_set():
            for label, (proc, port, _) in exporters.items():
                statuses.append(http_get(f"http://127.0.0.1:{port}/metrics", timeout=5)[0])
                rss[label].append(rss_kb(proc.pid))
            time.sleep(0.5)

    scraper = threading.Thread(target=scrape_loop, daemon=True)
    scraper.start()
    refused_before = RefusingReceiver.requests
    prom.send_signal(signal.SIGTERM)
    assert prom.wait(timeout=30) == 0, prom_log.read_text()[-2000:]
    outage_start = time.time()
    time.sleep(OUTAGE_S)
    refused_during = RefusingReceiver.requests - refused_before
    outage_end = time.time()
    prom = prometheus(work, prom_port, prom_log)
    wait_until("Prometheus ready again", lambda: http_get(f"{api}/-/ready")[0] == 200, 30, prom, prom_log)

    window = f"{int(OUTAGE_S - 4)}s"
    at = outage_end - 2

    def outage_points(label: str) -> int:
        result = query(f'count_over_time(loki_iteration_max{{instance="{label}"}}[{window}])', at=at)
        return int(result[0]["value"][1]) if result else 0

    def delivered(label: str, least: int):
        return lambda: (n := outage_points(label)) >= least and n

    points = wait_until("the big queue's outage points delivered", delivered("big-queue", OUTAGE_S - 8), 30, prom, prom_log)
    ok(f"default queue: {points} points of the {window} inside the {OUTAGE_S} s outage delivered after the receiver returned")
    wait_until("the small queue delivering again", lambda: query(f'loki_iteration_max{{instance="small-queue"}}[3s]'), 20, prom, prom_log)
    small_points = outage_points("small-queue")
    # 100 samples hold at most three collections, plus the request in flight.
    assert small_points <= 4, small_points
    ok(f"--remote-write-queue 100 ({samples_per_collection} samples a collection): {small_points} points of the outage kept, the rest dropped")

    stop_scraping.set()
    scraper.join(timeout=10)
    assert statuses and all(s == 200 for s in statuses), statuses
    ok(f"GET /metrics answered 200 to all {len(statuses)} scrapes during the outage")
    for label, values in rss.items():
        growth = max(values) - values[0]
        assert growth < 16 * 1024, (label, values[0], max(values))
        ok(f"{label}: RSS {values[0] // 1024} MB at the outage's start, at most {max(values) // 1024} MB during it (+{growth} kB)")

    # Every exporter logs its counters when it stops.
    counters = {}
    for label, (proc, _, log) in exporters.items():
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0, log.read_text()[-2000:]
        text = log.read_text()
        m = re.search(r"remote write stopped.*?sent=(\d+).*?failed=(\d+).*?dropped=(\d+)", text)
        assert m, text[-2000:]
        counters[label] = tuple(map(int, m.groups()))
    sent, failed, dropped = counters["big-queue"]
    assert sent > 0 and failed == 0 and dropped == 0, counters
    ok(f"default queue: {sent} samples sent, none failed or dropped")
    sent, failed, dropped = counters["small-queue"]
    assert dropped >= (OUTAGE_S - 6) * samples_per_collection, counters
    ok(f"--remote-write-queue 100: {sent} samples sent, {dropped} dropped and counted")

    sent, failed, dropped = counters["refused"]
    assert sent == 0 and failed > 0, counters
    # One collection a second: about one request a second, never a retry storm.
    assert OUTAGE_S * 0.6 <= refused_during <= OUTAGE_S * 1.4, refused_during
    ok(f"400 receiver: {refused_during} requests in {OUTAGE_S} s at --remote-write-interval 1 (no retries), {failed} samples counted failed")
    refusal_logs = exporters["refused"][2].read_text().count("refused, not retried")
    assert refusal_logs == 1, refusal_logs
    ok("the 400 is logged once")
    refusing.shutdown()
    print("PASS remote_write")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

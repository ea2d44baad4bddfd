#!/usr/bin/env python3
"""A real Prometheus (Debian's package) scrapes the exporter every second
while `simulate` writes; its HTTP API must return what `render` computes
for every family, and rate(loki_events_total) > 0 during the writes.
`promtool check metrics` lints the live /metrics."""

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from harness import ROOT, binary, free_port, http_get, ok, spawn, wait_until

sys.path.insert(0, str(ROOT / "deploy" / "grafana"))
from generate_dashboard import QUERIES as DASHBOARD_QUERIES  # noqa: E402


def main() -> None:
    for tool in ("prometheus", "promtool"):
        if shutil.which(tool) is None:
            sys.exit(f"FAIL: {tool} not on PATH (apt-get install prometheus)")
    bin_ = binary()
    work = Path(tempfile.mkdtemp(prefix="loki-prom-"))
    loki = work / ".loki"
    exporter_port, prom_port = free_port(), free_port()

    sim_log = work / "simulate.log"
    sim = spawn([bin_, "simulate", "--loki-dir", str(loki), "--seed", "3", "--rate", "20", "--duration", "12"], sim_log)
    wait_until("the first dashboard-state.json", lambda: (loki / "dashboard-state.json").exists(), 10, sim, sim_log)

    exp_log = work / "exporter.log"
    exporter = spawn(
        [bin_, "serve", "--loki-dir", str(loki), "--port", str(exporter_port), "--cache-ttl", "0.5"],
        exp_log,
    )
    metrics_url = f"http://127.0.0.1:{exporter_port}/metrics"
    wait_until("the exporter", lambda: http_get(f"http://127.0.0.1:{exporter_port}/health")[0] == 200, 10, exporter, exp_log)

    # promtool lints the live 0.0.4 text.
    status, _, body = http_get(metrics_url)
    assert status == 200, status
    lint = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    # The guide fixes two gauge names ending in _total and Loki Mode 9.20 a third
    # (loki_receipts_total); promtool's naming lint flags exactly those. Any
    # other finding (a parse error above all) fails.
    findings = [l for l in (lint.stdout + lint.stderr).decode().splitlines() if l.strip()]
    allowed = {
        f'{name} non-counter metrics should not have "_total" suffix'
        for name in ("loki_tasks_total", "loki_agents_total", "loki_receipts_total")
    }
    unexpected = [f for f in findings if f not in allowed]
    assert not unexpected, f"promtool check metrics: {unexpected}"
    # promtool exits 1 on a parse error and 3 on lint findings only.
    assert lint.returncode in (0, 3), lint
    ok(f"promtool check metrics parses the live /metrics (naming lints only: {len(findings)})")

    config = work / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {ROOT / 'deploy' / 'prometheus' / 'loki_alerts.yml'}\n"
        "scrape_configs:\n  - job_name: loki\n    scrape_timeout: 1s\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n"
        "        labels:\n          project: demo\n"
    )
    prom_log = work / "prometheus.log"
    prom = spawn(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={work / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            "--log.level=warn",
        ],
        prom_log,
    )
    api = f"http://127.0.0.1:{prom_port}"
    wait_until("Prometheus ready", lambda: http_get(f"{api}/-/ready")[0] == 200, 30, prom, prom_log)

    def query(expr: str) -> list:
        status, _, body = http_get(f"{api}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        if status != 200:
            raise ValueError(f"query {expr!r}: HTTP {status}")
        return json.loads(body)["data"]["result"]

    wait_until("up{job='loki'} == 1", lambda: query('up{job="loki"} == 1'), 20, prom, prom_log)
    ok("Prometheus scrapes the exporter (up == 1)")
    wait_until("rate(loki_events_total[5s]) > 0 while simulate writes", lambda: query("rate(loki_events_total[5s]) > 0"), 20, prom, prom_log)
    assert sim.poll() is None, "simulate ended before the rate was seen"
    ok("rate(loki_events_total[5s]) > 0 while simulate writes")
    assert query('loki_session_status == 1'), "session should be running while simulate writes"
    ok("loki_session_status is 1 while the session runs")

    # Every Grafana panel's query returns data (with $project = the target's label).
    for title, expr in DASHBOARD_QUERIES.items():
        concrete = expr.replace("$project", "demo").replace("$__rate_interval", "5s")
        result = wait_until(f"data for the dashboard panel {title!r}", lambda: query(concrete), 10, prom, prom_log)
        ok(f"dashboard panel {title!r}: {concrete} -> {len(result)} series")
    status_by_task = {r["metric"]["status"] for r in query(DASHBOARD_QUERIES["Task Distribution"].replace("$project", "demo"))}
    assert status_by_task == {"pending", "in_progress", "completed", "failed"}, status_by_task

    # The alert rules load in this Prometheus (evaluated below: the group runs every 30 s).
    def rules() -> list:
        return [r for g in json.loads(http_get(f"{api}/api/v1/rules")[2])["data"]["groups"] for r in g["rules"]]

    loaded = rules()
    assert len(loaded) == 10 and all(r["health"] in ("ok", "unknown") for r in loaded), loaded
    ok("deploy/prometheus/loki_alerts.yml: 10 rules loaded")

    # After the session ends the directory is still; Prometheus must converge on render's values.
    assert sim.wait(timeout=30) == 0, sim_log.read_text()
    expected = json.loads(
        subprocess.run([bin_, "render", "--loki-dir", str(loki), "--format", "json", "-q"], check=True, capture_output=True).stdout
    )
    want = {
        "loki_session_status": 0,
        "loki_iteration_current": expected["iteration_current"],
        "loki_iteration_max": expected["iteration_max"],
        'loki_tasks_total{status="pending"}': expected["tasks"]["pending"],
        'loki_tasks_total{status="in_progress"}': expected["tasks"]["in_progress"],
        'loki_tasks_total{status="completed"}': expected["tasks"]["completed"],
        'loki_tasks_total{status="failed"}': expected["tasks"]["failed"],
        "loki_agents_active": expected["agents_active"],
        "loki_agents_total": expected["agents_total"],
        "loki_cost_usd": expected["cost_usd"],
        "loki_events_total": expected["events_total"],
    }
    assert expected["events_total"] > 0 and expected["cost_usd"] > 0 and expected["iteration_current"] > 1, expected

    def converged():
        got = {}
        for expr in want:
            result = query(expr)
            if len(result) != 1:
                return False
            got[expr] = float(result[0]["value"][1])
        return got if all(abs(got[k] - float(v)) < 1e-9 for k, v in want.items()) else False

    got = wait_until("Prometheus values equal render's for every family", converged, 20, prom, prom_log)
    for expr, value in got.items():
        ok(f"{expr} = {value:g}")
    uptime = query("loki_uptime_seconds")
    assert len(uptime) == 1 and float(uptime[0]["value"][1]) > 0, uptime
    ok(f"loki_uptime_seconds = {uptime[0]['value'][1]} (> 0)")
    wait_until("every alert rule evaluated without error", lambda: all(r["health"] == "ok" for r in rules()), 40, prom, prom_log)
    ok("every alert rule evaluated without error (health ok)")
    print("PASS prometheus_scrape")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

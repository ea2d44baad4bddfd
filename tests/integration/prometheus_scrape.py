#!/usr/bin/env python3
"""A real Prometheus (Debian's package) scrapes the exporter every second
while `simulate` writes; its HTTP API must return what `render` computes
for every family, and rate(loki_events_total) > 0 during the writes.
`promtool check metrics` lints the live /metrics.

Then the directory gets the Loki Mode 9.x sources `simulate` does not write
(yet): a budget, Evidence Receipts, a checklist, cache tokens, session
metadata and a live loki.pid. Every family's value in Prometheus must equal
`render`'s for the same directory, and every query of the Grafana dashboard
(read from the generated JSON) and of docs/operations.md must return data."""

import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

from harness import ROOT, binary, free_port, http_get, ok, parse_exposition, promql, spawn, start_prometheus, wait_until

DASHBOARD = ROOT / "deploy" / "grafana" / "loki-mode-dashboard.json"
OPERATIONS = ROOT / "docs" / "operations.md"
METRICS_REFERENCE = ROOT / "docs" / "metrics.md"
# Target labels of the scrape config below: a sample label of the same name
# arrives in Prometheus as exported_<name> (honor_labels is false).
TARGET_LABELS = {"job", "instance", "project"}


def write_json(path: Path, value) -> None:
    """Writes as Loki Mode does: a temporary file renamed over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(value))
    os.replace(tmp, path)


def add_loki_9x_sources(loki: Path, pid: int) -> None:
    """Adds, in Loki Mode 9.x shapes (docs/sources.md), every source of the
    new families that `simulate` left out; what it wrote is kept."""
    if not (loki / "metrics" / "budget.json").exists():
        write_json(loki / "metrics" / "budget.json", {"limit": 5, "budget_limit": 5, "budget_used": 1.2, "exceeded": False})
    if not any((loki / "proofs").glob("*/proof.json")):
        write_json(
            loki / "proofs" / "run-1" / "proof.json",
            {"honesty": {"headline": "VERIFIED"}, "verification": {"hash": "x", "attestation": {"a": 1}}},
        )
        write_json(
            loki / "proofs" / "run-2" / "proof.json",
            {"honesty": {"headline": "VERIFIED WITH GAPS"}, "verification": {"hash": "y", "gpg_signature": "sig"}},
        )
    if not (loki / "checklist" / "checklist.json").exists():
        write_json(loki / "checklist" / "checklist.json", {"summary": {"total": 3, "verified": 1, "failing": 1, "pending": 1}})
    efficiency = loki / "metrics" / "efficiency"
    records = [json.loads(f.read_text()) for f in efficiency.glob("*.json")]
    if not any(r.get("cache_read_tokens") and r.get("cache_creation_tokens") for r in records):
        numbers = [int(m.group(1)) for f in efficiency.glob("iteration-*.json") if (m := re.fullmatch(r"iteration-(\d+)\.json", f.name))]
        n = max(numbers, default=0) + 1
        write_json(
            efficiency / f"iteration-{n}.json",
            {
                "iteration": n,
                "model": "claude-fable-5",
                "input_tokens": 1200,
                "output_tokens": 800,
                "cache_read_tokens": 50000,
                "cache_creation_tokens": 4000,
                "cost_usd": 0.142,
            },
        )
    state_path = loki / "dashboard-state.json"
    state = json.loads(state_path.read_text())
    state.setdefault("version", "9.20.0")
    state.setdefault("provider", "claude")
    state.setdefault("phase", "DEVELOPMENT")
    if not isinstance(state.get("project"), dict) or not state["project"].get("name"):
        state["project"] = {"name": "ops-kit-demo", "path": str(loki.parent)}
    state["mode"] = "autonomous"
    state["timestamp"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    write_json(state_path, state)
    (loki / "loki.pid").write_text(f"{pid}\n")


def default_families() -> set[str]:
    """The default families of docs/metrics.md (generated from the core's catalogue)."""
    reference = METRICS_REFERENCE.read_text().split("## Exporter families")[0]
    return set(re.findall(r"^\| `(loki_\w+)` \|", reference, re.M))


def promql_blocks(markdown: str) -> list[str]:
    return [block.strip() for block in re.findall(r"^```promql\n(.*?)^```", markdown, re.M | re.S)]


def dashboard_queries(board: dict) -> list[tuple[str, str]]:
    return [(panel["title"], target["expr"]) for panel in board["panels"] for target in panel["targets"]]


def substitute(expr: str, project: str) -> str:
    """The query Grafana sends: its variables replaced by their values."""
    concrete = (
        expr.replace("${datasource}", "prometheus")
        .replace("$datasource", "prometheus")
        .replace("$project", project)
        .replace("$__rate_interval", "5s")
    )
    assert "$" not in concrete, f"a variable the test does not know in {expr!r}"
    return concrete


def selector(key: str) -> str:
    """`name{a="b"}` of parse_exposition as a PromQL selector, target-label
    collisions renamed the way Prometheus renames them."""
    name, _, labels = key.partition("{")
    pairs = re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels)
    renamed = [(f"exported_{k}" if k in TARGET_LABELS else k, v) for k, v in pairs]
    return name + ("{" + ",".join(f'{k}="{v}"' for k, v in renamed) + "}" if renamed else "")


def main() -> None:
    for tool in ("prometheus", "promtool"):
        if shutil.which(tool) is None:
            sys.exit(f"FAIL: {tool} not on PATH (apt-get install prometheus)")
    bin_ = binary()
    work = Path(tempfile.mkdtemp(prefix="loki-prom-"))
    loki = work / ".loki"
    exporter_port = free_port()

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
    prom, prom_log, api = start_prometheus(config, work)

    def query(expr: str) -> list:
        return promql(api, expr)

    wait_until("up{job='loki'} == 1", lambda: query('up{job="loki"} == 1'), 20, prom, prom_log)
    ok("Prometheus scrapes the exporter (up == 1)")
    wait_until("rate(loki_events_total[5s]) > 0 while simulate writes", lambda: query("rate(loki_events_total[5s]) > 0"), 20, prom, prom_log)
    assert sim.poll() is None, "simulate ended before the rate was seen"
    ok("rate(loki_events_total[5s]) > 0 while simulate writes")
    assert query('loki_session_status == 1'), "session should be running while simulate writes"
    ok("loki_session_status is 1 while the session runs")

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

    def converged(want: dict):
        """A check for wait_until: each selector has one series, of the wanted value."""

        def check():
            got = {}
            for expr in want:
                result = query(expr)
                if len(result) != 1:
                    return False
                got[expr] = float(result[0]["value"][1])
            return got if all(math.isclose(got[k], float(v), rel_tol=0, abs_tol=1e-9) for k, v in want.items()) else False

        return check

    got = wait_until("Prometheus values equal render's for every family", converged(want), 20, prom, prom_log)
    for expr, value in got.items():
        ok(f"{expr} = {value:g}")
    uptime = query("loki_uptime_seconds")
    assert len(uptime) == 1 and float(uptime[0]["value"][1]) == 0, uptime
    ok("loki_uptime_seconds = 0 once the session stopped")

    # A Loki Mode 9.x directory: every source of the new families, alive by
    # loki.pid (the exporter's own PID: a process that surely lives).
    add_loki_9x_sources(loki, exporter.pid)
    rendered = subprocess.run(
        [bin_, "render", "--loki-dir", str(loki), "--format", "prometheus", "-q"], check=True, capture_output=True, text=True
    ).stdout
    samples = parse_exposition(rendered, openmetrics=False)
    present = {key.partition("{")[0] for key in samples}
    families = default_families()
    assert len(families) >= 19 and families <= present, f"render has no sample of {sorted(families - present)}"
    # Everything but the uptime stands still now; the uptime grows with the
    # loki.pid's age.
    want_9x = {selector(key): value for key, value in samples.items() if not key.startswith("loki_uptime_seconds")}
    info_key = next(key for key in samples if key.startswith("loki_session_info"))
    assert all(f'{label}="' in info_key for label in ("version", "provider", "phase", "project")), info_key

    got = wait_until("Prometheus values equal render's for the Loki Mode 9.x directory", converged(want_9x), 20, prom, prom_log)
    for expr, value in got.items():
        ok(f"{expr} = {value!r}")
    info = query(selector(info_key))[0]["metric"]
    project_name = re.search(r'project="([^"]*)"', info_key).group(1)
    assert info["project"] == "demo" and info["exported_project"] == project_name, info
    ok("loki_session_info: Loki Mode's project arrives as exported_project, next to the target's project")
    uptime = query("loki_uptime_seconds")
    assert len(uptime) == 1 and float(uptime[0]["value"][1]) > 0, uptime
    ok(f"loki_uptime_seconds = {uptime[0]['value'][1]} (> 0, alive by loki.pid)")

    # Every query of the generated dashboard returns data, with $project set
    # to the target's label and to Grafana's "All" (.*).
    board = json.loads(DASHBOARD.read_text())
    project_query = next(v for v in board["templating"]["list"] if v["name"] == "project")["query"]
    metric, label = re.fullmatch(r"label_values\((\w+), (\w+)\)", project_query["query"] if isinstance(project_query, dict) else project_query).groups()
    status, _, body = http_get(f"{api}/api/v1/label/{label}/values?" + urllib.parse.urlencode({"match[]": metric}))
    assert status == 200 and "demo" in json.loads(body)["data"], body
    ok(f"dashboard variable $project: label_values({metric}, {label}) includes demo")

    def returns_finite_data(expr):
        result = query(expr)
        return result if result and all(math.isfinite(float(r["value"][1])) for r in result) else False

    queries = dashboard_queries(board)
    assert len(queries) >= 17, queries
    for title, expr in queries:
        for project in ("demo", ".*"):
            concrete = substitute(expr, project)
            result = wait_until(f"data for the dashboard panel {title!r}: {concrete}", lambda: returns_finite_data(concrete), 10, prom, prom_log)
        ok(f"dashboard panel {title!r}: {concrete} -> {len(result)} series")
    tasks = substitute(next(e for t, e in queries if t == "Task Distribution"), "demo")
    assert {r["metric"]["status"] for r in query(tasks)} == {"pending", "in_progress", "completed", "failed"}

    # Every query docs/operations.md shows returns data.
    documented = promql_blocks(OPERATIONS.read_text())
    assert len(documented) >= 10, documented
    for expr in documented:
        result = wait_until(f"data for the docs/operations.md query {expr!r}", lambda: returns_finite_data(expr), 10, prom, prom_log)
        ok(f"docs/operations.md: {' '.join(expr.split())} -> {len(result)} series")
    wait_until("every alert rule evaluated without error", lambda: all(r["health"] == "ok" for r in rules()), 40, prom, prom_log)
    ok("every alert rule evaluated without error (health ok)")
    print("PASS prometheus_scrape")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A real Prometheus (Debian's package) scrapes one exporter serving three
projects from Loki Mode's registry, with the two shipped fleet configs at
once: deploy/prometheus/prometheus-fleet.yml (one target, honor_labels) and
prometheus-fleet-targets.yml (one target per project, discovered from the
exporter's /api/v1/targets and scraped as /metrics?project=NAME).

In both jobs, every sample of every project has the value `render` prints for
the same registry; every Grafana dashboard query returns data for each
project; a project added to the registry becomes a new target by itself;
`push --projects` delivers the same samples by remote write."""

import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from harness import ROOT, binary, free_port, http_get, ok, parse_exposition, promql, spawn, start_prometheus, wait_until
from prometheus_scrape import DASHBOARD, dashboard_queries, substitute

DEPLOY = ROOT / "deploy" / "prometheus"
JOBS = ("loki-mode-fleet", "loki-mode-projects")


def write_registry(path: Path, projects: dict[str, tuple[Path, str | None]]) -> None:
    """Loki Mode's ~/.loki/dashboard/projects.json, written as it writes it."""
    doc = {
        "version": "1.0",
        "projects": {
            name: {"id": name, "path": str(project_dir), "name": name, "alias": alias, "status": "running",
                   "pid": None, "registered_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:00:00Z"}
            for name, (project_dir, alias) in projects.items()
        },
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc))
    tmp.replace(path)


def shipped_config(exporter: str, work: Path) -> str:
    """The two shipped fleet configs as one, pointed at the test's exporter,
    with test-speed intervals."""
    scrape_configs = []
    for name in ("prometheus-fleet.yml", "prometheus-fleet-targets.yml"):
        config = yaml.safe_load((DEPLOY / name).read_text().replace("localhost:57374", exporter))
        for job in config["scrape_configs"]:
            job["scrape_interval"] = "1s"
            job["scrape_timeout"] = "1s"
            for sd in job.get("http_sd_configs", []):
                sd["refresh_interval"] = "1s"
            scrape_configs.append(job)
    assert [j["job_name"] for j in scrape_configs] == list(JOBS), scrape_configs
    return yaml.safe_dump({"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                           "rule_files": [str(DEPLOY / "loki_alerts.yml")], "scrape_configs": scrape_configs})


def main() -> None:
    if shutil.which("prometheus") is None:
        sys.exit("FAIL: prometheus not on PATH (apt-get install prometheus)")
    bin_ = binary()
    work = Path(tempfile.mkdtemp(prefix="loki-fleet-prom-"))
    projects: dict[str, tuple[Path, str | None]] = {}
    for i, (name, alias) in enumerate([("alpha", None), ("beta", "the-beta"), ("gamma", None)]):
        project_dir = work / name
        subprocess.run([bin_, "simulate", "--loki-dir", str(project_dir / ".loki"), "--seed", str(i + 1),
                        "--rate", "50", "--duration", "2"], check=True, capture_output=True)
        projects[name] = (project_dir, alias)
    registry = work / "projects.json"
    write_registry(registry, {k: v for k, v in projects.items() if k != "gamma"})

    exporter_port = free_port()
    exp_log = work / "exporter.log"
    exporter = spawn([bin_, "serve", "--projects", str(registry), "--port", str(exporter_port), "--cache-ttl", "0.5"], exp_log)
    wait_until("the exporter", lambda: http_get(f"http://127.0.0.1:{exporter_port}/health")[0] == 200, 10, exporter, exp_log)

    config = work / "prometheus.yml"
    config.write_text(shipped_config(f"127.0.0.1:{exporter_port}", work))
    prom, prom_log, api = start_prometheus(config, work, "--web.enable-remote-write-receiver")

    def query(expr: str) -> list:
        return promql(api, expr)

    def targets_up(job: str, n: int):
        return lambda: len(query(f'up{{job="{job}"}} == 1')) == n

    wait_until("the fleet target up", targets_up("loki-mode-fleet", 1), 20, prom, prom_log)
    wait_until("two project targets up", targets_up("loki-mode-projects", 2), 20, prom, prom_log)
    ok("both jobs scrape the exporter: one fleet target, one target per registered project")

    # gamma joins the registry: a new target, without touching Prometheus.
    write_registry(registry, projects)
    wait_until("the third project as a target", targets_up("loki-mode-projects", 3), 20, prom, prom_log)
    ok("a project added to the registry became a target through /api/v1/targets")

    rendered = subprocess.run([bin_, "render", "--projects", str(registry), "-q"], check=True, capture_output=True,
                              text=True).stdout
    samples = {k: v for k, v in parse_exposition(rendered, openmetrics=False).items()
               if not k.startswith("loki_uptime_seconds")}
    names = {"alpha", "the-beta", "gamma"}
    assert {k.split('project="')[1].split('"')[0] for k in samples} == names, sorted(samples)[:5]

    def converged(job: str):
        def check():
            for key, value in samples.items():
                name, _, labels = key.partition("{")
                result = query(f'{name}{{job="{job}",{labels}')
                if len(result) != 1 or not math.isclose(float(result[0]["value"][1]), value, abs_tol=1e-9):
                    return False
            return True
        return check

    for job in JOBS:
        wait_until(f"every sample of every project in job {job} equal to render's", converged(job), 30, prom, prom_log)
        ok(f"{job}: all {len(samples)} samples of the 3 projects equal render's values")

    board = json.loads(DASHBOARD.read_text())
    queries = dashboard_queries(board)
    for project in sorted(names):
        for title, expr in queries:
            concrete = substitute(expr, project)
            result = wait_until(f"data for {title!r} of {project}", lambda: query(concrete), 10, prom, prom_log)
            assert all(r["metric"].get("project", project) == project for r in result), (title, result)
        ok(f"every dashboard panel returns data for $project={project}")
    values = json.loads(http_get(f"{api}/api/v1/label/project/values?match[]=loki_session_status")[2])["data"]
    assert set(values) == names, values
    ok(f"dashboard variable $project: label_values(loki_session_status, project) = {sorted(values)}")

    # push sends the same fleet, every project labelled, through remote write.
    subprocess.run([bin_, "push", "--projects", str(registry), "--remote-write", f"{api}/api/v1/write",
                    "--external-label", "via=push", "-q"], check=True, capture_output=True)
    for key, value in samples.items():
        name, _, labels = key.partition("{")
        result = query(f'{name}{{via="push",{labels}')
        assert len(result) == 1 and math.isclose(float(result[0]["value"][1]), value, abs_tol=1e-9), (key, value, result)
    ok(f"push --projects: all {len(samples)} samples of the 3 projects arrived by remote write, labelled project")
    print("PASS fleet_prometheus")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The operations kit under deploy/ is checked by the real tools."""

import pathlib
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

DEPLOY = ROOT / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
ALERTS = [
    "LokiSessionDown",
    "LokiBudgetWarning",
    "LokiBudgetCritical",
    "LokiBudgetExceeded",
    "LokiStagnation",
    "LokiHighFailureRate",
    "LokiTooManyAgents",
    "LokiReceiptsStopped",
    "LokiReceiptsUnknownVerdict",
    "LokiStateStale",
]


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, **kw)


@pytest.mark.parametrize("name", ["prometheus-basic.yml", "prometheus-tls.yml", "prometheus-fleet.yml", "prometheus-fleet-targets.yml"])
def test_scrape_config_passes_promtool_check_config(name):
    proc = run("promtool", "check", "config", PROMETHEUS / name)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bearer_token_config_passes_promtool_syntax_check():
    # The token and CA files it names exist only on the Prometheus host, so
    # promtool checks the syntax and leaves out the referenced files.
    proc = run("promtool", "check", "config", "--syntax-only", PROMETHEUS / "prometheus-bearer.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_kubernetes_config_passes_promtool_apart_from_the_discovery_debian_leaves_out(tmp_path):
    source = (PROMETHEUS / "prometheus-kubernetes.yml").read_text()
    proc = run("promtool", "check", "config", PROMETHEUS / "prometheus-kubernetes.yml")
    if proc.returncode == 0:
        return  # a promtool with Kubernetes discovery checked the whole file
    # Debian's prometheus 2.42 is built without Kubernetes service discovery.
    assert "field kubernetes_sd_configs not found" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    # Everything else (relabel rules, regexes, structure) is still checked, with the
    # discovery block swapped for a static target.
    block = "    kubernetes_sd_configs:\n      - role: pod\n        namespaces:\n          names:\n            - loki\n"
    assert block in source
    swapped = tmp_path / "k8s.yml"
    swapped.write_text(source.replace(block, '    static_configs:\n      - targets: ["10.0.0.1:57374"]\n'))
    proc = run("promtool", "check", "config", swapped)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_alert_rules_pass_promtool_check_rules():
    proc = run("promtool", "check", "rules", PROMETHEUS / "loki_alerts.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 10 rules found" in proc.stdout


def test_every_alert_fires_when_it_should_and_stays_silent_when_it_should_not():
    proc = run("promtool", "test", "rules", "loki_alerts_test.yml", cwd=PROMETHEUS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tested = (PROMETHEUS / "loki_alerts_test.yml").read_text()
    for alert in ALERTS:
        assert f"alertname: {alert}\n" in tested, f"{alert} has no promtool test"


def test_every_alert_has_a_case_that_fires_and_one_that_stays_silent():
    import yaml

    cases = yaml.safe_load((PROMETHEUS / "loki_alerts_test.yml").read_text())["tests"]
    checks = [c for t in cases for c in t.get("alert_rule_test", [])]
    for alert in ALERTS:
        mine = [c for c in checks if c["alertname"] == alert]
        assert any(c["exp_alerts"] for c in mine), f"{alert}: no case where it fires"
        assert any(not c["exp_alerts"] for c in mine), f"{alert}: no case where it stays silent"


def test_the_guides_failure_ratio_would_have_failed_the_rule_tests(tmp_path):
    """The rule tests can fail: with the guide's expression, LokiHighFailureRate never fires."""
    rules = (PROMETHEUS / "loki_alerts.yml").read_text()
    fixed = 'sum without (status) (loki_tasks_total{status="failed"})\n            / sum without (status) (loki_tasks_total)\n          > 0.1'
    assert fixed in rules
    (tmp_path / "loki_alerts.yml").write_text(rules.replace(fixed, 'loki_tasks_total{status="failed"} / sum(loki_tasks_total) > 0.1'))
    shutil.copy(PROMETHEUS / "loki_alerts_test.yml", tmp_path)
    proc = run("promtool", "test", "rules", "loki_alerts_test.yml", cwd=tmp_path)
    assert proc.returncode != 0
    assert "LokiHighFailureRate" in proc.stdout + proc.stderr


def test_yaml_files_pass_yamllint():
    proc = run(sys.executable, "-m", "yamllint", "-c", ROOT / ".yamllint.yml", DEPLOY)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_datadog_check_maps_every_default_family():
    import re

    import yaml

    reference = (ROOT / "docs" / "metrics.md").read_text().split("## Exporter families")[0]
    families = re.findall(r"^\| `(loki_\w+)` \| (\w+) \|", reference, re.M)
    assert len(families) >= 19, families
    instance = yaml.safe_load((DEPLOY / "datadog" / "loki_mode.yaml").read_text())["instances"][0]
    mapped = {name for entry in instance["metrics"] for name in entry}
    # The Agent names a counter without its _total suffix; it reads the 0.0.4
    # text, where an info family is a gauge that keeps its _info name.
    expected = {name.removesuffix("_total") if kind == "counter" else name for name, kind in families}
    assert expected == mapped, (expected - mapped, mapped - expected)


def test_kubernetes_sidecar_shares_the_process_namespace_so_the_pid_probe_sees_loki_mode():
    import yaml

    documents = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "loki-mode-sidecar.yaml").read_text()))
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["shareProcessNamespace"] is True
    names = {c["name"] for c in pod["containers"]}
    assert {"loki-mode", "loki-metrics"} <= names, names


def test_kubernetes_sidecar_runs_the_image_scripts_dist_builds_as_its_user():
    import re

    import yaml

    documents = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "loki-mode-sidecar.yaml").read_text()))
    pod = next(d for d in documents if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    exporter = next(c for c in pod["containers"] if c["name"] == "loki-metrics")
    version = re.search(r'^version = "(.*)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)
    image = re.search(r"^IMAGE=(.*)$", (ROOT / "scripts" / "dist-lib.sh").read_text(), re.M).group(1)
    assert exporter["image"] == image.replace("$VERSION", version)
    containerfile = (ROOT / "Containerfile").read_text()
    assert re.search(r"^USER (\d+):(\d+)$", containerfile, re.M).groups() == (str(pod["securityContext"]["runAsUser"]),) * 2
    assert "LOKI_METRICS_PORT=57374" in containerfile and exporter["ports"][0]["containerPort"] == 57374


def test_grafana_dashboard_json_is_generated_from_the_sdk_and_fresh():
    proc = run(sys.executable, DEPLOY / "grafana" / "generate_dashboard.py", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_grafana_dashboard_has_the_guides_seven_panels_the_9x_panels_and_both_variables():
    import json

    board = json.loads((DEPLOY / "grafana" / "loki-mode-dashboard.json").read_text())
    panels = {p["title"]: p for p in board["panels"]}
    guide = {"Session Status", "Iteration Progress", "Task Distribution", "Active Agents", "Cost", "Event Rate", "Uptime"}
    loki_9x = {
        "Budget",
        "Budget Used",
        "Budget Exceeded",
        "Spend by Model",
        "Tokens by Kind",
        "Receipts by Verdict",
        "Receipts with Provenance",
        "State Age",
    }
    assert set(panels) == guide | loki_9x
    assert [v["name"] for v in board["templating"]["list"]] == ["datasource", "project"]
    status = panels["Session Status"]
    assert status["type"] == "stat"
    mapping = status["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert {k: (v["text"], v["color"]) for k, v in mapping.items()} == {"0": ("Stopped", "red"), "1": ("Running", "green"), "2": ("Paused", "yellow")}
    assert panels["Iteration Progress"]["type"] == "gauge"
    assert panels["Iteration Progress"]["fieldConfig"]["defaults"]["unit"] == "percent"
    assert panels["Task Distribution"]["type"] == "piechart"
    assert panels["Task Distribution"]["targets"][0]["legendFormat"] == "{{status}}"
    assert panels["Cost"]["fieldConfig"]["defaults"]["unit"] == "currencyUSD"
    assert panels["Cost"]["fieldConfig"]["defaults"]["decimals"] == 2
    assert panels["Uptime"]["fieldConfig"]["defaults"]["unit"] == "s"
    assert panels["Event Rate"]["type"] == "timeseries"
    assert "rate(loki_events_total" in panels["Event Rate"]["targets"][0]["expr"]
    # Per minute, as the README's query: the expression, the unit and the description agree.
    assert panels["Event Rate"]["targets"][0]["expr"].endswith(" * 60")
    assert panels["Event Rate"]["fieldConfig"]["defaults"]["unit"] == "opm"
    assert "per minute" in panels["Event Rate"]["description"]
    budget = [t["expr"] for t in panels["Budget"]["targets"]]
    assert budget == ['loki_cost_usd{project=~"$project"}', 'loki_budget_limit_usd{project=~"$project"}'], budget
    assert panels["Budget Used"]["fieldConfig"]["defaults"]["unit"] == "percentunit"
    assert "group_left() loki_budget_limit_usd" in panels["Budget Used"]["targets"][0]["expr"]
    assert "loki_budget_exceeded" in panels["Budget Exceeded"]["targets"][0]["expr"]
    assert panels["Spend by Model"]["targets"][0]["legendFormat"] == "{{model}}"
    assert "rate(loki_tokens_total" in panels["Tokens by Kind"]["targets"][0]["expr"]
    assert panels["Tokens by Kind"]["targets"][0]["legendFormat"] == "{{kind}}"
    assert panels["Receipts by Verdict"]["targets"][0]["legendFormat"] == "{{verdict}}"
    assert "loki_receipts_with_provenance" in panels["Receipts with Provenance"]["targets"][0]["expr"]
    for p in board["panels"]:
        assert p["datasource"]["uid"] == "${datasource}", p["title"]
        for target in p["targets"]:
            assert 'project=~"$project"' in target["expr"], p["title"]


def test_grafana_panels_have_unique_ids_and_name_each_session_in_their_legends():
    """Several sessions on one dashboard can be told apart: a target that keeps
    one series per session (no aggregation) has a legend naming the instance,
    and every panel has its own id (links to a panel survive provisioning)."""
    import json

    board = json.loads((DEPLOY / "grafana" / "loki-mode-dashboard.json").read_text())
    ids = [p.get("id") for p in board["panels"]]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == len(ids), ids
    for p in board["panels"]:
        for target in p["targets"]:
            if not target["expr"].startswith("sum"):
                assert "{{instance}}" in target.get("legendFormat", ""), (p["title"], target)
                assert "{{project}}" in target["legendFormat"], (p["title"], target)

"""Generates deploy/grafana/loki-mode-dashboard.json with grafana-foundation-sdk.

    python deploy/grafana/generate_dashboard.py          # rewrite the JSON
    python deploy/grafana/generate_dashboard.py --check  # exit 1 if it is stale

The seven panels of the metrics guide, then the Loki Mode 9.x families
(budget, spend by model, tokens by kind, Evidence Receipts, state age), with
two template variables: `$datasource` (any Prometheus data source) and
`$project` (the `project` target label of
deploy/prometheus/prometheus-basic.yml, or the label every sample of an
exporter serving several projects carries with prometheus-fleet.yml and
prometheus-fleet-targets.yml; "All" matches series without it too).
tests/integration/fleet_prometheus.py runs every query for each project of a
three-project exporter.
tests/integration/prometheus_scrape.py runs every query of the generated JSON
against a real Prometheus scraping the exporter.
"""

import json
import pathlib
import sys

from grafana_foundation_sdk.builders import bargauge, dashboard, gauge, piechart, prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.piechart import PieChartLegendValues
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    DynamicConfigValue,
    MappingType,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableRefresh,
)

OUTPUT = pathlib.Path(__file__).with_name("loki-mode-dashboard.json")
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
SELECTOR = 'project=~"$project"'
# The legend of a series per session: the instance tells every scraped
# session apart (two on one host differ in port), the project target label
# names it when it has one (missing, it renders empty, hence last).
SESSION = "{{instance}} {{project}}"


def sel(metric):
    """`metric` limited to the selected projects."""
    return f"{metric}{{{SELECTOR}}}"


# Every panel's queries, in panel order.
QUERIES = {
    "Session Status": sel("loki_session_status"),
    "Iteration Progress": f"{sel('loki_iteration_current')} / {sel('loki_iteration_max')} * 100",
    "Task Distribution": f"sum by (status) ({sel('loki_tasks_total')})",
    "Active Agents": sel("loki_agents_active"),
    "Cost": sel("loki_cost_usd"),
    # Per minute, as the README's (and the metrics guide's) `rate(loki_events_total[5m]) * 60`.
    "Event Rate": f"rate({sel('loki_events_total')}[$__rate_interval]) * 60",
    "Uptime": sel("loki_uptime_seconds"),
    "Budget": [sel("loki_cost_usd"), sel("loki_budget_limit_usd")],
    # Matched on job/instance, keeping the left side's labels (as the alerts do).
    "Budget Used": f"{sel('loki_cost_usd')} / on(job, instance, project) group_left() {sel('loki_budget_limit_usd')}",
    "Budget Exceeded": sel("loki_budget_exceeded"),
    "Spend by Model": f"sum by (model) ({sel('loki_model_cost_usd')})",
    "Tokens by Kind": f"sum by (kind) (rate({sel('loki_tokens_total')}[$__rate_interval]))",
    "Receipts by Verdict": f"sum by (verdict) ({sel('loki_receipts_by_verdict')})",
    "Receipts with Provenance": [
        f"sum by (kind) ({sel('loki_receipts_with_provenance')})",
        f"sum({sel('loki_receipts_total')})",
    ],
    "State Age": f"time() - {sel('loki_state_updated_timestamp_seconds')}",
}


def query(title, legend=None, instant=False, index=0):
    exprs = QUERIES[title]
    expr = exprs[index] if isinstance(exprs, list) else exprs
    q = prometheus.Dataquery().expr(expr).ref_id("ABCD"[index])
    if legend:
        q = q.legend_format(legend)
    if instant:
        q = q.instant()
    return q


def fixed_color(color):
    return [DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": color})]


def thresholds(*steps):
    return dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
        [Threshold(value=v, color=c) for v, c in steps]
    )


def last_value():
    return ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def build():
    status_mapping = ValueMap(
        options={
            "0": ValueMappingResult(text="Stopped", color="red", index=0),
            "1": ValueMappingResult(text="Running", color="green", index=1),
            "2": ValueMappingResult(text="Paused", color="yellow", index=2),
        }
    )
    status_mapping.type_val = MappingType.VALUE_TO_TEXT
    exceeded_mapping = ValueMap(
        options={
            "0": ValueMappingResult(text="Within budget", color="green", index=0),
            "1": ValueMappingResult(text="Exceeded", color="red", index=1),
        }
    )
    exceeded_mapping.type_val = MappingType.VALUE_TO_TEXT

    builder = (
        dashboard.Dashboard("Loki Mode")
        .uid("loki-mode")
        .tags(["loki-mode", "loki-metrics"])
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(
            dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus")
        )
        .with_variable(
            dashboard.QueryVariable("project")
            .label("Project")
            .datasource(DATASOURCE)
            .query("label_values(loki_session_status, project)")
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
            .include_all(True)
            .all_value(".*")
            .multi(True)
        )
        .with_panel(
            stat.Panel()
            .title("Session Status")
            .datasource(DATASOURCE)
            .with_target(query("Session Status", SESSION))
            .mappings([status_mapping])
            .thresholds(thresholds((None, "red"), (1, "green"), (2, "yellow")))
            .color_mode(common.BigValueColorMode.BACKGROUND)
            .reduce_options(last_value())
            .span(6)
            .height(5)
        )
        .with_panel(
            gauge.Panel()
            .title("Iteration Progress")
            .datasource(DATASOURCE)
            .with_target(query("Iteration Progress", SESSION))
            .unit("percent")
            .min(0)
            .max(100)
            .thresholds(thresholds((None, "yellow"), (50, "green")))
            .reduce_options(last_value())
            .span(6)
            .height(5)
        )
        .with_panel(
            stat.Panel()
            .title("Cost")
            .datasource(DATASOURCE)
            .with_target(query("Cost", SESSION))
            .unit("currencyUSD")
            .decimals(2)
            .thresholds(thresholds((None, "green"), (4, "orange"), (4.5, "red")))
            .reduce_options(last_value())
            .span(6)
            .height(5)
        )
        .with_panel(
            stat.Panel()
            .title("Uptime")
            .datasource(DATASOURCE)
            .with_target(query("Uptime", SESSION))
            .unit("s")
            .reduce_options(last_value())
            .span(6)
            .height(5)
        )
        .with_panel(
            piechart.Panel()
            .title("Task Distribution")
            .datasource(DATASOURCE)
            .with_target(query("Task Distribution", "{{status}}", instant=True))
            .reduce_options(last_value())
            .legend(piechart.PieChartLegendOptions().show_legend(True).display_mode(common.LegendDisplayMode.LIST).placement(common.LegendPlacement.RIGHT).values([]))
            .span(8)
            .height(9)
        )
        .with_panel(
            timeseries.Panel()
            .title("Active Agents")
            .datasource(DATASOURCE)
            .with_target(query("Active Agents", SESSION))
            .min(0)
            .span(8)
            .height(9)
        )
        .with_panel(
            timeseries.Panel()
            .title("Event Rate")
            .description("Events per minute appended to events.jsonl: rate(loki_events_total[$__rate_interval]) * 60")
            .datasource(DATASOURCE)
            .with_target(query("Event Rate", SESSION))
            .unit("opm")
            .min(0)
            .span(8)
            .height(9)
        )
        .with_panel(
            timeseries.Panel()
            .title("Budget")
            .description("Estimated cost against the session's budget (metrics/budget.json or LOKI_BUDGET_LIMIT)")
            .datasource(DATASOURCE)
            .with_target(query("Budget", f"cost {SESSION}"))
            .with_target(query("Budget", f"budget {SESSION}", index=1))
            .override_by_query("B", [DynamicConfigValue(id_val="custom.lineStyle", value={"fill": "dash", "dash": [10, 10]})])
            .unit("currencyUSD")
            .min(0)
            .span(12)
            .height(8)
        )
        .with_panel(
            gauge.Panel()
            .title("Budget Used")
            .datasource(DATASOURCE)
            .with_target(query("Budget Used", SESSION))
            .unit("percentunit")
            .min(0)
            .max(1)
            .thresholds(thresholds((None, "green"), (0.8, "orange"), (0.9, "red")))
            .reduce_options(last_value())
            .span(6)
            .height(8)
        )
        .with_panel(
            stat.Panel()
            .title("Budget Exceeded")
            .datasource(DATASOURCE)
            .with_target(query("Budget Exceeded", SESSION))
            .mappings([exceeded_mapping])
            .no_value("No budget")
            .thresholds(thresholds((None, "green"), (1, "red")))
            .color_mode(common.BigValueColorMode.BACKGROUND)
            .reduce_options(last_value())
            .span(6)
            .height(8)
        )
        .with_panel(
            piechart.Panel()
            .title("Spend by Model")
            .datasource(DATASOURCE)
            .with_target(query("Spend by Model", "{{model}}", instant=True))
            .unit("currencyUSD")
            .decimals(2)
            .reduce_options(last_value())
            .legend(piechart.PieChartLegendOptions().show_legend(True).display_mode(common.LegendDisplayMode.TABLE).placement(common.LegendPlacement.RIGHT).values([PieChartLegendValues.VALUE]))
            .span(8)
            .height(9)
        )
        .with_panel(
            timeseries.Panel()
            .title("Tokens by Kind")
            .description("Tokens per second of the current run, from the efficiency records")
            .datasource(DATASOURCE)
            .with_target(query("Tokens by Kind", "{{kind}}"))
            .unit("short")
            .min(0)
            .span(16)
            .height(9)
        )
        .with_panel(
            bargauge.Panel()
            .title("Receipts by Verdict")
            .description("Evidence Receipts (proofs/*/proof.json) by their honesty headline")
            .datasource(DATASOURCE)
            .with_target(query("Receipts by Verdict", "{{verdict}}", instant=True))
            .override_by_name("verified", fixed_color("green"))
            .override_by_name("with_gaps", fixed_color("yellow"))
            .override_by_name("not_verified", fixed_color("red"))
            .override_by_name("unknown", fixed_color("text"))
            .min(0)
            .reduce_options(last_value())
            .span(10)
            .height(7)
        )
        .with_panel(
            bargauge.Panel()
            .title("Receipts with Provenance")
            .description("Receipts carrying an attestation or a GPG signature, of all receipts")
            .datasource(DATASOURCE)
            .with_target(query("Receipts with Provenance", "{{kind}}", instant=True))
            .with_target(query("Receipts with Provenance", "all receipts", instant=True, index=1))
            .min(0)
            .reduce_options(last_value())
            .span(8)
            .height(7)
        )
        .with_panel(
            stat.Panel()
            .title("State Age")
            .description("Time since Loki Mode last wrote the session state (LokiStateStale fires past 5 minutes on a live session)")
            .datasource(DATASOURCE)
            .with_target(query("State Age", SESSION))
            .unit("s")
            .thresholds(thresholds((None, "green"), (60, "orange"), (300, "red")))
            .reduce_options(last_value())
            .span(6)
            .height(7)
        )
    )
    board = builder.build()
    # Grafana gives a panel without an id one when it loads the dashboard, so
    # links to a panel (`viewPanel=<id>`) would not survive a re-provisioning.
    for number, panel in enumerate(board.panels, start=1):
        panel.id_val = number
    return board


def render():
    return json.dumps(build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main(argv):
    text = render()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run python {pathlib.Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Generates deploy/grafana/loki-mode-dashboard.json with grafana-foundation-sdk.

    python deploy/grafana/generate_dashboard.py          # rewrite the JSON
    python deploy/grafana/generate_dashboard.py --check  # exit 1 if it is stale

The seven panels of the metrics guide, with two template variables:
`$datasource` (any Prometheus data source) and `$project` (the `project`
target label of deploy/prometheus/prometheus-basic.yml; "All" matches
series without it too).
"""

import json
import pathlib
import sys

from grafana_foundation_sdk.builders import dashboard, gauge, piechart, prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
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

# Every panel's query, in panel order; tests/integration runs each against a
# real Prometheus (with $project = .* and $__rate_interval = 1m).
QUERIES = {
    "Session Status": f"loki_session_status{{{SELECTOR}}}",
    "Iteration Progress": f"loki_iteration_current{{{SELECTOR}}} / loki_iteration_max{{{SELECTOR}}} * 100",
    "Task Distribution": f"sum by (status) (loki_tasks_total{{{SELECTOR}}})",
    "Active Agents": f"loki_agents_active{{{SELECTOR}}}",
    "Cost": f"loki_cost_usd{{{SELECTOR}}}",
    "Event Rate": f"rate(loki_events_total{{{SELECTOR}}}[$__rate_interval])",
    "Uptime": f"loki_uptime_seconds{{{SELECTOR}}}",
}


def query(title, legend=None, instant=False):
    q = prometheus.Dataquery().expr(QUERIES[title]).ref_id("A")
    if legend:
        q = q.legend_format(legend)
    if instant:
        q = q.instant()
    return q


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
            .with_target(query("Session Status", "{{instance}}"))
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
            .with_target(query("Iteration Progress", "{{instance}}"))
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
            .with_target(query("Cost", "{{instance}}"))
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
            .with_target(query("Uptime", "{{instance}}"))
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
            .with_target(query("Active Agents", "Active Agents"))
            .min(0)
            .span(8)
            .height(9)
        )
        .with_panel(
            timeseries.Panel()
            .title("Event Rate")
            .datasource(DATASOURCE)
            .with_target(query("Event Rate", "Events per second"))
            .unit("ops")
            .min(0)
            .span(8)
            .height(9)
        )
    )
    return builder.build()


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

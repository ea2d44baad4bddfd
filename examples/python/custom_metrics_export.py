"""The Metrics Guide's "Custom Metrics Export", without `requests` and
`line.split()`: scrape the exporter and print the values as JSON.

The guide's version breaks on labelled samples (all four `loki_tasks_total`
lines land on one key), on spaces in label values and on comments; this one
keeps every sample, keyed by name and labels, and fails with a clear
exception when nothing answers.

    python examples/python/custom_metrics_export.py [URL]
"""

from __future__ import annotations

import json
import sys

import loki_metrics


def get_loki_metrics(url: str = "http://localhost:57374/metrics") -> dict[str, float]:
    """Every `loki_*` sample as `{"name{label=value,...}": value}`."""
    metrics = {}
    for family in loki_metrics.scrape(url, timeout=5):
        for sample in family.samples:
            if sample.name.startswith("loki_"):
                labels = ",".join(f"{k}={v}" for k, v in sample.labels.items())
                metrics[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return metrics


if __name__ == "__main__":
    try:
        print(json.dumps(get_loki_metrics(*sys.argv[1:2]), indent=2))
    except loki_metrics.ScrapeError as e:
        sys.exit(f"no metrics: {e}")

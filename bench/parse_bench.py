#!/usr/bin/env python3
"""Parser throughput, side by side in one run, on the same 25 MB text
(200,000 samples in 2,000 families, 4 labels each, Prometheus 0.0.4):

* loki-metrics' core `parse` (timed in-process by the `bench-parse` binary),
  and `loki-metrics check --no-lint` end to end (process start, read, parse);
* prometheus_client.parser.text_string_to_metric_families;
* the naive `line.split()` parser dashboards hand-roll (fast, and wrong: it
  breaks on spaces in label values and ignores escapes, types and timestamps).

Usage: cargo build --release -p loki-metrics-bench -p loki-metrics-cli
       python3 bench/parse_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "target" / "release"


def naive_parse(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        out[parts[0]] = float(parts[1])
    return out


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per Python parser (median)")
    args = ap.parse_args()

    bench = Path(os.environ.get("LOKI_METRICS_BENCH_PARSE", RELEASE / "bench-parse"))
    cli = Path(os.environ.get("LOKI_METRICS_BIN", RELEASE / "loki-metrics"))
    if not bench.exists():
        sys.exit(f"{bench} missing: cargo build --release -p loki-metrics-bench")

    from prometheus_client.parser import text_string_to_metric_families

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.prom"
        subprocess.run([str(bench), "--emit", str(path)], check=True)
        text = path.read_text(encoding="utf-8")
        mb = len(text.encode("utf-8")) / 1e6

        # Ours, in-process (the binary generates the identical text).
        out = subprocess.run([str(bench)], check=True, capture_output=True, text=True).stdout
        print(out.rstrip())
        ours = json.loads(out.strip().splitlines()[-1])
        ours_mb_s = ours["parse_prometheus_mb_s"]

        cli_mb_s = None
        if cli.exists():
            t = median_seconds(
                lambda: subprocess.run(
                    [str(cli), "check", "--no-lint", "--format", "prometheus", str(path)],
                    check=True,
                ),
                max(args.runs, 5),
            )
            cli_mb_s = mb / t

        samples = sum(len(f.samples) for f in text_string_to_metric_families(text))
        assert samples == 200_000, samples
        t_client = median_seconds(lambda: list(text_string_to_metric_families(text)), args.runs)
        t_naive = median_seconds(lambda: naive_parse(text), max(args.runs, 5))

    client_mb_s = mb / t_client
    naive_mb_s = mb / t_naive
    rows = [
        ("loki-metrics parse (Rust core, validating)", ours_mb_s),
        ("loki-metrics check --no-lint (whole process)", cli_mb_s),
        ("prometheus_client.parser", client_mb_s),
        ("naive line.split() (not validating)", naive_mb_s),
    ]
    print(f"\n{mb:.1f} MB, 200,000 samples, 2,000 families, 4 labels; medians")
    for name, v in rows:
        if v is not None:
            print(f"  {name:<48} {v:>8.1f} MB/s")
    print(f"  ours / prometheus_client: {ours_mb_s / client_mb_s:.1f}x")
    print(f"  ours / naive split:       {ours_mb_s / naive_mb_s:.2f}x")
    stream = ours.get("stream_1gib", {})
    if stream:
        print(
            f"  streaming 1 GiB OpenMetrics: peak RSS {stream['stream_peak_rss_bytes'] / 2**20:.1f} MiB, "
            f"{stream['stream_bytes'] / 1e6 / stream['stream_seconds']:.0f} MB/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

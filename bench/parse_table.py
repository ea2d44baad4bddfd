#!/usr/bin/env python3
"""The parser's table (issue 18): every figure of one run side by side, on
both benchmark texts (200,000 samples in 2,000 families, 4 labels each):

* ``gauges``: bench-parse's 25 MB gauge text (method/handler/status/instance);
* ``counters``: ``makeText`` of bench/node_bench.mjs (service/region/instance/path).

Rows: the Rust core's ``parse`` (0.0.4 and OpenMetrics), ``families``
(the same families one at a time, each dropped as read), and streaming
``FamilyReader`` (families lent by ``next_family``, and owned ones from the
iterator) in MB/s (bench-parse); Go's ``expfmt.TextParser`` (0.0.4
only: expfmt 0.39 has no OpenMetrics parser) and core/expfmt; Python
``loki_metrics.parse`` vs ``prometheus_client`` 0.26, each parsing 0.0.4 and
reading every sample's name, labels and value, that reading alone on
objects built beforehand and the freeing alone of one parse's objects (the
ceilings of the ratio: what any parser returning these objects pays), the
time the goal leaves for parsing and building, and ours; the core again under
mimalloc when ``--mimalloc`` names the library; Node's ratios from the last
line of bench/node_bench.mjs. Every figure is a median; every ratio comes
from figures of this run. A missing Go, Python package or Node addon skips
its rows with the reason.

bench/parse_table.sh builds everything in release and runs this; by hand:

    python bench/parse_table.py --bench-parse target/release/bench-parse \\
        [--expfmt PATH] [--node] [--runs 7] [--py-runs 3] [--node-runs 5]
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The read loop of the Python benchmark (bench/, this script's directory, is on sys.path).
from python_bench import read_every_sample

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ("gauges", "counters")
SAMPLES = 200_000

# The goals of issue 18: (key, comparison, threshold).
GOALS = {
    "core_prometheus": 1000.0,  # MB/s
    "core_openmetrics": 800.0,
    "core_stream": 600.0,
    "python_ratio": 50.0,  # x prometheus_client
    "node_ratio": 8.0,  # x parse-prometheus-text-format
}


def python_rows(texts: dict[str, Path], runs: int) -> tuple[dict, str | None]:
    """Median seconds of loki_metrics and prometheus_client per shape, the
    two alternated run by run so that both see the same machine load."""
    try:
        import loki_metrics
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError as e:
        return {}, f"skipped: {e} (bench/parse_table.sh installs both into a venv)"
    print(f"Python {sys.version.split()[0]}: loki_metrics {loki_metrics.__version__}, "
          f"prometheus_client {importlib.metadata.version('prometheus_client')}", flush=True)

    def ours(text: str) -> float:
        return read_every_sample(loki_metrics.parse(text, format="prometheus"))

    def theirs(text: str) -> float:
        return read_every_sample(text_string_to_metric_families(text))

    out = {}
    for shape in SHAPES:
        text = texts[shape].read_text(encoding="utf-8")
        mb = len(text.encode()) / 1e6
        if ours(text) != theirs(text):
            return {}, f"skipped: the two parsers read different values from the {shape} text"
        times: dict[str, list[float]] = {"ours": [], "theirs": []}
        for run in range(runs):
            for side, fn in (("ours", ours), ("theirs", theirs)):
                gc.collect()
                t = time.perf_counter()
                fn(text)
                times[side].append(time.perf_counter() - t)
            print(f"  python {shape} run {run + 1}: loki_metrics {times['ours'][-1] * 1e3:.0f} ms, "
                  f"prometheus_client {times['theirs'][-1] * 1e3:.0f} ms", flush=True)
        t_ours, t_theirs = statistics.median(times["ours"]), statistics.median(times["theirs"])
        # The reading alone, on objects built beforehand (ours: every family's
        # samples already built): no parser can take less than this.
        built = loki_metrics.parse(text, format="prometheus")
        for family in built:
            _ = family.samples
        reads = []
        for _ in range(runs):
            t = time.perf_counter()
            read_every_sample(built)
            reads.append(time.perf_counter() - t)
        t_read = statistics.median(reads)
        # Freeing the built objects alone, which both timed sides also pay
        # (their results are dropped inside the timing): with the reading,
        # what any parser returning these objects cannot avoid.
        del built
        builds, frees = [], []
        for _ in range(runs):
            gc.collect()
            t = time.perf_counter()
            built = loki_metrics.parse(text, format="prometheus")
            for family in built:
                _ = family.samples
            builds.append(time.perf_counter() - t)
            gc.collect()
            t = time.perf_counter()
            del built
            frees.append(time.perf_counter() - t)
        t_build, t_free = statistics.median(builds), statistics.median(frees)
        out[shape] = {
            "read_only_ms": t_read * 1e3,
            "free_only_ms": t_free * 1e3,
            "parse_build_ms": t_build * 1e3,
            "ceiling_ratio": t_theirs / t_read,
            "ceiling_with_free_ratio": t_theirs / (t_read + t_free),
            "goal_budget_ms": t_theirs / GOALS["python_ratio"] * 1e3 - (t_read + t_free) * 1e3,
            "ours_ms": t_ours * 1e3,
            "theirs_ms": t_theirs * 1e3,
            "ours_mb_s": mb / t_ours,
            "theirs_mb_s": mb / t_theirs,
            "ratio": t_theirs / t_ours,
        }
    return out, None


def expfmt_rows(expfmt: Path | None, texts: dict[str, Path], runs: int, why: str) -> tuple[dict, str | None]:
    if expfmt is None or not expfmt.exists():
        return {}, f"skipped: {why}"
    out = {}
    for shape in SHAPES:
        run = subprocess.run([str(expfmt), "-runs", str(runs), "-samples", str(SAMPLES), str(texts[shape])],
                             capture_output=True, text=True)
        if run.returncode != 0:
            return {}, f"skipped: expfmt-bench failed on {shape}: {run.stderr.strip()}"
        out[shape] = json.loads(run.stdout.strip().splitlines()[-1])
    return out, None


def node_rows(runs: int) -> tuple[dict, str | None]:
    """The last line of bench/node_bench.mjs, when it is the JSON the table
    reads; else its "speed-up (median)" line, the counter text's ratio."""
    env = dict(os.environ, BENCH_RUNS=str(runs))
    run = subprocess.run(["node", str(ROOT / "bench" / "node_bench.mjs")], capture_output=True, text=True,
                         cwd=ROOT, env=env)
    for line in run.stdout.rstrip().splitlines():
        print(f"  node: {line}")
    if run.returncode != 0:
        return {}, f"skipped: node bench/node_bench.mjs failed: {run.stderr.strip().splitlines()[-1:]}"
    lines = run.stdout.strip().splitlines()
    try:
        last = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        last = None
    if isinstance(last, dict) and "node_ratio_counters" in last:
        return last, None
    speedup = [line for line in lines if line.startswith("speed-up (median):")]
    if speedup:
        ratio = float(speedup[-1].split(":")[1].strip().rstrip("x"))
        return {"node_ratio_counters": ratio}, ("incomplete: bench/node_bench.mjs prints no JSON line yet; "
                                                "the counters ratio is its speed-up line, the gauge text is not run")
    return {}, "skipped: bench/node_bench.mjs prints neither its JSON line nor a speed-up line"


def fmt(x: float | None, unit: str = "") -> str:
    if x is None:
        return "-"
    if unit == "x":
        return f"{x:.1f}x"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench-parse", type=Path, required=True, help="the release bench-parse binary")
    ap.add_argument("--mimalloc", type=Path, help="libmimalloc.so: a second core run with it preloaded")
    ap.add_argument("--expfmt", type=Path, help="the Go expfmt-bench binary (its row is skipped without)")
    ap.add_argument("--expfmt-missing", default="no --expfmt given", help="why there is no expfmt-bench")
    ap.add_argument("--node", action="store_true", help="run bench/node_bench.mjs (its addon built in release)")
    ap.add_argument("--node-missing", default="not asked for (--node)", help="why Node is not run")
    ap.add_argument("--runs", type=int, default=7, help="runs of the core and of expfmt (median)")
    ap.add_argument("--py-runs", type=int, default=3, help="runs of each Python parser (median)")
    ap.add_argument("--node-runs", type=int, default=5, help="BENCH_RUNS of bench/node_bench.mjs")
    args = ap.parse_args()

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start\n", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        texts = {}
        for shape in SHAPES:
            texts[shape] = Path(tmp) / f"{shape}.prom"
            subprocess.run([str(args.bench_parse), "--emit", str(texts[shape]), "--shape", shape], check=True)

        print("== the Rust core (bench-parse)", flush=True)
        out = subprocess.run([str(args.bench_parse), "--runs", str(args.runs)], check=True, capture_output=True,
                             text=True).stdout
        print(out.rstrip(), flush=True)
        core = json.loads(out.strip().splitlines()[-1])

        mimalloc = {}
        if args.mimalloc:
            print(f"\n== the Rust core under mimalloc (LD_PRELOAD={args.mimalloc})", flush=True)
            env = {**os.environ, "LD_PRELOAD": str(args.mimalloc)}
            out = subprocess.run([str(args.bench_parse), "--runs", str(args.runs)], check=True, capture_output=True,
                                 text=True, env=env).stdout
            print(out.rstrip(), flush=True)
            mimalloc = json.loads(out.strip().splitlines()[-1])["shapes"]

        print("\n== Go expfmt (0.0.4)", flush=True)
        expfmt, expfmt_skip = expfmt_rows(args.expfmt, texts, args.runs, args.expfmt_missing)
        for line in [expfmt_skip] if expfmt_skip else [f"{s}: {json.dumps(v)}" for s, v in expfmt.items()]:
            print(f"  {line}", flush=True)

        print("\n== Python (0.0.4, every sample's name, labels and value read)", flush=True)
        python, python_skip = python_rows(texts, args.py_runs)
        if python_skip:
            print(f"  {python_skip}")

    print("\n== Node (bench/node_bench.mjs)", flush=True)
    node, node_skip = node_rows(args.node_runs) if args.node else ({}, f"skipped: {args.node_missing}")
    if node_skip:
        print(f"  {node_skip}")

    shapes = core["shapes"]
    met: list[tuple[str, bool]] = []
    rows: list[tuple[str, list[str], str, str]] = []

    def row(name: str, values: dict[str, float | None], unit: str = "", goal: str | None = None) -> None:
        if all(v is None for v in values.values()):
            return
        cells = [fmt(values.get(s), unit) for s in SHAPES]
        verdict = ""
        if goal is not None:
            present = [v for v in values.values() if v is not None]
            if len(present) == len(SHAPES):
                ok = all(v >= GOALS[goal] for v in present)
                met.append((name, ok))
                verdict = "yes" if ok else "no"
            else:
                verdict = "not measured"
        target = f">= {GOALS[goal]:g}{'x' if unit == 'x' else ' MB/s'}" if goal else ""
        rows.append((name, cells, target, verdict))

    row("core parse 0.0.4, MB/s", {s: shapes[s]["parse_prometheus_mb_s"] for s in SHAPES}, goal="core_prometheus")
    row("core parse OpenMetrics, MB/s", {s: shapes[s]["parse_openmetrics_mb_s"] for s in SHAPES},
        goal="core_openmetrics")
    row("core families(), each family dropped as read, 0.0.4, MB/s",
        {s: shapes[s].get("families_prometheus_mb_s") for s in SHAPES})
    row("core families(), each family dropped as read, OpenMetrics, MB/s",
        {s: shapes[s].get("families_openmetrics_mb_s") for s in SHAPES})
    row("core streaming FamilyReader::next_family, lent (OpenMetrics), MB/s",
        {s: shapes[s]["stream_openmetrics_mb_s"] for s in SHAPES}, goal="core_stream")
    row("core streaming FamilyReader as Iterator, owned (OpenMetrics), MB/s",
        {s: shapes[s].get("stream_owned_openmetrics_mb_s") for s in SHAPES})
    if mimalloc:
        for key, what in (("parse_prometheus_mb_s", "parse 0.0.4"), ("parse_openmetrics_mb_s", "parse OpenMetrics")):
            row(f"core {what} under mimalloc (preloaded), MB/s", {s: mimalloc[s][key] for s in SHAPES})
    if expfmt:
        row("Go expfmt TextParser 0.0.4, MB/s", {s: expfmt[s]["expfmt_mb_s"] for s in SHAPES})
        row("core 0.0.4 / expfmt", {s: shapes[s]["parse_prometheus_mb_s"] / expfmt[s]["expfmt_mb_s"] for s in SHAPES},
            "x")
    if python:
        row("Python loki_metrics.parse + read, MB/s", {s: python[s]["ours_mb_s"] for s in SHAPES})
        row("Python prometheus_client + read, MB/s", {s: python[s]["theirs_mb_s"] for s in SHAPES})
        row("Python loki_metrics / prometheus_client", {s: python[s]["ratio"] for s in SHAPES}, "x",
            goal="python_ratio")
        row("Python reading alone (objects built beforehand), ms", {s: python[s]["read_only_ms"] for s in SHAPES})
        row("Python ceiling: prometheus_client / reading alone", {s: python[s]["ceiling_ratio"] for s in SHAPES}, "x")
        row("Python freeing alone (the objects of one parse), ms", {s: python[s]["free_only_ms"] for s in SHAPES})
        row("Python ceiling: prometheus_client / (reading + freeing)",
            {s: python[s]["ceiling_with_free_ratio"] for s in SHAPES}, "x")
        row(f"Python budget at {GOALS['python_ratio']:g}x for parse + build: "
            "prometheus_client / goal - reading - freeing, ms", {s: python[s]["goal_budget_ms"] for s in SHAPES})
        row("Python loki_metrics.parse + building every sample (no reading), ms",
            {s: python[s]["parse_build_ms"] for s in SHAPES})
    if node:
        row("Node loki-metrics parse, ms", {s: node.get(f"node_ours_ms_{s}") for s in SHAPES})
        row("Node parse-prometheus-text-format, ms", {s: node.get(f"node_theirs_ms_{s}") for s in SHAPES})
        row("Node loki-metrics / parse-prometheus-text-format", {s: node.get(f"node_ratio_{s}") for s in SHAPES},
            "x", goal="node_ratio")

    header = ["measurement (median)", *SHAPES, "goal", "met"]
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, cells, target, verdict in rows:
        print(f"| {name} | " + " | ".join(cells) + f" | {target} | {verdict} |")
    notes = []
    stream = core.get("stream_1gib") or {}
    if stream:
        notes.append(f"streaming 1 GiB of synthesised OpenMetrics: peak RSS "
                     f"{stream['stream_peak_rss_bytes'] / 2**20:.1f} MiB, "
                     f"{stream['stream_bytes'] / 1e6 / stream['stream_seconds']:.0f} MB/s")
    if node and "parse_async_max_stall_ms" in node:
        notes.append(f"Node parseAsync: longest event-loop stall {node['parse_async_max_stall_ms']:.1f} ms")
    for name, why in (("Go expfmt", expfmt_skip), ("Python", python_skip), ("Node", node_skip)):
        if why:
            notes.append(f"{name} rows {why}")
    for n in notes:
        print(f"* {n}")
    missed = [name for name, ok in met if not ok]
    print(f"\ngoals met: {len(met) - len(missed)} of {len(met)} measured"
          + (f"; missed: {', '.join(missed)}" if missed else ""))
    print(json.dumps({"core": shapes, "stream_1gib": stream, "expfmt": expfmt, "python": python, "node": node,
                      "goals_missed": missed}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Python package benchmark, side by side in one run:

1. ``loki_metrics.parse`` vs ``prometheus_client.parser.text_string_to_metric_families``,
   end to end: a ``str`` in, then every sample's name, labels (each item) and
   value read, as a program using the result does. Two texts of 200,000
   samples in 2,000 families, 4 labels each: the parser benchmark's 25 MB of
   gauges, and the Node benchmark's counters (``makeText`` in
   ``bench/node_bench.mjs``). Target (issue 18): ours at least 50x faster on
   each; runs alternate ours and theirs, and the medians are compared.
2. ``Collector.render()`` on a warm cache, per call. Target: <= 10 us.
3. A cold ``collect()`` of size S (events.jsonl 1k lines, 20 efficiency
   files, 40 tasks): a fresh reader each call, warm page cache. Target:
   <= 150 us (Loki Mode's old endpoint: 0.46 ms).

Usage (against the installed package, built with --release):
    python bench/python_bench.py [--runs N] [--data DIR]

The 25 MB text is the one ``bench-parse --emit`` writes when that binary is
built (cargo build --release -p loki-metrics-bench); otherwise a Python copy
of its generator (same RNG, same layout) makes it.
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
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MASK = (1 << 64) - 1


# ---- the parser benchmark's text ------------------------------------------------


def bench_text_in_python() -> str:
    """A copy of bench-parse's generator (xorshift64*, same layout)."""
    state = 0x5EED_1234_ABCD_0001
    methods = ("GET", "POST", "PUT", "DELETE")
    status = ("200", "201", "404", "500", "503")
    out = []
    for i in range(2000):
        name = f"bench_family_{i:04d}_seconds"
        out.append(f"# HELP {name} Synthetic latency family number {i} of the parser benchmark.\n")
        out.append(f"# TYPE {name} gauge\n")
        for j in range(100):
            state ^= state >> 12
            state ^= (state << 25) & MASK
            state ^= state >> 27
            r = (state * 0x2545_F491_4F6C_DD1D) & MASK
            value = (r >> 11) / float(1 << 53) * 10_000.0
            out.append(
                f'{name}{{method="{methods[j % 4]}",handler="/api/v1/r{j:03d}",status="{status[r % 5]}",'
                f'instance="10.0.{i % 256}.{j}:9100"}} {value!r}\n'
            )
    return "".join(out)


def node_bench_text(families: int = 2000, per_family: int = 100) -> str:
    """A copy of ``makeText`` in bench/node_bench.mjs (numbers printed as JS does)."""
    parts = []
    for f in range(families):
        name = f"bench_family_{f:04d}_requests_total"
        parts.append(f"# HELP {name} Requests handled by the benchmark service, family {f}.\n# TYPE {name} counter\n")
        for s in range(per_family):
            value = (f * per_family + s) * 1.25 + 0.5
            number = str(int(value)) if value.is_integer() else repr(value)
            parts.append(
                f'{name}{{service="checkout-{s % 7}",region="eu-west-{s % 3}",instance="10.1.{f % 250}.{s}:9100",'
                f'path="/api/v2/orders/{s}"}} {number}\n'
            )
    return "".join(parts)


def bench_text(shape: str) -> tuple[str, str]:
    """The benchmark text of `shape` (gauges or counters), as
    ``bench-parse --emit`` writes it when that binary is built, else from the
    Python copy of its generator."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = Path(os.environ.get("LOKI_METRICS_BENCH_PARSE", target / "release" / "bench-parse"))
    if binary.exists():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.prom"
            subprocess.run([str(binary), "--emit", str(path), "--shape", shape], check=True, capture_output=True)
            return path.read_text(encoding="utf-8"), f"{binary.name} --emit --shape {shape}"
    if shape == "counters":
        return node_bench_text(), "Python copy of node_bench's makeText"
    return bench_text_in_python(), "Python copy of bench-parse's generator"


# ---- size S, as bench-collect generates it --------------------------------------


def generate_s(loki: Path, events: int = 1000, efficiency: int = 20, tasks: int = 40) -> None:
    """The S directory of crates/loki-metrics-bench/src/bin/bench-collect.rs."""
    (loki / "state").mkdir(parents=True, exist_ok=True)
    (loki / "metrics" / "efficiency").mkdir(parents=True, exist_ok=True)

    def queue(start: int, n: int) -> str:
        return ",".join(
            json.dumps({"id": f"task-{i}", "title": f"Implement feature {i}", "priority": "high", "attempts": 1},
                       separators=(",", ":"))
            for i in range(start, start + n)
        )

    t = tasks
    state = (
        f'{{"version":"5.38.0","mode":"autonomous","iteration":{efficiency},"startedAt":"2026-01-05T10:00:00Z",'
        f'"tasks":{{"pending":[{queue(0, t // 4)}],"inProgress":[{queue(t // 4, t // 8)}],"review":[],'
        f'"completed":[{queue(t // 4 + t // 8, t // 2)}],'
        f'"failed":[{queue(t // 4 + t // 8 + t // 2, t - t // 4 - t // 8 - t // 2)}]}},"agents":[]}}'
    )
    (loki / "dashboard-state.json").write_text(state)
    agents = [
        f'{{"id":"agent-{i}","status":"{"active" if i % 2 == 0 else "idle"}","pid":{1000 + i}}}' for i in range(8)
    ]
    (loki / "state" / "agents.json").write_text(f"[{','.join(agents)}]")
    for i in range(efficiency):
        if i % 2 == 0:
            record = f'{{"iteration":{i},"cost_usd":0.0{i % 90 + 10}}}'
        else:
            record = f'{{"iteration":{i},"input_tokens":{10_000 + i},"output_tokens":{2_000 + i},"model":"sonnet"}}'
        (loki / "metrics" / "efficiency" / f"iteration-{i}.json").write_text(record)
    with open(loki / "events.jsonl", "w") as f:
        for i in range(events):
            f.write(
                f'{{"ts":"2026-01-05T10:{(i // 60) % 60:02d}:{i % 60:02d}Z","type":"tool_call",'
                f'"iteration":{i // 1000},"agent":"agent-{i % 8}","detail":"ok"}}\n'
            )


# ---- measuring -------------------------------------------------------------------


def read_every_sample(families) -> tuple[int, float]:
    """What a program does with a parse: every sample's name, labels and
    value. Returns the number of labels and the sum of the values, for
    comparing two parsers' results."""
    n = 0
    total = 0.0
    for family in families:
        for sample in family.samples:
            _ = sample.name
            for _name, _value in sample.labels.items():
                n += 1
            total += sample.value
    return n, total


def parse_and_read(parsers, text: str, runs: int, label: str) -> tuple[float, float]:
    """Median seconds of ours and theirs (parse + read every sample),
    alternating runs so both see the same machine state; the objects are
    freed outside the timing."""
    times: tuple[list[float], list[float]] = ([], [])
    for run in range(runs):
        read = []
        for parse, runs_of in zip(parsers, times):
            t = time.perf_counter()
            families = parse(text)
            read.append(read_every_sample(families))
            runs_of.append(time.perf_counter() - t)
            del families
        assert read[0] == read[1], f"the parsers disagree on the labels: {read}"
        print(f"  {label} run {run + 1}: loki_metrics {fmt_time(times[0][-1])}, "
              f"prometheus_client {fmt_time(times[1][-1])}")
    return statistics.median(times[0]), statistics.median(times[1])


def per_call(fn, repeat: int = 7) -> float:
    """Median seconds per call of fn: `repeat` batches of as many calls as
    take about 0.2 s (timeit's autorange)."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return statistics.median(t / number for t in timer.repeat(repeat, number))


def per_call_median(fn, calls: int = 2001) -> tuple[float, float]:
    """Median and 10th percentile of single-call times (as the Rust
    bench-collect reports a median of single runs): on a shared machine a
    mean over batches mostly measures other processes' load."""
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2], times[len(times) // 10]


def core_collect_s(data: Path) -> float | None:
    """The Rust core's own median collect+render of S (bench-collect), if built."""
    binary = ROOT / "target" / "release" / "bench-collect"
    if not binary.exists():
        return None
    out = subprocess.run([str(binary), "--sizes", "S", "--data", str(data), "--runs", "2001"],
                         check=True, capture_output=True, text=True).stdout
    cell = out.strip().splitlines()[-1].split("|")[5].strip()  # "152.6 µs"
    value, unit = cell.split()
    return float(value) * {"µs": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs of each parser (median); prometheus_client takes seconds")
    ap.add_argument("--data", type=Path, default=None, help="where to generate size S (default: a temp dir)")
    args = ap.parse_args()

    import loki_metrics
    from prometheus_client.parser import text_string_to_metric_families

    print(f"loki_metrics {loki_metrics.__version__} from {Path(loki_metrics.__file__).parent}")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    results: dict[str, float] = {}

    # 1. parse + read, side by side on both texts.
    texts = [("gauges, 4 labels", *bench_text("gauges")), ("counters (node_bench)", *bench_text("counters"))]
    parsers = (lambda t: loki_metrics.parse(t, format="prometheus"), lambda t: list(text_string_to_metric_families(t)))
    parse_rows = []
    for label, text, origin in texts:
        samples = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
        print(f"parse + read, {label}: {len(text.encode()) / 1e6:.1f} MB, {samples:,} samples ({origin})")
        ours_s, theirs_s = parse_and_read(parsers, text, args.runs, label)
        key = "gauges" if label.startswith("gauges") else "counters"
        results.update({f"parse_read_{key}_ours_s": ours_s, f"parse_read_{key}_prometheus_client_s": theirs_s,
                        f"parse_read_{key}_speedup": theirs_s / ours_s})
        parse_rows.append((label, ours_s, theirs_s))

    # 2 and 3 on size S.
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp)
        loki = data / "S" / ".loki"
        if not (loki / "events.jsonl").exists():
            generate_s(loki)
            (loki / ".complete").write_text("")  # bench-collect's marker: reuse this S
        collector = loki_metrics.Collector(loki, cache_ttl=3600)
        collector.render()
        results["warm_render_s"] = per_call(collector.render)
        results["warm_render_openmetrics_s"] = per_call(lambda: collector.render("openmetrics"))
        results["cold_collect_s"], results["cold_collect_p10_s"] = per_call_median(lambda: loki_metrics.collect(loki))
        results["cold_collect_render_s"], _ = per_call_median(lambda: loki_metrics.render(loki))
        core = core_collect_s(data)
        if core is not None:
            results["core_collect_render_s"] = core
        snapshot = loki_metrics.collect(loki)
        results["render_snapshot_s"] = per_call(lambda: loki_metrics.render(snapshot))

    rows = [
        row
        for label, ours_s, theirs_s in parse_rows
        for row in (
            (f"parse + read, {label}: loki_metrics.parse", fmt_time(ours_s), ""),
            (f"parse + read, {label}: prometheus_client", fmt_time(theirs_s), ""),
            (f"parse + read, {label}: speed-up", f"{theirs_s / ours_s:.1f}x", ">= 50x"),
        )
    ] + [
        ("Collector.render() warm (prometheus)", fmt_time(results["warm_render_s"]), "<= 10 µs"),
        ("Collector.render('openmetrics') warm", fmt_time(results["warm_render_openmetrics_s"]), "<= 10 µs"),
        ("collect() cold, size S: median (p10)",
         f"{fmt_time(results['cold_collect_s'])} ({fmt_time(results['cold_collect_p10_s'])})",
         "<= 150 µs (old endpoint 0.46 ms)"),
        ("render(dir) cold, size S (collect + encode): median", fmt_time(results["cold_collect_render_s"]), ""),
        ("the Rust core alone, collect + render of S (bench-collect)",
         fmt_time(results["core_collect_render_s"]) if "core_collect_render_s" in results else "not built", ""),
        ("render(snapshot), encode only", fmt_time(results["render_snapshot_s"]), ""),
    ]
    print("\n| measurement | result | target |\n|---|---|---|")
    for name, value, target in rows:
        print(f"| {name} | {value} | {target} |")
    met = (
        all(theirs_s / ours_s >= 50 for _, ours_s, theirs_s in parse_rows)
        and results["warm_render_s"] <= 10e-6
        and results["cold_collect_s"] <= 150e-6
    )
    print("\n" + json.dumps({k: round(v, 9) for k, v in results.items()}))
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

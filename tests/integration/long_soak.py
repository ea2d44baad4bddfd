"""Long soak (hardening): `simulate` at a high rate for SOAK_SECONDS (default
1800) while one client scrapes every 10 ms. Requires zero failed scrapes
(non-200, unparsable body, counter going down) and `loki_events_total` exact
against a line count at the end. Two profiles (SOAK_PROFILE):

* `steady` (default): `simulate --keep SOAK_KEEP` (1000): at most that many
  efficiency records and finished tasks, so after the first minute only
  events.jsonl grows (which the exporter reads incrementally). Requires the
  exporter's RSS at the end within 10% of its RSS after the first minute.
* `growing`: an unbounded session (one more efficiency file per iteration,
  an ever longer task list in dashboard-state.json), so RSS legitimately
  grows with the data. Requires the end RSS within 20% of a fresh exporter's
  RSS on the same final directory.

Both profiles print both ratios.

At 200 updates/s the simulated run would reach its default maximum (1000
iterations) in under a minute and its default budget soon after, ending or
pausing the session; the soak passes a maximum and a budget it never reaches
(`--max-iterations` also to the exporters, so `loki_iteration_max` agrees).

    LOKI_METRICS_BIN=target/release/loki-metrics python3 tests/integration/long_soak.py
"""

import http.client
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import PROMETHEUS_ACCEPT, binary, free_port, http_get, ok, parse_exposition, rss_kb, spawn, wait_until  # noqa: E402

DURATION = float(os.environ.get("SOAK_SECONDS", "1800"))
RATE = float(os.environ.get("SOAK_RATE", "200"))
PROFILE = os.environ.get("SOAK_PROFILE", "steady")
KEEP = int(os.environ.get("SOAK_KEEP", "1000"))
if PROFILE not in ("steady", "growing"):
    sys.exit(f"SOAK_PROFILE must be steady or growing, not {PROFILE!r}")
INTERVAL = 0.010


def count_events(path: Path) -> int:
    """Non-blank lines, as SPEC §3 defines them (ASCII whitespace is blank)."""
    n = 0
    with path.open("rb") as f:
        for line in f:
            if line.strip(b" \t\r\n\x0b\x0c"):
                n += 1
    return n


def main() -> None:
    bin_ = binary()
    work = Path(tempfile.mkdtemp(prefix="loki-long-soak-"))
    loki = work / ".loki"
    port = free_port()
    keep = ["--keep", str(KEEP)] if PROFILE == "steady" else []
    # RATE / 10 iterations a second for DURATION, a few cents each: DURATION × RATE iterations
    # and as many dollars are never reached.
    endless = ["--max-iterations", str(int(DURATION * RATE)), "--budget-limit", str(DURATION * RATE)]
    sim = spawn([bin_, "simulate", "--loki-dir", str(loki), "--seed", "7", "--rate", str(RATE),
                 "--duration", str(DURATION), *keep, *endless], work / "simulate.log")
    wait_until("the first dashboard-state.json", lambda: (loki / "dashboard-state.json").exists(), 10, sim, work / "simulate.log")
    exporter = spawn([bin_, "serve", "--loki-dir", str(loki), "--port", str(port), *endless[:2]], work / "exporter.log")
    wait_until("the exporter", lambda: http_get(f"http://127.0.0.1:{port}/health")[0] == 200, 10, exporter, work / "exporter.log")

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.monotonic()
    scrapes = failures = 0
    last_events = -1.0
    rss_first_minute = None
    latencies = []
    while time.monotonic() - started < DURATION:
        openmetrics = scrapes % 2 == 0
        t0 = time.monotonic()
        try:
            conn.request("GET", "/metrics", headers={"Accept": PROMETHEUS_ACCEPT} if openmetrics else {})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise ValueError(f"status {resp.status}")
            events = parse_exposition(body.decode(), openmetrics)["loki_events_total"]
            if events < last_events:
                raise ValueError(f"loki_events_total went down: {last_events} -> {events}")
            last_events = events
        except Exception as e:  # every failure counts, whatever its kind
            failures += 1
            print(f"FAIL scrape {scrapes}: {e}", flush=True)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies.append(time.monotonic() - t0)
        scrapes += 1
        if rss_first_minute is None and time.monotonic() - started >= 60:
            rss_first_minute = rss_kb(exporter.pid)
        time.sleep(max(0.0, INTERVAL - (time.monotonic() - t0)))

    sim.wait(timeout=30)
    time.sleep(2.5)  # past the exporter's 2 s cache
    _, _, body = http_get(f"http://127.0.0.1:{port}/metrics")
    final = parse_exposition(body.decode(), False)["loki_events_total"]
    lines = count_events(loki / "events.jsonl")
    rss_end = rss_kb(exporter.pid)
    rss_first_minute = rss_first_minute or rss_end
    # A fresh exporter on the same final data: what the RSS should be without a leak.
    fresh_port = free_port()
    fresh = spawn([bin_, "serve", "--loki-dir", str(loki), "--port", str(fresh_port), *endless[:2]], work / "fresh.log")
    wait_until("the fresh exporter", lambda: http_get(f"http://127.0.0.1:{fresh_port}/health")[0] == 200, 10, fresh, work / "fresh.log")
    fresh_conn = http.client.HTTPConnection("127.0.0.1", fresh_port, timeout=10)
    for i in range(3000):
        fresh_conn.request("GET", "/metrics", headers={"Accept": PROMETHEUS_ACCEPT} if i % 2 else {})
        fresh_conn.getresponse().read()
        if i % 100 == 0:
            time.sleep(0.3)  # let the 2 s cache expire now and then: real re-collections
    rss_fresh = rss_kb(fresh.pid)
    efficiency_files = len(list((loki / "metrics" / "efficiency").glob("*.json")))
    state_bytes = (loki / "dashboard-state.json").stat().st_size
    latencies.sort()
    print(f"profile: {PROFILE}" + (f" (--keep {KEEP})" if PROFILE == "steady" else "") + f", {DURATION:.0f} s at {RATE:g} updates/s")
    print(f"scrapes: {scrapes}, failed: {failures}")
    print(f"latency p50 {latencies[len(latencies) // 2] * 1e3:.2f} ms, p99 {latencies[int(len(latencies) * 0.99)] * 1e3:.2f} ms")
    print(f"events: exporter {int(final)}, line count {lines}")
    print(f"exporter RSS: after 1 min {rss_first_minute} kB, at end {rss_end} kB ({(rss_end / rss_first_minute - 1) * 100:+.1f}%)")
    print(f"  data at the end: {efficiency_files} efficiency files, dashboard-state.json {state_bytes} bytes, events.jsonl {lines} lines")
    print(f"  a fresh exporter on the final data: {rss_fresh} kB; the long-running one is {(rss_end / rss_fresh - 1) * 100:+.1f}% over it")
    assert failures == 0, f"{failures} failed scrapes"
    assert int(final) == lines, f"loki_events_total {final} != {lines} lines"
    if PROFILE == "steady":
        assert rss_end <= rss_first_minute * 1.10, "the exporter's RSS grew >10% after the first minute on steady data"
    else:
        assert rss_end <= rss_fresh * 1.20, "the long-running exporter holds >20% more memory than a fresh one on the same data"
    ok("long soak")


if __name__ == "__main__":
    main()

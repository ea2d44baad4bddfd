#!/usr/bin/env python3
"""Soak: `simulate` writes >= 50 updates/s while 16 concurrent scrapers hit
the exporter for 30 s (cache disabled, so collections race the writer).
Zero non-200 answers, every body parses, loki_events_total never decreases
for any scraper, and every scrape's task counts equal a state that was
actually written (no torn values). The status page's history, recorded every
50 ms here, wraps its 360 points about twice: it stays at 360 points and the
exporter's memory stays flat once it is full."""

import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import PROMETHEUS_ACCEPT, binary, free_port, http_get, ok, parse_exposition, rss_kb, spawn, wait_until

SCRAPERS = 16
DURATION = float(os.environ.get("SOAK_SECONDS", "30"))
RATE = 60.0

TASKS = tuple(f'loki_tasks_total{{status="{s}"}}' for s in ("pending", "in_progress", "completed", "failed"))


def main() -> None:
    bin_ = binary()
    work = Path(tempfile.mkdtemp(prefix="loki-soak-"))
    loki, record = work / ".loki", work / "written-states.txt"
    port = free_port()
    sim_log = work / "simulate.log"
    sim = spawn(
        [bin_, "simulate", "--loki-dir", str(loki), "--seed", "11", "--rate", str(RATE),
         "--duration", str(DURATION + 3), "--record", str(record)],
        sim_log,
    )
    wait_until("the first dashboard-state.json", lambda: (loki / "dashboard-state.json").exists(), 10, sim, sim_log)
    exp_log = work / "exporter.log"
    exporter = spawn(
        [bin_, "serve", "--loki-dir", str(loki), "--port", str(port), "--cache-ttl", "0", "--history-step", "0.05"],
        exp_log,
    )
    wait_until("the exporter", lambda: http_get(f"http://127.0.0.1:{port}/health")[0] == 200, 10, exporter, exp_log)

    failures: list[str] = []
    seen_counts: set[tuple] = set()
    totals = {"scrapes": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + DURATION

    def scraper(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        last_events = -1.0
        scrapes = 0
        local_counts = set()
        while time.monotonic() < stop_at:
            openmetrics = (scrapes + n) % 2 == 0
            headers = {"Accept": PROMETHEUS_ACCEPT} if openmetrics else {}
            try:
                conn.request("GET", "/metrics", headers=headers)
                resp = conn.getresponse()
                body = resp.read()
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    failures.append(f"scraper {n}: request failed: {e!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            scrapes += 1
            if resp.status != 200:
                with lock:
                    failures.append(f"scraper {n}: HTTP {resp.status}")
                continue
            try:
                samples = parse_exposition(body.decode(), openmetrics)
                events = samples["loki_events_total"]
                counts = tuple(int(samples[k]) for k in TASKS)
            except (ValueError, KeyError, UnicodeDecodeError) as e:
                with lock:
                    failures.append(f"scraper {n}: unparsable body ({e}): {body[:200]!r}")
                continue
            if events < last_events:
                with lock:
                    failures.append(f"scraper {n}: loki_events_total went from {last_events} to {events}")
            last_events = events
            local_counts.add(counts)
        conn.close()
        with lock:
            totals["scrapes"] += scrapes
            seen_counts.update(local_counts)

    rss: list[tuple[float, int]] = []

    def history_watcher() -> None:
        """Reads the status JSON and the exporter's RSS once a second."""
        while time.monotonic() < stop_at:
            status, _, body = http_get(f"http://127.0.0.1:{port}/api/v1/status", timeout=10)
            if status != 200:
                with lock:
                    failures.append(f"/api/v1/status answered {status}")
            else:
                points = len(json.loads(body)["projects"][0]["charts"][0]["values"])
                if points > 360:
                    with lock:
                        failures.append(f"the history holds {points} points, over its 360")
            rss.append((time.monotonic() - started, rss_kb(exporter.pid)))
            time.sleep(1)

    threads = [threading.Thread(target=scraper, args=(i,)) for i in range(SCRAPERS)]
    threads.append(threading.Thread(target=history_watcher))
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    final = json.loads(http_get(f"http://127.0.0.1:{port}/api/v1/status")[2])["projects"][0]["charts"][0]["values"]
    full = [kb for t, kb in rss if t >= 20]  # 360 points at 50 ms: full after 18 s
    assert sim.wait(timeout=30) == 0, sim_log.read_text()

    lines = [line for line in record.read_text().splitlines() if line.strip()]
    written = {tuple(int(x) for x in line.split()) for line in lines}
    updates = len(lines)
    torn = seen_counts - written
    if torn:
        failures.append(f"{len(torn)} task-count tuples were never written, e.g. {sorted(torn)[:3]}")
    if len(final) != 360:
        failures.append(f"after {elapsed:.0f} s at a 50 ms step the history holds {len(final)} points, not 360")
    if DURATION >= 25 and full and max(full) > min(full) * 1.25:
        failures.append(f"the exporter's RSS grew from {min(full)} kB to {max(full)} kB with a full history")
    if failures:
        print("\n".join(failures[:20]))
        sys.exit(f"FAIL: {len(failures)} problems in {totals['scrapes']} scrapes")
    rate = updates / (DURATION + 3)
    assert rate >= 50, f"simulate managed only {rate:.1f} updates/s"
    ok(f"simulate wrote {updates} states ({rate:.0f}/s)")
    ok(f"{totals['scrapes']} scrapes by {SCRAPERS} scrapers in {elapsed:.1f} s ({totals['scrapes'] / elapsed:.0f}/s): all 200, all parsed")
    ok("loki_events_total never decreased for any scraper")
    ok(f"the history held 360 points after wrapping; exporter RSS with it full: {min(full, default=0)}-{max(full, default=0)} kB")
    ok(f"all {len(seen_counts)} distinct task-count tuples scraped were written states")
    print("PASS soak")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""A terminal dashboard of a local session, read straight from `.loki`
(no exporter needed): one status line every two seconds.

    python examples/python/dashboard.py [LOKI_DIR] [--once]
"""

from __future__ import annotations

import sys
import time

import loki_metrics


def status_line(snapshot: loki_metrics.Snapshot) -> str:
    """One line: status, iteration, tasks, agents, cost, events, uptime."""
    t = snapshot.tasks
    line = (
        f"{snapshot.session_status:<8} iteration {snapshot.iteration_current}/{snapshot.iteration_max}  "
        f"tasks {t.pending} pending, {t.in_progress} running, {t.completed} done, {t.failed} failed  "
        f"agents {snapshot.agents_active}/{snapshot.agents_total}  ${snapshot.cost_usd:.2f}  "
        f"{snapshot.events_total} events  up {snapshot.uptime_seconds / 60:.0f} min"
    )
    if snapshot.warnings:
        line += f"  ({len(snapshot.warnings)} warnings: {snapshot.warnings[0]})"
    return line


def main(argv: list[str]) -> None:
    args = [a for a in argv if a != "--once"]
    # The collector reads only what changed since the last call.
    collector = loki_metrics.Collector(args[0] if args else None, cache_ttl=1.0)
    while True:
        print(status_line(collector.collect()), flush=True)
        if "--once" in argv:
            return
        time.sleep(2)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Run the Rust exporter inside a Python process, on a background thread.

`serve_from_env()` starts it only when `LOKI_METRICS_ENABLED=true` (and
reads `LOKI_METRICS_PORT`, `LOKI_METRICS_TOKEN`, ... as `loki-metrics serve`
does), so a tool can ship it switched off; `serve()` starts it explicitly.

    LOKI_METRICS_ENABLED=true LOKI_DIR=.loki python examples/python/embedded_exporter.py
    python examples/python/embedded_exporter.py --explicit .loki
"""

from __future__ import annotations

import sys
import time

import loki_metrics


def main(argv: list[str]) -> None:
    if argv[:1] == ["--explicit"]:
        server = loki_metrics.serve(argv[1] if len(argv) > 1 else None, port=0)
    else:
        server = loki_metrics.serve_from_env()
        if server is None:
            print("LOKI_METRICS_ENABLED is not true: no exporter started")
            return
    with server:
        print(f"exporter on {server.url}")
        families = loki_metrics.scrape(server.url)
        print(f"it serves {len(families)} families; Ctrl-C stops it")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main(sys.argv[1:])

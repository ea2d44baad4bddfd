"""An app already instrumented with prometheus_client adds the Loki metrics
to its own registry: one `/metrics` with both.

    pip install "loki-metrics[prometheus-client]"
    python examples/python/prometheus_client_app.py [LOKI_DIR]
"""

from __future__ import annotations

import sys
import time

from prometheus_client import REGISTRY, Counter, start_http_server

from loki_metrics.prometheus_client import LokiCollector

JOBS = Counter("app_jobs", "Jobs the app has run.")

if __name__ == "__main__":
    REGISTRY.register(LokiCollector(sys.argv[1] if len(sys.argv) > 1 else None))
    start_http_server(8000, addr="127.0.0.1")
    print("serving the app's and Loki's metrics on http://127.0.0.1:8000/metrics")
    while True:
        JOBS.inc()
        time.sleep(5)

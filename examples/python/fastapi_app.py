"""Loki Mode's old `/metrics` route was part of a FastAPI app; mounting ours
is one line.

    pip install "loki-metrics" fastapi uvicorn
    LOKI_DIR=.loki uvicorn examples.python.fastapi_app:app --port 8000
    curl -H 'Accept: application/openmetrics-text' localhost:8000/metrics
"""

from __future__ import annotations

from fastapi import FastAPI

from loki_metrics.asgi import make_asgi_app

app = FastAPI()
app.add_route("/metrics", make_asgi_app())  # LOKI_DIR, else ./.loki; cached 2 s


@app.get("/")
def index() -> dict[str, str]:
    """The app's own routes keep working next to /metrics."""
    return {"metrics": "/metrics"}

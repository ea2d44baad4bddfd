"""A WSGI app serving the Loki metrics, for Flask, Django or any WSGI server::

    from wsgiref.simple_server import make_server
    from loki_metrics.wsgi import make_wsgi_app

    make_server("127.0.0.1", 8000, make_wsgi_app(".loki")).serve_forever()

    # Flask: app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/metrics": make_wsgi_app()})

``GET`` and ``HEAD`` get the text in the format the ``Accept`` header asks
for, with the matching ``Content-Type``; other methods get 405.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from loki_metrics._endpoint import ALLOW_HEADER, ALLOWED_METHODS, MetricsEndpoint, StrPath
from loki_metrics._native import Collector

__all__ = ["make_wsgi_app", "MetricsApp"]

StartResponse = Callable[..., Any]


class MetricsApp:
    """The WSGI application ``make_wsgi_app`` returns."""

    def __init__(self, endpoint: MetricsEndpoint) -> None:
        self.endpoint = endpoint

    @property
    def collector(self) -> Collector:
        """The collector the app answers from."""
        return self.endpoint.collector

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ALLOWED_METHODS:
            body = b"method not allowed\n"
            start_response("405 Method Not Allowed", _headers("text/plain", body, [("Allow", ALLOW_HEADER)]))
            return [body]
        fmt, content_type = self.endpoint.negotiate(environ.get("HTTP_ACCEPT"))
        body = self.endpoint.body(fmt)
        start_response("200 OK", _headers(content_type, body, [("Vary", "Accept")]))
        return [b""] if method == "HEAD" else [body]


def make_wsgi_app(
    loki_dir: Optional[StrPath] = None,
    *,
    cache_ttl: float = 2.0,
    max_iterations: Optional[int] = None,
    exporter_metrics: Optional[bool] = None,
    stale_after: Union[float, timedelta, None] = None,
    collector: Optional[Collector] = None,
) -> MetricsApp:
    """A WSGI app serving the metrics of ``loki_dir`` (env ``LOKI_DIR``, else
    ``./.loki``), cached for ``cache_ttl`` seconds, or of an existing
    ``collector``."""
    endpoint = MetricsEndpoint(
        loki_dir, cache_ttl=cache_ttl, max_iterations=max_iterations,
        exporter_metrics=exporter_metrics, stale_after=stale_after, collector=collector,
    )
    return MetricsApp(endpoint)


def _headers(content_type: str, body: bytes, extra: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    return [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra]

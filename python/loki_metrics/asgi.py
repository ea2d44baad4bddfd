"""An ASGI app serving the Loki metrics, for FastAPI, Starlette or any ASGI
server. One line replaces Loki Mode's old FastAPI ``/metrics`` route::

    from fastapi import FastAPI
    from loki_metrics.asgi import make_asgi_app

    app = FastAPI()
    app.add_route("/metrics", make_asgi_app(".loki"))   # exactly /metrics
    # or: app.mount("/metrics", make_asgi_app(".loki"))  # /metrics/ (a Mount
    #     redirects /metrics to /metrics/, which Prometheus follows)

``GET`` and ``HEAD`` get the text in the format the ``Accept`` header asks for
(OpenMetrics for Prometheus' own scrapes, else 0.0.4) with the matching
``Content-Type``; other methods get 405. A fresh cache is answered on the
event loop; a stale one is collected on a worker thread, so the loop never
waits for file I/O.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta
from typing import Any, Awaitable, Callable, List, MutableMapping, Optional, Tuple, Union

from loki_metrics._endpoint import ALLOW_HEADER, ALLOWED_METHODS, MetricsEndpoint, StrPath
from loki_metrics._native import Collector

__all__ = ["make_asgi_app", "MetricsApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class MetricsApp:
    """The ASGI application ``make_asgi_app`` returns.

    An instance (not a function), so Starlette's ``add_route`` mounts it as an
    ASGI app at exactly the route's path.
    """

    def __init__(self, endpoint: MetricsEndpoint) -> None:
        self.endpoint = endpoint

    @property
    def collector(self) -> Collector:
        """The collector the app answers from."""
        return self.endpoint.collector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise ValueError(f"loki_metrics.asgi serves HTTP only, not {scope['type']!r}")
        method = scope.get("method", "GET")
        if method not in ALLOWED_METHODS:
            await _respond(send, 405, b"method not allowed\n", [(b"allow", ALLOW_HEADER.encode())], "text/plain")
            return
        accept = _header(scope, b"accept")
        fmt, content_type = self.endpoint.negotiate(accept)
        body = self.endpoint.body_if_fresh(fmt)
        if body is None:
            body = await _run_in_thread(functools.partial(self.endpoint.body, fmt))
        await _respond(send, 200, body, [(b"vary", b"Accept")], content_type, head=method == "HEAD")


def make_asgi_app(
    loki_dir: Optional[StrPath] = None,
    *,
    cache_ttl: float = 2.0,
    max_iterations: Optional[int] = None,
    exporter_metrics: Optional[bool] = None,
    stale_after: Union[float, timedelta, None] = None,
    collector: Optional[Collector] = None,
) -> MetricsApp:
    """An ASGI app serving the metrics of ``loki_dir`` (env ``LOKI_DIR``, else
    ``./.loki``), cached for ``cache_ttl`` seconds, or of an existing
    ``collector``."""
    endpoint = MetricsEndpoint(
        loki_dir, cache_ttl=cache_ttl, max_iterations=max_iterations,
        exporter_metrics=exporter_metrics, stale_after=stale_after, collector=collector,
    )
    return MetricsApp(endpoint)


def _header(scope: Scope, name: bytes) -> Optional[bytes]:
    values = [v for k, v in scope.get("headers", ()) if k.lower() == name]
    return b", ".join(values) if values else None


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    extra: List[Tuple[bytes, bytes]],
    content_type: str,
    head: bool = False,
) -> None:
    headers = [
        (b"content-type", content_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode("latin-1")),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _run_in_thread(call: Callable[[], bytes]) -> bytes:
    """Runs a blocking call off the event loop: anyio's worker threads when
    anyio is there (asyncio or trio, as Starlette runs), else asyncio's."""
    try:
        import anyio.to_thread
    except ImportError:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, call)
    return await anyio.to_thread.run_sync(call)



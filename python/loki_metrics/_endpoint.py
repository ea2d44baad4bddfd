"""What the ASGI and WSGI apps share: a Collector, Accept negotiation, and
the encoded body of the current cached text."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Literal, Optional, Tuple, Union

from loki_metrics._native import Collector, negotiate

StrPath = Union[str, "os.PathLike[str]"]
#: What negotiate() picks (the Collector also renders "json").
Negotiated = Literal["prometheus", "openmetrics"]
Format = Literal["prometheus", "openmetrics", "json"]

#: Methods the metrics endpoint answers; anything else gets 405.
ALLOWED_METHODS = ("GET", "HEAD")
ALLOW_HEADER = "GET, HEAD"


class MetricsEndpoint:
    """A ``/metrics`` endpoint independent of the web framework: it picks the
    format from ``Accept`` and encodes the collector's text once per snapshot."""

    def __init__(
        self,
        loki_dir: Optional[StrPath] = None,
        *,
        cache_ttl: float = 2.0,
        max_iterations: Optional[int] = None,
        exporter_metrics: Optional[bool] = None,
        stale_after: Union[float, timedelta, None] = None,
        collector: Optional[Collector] = None,
    ) -> None:
        if collector is not None and (loki_dir is not None or max_iterations is not None or stale_after is not None):
            raise TypeError("give either a collector or loki_dir/max_iterations/stale_after, not both")
        self.collector = collector or Collector(
            loki_dir,
            cache_ttl=cache_ttl,
            max_iterations=max_iterations,
            exporter_metrics=exporter_metrics,
            stale_after=stale_after,
        )
        # (text, body) of the last answer: a warm cache returns the same str
        # object, so it is encoded once per snapshot, not once per request.
        self._last: Tuple[str, bytes] = ("", b"")

    def negotiate(self, accept: Union[str, bytes, None]) -> Tuple[Negotiated, str]:
        """``(format, content_type)`` for an ``Accept`` header."""
        return negotiate(accept)

    def body_if_fresh(self, fmt: Format) -> Optional[bytes]:
        """The body from the cache if it is fresh, without reading any file."""
        text = self.collector.render_if_fresh(fmt)
        return None if text is None else self._encode(text)

    def body(self, fmt: Format) -> bytes:
        """The body, collecting first if the cache is stale (blocking file I/O,
        without the GIL)."""
        return self._encode(self.collector.render(fmt))

    def _encode(self, text: str) -> bytes:
        last_text, last_body = self._last
        if text is last_text:
            return last_body
        body = text.encode("utf-8")
        self._last = (text, body)
        return body

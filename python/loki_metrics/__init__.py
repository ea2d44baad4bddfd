"""Prometheus and OpenMetrics metrics of a Loki Mode session.

A thin layer over the loki-metrics Rust core (``loki_metrics._native``):

* ``collect(loki_dir)`` reads a ``.loki`` directory into an immutable
  ``Snapshot``; ``render(source, format=...)`` encodes it as Prometheus text
  0.0.4, OpenMetrics 1.0.0 or JSON; ``Collector`` caches both.
* ``negotiate(accept)`` picks the encoding for an HTTP ``Accept`` header.

Problems in the directory never raise: they are ``Snapshot.warnings`` and
documented fallback values. Errors in *arguments* raise ``TypeError`` (wrong
type) or a ``LokiMetricsError`` subclass. The GIL is released while files are
read and text is encoded.
"""

from loki_metrics._errors import (
    ArgumentError,
    LokiMetricsError,
    ParseError,
    ScrapeConnectionError,
    ScrapeError,
    ScrapeStatusError,
    ScrapeTimeoutError,
    ServeError,
    UnknownFormatError,
)
from loki_metrics._native import (
    JSON_CONTENT_TYPE,
    OPENMETRICS_CONTENT_TYPE,
    PROMETHEUS_CONTENT_TYPE,
    Collector,
    ExporterInfo,
    Snapshot,
    SourceWarning,
    TaskCounts,
    __version__,
    collect,
    negotiate,
    render,
)

__all__ = [
    "__version__",
    # collection and encoding
    "collect",
    "render",
    "negotiate",
    "Collector",
    "Snapshot",
    "TaskCounts",
    "SourceWarning",
    "ExporterInfo",
    "PROMETHEUS_CONTENT_TYPE",
    "OPENMETRICS_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    # errors
    "LokiMetricsError",
    "ArgumentError",
    "UnknownFormatError",
    "ParseError",
    "ScrapeError",
    "ScrapeConnectionError",
    "ScrapeTimeoutError",
    "ScrapeStatusError",
    "ServeError",
]

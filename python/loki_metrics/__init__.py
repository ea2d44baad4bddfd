"""Prometheus and OpenMetrics metrics of a Loki Mode session.

A thin layer over the loki-metrics Rust core (``loki_metrics._native``):

* ``collect(loki_dir)`` reads a ``.loki`` directory into an immutable
  ``Snapshot``; ``render(source, format=...)`` encodes it as Prometheus text
  0.0.4, OpenMetrics 1.0.0 or JSON; ``Collector`` caches both.
* ``parse(text)`` reads exposition text into ``MetricFamily`` objects shaped
  like ``prometheus_client``'s; ``scrape(url)`` GETs an endpoint and parses it.
* ``serve(loki_dir)`` runs the Rust exporter on a background thread;
  ``serve_from_env()`` does so only when ``LOKI_METRICS_ENABLED=true``.
* ``push(url, loki_dir)`` sends one collection to a Prometheus remote-write
  receiver; ``serve(..., remote_write=RemoteWrite(url, ...))`` sends one every
  interval while the exporter runs.
* ``negotiate(accept)`` picks the encoding for an HTTP ``Accept`` header.

Integrations (pure Python): ``loki_metrics.prometheus_client`` (a collector
for a ``prometheus_client`` registry), ``loki_metrics.asgi`` and
``loki_metrics.wsgi`` (apps serving the negotiated text).

Problems in the directory never raise: they are ``Snapshot.warnings`` and
documented fallback values. Errors in *arguments* raise ``TypeError`` (wrong
type) or a ``LokiMetricsError`` subclass. The GIL is released while files are
read, text is encoded or parsed, and the network is waited on.
"""

from loki_metrics._errors import (
    ArgumentError,
    LokiMetricsError,
    ParseError,
    RemoteWriteError,
    RemoteWriteRefusedError,
    RemoteWriteTimeoutError,
    ScrapeConnectionError,
    ScrapeError,
    ScrapeStatusError,
    ScrapeTimeoutError,
    ServeError,
    UnknownFormatError,
)
from loki_metrics._families import Exemplar, MetricFamily, Sample
from loki_metrics._native import (
    JSON_CONTENT_TYPE,
    OPENMETRICS_CONTENT_TYPE,
    PROMETHEUS_CONTENT_TYPE,
    Collector,
    RemoteWrite,
    RemoteWriteStats,
    Server,
    Snapshot,
    SourceWarning,
    Values,
    __version__,
    collect,
    negotiate,
    parse,
    push,
    render,
    scrape,
    serve,
    serve_from_env,
)
from loki_metrics.parser import text_string_to_metric_families

# The names `snapshot.tasks` and `snapshot.exporter` had when each was a class
# of its own; both are `Values` now (the typed view's objects).
TaskCounts = Values
ExporterInfo = Values

__all__ = [
    "__version__",
    # collection and encoding
    "collect",
    "render",
    "negotiate",
    "Collector",
    "Snapshot",
    "Values",
    "TaskCounts",
    "SourceWarning",
    "ExporterInfo",
    "PROMETHEUS_CONTENT_TYPE",
    "OPENMETRICS_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    # parsing and scraping
    "parse",
    "scrape",
    "text_string_to_metric_families",
    "MetricFamily",
    "Sample",
    "Exemplar",
    # the exporter
    "serve",
    "serve_from_env",
    "Server",
    # remote write
    "push",
    "RemoteWrite",
    "RemoteWriteStats",
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
    "RemoteWriteError",
    "RemoteWriteRefusedError",
    "RemoteWriteTimeoutError",
]

"""Adds the Loki metrics to a ``prometheus_client`` registry (extra
``loki-metrics[prometheus-client]``)::

    from prometheus_client import REGISTRY, start_http_server
    from loki_metrics.prometheus_client import LokiCollector

    REGISTRY.register(LokiCollector(".loki"))
    start_http_server(8000)   # the app's own metrics and loki_* together

Each scrape asks the ``loki_metrics.Collector`` for its cached snapshot
(collected at most once per ``cache_ttl``) and turns the snapshot's families
into ``prometheus_client`` metric families, with no text in between.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Iterable, List, Optional, Union

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector as RegistryCollector
from prometheus_client.samples import Exemplar as PCExemplar
from prometheus_client.samples import Sample as PCSample

from loki_metrics._endpoint import StrPath
from loki_metrics._families import MetricFamily
from loki_metrics._native import Collector

__all__ = ["LokiCollector"]


class LokiCollector(RegistryCollector):
    """A ``prometheus_client`` collector of a Loki Mode directory's metrics.

    ``loki_dir`` is the ``.loki`` directory (env ``LOKI_DIR``, else
    ``./.loki``); or pass an existing ``loki_metrics.Collector`` as
    ``collector`` to share its cache.
    """

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

    def collect(self) -> Iterable[Metric]:
        """The current metrics as ``prometheus_client`` metric families."""
        return [_to_metric(family, with_samples=True) for family in self._families()]

    def describe(self) -> Iterable[Metric]:
        """The metric families without samples (for the registry's
        duplicate-name check)."""
        return [_to_metric(family, with_samples=False) for family in self._families()]

    def _families(self) -> List[MetricFamily]:
        return self.collector.collect().families


def _to_metric(family: MetricFamily, *, with_samples: bool) -> Metric:
    metric = Metric(family.name, family.documentation, family.type, family.unit)
    if with_samples:
        metric.samples = [
            PCSample(
                s.name,
                dict(s.labels),
                s.value,
                s.timestamp,
                None if s.exemplar is None else PCExemplar(dict(s.exemplar.labels), s.exemplar.value, s.exemplar.timestamp),
            )
            for s in family.samples
        ]
    return metric

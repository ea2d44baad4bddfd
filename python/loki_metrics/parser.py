"""Drop-in replacements for ``prometheus_client.parser``.

Code written for ``prometheus_client`` switches by changing one import::

    # from prometheus_client.parser import text_string_to_metric_families
    from loki_metrics.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            print(sample.name, sample.labels, sample.value)

The families have ``prometheus_client``'s attributes and its OpenMetrics
model (a counter family without ``_total``, its samples with it; ``untyped``
as ``"unknown"``), and ``Sample`` tuples compare equal to its samples.
Invalid text raises ``loki_metrics.ParseError``, a ``ValueError`` like the
one ``prometheus_client`` raises, with ``line`` and ``column``.

Differences, all deliberate: the text is checked as Prometheus' own Go parser
checks it (``prometheus_client`` accepts some invalid lines); a 0.0.4 family
interleaved with another is returned once with all its samples; sample
values are always ``float`` (``prometheus_client`` keeps integral ones as
``int``, which compare equal); the whole text is parsed on the first
``next()``, so an error is raised there rather than part-way through.
"""

from __future__ import annotations

from typing import Iterator, TextIO

from loki_metrics._families import MetricFamily
from loki_metrics._native import parse

__all__ = ["text_string_to_metric_families", "text_fd_to_metric_families"]


def text_string_to_metric_families(text: str) -> Iterator[MetricFamily]:
    """Parse Prometheus text format 0.0.4 from a string, yielding families."""
    yield from parse(text, format="prometheus")


def text_fd_to_metric_families(fd: TextIO) -> Iterator[MetricFamily]:
    """Parse Prometheus text format 0.0.4 from a text file, yielding families."""
    yield from parse(fd.read(), format="prometheus")

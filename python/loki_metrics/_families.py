"""What ``parse`` and ``scrape`` return: metric families shaped like
``prometheus_client``'s parser results.

``MetricFamily`` has the attributes of ``prometheus_client.metrics_core.Metric``
(``name``, ``documentation``, ``unit``, ``type``, ``samples``); ``Sample`` and
``Exemplar`` are named tuples with the fields, in the order, of
``prometheus_client.samples.Sample`` and ``Exemplar``, so a ``Sample`` compares
equal to ``prometheus_client``'s for the same line and unpacks the same way.

The families follow the OpenMetrics model, as ``prometheus_client`` presents
them whichever format it parsed: a counter family is named without
``_total`` and its samples with it; ``untyped`` is ``"unknown"``; an absent
HELP or UNIT is ``""``. Timestamps are float seconds since the epoch.
"""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Union

from loki_metrics._native import _SampleSource

__all__ = ["MetricFamily", "Sample", "Exemplar"]


class Exemplar(NamedTuple):
    """An OpenMetrics exemplar: ``# {labels} value [timestamp]`` after a sample."""

    labels: Dict[str, str]
    value: float
    timestamp: Optional[float] = None


class Sample(NamedTuple):
    """One sample line: its full name (with any ``_total``/``_bucket``/...
    suffix), labels in input order, value, and optional timestamp and exemplar.

    ``native_histogram`` is always ``None``; it is there so that a ``Sample``
    has ``prometheus_client``'s fields and compares equal to its samples.
    """

    name: str
    labels: Dict[str, str]
    value: float
    timestamp: Optional[float] = None
    exemplar: Optional[Exemplar] = None
    native_histogram: None = None


class MetricFamily:
    """One metric family: its name, HELP text (``documentation``), ``unit``,
    ``type`` and ``samples``.

    ``type`` is one of ``counter``, ``gauge``, ``histogram``, ``summary``,
    ``gaugehistogram``, ``stateset``, ``info``, ``unknown``. Equality compares
    all five attributes, also against a ``prometheus_client`` ``Metric``.
    """

    __slots__ = {
        "name": "The family name (a counter's without ``_total``).",
        "documentation": "The HELP text, unescaped; ``\"\"`` when absent.",
        "unit": "The UNIT (OpenMetrics); ``\"\"`` when absent.",
        "type": "``counter``, ``gauge``, ``histogram``, ``summary``, ``gaugehistogram``, "
        "``stateset``, ``info`` or ``unknown``.",
        "_samples": "The samples, or until their first access the ``_SampleSource`` that builds them.",
    }

    name: str
    documentation: str
    unit: str
    type: str
    _samples: Union[List[Sample], _SampleSource]

    def __init__(
        self,
        name: str,
        documentation: str,
        type: str,
        unit: str = "",
        samples: Optional[List[Sample]] = None,
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.type = type
        self.unit = unit
        self._samples = samples if samples is not None else []

    @property
    def samples(self) -> List[Sample]:
        """The samples, in input order.

        ``parse`` builds a family's samples on the first access: most of a
        parse's time is making these objects, and building each family's
        just before it is used keeps them in the CPU's caches. Its samples
        are not tracked by the cyclic garbage collector: they cannot form a
        cycle unless code puts a sample into its own labels.
        """
        samples = self._samples
        if isinstance(samples, _SampleSource):
            samples = self._samples = samples.build()
        return samples

    @samples.setter
    def samples(self, samples: List[Sample]) -> None:
        self._samples = samples

    def __eq__(self, other: object) -> bool:
        try:
            return (
                self.name == other.name  # type: ignore[attr-defined]
                and self.documentation == other.documentation  # type: ignore[attr-defined]
                and self.type == other.type  # type: ignore[attr-defined]
                and self.unit == other.unit  # type: ignore[attr-defined]
                and list(self.samples) == list(other.samples)  # type: ignore[attr-defined]
            )
        except AttributeError:
            return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"MetricFamily(name={self.name!r}, documentation={self.documentation!r}, "
            f"type={self.type!r}, unit={self.unit!r}, samples={self.samples!r})"
        )

    def __reduce__(self) -> Any:
        return (MetricFamily, (self.name, self.documentation, self.type, self.unit, self.samples))

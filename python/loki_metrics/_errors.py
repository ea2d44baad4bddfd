"""The exceptions loki_metrics raises.

They are defined in Python rather than in the native module because several
of them have two bases (``ParseError`` is both a ``LokiMetricsError`` and a
``ValueError``, so code written for ``prometheus_client``'s parser keeps
catching it), which PyO3's ``create_exception!`` cannot express. The native
module raises them by importing this module.

Problems in a ``.loki`` directory are never exceptions: they are warnings on
the ``Snapshot`` (``Snapshot.warnings``) and the documented fallback values.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
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


class LokiMetricsError(Exception):
    """Base class of every exception loki_metrics raises."""


class ArgumentError(LokiMetricsError, ValueError):
    """An argument of the right type with a value the library refuses.

    For example ``max_iterations=0``, a ``now`` string that is not RFC 3339,
    a negative ``cache_ttl``, a metrics path without a leading ``/``, a path
    with a NUL byte, a URL that is not ``http://`` or ``https://`` (or whose
    port is not 0-65535), or a ``scrape`` token that cannot be sent as a
    header. A wrong *type* is a ``TypeError``; a ``str`` that cannot be
    encoded (a lone surrogate) is Python's ``UnicodeEncodeError``, except in
    ``parse``, where it is a ``ParseError``.
    """


class UnknownFormatError(ArgumentError):
    """A format name that is not ``prometheus``, ``openmetrics`` or ``json``
    (or, for ``parse``, ``prometheus``, ``openmetrics`` or ``auto``)."""


class ParseError(LokiMetricsError, ValueError):
    """Exposition text that is not valid, with the place of the first problem.

    ``line`` and ``column`` are 1-based (the column counts characters);
    ``message`` says what was expected there. ``str(error)`` is
    ``"line:column: message"``.
    """

    message: str
    line: Optional[int]
    column: Optional[int]

    def __init__(self, message: str, line: Optional[int] = None, column: Optional[int] = None) -> None:
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"{self.line}:{self.column}: {self.message}"


class ScrapeError(LokiMetricsError, OSError):
    """``scrape`` got no metrics: the exchange with the endpoint failed.

    An ``OSError``, like the errors of ``urllib`` and ``socket``; ``url`` is
    the URL asked for. The subclasses narrow it down; a body that is not valid
    exposition text is a ``ParseError`` instead.
    """

    url: Optional[str] = None


class ScrapeConnectionError(ScrapeError, ConnectionError):
    """Nothing accepted the connection (refused, unreachable, unresolvable).

    ``errno`` is set when the operating system gave one (e.g.
    ``errno.ECONNREFUSED``).
    """


class ScrapeTimeoutError(ScrapeError, TimeoutError):
    """No complete answer within the timeout."""


class ScrapeStatusError(ScrapeError):
    """The endpoint answered with an HTTP status other than 200.

    ``status`` is the status code (e.g. 401 without the right token) and
    ``body`` the start of the answer's body.
    """

    status: Optional[int] = None
    body: str = ""


class ServeError(LokiMetricsError, OSError):
    """The exporter could not start: the address could not be bound, or the
    TLS certificate or key could not be loaded.

    ``errno`` is set when the operating system gave one (e.g.
    ``errno.EADDRINUSE`` for a port already in use).
    """


class RemoteWriteError(LokiMetricsError, OSError):
    """``push`` did not deliver its samples to the remote-write receiver.

    ``url`` is the receiver, ``stats`` the sender's final
    ``RemoteWriteStats`` and ``status`` the HTTP status of the last answer
    that was not a success (``None`` when nothing answered). The subclasses
    say which way it failed. A refused option (a bad label name, an
    unreadable secret file) is an ``ArgumentError`` instead.
    """

    url: Optional[str] = None
    status: Optional[int] = None
    stats: Optional[object] = None


class RemoteWriteRefusedError(RemoteWriteError):
    """The receiver refused the samples for good: an HTTP status 4xx other
    than 429 (``status``), which is never retried."""


class RemoteWriteTimeoutError(RemoteWriteError, TimeoutError):
    """No success within ``timeout``: nothing answered, or the receiver kept
    answering 5xx or 429 (each retried with backoff until then)."""


# Shown and pickled as `loki_metrics.<Name>`, where users import them from.
for _cls in (
    LokiMetricsError,
    ArgumentError,
    UnknownFormatError,
    ParseError,
    ScrapeError,
    ScrapeConnectionError,
    ScrapeTimeoutError,
    ScrapeStatusError,
    ServeError,
    RemoteWriteError,
    RemoteWriteRefusedError,
    RemoteWriteTimeoutError,
):
    _cls.__module__ = "loki_metrics"
del _cls

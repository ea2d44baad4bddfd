"""Types of ``loki_metrics._native``, the PyO3 adapter over the Rust core.

Hand-written, but for the parts between ``<generated ...>`` markers (the
snapshot's typed view, made from the family catalogue by
``LOKI_METRICS_BLESS=1 cargo test -p loki-metrics --test docs``);
``tests/python_pkg/test_typing.py`` checks it against the built module with
``mypy.stubtest``.
"""

import os
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, List, Literal, Mapping, Optional, Tuple, Type, Union, final, type_check_only

from typing_extensions import disjoint_base

from loki_metrics._families import MetricFamily, Sample

_StrPath = Union[str, "os.PathLike[str]"]
_Time = Union[datetime, int, float, str]
_Seconds = Union[float, timedelta]
# The encodings render() writes and parse() reads; another name raises
# UnknownFormatError at run time and is a type error for a checker.
_Format = Literal["prometheus", "openmetrics", "json"]
_ParseFormat = Literal["auto", "prometheus", "openmetrics"]
_NegotiatedFormat = Literal["prometheus", "openmetrics"]

__all__ = [
    "__version__",
    "PROMETHEUS_CONTENT_TYPE",
    "OPENMETRICS_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "collect",
    "render",
    "negotiate",
    "parse",
    "_SampleSource",
    "scrape",
    "serve",
    "serve_from_env",
    "Server",
    "push",
    "RemoteWrite",
    "RemoteWriteStats",
    "Snapshot",
    "Values",
    "SourceWarning",
    "Collector",
]

__version__: str
PROMETHEUS_CONTENT_TYPE: str
OPENMETRICS_CONTENT_TYPE: str
JSON_CONTENT_TYPE: str

def collect(
    loki_dir: Optional[_StrPath] = None,
    *,
    max_iterations: Optional[int] = None,
    now: Optional[_Time] = None,
    json_size_cap: Optional[int] = None,
    exporter_metrics: Optional[bool] = None,
    stale_after: Optional[_Seconds] = None,
) -> Snapshot:
    """Reads a `.loki` directory once and returns its `Snapshot`."""

def render(source: Union[Snapshot, _StrPath, None] = None, *, format: _Format = "prometheus") -> str:
    """Encodes a `Snapshot`, or collects a directory and encodes it."""

def negotiate(accept: Union[str, bytes, None] = None) -> Tuple[_NegotiatedFormat, str]:
    """Picks the encoding for an HTTP `Accept` header: `(format, content_type)`."""

def parse(text: Union[str, bytes, bytearray], *, format: _ParseFormat = "auto") -> List[MetricFamily]:
    """Parses exposition text into a list of `MetricFamily`."""

@final
class _SampleSource:
    """The samples of one parsed family, not built yet."""

    def build(self) -> List[Sample]: ...

def scrape(
    url: str,
    *,
    timeout: float = 10.0,
    token: Optional[str] = None,
    accept: Optional[str] = None,
    ca_file: Optional[_StrPath] = None,
    insecure: bool = False,
) -> List[MetricFamily]:
    """GETs `url` and parses the answer into a list of `MetricFamily`."""

def serve(
    loki_dir: Optional[_StrPath] = None,
    *,
    host: str = "127.0.0.1",
    port: int = 57374,
    path: str = "/metrics",
    cache_ttl: _Seconds = 2.0,
    token: Optional[str] = None,
    tls_cert: Optional[_StrPath] = None,
    tls_key: Optional[_StrPath] = None,
    max_iterations: Optional[int] = None,
    now: Optional[_Time] = None,
    json_size_cap: Optional[int] = None,
    exporter_metrics: Optional[bool] = None,
    stale_after: Optional[_Seconds] = None,
    remote_write: Union[RemoteWrite, str, None] = None,
) -> Server:
    """Starts the exporter on a background thread; returns once it listens."""

def push(
    url: str,
    loki_dir: Optional[_StrPath] = None,
    *,
    external_labels: Optional[Mapping[str, str]] = None,
    headers: Optional[Mapping[str, str]] = None,
    bearer_token_file: Optional[_StrPath] = None,
    basic_auth: Optional[Tuple[str, _StrPath]] = None,
    ca_file: Optional[_StrPath] = None,
    request_timeout: _Seconds = 10.0,
    timeout: _Seconds = 30.0,
    max_iterations: Optional[int] = None,
    now: Optional[_Time] = None,
    json_size_cap: Optional[int] = None,
    exporter_metrics: Optional[bool] = None,
    stale_after: Optional[_Seconds] = None,
) -> RemoteWriteStats:
    """Collects once and sends it to a Prometheus remote-write receiver."""

@final
class RemoteWrite:
    """Where and how `serve(remote_write=...)` sends its collections."""

    def __new__(
        cls,
        url: str,
        *,
        external_labels: Optional[Mapping[str, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
        bearer_token_file: Optional[_StrPath] = None,
        basic_auth: Optional[Tuple[str, _StrPath]] = None,
        ca_file: Optional[_StrPath] = None,
        request_timeout: _Seconds = 10.0,
        queue_samples: int = 50000,
        interval: _Seconds = 15.0,
    ) -> RemoteWrite: ...
    @property
    def url(self) -> str: ...
    @property
    def interval(self) -> float: ...

@final
class RemoteWriteStats:
    """What a remote-write sender counted."""

    @property
    def samples_sent(self) -> int: ...
    @property
    def samples_failed(self) -> int: ...
    @property
    def samples_dropped(self) -> int: ...
    @property
    def queue_samples(self) -> int: ...
    @property
    def last_success(self) -> Optional[float]: ...
    @property
    def requests(self) -> int: ...
    @property
    def last_error(self) -> Optional[str]: ...

def serve_from_env() -> Optional[Server]:
    """Starts the exporter from the environment, only if `LOKI_METRICS_ENABLED` is true."""

@disjoint_base
class Values:
    """Named values of the snapshot's typed view: a family by label value
    (`snapshot.tasks`), a group of families (`snapshot.exporter`), an info
    family's labels. Immutable; read by attribute or `to_dict()`."""

    def __getattribute__(self, name: str, /) -> Any: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

# <generated classes>
# Generated from crates/loki-metrics/src/families.rs by `LOKI_METRICS_BLESS=1 cargo test -p loki-metrics --test docs`; do not edit.
@type_check_only
class _Tasks(Values):
    """`loki_tasks_total`: Number of tasks by status"""

    @property
    def pending(self) -> int: ...
    @property
    def in_progress(self) -> int: ...
    @property
    def completed(self) -> int: ...
    @property
    def failed(self) -> int: ...

@type_check_only
class _ReceiptsByVerdict(Values):
    """`loki_receipts_by_verdict`: Receipts bucketed on the recorded honesty headline"""

    @property
    def verified(self) -> int: ...
    @property
    def with_gaps(self) -> int: ...
    @property
    def not_verified(self) -> int: ...
    @property
    def unknown(self) -> int: ...

@type_check_only
class _ReceiptsWithProvenance(Values):
    """`loki_receipts_with_provenance`: Receipts carrying a checkable provenance record"""

    @property
    def attestation(self) -> int: ...
    @property
    def gpg(self) -> int: ...

@type_check_only
class _Tokens(Values):
    """`loki_tokens_total`: Tokens used by the current run"""

    @property
    def input(self) -> int: ...
    @property
    def output(self) -> int: ...
    @property
    def cache_read(self) -> int: ...
    @property
    def cache_creation(self) -> int: ...

@type_check_only
class _SessionInfo(Values):
    """`loki_session_info`: Loki Mode session metadata"""

    @property
    def version(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def phase(self) -> str: ...
    @property
    def project(self) -> str: ...

@type_check_only
class _Exporter(Values):
    """The `exporter` families."""

    @property
    def collect_seconds(self) -> float: ...
    @property
    def version(self) -> str: ...

# </generated classes>

@final
class SourceWarning:
    """A problem met while reading a source; its value fell back as documented."""

    @property
    def source(self) -> str: ...
    @property
    def message(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Snapshot:
    """The metric values of one collection of a `.loki` directory. Immutable."""

    # <generated properties>
    # Generated from crates/loki-metrics/src/families.rs by `LOKI_METRICS_BLESS=1 cargo test -p loki-metrics --test docs`; do not edit.
    @property
    def session_status(self) -> Literal["stopped", "running", "paused"]: ...
    @property
    def session_status_code(self) -> int: ...
    @property
    def iteration_current(self) -> int: ...
    @property
    def iteration_max(self) -> int: ...
    @property
    def tasks(self) -> _Tasks: ...
    @property
    def agents_active(self) -> int: ...
    @property
    def agents_total(self) -> int: ...
    @property
    def cost_usd(self) -> float: ...
    @property
    def events_total(self) -> int: ...
    @property
    def uptime_seconds(self) -> float: ...
    @property
    def receipts_total(self) -> int: ...
    @property
    def receipts_by_verdict(self) -> _ReceiptsByVerdict: ...
    @property
    def receipts_with_provenance(self) -> _ReceiptsWithProvenance: ...
    @property
    def budget_limit_usd(self) -> Optional[float]: ...
    @property
    def budget_exceeded(self) -> Optional[int]: ...
    @property
    def tokens(self) -> _Tokens: ...
    @property
    def model_cost_usd(self) -> Values: ...
    @property
    def session_info(self) -> Optional[_SessionInfo]: ...
    @property
    def state_updated_timestamp_seconds(self) -> Optional[float]: ...
    @property
    def checklist_items(self) -> Values: ...
    @property
    def exporter(self) -> Optional[_Exporter]: ...
    # </generated properties>
    @property
    def failed_sources(self) -> Tuple[str, ...]: ...
    @property
    def warnings(self) -> Tuple[SourceWarning, ...]: ...
    @property
    def families(self) -> List[MetricFamily]: ...
    def value(self, name: str, /, **labels: str) -> Union[int, float, None]: ...
    def to_dict(self) -> dict[str, object]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(text: str) -> Snapshot: ...
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: None  # type: ignore[assignment]

@final
class Collector:
    """Collects a directory at most once per `cache_ttl` seconds (thread-safe)."""

    def __new__(
        cls,
        loki_dir: Optional[_StrPath] = None,
        *,
        cache_ttl: _Seconds = 2.0,
        max_iterations: Optional[int] = None,
        now: Optional[_Time] = None,
        json_size_cap: Optional[int] = None,
        exporter_metrics: Optional[bool] = None,
        stale_after: Optional[_Seconds] = None,
    ) -> Collector: ...
    def collect(self) -> Snapshot: ...
    def render(self, format: _Format = "prometheus") -> str: ...
    def render_if_fresh(self, format: _Format = "prometheus") -> Optional[str]: ...
    def invalidate(self) -> None: ...
    @property
    def collections(self) -> int: ...
    @property
    def loki_dir(self) -> Path: ...
    @property
    def cache_ttl(self) -> float: ...

@final
class Server:
    """A running exporter; `close()` or leaving a `with` block stops it."""

    @property
    def url(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def collector(self) -> Collector: ...
    @property
    def closed(self) -> bool: ...
    @property
    def remote_write_stats(self) -> Optional[RemoteWriteStats]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Server: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

"""Hostile input to every public entry point (issue 9): wrong types, refused
values, bad paths, hostile servers, huge inputs and threads. Each case ends in
the documented exception class with a telling message, or in correct output;
never a panic, a hang, a crash or an untyped error.

Cases that could hang or crash the interpreter (FIFOs, huge inputs, endless
bodies) run in a fresh interpreter with a time limit, so that a regression
fails its test instead of stopping the run. The huge-input cases print their
sizes, times and peak RSS (``pytest -s`` shows them) but assert only behaviour.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import gc
import json
import math
import os
import pathlib
import pickle
import socket
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any, Callable, Dict, List, Optional

import pytest

import loki_metrics as lm
from loki_metrics.asgi import make_asgi_app
from loki_metrics.parser import text_string_to_metric_families
from loki_metrics.wsgi import make_wsgi_app

from conftest import RUNNING, free_port, wait_until

RUNNING_DIR = RUNNING / ".loki"
RUNNING_NOW = (RUNNING / "now").read_text().strip()
CLOSED_URL = "http://127.0.0.1:9/metrics"  # the discard port: nothing listens


# ---- Hostile argument objects --------------------------------------------------


class RaisingStr:
    def __str__(self) -> str:
        raise RuntimeError("boom from __str__")

    __repr__ = __str__


class RaisingFspath:
    def __fspath__(self) -> str:
        raise RuntimeError("boom from __fspath__")


class FspathInt:
    def __fspath__(self) -> Any:
        return 5


class Index:
    """An int stand-in, as NumPy integers are (``__index__``, not an ``int``)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


class RaisingIndex:
    def __index__(self) -> int:
        raise RuntimeError("boom from __index__")


# ---- Wrong types and refused values: one table ---------------------------------

Case = Callable[[], Any]

ARGUMENT_CASES: Dict[str, tuple] = {
    # collect(loki_dir)
    "collect/dir-dict": (lambda: lm.collect({}), TypeError, "loki_dir must be a str or os.PathLike, not dict"),
    "collect/dir-bytes": (lambda: lm.collect(b"/tmp"), TypeError, "not bytes"),
    "collect/dir-raising-str": (lambda: lm.collect(RaisingStr()), TypeError, "not RaisingStr"),
    "collect/dir-raising-fspath": (lambda: lm.collect(RaisingFspath()), RuntimeError, "boom from __fspath__"),
    "collect/dir-fspath-int": (lambda: lm.collect(FspathInt()), TypeError, "__fspath__"),
    "collect/dir-nul": (lambda: lm.collect("a\0b"), lm.ArgumentError, "loki_dir contains a NUL byte"),
    "collect/dir-surrogate": (lambda: lm.collect("\ud800"), UnicodeEncodeError, "surrogates not allowed"),
    # collect(max_iterations, json_size_cap, now, exporter_metrics)
    "collect/max-str": (lambda: lm.collect(RUNNING_DIR, max_iterations="5"), TypeError, "max_iterations must be an int"),
    "collect/max-nan": (lambda: lm.collect(RUNNING_DIR, max_iterations=math.nan), TypeError, "not float"),
    "collect/max-raising-index": (lambda: lm.collect(RUNNING_DIR, max_iterations=RaisingIndex()), RuntimeError,
                                  "boom from __index__"),
    "collect/max-index-0": (lambda: lm.collect(RUNNING_DIR, max_iterations=Index(0)), lm.ArgumentError,
                            "must be a positive int"),
    "collect/max-2**70": (lambda: lm.collect(RUNNING_DIR, max_iterations=2**70), lm.ArgumentError,
                          "must be a positive int, got 1180591620717411303424"),
    "collect/cap-0": (lambda: lm.collect(RUNNING_DIR, json_size_cap=0), lm.ArgumentError, "json_size_cap must be a positive int"),
    "collect/cap-neg": (lambda: lm.collect(RUNNING_DIR, json_size_cap=-5), lm.ArgumentError, "got -5"),
    "collect/cap-bool": (lambda: lm.collect(RUNNING_DIR, json_size_cap=True), TypeError, "not bool"),
    "collect/cap-2**100": (lambda: lm.collect(RUNNING_DIR, json_size_cap=2**100), lm.ArgumentError, "positive int"),
    "collect/now-2**63": (lambda: lm.collect(RUNNING_DIR, now=2**63), lm.ArgumentError, "out of range"),
    "collect/now--inf": (lambda: lm.collect(RUNNING_DIR, now=-math.inf), lm.ArgumentError, "finite epoch seconds"),
    "collect/now-nul": (lambda: lm.collect(RUNNING_DIR, now="2026-01-05T12:00:00Z\0"), lm.ArgumentError,
                        "invalid timestamp"),
    "collect/now-surrogate": (lambda: lm.collect(RUNNING_DIR, now="\ud800"), UnicodeEncodeError, "surrogates"),
    "collect/now-object": (lambda: lm.collect(RUNNING_DIR, now=object()), TypeError, "now must be a datetime"),
    "collect/exporter-int": (lambda: lm.collect(RUNNING_DIR, exporter_metrics=1), TypeError, "bool"),
    "collect/stale--1": (lambda: lm.collect(RUNNING_DIR, stale_after=-1), lm.ArgumentError,
                         "stale_after must be a finite, non-negative number of seconds, got -1"),
    "collect/stale-nan": (lambda: lm.collect(RUNNING_DIR, stale_after=math.nan), lm.ArgumentError, "got nan"),
    "collect/stale-inf": (lambda: lm.collect(RUNNING_DIR, stale_after=math.inf), lm.ArgumentError, "got inf"),
    "collect/stale-str": (lambda: lm.collect(RUNNING_DIR, stale_after="60"), TypeError,
                          "stale_after must be a number of seconds (int or float) or a timedelta, not str"),
    "collect/stale-bool": (lambda: lm.collect(RUNNING_DIR, stale_after=True), TypeError, "not bool"),
    "collect/stale-negative-timedelta": (lambda: lm.collect(RUNNING_DIR, stale_after=dt.timedelta(seconds=-1)),
                                         lm.ArgumentError, "stale_after must be a finite, non-negative"),
    "collect/unknown-kw": (lambda: lm.collect(RUNNING_DIR, max_iteration=5), TypeError,
                           "unexpected keyword argument 'max_iteration'"),
    "collect/positional-option": (lambda: lm.collect(RUNNING_DIR, 5), TypeError, "positional"),
    # render
    "render/source-bytes": (lambda: lm.render(b"/tmp"), TypeError, "source must be a Snapshot"),
    "render/source-raising-fspath": (lambda: lm.render(RaisingFspath()), RuntimeError, "boom from __fspath__"),
    "render/source-nul": (lambda: lm.render("x\0"), lm.ArgumentError, "NUL byte"),
    "render/format-nul": (lambda: lm.render(RUNNING_DIR, format="json\0"), lm.UnknownFormatError, "unknown format"),
    "render/format-surrogate": (lambda: lm.render(RUNNING_DIR, format="\ud800"), UnicodeEncodeError, "surrogates"),
    "render/unknown-kw": (lambda: lm.render(RUNNING_DIR, now=1), TypeError, "unexpected keyword argument 'now'"),
    # negotiate
    "negotiate/bytearray": (lambda: lm.negotiate(bytearray(b"text/plain")), TypeError, "accept must be a str, bytes or None"),
    "negotiate/list": (lambda: lm.negotiate(["text/plain"]), TypeError, "not list"),
    "negotiate/unknown-kw": (lambda: lm.negotiate(header="x"), TypeError, "unexpected keyword argument"),
    # parse
    "parse/memoryview": (lambda: lm.parse(memoryview(b"a 1\n")), TypeError, "text must be a str or bytes, not memoryview"),
    "parse/raising-str": (lambda: lm.parse(RaisingStr()), TypeError, "not RaisingStr"),
    "parse/format-int": (lambda: lm.parse("a 1\n", format=1), TypeError, "format must be a str"),
    "parse/format-unknown": (lambda: lm.parse("a 1\n", format="json"), lm.UnknownFormatError, "json"),
    "parse/format-surrogate": (lambda: lm.parse("a 1\n", format="\ud800"), UnicodeEncodeError, "surrogates"),
    "parse/unknown-kw": (lambda: lm.parse("a 1\n", fmt="auto"), TypeError, "unexpected keyword argument 'fmt'"),
    "parse/no-text": (lambda: lm.parse(), TypeError, "text"),
    # Collector
    "Collector/dir-raising-fspath": (lambda: lm.Collector(RaisingFspath()), RuntimeError, "boom from __fspath__"),
    "Collector/dir-nul": (lambda: lm.Collector("\0"), lm.ArgumentError, "NUL byte"),
    "Collector/ttl-str": (lambda: lm.Collector(RUNNING_DIR, cache_ttl="2"), TypeError, "cache_ttl must be a number"),
    "Collector/ttl-none-object": (lambda: lm.Collector(RUNNING_DIR, cache_ttl=[2]), TypeError, "not list"),
    "Collector/ttl-raising-index": (lambda: lm.Collector(RUNNING_DIR, cache_ttl=RaisingIndex()), RuntimeError,
                                    "boom from __index__"),
    "Collector/ttl-2**64": (lambda: lm.Collector(RUNNING_DIR, cache_ttl=2**64), lm.ArgumentError,
                            "cache_ttl must be a finite, non-negative number of seconds"),
    "Collector/ttl-10**400": (lambda: lm.Collector(RUNNING_DIR, cache_ttl=10**400), lm.ArgumentError,
                              "cache_ttl must be a finite"),
    "Collector/ttl--inf": (lambda: lm.Collector(RUNNING_DIR, cache_ttl=-math.inf), lm.ArgumentError, "got -inf"),
    "Collector/stale-nan": (lambda: lm.Collector(RUNNING_DIR, stale_after=math.nan), lm.ArgumentError, "stale_after"),
    "Collector/unknown-kw": (lambda: lm.Collector(RUNNING_DIR, ttl=1), TypeError, "unexpected keyword argument 'ttl'"),
    "Collector.render/format-int": (lambda: lm.Collector(RUNNING_DIR).render(1), TypeError, "format must be a str"),
    "Collector.render/format-bad": (lambda: lm.Collector(RUNNING_DIR).render("xml"), lm.UnknownFormatError, "xml"),
    "Collector.render_if_fresh/format-bytes": (lambda: lm.Collector(RUNNING_DIR).render_if_fresh(b"json"), TypeError,
                                               "not bytes"),
    "Collector.collect/extra-arg": (lambda: lm.Collector(RUNNING_DIR).collect(1), TypeError, "takes no arguments"),
    "Collector.invalidate/extra-arg": (lambda: lm.Collector(RUNNING_DIR).invalidate(True), TypeError, "takes no arguments"),
    # Snapshot
    "Snapshot/new": (lambda: lm.Snapshot(), TypeError, "cannot create"),
    "Snapshot.from_json/int": (lambda: lm.Snapshot.from_json(5), TypeError, "str"),
    "Snapshot.from_json/list": (lambda: lm.Snapshot.from_json("[]"), lm.ArgumentError, "not the JSON of a snapshot"),
    "Snapshot.from_json/deep": (lambda: lm.Snapshot.from_json("[" * 100_000), lm.ArgumentError, "not the JSON of a snapshot"),
    "Snapshot.from_json/surrogate": (lambda: lm.Snapshot.from_json('"\ud800"'), UnicodeEncodeError, "surrogates"),
    # scrape (all against a closed port: refusing an argument never connects)
    "scrape/url-none": (lambda: lm.scrape(None), TypeError, "url must be a str, not NoneType"),
    "scrape/url-bytes": (lambda: lm.scrape(CLOSED_URL.encode()), TypeError, "not bytes"),
    "scrape/url-nul": (lambda: lm.scrape(CLOSED_URL + "\0"), lm.ArgumentError, "invalid URL"),
    "scrape/url-surrogate": (lambda: lm.scrape(CLOSED_URL + "\ud800"), UnicodeEncodeError, "surrogates"),
    # A port out of range once meant port 80, silently.
    "scrape/url-port-99999": (lambda: lm.scrape("http://127.0.0.1:99999/"), lm.ArgumentError,
                              "the port must be a number from 0 to 65535"),
    "scrape/token-newline": (lambda: lm.scrape(CLOSED_URL, token="a\nb"), lm.ArgumentError, "token must be non-empty printable"),
    "scrape/token-empty": (lambda: lm.scrape(CLOSED_URL, token=""), lm.ArgumentError, "token"),
    "scrape/token-bytes": (lambda: lm.scrape(CLOSED_URL, token=b"t"), TypeError, "token must be a str"),
    "scrape/accept-crlf": (lambda: lm.scrape(CLOSED_URL, accept="text/plain\r\nX-Evil: 1"), lm.ArgumentError,
                           "the Accept value"),
    "scrape/timeout-nan": (lambda: lm.scrape(CLOSED_URL, timeout=math.nan), lm.ArgumentError, "got nan"),
    "scrape/timeout-inf": (lambda: lm.scrape(CLOSED_URL, timeout=math.inf), lm.ArgumentError, "got inf"),
    "scrape/timeout-10**400": (lambda: lm.scrape(CLOSED_URL, timeout=10**400), lm.ArgumentError, "timeout must be"),
    "scrape/timeout-bool": (lambda: lm.scrape(CLOSED_URL, timeout=True), TypeError, "not bool"),
    "scrape/timeout-none-zero": (lambda: lm.scrape(CLOSED_URL, timeout=0.0), lm.ArgumentError, "more than 0"),
    "scrape/insecure-int": (lambda: lm.scrape(CLOSED_URL, insecure=1), TypeError, "bool"),
    "scrape/ca-int": (lambda: lm.scrape(CLOSED_URL, ca_file=1), TypeError, "ca_file must be a str or os.PathLike"),
    "scrape/ca-nul": (lambda: lm.scrape(CLOSED_URL, ca_file="ca\0.pem"), lm.ArgumentError, "ca_file contains a NUL byte"),
    "scrape/unknown-kw": (lambda: lm.scrape(CLOSED_URL, headers={}), TypeError, "unexpected keyword argument 'headers'"),
    # serve (nothing here may start a server)
    "serve/dir-int": (lambda: lm.serve(5, port=0), TypeError, "loki_dir must be a str or os.PathLike"),
    "serve/host-int": (lambda: lm.serve(RUNNING_DIR, host=127, port=0), TypeError, "host must be a str"),
    "serve/host-empty": (lambda: lm.serve(RUNNING_DIR, host="", port=0), lm.ArgumentError, "the host is empty"),
    "serve/host-nul": (lambda: lm.serve(RUNNING_DIR, host="127.0.0.1\0", port=0), lm.ArgumentError,
                       "without spaces or control characters"),
    "serve/host-space": (lambda: lm.serve(RUNNING_DIR, host="local host", port=0), lm.ArgumentError, 'the host "local host"'),
    "serve/host-surrogate": (lambda: lm.serve(RUNNING_DIR, host="\ud800", port=0), UnicodeEncodeError, "surrogates"),
    "serve/port--1": (lambda: lm.serve(RUNNING_DIR, port=-1), lm.ArgumentError, "port must be 0-65535, got -1"),
    "serve/port-65536": (lambda: lm.serve(RUNNING_DIR, port=65536), lm.ArgumentError, "got 65536"),
    "serve/port-2**70": (lambda: lm.serve(RUNNING_DIR, port=2**70), lm.ArgumentError, "port must be 0-65535"),
    "serve/port-index-70000": (lambda: lm.serve(RUNNING_DIR, port=Index(70000)), lm.ArgumentError, "port must be 0-65535"),
    "serve/port-bool": (lambda: lm.serve(RUNNING_DIR, port=True), TypeError, "port must be an int, not bool"),
    "serve/port-float": (lambda: lm.serve(RUNNING_DIR, port=80.0), TypeError, "not float"),
    "serve/port-str": (lambda: lm.serve(RUNNING_DIR, port="80"), TypeError, "not str"),
    "serve/port-raising-index": (lambda: lm.serve(RUNNING_DIR, port=RaisingIndex()), RuntimeError, "boom from __index__"),
    "serve/path-empty": (lambda: lm.serve(RUNNING_DIR, port=0, path=""), lm.ArgumentError, "must start with '/'"),
    "serve/path-nul": (lambda: lm.serve(RUNNING_DIR, port=0, path="/m\0"), lm.ArgumentError, "plain path characters"),
    "serve/path-health": (lambda: lm.serve(RUNNING_DIR, port=0, path="/health"), lm.ArgumentError, "health check"),
    "serve/path-bytes": (lambda: lm.serve(RUNNING_DIR, port=0, path=b"/m"), TypeError, "path must be a str"),
    "serve/token-empty": (lambda: lm.serve(RUNNING_DIR, port=0, token=""), lm.ArgumentError, "token must be non-empty"),
    "serve/token-space": (lambda: lm.serve(RUNNING_DIR, port=0, token="a b"), lm.ArgumentError, "without spaces"),
    "serve/ttl-nan": (lambda: lm.serve(RUNNING_DIR, port=0, cache_ttl=math.nan), lm.ArgumentError, "cache_ttl"),
    "serve/stale-str": (lambda: lm.serve(RUNNING_DIR, port=0, stale_after="60"), TypeError, "stale_after"),
    "serve/tls-cert-only": (lambda: lm.serve(RUNNING_DIR, port=0, tls_cert="c.pem"), lm.ArgumentError, "needs both"),
    "serve/tls-missing": (lambda: lm.serve(RUNNING_DIR, port=0, tls_cert="/nonexistent/c.pem", tls_key="/nonexistent/k.pem"),
                          lm.ServeError, "cannot read certificate /nonexistent/c.pem: No such file"),
    "serve/tls-dir": (lambda: lm.serve(RUNNING_DIR, port=0, tls_cert="/", tls_key="/"), lm.ServeError, "not a regular file"),
    "serve/tls-empty": (lambda: lm.serve(RUNNING_DIR, port=0, tls_cert=os.devnull, tls_key=os.devnull), lm.ServeError,
                        "not a regular file"),
    "serve/unknown-kw": (lambda: lm.serve(RUNNING_DIR, prot=0), TypeError, "unexpected keyword argument 'prot'"),
    "serve/positional-host": (lambda: lm.serve(RUNNING_DIR, "127.0.0.1"), TypeError, "positional"),
    "serve_from_env/arg": (lambda: lm.serve_from_env(True), TypeError, "takes no arguments"),
    "Server/new": (lambda: lm.Server(), TypeError, "cannot create"),
    # the pure-Python integrations
    "make_asgi_app/ttl-str": (lambda: make_asgi_app(RUNNING_DIR, cache_ttl="2"), TypeError, "cache_ttl"),
    "make_wsgi_app/dir-raising-fspath": (lambda: make_wsgi_app(RaisingFspath()), RuntimeError, "boom from __fspath__"),
    "make_wsgi_app/max-bool": (lambda: make_wsgi_app(RUNNING_DIR, max_iterations=False), TypeError, "max_iterations"),
    "make_wsgi_app/stale--1": (lambda: make_wsgi_app(RUNNING_DIR, stale_after=-1), lm.ArgumentError, "stale_after"),
    "make_asgi_app/stale-and-collector": (lambda: make_asgi_app(stale_after=1, collector=lm.Collector(RUNNING_DIR)),
                                          TypeError, "not both"),
    "text_string_to_metric_families/none": (lambda: next(text_string_to_metric_families(None)), TypeError,
                                            "text must be a str or bytes"),
}


@pytest.mark.parametrize("call, error, message", ARGUMENT_CASES.values(), ids=list(ARGUMENT_CASES))
def test_a_hostile_argument_raises_its_exact_exception(call, error, message):
    with pytest.raises(BaseException) as e:
        call()
    assert type(e.value) is error, f"{type(e.value).__module__}.{type(e.value).__name__}: {e.value}"
    assert message in str(e.value)
    assert "panicked" not in str(e.value)


ACCEPTED_CASES: Dict[str, tuple] = {
    # An object with __index__ stands for its int, as in Python's own APIs.
    "collect/max-index": (lambda: lm.collect(RUNNING_DIR, max_iterations=Index(7)).iteration_max, 7),
    "collect/max-2**64-1": (lambda: lm.collect(RUNNING_DIR, max_iterations=2**64 - 1).iteration_max, 2**64 - 1),
    "collect/cap-2**64-1": (lambda: lm.collect(RUNNING_DIR, now=RUNNING_NOW, json_size_cap=2**64 - 1).session_status,
                            "running"),
    "Collector/ttl-index": (lambda: lm.Collector(RUNNING_DIR, cache_ttl=Index(3)).cache_ttl, 3.0),
    "Collector/ttl-negative-zero": (lambda: lm.Collector(RUNNING_DIR, cache_ttl=-0.0).cache_ttl, 0.0),
    "Collector/ttl-below-a-nanosecond": (lambda: lm.Collector(RUNNING_DIR, cache_ttl=1e-12).cache_ttl, 0.0),
    # The running fixture's state is 2 s old at its `now`.
    "collect/stale-index": (lambda: lm.collect(RUNNING_DIR, now=RUNNING_NOW, stale_after=Index(1)).session_status,
                            "stopped"),
    "collect/stale-timedelta": (lambda: lm.collect(RUNNING_DIR, now=RUNNING_NOW,
                                                   stale_after=dt.timedelta(seconds=1, microseconds=999_999))
                                .session_status, "stopped"),
    "collect/stale-timedelta-minute": (lambda: lm.collect(RUNNING_DIR, now=RUNNING_NOW,
                                                          stale_after=dt.timedelta(minutes=1)).session_status, "running"),
    "Collector/ttl-timedelta": (lambda: lm.Collector(RUNNING_DIR, cache_ttl=dt.timedelta(milliseconds=1500)).cache_ttl,
                                1.5),
    "render/format-none-is-the-default": (lambda: lm.render(RUNNING_DIR, format=None)[:7], "# HELP "),
    "Collector.render/format-none": (lambda: lm.Collector(RUNNING_DIR).render(None)[:7], "# HELP "),
    # A header is never refused: what cannot be read negotiates 0.0.4.
    "negotiate/surrogate": (lambda: lm.negotiate("\ud800")[0], "prometheus"),
    "negotiate/latin1-bytes": (lambda: lm.negotiate(b"\xff\xfe\x00")[0], "prometheus"),
    "negotiate/nul": (lambda: lm.negotiate("application/openmetrics-text\0")[0], "prometheus"),
    "negotiate/1mb": (lambda: lm.negotiate("text/plain;q=0.1, " * 60_000 + "application/openmetrics-text")[0],
                      "openmetrics"),
    "parse/empty": (lambda: lm.parse(""), []),
    "parse/nul-in-label-value": (lambda: lm.parse('a{b="\0"} 1\n')[0].samples[0].labels, {"b": "\0"}),
    "parse/bytearray": (lambda: lm.parse(bytearray(b"a 1\n"))[0].samples[0].value, 1.0),
}


@pytest.mark.parametrize("call, expected", ACCEPTED_CASES.values(), ids=list(ACCEPTED_CASES))
def test_an_odd_but_valid_argument_gives_the_right_result(call, expected):
    assert call() == expected


# ---- Text that is not valid Unicode ---------------------------------------------


@pytest.mark.parametrize(
    "text, line, column",
    [
        ("\ud800 1\n", 1, 1),
        ("a 1\nb\udcff 1\n", 2, 2),
        ('a 1\n# HELP b x\nb{l="\u00e9\ud83d"} 1\n', 3, 7),  # columns count characters
    ],
)
def test_a_lone_surrogate_is_a_parse_error_at_its_place(text, line, column):
    with pytest.raises(lm.ParseError) as e:
        lm.parse(text)
    assert (e.value.line, e.value.column) == (line, column)
    assert "lone surrogate" in e.value.message and isinstance(e.value, ValueError)


def test_nul_bytes_in_names_are_a_parse_error():
    with pytest.raises(lm.ParseError) as e:
        lm.parse("a\0 1\n")
    assert (e.value.line, e.value.column) == (1, 2)


# ---- Bad paths -----------------------------------------------------------------


def messages(snapshot: lm.Snapshot) -> List[str]:
    return [str(w) for w in snapshot.warnings]


def test_a_missing_directory_and_a_file_instead_of_it_are_warnings(tmp_path):
    assert messages(lm.collect(tmp_path / "absent")) == [".: the directory does not exist; all values are fallbacks"]
    (tmp_path / "file").write_text("x")
    snapshot = lm.collect(tmp_path / "file")
    assert len(snapshot.warnings) == 1 and "regular file" in messages(snapshot)[0]
    assert lm.render(tmp_path / "file").startswith("# HELP loki_session_status")


def test_a_path_with_an_undecodable_byte_is_just_a_missing_directory(tmp_path):
    # "\udcff" is how Python spells the byte 0xff of a file name (surrogateescape).
    snapshot = lm.collect(str(tmp_path) + "/\udcff")
    assert messages(snapshot) == [".: the directory does not exist; all values are fallbacks"]


PRELUDE = """
import json, os, resource, sys, time, threading
import loki_metrics as lm

def peak_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

def report(**figures):
    figures["peak_rss_mb"] = peak_mb()
    print(json.dumps(figures))
"""


def run_isolated(code: str, cwd: pathlib.Path, timeout: float = 60.0) -> Dict[str, Any]:
    """Runs ``code`` in a fresh interpreter. A crash (a signal, an abort) or a
    hang fails the calling test; the last line printed is a JSON dict of
    figures, printed here and returned."""
    script = PRELUDE + textwrap.dedent(code)
    try:
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"hung: no exit within {timeout} s\n{(e.stderr or b'')[-3000:]!r}") from None
    assert proc.returncode == 0, f"exit status {proc.returncode}\n{proc.stderr[-3000:]}"
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    print(figures)
    return figures


def test_fifos_as_the_directory_and_as_every_source_never_block(tmp_path):
    # A FIFO without a writer blocks whoever opens it for reading: forever.
    figures = run_isolated(
        """
        loki = os.path.abspath(".loki")
        os.mkfifo("fifo-dir")
        os.makedirs(os.path.join(loki, "state"))
        for name in ("dashboard-state.json", "events.jsonl", "loki.pid", "state/orchestrator.json"):
            os.mkfifo(os.path.join(loki, name))
        t = time.perf_counter()
        dir_warnings = [str(w) for w in lm.collect("fifo-dir").warnings]
        source_warnings = [str(w) for w in lm.collect(loki).warnings]
        collector = lm.Collector(loki, cache_ttl=0)
        text = collector.render()
        with lm.serve(loki, port=0) as server:
            families = lm.scrape(server.url)
        report(dir=dir_warnings, sources=source_warnings, seconds=round(time.perf_counter() - t, 3),
               rendered=text.startswith("# HELP"), families=len(families))
        """,
        tmp_path,
        timeout=30,
    )
    assert figures["dir"] == [".: the directory is a FIFO; all values are fallbacks"]
    assert "dashboard-state.json: is a FIFO, not a regular file; its values fall back" in figures["sources"]
    assert "events.jsonl: is a FIFO, not a regular file; events counted as 0" in figures["sources"]
    assert figures["rendered"] and figures["families"] >= 9


def test_fifos_and_devices_as_tls_files_are_serve_errors_not_hangs(tmp_path):
    figures = run_isolated(
        """
        os.mkfifo("cert.pem")
        results = {}
        for cert, key in (("cert.pem", "cert.pem"), ("/dev/zero", "/dev/zero")):
            try:
                lm.serve(".", port=0, tls_cert=cert, tls_key=key).close()
                results[cert] = "started"
            except lm.ServeError as e:
                results[cert] = str(e)
        with lm.serve(".", port=0) as server:
            https = server.url.replace("http://", "https://")
            t = time.perf_counter()
            try:
                lm.scrape(https, ca_file="cert.pem", timeout=2)
                results["ca_file"] = "scraped"
            except lm.ScrapeError as e:
                results["ca_file"] = type(e).__name__ + ": " + str(e)
            results["ca_seconds"] = round(time.perf_counter() - t, 3)
        report(**results)
        """,
        tmp_path,
        timeout=30,
    )
    assert figures["cert.pem"] == "TLS: cannot read certificate cert.pem: not a regular file"
    assert figures["/dev/zero"] == "TLS: cannot read certificate /dev/zero: not a regular file"
    assert figures["ca_file"].startswith("ScrapeError: TLS with https://")
    assert "cannot read certificate cert.pem: not a regular file" in figures["ca_file"]


# ---- Closed servers and hostile endpoints ----------------------------------------


def test_every_operation_after_close_is_safe(running_dir):
    server = lm.serve(running_dir, port=0)
    url, port = server.url, server.port
    with server as entered:
        assert entered is server
    assert server.closed and server.__exit__(None, None, None) is False  # context exit twice
    server.close()
    server.close()  # and close again
    with server:  # a closed server still enters and exits
        pass
    assert (server.url, server.port, server.host) == (url, port, "127.0.0.1")
    assert repr(server) == f"<Server {url} (closed)>"
    # The collector outlives the server; the port does not answer any more.
    assert server.collector.render().startswith("# HELP loki_session_status")
    with pytest.raises(lm.ScrapeConnectionError) as e:
        lm.scrape(url, timeout=2)
    assert e.value.errno == errno.ECONNREFUSED


def test_an_exception_in_a_with_block_propagates_and_closes(running_dir):
    with pytest.raises(KeyError, match="inside"):
        with lm.serve(running_dir, port=0) as server:
            raise KeyError("inside")
    assert server.closed


def test_serving_twice_on_one_port_is_a_serve_error_with_eaddrinuse(running_dir):
    with lm.serve(running_dir, port=0) as first:
        with pytest.raises(lm.ServeError) as e:
            lm.serve(running_dir, port=first.port)
    assert e.value.errno == errno.EADDRINUSE and f"127.0.0.1:{first.port}" in str(e.value)


def test_serving_on_an_address_of_another_machine_is_a_serve_error_with_errno(running_dir):
    with pytest.raises(lm.ServeError) as e:
        lm.serve(running_dir, host="192.0.2.1", port=0)  # TEST-NET-1: never local
    assert e.value.errno == errno.EADDRNOTAVAIL and "cannot listen on 192.0.2.1:0" in str(e.value)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"LOKI_METRICS_HOST": "bad host"}, 'the host "bad host" must be a name or an address'),
        ({"LOKI_METRICS_PORT": "99999"}, "LOKI_METRICS_PORT"),
        ({"LOKI_METRICS_PATH": "metrics"}, "must start with '/'"),
        ({"LOKI_METRICS_TOKEN": "a b"}, "token must be non-empty printable ASCII"),
        ({"LOKI_METRICS_STALE_AFTER": "soon"}, 'invalid value for stale_after: LOKI_METRICS_STALE_AFTER="soon"'),
    ],
)
def test_serve_from_env_with_hostile_variables_is_an_argument_error(monkeypatch, env, message):
    monkeypatch.setenv("LOKI_METRICS_ENABLED", "true")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(lm.ArgumentError) as e:
        lm.serve_from_env()
    assert type(e.value) is lm.ArgumentError and message in str(e.value)


class HostileEndpoint:
    """A TCP server that answers every connection with ``behave(conn)``."""

    def __init__(self, behave: Callable[[socket.socket], None]) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/metrics"
        self.behave = behave
        self.conns: List[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            self.behave(conn)
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


def answer(status: str, body: bytes, content_type: Optional[str] = "text/plain; version=0.0.4", extra: str = ""):
    def behave(conn: socket.socket) -> None:
        read_request(conn)
        head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n{extra}"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        conn.sendall(head.encode() + b"\r\n" + body)
        conn.shutdown(socket.SHUT_WR)
        time.sleep(0.5)

    return behave


def silent(conn: socket.socket) -> None:
    read_request(conn)
    time.sleep(30)


def closes_at_once(conn: socket.socket) -> None:
    read_request(conn)
    conn.close()


def closes_mid_body(conn: socket.socket) -> None:
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nloki_up 1\n")
    conn.close()


def trickles_headers(conn: socket.socket) -> None:
    read_request(conn)
    for c in b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n":
        conn.sendall(bytes([c]))
        time.sleep(0.05)


def not_http(conn: socket.socket) -> None:
    conn.sendall(b"SSH-2.0-OpenSSH_9.0\r\n")
    read_request(conn)
    time.sleep(0.5)


def huge_content_length(conn: socket.socket) -> None:
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10000000000\r\n\r\nloki_up 1\n")
    time.sleep(30)


HOSTILE_ENDPOINTS = {
    "never-answers": (silent, lm.ScrapeTimeoutError, "no answer from {url} within 0.5 s"),
    "trickles-headers-past-the-timeout": (trickles_headers, lm.ScrapeTimeoutError, "within 0.5 s"),
    "promises-10-GB-then-stalls": (huge_content_length, lm.ScrapeTimeoutError, "within 0.5 s"),
    "closes-without-answering": (closes_at_once, lm.ScrapeError, "HTTP with {url} failed"),
    "closes-mid-body": (closes_mid_body, lm.ScrapeError, "HTTP with {url} failed: reading the body"),
    "is-not-http": (not_http, lm.ScrapeError, "HTTP with {url} failed"),
    "answers-500": (answer("500 Internal Server Error", b"boom\n"), lm.ScrapeStatusError, "{url} answered 500: boom"),
    "answers-302": (answer("302 Found", b"", extra="Location: /elsewhere\r\n"), lm.ScrapeStatusError, "answered 302"),
    "answers-html": (answer("200 OK", b"<html>hi</html>\n", "text/html"), lm.ParseError, "1:1:"),
    "answers-json": (answer("200 OK", b'{"up": 1}\n', "application/json"), lm.ParseError, "1:1:"),
    "answers-openmetrics-without-eof": (answer("200 OK", b"a 1\n", "application/openmetrics-text; version=1.0.0"),
                                        lm.ParseError, "# EOF"),
    "answers-invalid-exposition": (answer("200 OK", b"a 1\nb{ 2\n"), lm.ParseError, "2:4: expected a label name"),
    "answers-non-utf8": (answer("200 OK", b"a 1\n\xff\xfe\n"), lm.ScrapeError, "{url} sent a body that is not UTF-8"),
}


@pytest.mark.parametrize("behave, error, message", HOSTILE_ENDPOINTS.values(), ids=list(HOSTILE_ENDPOINTS))
def test_a_hostile_endpoint_gives_a_typed_error_within_the_timeout(behave, error, message):
    endpoint = HostileEndpoint(behave)
    try:
        start = time.monotonic()
        with pytest.raises(BaseException) as e:
            lm.scrape(endpoint.url, timeout=0.5)
        elapsed = time.monotonic() - start
    finally:
        endpoint.close()
    assert type(e.value) is error, f"{type(e.value).__name__}: {e.value}"
    assert message.format(url=endpoint.url) in str(e.value)
    assert elapsed < 3.0, f"took {elapsed:.2f} s with timeout=0.5"
    if error is lm.ScrapeTimeoutError:
        assert elapsed >= 0.45 and isinstance(e.value, TimeoutError) and e.value.url == endpoint.url
    if error is lm.ScrapeStatusError:
        assert e.value.status in (500, 302)


def test_a_longer_timeout_is_respected_too():
    endpoint = HostileEndpoint(silent)
    try:
        start = time.monotonic()
        with pytest.raises(lm.ScrapeTimeoutError, match="within 1.5 s"):
            lm.scrape(endpoint.url, timeout=1.5)
        elapsed = time.monotonic() - start
    finally:
        endpoint.close()
    assert 1.45 <= elapsed < 4.0


def test_an_endless_body_is_cut_at_the_limit_without_exhausting_memory(tmp_path):
    figures = run_isolated(
        """
        import socket
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        sent = [0]
        def endless():
            conn, _ = sock.accept()
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n")
            chunk = b"%x\\r\\n" % (1 << 20) + b"a 1\\n" * (1 << 18) + b"\\r\\n"
            try:
                while True:
                    conn.sendall(chunk)
                    sent[0] += 1 << 20
            except OSError:
                pass
        threading.Thread(target=endless, daemon=True).start()
        base = peak_mb()
        t = time.perf_counter()
        try:
            lm.scrape("http://127.0.0.1:%d/metrics" % sock.getsockname()[1], timeout=30)
            outcome = "scraped"
        except lm.LokiMetricsError as e:
            outcome = type(e).__name__ + ": " + str(e)
        report(outcome=outcome, seconds=round(time.perf_counter() - t, 2), sent_mb=sent[0] >> 20, base_rss_mb=base)
        """,
        tmp_path,
    )
    assert figures["outcome"].startswith("ScrapeError: HTTP with http://127.0.0.1:")
    assert "reading the body: length limit exceeded" in figures["outcome"]
    # The limit is 64 MiB; the body is never held twice over, let alone without end.
    assert figures["peak_rss_mb"] - figures["base_rss_mb"] < 400


def test_scrape_of_https_against_a_plain_http_server_is_a_tls_error(running_dir):
    with lm.serve(running_dir, port=0) as server:
        with pytest.raises(lm.ScrapeError) as e:
            lm.scrape(server.url.replace("http://", "https://"), timeout=5)
    assert type(e.value) is lm.ScrapeError and "TLS with https://" in str(e.value)


# ---- Huge inputs ----------------------------------------------------------------


def test_parse_of_a_128_mb_text_of_16_mb_lines(tmp_path):
    # 8 lines of 16 MiB each: long label values (one escaped, so it is copied)
    # and a long HELP; then an error on the last line, found at its line.
    figures = run_isolated(
        """
        mb = 1 << 20
        value = "v" * (16 * mb - 40)
        escaped = ('x\\\\"\\\\n\\\\\\\\' * (10 * mb // 6))
        lines = ["# HELP big " + "h" * (16 * mb - 20), "# TYPE big gauge"]
        lines += ['big{i="%d",v="%s"} %d' % (i, value, i) for i in range(6)]
        lines.append('big{i="6",v="%s"} 6' % escaped)
        text = "\\n".join(lines) + "\\n"
        t = time.perf_counter()
        families = lm.parse(text)
        seconds = time.perf_counter() - t
        samples = families[0].samples
        ok = (len(samples) == 7 and all(len(s.labels["v"]) == len(value) for s in samples[:6])
              and samples[6].labels["v"] == 'x"\\n\\\\' * (10 * mb // 6) and len(families[0].documentation) == 16 * mb - 20)
        del families, samples
        t = time.perf_counter()
        try:
            lm.parse(text + "big{ 7\\n")
            error = None
        except lm.ParseError as e:
            error = [e.line, e.column, e.message]
        report(text_mb=round(len(text) / mb, 1), parse_seconds=round(seconds, 2),
               error_seconds=round(time.perf_counter() - t, 2), ok=ok, error=error)
        """,
        tmp_path,
        timeout=120,
    )
    assert figures["ok"] and figures["text_mb"] >= 118
    assert figures["error"] == [10, 6, "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) or '}'"]


def test_parse_of_one_million_samples(tmp_path):
    figures = run_isolated(
        """
        n = 1_000_000
        text = "# TYPE m_total counter\\n" + "".join('m_total{shard="%d"} %d\\n' % (i, i) for i in range(n))
        t = time.perf_counter()
        families = lm.parse(text)
        seconds = time.perf_counter() - t
        samples = families[0].samples
        ok = (len(families) == 1 and len(samples) == n and samples[-1].labels == {"shard": str(n - 1)}
              and samples[-1].value == n - 1 and samples[0].name == "m_total")
        report(text_mb=round(len(text) / (1 << 20), 1), samples=len(samples), seconds=round(seconds, 2), ok=ok)
        """,
        tmp_path,
        timeout=120,
    )
    assert figures["ok"] and figures["samples"] == 1_000_000


def test_a_line_of_a_million_labels_is_linear_not_quadratic(tmp_path):
    # Each label name was compared with every earlier one: 5e11 comparisons
    # (about 25 minutes) for this line. A time limit catches a regression.
    figures = run_isolated(
        """
        n = 1_000_000
        labels = ",".join('l%07d="v"' % i for i in range(n))
        t = time.perf_counter()
        families = lm.parse("m{" + labels + "} 1\\n")
        seconds = time.perf_counter() - t
        count = len(families[0].samples[0].labels)
        del families
        t = time.perf_counter()
        try:
            lm.parse("m{" + labels + ',l0999999="again"} 1\\n')
            error = None
        except lm.ParseError as e:
            error = [e.line, e.column, e.message]
        report(line_mb=round(len(labels) / (1 << 20), 1), labels=count, seconds=round(seconds, 2),
               repeat_seconds=round(time.perf_counter() - t, 2), error=error,
               column=len("m{" + labels + ",") + 1)
        """,
        tmp_path,
        timeout=60,
    )
    assert figures["labels"] == 1_000_000
    assert figures["error"] == [1, figures["column"], 'label name "l0999999" is repeated in the label set']


def test_one_label_repeated_a_million_times_fails_at_the_second(tmp_path):
    text = "m{" + ",".join(['a="1"'] * 1_000_000) + "} 1\n"
    start = time.perf_counter()
    with pytest.raises(lm.ParseError) as e:
        lm.parse(text)
    print({"line_mb": round(len(text) / (1 << 20), 1), "seconds": round(time.perf_counter() - start, 3)})
    assert (e.value.line, e.value.column) == (1, 9) and "repeated" in e.value.message


def test_a_huge_cache_ttl_caches_and_a_zero_one_does_not(loki_dir):
    forever = lm.Collector(loki_dir, cache_ttl=1e18)
    assert forever.cache_ttl == 1e18
    assert forever.render() is forever.render() and forever.collections == 1
    never = lm.Collector(loki_dir, cache_ttl=0)
    for _ in range(3):
        never.render()
    assert never.collections == 3 and never.render_if_fresh() is None
    with lm.serve(loki_dir, port=0, cache_ttl=1e18) as server:
        assert lm.scrape(server.url) and lm.scrape(server.url) and server.collector.collections == 1


@pytest.mark.parametrize(
    "now, uptime",
    [
        (9_223_372_036_854, None),  # the last second a µs count in an i64 holds
        (dt.datetime.max, None),
        ("9999-12-30T00:00:00Z", None),
        (dt.datetime.min, 0.0),  # before the session started: no negative uptime
        (-9_000_000_000, 0.0),
    ],
    ids=["i64-microseconds", "datetime.max", "year-9999", "datetime.min", "before-the-epoch"],
)
def test_render_at_extreme_clocks(running_dir, now, uptime):
    snapshot = lm.collect(running_dir, now=now)
    text = lm.render(snapshot)
    families = {f.name: f for f in lm.parse(text)}
    value = families["loki_uptime_seconds"].samples[0].value
    assert math.isfinite(value) and value >= 0
    if uptime is not None:
        assert value == uptime
    assert lm.parse(lm.render(snapshot, format="openmetrics"))


# ---- Threads ------------------------------------------------------------------------


def test_a_collector_shared_by_many_threads_while_its_server_closes(loki_dir):
    server = lm.serve(loki_dir, port=0, cache_ttl=0)
    collector = server.collector
    errors: List[BaseException] = []
    results: List[int] = []
    stop = threading.Event()

    def render() -> None:
        try:
            while not stop.is_set():
                results.append(len(collector.render()))
                collector.invalidate()
        except BaseException as e:  # noqa: BLE001 - every failure is reported
            errors.append(e)

    def scrape() -> None:
        while not stop.is_set():
            try:
                lm.scrape(server.url, timeout=5)
            except lm.ScrapeError:
                pass  # refused or cut once closed: typed either way
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

    threads = [threading.Thread(target=render) for _ in range(6)] + [threading.Thread(target=scrape) for _ in range(3)]
    for t in threads:
        t.start()
    wait_until(lambda: len(results) > 50)
    closers = [threading.Thread(target=server.close) for _ in range(4)]  # concurrent closes
    for t in closers:
        t.start()
    for t in closers:
        t.join(10)
    assert server.closed
    before = len(results)
    wait_until(lambda: len(results) > before + 50)  # the collector outlives its server
    stop.set()
    for t in threads:
        t.join(10)
    assert not errors, errors[:3]
    assert len(set(results)) == 1


def test_a_server_dropped_while_running_stops_by_itself(running_dir):
    server = lm.serve(running_dir, port=0)
    url, port = server.url, server.port
    assert lm.scrape(url)
    del server
    gc.collect()

    def refused() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED

    wait_until(refused, timeout=10)


def test_a_server_dropped_on_another_thread_while_scraped(running_dir):
    holder = [lm.serve(running_dir, port=0)]
    url = holder[0].url
    outcomes: List[str] = []

    def scrape() -> None:
        for _ in range(20):
            try:
                lm.scrape(url, timeout=5)
                outcomes.append("ok")
            except lm.ScrapeError as e:
                outcomes.append(type(e).__name__)

    threads = [threading.Thread(target=scrape) for _ in range(3)]
    for t in threads:
        t.start()
    dropper = threading.Thread(target=holder.clear)
    dropper.start()
    dropper.join()
    for t in threads:
        t.join(30)
    assert len(outcomes) == 60
    assert set(outcomes) <= {"ok", "ScrapeConnectionError", "ScrapeError"}


# ---- The ASGI and WSGI apps and the family objects -------------------------------


def call_asgi(app: Any, scope: Dict[str, Any]) -> List[Dict[str, Any]]:
    sent: List[Dict[str, Any]] = []

    async def receive() -> Dict[str, Any]:
        return {"type": "http.request"}

    async def send(message: Dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize(
    "headers, content_type",
    [
        ([(b"accept", b"\xff\xfe\x00garbage")], lm.PROMETHEUS_CONTENT_TYPE),
        ([(b"accept", b"text/plain;q=0.1, " * 50_000 + b"application/openmetrics-text")], lm.OPENMETRICS_CONTENT_TYPE),
        ([(b"accept", b"application/openmetrics-text"), (b"accept", b"")], lm.OPENMETRICS_CONTENT_TYPE),
    ],
    ids=["latin1-garbage", "1-mb-header", "repeated-header"],
)
def test_the_asgi_app_answers_hostile_headers(running_dir, headers, content_type):
    sent = call_asgi(make_asgi_app(running_dir), {"type": "http", "method": "GET", "headers": headers})
    assert sent[0]["status"] == 200 and (b"content-type", content_type.encode()) in sent[0]["headers"]


def test_the_asgi_app_refuses_a_websocket_and_a_delete(running_dir):
    app = make_asgi_app(running_dir)
    with pytest.raises(ValueError, match="serves HTTP only, not 'websocket'"):
        call_asgi(app, {"type": "websocket"})
    assert call_asgi(app, {"type": "http", "method": "DELETE"})[0]["status"] == 405


def test_the_asgi_app_of_a_fifo_serves_the_fallbacks(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    sent = call_asgi(make_asgi_app(tmp_path / "fifo"), {"type": "http", "method": "GET", "headers": []})
    assert sent[0]["status"] == 200 and b"loki_session_status 0\n" in sent[1]["body"]


@pytest.mark.parametrize(
    "environ, status",
    [
        ({}, "200 OK"),
        ({"REQUEST_METHOD": "GET", "HTTP_ACCEPT": "\ud800\udcff"}, "200 OK"),
        ({"REQUEST_METHOD": "HEAD", "HTTP_ACCEPT": "x" * 1_000_000}, "200 OK"),
        ({"REQUEST_METHOD": "BREW"}, "405 Method Not Allowed"),
    ],
    ids=["empty-environ", "surrogate-accept", "1-mb-accept", "unknown-method"],
)
def test_the_wsgi_app_answers_hostile_environs(running_dir, environ, status):
    got: List[str] = []
    body = b"".join(make_wsgi_app(running_dir)(environ, lambda s, headers: got.append(s)))
    assert got == [status]
    if environ.get("REQUEST_METHOD", "GET") == "GET":
        assert body.startswith(b"# HELP loki_session_status")


def test_family_objects_compare_pickle_and_refuse_hashing():
    family = lm.parse('a{b="\0\u00e9\\n"} NaN 1\n')[0]
    assert family != None and family != 5 and family != "a"  # noqa: E711
    clone = pickle.loads(pickle.dumps(family))
    assert (clone.name, clone.samples[0].labels) == ("a", {"b": "\0\u00e9\n"})
    assert math.isnan(clone.samples[0].value)
    with pytest.raises(TypeError, match="unhashable"):
        hash(family)
    with pytest.raises(AttributeError):
        family.extra = 1  # __slots__
    sample = family.samples[0]
    assert sample._replace(value=0.0) == ("a", {"b": "\0\u00e9\n"}, 0.0, 0.001, None, None)
    with pytest.raises(AttributeError):
        sample.value = 2.0  # a named tuple

"""The public API: the exception hierarchy, docstrings on everything public,
and no Rust panic or bare Exception escaping."""

from __future__ import annotations

import inspect
import pickle
import re

import pytest

import loki_metrics
import loki_metrics.asgi
import loki_metrics.parser
import loki_metrics.prometheus_client
import loki_metrics.wsgi

ERRORS = {
    "LokiMetricsError": (Exception,),
    "ArgumentError": (loki_metrics.LokiMetricsError, ValueError),
    "UnknownFormatError": (loki_metrics.ArgumentError,),
    "ParseError": (loki_metrics.LokiMetricsError, ValueError),
    "ScrapeError": (loki_metrics.LokiMetricsError, OSError),
    "ScrapeConnectionError": (loki_metrics.ScrapeError, ConnectionError),
    "ScrapeTimeoutError": (loki_metrics.ScrapeError, TimeoutError),
    "ScrapeStatusError": (loki_metrics.ScrapeError,),
    "ServeError": (loki_metrics.LokiMetricsError, OSError),
}


@pytest.mark.parametrize("name, bases", ERRORS.items(), ids=list(ERRORS))
def test_exception_hierarchy(name, bases):
    cls = getattr(loki_metrics, name)
    assert cls.__bases__ == bases
    assert cls.__module__ == "loki_metrics"


def test_exceptions_pickle_with_their_attributes():
    try:
        loki_metrics.scrape("http://127.0.0.1:1/metrics", timeout=2)
    except loki_metrics.ScrapeConnectionError as e:
        copy = pickle.loads(pickle.dumps(e))
        assert (type(copy), copy.errno, copy.url, str(copy)) == (type(e), e.errno, e.url, str(e))


def test_all_names_exist():
    for name in loki_metrics.__all__:
        assert hasattr(loki_metrics, name), name


def public_objects():
    modules = [loki_metrics, loki_metrics.parser, loki_metrics.asgi, loki_metrics.wsgi, loki_metrics.prometheus_client]
    for module in modules:
        yield module.__name__, module
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if isinstance(obj, str):
                continue
            yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or attr in ("count", "index"):
                        continue
                    yield f"{module.__name__}.{name}.{attr}", member


@pytest.mark.parametrize("qualname, obj", list(public_objects()), ids=lambda v: v if isinstance(v, str) else "")
def test_everything_public_has_a_docstring(qualname, obj):
    doc = inspect.getdoc(obj)  # also finds the docstrings of a dict __slots__
    assert doc and doc.strip(), f"{qualname} has no docstring"


OPTION_KEYWORDS = ["loki_dir", "max_iterations", "now", "json_size_cap", "exporter_metrics", "stale_after"]


@pytest.mark.parametrize(
    "obj, keywords",
    [
        (loki_metrics.collect, OPTION_KEYWORDS),
        (loki_metrics.Collector, ["cache_ttl", *OPTION_KEYWORDS]),
        (loki_metrics.serve, ["host", "port", "path", "cache_ttl", "token", "tls_cert", "tls_key", *OPTION_KEYWORDS,
                              "remote_write"]),
        (loki_metrics.push, ["url", "external_labels", "headers", "bearer_token_file", "basic_auth", "ca_file",
                             "request_timeout", "timeout", *OPTION_KEYWORDS]),
        (loki_metrics.RemoteWrite, ["url", "external_labels", "headers", "bearer_token_file", "basic_auth",
                                    "ca_file", "request_timeout", "queue_samples", "interval"]),
        (loki_metrics.render, ["source", "format"]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_help_documents_every_keyword_without_markdown(obj, keywords):
    # help() shows __doc__ as it is: each keyword the signature has is
    # described ("name: ..." at the start of a line), and no Markdown
    # backticks are left for the reader to strip.
    doc = inspect.getdoc(obj)
    assert doc
    assert sorted(inspect.signature(obj).parameters) == sorted(keywords)
    for keyword in keywords:
        assert re.search(rf"^{keyword}(, \w+)?: ", doc, re.M) or re.search(rf"^\w+, {keyword}: ", doc, re.M), keyword
    assert "`" not in doc


@pytest.mark.parametrize(
    "call",
    [
        lambda: loki_metrics.collect(1),
        lambda: loki_metrics.collect(max_iterations=0),
        lambda: loki_metrics.render(format="x"),
        lambda: loki_metrics.parse("a{"),
        lambda: loki_metrics.parse(b"\xff"),
        lambda: loki_metrics.negotiate(1),
        lambda: loki_metrics.Collector(cache_ttl=-1),
        lambda: loki_metrics.scrape("nope"),
        lambda: loki_metrics.serve(path="x"),
        lambda: loki_metrics.Snapshot.from_json("[]"),
    ],
)
def test_every_failure_is_a_type_error_or_one_of_ours(call):
    with pytest.raises(Exception) as e:
        call()
    assert type(e.value) is TypeError or isinstance(e.value, loki_metrics.LokiMetricsError), repr(e.value)
    assert "panicked" not in str(e.value) and type(e.value).__name__ != "PanicException"

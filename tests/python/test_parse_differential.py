"""Differential tests: `loki-metrics check --json` against prometheus_client's
two parsers (`prometheus_client.parser` for 0.0.4 and
`prometheus_client.openmetrics.parser` for OpenMetrics 1.0).

Every corpus file in tests/parser/ must give the same families from both
sides after the normalisation below (which only undoes representation
choices, each of which has its own named test). Every known disagreement is
a named test that asserts the exact difference and says why we differ.

The binary comes from $LOKI_METRICS_BIN (default target/debug/loki-metrics,
relative to the repository root).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import pytest

prometheus_client = pytest.importorskip("prometheus_client")
from prometheus_client.openmetrics.parser import (  # noqa: E402
    text_string_to_metric_families as om_parse,
)
from prometheus_client.parser import (  # noqa: E402
    text_string_to_metric_families as prom_parse,
)

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "parser"
BIN = Path(os.environ.get("LOKI_METRICS_BIN", "target/debug/loki-metrics"))
if not BIN.is_absolute():
    BIN = ROOT / BIN


# ---- Running both sides -------------------------------------------------------


def ours(text: str, fmt: str):
    """Our families as JSON, or a ValueError with our `line:column: message`."""
    if not BIN.exists():
        pytest.skip(f"{BIN} not built (cargo build -p loki-metrics-cli)")
    proc = subprocess.run(
        [str(BIN), "check", "--json", "--no-lint", "--format", fmt, "-"],
        input=text.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if proc.returncode == 1:
        raise ValueError(proc.stderr.decode().strip())
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def theirs(text: str, fmt: str):
    parser = om_parse if fmt == "openmetrics" else prom_parse
    return list(parser(text))


def accepts(fn, text, fmt) -> bool:
    try:
        fn(text, fmt)
        return True
    except ValueError:
        return False


# ---- Normalisation --------------------------------------------------------------


def num(v):
    """JSON numbers, or our "NaN"/"+Inf"/"-Inf" strings, as floats."""
    if isinstance(v, str):
        return {"NaN": math.nan, "+Inf": math.inf, "-Inf": -math.inf}[v]
    return float(v)


def ts(t):
    """A prometheus_client Timestamp or float as float seconds."""
    if t is None:
        return None
    if hasattr(t, "sec"):
        return t.sec + t.nsec / 1e9
    return float(t)


def same_number(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) and math.isnan(b):
        return True
    return a == b or math.isclose(a, b, rel_tol=1e-15, abs_tol=0.0)


def norm_ours(families, fmt):
    out = []
    for f in families:
        name = f["name"]
        # prometheus_client keeps counters under their OpenMetrics family
        # name: `x_total` in 0.0.4 becomes `x` (see test_counter_family_name_*).
        if fmt == "prometheus" and f["type"] == "counter" and name.endswith("_total"):
            name = name[: -len("_total")]
        samples = [
            (
                s["name"],
                tuple(s["labels"].items()),
                num(s["value"]),
                None if s["timestamp"] is None else num(s["timestamp"]),
                None
                if s["exemplar"] is None
                else (
                    tuple(s["exemplar"]["labels"].items()),
                    num(s["exemplar"]["value"]),
                    None
                    if s["exemplar"]["timestamp"] is None
                    else num(s["exemplar"]["timestamp"]),
                ),
            )
            for s in f["samples"]
        ]
        out.append((name, f["type"], f["help"] or "", f["unit"] or "", samples))
    return out


def norm_theirs(families):
    out = []
    for f in families:
        samples = [
            (
                s.name,
                tuple(s.labels.items()),
                float(s.value),
                ts(s.timestamp),
                None
                if s.exemplar is None
                else (
                    tuple(s.exemplar.labels.items()),
                    float(s.exemplar.value),
                    ts(s.exemplar.timestamp),
                ),
            )
            for s in f.samples
        ]
        fam = (f.name, f.type, f.documentation or "", f.unit or "", samples)
        # 0.0.4: prometheus_client yields each untyped sample as its own family
        # (see test_untyped_samples_*); join consecutive runs of one name.
        if out and out[-1][0] == fam[0] and out[-1][1] == fam[1] == "unknown":
            out[-1][4].extend(samples)
        else:
            out.append(fam)
    return out


def assert_same(a, b):
    assert len(a) == len(b), (a, b)
    for fa, fb in zip(a, b):
        assert fa[:4] == fb[:4], (fa[:4], fb[:4])
        assert len(fa[4]) == len(fb[4]), (fa[0], fa[4], fb[4])
        for sa, sb in zip(fa[4], fb[4]):
            assert sa[0] == sb[0] and sa[1] == sb[1], (sa, sb)
            assert same_number(sa[2], sb[2]), (sa, sb)
            assert same_number(sa[3], sb[3]), (sa, sb)
            assert (sa[4] is None) == (sb[4] is None), (sa, sb)
            if sa[4] is not None:
                assert sa[4][0] == sb[4][0]
                assert same_number(sa[4][1], sb[4][1])
                assert same_number(sa[4][2], sb[4][2])


CORPUS_FILES = sorted(CORPUS.glob("*.prom")) + sorted(CORPUS.glob("*.om"))


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_file_parses_the_same_on_both_sides(path: Path):
    fmt = "openmetrics" if path.suffix == ".om" else "prometheus"
    text = path.read_text(encoding="utf-8")
    assert_same(norm_ours(ours(text, fmt), fmt), norm_theirs(theirs(text, fmt)))


def test_corpus_is_not_empty():
    assert len(CORPUS_FILES) >= 6


# ---- Representation differences (undone by the normalisation) ------------------


def test_counter_family_name_keeps_total_in_0_0_4_while_prometheus_client_strips_it():
    """0.0.4 has no family/sample split: the TYPE line names `x_total`, and so
    do we. prometheus_client re-models counters the OpenMetrics way and calls
    the family `x`."""
    text = "# TYPE x_total counter\nx_total 1\n"
    assert ours(text, "prometheus")[0]["name"] == "x_total"
    assert theirs(text, "prometheus")[0].name == "x"


def test_counter_sample_without_total_keeps_its_name_while_prometheus_client_renames_it():
    """A 0.0.4 counter may be named without `_total`; we report the sample as
    written. prometheus_client invents a `_total` suffix for it."""
    text = "# TYPE x counter\nx 1\n"
    assert ours(text, "prometheus")[0]["samples"][0]["name"] == "x"
    assert theirs(text, "prometheus")[0].samples[0].name == "x_total"


def test_untyped_samples_of_one_name_form_one_family_while_prometheus_client_splits_them():
    """Without a TYPE line prometheus_client yields every sample as its own
    family; we group a name's consecutive samples into one family."""
    text = 'a{x="1"} 1\na{x="2"} 2\n'
    assert len(ours(text, "prometheus")) == 1
    assert len(theirs(text, "prometheus")) == 2


def test_interleaved_0_0_4_family_is_joined_while_prometheus_client_yields_it_twice():
    """0.0.4 lets a family's samples resume after another family (Prometheus'
    Go parser files them under the one family). `parse` joins the runs;
    prometheus_client yields two families of the same name."""
    text = "# TYPE a gauge\na 1\n# TYPE b gauge\nb 2\na 3\n"
    mine = ours(text, "prometheus")
    assert [f["name"] for f in mine] == ["a", "b"]
    assert len(mine[0]["samples"]) == 2
    assert [f.name for f in theirs(text, "prometheus")] == ["a", "b", "a"]


# ---- OpenMetrics: prometheus_client accepts what the spec forbids --------------


def test_om_counter_point_without_total_is_rejected_by_us_only():
    """Spec: a Counter MetricPoint MUST have one value called Total.
    prometheus_client does not check that a `_created` has its `_total`."""
    text = "# TYPE a counter\na_created 1\n# EOF\n"
    with pytest.raises(ValueError, match="^2:1: .*a_total"):
        ours(text, "openmetrics")
    assert accepts(theirs, text, "openmetrics")


def test_om_exemplar_above_its_bucket_is_rejected_by_us_only():
    """Spec: the value of a bucket's exemplar MUST be within the bucket
    (at most its le). prometheus_client does not compare them."""
    text = '# TYPE a histogram\na_bucket{le="1"} 1 # {} 2\na_bucket{le="+Inf"} 1\n# EOF\n'
    with pytest.raises(ValueError, match="^2:20: exemplar value 2 is above"):
        ours(text, "openmetrics")
    assert accepts(theirs, text, "openmetrics")


def test_om_value_beyond_float64_range_is_rejected_by_us_only():
    """Spec: floating point numbers MUST fit within the range of a 64-bit
    float. prometheus_client turns 1e400 into +Inf."""
    text = "a 1e400\n# EOF\n"
    with pytest.raises(ValueError, match="^1:3: .*range"):
        ours(text, "openmetrics")
    assert math.isinf(theirs(text, "openmetrics")[0].samples[0].value)


def test_om_help_ending_in_lone_backslash_is_rejected_by_us_only():
    """ABNF: a backslash in an escaped-string must be followed by a
    character. prometheus_client keeps the lone backslash."""
    text = "# HELP a x\\\na 1\n# EOF\n"
    with pytest.raises(ValueError, match="^1:11: lone backslash"):
        ours(text, "openmetrics")
    assert theirs(text, "openmetrics")[0].documentation == "x\\"


def test_om_signed_nan_is_rejected_by_us_only():
    """ABNF: `number =/ "nan"` has no sign (only inf/infinity do). Python's
    float() accepts "+nan"."""
    text = "a +NaN\n# EOF\n"
    with pytest.raises(ValueError, match="^1:3: "):
        ours(text, "openmetrics")
    assert math.isnan(theirs(text, "openmetrics")[0].samples[0].value)


def test_om_le_with_digit_separator_is_rejected_by_us_only():
    """`le` must be a number of the ABNF, which has no `_` separators; Python's
    float() reads "1_0" as 10."""
    text = '# TYPE a histogram\na_bucket{le="1_0"} 0\na_bucket{le="+Inf"} 0\n# EOF\n'
    with pytest.raises(ValueError, match="^2:9: bucket le"):
        ours(text, "openmetrics")
    assert accepts(theirs, text, "openmetrics")


def test_om_repeated_sample_without_timestamps_is_kept_by_us_and_dropped_by_prometheus_client():
    """`a 1` twice without timestamps: we return both samples as written
    (the spec's timestamp rule cannot order them, and we do not guess which
    one to keep); prometheus_client silently drops the second."""
    text = "a 1\na 2\n# EOF\n"
    assert [s["value"] for s in ours(text, "openmetrics")[0]["samples"]] == [1.0, 2.0]
    assert [s.value for s in theirs(text, "openmetrics")[0].samples] == [1]


# ---- Prometheus 0.0.4: we follow Prometheus' own Go parser --------------------


def test_prom_negative_timestamp_is_rejected_by_us_only():
    """Prometheus' lexer reads timestamps as `[0-9]+`; prometheus_client
    accepts a sign."""
    text = "a 1 -1000\n"
    with pytest.raises(ValueError, match="^1:5: .*integer milliseconds"):
        ours(text, "prometheus")
    assert theirs(text, "prometheus")[0].samples[0].timestamp == -1.0


def test_prom_fractional_timestamp_is_rejected_by_us_only():
    """0.0.4 timestamps are integer milliseconds (Prometheus: ParseInt);
    prometheus_client divides any float by 1000."""
    text = "a 1 1.5\n"
    with pytest.raises(ValueError, match="^1:5: "):
        ours(text, "prometheus")
    assert theirs(text, "prometheus")[0].samples[0].timestamp == 0.0015


def test_prom_type_with_trailing_space_is_rejected_by_us_only():
    """Prometheus takes the rest of the TYPE line as the type, so "gauge " is
    an invalid type; prometheus_client splits on whitespace."""
    text = "# TYPE a gauge \na 1\n"
    with pytest.raises(ValueError, match="^1:10: invalid metric type"):
        ours(text, "prometheus")
    assert theirs(text, "prometheus")[0].type == "gauge"


def test_prom_second_help_line_is_rejected_by_us_only():
    """The reference Go text parser rejects a second HELP for a metric name;
    prometheus_client keeps the last one."""
    text = "# HELP a one\n# HELP a two\na 1\n"
    with pytest.raises(ValueError, match="^2:1: second HELP"):
        ours(text, "prometheus")
    assert theirs(text, "prometheus")[0].documentation == "two"


def test_prom_type_after_samples_is_rejected_by_us_only():
    """The reference Go text parser requires TYPE before a name's first
    sample; prometheus_client starts a new family."""
    text = "a 1\n# TYPE a gauge\na 2\n"
    with pytest.raises(ValueError, match="^2:1: TYPE line"):
        ours(text, "prometheus")
    assert accepts(theirs, text, "prometheus")


def test_prom_openmetrics_exemplar_is_rejected_by_us_and_misread_by_prometheus_client():
    """0.0.4 has no exemplars: Prometheus fails on the `#` after the value.
    prometheus_client reads the exemplar's last number as a timestamp."""
    text = 'a 1 # {x="y"} 2\n'
    with pytest.raises(ValueError, match="^1:5: "):
        ours(text, "prometheus")
    assert theirs(text, "prometheus")[0].samples[0].timestamp == 0.002


# ---- Agreement on rejections ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a 1\n",
        "a 1\n# EOF\nb 1\n",
        "a 1\n\n# EOF\n",
        "a{a=1} 1\n# EOF\n",
        'a{a="1",a="1"} 1\n# EOF\n',
        "# TYPE a counter\na_total -1\n# EOF\n",
        '# TYPE a histogram\na_bucket{le="2"} 0\na_bucket{le="1"} 0\na_bucket{le="+Inf"} 0\n# EOF\n',
        '# TYPE a histogram\na_bucket{le="1"} 0\n# EOF\n',
        "# TYPE a gauge\na 1 2\na 1 1\n# EOF\n",
        "# TYPE a gauge\na 1 # {} 1\n# EOF\n",
        "# TYPE a_s gauge\na_s 1\n# UNIT a_s s\n# EOF\n",
        "# TYPE a counter\n# UNIT a seconds\n# EOF\n",
        "a 0x1p3\n# EOF\n",
        "a 1\r\n# EOF\n",
    ],
)
def test_both_reject_invalid_openmetrics(text):
    assert not accepts(ours, text, "openmetrics")
    assert not accepts(theirs, text, "openmetrics")


def test_error_output_is_line_colon_column_colon_message():
    with pytest.raises(ValueError) as e:
        ours("a 1\n# EOF\nb\n", "openmetrics")
    line, col, message = str(e.value).split(":", 2)
    assert (line, col) == ("3", "1") and message.strip()

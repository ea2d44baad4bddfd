"""Shared fixtures of the Python-side tests: the repo root and the built CLI."""

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def cli_path() -> pathlib.Path:
    """The `loki-metrics` binary under test (env LOKI_METRICS_BIN, else target/debug)."""
    return pathlib.Path(os.environ.get("LOKI_METRICS_BIN", ROOT / "target" / "debug" / "loki-metrics"))


@pytest.fixture(scope="session")
def loki_metrics_bin() -> pathlib.Path:
    path = cli_path()
    if not path.exists():
        raise RuntimeError(f"{path} is missing: build it with `cargo build` first")
    return path


def fixture_cases():
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir())


def render(bin_path, case, fmt):
    now = (case / "now").read_text().strip()
    env = {k: v for k, v in os.environ.items() if k != "LOKI_MAX_ITERATIONS"}
    return subprocess.run(
        [str(bin_path), "render", "-q", "--loki-dir", str(case / ".loki"), "--now", now, "--format", fmt],
        check=True, capture_output=True, text=True, env=env,
    ).stdout

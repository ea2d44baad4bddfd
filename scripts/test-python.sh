#!/usr/bin/env bash
# Builds the Python package both ways issue 5 requires and runs its tests
# (tests/python_pkg) against each installed copy, never the source tree:
#
#   1. `pip install .` from the repository root, into a fresh venv;
#   2. a wheel from `maturin build --release`, installed into a fresh venv in
#      a temporary directory outside the repository, tests run from there.
#
# Usage: scripts/test-python.sh [extra pytest arguments]
# Env:   PYTHON (default python3), KEEP_WORK=1 keeps the temporary directory.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PYTHON=${PYTHON:-python3}
MATURIN_VERSION=1.16.0

WORK=$(mktemp -d "${TMPDIR:-/tmp}/loki-metrics-python.XXXXXX")
if [ "${KEEP_WORK:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi

# The golden fixtures assume the defaults; nothing may start an exporter.
clean_loki_env

fresh_venv() {  # fresh_venv DIR: a venv with the test requirements
  "$PYTHON" -m venv "$1"
  "$1/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/tests/python_pkg/requirements.txt"
}

run_tests() {  # run_tests VENV: pytest from outside the repository
  (cd "$WORK" && "$1/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests/python_pkg" "${@:2}")
}

step "system packages (Debian's prometheus: the receiver of the remote-write tests)"
apt_install prometheus

step "the CLI (the golden tests compare against its output)"
cli_bin debug

step "1/2: pip install . from the repository root, into a fresh venv"
fresh_venv "$WORK/venv-pip"
# maturin's PEP 517 backend passes these to cargo.
MATURIN_PEP517_ARGS="--locked" "$WORK/venv-pip/bin/python" -m pip install -q --disable-pip-version-check "$ROOT"
run_tests "$WORK/venv-pip" "$@"

step "2/2: maturin build --release, the wheel installed outside the repository"
"$WORK/venv-pip/bin/python" -m pip install -q --disable-pip-version-check "maturin==$MATURIN_VERSION"
# The same interpreter as the pip build: cargo reuses its artefacts.
"$WORK/venv-pip/bin/maturin" build --release --locked -q -i "$WORK/venv-pip/bin/python" --out "$WORK/wheels"
ls "$WORK"/wheels/*.whl
# The sdist carries both licence texts at its root (the wheel's copies are
# checked by tests/python_pkg/test_install.py).
"$WORK/venv-pip/bin/maturin" sdist --out "$WORK/sdist" >/dev/null
sdist_files=$(tar tzf "$WORK"/sdist/*.tar.gz)
for f in LICENSE-MIT LICENSE-APACHE; do
  grep -qx "loki_metrics-[^/]*/$f" <<<"$sdist_files" || { echo "the sdist lacks $f" >&2; exit 1; }
done
fresh_venv "$WORK/venv-wheel"
"$WORK/venv-wheel/bin/python" -m pip install -q --disable-pip-version-check "$WORK"/wheels/*.whl
run_tests "$WORK/venv-wheel" "$@"

step "the Python package passed both ways"

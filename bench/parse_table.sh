#!/usr/bin/env bash
# The parser's table in one command on a fresh clone (issue 18): builds in
# release what it measures, installs what it needs, then runs
# bench/parse_table.py, which prints the core's MB/s, Go expfmt's, and the
# Python and Node ratios side by side, with the goals.
#
#   bench/parse_table.sh [--runs N] [--py-runs N] [--node-runs N]
#
# * the core: cargo build --release -p loki-metrics-bench (bench-parse);
# * mimalloc: Debian's libmimalloc2.0 (apt), preloaded into a second run of
#   bench-parse: what an application's choice of allocator gives the core;
# * Go: Debian's golang-go and golang-github-prometheus-common-dev (apt), and
#   bench/go/expfmt-bench built offline in GOPATH mode against the packaged
#   sources; without apt, Go 1.19+ or the package, the row is skipped;
# * Python: a venv (in the cargo target directory, reused) with maturin and
#   prometheus_client 0.26.0, and the package's release wheel installed in it;
# * Node (when node and npm are there): npm ci if needed, npm run build
#   (the release addon). Otherwise its rows are skipped.
#
# A manual benchmark, not run in CI: the machine's load moves the figures;
# every figure is a median and every ratio comes from this run.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
MATURIN_VERSION=1.16.0
PROMETHEUS_CLIENT_VERSION=0.26.0
PYTHON=${PYTHON:-python3}
GO_SOURCES=${GO_SOURCES:-/usr/share/gocode}  # Debian's GOPATH of packaged Go sources

step "the core: bench-parse (release)"
ensure_cargo
cargo build -q --locked --release -p loki-metrics-bench
TARGET=$(cargo metadata -q --format-version 1 --no-deps |
  "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
WORK=$TARGET/parse-table
mkdir -p "$WORK"
table=(--bench-parse "$TARGET/release/bench-parse")

step "mimalloc (Debian's libmimalloc2.0), for the allocator rows"
# awk reads to the end: quitting at the match would fail ldconfig with SIGPIPE
# (and, under pipefail, the whole script).
find_mimalloc() { ldconfig -p 2>/dev/null | awk '/libmimalloc\.so\.2 / && !found {print $NF; found = 1}'; }
mimalloc=$(find_mimalloc)
if [ -z "$mimalloc" ] && command -v apt-get >/dev/null; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libmimalloc2.0 >/dev/null ||
    echo "apt-get could not install libmimalloc2.0" >&2
  mimalloc=$(find_mimalloc)
fi
if [ -n "$mimalloc" ]; then table+=(--mimalloc "$mimalloc"); echo "$mimalloc"; else echo "no libmimalloc: its rows are skipped"; fi

step "Go expfmt (Debian's golang-go and golang-github-prometheus-common-dev)"
expfmt_missing=""
if ! command -v go >/dev/null || [ ! -d "$GO_SOURCES/src/github.com/prometheus/common/expfmt" ]; then
  if command -v apt-get >/dev/null; then
    (apt_install go:golang-go && as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends golang-github-prometheus-common-dev >/dev/null) ||
      echo "apt-get could not install them" >&2
  fi
fi
if ! command -v go >/dev/null; then
  expfmt_missing="no Go toolchain (Debian: apt-get install golang-go)"
elif [ ! -d "$GO_SOURCES/src/github.com/prometheus/common/expfmt" ]; then
  expfmt_missing="no expfmt sources in $GO_SOURCES (Debian: apt-get install golang-github-prometheus-common-dev)"
# GOPATH mode, offline: the imports resolve in Debian's packaged sources.
elif (cd bench/go/expfmt-bench && GO111MODULE=off GOPATH="$GO_SOURCES" GOFLAGS= GOPROXY=off \
      GOCACHE="$WORK/go-cache" go build -o "$WORK/expfmt-bench" .); then
  table+=(--expfmt "$WORK/expfmt-bench")
  echo "$(go version), expfmt from $GO_SOURCES"
else
  expfmt_missing="go build of bench/go/expfmt-bench failed (see above)"
fi
[ -z "$expfmt_missing" ] || { echo "Go expfmt: $expfmt_missing; its rows are skipped"; table+=(--expfmt-missing "$expfmt_missing"); }

step "Python: the release wheel and prometheus_client $PROMETHEUS_CLIENT_VERSION in $WORK/venv"
[ -x "$WORK/venv/bin/python" ] || "$PYTHON" -m venv "$WORK/venv"
pip=("$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" "maturin==$MATURIN_VERSION" "prometheus_client==$PROMETHEUS_CLIENT_VERSION"
rm -rf "$WORK/wheels"
"$WORK/venv/bin/maturin" build --release --locked -q -i "$WORK/venv/bin/python" --out "$WORK/wheels"
"${pip[@]}" --force-reinstall --no-deps "$WORK"/wheels/*.whl

step "Node: the release addon (npm run build)"
if command -v node >/dev/null && command -v npm >/dev/null; then
  if ! node -e 'require.resolve("parse-prometheus-text-format"); require.resolve("@napi-rs/cli/package.json")' 2>/dev/null; then
    npm ci --no-audit --no-fund
  fi
  CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2} npm run --silent build
  table+=(--node)
else
  echo "no node/npm: the Node rows are skipped"
  table+=(--node-missing "no node and npm on PATH")
fi

step "the table"
"$WORK/venv/bin/python" bench/parse_table.py "${table[@]}" "$@"

#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine, installing what it
# needs first (Debian's prometheus for promtool, a Python venv with the
# third-party parsers). Usage: scripts/test.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

step "system packages (prometheus, promtool, openssl, tmux)"
apt_install promtool:prometheus prometheus openssl tmux
promtool --version 2>&1 | head -n 1

step "python venv (.venv)"
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r tests/python/requirements.txt

clean_loki_env

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rust-version covers the locked dependencies"
python3 scripts/check-msrv.py

step "cargo test"
cargo test --workspace --locked

step "C ABI: header, static + dynamic, valgrind, ASan, C++, pkg-config install"
bash scripts/test-c.sh

step "Python package: pip install . and a wheel outside the repo, pytest, stubtest"
bash scripts/test-python.sh

step "Node package: addon, generated files, node --test, tsc --strict, npm pack"
bash scripts/test-node.sh

step "packages (issue 16): static CLI, image, arm64 Node addon under qemu, macOS C library"
bash scripts/test-dist.sh

step "python tests against the built CLI"
cli_bin debug
.venv/bin/python -m pytest -q tests/python

step "integration: a real Prometheus scraping the exporter"
.venv/bin/python tests/integration/prometheus_scrape.py

step "integration: a real Prometheus scraping one exporter serving three projects (both shipped fleet configs)"
.venv/bin/python tests/integration/fleet_prometheus.py

step "integration: remote write into a real Prometheus (push from three projects; serve through a 30 s outage; a 400 receiver)"
.venv/bin/python tests/integration/remote_write.py

step "status page in headless Chromium (Debian chromium, playwright-core): values, updates, CSP, hostile data"
apt_install chromium
(cd tests/browser && npm ci --no-audit --no-fund --silent)
node --test tests/browser/status_page.mjs
echo "screenshots: target/test-artifacts/status-page-*.png"

step "integration: soak (simulate + 16 concurrent scrapers)"
.venv/bin/python tests/integration/soak.py

step "integration: hostile clients (10,000 connections, slow loris, 1 MB headers, bad tokens, bad TLS)"
.venv/bin/python tests/integration/hostile_clients.py

step "integration: loki-metrics watch under tmux (values, resize, q, a lost exporter, hostile names)"
.venv/bin/python tests/integration/watch_tmux.py

step "the test-only family in every front end (Rust, CLI, Python, Node; C in test-c.sh)"
bash scripts/test-family.sh

#!/usr/bin/env bash
# Builds and tests the Node package (`loki-metrics` on npm) on a fresh Debian
# machine with Node 20 + npm: installs Rust if missing, `npm ci`, builds the
# napi addon, checks the committed generated files did not change, runs
# `node --test` (fixtures, parser corpus vs the Rust CLI, serve/scrape, the
# prom-client bridge, `npm pack` installed into a separate project) and the
# `tsc --strict` consumer check under the nodenext, node10 and bundler module
# resolutions. Usage: scripts/test-node.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

step "toolchains"
apt_install cc:build-essential prometheus
ensure_cargo
command -v node >/dev/null && command -v npm >/dev/null || { echo "Node 20 and npm are required" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || { echo "Node >= 18 is required (found $(node --version))" >&2; exit 1; }
cargo --version; node --version; echo "npm $(npm --version 2>/dev/null)"

step "npm ci"
npm ci --no-audit --no-fund

step "napi build (release, stripped) -> node/"
generated=$(mktemp -d)
trap 'rm -rf "$generated"' EXIT
cp node/index.js node/index.d.ts "$generated"/
npm run --silent build

step "generated node/index.js and node/index.d.ts are unchanged"
stale=0
for f in index.js index.d.ts; do
  if ! cmp -s "$generated/$f" "node/$f"; then
    echo "node/$f changed when rebuilt: commit the regenerated file" >&2
    diff -u "$generated/$f" "node/$f" | head -n 40 >&2 || true
    stale=1
  fi
done
[ "$stale" = 0 ]

step "Rust CLI (the debug build every suite shares)"
cli_bin debug
export LOKI_NODE_REQUIRE_CLI=1

step "cargo fmt --check (bindings/node)"
cargo fmt -p loki-metrics-node -- --check

clean_loki_env

step "node --test tests/node/"
node --test tests/node/

step "tsc --strict consumer check (moduleResolution nodenext, node10, bundler)"
# node10 is tsc's default for module commonjs and ignores "exports": it finds
# loki-metrics/prom-client through package.json's "typesVersions" (TS2307 without).
# It has no self-reference either, so the consumer finds the package the way an
# installed one is found: through a node_modules link (ignored by git).
mkdir -p tests/node/types/node_modules
ln -sfn ../../../.. tests/node/types/node_modules/loki-metrics
for config in tsconfig.json tsconfig.node10.json tsconfig.bundler.json; do
  echo "tests/node/types/$config"
  npx --no-install tsc -p "tests/node/types/$config"
done

step "Node package: all checks passed"

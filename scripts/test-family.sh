#!/usr/bin/env bash
# The test-only family (feature `test-family` of the core: one catalogue row,
# one reader) reaches every output, every binding's `families` and typed
# conveniences (Python `snapshot.test_answer`, Node `snapshot.testAnswer`) with no
# change under bindings/*/src: the Rust core, the CLI, the Python wheel and
# the Node addon, each built with the feature into target/test-family (the C
# library is checked by scripts/test-c.sh, an old binary against it).
# Usage: scripts/test-family.sh   (after scripts/test-python.sh and test-node.sh
# have installed their tools: maturin in a venv, node_modules)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export CARGO_TARGET_DIR=$ROOT/target/test-family CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
FEATURE=loki-metrics/test-family
RUNNING=$ROOT/tests/fixtures/running/.loki
WORK=$(mktemp -d "${TMPDIR:-/tmp}/loki-metrics-family.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
clean_loki_env

step "Rust core (cargo test --features test-family --test test_family)"
cargo test -q --locked -p loki-metrics --features test-family --test test_family

step "CLI built with the family renders it"
cargo build -q --release --locked -p loki-metrics-cli --features "$FEATURE"
out=$("$CARGO_TARGET_DIR/release/loki-metrics" render -q --loki-dir "$RUNNING" --format openmetrics)
grep -qx 'loki_test_answer 42' <<<"$out" || { echo "the CLI's output has no loki_test_answer" >&2; exit 1; }
echo "ok   loki-metrics render: loki_test_answer 42"

step "Python wheel built with the family: Snapshot.families, value and snapshot.test_answer"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check "maturin==1.16.0"
"$WORK/venv/bin/maturin" build -q --release --locked -i "$WORK/venv/bin/python" --features "$FEATURE" --out "$WORK/wheels"
"$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check "$WORK"/wheels/*.whl
(cd "$WORK" && "$WORK/venv/bin/python" - "$RUNNING" <<'PY'
import sys
import loki_metrics
snapshot = loki_metrics.collect(sys.argv[1])
names = [f.name for f in snapshot.families]
assert "loki_test_answer" in names, names
assert snapshot.value("loki_test_answer") == 42
assert snapshot.to_dict()["test_answer"] == 42
assert snapshot.test_answer == 42 and isinstance(type(snapshot).__dict__["test_answer"], property)
assert "test_answer=42" in repr(snapshot)
assert "\nloki_test_answer 42\n" in loki_metrics.render(snapshot, format="openmetrics")
print("ok   Python: families, value, to_dict, the test_answer property, repr and render have loki_test_answer")
PY
)

step "Node addon built with the family: snapshot.families, value and snapshot.testAnswer"
mkdir -p "$WORK/node"
cp node/main.js node/index.js "$WORK/node/"
npx --no-install napi build --platform --release --manifest-path bindings/node/Cargo.toml \
  --package-json-path package.json --output-dir "$WORK/node" --no-js --features "$FEATURE" >/dev/null
node - "$WORK/node/main.js" "$RUNNING" <<'JS'
const assert = require('node:assert/strict');
const loki = require(process.argv[2]);
const snapshot = loki.collect(process.argv[3]);
assert.ok(snapshot.families.some((f) => f.name === 'loki_test_answer'), 'families');
assert.equal(snapshot.value('loki_test_answer'), 42);
assert.equal(snapshot.testAnswer, 42, 'snapshot.testAnswer');
assert.match(loki.render({ ...snapshot, testAnswer: 7 }, { format: 'openmetrics' }), /\nloki_test_answer 7\n/);
assert.match(loki.render(process.argv[3], { format: 'openmetrics' }), /\nloki_test_answer 42\n/);
assert.match(loki.render(process.argv[3], { format: 'json' }), /"test_answer": 42,/);
console.log('ok   Node: families, value, snapshot.testAnswer (both ways) and render have loki_test_answer');
JS

step "the test-only family reached every front end"

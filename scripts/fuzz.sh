#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 600), with corpora
# seeded from the golden fixtures, and prints each run's summary.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

seed() {
  local target=$1; shift
  mkdir -p "fuzz/corpus/$target"
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "fuzz/corpus/$target/$(echo "$f" | md5sum | cut -c1-16)"
  done
  return 0
}
seed json_sources $(find tests/fixtures -path '*/.loki/*' -name '*.json' -type f) $(find tests/fixtures -name loki.pid -type f)
seed events $(find tests/fixtures -name events.jsonl -type f)
seed parse_prometheus $(find tests/fixtures -name expected.prom) $(ls tests/parser/* 2>/dev/null)
seed parse_openmetrics $(find tests/fixtures -name expected.om) $(ls tests/parser/* 2>/dev/null)
# Label sets past the parser's linear-scan size (32), one with a repeated name.
many=$(seq -s, 0 39 | sed 's/\([0-9]*\)/l\1="v"/g')
for target in parse_prometheus parse_openmetrics; do
  printf 'm{%s} 1\nm{%s,l7="x"} 2\n' "$many" "$many" > "fuzz/corpus/$target/many-labels"
done
mkdir -p fuzz/corpus/http_request
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0.5, *\r\n\r\n' > fuzz/corpus/http_request/gzip
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer fuzz-token\r\nAccept: application/openmetrics-text\r\n\r\n' > fuzz/corpus/http_request/get
printf 'HEAD /health HTTP/1.0\r\n\r\nGET /../metrics HTTP/1.1\r\nHost: x\r\n\r\n' > fuzz/corpus/http_request/pipelined
mkdir -p fuzz/corpus/negotiate
printf '%s' 'application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2' > fuzz/corpus/negotiate/prometheus
printf '%s' '*/*' > fuzz/corpus/negotiate/wildcard
printf '%s' 'text/plain;q=0.9, application/openmetrics-text;q=0.8' > fuzz/corpus/negotiate/q

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd fuzz && cargo fuzz list)
mkdir -p fuzz/logs
(cd fuzz && cargo fuzz build "${targets[@]/#/}" >/dev/null 2>&1 || cargo fuzz build)
for t in "${targets[@]}"; do
  echo "== $t (${seconds}s), log in fuzz/logs/$t.log"
  (cd fuzz && cargo fuzz run "$t" -- -max_total_time="$seconds" -print_final_stats=1) > "fuzz/logs/$t.log" 2>&1 || true
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs|ERROR|panicked|SUMMARY' "fuzz/logs/$t.log" || true
done

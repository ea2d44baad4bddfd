#!/usr/bin/env bash
# Before/after benchmark, side by side in one run: the same measurements with
# two builds, alternated round by round so both see the same machine load.
# Prints each round's figures and the median of the rounds with the ratio
# after/before (for times, > 1 is slower; for MB/s, < 1 is slower).
#
#   bench/compare.sh BASE_CHECKOUT [ROUNDS]
#
# BASE_CHECKOUT is another worktree (e.g. `git worktree add ../base main`)
# with `cargo build --release -p loki-metrics-bench -p loki-metrics-cli` done;
# this checkout needs the same. Figures: collect+render of S, L, XL
# (bench-collect measure), parse MB/s in both formats (bench-parse), HTTP
# requests/s of `serve` on S with 64 connections (wrk, when installed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=$(cd "$1" && pwd)
ROUNDS=${2:-3}
DATA=${BENCH_DATA:-$ROOT/bench-data}
"$ROOT/target/release/bench-collect" --sizes S,L,XL --data "$DATA" --runs 1 >/dev/null

declare -A FIG
record() { FIG["$1|$2"]+="$3 "; }  # record NAME SIDE VALUE

secs() {  # "12.3 ms" / "45.6 µs" / "1.2 s" -> seconds
  awk '{v=$1; u=$2; if (u=="µs") v/=1e6; else if (u=="ms") v/=1e3; printf "%.9f\n", v}' <<<"$1"
}

http_rps() {  # http_rps BIN: requests/s of `serve` on S, 64 connections, 5 s
  local bin=$1 port pid rps
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$bin" serve --loki-dir "$DATA/S/.loki" --port "$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/metrics" >/dev/null && break; sleep 0.1; done
  rps=$(wrk -t2 -c64 -d5s "http://127.0.0.1:$port/metrics" | awk '/Requests\/sec/ {print $2}')
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$rps"
}

for round in $(seq "$ROUNDS"); do
  for side in before after; do
    dir=$BASE; [ "$side" = after ] && dir=$ROOT
    for size in S L XL; do
      runs=51; [ "$size" != S ] && runs=5
      t=$("$dir/target/release/bench-collect" measure "$DATA/$size/.loki" "$runs" | sed -n 's/^median=//p')
      record "collect+render $size (s)" "$side" "$(secs "$t")"
    done
    json=$("$dir/target/release/bench-parse" | tail -n 1)
    record "parse prometheus (MB/s)" "$side" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["parse_prometheus_mb_s"])' "$json")"
    record "parse openmetrics (MB/s)" "$side" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["parse_openmetrics_mb_s"])' "$json")"
    if command -v wrk >/dev/null; then
      record "HTTP S c64 (req/s)" "$side" "$(http_rps "$dir/target/release/loki-metrics")"
    fi
    echo "round $round $side done" >&2
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf '| figure | before (median of %s) | after | after/before | rounds before | rounds after |\n|---|---|---|---|---|---|\n' "$ROUNDS"
for name in "collect+render S (s)" "collect+render L (s)" "collect+render XL (s)" "parse prometheus (MB/s)" "parse openmetrics (MB/s)" "HTTP S c64 (req/s)"; do
  [ -n "${FIG["$name|before"]:-}" ] || continue
  b=$(median <<<"${FIG["$name|before"]}")
  a=$(median <<<"${FIG["$name|after"]}")
  printf '| %s | %s | %s | %.3f | %s| %s|\n' "$name" "$b" "$a" "$(awk -v a="$a" -v b="$b" 'BEGIN {print a/b}')" "${FIG["$name|before"]}" "${FIG["$name|after"]}"
done

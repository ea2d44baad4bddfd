#!/usr/bin/env bash
# HTTP benchmark of `loki-metrics serve` with wrk, on S/M/L directories.
#   bench/http_bench.sh [SECONDS_PER_RUN]      (default 10)
# Builds nothing: run `cargo build --release -p loki-metrics-cli -p loki-metrics-bench` first.
# Sizes: S = 1k event lines, 20 efficiency files, 40 tasks; M = 100k, 1,000, 2,000;
#        L = 2M, 10,000, 20,000. Data is generated once under bench-data/ (git-ignored).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${LOKI_METRICS_BIN:-$ROOT/target/release/loki-metrics}
GEN=$ROOT/target/release/bench-collector
DATA=${BENCH_DATA:-$ROOT/bench-data}
SECS=${1:-10}
for tool in "$BIN" "$GEN"; do [[ -x $tool ]] || { echo "missing $tool: cargo build --release -p loki-metrics-cli -p loki-metrics-bench" >&2; exit 1; }; done
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

SERVER_PID=
cleanup() { if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for size in S M L; do
  if [[ ! -f $DATA/$size/.generated ]]; then
    echo "generating $size in $DATA/$size ..." >&2
    rm -rf "${DATA:?}/$size"
    "$GEN" generate "$size" "$DATA/$size"
    touch "$DATA/$size/.generated"
  fi
done

start_server() { # dir
  local port; port=$(free_port)
  "$BIN" serve --loki-dir "$1" --port "$port" --log-level warn &
  SERVER_PID=$!
  URL="http://127.0.0.1:$port/metrics"
  local deadline=$((SECONDS + 30))
  until curl -sf -o /dev/null "$URL"; do
    (( SECONDS < deadline )) || { echo "server did not start" >&2; exit 1; }
    sleep 0.1
  done
}

stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

# wrk --latency prints "50%  1.23ms" and "99%  4.56ms"; normalise to ms.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.2f", v}'; }

run_wrk() { # connections [extra wrk args...]
  local c=$1; shift
  local out; out=$(wrk -t2 -c"$c" -d"${SECS}s" --latency "$@" "$URL")
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
  printf '%-4s c%-3s %10s req/s   p50 %7s ms   p99 %7s ms %s\n' "$SIZE" "$c" "$rps" "$p50" "$p99" "${errors:+($errors)}"
}

echo "== HTTP (wrk -t2, ${SECS}s per run, cache TTL 2 s, Prometheus text) =="
for SIZE in S M; do
  start_server "$DATA/$SIZE"
  run_wrk 16
  run_wrk 64
  stop_server
done
SIZE=S; start_server "$DATA/S"; echo "-- with Accept-Encoding: gzip --"; run_wrk 64 -H "Accept-Encoding: gzip"; stop_server

echo "== L: re-collection after one appended event (collector, no HTTP) =="
cp "$DATA/L/events.jsonl" "$DATA/L/events.jsonl.orig"
"$GEN" recollect "$DATA/L" 50
mv "$DATA/L/events.jsonl.orig" "$DATA/L/events.jsonl"

echo "== L: exporter RSS while serving (cache TTL 0: every request collects) =="
port=$(free_port)
"$BIN" serve --loki-dir "$DATA/L" --port "$port" --cache-ttl 0 --log-level warn &
SERVER_PID=$!
URL="http://127.0.0.1:$port/metrics"
deadline=$((SECONDS + 60))
until curl -sf -o /dev/null "$URL"; do (( SECONDS < deadline )) || exit 1; sleep 0.2; done
SIZE=L run_wrk 16
grep -E 'VmRSS|VmHWM' "/proc/$SERVER_PID/status"
stop_server

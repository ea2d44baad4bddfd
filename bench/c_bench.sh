#!/usr/bin/env bash
# The C ABI's cost over the Rust core, measured in one run: bench/c_bench.rs
# (the core) and bench/c_bench.c (the same work through libloki_metrics,
# statically linked, gcc -O2), alternated ROUNDS times; the best median of
# each is reported, in process CPU time (the machine may be shared). Usage: bench/c_bench.sh [RUNS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-501}
ROUNDS=${2:-5}
DATA=bench-data/c
OUT=target/release
cargo build -q --release --locked -p loki-metrics-c --lib --example c_bench_core
gcc -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Ibindings/c/include bench/c_bench.c -o "$OUT/c_bench" \
  "$OUT/libloki_metrics_c.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
[ -f "$DATA/parse.prom" ] || "$OUT/examples/c_bench_core" generate "$DATA"

best() { sort -g | head -n 1; }
rust_cr=() c_cr=() c_rd=() rust_mb=() c_mb=() c_mbb=()
for _ in $(seq "$ROUNDS"); do
  r=$("$OUT/examples/c_bench_core" measure "$DATA" "$RUNS")
  c=$("$OUT/c_bench" "$DATA" "$RUNS")
  rust_cr+=("$(sed -n 's/^collect_render_us=//p' <<<"$r")")
  rust_mb+=("$(sed -n 's/^parse_mb_s=//p' <<<"$r")")
  c_cr+=("$(sed -n 's/^collect_render_us=//p' <<<"$c")")
  c_rd+=("$(sed -n 's/^render_dir_us=//p' <<<"$c")")
  c_mb+=("$(sed -n 's/^parse_mb_s=//p' <<<"$c")")
  c_mbb+=("$(sed -n 's/^parse_borrowed_mb_s=//p' <<<"$c")")
done
RC=$(printf '%s\n' "${rust_cr[@]}" | best)
CC=$(printf '%s\n' "${c_cr[@]}" | best)
CD=$(printf '%s\n' "${c_rd[@]}" | best)
RM=$(printf '%s\n' "${rust_mb[@]}" | sort -gr | head -n 1)
CM=$(printf '%s\n' "${c_mb[@]}" | sort -gr | head -n 1)
CMB=$(printf '%s\n' "${c_mbb[@]}" | sort -gr | head -n 1)
BYTES=$(stat -c %s "$DATA/parse.prom")
echo "| measure | Rust core | C ABI | C overhead |"
echo "|---|---|---|---|"
awk -v r="$RC" -v c="$CC" 'BEGIN { printf "| S: collect + render (Prometheus), per call | %.1f µs | %.1f µs (loki_collect + loki_render_snapshot) | %+.1f%% |\n", r, c, (c / r - 1) * 100 }'
awk -v r="$RC" -v c="$CD" 'BEGIN { printf "| S: one loki_render(dir) call | %.1f µs | %.1f µs | %+.1f%% |\n", r, c, (c / r - 1) * 100 }'
awk -v r="$RM" -v c="$CM" -v b="$BYTES" 'BEGIN { printf "| parse %.1f MB (200,000 samples, 2,000 families, 4 labels) | %.1f MB/s | %.1f MB/s (loki_parse + loki_families_free) | %+.1f%% time |\n", b / 1e6, r, c, (r / c - 1) * 100 }'
awk -v r="$RM" -v c="$CMB" -v b="$BYTES" 'BEGIN { printf "| parse %.1f MB, no copy | %.1f MB/s | %.1f MB/s (loki_parse_borrowed + loki_families_free) | %+.1f%% time |\n", b / 1e6, r, c, (r / c - 1) * 100 }'
echo "(process CPU time; best of $ROUNDS alternating rounds; per round: median of $RUNS collect+render calls, fastest of 11 parses)"

#!/usr/bin/env bash
# Tests the C ABI (bindings/c) on a fresh Debian machine: installs what it
# needs, builds libloki_metrics, checks the committed header against a pinned
# cbindgen, installs into a temporary PREFIX, and builds and runs the C test
# suites (tests/c/test_loki_metrics.c, and test_hostile.c: hostile input)
# statically and dynamically linked, under valgrind and with AddressSanitizer
# + UBSan, the header as C++, and the examples.
#
# Usage: scripts/test-c.sh        Last line: "N passed, M failed".
set -uo pipefail
source "$(dirname "$0")/lib.sh"
CBINDGEN_VERSION=0.29.4
TOOLS=$ROOT/target/tools
WORK=$(mktemp -d "${TMPDIR:-/tmp}/loki-metrics-c.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix
BUILD=$WORK/build
mkdir -p "$BUILD"

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$1"; }

# check NAME CMD...: one script-level check; its output is shown on failure.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$name"; else printf '%s\n' "$out" | tail -n 40; fail "$name"; fi
}

# suite NAME CMD...: runs a test binary and adds its "N passed, M failed".
suite() {
  local name=$1 out rc p f
  shift
  out=$("$@" 2>&1)
  rc=$?
  printf '%s\n' "$out" | grep -E '^(FAIL|  )|==[0-9]+==|ERROR' | head -n 60
  read -r p f < <(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | tail -n 1)
  if [ -z "${p:-}" ]; then
    printf '%s\n' "$out" | tail -n 20
    fail "$name (no summary line; exit $rc)"
    return
  fi
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail "$name (exit $rc)"; fi
  printf '%s: %s passed, %s failed\n' "$name" "$p" "$f"
}

finish() {
  printf '\n%d passed, %d failed\n' "$PASSED" "$FAILED"
  [ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
  exit $?
}

step "system packages (gcc, g++, make, valgrind, pkg-config, git)"
apt_install gcc g++ make valgrind pkg-config git curl
[ -e /usr/include/stdio.h ] || apt_install libc6-dev:libc6-dev
ensure_cargo
gcc --version | head -n 1
cargo --version

step "cbindgen $CBINDGEN_VERSION (pinned)"
if [ "$("$TOOLS/bin/cbindgen" --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --root "$TOOLS" -j 2 -q
fi
export PATH=$TOOLS/bin:$PATH
cbindgen --version

clean_loki_env
export RUST_BACKTRACE=0 CARGO_BUILD_JOBS=2

step "build libloki_metrics (release)"
check "cargo build -p loki-metrics-c" make -s -C bindings/c build || finish
check "rust unit tests of the C crate" cargo test -q --release --locked -p loki-metrics-c

step "header is what cbindgen $CBINDGEN_VERSION generates"
check "committed loki_metrics.h is up to date" make -s -C bindings/c check-header

step "install into a temporary PREFIX + pkg-config"
check "make install PREFIX=..." make -s -C bindings/c install PREFIX="$PREFIX" || finish
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
check "pkg-config reports version $VERSION" test "$(pkg-config --modversion loki-metrics)" = "$VERSION"
check "installed shared library has SONAME libloki_metrics.so.1" \
  sh -c "readelf -d '$PREFIX/lib/libloki_metrics.so' | grep -q 'SONAME.*\[libloki_metrics.so.1\]'"
check "header exports no test-only symbol" sh -c "! grep -q loki_internal '$PREFIX/include/loki_metrics.h'"

CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -g -pthread -DEXPECTED_VERSION="\"$VERSION\"")
read -r -a PC_CFLAGS < <(pkg-config --cflags loki-metrics)
read -r -a PC_LIBS < <(pkg-config --libs loki-metrics)
# Static: the archive explicitly, then the system libraries it needs (Libs.private).
read -r -a PC_STATIC < <(pkg-config --static --libs loki-metrics | sed 's/-lloki_metrics/-Wl,-Bstatic -lloki_metrics -Wl,-Bdynamic/')
RPATH=-Wl,-rpath,$PREFIX/lib
# Each suite is tests/c/test_<name>.c; test_hostile.c shrinks its huge inputs
# under valgrind (RUNNING_ON_VALGRIND, from valgrind's own header).
SUITES=(loki_metrics hostile)
SANITIZE=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

for s in "${SUITES[@]}"; do
  T=tests/c/test_$s.c
  step "compile test_$s (gcc ${CFLAGS[*]:0:6})"
  check "test_$s compiles and links dynamically" \
    gcc "${CFLAGS[@]}" "$T" -o "$BUILD/${s}_dynamic" "${PC_CFLAGS[@]}" "${PC_LIBS[@]}" "$RPATH"
  check "test_$s compiles and links statically" \
    gcc "${CFLAGS[@]}" "$T" -o "$BUILD/${s}_static" "${PC_CFLAGS[@]}" "${PC_STATIC[@]}"
  check "test_$s compiles with AddressSanitizer + UBSan" \
    gcc "${CFLAGS[@]}" "${SANITIZE[@]}" "$T" -o "$BUILD/${s}_asan" "${PC_CFLAGS[@]}" "${PC_LIBS[@]}" "$RPATH"
done
check "static binary does not need libloki_metrics.so" \
  sh -c "! readelf -d '$BUILD/loki_metrics_static' | grep -q libloki_metrics"
check "dynamic binary needs libloki_metrics.so.1" \
  sh -c "readelf -d '$BUILD/loki_metrics_dynamic' | grep -q 'NEEDED.*\[libloki_metrics.so.1\]'"
check "header compiles as C++ (g++ -Wall -Wextra -Werror -pedantic)" \
  g++ -std=c++11 -Wall -Wextra -Werror -pedantic tests/c/header_cxx.cpp -o "$BUILD/header_cxx" \
  "${PC_CFLAGS[@]}" "${PC_LIBS[@]}" "$RPATH"

VALGRIND=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1)
for s in "${SUITES[@]}"; do
  step "run test_$s"
  suite "$s: dynamic" "$BUILD/${s}_dynamic" tests/fixtures
  suite "$s: static" "$BUILD/${s}_static" tests/fixtures
  suite "$s: valgrind (dynamic)" "${VALGRIND[@]}" "$BUILD/${s}_dynamic" tests/fixtures
  suite "$s: valgrind (static)" "${VALGRIND[@]}" "$BUILD/${s}_static" tests/fixtures
  suite "$s: AddressSanitizer + UBSan" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$BUILD/${s}_asan" tests/fixtures
done
suite "C++" "$BUILD/header_cxx" tests/fixtures

# bindings/c/README.md's whole program, built by its own cc lines (against
# this PREFIX through PKG_CONFIG_PATH) and run with no LD_LIBRARY_PATH: the
# rpath in its dynamic line is what lets it find the library.
step "bindings/c/README.md: app.c built and run as the README says"
README_C=bindings/c/README.md
APP=$BUILD/readme-app
mkdir -p "$APP"
awk '/^A whole program, `app.c`/ { found = 1 } found && /^```c$/ { inside = 1; next }
     inside && /^```$/ { exit } inside { print }' "$README_C" > "$APP/app.c"
mapfile -t README_CC < <(grep -E '^cc app\.c ' "$README_C")
check "the README has app.c and its two cc lines" \
  test -s "$APP/app.c" -a "${#README_CC[@]}" -eq 2
check "app.c compiles cleanly (gcc ${CFLAGS[*]:0:5})" \
  gcc "${CFLAGS[@]}" -c "$APP/app.c" -o "$APP/strict.o" "${PC_CFLAGS[@]}"
for line in "${README_CC[@]}"; do
  check "README: ${line%%\$*}..." sh -c "cd '$APP' && $line"
done
for program in app app-static; do
  check "$program runs with no LD_LIBRARY_PATH and prints the metrics" sh -c \
    "env -u LD_LIBRARY_PATH '$APP/$program' '$ROOT/tests/fixtures/running/.loki' | grep -q '^loki_tasks_total{status=\"completed\"} 7\$'"
done
check "app names a missing directory in its warning" sh -c \
  "env -u LD_LIBRARY_PATH '$APP/app' '$WORK/absent/.loki' 2>&1 >/dev/null | grep -qx 'warning: $WORK/absent/.loki: the directory does not exist; all values are fallbacks'"

step "examples (cc \$(pkg-config --cflags --libs loki-metrics))"
for example in print_metrics parse_scrape; do
  # shellcheck disable=SC2046 # word splitting of pkg-config output is intended
  check "examples/c/$example.c builds" \
    sh -c "cc -std=c99 -Wall -Wextra -Werror -pedantic examples/c/$example.c -o '$BUILD/$example' \$(pkg-config --cflags --libs loki-metrics)"
done
export LD_LIBRARY_PATH=$PREFIX/lib
for format in prometheus:prom openmetrics:om json:json; do
  check "print_metrics --format ${format%%:*} matches the golden file" sh -c \
    "'$BUILD/print_metrics' --format ${format%%:*} --now 2026-01-05T12:00:00Z tests/fixtures/running/.loki | cmp - tests/fixtures/running/expected.${format#*:}"
done
check "print_metrics reports a directory's warnings on stderr" sh -c \
  "'$BUILD/print_metrics' tests/fixtures/state-truncated/.loki 2>&1 >/dev/null | grep -q '^warning: dashboard-state.json: '"
check "parse_scrape lists the families of a scrape" sh -c \
  "'$BUILD/parse_scrape' tests/fixtures/running/expected.om | grep -qx '  loki_tasks_total{status=\"completed\"} 7'"
check "parse_scrape reports line:column of invalid text and exits 1" sh -c \
  "printf '# TYPE a gauge\na 0x1p3\n# EOF\n' > '$WORK/bad.om'; '$BUILD/parse_scrape' '$WORK/bad.om' 2>'$WORK/err'; [ \$? -eq 1 ] && grep -q 'bad.om:2:' '$WORK/err'"

# The rule of bindings/c/README.md ("Keeping old binaries working"): a program
# built before a family was added runs, unchanged, against the rebuilt library.
step "ABI compatibility: an old binary against a library with a family added since"
check "tests/c/compat_old.c builds against the installed library (no test family)" \
  gcc "${CFLAGS[@]}" tests/c/compat_old.c -o "$BUILD/compat_old" "${PC_CFLAGS[@]}" "${PC_LIBS[@]}"
check "compat_old runs against the library it was built with" \
  env LD_LIBRARY_PATH="$PREFIX/lib" "$BUILD/compat_old" tests/fixtures absent
NEW_TARGET=$ROOT/target/test-family
check "libloki_metrics rebuilt with the test-only family (--features test-family)" \
  env CARGO_TARGET_DIR="$NEW_TARGET" cargo build -q --release --locked -p loki-metrics-c --features test-family
mkdir -p "$BUILD/new-lib"
ln -sf "$NEW_TARGET/release/libloki_metrics_c.so" "$BUILD/new-lib/libloki_metrics.so.1"
check "the old binary, unchanged, sees the new family, valgrind-clean" \
  env LD_LIBRARY_PATH="$BUILD/new-lib" "${VALGRIND[@]}" "$BUILD/compat_old" tests/fixtures present

finish

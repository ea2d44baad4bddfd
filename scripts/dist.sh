#!/usr/bin/env bash
# Builds every artifact SPEC §8 promises into dist/ and checks each one
# (issue 16). Run by hand; CI runs the subset in scripts/test-dist.sh. The
# build and check functions are in scripts/dist-lib.sh.
#
#   dist/python/   abi3 wheels: manylinux2014 x86_64/aarch64, musllinux_1_2
#                  x86_64/aarch64, macosx_11_0 x86_64/arm64; the sdist
#   dist/npm/      loki-metrics + @loki-metrics/<platform> for the six platforms
#   dist/c/        loki-metrics-c-VERSION-<platform>.tar.gz (include/, lib/ with
#                  the shared and static library, lib/pkgconfig/)
#   dist/cli/      loki-metrics-VERSION-<platform>: static musl for Linux, macOS
#   dist/image/    the container image (amd64 + arm64) as an OCI archive; also
#                  in buildah's local storage as ghcr.io/loki-metrics/loki-metrics:VERSION
#   dist/SHA256SUMS
#
# What runs here runs: the x86_64 Linux artifacts natively (the sdist built by
# pip in a fresh venv), the aarch64 glibc ones and the static aarch64 CLI under
# qemu-user, the image under `buildah run`. macOS artifacts are checked
# structurally (llvm-objdump), musl wheels, addons and libraries by their ELF
# headers only (no musl Python or Node here; auditwheel cannot read them on a
# glibc machine, see check_musl_needs_only_libc).
#
# Usage: scripts/dist.sh      Prints each build's time and each artifact's size.
set -euo pipefail
source "$(dirname "$0")/dist-lib.sh"
rm -rf "$DIST"
clean_loki_env
TIMES=()
timed() {  # timed LABEL CMD...: runs CMD, remembers how long it took
  local label=$1 start=$SECONDS
  shift
  "$@"
  TIMES+=("$(printf '%4d s  %s' $((SECONDS - start)) "$label")")
}

step "tools"
dist_tools "${PLATFORMS[@]}"
arm64_sysroot

for p in "${PLATFORMS[@]}"; do
  step "build $p"
  timed "wheel $p" dist_wheel "$p"
  timed "node $p" dist_node "$p"
  timed "c $p" dist_c "$p"
  case $p in linux-*-gnu) ;; *) timed "cli $p" dist_cli "$p" ;; esac
done
step "build the sdist, the main npm package, the image"
timed "sdist" dist_sdist
timed "npm main" dist_node_main
timed "image amd64+arm64" dist_image amd64 arm64

step "check: every shipped binary is stripped"
for p in "${PLATFORMS[@]}"; do
  mkdir -p "$DIST_CACHE/wheel-$p"
  .venv/bin/python -m zipfile -e "$(wheel_of "$p")" "$DIST_CACHE/wheel-$p"
  lib=$CARGO_TARGET_DIR/dist-c/loki-metrics-c-$VERSION-$p/lib
  shipped=("$DIST_CACHE/wheel-$p/loki_metrics/_native.abi3.so" "$CARGO_TARGET_DIR/dist-node/$p/loki-metrics.$p.node" "$lib/libloki_metrics.a")
  case $p in darwin-*) shipped+=("$lib/libloki_metrics.1.dylib") ;; *) shipped+=("$lib/libloki_metrics.so.$VERSION") ;; esac
  case $p in linux-*-gnu) ;; *) shipped+=("$DIST/cli/loki-metrics-$VERSION-$p") ;; esac
  check_stripped "${shipped[@]}"
done

step "check: glibc wheels (auditwheel), addons and libraries (glibc 2.17); musl ones (libc.so alone)"
check_auditwheel "$(wheel_of linux-x64-gnu)" manylinux_2_17_x86_64
check_auditwheel "$(wheel_of linux-arm64-gnu)" manylinux_2_17_aarch64
for p in linux-x64-musl linux-arm64-musl; do
  check_musl_needs_only_libc "$DIST_CACHE/wheel-$p/loki_metrics/_native.abi3.so" \
    "$CARGO_TARGET_DIR/dist-node/$p/loki-metrics.$p.node" \
    "$CARGO_TARGET_DIR/dist-c/loki-metrics-c-$VERSION-$p/lib/libloki_metrics.so.$VERSION"
done
for p in linux-x64-gnu linux-arm64-gnu; do
  check_glibc_2_17 "$CARGO_TARGET_DIR/dist-node/$p/loki-metrics.$p.node"
  check_glibc_2_17 "$CARGO_TARGET_DIR/dist-c/loki-metrics-c-$VERSION-$p/lib/libloki_metrics.so.$VERSION"
done

step "check: x86_64 Linux, natively"
check_static "$DIST/cli/loki-metrics-$VERSION-linux-x64-musl"
check_cli_golden "$DIST/cli/loki-metrics-$VERSION-linux-x64-musl"
check_wheel_runs "$(wheel_of linux-x64-gnu)" manylinux2014_x86_64 python3
node scripts/npm-install-check.mjs "$DIST/npm" linux-x64-gnu
check_c_archive linux-x64-gnu
check_sdist_installs
check_image

step "check: aarch64 Linux, under qemu-user"
QEMU=(qemu-aarch64-static -L "$ARM64_ROOT")
check_static "$DIST/cli/loki-metrics-$VERSION-linux-arm64-musl"
check_cli_golden "${QEMU[@]}" "$DIST/cli/loki-metrics-$VERSION-linux-arm64-musl"
check_wheel_runs "$(wheel_of linux-arm64-gnu)" manylinux2014_aarch64 "${QEMU[@]}" "$ARM64_ROOT/usr/bin/python3.11"
check_node_package_runs linux-arm64-gnu "${QEMU[@]}" "$ARM64_NODE"

step "check: macOS, structurally (cross-built here, not run)"
for p in darwin-x64 darwin-arm64; do
  case $p in darwin-x64) arch=X86_64 ;; darwin-arm64) arch=ARM64 ;; esac
  check_macho "$DIST_CACHE/wheel-$p/loki_metrics/_native.abi3.so" "$arch" PyInit__native
  check_macho "$CARGO_TARGET_DIR/dist-node/$p/loki-metrics.$p.node" "$arch" napi_register_module_v1
  check_macho "$CARGO_TARGET_DIR/dist-c/loki-metrics-c-$VERSION-$p/lib/libloki_metrics.1.dylib" "$arch" $(c_exports)
  check_macho "$DIST/cli/loki-metrics-$VERSION-$p" "$arch"
done

step "SHA256SUMS"
dist_sums

step "build times"
printf '%s\n' "${TIMES[@]}"
step "sizes (bytes)"
(cd "$DIST" && find . -type f -printf '%s\t%P\n' | LC_ALL=C sort -k2)

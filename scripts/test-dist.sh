#!/usr/bin/env bash
# The CI share of scripts/dist.sh (issue 16): builds and checks one artifact of
# each kind that the full matrix ships, through the same functions
# (scripts/dist-lib.sh), into target/dist-ci (not dist/):
#
#   * the static musl CLI (x86_64): stripped, static, all golden files natively;
#   * the container image from it: no shell, UID 1000, /health and /metrics
#     answered over loopback by `buildah run`;
#   * the aarch64 glibc Node addon packed as @loki-metrics/linux-arm64-gnu with
#     the main package: glibc <= 2.17, rendering under qemu-user with Node's
#     official arm64 binary;
#   * the macOS arm64 C library: Mach-O arm64, minimum macOS 11.0, every loki_*
#     function of the header exported, only /usr/lib system libraries linked.
#
# The aarch64 wheel under qemu (Debian's arm64 Python) is left to
# scripts/dist.sh: it would add about 1.5 minutes to the 7 this may take.
#
# Usage: scripts/test-dist.sh        (about 6 minutes cold on 2 cores)
set -euo pipefail
DIST=${DIST:-$(dirname "$0")/../target/dist-ci}
source "$(dirname "$0")/dist-lib.sh"
DIST=$(realpath -m "$DIST")
rm -rf "$DIST"
clean_loki_env

step "tools: qemu-user-static, buildah, llvm, rustup targets, zig + cargo-zigbuild, arm64 Node"
dist_tools linux-x64-musl linux-arm64-gnu darwin-arm64
arm64_sysroot

step "CLI, linux-x64-musl (static)"
dist_cli linux-x64-musl
cli=$DIST/cli/loki-metrics-$VERSION-linux-x64-musl
check_stripped "$cli"
check_static "$cli"
check_cli_golden "$cli"

step "container image (amd64), buildah"
dist_image amd64
check_image

step "Node addon, linux-arm64-gnu, under qemu"
dist_node linux-arm64-gnu
dist_node_main
addon=$CARGO_TARGET_DIR/dist-node/linux-arm64-gnu/loki-metrics.linux-arm64-gnu.node
check_stripped "$addon"
check_glibc_2_17 "$addon"
check_node_package_runs linux-arm64-gnu qemu-aarch64-static -L "$ARM64_ROOT" "$ARM64_NODE"

step "C library, darwin-arm64 (structural: macOS binaries cannot run here)"
dist_c darwin-arm64
lib=$CARGO_TARGET_DIR/dist-c/loki-metrics-c-$VERSION-darwin-arm64/lib
check_stripped "$lib/libloki_metrics.1.dylib" "$lib/libloki_metrics.a"
check_macho "$lib/libloki_metrics.1.dylib" ARM64 $(c_exports)

dist_sums
step "dist subset: all checks passed"

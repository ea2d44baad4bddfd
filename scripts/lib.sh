# Shared by scripts/test*.sh (source it; it changes to the repository root
# and sets ROOT). One place for what every test script needs:
#   step TEXT             a "==> TEXT" heading
#   as_root CMD...        CMD as root (directly when already root, else sudo)
#   apt_install PKG...    installs the Debian packages that are missing
#                         (each PKG is "command:package", or "package" when the
#                         command has the package's name)
#   ensure_cargo          rustup's cargo on PATH (installed if absent)
#   clean_loki_env        unsets every variable the library or the exporter
#                         reads (LOKI_DIR, LOKI_MAX_ITERATIONS, ...): the golden
#                         fixtures assume the defaults, and no test may start
#                         an exporter from the caller's environment
#   LOKI_METRICS_BIN      the path of the CLI every test suite uses (one name,
#                         built once per profile: see cli_bin)
#   cli_bin PROFILE       builds the CLI (debug or release) once, sets and
#                         exports LOKI_METRICS_BIN
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

step() { printf '\n==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=() item
  for item in "$@"; do
    command -v "${item%%:*}" >/dev/null || missing+=("${item#*:}")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

ensure_cargo() {
  if ! command -v cargo >/dev/null; then
    if [ ! -x "$HOME/.cargo/bin/cargo" ]; then
      apt_install curl ca-certificates:ca-certificates
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >/dev/null
    fi
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
}

clean_loki_env() {
  unset LOKI_DIR LOKI_MAX_ITERATIONS LOKI_METRICS_EXPORTER_METRICS LOKI_METRICS_ENABLED \
        LOKI_METRICS_HOST LOKI_METRICS_PORT LOKI_METRICS_PATH LOKI_METRICS_TOKEN \
        LOKI_BUDGET_LIMIT LOKI_METRICS_STALE_AFTER
}

cli_bin() {
  local profile=$1 dir=debug flag=()
  if [ "$profile" = release ]; then dir=release; flag=(--release); fi
  cargo build -q --locked "${flag[@]}" -p loki-metrics-cli
  export LOKI_METRICS_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$dir/loki-metrics"
}

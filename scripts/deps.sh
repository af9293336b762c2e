#!/usr/bin/env bash
# Installs what building and testing kube9-operator needs, and only what is missing, so that
# it is cheap to run every time (make deps, make test, make demo call it). Debian packages for
# the C++ build and the real Prometheus/promtool; pytest for the integration harness. Go
# builds the test control plane (scripts/build-tools.sh) and is expected on the machine.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang clang-format libclang-rt-14-dev ccache pkg-config git curl openssl ca-certificates
  libssl-dev zlib1g-dev rapidjson-dev libfmt-dev libspdlog-dev
  libyaml-cpp-dev prometheus-cpp-dev libcrypt-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus
  python3-yaml
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[deps] installing: ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  # The prometheus package would start a server on :9090 where an init system runs; the
  # tests start their own on a free loopback port instead.
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! python3 -m pytest --version >/dev/null 2>&1; then
  echo "[deps] installing pytest" >&2
  python3 -m pip install --quiet pytest
fi

command -v go >/dev/null || { echo "[deps] Go is required to build the test control plane" >&2; exit 1; }

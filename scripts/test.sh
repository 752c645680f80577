#!/usr/bin/env bash
# Quickstart 2: set up, build, and run the whole test suite (unit, store contract,
# end-to-end against the real binaries).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"

#!/usr/bin/env bash
# Quickstart 2: set up, build, and run the whole test suite (unit, store contract,
# end-to-end against the real binaries).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
# setup.sh installed DynamoDB Local: its absence is a failure here, not a skipped test.
export AGENTDRAFT_REQUIRE_DYNAMODB=1
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"

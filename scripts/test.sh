#!/usr/bin/env bash
# Quickstart 2: set up, build, and run the whole test suite: unit, store contract, end-to-end
# against the real binaries, the history harness's storms and crash soak, the negative
# controls (ctest), then the unit, contract and stampede suites under ASan+UBSan and TSan
# (scripts/sanitize.sh) and a short run of every fuzz target (scripts/fuzz.sh).
# Arguments go to ctest (e.g. -R Stampede); with any, or with AGENTDRAFT_TEST_QUICK=1, only
# ctest runs. Long profiles: tests/soak/run.sh and scripts/fuzz.sh 600 (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
scripts/setup.sh >&2
echo "test.sh: set-up and build took $((SECONDS - started)) s" >&2
# setup.sh installed DynamoDB Local: its absence is a failure here, not a skipped test.
export AGENTDRAFT_REQUIRE_DYNAMODB=1
started=$SECONDS
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
echo "test.sh: ctest took $((SECONDS - started)) s" >&2
if (($#)) || [ "${AGENTDRAFT_TEST_QUICK:-0}" = 1 ]; then exit 0; fi
scripts/sanitize.sh asan tsan
started=$SECONDS
FUZZ_PARALLEL=2 scripts/fuzz.sh 20
echo "test.sh: fuzz smoke took $((SECONDS - started)) s" >&2

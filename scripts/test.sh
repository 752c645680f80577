#!/usr/bin/env bash
# Quickstart 2: set up, build, and run the whole test suite: unit, store contract, end-to-end
# against the real binaries, the history harness's storms and crash soak, the negative
# controls (ctest), then the unit, contract and stampede suites under ASan+UBSan and TSan
# (scripts/sanitize.sh) and a short run of every fuzz target (scripts/fuzz.sh).
#
#   scripts/test.sh                  everything CI runs (.ci/run)
#   scripts/test.sh --quick          the edit-test loop (also AGENTDRAFT_TEST_QUICK=1): the
#                                    incremental build (ccache when installed), then ctest
#                                    without the long suites (storms, soak, stampedes,
#                                    multi-daemon, the DynamoDB re-run, negative controls)
#   scripts/test.sh CTEST_ARGS...    the build, then ctest with these arguments only
#                                    (e.g. -R Stampede)
# Long profiles: tests/soak/run.sh and scripts/fuzz.sh 600 (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=${AGENTDRAFT_TEST_QUICK:-0}
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
ctest_args=("$@")
if [ "$quick" = 1 ]; then
  # The suites that take 10 s or more each (tests/test_costs.cmake has their figures).
  ctest_args+=(-E '^dynamodb/|^planted/|^History/|OverlapStorm|CrashSoak|MultiDaemon|Stampede|PathPairs|HostileAgent|AvailabilityAndCommitAgreeOnRandomCalendars')
fi

total=$SECONDS
started=$SECONDS
scripts/setup.sh >&2
echo "test.sh: set-up and build took $((SECONDS - started)) s" >&2
# setup.sh installed DynamoDB Local: its absence is a failure here, not a skipped test.
export AGENTDRAFT_REQUIRE_DYNAMODB=1
started=$SECONDS
ctest --test-dir build --output-on-failure -j "$(nproc)" "${ctest_args[@]}"
echo "test.sh: ctest took $((SECONDS - started)) s" >&2
if [ "$quick" = 1 ] || (($#)); then
  echo "test.sh: done in $((SECONDS - total)) s" >&2
  exit 0
fi
scripts/sanitize.sh asan tsan
started=$SECONDS
FUZZ_PARALLEL=2 scripts/fuzz.sh 20
echo "test.sh: fuzz smoke took $((SECONDS - started)) s" >&2
echo "test.sh: done in $((SECONDS - total)) s" >&2

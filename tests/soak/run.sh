#!/usr/bin/env bash
# Long profiles of the history suites (docs/testing.md, "History harness and checkers"):
# the overlap storm, the crash soak and the storm over three daemons on DynamoDB Local for
# SECONDS each (default 600 = 10 min), and the stampede over three daemons for SECONDS × 2/3
# rounds (about as long), with the same checkers as the CI profile. Builds nothing: run after
#   cmake --build build --target agentdraft_tests
# Usage: tests/soak/run.sh [SECONDS] [BUILD_DIR]
# Prints each suite's figures (ops, ok/fail/info, kills, violations per checker); exits
# non-zero when a suite misses a floor or any checker reports a violation.
set -euo pipefail
seconds="${1:-600}"
build="${2:-build}"
binary="$build/tests/agentdraft_tests"
[[ -x "$binary" ]] || binary="$build/tests/agentdraft_tests_history"
if [[ ! -x "$binary" ]]; then
  echo "no test binary in $build/tests: build agentdraft_tests first" >&2
  exit 2
fi
status=0
for suite in 'OverlapStorm.*' 'CrashSoak.*' 'MultiDaemonHistory.Storm*' 'MultiDaemonHistory.Stampede*'; do
  name="${suite//[.*]/}"
  echo "== $suite, ${seconds} s"
  AGENTDRAFT_STORM_SECONDS="$seconds" AGENTDRAFT_SOAK_SECONDS="$seconds" AGENTDRAFT_MD_STORM_SECONDS="$seconds" \
    AGENTDRAFT_MD_STAMPEDE_ROUNDS="$((seconds * 2 / 3))" \
    AGENTDRAFT_REQUIRE_DYNAMODB=1 "$binary" --gtest_filter="$suite" 2>&1 | tee "/tmp/agentdraft-soak-$name.log" |
    grep -E '^\[history\]|^  C[0-9]|^  (conservation|store)|^\[ +(OK|FAILED) +\]' || true
  grep -q '^\[  PASSED  \] 1 test' "/tmp/agentdraft-soak-$name.log" || status=1
done
exit "$status"

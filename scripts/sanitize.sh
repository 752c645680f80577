#!/usr/bin/env bash
# The unit, store contract and stampede suites under AddressSanitizer + UndefinedBehaviorSanitizer
# and under ThreadSanitizer (TESTING.md, "sanitizers"). Each sanitizer gets its own build tree
# (build-asan, build-tsan) with only the targets these suites need; any report fails the run:
# the sanitizers abort on their first error, and a daemon that reported anything exits non-zero,
# which the end-to-end tests' clean-stop check catches.
#
# Usage: scripts/sanitize.sh [asan|tsan]...   (default: both). Needs scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."

kinds=("$@")
((${#kinds[@]})) || kinds=(asan tsan)

# The store contract suite's DynamoDB instance: one DynamoDB Local for the whole script.
ddb_state="$(mktemp -d)"
cleanup() { scripts/dynamodb-local.sh stop "$ddb_state" >/dev/null 2>&1 || true; rm -rf "$ddb_state"; }
trap cleanup EXIT
scripts/dynamodb-local.sh start "$ddb_state" >&2
export AGENTDRAFT_DYNAMODB_ENDPOINT_FILE="$ddb_state/endpoint"

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

for kind in "${kinds[@]}"; do
  case "$kind" in
  asan) option=-DAGENTDRAFT_ASAN=ON ;;
  tsan) option=-DAGENTDRAFT_TSAN=ON ;;
  *) echo "sanitize.sh: unknown sanitizer '$kind' (asan or tsan)" >&2; exit 2 ;;
  esac
  dir="build-$kind"
  started=$SECONDS
  # -O1: the sanitizers' own advice (fast enough, readable stacks), and a quicker build.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DAGENTDRAFT_NEGATIVE_CONTROLS=OFF "$option" "${launcher[@]}" >/dev/null
  cmake --build "$dir" -j "$(nproc)" --target agentdraft_tests_unit agentdraft_tests_store \
    agentdraft_tests_e2e agentdraftd agentdraft
  echo "sanitize.sh: $kind build took $((SECONDS - started)) s" >&2

  started=$SECONDS
  export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  "$dir/tests/agentdraft_tests_unit" --gtest_brief=1
  "$dir/tests/agentdraft_tests_store" --gtest_brief=1
  "$dir/tests/agentdraft_tests_e2e" --gtest_brief=1 --gtest_filter='E2eTest.Stampede*'
  echo "sanitize.sh: $kind suites took $((SECONDS - started)) s, clean" >&2
done

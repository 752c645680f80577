#!/usr/bin/env bash
# The unit, store contract and stampede suites under AddressSanitizer + UndefinedBehaviorSanitizer
# and under ThreadSanitizer (TESTING.md, "sanitizers"). Each sanitizer gets its own build tree
# (scripts/sanitizer-tree.sh: build-asan with clang, build-tsan with g++) with only the targets
# these suites need; any report fails the run:
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

# Runs a GoogleTest binary as one shard per core (GTEST_TOTAL_SHARDS), the shards at once: the
# suites are mostly one thread each, and TSan's unit run took 146 s in one process. Each
# shard's output is printed when it ends; any shard failing fails the run.
run_sharded() {
  local shards pids=() logs=() i rc=0
  shards=$(nproc)
  for ((i = 0; i < shards; i++)); do
    logs+=("$(mktemp)")
    GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i "$@" >"${logs[i]}" 2>&1 &
    pids+=($!)
  done
  for ((i = 0; i < shards; i++)); do
    wait "${pids[i]}" || rc=1
    echo "== $(basename "$1"), shard $((i + 1)) of $shards" >&2
    cat "${logs[i]}" >&2
    rm -f "${logs[i]}"
  done
  return "$rc"
}

for kind in "${kinds[@]}"; do
  started=$SECONDS
  dir=$(scripts/sanitizer-tree.sh "$kind")
  cmake --build "$dir" -j "$(nproc)" --target agentdraft_tests_unit agentdraft_tests_store \
    agentdraft_tests_stampede agentdraftd
  echo "sanitize.sh: $kind build took $((SECONDS - started)) s" >&2

  started=$SECONDS
  export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  # AuditVerifyCli.* run the CLI binary, which these trees do not build (ctest runs them).
  run_sharded "$dir/tests/agentdraft_tests_unit" --gtest_brief=1 --gtest_filter='-AuditVerifyCli.*'
  run_sharded "$dir/tests/agentdraft_tests_store" --gtest_brief=1
  "$dir/tests/agentdraft_tests_stampede" --gtest_brief=1
  echo "sanitize.sh: $kind suites took $((SECONDS - started)) s, clean" >&2
done

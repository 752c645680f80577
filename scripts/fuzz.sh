#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang + ASan + UBSan) in build-asan, the tree
# scripts/sanitize.sh also uses (scripts/sanitizer-tree.sh), and runs each for SECONDS.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      default: 600 s, every target
#
# Targets: fuzz_http_request fuzz_time fuzz_buckets fuzz_audit_verify fuzz_request_framing (docs/testing.md,
# "Fuzzing"). Each run starts from a temporary copy of fuzz/corpus/<target>/, so the committed
# corpus is never changed; a crashing input is kept as build-asan/fuzz-artifacts/<target>-crash-…
# Prints one summary line per target; exits 1 if any target found something.
#
# Environment: FUZZ_PARALLEL (targets run at once, default 1), FUZZ_NICE (niceness of the
# runs, default 10), JOBS (build jobs, default 2).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-600}
shift || true
all_targets=(fuzz_http_request fuzz_time fuzz_buckets fuzz_audit_verify fuzz_request_framing)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  case " ${all_targets[*]} " in *" $t "*) ;; *) echo "unknown target: $t (one of: ${all_targets[*]})" >&2; exit 2 ;; esac
done
parallel=${FUZZ_PARALLEL:-1}
niceness=${FUZZ_NICE:-10}

start=$(date +%s)
build=$(realpath "$(scripts/sanitizer-tree.sh asan)")
nice -n 5 cmake --build "$build" -j"${JOBS:-2}" --target "${targets[@]}"
built=$(date +%s)
echo "fuzz.sh: built in $((built - start)) s"

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
work=$(mktemp -d /tmp/agentdraft-fuzz-run.XXXXXX)
trap 'rm -rf "$work"' EXIT

dict_of() {
  case "$1" in
    fuzz_http_request) echo "$root/fuzz/http_request.dict" ;;
    fuzz_time) echo "$root/fuzz/time.dict" ;;
    fuzz_audit_verify) echo "$root/fuzz/audit_verify.dict" ;;
    fuzz_request_framing) echo "$root/fuzz/request_framing.dict" ;;
    *) echo "" ;;
  esac
}

# Runs one target; its log goes to $work/<target>.log, its exit status to $work/<target>.rc.
run_one() {
  local t=$1 corpus="$work/$1.corpus" dict
  mkdir -p "$corpus"
  cp "$root/fuzz/corpus/$t/"* "$corpus/"
  dict=$(dict_of "$t")
  local args=(-max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1
              -artifact_prefix="$artifacts/$t-")
  [ -n "$dict" ] && args+=(-dict="$dict")
  local rc=0
  nice -n "$niceness" "$build/fuzz/$t" "${args[@]}" "$corpus" >"$work/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$work/$t.rc"
}

running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
for t in "${targets[@]}"; do
  log="$work/$t.log"
  rc=$(cat "$work/$t.rc")
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
  rate=$(( ${runs:-0} / (seconds > 0 ? seconds : 1) ))
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  if [ "$rc" = 0 ]; then
    echo "fuzz.sh: $t OK: ${seconds} s, runs=${runs:-?} (~${rate}/s), cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?}"
  else
    failed=1
    artifact=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //')
    echo "fuzz.sh: $t FAILED (exit $rc): runs=${runs:-?} cov=${cov:-?}; input: ${artifact:-none}"
    grep -E 'FUZZ FINDING|ERROR: |runtime error' -A3 "$log" | head -20 | sed 's/^/    /'
    cp "$log" "$artifacts/$t.log"
    echo "    full log: $artifacts/$t.log"
  fi
done
echo "fuzz.sh: done in $(( $(date +%s) - start )) s"
exit "$failed"

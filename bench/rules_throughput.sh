#!/usr/bin/env bash
# Commit throughput with 20 rules active against none: fresh daemons (tie window 0, as in
# bench/run.sh: uncontended commits), alternating runs. The rules (bench/rules-20.json) all pass
# but are all checked: business hours, focus blocks, day caps (a scan of the day), notice.
#   bench/rules_throughput.sh [BUILD_DIR]     (RUNS=3 per side, DURATION=10s, CONNS=8)
# The rate limit is off and the quotas raised, as in bench/run.sh: the engine is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
RUNS="${RUNS:-3}" DURATION="${DURATION:-10s}" CONNS="${CONNS:-8}"
run() {  # $1 = "" or the rules file
  local dir; dir=$(mktemp -d)
  "$BUILD/daemon/agentdraftd" --http 127.0.0.1:0 --data-dir "$dir/data" --socket none --dev --log-level warn --tie-window 0 \
    --rate-limit 0 --max-active-claims 1000000 \
    > "$dir/ready" 2> "$dir/log" &
  local pid=$!
  for _ in $(seq 100); do grep -q ready "$dir/ready" 2>/dev/null && break; sleep 0.05; done
  local url; url=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$dir/ready")
  local extra=(); [ -n "$1" ] && extra=(--rules "$1")
  "$BUILD/bench/agentdraft-loadgen" --base-url "$url" --mode commit --connections "$CONNS" --duration "$DURATION" \
    --json "${extra[@]}" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.0f/s p50 %.2f ms p99 %.2f ms non-201 %d" % (r["commits_per_s"], r["p50_ms"], r["p99_ms"], r["non_201"]))'
  kill -TERM "$pid"; wait "$pid" || true; rm -rf "$dir"
}
for i in $(seq "$RUNS"); do
  echo "none:     $(run "")"
  echo "20 rules: $(run bench/rules-20.json)"
done

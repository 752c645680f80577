#!/usr/bin/env bash
# Commit throughput and latency with the DynamoDB store, against DynamoDB Local (started here,
# in memory, and stopped at the end). Prints a Markdown table.
#   bench/dynamodb.sh [BUILD_DIR]   (default ./build; scripts/setup.sh installs DynamoDB Local)
# DynamoDB Local is a Java emulator on the same two cores: the figures say what the daemon's
# DynamoDB path costs here, not what DynamoDB itself would answer. The rate limit is off and the
# quotas raised, as in bench/run.sh: the engine is measured, not the limiter.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
DAEMON="$BUILD/daemon/agentdraftd"
LOADGEN="$BUILD/bench/agentdraft-loadgen"
DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-200}"
DDB=$(mktemp -d)
scripts/dynamodb-local.sh start "$DDB" >/dev/null
ENDPOINT=$(cat "$DDB/endpoint")
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1
trap 'scripts/dynamodb-local.sh stop "$DDB"; rm -rf "$DDB"' EXIT
TABLE=0

start_daemon() {  # args: extra daemon flags; sets URL, PID, DIR
  DIR=$(mktemp -d)
  TABLE=$((TABLE + 1))
  "$DAEMON" --http 127.0.0.1:0 --data-dir "$DIR" --socket "$DIR/ad.sock" --dev --log-level warn \
    --store dynamodb --dynamodb-table "bench-$$-$TABLE" --dynamodb-endpoint "$ENDPOINT" --create-table \
    --rate-limit 0 --max-active-claims 1000000 "$@" \
    > "$DIR/ready" 2> "$DIR/log" &
  PID=$!
  for _ in $(seq 200); do grep -q ready "$DIR/ready" 2>/dev/null && break; sleep 0.05; done
  URL=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$DIR/ready")
}
stop_daemon() { kill -TERM "$PID"; wait "$PID" || true; rm -rf "$DIR"; }
field() { python3 -c "import json,sys; print(round(json.loads(sys.argv[1])['$2'], 2))" "$1"; }

echo "| workload (DynamoDB Local) | commits/s | p50 ms | p99 ms | max ms | errors |"
echo "|---|---|---|---|---|---|"
for c in 1 8; do
  start_daemon --tie-window 0
  r=$("$LOADGEN" --base-url "$URL" --mode commit --connections "$c" --duration "$DURATION" --json)
  stop_daemon
  echo "| uncontended commits, $c connection(s) | $(field "$r" commits_per_s) | $(field "$r" p50_ms) | $(field "$r" p99_ms) | $(field "$r" max_ms) | $(field "$r" errors) |"
done
start_daemon
r=$("$LOADGEN" --base-url "$URL" --mode race --agents 5 --rounds "$ROUNDS" --json)
stop_daemon
echo
echo "| 5-agent race ($ROUNDS rounds, tie window 20 ms, DynamoDB Local) | accuracy | rank-1 wins | p50 ms | p99 ms | double commits | errors |"
echo "|---|---|---|---|---|---|---|"
echo "| | $(field "$r" accuracy) | $(field "$r" rank1_win_rate) | $(field "$r" p50_ms) | $(field "$r" p99_ms) | $(field "$r" double_commit_rounds) | $(field "$r" errors) |"

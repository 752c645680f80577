#!/usr/bin/env bash
# Runs the benchmark matrix against fresh daemons and prints a Markdown table.
#   bench/run.sh [BUILD_DIR]   (default ./build; build first with scripts/setup.sh)
# Uncontended commits run with --tie-window 0: with a tie window, every agent but the
# top-ranked one waits it out by design, which would measure the window, not the engine.
# Every daemon runs with the per-agent rate limit off and the quotas raised (--rate-limit 0
# --max-active-claims 1000000): the loads flood on purpose, and the benchmark measures the
# engine, not the limiter (docs/cli.md, agentdraftd's defaults: 50 requests/s, 1,000 claims).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
DAEMON="$BUILD/daemon/agentdraftd"
LOADGEN="$BUILD/bench/agentdraft-loadgen"
DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-500}"

start_daemon() {  # args: extra daemon flags; sets URL, PID, DIR
  DIR=$(mktemp -d)
  "$DAEMON" --http 127.0.0.1:0 --data-dir "$DIR" --socket "$DIR/ad.sock" --dev --log-level warn \
    --rate-limit 0 --max-active-claims 1000000 "$@" > "$DIR/ready" 2> "$DIR/log" &
  PID=$!
  for _ in $(seq 100); do grep -q ready "$DIR/ready" 2>/dev/null && break; sleep 0.05; done
  URL=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$DIR/ready")
}
stop_daemon() { kill -TERM "$PID"; wait "$PID" || true; rm -rf "$DIR"; }
field() { python3 -c "import json,sys; print(round(json.loads(sys.argv[1])['$2'], 2))" "$1"; }

echo "| workload | commits/s | p50 ms | p99 ms | max ms | errors |"
echo "|---|---|---|---|---|---|"
for layout in adjacent scattered; do
  for c in 1 8 64; do
    [ "$layout" = scattered ] && [ "$c" != 64 ] && continue
    start_daemon --tie-window 0
    r=$("$LOADGEN" --base-url "$URL" --mode commit --connections "$c" --layout "$layout" --duration "$DURATION" --json)
    stop_daemon
    echo "| uncontended commits, $c connection(s), $layout slots | $(field "$r" commits_per_s) | $(field "$r" p50_ms) | $(field "$r" p99_ms) | $(field "$r" max_ms) | $(field "$r" errors) |"
  done
done
start_daemon
r=$("$LOADGEN" --base-url "$URL" --mode race --agents 5 --rounds "$ROUNDS" --json)
stop_daemon
echo
echo "| 5-agent race ($ROUNDS rounds, tie window 20 ms) | accuracy | rank-1 wins | p50 ms | p99 ms | max ms | double commits | errors |"
echo "|---|---|---|---|---|---|---|---|"
echo "| | $(field "$r" accuracy) | $(field "$r" rank1_win_rate) | $(field "$r" p50_ms) | $(field "$r" p99_ms) | $(field "$r" max_ms) | $(field "$r" double_commit_rounds) | $(field "$r" errors) |"

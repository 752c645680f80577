#!/usr/bin/env bash
# How long one `agentdraft commit` takes, from process start to exit: the latency a shell
# script or a CI job sees. Each run commits a fresh 30-minute slot on a fresh daemon.
#   bench/cli_latency.sh [BUILD_DIR]      (RUNS=300 by default)
# Two ways in: the owner's Unix socket acting as an agent (--as), and HTTP with the agent's key.
# Prints p50/p90/p99/max in milliseconds, measured around fork+exec+wait by bash itself
# ($EPOCHREALTIME: no clock process of its own in the measurement). The rate limit is off: 600
# commits of one agent back to back are a flood by agentdraftd's default (50 requests/s).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
DAEMON="$BUILD/daemon/agentdraftd"
CLI="$BUILD/cli/agentdraft"
RUNS="${RUNS:-300}"

DIR=$(mktemp -d)
trap 'kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$DIR"' EXIT
"$DAEMON" --http 127.0.0.1:0 --data-dir "$DIR/data" --socket "$DIR/ad.sock" --log-level warn --rate-limit 0 \
  > "$DIR/ready" 2> "$DIR/log" &
PID=$!
for _ in $(seq 100); do grep -q ready "$DIR/ready" 2>/dev/null && break; sleep 0.05; done
export AGENTDRAFT_SOCKET="$DIR/ad.sock"
export AGENTDRAFT_BASE_URL=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$DIR/ready")
KEY=$("$CLI" agents add bench --priority 1 --json 2>/dev/null | sed -n 's/.*"plaintext_key":"\([^"]*\)".*/\1/p')
base=$(( $(date +%s) / 86400 * 86400 + 400 * 86400 ))  # a day far ahead, at 00:00 UTC

baseline() {  # process start to exit of `agentdraft --version`: loading, no request
  local times=()
  for i in $(seq 1 "$RUNS"); do
    local t0=${EPOCHREALTIME/./}
    "$CLI" --version > /dev/null
    local t1=${EPOCHREALTIME/./}
    times+=($(( t1 - t0 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END {
    printf "| baseline: agentdraft --version (no request) | %d | %.1f | %.1f | %.1f | %.1f |\n", NR,
      v[int(NR * 0.50 + 0.5)] / 1000, v[int(NR * 0.90 + 0.5)] / 1000, v[int(NR * 0.99 + 0.5)] / 1000, v[NR] / 1000 }'
}

measure() {  # $1: label; then the command prefix; commits RUNS fresh slots
  local label=$1; shift
  local times=()
  for i in $(seq 1 "$RUNS"); do
    local slot=$(( base + (i + OFFSET) * 1800 ))
    local start_iso=$(date -u -d "@$slot" +%Y-%m-%dT%H:%M:%SZ)
    local t0=${EPOCHREALTIME/./}
    "$@" commit "$start_iso" --duration 30m > /dev/null
    local t1=${EPOCHREALTIME/./}
    times+=($(( t1 - t0 )))
  done
  OFFSET=$(( OFFSET + RUNS ))
  printf '%s\n' "${times[@]}" | sort -n | awk -v label="$label" '
    { v[NR] = $1 }
    END {
      printf "| %s | %d | %.1f | %.1f | %.1f | %.1f |\n", label, NR,
        v[int(NR * 0.50 + 0.5)] / 1000, v[int(NR * 0.90 + 0.5)] / 1000,
        v[int(NR * 0.99 + 0.5)] / 1000, v[NR] / 1000
    }'
}

OFFSET=0
echo "| agentdraft commit, process start to exit | runs | p50 ms | p90 ms | p99 ms | max ms |"
echo "|---|---|---|---|---|---|"
measure "owner socket, --as bench" "$CLI" --as bench
measure "HTTP, agent key" env AGENTDRAFT_API_KEY="$KEY" "$CLI"
baseline

#!/usr/bin/env bash
# Commits through two daemon binaries, back to back, in alternating rounds, so that a change
# on the commit path is measured against the binary before it in the same minutes (this
# machine's absolute figures drift; the ratio in one run is what counts).
#   bench/ab_commit.sh A_DAEMON B_DAEMON [LOADGEN]
# Environment: FLAGS_A / FLAGS_B (extra daemon flags each), ROUNDS (3), DURATION (5s),
# CONNECTIONS ("1 64"). Every daemon runs with --tie-window 0 and the rate limit off: the load
# floods on purpose, and the tie window would measure itself.
set -euo pipefail
cd "$(dirname "$0")/.."
A="$1"; B="$2"; LOADGEN="${3:-build/bench/agentdraft-loadgen}"
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-5s}"; CONNECTIONS="${CONNECTIONS:-1 64}"

run() {  # daemon, flags, connections → one JSON line from the load generator
  local dir; dir=$(mktemp -d)
  # shellcheck disable=SC2086
  "$1" --http 127.0.0.1:0 --data-dir "$dir" --socket "$dir/ad.sock" --dev --log-level warn \
    --tie-window 0 --rate-limit 0 $2 > "$dir/ready" 2> "$dir/log" &
  local pid=$!
  for _ in $(seq 100); do grep -q ready "$dir/ready" 2>/dev/null && break; sleep 0.05; done
  local url; url=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' "$dir/ready")
  "$LOADGEN" --base-url "$url" --mode commit --connections "$3" --layout adjacent --duration "$DURATION" --json
  kill -TERM "$pid"; wait "$pid" || true; rm -rf "$dir"
}
field() { python3 -c "import json,sys; print(round(json.loads(sys.argv[1])['$2'], 3))" "$1"; }

echo "| round | connections | binary | commits/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  for c in $CONNECTIONS; do
    for side in A B; do
      if [ "$side" = A ]; then r=$(run "$A" "${FLAGS_A:-}" "$c"); else r=$(run "$B" "${FLAGS_B:-}" "$c"); fi
      echo "| $round | $c | $side | $(field "$r" commits_per_s) | $(field "$r" p50_ms) | $(field "$r" p99_ms) | $(field "$r" errors) |"
    done
  done
done

#!/bin/sh
# shell-agent.sh — a calendar agent in ten lines of shell, on top of `agentdraft`.
#
# It tries to book its first choice. When another agent holds that slot (exit code 3), it asks
# for the next free slot of the same length and books that instead. When the daemon cannot be
# reached or answers with an error (exit codes 8 and 1), it retries the *same* request with the
# *same* idempotency key, so a retry after a lost answer can never book twice.
#
# Usage:   shell-agent.sh START [DURATION]     e.g. shell-agent.sh "tomorrow 16:00" 30m
# Needs:   AGENTDRAFT_API_KEY (this agent's key); AGENTDRAFT_BASE_URL if not the default;
#          AGENTDRAFT_CLI to use an agentdraft binary that is not on PATH.
# Exit:    0 booked (the booking's id on stdout); 3 nothing free; others as `agentdraft commit`.
set -u

start=${1:?usage: shell-agent.sh START [DURATION]}
duration=${2:-30m}
cli=${AGENTDRAFT_CLI:-agentdraft}
run_id="shell-agent-$(date +%s)-$$"

# commit_with_retries SLOT KEY: commits SLOT; retries transport and server errors with KEY.
commit_with_retries() {
  attempt=1
  while :; do
    out=$("$cli" commit "$1" --duration "$duration" --idempotency-key "$2" --json)
    code=$?
    case $code in
      1|8) [ "$attempt" -ge 5 ] && return "$code"
           echo "shell-agent: attempt $attempt failed (exit $code); retrying with key $2" >&2
           sleep "$attempt"; attempt=$((attempt + 1)) ;;
      *)   return "$code" ;;
    esac
  done
}

# The first free slot of $duration at or after $1 (RFC 3339), or nothing.
next_free_slot() {
  "$cli" availability --from "$1" --to "+14d" --duration "$duration" --json |
    grep -o '"start":"[^"]*"' | head -n 1 | cut -d'"' -f4
}

slot=$start
for try in 1 2 3 4 5; do
  commit_with_retries "$slot" "$run_id-$try"
  code=$?
  case $code in
    0) echo "$out" | grep -o '"booking_id":"[^"]*"' | cut -d'"' -f4
       exit 0 ;;
    3) echo "shell-agent: $slot is taken; looking for the next free slot" >&2
       slot=$(next_free_slot "$slot")
       [ -n "$slot" ] || { echo "shell-agent: nothing free in the next 14 days" >&2; exit 3; } ;;
    *) exit "$code" ;;
  esac
done
echo "shell-agent: every slot I tried was taken by the time I asked" >&2
exit 3

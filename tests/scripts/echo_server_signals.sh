#!/usr/bin/env bash
# End-to-end test of the README's first command: the echo_server example as
# a real process, driven by nc (netcat-openbsd), stopped by SIGINT and by
# SIGTERM while a client is still connected. Checks the replies are
# upper-cased, that a signal stops it cleanly (exit 0, "bye") within the
# two-second drain plus slack, and that nothing listens afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v nc >/dev/null || { echo "FAIL: nc missing (apt-get install netcat-openbsd)"; exit 1; }
cargo build -q --release --example echo_server
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
bin=$target_dir/release/examples/echo_server
log=$(mktemp)
pass=0

run_case() {
  local sig=$1
  "$bin" 127.0.0.1:0 >"$log" 2>&1 &
  local pid=$!
  local addr=""
  for _ in $(seq 1 100); do
    addr=$(sed -n 's/^echo server listening on //p' "$log")
    [ -n "$addr" ] && break
    sleep 0.05
  done
  [ -n "$addr" ] || { echo "FAIL: server did not announce its address"; cat "$log"; exit 1; }
  local host=${addr%:*} port=${addr##*:}
  local reply
  reply=$(printf 'hello from nc\nline two\n' | nc -N -w 5 "$host" "$port")
  [ "$reply" = $'HELLO FROM NC\nLINE TWO' ] || { echo "FAIL: reply was '$reply'"; exit 1; }
  # A client that stays connected and silent while the signal arrives.
  (sleep 30 | nc "$host" "$port" >/dev/null 2>&1 &)
  sleep 0.2
  local start=$SECONDS
  kill -"$sig" "$pid"
  local status=0
  wait "$pid" || status=$?
  local took=$((SECONDS - start))
  [ "$status" -eq 0 ] || { echo "FAIL: exit status $status after SIG$sig"; cat "$log"; exit 1; }
  grep -q '^bye$' "$log" || { echo "FAIL: no clean shutdown message"; cat "$log"; exit 1; }
  [ "$took" -le 10 ] || { echo "FAIL: shutdown took ${took}s"; exit 1; }
  if nc -z -w 1 "$host" "$port" 2>/dev/null; then echo "FAIL: still listening after SIG$sig"; exit 1; fi
  pkill -f "nc $host $port" 2>/dev/null || true
  echo "ok: SIG$sig with a client connected: exit 0 in ${took}s"
  pass=$((pass + 1))
}

run_case INT
run_case TERM
rm -f "$log"
echo "$pass passed, 0 failed"

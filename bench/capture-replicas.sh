#!/usr/bin/env bash
# Genuine multi-replica Valkey runs for `npm run bench` (the conformance checker's real-log table).
#
#   bash bench/capture-replicas.sh N OUTDIR [KILLS]
#
# Starts one primary and N dual-channel replicas on 127.0.0.1 (free ports, loglevel debug, the
# same base options as capture/server.ts), populates the primary, attaches the replicas one by one
# while writing (each after the previous one has synced), and KILLS times (default 1) writes and kills one replica's main channel with
# CLIENT KILL ID, waiting for all replicas to resync. Then SHUTDOWN NOSAVE everywhere.
# (The `valkey` preset has a budget of three faults, and the model counts each replica's start-up
# as one: N + KILLS <= 3 for the run to conform.)
# Writes OUTDIR/primary.log, OUTDIR/replica1.log … OUTDIR/replicaN.log. Only the processes this
# script started are stopped (by their PID). Needs valkey-server and valkey-cli on PATH (or
# VALKEY_SERVER / VALKEY_CLI).
set -euo pipefail
N=${1:?number of replicas}
OUT=${2:?output directory}
KILLS=${3:-1}
SERVER=${VALKEY_SERVER:-valkey-server}
CLI=${VALKEY_CLI:-valkey-cli}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/replcheck-bench-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 - <<'EOF'
import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()
EOF
}
start() { # name port
  mkdir -p "$WORK/$1"
  rm -f "$OUT/$1.log"
  "$SERVER" --port "$2" --bind 127.0.0.1 --dir "$WORK/$1" --logfile "$OUT/$1.log" --loglevel debug \
    --daemonize no --save '' --appendonly no --enable-debug-command yes --hide-user-data-from-log no \
    --dual-channel-replication-enabled yes --repl-diskless-sync yes --repl-diskless-sync-delay 0 &
  PIDS+=($!)
  for _ in $(seq 100); do "$CLI" -p "$2" PING >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "server $1 on port $2 did not start" >&2; exit 1
}
cli() { "$CLI" -p "$@"; }
writes() { # prefix count: SETs on the primary over one connection
  for k in $(seq "$2"); do echo "SET $1:$k $k"; done | "$CLI" -p "$PPORT" >/dev/null
}
synced() { # port: 0 when the replica's link is up and it is not syncing
  local info; info=$(cli "$1" INFO replication)
  grep -q 'master_link_status:up' <<<"$info" && grep -q 'master_sync_in_progress:0' <<<"$info"
}
wait_all() { # [ports]: default every replica
  local ports=("$@"); [ ${#ports[@]} -gt 0 ] || ports=("${RPORTS[@]}")
  for _ in $(seq 600); do
    local ok=1
    for p in "${ports[@]}"; do synced "$p" || { ok=0; break; }; done
    [ $ok = 1 ] && return 0
    sleep 0.1
  done
  echo "replicas did not sync" >&2; exit 1
}

PPORT=$(free_port)
start primary "$PPORT"
cli "$PPORT" DEBUG POPULATE 200000 key 100 >/dev/null
RPORTS=()
for i in $(seq "$N"); do
  p=$(free_port)
  start "replica$i" "$p"
  RPORTS+=("$p")
done
ATTACHED=()
for p in "${RPORTS[@]}"; do
  cli "$p" REPLICAOF 127.0.0.1 "$PPORT" >/dev/null
  writes "a$p" 20
  ATTACHED+=("$p")
  wait_all "${ATTACHED[@]}"
done
for r in $(seq "$KILLS"); do
  writes "w$r" 100
  id=$(cli "$PPORT" CLIENT LIST TYPE replica | sed -n "${r}s/^id=\([0-9]*\) .*/\1/p")
  cli "$PPORT" CLIENT KILL ID "$id" >/dev/null
  writes "x$r" 50
  sleep 1.5
  wait_all
done
sleep 0.5
for p in "${RPORTS[@]}" "$PPORT"; do cli "$p" SHUTDOWN NOSAVE >/dev/null 2>&1 || true; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
PIDS=()
ls -l "$OUT"

#!/usr/bin/env bash
# The benchmark on PostgreSQL (docs/benchmarks.md#postgresql): the Release notifyd against the
# fake MyOperator, on a throwaway PostgreSQL 15 cluster this script starts (initdb as the postgres
# user when run as root; a free port on 127.0.0.1; default durability: fsync and synchronous
# commit on) and removes at exit. One node, then three nodes on one database:
#   enqueue  POST /send-message (queued) under wrk, one wrk per node, connections split between them;
#   batch    POST /send-batch x BATCH_SIZE (one node);
#   dispatch a paused backlog of BENCH_PG_DISPATCH_N messages drained to the fake by all nodes.
# Usage: bench/run_bench_pg.sh [BUILD_DIR]. Tunables as bench/run_bench.sh's, plus
# BENCH_PG_DISPATCH_N (default 20000). Writes bench/results-postgres.json and prints a table.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${1:-build-release}
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
DISPATCH_N=${BENCH_PG_DISPATCH_N:-20000}
DRAIN_TIMEOUT=${BENCH_DRAIN_TIMEOUT:-150}
BATCH_SIZE=${BENCH_BATCH_SIZE:-1000}
BATCH_CONNS=${BENCH_BATCH_CONNECTIONS:-8}
NOTIFYD="$ROOT/$BUILD_DIR/notifyd"
FAKE="$ROOT/$BUILD_DIR/fake_myoperator"
TOKEN="bench-admin-token-0123456789"
API_KEY="bench-fake-key"
PGBIN=/usr/lib/postgresql/15/bin
for b in "$NOTIFYD" "$FAKE" "$PGBIN/initdb" "$PGBIN/pg_ctl"; do
  [ -x "$b" ] || { echo "missing $b (run make bench; PostgreSQL comes from scripts/install-deps.sh)" >&2; exit 1; }
done
for t in wrk curl jq; do command -v "$t" >/dev/null || { echo "missing $t (make bench installs it)" >&2; exit 1; }; done

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck source=bench/bench_lib.sh
source "$ROOT/bench/bench_lib.sh"

# ---- the throwaway cluster ----
PGDIR=$(mktemp -d /tmp/notifyd-bench-pg-XXXXXX)
AS_OWNER=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$PGDIR"
  AS_OWNER=(runuser -u postgres --)
fi
cleanup_extra() {
  "${AS_OWNER[@]}" "$PGBIN/pg_ctl" stop -m immediate -w -D "$PGDIR/data" >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
"${AS_OWNER[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --locale=C >"$PGDIR/initdb.log" 2>&1 ||
  { cat "$PGDIR/initdb.log" >&2; exit 1; }
PGPORT=""
for _ in 1 2 3 4 5; do
  candidate=$((20000 + RANDOM % 40000))
  # Something answering on it: taken.
  if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then continue; fi
  if "${AS_OWNER[@]}" "$PGBIN/pg_ctl" start -w -t 60 -D "$PGDIR/data" -l "$PGDIR/server.log" \
      -o "-p $candidate -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=100" >/dev/null 2>&1; then
    PGPORT=$candidate
    break
  fi
done
[ -n "$PGPORT" ] || { echo "PostgreSQL did not start:" >&2; cat "$PGDIR/server.log" >&2; exit 1; }
log "PostgreSQL 15 on 127.0.0.1:$PGPORT ($PGDIR)"
create_db() {
  "$PGBIN/psql" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -c "CREATE DATABASE $1" >/dev/null
  echo "postgresql://postgres@127.0.0.1:$PGPORT/$1"
}

start_fake

# start_nodes NAME COUNT URL: COUNT nodes on URL; their pids and bases in NODE_PIDS and NODE_BASES.
NODE_PIDS=()
NODE_BASES=()
start_nodes() {
  NODE_PIDS=(); NODE_BASES=()
  for i in $(seq 1 "$2"); do
    start_notifyd "$1-$i" "$3"
    NODE_PIDS+=("$NOTIFYD_PID"); NODE_BASES+=("$BASE")
  done
  BASE=${NODE_BASES[0]}
}
stop_nodes() {
  for pid in "${NODE_PIDS[@]}"; do NOTIFYD_PID=$pid; stop_notifyd; done
}
peak_rss_mib() {
  local max=0 kib
  for pid in "${NODE_PIDS[@]}"; do
    kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status"); [ "$kib" -gt "$max" ] && max=$kib
  done
  awk -v k="$max" 'BEGIN {printf "%.1f", k / 1024}'
}

# enqueue_run LABEL: one wrk per node at once, CONNS split between them; prints {rps, p50_ms, p99_ms}
# (rps summed; the latencies are the worst node's).
enqueue_run() {
  local label=$1 n=${#NODE_BASES[@]} i
  local conns=$(( CONNS / n )); [ "$conns" -ge "$THREADS" ] || conns=$THREADS
  local pids=()
  for i in $(seq 0 $((n - 1))); do
    ( BENCH_TOKEN=$TOKEN BENCH_THREADS=$THREADS run_wrk "$label-$i" -t"$THREADS" -c"$conns" \
        -d"${DURATION}s" --latency -s bench/send.lua "${NODE_BASES[$i]}/" > "$WORK/$label-$i.json" ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  cat "$WORK/$label"-*.json | jq -s '{rps: (map(.rps) | add | . * 10 | round / 10),
    p50_ms: (map(.p50_ms) | max), p99_ms: (map(.p99_ms) | max), nodes: length}'
}

# dispatch_run LABEL: DISPATCH_N messages queued while paused, then unpaused: seconds to send them all.
dispatch_run() {
  local label=$1
  api -X PUT "$BASE/settings" -d '{"paused": true}' >/dev/null
  # The other nodes see the pause within their settings copy's age (0.5 s): until every node says
  # so, one of them could send part of the backlog before it is counted.
  local base
  for base in "${NODE_BASES[@]}"; do
    for _ in $(seq 1 50); do
      [ "$(api "$base/settings" | jq -r '.paused')" = true ] && break
      sleep 0.1
    done
  done
  BENCH_TOKEN=$TOKEN BENCH_THREADS=$THREADS BENCH_LIMIT=$DISPATCH_N \
    timeout 300 wrk -t"$THREADS" -c"$CONNS" -d300s -s bench/send.lua "$BASE/" > "$WORK/wrk-fill-$label.txt" 2>&1 &
  local wrk_pid=$!
  PIDS+=("$wrk_pid")
  for _ in $(seq 1 3000); do
    kill -0 "$wrk_pid" 2>/dev/null || break
    [ "$(stat_field queued)" -ge "$DISPATCH_N" ] && break
    sleep 0.1
  done
  sleep 0.5
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" 2>/dev/null || true
  local n sent=0 failed=0 drained=false t0 t1 s deadline
  n=$(stat_field queued)
  log "dispatch ($label): $n queued; unpausing (at most ${DRAIN_TIMEOUT}s)"
  t0=$(date +%s.%N)
  api -X PUT "$BASE/settings" -d '{"paused": false}' >/dev/null
  deadline=$(( $(date +%s) + DRAIN_TIMEOUT ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    s=$(api "$BASE/statistics")
    sent=$(jq -r '.sent' <<<"$s"); failed=$(jq -r '.failed' <<<"$s")
    if [ $((sent + failed)) -ge "$n" ]; then drained=true; break; fi
    sleep 0.1
  done
  t1=$(date +%s.%N)
  jq -n --argjson n "$n" --argjson sent "$sent" --argjson failed "$failed" --argjson drained "$drained" \
    --argjson s "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')" \
    '{messages: $n, sent: $sent, failed: $failed, drained: $drained, seconds: $s,
      messages_per_s: (($sent / $s * 10 | round) / 10)}'
}

# ---- one node ----
start_nodes one 1 "$(create_db bench_one)"
log "one node: enqueue, ${DURATION}s"
ENQUEUE_1=$(enqueue_run enqueue-one)
log "one node: send-batch x $BATCH_SIZE, $BATCH_CONNS connections, ${DURATION}s"
BATCH_1=$(BENCH_TOKEN=$TOKEN BENCH_THREADS=$THREADS BENCH_BATCH_SIZE=$BATCH_SIZE run_wrk batch-one -t"$THREADS" \
  -c"$BATCH_CONNS" -d"${DURATION}s" --latency --timeout 10s -s bench/batch.lua "$BASE/")
stop_nodes
start_nodes dispatch-one 1 "$(create_db bench_dispatch_one)"
DISPATCH_1=$(dispatch_run one)
RSS_1=$(peak_rss_mib)
stop_nodes

# ---- three nodes on one database ----
start_nodes three 3 "$(create_db bench_three)"
log "three nodes: enqueue, ${DURATION}s"
ENQUEUE_3=$(enqueue_run enqueue-three)
stop_nodes
start_nodes dispatch-three 3 "$(create_db bench_dispatch_three)"
DISPATCH_3=$(dispatch_run three)
RSS_3=$(peak_rss_mib)
stop_nodes

jq -n --arg commit "$(git rev-parse HEAD 2>/dev/null || echo unknown)" --argjson nproc "$(nproc)" \
  --arg cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg load "$LOAD_AT_START" \
  --arg pg "$("$PGBIN/postgres" --version | awk '{print $3}')" \
  --argjson conns "$CONNS" --argjson threads "$THREADS" --argjson duration "$DURATION" \
  --argjson e1 "$ENQUEUE_1" --argjson b1 "$BATCH_1" --argjson d1 "$DISPATCH_1" --argjson r1 "$RSS_1" \
  --argjson e3 "$ENQUEUE_3" --argjson d3 "$DISPATCH_3" --argjson r3 "$RSS_3" \
  '{machine: {nproc: $nproc, cpu_model: $cpu}, commit: $commit, date: $date, build: "Release",
    postgresql: $pg, durability: "fsync on, synchronous_commit on (defaults)",
    load: {threads: $threads, connections: $conns, duration_s: $duration}, loadavg_at_start: $load,
    one_node: {enqueue_send_message: $e1, send_batch: $b1, dispatch: $d1, peak_rss_mib: $r1},
    three_nodes: {enqueue_send_message: $e3, dispatch: $d3, peak_rss_mib_per_node: $r3}}' > bench/results-postgres.json

jq -r '
  "",
  "notifyd on PostgreSQL \(.postgresql)  commit \(.commit[0:12])  \(.machine.nproc) x \(.machine.cpu_model)",
  "measurement                          one node            three nodes",
  "enqueue POST /send-message  req/s    \(.one_node.enqueue_send_message.rps)\t\t\(.three_nodes.enqueue_send_message.rps)",
  "                            p99 ms   \(.one_node.enqueue_send_message.p99_ms)\t\t\(.three_nodes.enqueue_send_message.p99_ms)",
  "send-batch x\(.one_node.send_batch.batch_size)    msg/s     \(.one_node.send_batch.messages_per_s)  (p99 \(.one_node.send_batch.p99_ms) ms)",
  "dispatch \(.one_node.dispatch.messages) msgs      msg/s    \(.one_node.dispatch.messages_per_s)\t\t\(.three_nodes.dispatch.messages_per_s)",
  "peak RSS MiB (per node)              \(.one_node.peak_rss_mib)\t\t\(.three_nodes.peak_rss_mib_per_node)",
  "load average at start: \(.loadavg_at_start)",
  "",
  "written: bench/results-postgres.json"' bench/results-postgres.json

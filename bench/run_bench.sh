#!/usr/bin/env bash
# Benchmarks the Release notifyd against the fake MyOperator on loopback (see docs/benchmarks.md).
# Usage: bench/run_bench.sh [BUILD_DIR]    (default build-release; `make bench` builds it first)
# Tunables (environment): BENCH_DURATION (wrk seconds, default 10), BENCH_CONNECTIONS (64),
# BENCH_THREADS (2), BENCH_DISPATCH_N (messages drained in the dispatch run, default 60000),
# BENCH_DRAIN_TIMEOUT (seconds, default 150), BENCH_READS_ROWS (messages in the store for the
# read benchmark, default 1000000; 0 skips it), BENCH_BATCH_SIZE (messages per send-batch, 1000),
# BENCH_BATCH_CONNECTIONS (8).
# Writes bench/results.json and prints a table. About 2 min on 2 cores; each step is bounded
# (wrk by its duration, the drain by BENCH_DRAIN_TIMEOUT).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${1:-build-release}
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
DISPATCH_N=${BENCH_DISPATCH_N:-60000}
DRAIN_TIMEOUT=${BENCH_DRAIN_TIMEOUT:-150}
READS_ROWS=${BENCH_READS_ROWS:-1000000}
BATCH_SIZE=${BENCH_BATCH_SIZE:-1000}
BATCH_CONNS=${BENCH_BATCH_CONNECTIONS:-8}
NOTIFYD="$ROOT/$BUILD_DIR/notifyd"
FAKE="$ROOT/$BUILD_DIR/fake_myoperator"
TOKEN="bench-admin-token-0123456789"
API_KEY="bench-fake-key"
for b in "$NOTIFYD" "$FAKE"; do [ -x "$b" ] || { echo "missing $b (run make bench)" >&2; exit 1; }; done
for t in wrk curl jq sqlite3; do command -v "$t" >/dev/null || { echo "missing $t (make bench installs it)" >&2; exit 1; }; done

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck source=bench/bench_lib.sh
source "$ROOT/bench/bench_lib.sh"

start_fake

# ---- 1 and 2: ceiling (GET /health) then enqueue (POST /send-message, queued) ----
start_notifyd enqueue
log "ceiling: GET /health, $THREADS threads, $CONNS connections, ${DURATION}s"
CEILING=$(run_wrk health -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/get.lua "$BASE/health")
log "enqueue: POST /send-message (queued), $THREADS threads, $CONNS connections, ${DURATION}s"
ENQUEUE=$(BENCH_TOKEN=$TOKEN BENCH_THREADS=$THREADS run_wrk send -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/send.lua "$BASE/")
RSS_ENQUEUE=$(hwm_kib)
ENQUEUE_STORED=$(stat_field total)
stop_notifyd

# ---- 6 and 7: send-batch, then GET /health while the backlog it left drains ----
# Batches of BATCH_SIZE queued messages on BATCH_CONNS connections with the processor running,
# as in production; then /health is measured again while the processor drains that backlog
# (issue 8: at least half the empty-queue rate).
start_notifyd batch
log "batch: POST /send-batch x $BATCH_SIZE, $THREADS threads, $BATCH_CONNS connections, ${DURATION}s"
BATCH=$(BENCH_TOKEN=$TOKEN BENCH_THREADS=$THREADS BENCH_BATCH_SIZE=$BATCH_SIZE run_wrk batch -t"$THREADS" -c"$BATCH_CONNS" -d"${DURATION}s" --latency --timeout 10s -s bench/batch.lua "$BASE/")
BATCH_STORED=$(stat_field total)
BACKLOG_BEFORE=$(stat_field queued)
log "health under backlog: $BACKLOG_BEFORE queued and draining; GET /health ${DURATION}s"
HEALTH_BACKLOG=$(run_wrk health-backlog -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/get.lua "$BASE/health")
BACKLOG_AFTER=$(stat_field queued)
RSS_BATCH=$(hwm_kib)
stop_notifyd

# ---- 3: dispatch: a paused backlog of DISPATCH_N messages drained to the fake ----
start_notifyd dispatch
api -X PUT "$BASE/settings" -d '{"paused": true}' >/dev/null
log "dispatch: enqueueing $DISPATCH_N messages while paused"
# wrk keeps running for -d even after its threads stopped at their share: it is interrupted
# (SIGINT: it stops and prints its summary) once the backlog is in the store.
BENCH_TOKEN=$TOKEN BENCH_THREADS=$THREADS BENCH_LIMIT=$DISPATCH_N \
  wrk -t"$THREADS" -c"$CONNS" -d120s -s bench/send.lua "$BASE/" > "$WORK/wrk-fill.txt" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
for _ in $(seq 1 1200); do
  kill -0 "$WRK_PID" 2>/dev/null || break
  [ "$(stat_field queued)" -ge "$DISPATCH_N" ] && break
  sleep 0.1
done
sleep 0.5
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" 2>/dev/null || true
FILL=$(sed -n 's/^BENCH_JSON //p' "$WORK/wrk-fill.txt" | tail -1 | grep . || echo null)
N=$(stat_field queued)
FAKE_BEFORE=$(curl -fsS "$FAKE_URL/_fake/requests" | jq -r '.count')
log "dispatch: $N queued; unpausing and waiting until all are sent (at most ${DRAIN_TIMEOUT}s)"
# A scraper on GET /metrics while the backlog drains (issue 11: it answers in milliseconds however
# long the queue): one request at a time, as Prometheus scrapes, every 50 ms; curl's own time for each.
METRICS_URL="${BASE%/api/notifications}/metrics"
(
  while [ ! -f "$WORK/stop-scraper" ]; do
    curl -fsS -o /dev/null -w '%{time_total}\n' "$METRICS_URL" >> "$WORK/metrics-times.txt" 2>/dev/null ||
      echo failed >> "$WORK/metrics-times.txt"
    sleep 0.05
  done
) &
SCRAPER_PID=$!
PIDS+=("$SCRAPER_PID")
T0=$(date +%s.%N)
api -X PUT "$BASE/settings" -d '{"paused": false}' >/dev/null
SENT=0; FAILED=0; DRAINED=false
DEADLINE=$(( $(date +%s) + DRAIN_TIMEOUT ))
while [ "$(date +%s)" -lt "$DEADLINE" ]; do
  S=$(api "$BASE/statistics")
  SENT=$(jq -r '.sent' <<<"$S"); FAILED=$(jq -r '.failed' <<<"$S")
  if [ $((SENT + FAILED)) -ge "$N" ]; then DRAINED=true; break; fi
  sleep 0.1
done
T1=$(date +%s.%N)
touch "$WORK/stop-scraper"
wait "$SCRAPER_PID" 2>/dev/null || true
# Seconds per scrape -> {scrapes, failed, p50_ms, p99_ms, max_ms}, nearest-rank percentiles.
METRICS_SCRAPES=$(grep -v failed "$WORK/metrics-times.txt" | sort -g | awk -v failed="$(grep -c failed "$WORK/metrics-times.txt" || true)" '
  { t[NR] = $1 * 1000 }
  function rank(p) { i = int(NR * p + 0.999999); if (i < 1) i = 1; return t[i] }
  END { if (NR == 0) { printf "{\"scrapes\":0,\"failed\":%d}", failed; exit }
        printf "{\"scrapes\":%d,\"failed\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}",
               NR, failed, rank(0.5), rank(0.99), t[NR] }')
DRAIN_S=$(awk -v a="$T0" -v b="$T1" 'BEGIN {printf "%.3f", b - a}')
DISPATCH_RATE=$(awk -v n="$SENT" -v s="$DRAIN_S" 'BEGIN {printf "%.1f", n / s}')
FAKE_AFTER=$(curl -fsS "$FAKE_URL/_fake/requests" | jq -r '.count')
RSS_DISPATCH=$(hwm_kib)
stop_notifyd

# ---- 4: reads with READS_ROWS messages in the store ----
# The dispatch run's migrated database (real schema, triggers and all) is filled with
# READS_ROWS more finished messages in one transaction of the sqlite3 shell (created over the
# last 30 days; statuses sent/delivered/read/failed), then a fresh notifyd serves
# GET /statistics and GET /history (first page, limit 50) under wrk.
READS=null
if [ "$READS_ROWS" -gt 0 ]; then
  mkdir -p "$WORK/reads"
  cp "$WORK/dispatch/n.db" "$WORK/reads/n.db"
  log "reads: inserting $READS_ROWS messages with sqlite3"
  R0=$(date +%s.%N)
  sed "s/:rows/$READS_ROWS/g" bench/fill_reads.sql | sqlite3 "$WORK/reads/n.db" > "$WORK/reads/sqlite3.log"
  R1=$(date +%s.%N)
  FILL_S=$(awk -v a="$R0" -v b="$R1" 'BEGIN {printf "%.1f", b - a}')
  start_notifyd reads
  TOTAL_ROWS=$(stat_field total)
  log "reads: $TOTAL_ROWS messages; GET /statistics then GET /history, ${DURATION}s each"
  STATS_R=$(BENCH_TOKEN=$TOKEN run_wrk stats -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/get.lua "$BASE/statistics")
  # The same without the current (partial) hour: whole hours come from the counters alone.
  HOUR_START=$(date -u +%Y-%m-%dT%H:00:00%%2B00:00)
  STATS_H=$(BENCH_TOKEN=$TOKEN run_wrk stats-hours -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/get.lua "$BASE/statistics?until=$HOUR_START")
  HIST_R=$(BENCH_TOKEN=$TOKEN run_wrk history -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/get.lua "$BASE/history?limit=50")
  RSS_READS=$(hwm_kib)
  stop_notifyd
  READS=$(jq -n --argjson rows "$TOTAL_ROWS" --argjson fill "$FILL_S" --argjson s "$STATS_R" --argjson sh "$STATS_H" --argjson h "$HIST_R" \
    --argjson rss "$RSS_READS" \
    '{messages_in_store: $rows, insert_seconds: $fill, statistics: $s,
      statistics_until_current_hour: $sh, history_page_limit_50: $h,
      peak_rss_mib: (($rss / 1024 * 10 | round) / 10)}')
fi

# ---- results ----
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain -- src tools CMakeLists.txt 2>/dev/null | grep -q . && echo true || echo false)
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
jq -n \
  --arg commit "$COMMIT" --argjson dirty "$DIRTY" --arg cpu "$CPU" --argjson nproc "$(nproc)" \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg kernel "$(uname -r)" \
  --arg wrk "$(wrk --version 2>&1 | head -1 | awk '{print $2}')" \
  --argjson conns "$CONNS" --argjson threads "$THREADS" --argjson duration "$DURATION" \
  --argjson ceiling "$CEILING" --argjson enqueue "$ENQUEUE" --argjson fill "$FILL" \
  --argjson stored "$ENQUEUE_STORED" --argjson rss1 "$RSS_ENQUEUE" --argjson rss3 "$RSS_DISPATCH" \
  --argjson n "$N" --argjson sent "$SENT" --argjson failed "$FAILED" --argjson drained "$DRAINED" \
  --argjson drain_s "$DRAIN_S" --argjson rate "$DISPATCH_RATE" --argjson metrics_scrapes "$METRICS_SCRAPES" \
  --arg load "$LOAD_AT_START" --argjson reads "$READS" \
  --argjson fake_calls "$((FAKE_AFTER - FAKE_BEFORE))" \
  --argjson batch "$BATCH" --argjson batch_stored "$BATCH_STORED" --argjson batch_conns "$BATCH_CONNS" \
  --argjson health_backlog "$HEALTH_BACKLOG" --argjson backlog_before "$BACKLOG_BEFORE" \
  --argjson backlog_after "$BACKLOG_AFTER" --argjson rss6 "$RSS_BATCH" \
  '{
    machine: {nproc: $nproc, cpu_model: $cpu, kernel: $kernel},
    commit: $commit, service_code_modified: $dirty, date: $date, build: "Release",
    load: {tool: ("wrk " + $wrk), threads: $threads, connections: $conns, duration_s: $duration},
    ceiling_health: $ceiling,
    enqueue_send_message: ($enqueue + {messages_stored: $stored}),
    enqueue_to_ceiling_ratio: (($enqueue.rps / $ceiling.rps * 1000 | round) / 1000),
    send_batch: ($batch + {connections: $batch_conns, messages_stored: $batch_stored}),
    health_under_backlog: ($health_backlog + {queued_at_start: $backlog_before, queued_at_end: $backlog_after,
                           ratio_to_empty: (($health_backlog.rps / $ceiling.rps * 1000 | round) / 1000)}),
    dispatch: {messages: $n, sent: $sent, failed: $failed, drained: $drained, seconds: $drain_s,
               messages_per_s: $rate, provider_calls: $fake_calls, backlog_fill: $fill,
               metrics_scrapes_while_draining: $metrics_scrapes},
    peak_rss_mib: {after_enqueue: (($rss1 / 1024 * 10 | round) / 10), after_dispatch: (($rss3 / 1024 * 10 | round) / 10),
                   after_batch: (($rss6 / 1024 * 10 | round) / 10)},
    loadavg_at_start: $load, reads: $reads
  }' > bench/results.json

jq -r '
  def f(x): if x == null then "-" else (x | tostring) end;
  "",
  "notifyd benchmark  commit \(.commit[0:12])  \(.machine.nproc) x \(.machine.cpu_model)",
  "measurement                         req/s or msg/s      p50 ms    p99 ms    target",
  "1 enqueue POST /send-message        \(.enqueue_send_message.rps | tostring | .[0:10])\t\t\(f(.enqueue_send_message.p50_ms))\t\(f(.enqueue_send_message.p99_ms))\t>=10000/s, p99<20ms",
  "2 ceiling GET /health               \(.ceiling_health.rps | tostring | .[0:10])\t\t\(f(.ceiling_health.p50_ms))\t\(f(.ceiling_health.p99_ms))",
  "  enqueue / ceiling                 \(.enqueue_to_ceiling_ratio)\t\t\t\t\t>=0.40",
  "6 send-batch x\(.send_batch.batch_size), \(.send_batch.connections) conns  \(.send_batch.messages_per_s) msg/s\t\(f(.send_batch.p50_ms))\t\(f(.send_batch.p99_ms))\t>=50000 msg/s, p99<250ms",
  "7 GET /health, \(.health_under_backlog.queued_at_start) queued, draining  \(.health_under_backlog.rps)\t\(f(.health_under_backlog.p50_ms))\t\(f(.health_under_backlog.p99_ms))\tratio \(.health_under_backlog.ratio_to_empty) >=0.50",
  "3 dispatch (\(.dispatch.messages) msgs, drained=\(.dispatch.drained))  \(.dispatch.messages_per_s)\t\t(\(.dispatch.seconds) s)\t\t>=3000/s",
  "  GET /metrics while it drains (\(.dispatch.metrics_scrapes_while_draining.scrapes) scrapes)\t\(f(.dispatch.metrics_scrapes_while_draining.p50_ms))\t\(f(.dispatch.metrics_scrapes_while_draining.p99_ms))\tp99<20ms",
  "5 peak RSS MiB after 1 / 3 / 6     \(.peak_rss_mib.after_enqueue) / \(.peak_rss_mib.after_dispatch) / \(.peak_rss_mib.after_batch)\t\t\t\t<150",
  (if .reads == null then "4 reads                             not measured" else
  "4 reads, \(.reads.messages_in_store) msgs: GET /statistics  \(.reads.statistics.rps)\t\t\(.reads.statistics.p50_ms)\t\(.reads.statistics.p99_ms)\tp99<20ms",
  "  GET /statistics?until=<this hour>  \(.reads.statistics_until_current_hour.rps)\t\t\(.reads.statistics_until_current_hour.p50_ms)\t\(.reads.statistics_until_current_hour.p99_ms)\tp99<20ms",
  "  GET /history?limit=50             \(.reads.history_page_limit_50.rps)\t\t\(.reads.history_page_limit_50.p50_ms)\t\(.reads.history_page_limit_50.p99_ms)\tp99<20ms" end),
  "load average at start: \(.loadavg_at_start)",
  "",
  "written: bench/results.json"' bench/results.json

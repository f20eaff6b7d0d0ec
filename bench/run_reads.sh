#!/usr/bin/env bash
# The reads benchmark alone (measurement 4 of run_bench.sh) against one notifyd binary:
# a freshly migrated database filled with READS_ROWS finished messages (bench/fill_reads.sql, as
# run_bench.sh), then wrk on GET /statistics, GET /statistics?until=<start of this hour> and
# GET /history?limit=50. Per measurement it prints wrk's summary and notifyd's own CPU time per
# request (user + system, from /proc), which a loaded machine distorts far less than latency.
#
#   bash bench/run_reads.sh build-reads/notifyd            # fill once, keep the database
#   READS_DB=/tmp/reads.db bash bench/run_reads.sh other/notifyd   # the same data, another binary
#   PERF=1 ...   also records `perf record -g` of notifyd during each run (perf-*.data in READS_WORK)
#   READS_HEALTH=1 ...   also measures GET /health first, the HTTP floor
set -euo pipefail
cd "$(dirname "$0")/.."
NOTIFYD=$(realpath "${1:-build-release/notifyd}")
ROWS=${READS_ROWS:-1000000}
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
PORT=${READS_PORT:-18431}
WORK=${READS_WORK:-/tmp/notifyd-reads}
DB=${READS_DB:-$WORK/base.db}
TOKEN="bench-admin-token-0123456789"
mkdir -p "$WORK"
export HOST=127.0.0.1 PORT LOG_LEVEL=warn NOTIFY_PROVIDER=sandbox ADMIN_TOKEN="$TOKEN"

if [ ! -f "$DB" ]; then
  DATABASE_URL="sqlite:$DB" "$NOTIFYD" migrate > "$WORK/migrate-fill.log" 2>&1
  T0=$(date +%s.%N)
  sed "s/:rows/$ROWS/g" bench/fill_reads.sql | sqlite3 "$DB" > /dev/null
  echo "filled $ROWS messages in $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
fi

# Each run serves a copy, migrated by the binary under test (timed: it may add migrations).
cp "$DB" "$WORK/n.db"
export DATABASE_URL="sqlite:$WORK/n.db"
T0=$(date +%s.%N)
"$NOTIFYD" migrate > "$WORK/migrate.log" 2>&1
echo "migrate: $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}') s"
"$NOTIFYD" serve > "$WORK/notifyd.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT/api/notifications"
for _ in $(seq 1 100); do curl -sf "$BASE/health" > /dev/null && break; sleep 0.1; done

HOUR_START=$(date -u +%Y-%m-%dT%H:00:00%%2B00:00)
RUNS=("stats|$BASE/statistics" "stats-hours|$BASE/statistics?until=$HOUR_START" "history|$BASE/history?limit=50")
[ "${READS_HEALTH:-0}" = 1 ] && RUNS=("health|$BASE/health" "${RUNS[@]}")
for run in "${RUNS[@]}"; do
  label=${run%%|*}
  url=${run#*|}
  curl -s -H "Authorization: Bearer $TOKEN" "$url" > "$WORK/$label.json"
  if [ "${PERF:-0}" = 1 ]; then
    perf record -g -p "$PID" -o "$WORK/perf-$label.data" -- sleep "$DURATION" > /dev/null 2>&1 &
    PERF_PID=$!
  fi
  C0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  BENCH_TOKEN=$TOKEN wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/get.lua "$url" \
    > "$WORK/wrk-$label.txt" 2>&1 || true
  C1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  [ "${PERF:-0}" = 1 ] && wait "$PERF_PID"
  summary=$(sed -n 's/^BENCH_JSON //p' "$WORK/wrk-$label.txt")
  requests=$(echo "$summary" | jq .requests)
  cpu_us=$(awk -v t=$((C1 - C0)) -v r="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t / hz * 1e6 / r}')
  echo "$label $summary notifyd_cpu_us_per_request=$cpu_us loadavg=$(cut -d' ' -f1 /proc/loadavg)"
done

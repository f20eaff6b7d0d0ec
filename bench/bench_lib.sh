# Shell functions shared by bench/run_bench.sh (SQLite) and bench/run_bench_pg.sh (PostgreSQL):
# processes started are killed at exit, notifyd started on port 0 with its port read from the
# kernel, wrk runs bounded. Expects NOTIFYD, TOKEN, API_KEY, FAKE_URL (once the fake runs), DURATION.
# shellcheck shell=bash

WORK=$(mktemp -d /tmp/notifyd-bench-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "[bench $(date -u +%H:%M:%S)] $*" >&2; }

# wait_line FILE PREFIX: prints what follows PREFIX on the first line holding it (10 s at most).
wait_line() {
  local file=$1 prefix=$2 i
  for i in $(seq 1 200); do
    if [ -f "$file" ] && grep -q -F "$prefix" "$file"; then
      grep -F "$prefix" "$file" | head -1 | sed "s|.*$prefix||" | grep -o '^[0-9]*'
      return 0
    fi
    sleep 0.05
  done
  echo "timed out waiting for '$prefix' in $file:" >&2; cat "$file" >&2; return 1
}

# start_fake: the fake MyOperator, answering at once (mode ok). Sets FAKE_URL.
start_fake() {
  "$FAKE" --host 127.0.0.1 --port 0 --api-key "$API_KEY" > "$WORK/fake.log" 2>&1 &
  PIDS+=($!)
  local port
  port=$(wait_line "$WORK/fake.log" "listening on 127.0.0.1:")
  FAKE_URL="http://127.0.0.1:$port"
  curl -fsS -X POST "$FAKE_URL/_fake/mode" -H 'Content-Type: application/json' -d '{"mode":"ok"}' >/dev/null
}

NOTIFYD_PID=""
BASE=""
# listen_port PID: the TCP port PID listens on (from /proc/net/tcp, state 0A = LISTEN).
listen_port() {
  local inodes
  inodes=$(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ')
  [ -n "$inodes" ] || return 1
  local hex
  hex=$(awk -v inodes=" $inodes" 'NR > 1 && $4 == "0A" && index(inodes, " " $10 " ") {
      split($2, a, ":"); print a[2]; exit }' /proc/net/tcp)
  [ -n "$hex" ] || return 1
  echo $((16#$hex))
}
# start_notifyd NAME [DATABASE_URL]: a fresh working dir, and a fresh SQLite database unless a
# URL is given; migrated (idempotent: nodes sharing a database take turns), then served.
# Sets NOTIFYD_PID and BASE. Extra settings come from NOTIFYD_EXTRA_ENV ("NAME=VALUE ...").
start_notifyd() {
  local dir="$WORK/$1"
  local url=${2:-"sqlite:$dir/n.db"}
  mkdir -p "$dir"
  (
    cd "$dir"
    export PORT=0 HOST=127.0.0.1 DATABASE_URL="$url" ADMIN_TOKEN="$TOKEN" \
      NOTIFY_PROVIDER=myoperator MYOPERATOR_BASE_URL="$FAKE_URL" MYOPERATOR_API_KEY="$API_KEY" \
      MYOPERATOR_ACCOUNT_ID=company-42 MYOPERATOR_WHATSAPP_NUMBER=phone-number-id-7 \
      PROVIDER_RATE_PER_SECOND=0 LOG_LEVEL=warn
    # shellcheck disable=SC2086
    [ -z "${NOTIFYD_EXTRA_ENV:-}" ] || export ${NOTIFYD_EXTRA_ENV}
    "$NOTIFYD" migrate > "$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; exit 1; }
    exec "$NOTIFYD" serve > "$dir/notifyd.log" 2>&1
  ) &
  NOTIFYD_PID=$!
  PIDS+=("$NOTIFYD_PID")
  # LOG_LEVEL=warn keeps per-message info lines out of the measurement, and with them the
  # "listening on" line: the port is read from the kernel's table of the process's sockets.
  local port=""
  for _ in $(seq 1 300); do
    kill -0 "$NOTIFYD_PID" 2>/dev/null || { echo "notifyd ($1) exited:" >&2; cat "$dir"/*.log >&2; exit 1; }
    port=$(listen_port "$NOTIFYD_PID") && [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "notifyd ($1) did not listen:" >&2; cat "$dir"/*.log >&2; exit 1; }
  BASE="http://127.0.0.1:$port/api/notifications"
  log "notifyd ($1) pid $NOTIFYD_PID on $BASE"
}
stop_notifyd() {
  kill -TERM "$NOTIFYD_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$NOTIFYD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$NOTIFYD_PID" 2>/dev/null || true
  wait "$NOTIFYD_PID" 2>/dev/null || true
}
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$NOTIFYD_PID/status"; }
api() { curl -fsS -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
stat_field() { api "$BASE/statistics" | jq -r ".$1"; }

# run_wrk LABEL wrk-args...: runs wrk (bounded), keeps its output, prints the BENCH_JSON object.
run_wrk() {
  local label=$1; shift
  timeout $((DURATION + 120)) wrk "$@" > "$WORK/wrk-$label.txt" 2>&1 || true
  sed -n 's/^BENCH_JSON //p' "$WORK/wrk-$label.txt" | tail -1 | grep . || {
    echo "wrk $label produced no summary:" >&2; cat "$WORK/wrk-$label.txt" >&2; exit 1; }
}


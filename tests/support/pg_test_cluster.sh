#!/usr/bin/env bash
# One throwaway PostgreSQL 15 cluster for a whole ctest run of the pg.* integration tests (a ctest
# fixture, CMakeLists.txt): starting one per test process (tests/support/pg_cluster.h) costs about
# 2 s each, which doubled `make test`. `start DIR` makes it in DIR (removed first) on a free port of
# 127.0.0.1 and writes the port to DIR/port; `stop DIR` stops it and removes DIR. The tests find it
# through DIR/port (PgCluster::Instance); without the file they start their own as before.
set -euo pipefail
action=$1
dir=$2
bin=/usr/lib/postgresql/15/bin
as_owner=()
if [ "$(id -u)" = 0 ]; then as_owner=(runuser -u postgres --); fi

stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" stop -m immediate -w -D "$dir/data" >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "$action" in
  start)
    stop
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync \
      --no-instructions >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; exit 1; }
    for _ in 1 2 3 4 5 6 7 8; do
      # A random port; when it is taken the server does not start, and another is tried.
      port=$((20000 + RANDOM % 30000))
      if "${as_owner[@]}" "$bin/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/server.log" \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
          >/dev/null 2>&1; then
        echo "$port" >"$dir/port"
        exit 0
      fi
    done
    cat "$dir/server.log"
    exit 1
    ;;
  stop)
    stop
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac

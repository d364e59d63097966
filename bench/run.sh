#!/usr/bin/env bash
# Run the benchmarks on PostgreSQL: BENCH_DATABASE_URI if set, otherwise a
# throw-away cluster on 127.0.0.1:54339 (Debian's postgresql package).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$ROOT/scripts/lib.sh"
ensure_venv
if [ -z "${BENCH_DATABASE_URI:-}" ]; then
    PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)") \
        || die "PostgreSQL is not installed: apt-get install postgresql, or set BENCH_DATABASE_URI"
    export PATH="$PGBIN:$PATH"
    PGROOT=$(mktemp -d /tmp/bench-pg.XXXXXX)
    chown postgres "$PGROOT"
    su postgres -c "$PGBIN/initdb -D $PGROOT/data -A trust -U postgres -E UTF8 --locale=C.UTF-8" >/dev/null
    su postgres -c "$PGBIN/pg_ctl -D $PGROOT/data -w -l $PGROOT/log -o \"-p 54339 -k $PGROOT -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c max_wal_size=4GB\" start" >/dev/null
    trap 'su postgres -c "$PGBIN/pg_ctl -D $PGROOT/data -m fast stop" >/dev/null 2>&1; rm -rf "$PGROOT"' EXIT
    export BENCH_DATABASE_URI=postgresql://postgres@127.0.0.1:54339/
fi
# the server code runs optimized (python -O), as start.sh runs trytond
export PYTHONOPTIMIZE=1
name=${1:-all}
[ $# -gt 0 ] && shift
if [ "$name" = all ]; then
    for bench in "$ROOT"/bench/bench_*.py; do
        "$VENV/bin/python" "$bench" "$@"
    done
else
    "$VENV/bin/python" "$ROOT/bench/bench_$name.py" "$@"
fi

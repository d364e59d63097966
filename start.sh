#!/usr/bin/env bash
# Set everything up and run the product: Python environment, the sao web
# client, a SQLite demo database with Chinese demo data, then trytond with
# sao at http://localhost:8000 (PORT=8001 ./start.sh to change the port).
#   ./start.sh            set up (only what is missing) and start
#   ./start.sh --reset    recreate the demo database first
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$ROOT/scripts/lib.sh"

HOST=${HOST:-localhost}
PORT=${PORT:-8000}
DB=${DB:-demo}
CUSTOMERS=${CUSTOMERS:-300}
RESET=
for arg in "$@"; do
    case "$arg" in
        --reset) RESET=1 ;;
        -h|--help) sed -n "2,7p" "$ROOT/start.sh"; exit 0 ;;
        *) die "unknown option $arg (use --reset or --help)" ;;
    esac
done
case "$PORT" in ''|*[!0-9]*) die "PORT must be a number, not '$PORT'" ;; esac

check_node
ensure_venv
ensure_sao
port_free "$HOST" "$PORT" || die "port $PORT on $HOST is already in use: stop the other program or run PORT=$((PORT + 1)) $0"

export TRYTOND_CONFIG="$ROOT/config/demo.conf"
export TRYTOND_DATABASE__URI=sqlite://
export TRYTOND_DATABASE__PATH="$ROOT/var/db"
export TRYTOND_WEB__ROOT="$SAO_DIR"
export TRYTOND_WEB__LISTEN="$HOST:$PORT"
mkdir -p "$ROOT/var/db"

if [ -n "$RESET" ]; then
    "$VENV/bin/crm-oa-demo" -c "$TRYTOND_CONFIG" -d "$DB" --customers "$CUSTOMERS" --reset
else
    "$VENV/bin/crm-oa-demo" -c "$TRYTOND_CONFIG" -d "$DB" --customers "$CUSTOMERS" --if-missing
fi

echo
echo "The CRM + OA suite runs at http://$HOST:$PORT/ (database: $DB). Stop it with Ctrl-C."
# The server runs optimized, as in production: Tryton's internal
# assertions (e.g. one per record built, over all the records of a read) cost
# time on every request; the test suite keeps them on.
export PYTHONOPTIMIZE=${PYTHONOPTIMIZE:-1}
exec "$VENV/bin/trytond" -c "$TRYTOND_CONFIG" -d "$DB"

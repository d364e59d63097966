#!/usr/bin/env bash
# Set everything up and run the product: Python environment, the sao web
# client, a SQLite demo database with Chinese demo data, a mail sink that
# keeps the demo's e-mails in var/mail/, then trytond with sao at
# http://localhost:8000 (PORT=8001 ./start.sh to change the port).
#   ./start.sh            set up (only what is missing) and start
#   ./start.sh --reset    recreate the demo database first
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$ROOT/scripts/lib.sh"

HOST=${HOST:-localhost}
PORT=${PORT:-8000}
DB=${DB:-demo}
CUSTOMERS=${CUSTOMERS:-300}
# Where the database files and the mails go
VAR_DIR=${VAR_DIR:-$ROOT/var}
# The demo's SMTP sink, on loopback
MAIL_PORT=${MAIL_PORT:-$((PORT + 25))}
# sqlite:// (default) or postgresql://user@host:port/ (the tests use both)
DATABASE_URI=${DATABASE_URI:-sqlite://}
RESET=
for arg in "$@"; do
    case "$arg" in
        --reset) RESET=1 ;;
        -h|--help) sed -n "2,7p" "$ROOT/start.sh"; exit 0 ;;
        *) die "unknown option $arg (use --reset or --help)" ;;
    esac
done
case "$PORT" in ''|*[!0-9]*) die "PORT must be a number, not '$PORT'" ;; esac
case "$MAIL_PORT" in ''|*[!0-9]*) die "MAIL_PORT must be a number, not '$MAIL_PORT'" ;; esac

check_node
ensure_venv
ensure_sao
port_free "$HOST" "$PORT" || die "port $PORT on $HOST is already in use: stop the other program or run PORT=$((PORT + 1)) $0"
port_free 127.0.0.1 "$MAIL_PORT" || die "port $MAIL_PORT on 127.0.0.1 (the demo's mail sink) is already in use: stop the other program or run MAIL_PORT=$((MAIL_PORT + 1)) $0"

# The configuration is config/demo.conf; only paths and ports are set here
export TRYTOND_CONFIG="$ROOT/config/demo.conf"
export TRYTOND_DATABASE__URI="$DATABASE_URI"
export TRYTOND_DATABASE__PATH="$VAR_DIR/db"
export TRYTOND_WEB__ROOT="$SAO_DIR"
export TRYTOND_WEB__LISTEN="$HOST:$PORT"
export TRYTOND_EMAIL__URI="smtp://127.0.0.1:$MAIL_PORT"
mkdir -p "$VAR_DIR/db" "$VAR_DIR/mail"

# The mail sink runs as long as this script; it is stopped with the server
children=()
stop_children() {
    trap - EXIT INT TERM
    [ ${#children[@]} -eq 0 ] || kill "${children[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap stop_children EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$VENV/bin/python" "$ROOT/scripts/mailsink.py" --host 127.0.0.1 \
    --port "$MAIL_PORT" --directory "$VAR_DIR/mail" &
children+=($!)
for _ in $(seq 50); do
    port_free 127.0.0.1 "$MAIL_PORT" || break
    kill -0 "${children[0]}" 2>/dev/null || die "the mail sink did not start"
    sleep 0.1
done

if [ -n "$RESET" ]; then
    "$VENV/bin/crm-oa-demo" -c "$TRYTOND_CONFIG" -d "$DB" --customers "$CUSTOMERS" --reset
else
    "$VENV/bin/crm-oa-demo" -c "$TRYTOND_CONFIG" -d "$DB" --customers "$CUSTOMERS" --if-missing
fi

echo
echo "The CRM + OA suite runs at http://$HOST:$PORT/ (database: $DB). Stop it with Ctrl-C."
echo "The e-mails it sends are kept in $VAR_DIR/mail/ (one .eml file per message)."
# The server runs optimized, as in production: Tryton's internal
# assertions (e.g. one per record built, over all the records of a read) cost
# time on every request; the unit tests keep them on.
export PYTHONOPTIMIZE=${PYTHONOPTIMIZE:-1}
"$VENV/bin/trytond" -c "$TRYTOND_CONFIG" -d "$DB" &
children+=($!)
wait "${children[1]}"

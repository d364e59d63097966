#!/usr/bin/env bash
# Run the whole test suite: every addon's tests (unit tests and scenarios)
# and the cross-module HTTP and browser tests in tests/.
#   ./test.sh                                   on SQLite
#   TRYTOND_DATABASE_URI=postgresql://user@host:port/ ./test.sh   on PostgreSQL
#   ./test.sh crm_ext tests.test_http           only some packages/modules
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
. "$ROOT/scripts/lib.sh"

ensure_venv
ensure_sao
ensure_browser

export TRYTOND_DATABASE_URI=${TRYTOND_DATABASE_URI:-sqlite://}
backend=${TRYTOND_DATABASE_URI%%:*}
if [ "$backend" = sqlite ]; then
    # SQLite shares one connection between a transaction and the nested ones
    # (e.g. the one raising an SQL constraint error); when the cache clean
    # timeout has elapsed, Cache.sync at the nested start asks for an
    # autocommit connection, which COMMITS the test's transaction (later
    # tests then see its users). Never clean caches in the test process.
    export TRYTOND_CACHE__CLEAN_TIMEOUT=${TRYTOND_CACHE__CLEAN_TIMEOUT:-1000000000}
fi
# Tryton keys its database cache on the module list only: key it on the
# sources as well so that a changed model never reuses a stale database.
key=$(cd "$ROOT" && find addons -type f \( -name '*.py' -o -name '*.xml' -o -name '*.cfg' -o -name '*.po' \) \
    -not -path '*/tests/*' -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-12)
cache_root="$ROOT/var/test-cache"
export DB_CACHE=${DB_CACHE:-$cache_root/$backend-$key}
if [ -d "$cache_root" ]; then
    find "$cache_root" -mindepth 1 -maxdepth 1 -name "$backend-*" ! -path "$DB_CACHE" -exec rm -rf {} +
fi
mkdir -p "$DB_CACHE"
# This checkout's addons first (a git worktree shares the .venv of main)
export PYTHONPATH="$ROOT/addons:$ROOT/demo${PYTHONPATH:+:$PYTHONPATH}"
cd "$ROOT"
exec "$VENV/bin/python" "$ROOT/scripts/run_tests.py" "$@"

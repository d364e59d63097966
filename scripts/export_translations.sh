#!/usr/bin/env bash
# Export the translatable strings of the five addons (or of the addons
# given as arguments) into their
# locale/zh_CN.po (existing translations are kept by Tryton's export).
# Uses a throw-away SQLite database whose default language is English,
# as Tryton requires for exporting.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
. "$ROOT/scripts/lib.sh"
ensure_venv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[database]\nuri = sqlite://\npath = %s\n' "$tmp" > "$tmp/export.conf"
touch "$tmp/export.sqlite"
echo admin-export > "$tmp/pass"
TRYTONPASSFILE="$tmp/pass" "$VENV/bin/trytond-admin" -c "$tmp/export.conf" -d export --all --email admin@example.com >/dev/null
modules=${*:-oa_workflow crm_ext callcenter member_points partner_portal}
# shellcheck disable=SC2086
"$VENV/bin/trytond-admin" -c "$tmp/export.conf" -d export -l zh_CN \
    -u $modules --activate-dependencies --export-translations >/dev/null
echo "Exported to addons/*/locale/zh_CN.po"

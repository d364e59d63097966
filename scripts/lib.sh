# Shared set-up steps of start.sh, test.sh and .ci/run (sourced, not run).
# Every step is idempotent: it does nothing when its result is already there.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
VENV="$ROOT/.venv"
SAO_DIR="$ROOT/.sao"
SAO_VERSION="~8.0"
PYTHON=${PYTHON:-python3}

die() { echo "error: $*" >&2; exit 2; }
step() { echo "==> $*"; }

check_python() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "Python 3.11 is needed: install python3 (3.11 or newer) and python3-venv."
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "Python 3.11 or newer is needed; $("$PYTHON" --version 2>&1) found. Set PYTHON=/path/to/python3.11."
    "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
        || die "The Python venv module is missing: install python3-venv (apt-get install python3-venv)."
}

check_node() {
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
        || die "Node.js and npm are needed for the web client (sao): install them (apt-get install nodejs npm) and run again."
}

# Python environment: a virtual environment with the requirements and the
# five addons installed editable; reinstalled only when requirements change.
ensure_venv() {
    check_python
    local stamp="$VENV/.requirements.sha1"
    local wanted
    wanted=$(cat "$ROOT/requirements.txt" "$ROOT/pyproject.toml" | sha1sum | cut -d' ' -f1)
    if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    step "Python environment in .venv"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || die "could not create the virtual environment $VENV"
    # (pip's warnings about this machine's unused local index paths are noise)
    "$VENV/bin/python" -m pip install -q --upgrade pip 2> >(grep -v '^WARNING: Location' >&2) >/dev/null \
        || die "pip could not be upgraded (is the package index reachable?)"
    "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements.txt" 2> >(grep -v '^WARNING: Location' >&2) \
        || die "the Python packages of requirements.txt could not be installed"
    # Stale egg-info in addons/ breaks Tryton's module lookup
    find "$ROOT/addons" "$ROOT/demo" -maxdepth 2 -name '*.egg-info' -exec rm -rf {} + 2>/dev/null || true
    "$VENV/bin/python" -m pip install -q -e "$ROOT" 2> >(grep -v '^WARNING: Location' >&2) \
        || die "the project could not be installed into the virtual environment"
    echo "$wanted" > "$stamp"
}

# The sao web client 8.0 from npm, with the libraries its index.html loads.
ensure_sao() {
    if [ -f "$SAO_DIR/index.html" ] && [ -f "$SAO_DIR/node_modules/jquery/dist/jquery.min.js" ]; then
        return 0
    fi
    check_node
    # one installer at a time (two test runs may start together)
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$ROOT/.sao.lock"
        flock 9
        if [ -f "$SAO_DIR/index.html" ] && [ -f "$SAO_DIR/node_modules/jquery/dist/jquery.min.js" ]; then
            return 0
        fi
    fi
    step "Web client sao $SAO_VERSION from npm into .sao"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "tryton-sao@$SAO_VERSION" >/dev/null) \
        || { rm -rf "$tmp"; die "npm could not download tryton-sao (is the npm registry reachable?)"; }
    rm -rf "$SAO_DIR" && mkdir -p "$SAO_DIR"
    tar -xzf "$tmp"/tryton-sao-*.tgz -C "$SAO_DIR" --strip-components=1
    rm -rf "$tmp"
    (cd "$SAO_DIR" && npm install --silent --no-audit --no-fund --omit=dev --legacy-peer-deps >/dev/null 2>&1) \
        || die "npm could not install the libraries of sao"
    [ -f "$SAO_DIR/node_modules/jquery/dist/jquery.min.js" ] || die "sao's libraries are incomplete in $SAO_DIR/node_modules"
}

# Chromium and its driver for the browser tests (Debian packages).
ensure_browser() {
    if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        step "Chromium and chromedriver (Debian packages)"
        apt-get update -qq >/dev/null && \
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
            || die "apt-get could not install chromium and chromium-driver"
    else
        die "the browser tests need Chromium: run 'sudo apt-get install chromium chromium-driver' and try again."
    fi
}

port_free() {
    "$VENV/bin/python" - "$1" "$2" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((host if host != 'localhost' else '127.0.0.1', port))
except OSError:
    sys.exit(1)
PY
}

# Sourced by ui-e2e.sh and screenshots.sh: Debian's Chromium, and a `vbp serve` of the built UI
# with the demo on a database of its own, stopped and dropped on exit.

vbp_ensure_chromium() {
  local bin="${VBP_CHROMIUM:-/usr/bin/chromium}"
  [ -x "$bin" ] && return 0
  # a browser cannot be downloaded by a test tool here: Debian's package it is
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing Debian's chromium (browser tests)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
  fi
  [ -x "$bin" ] || { echo "vbp: Chromium is needed for the browser tests (apt-get install chromium, or set VBP_CHROMIUM)" >&2; exit 1; }
}

# Fonts for Chinese text in screenshots (the tests do not need them).
vbp_ensure_cjk_fonts() {
  fc-list 2>/dev/null | grep -qi "noto sans cjk" && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing fonts-noto-cjk (screenshots)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null; }
  fi
}

vbp_free_port() {
  local port
  for port in $(seq $((18080 + $$ % 500)) 18999); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  return 1
}

# Starts `vbp serve` (target/debug unless VBP_BIN) with the demo on database vbp_ui_<pid> of
# the server in DATABASE_URL; exports VBP_E2E_BASE and VBP_DEMO_PASSWORD. Stopped on exit.
vbp_ui_server_start() {
  local bin="${VBP_BIN:-target/debug/vbp}" work port
  work="$(mktemp -d)"
  port="$(vbp_free_port)"
  export VBP_UI_DB_URL="${DATABASE_URL%/*}/vbp_ui_$$"
  export VBP_DEMO_PASSWORD="${VBP_DEMO_PASSWORD:-demo-$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')}"
  (
    export DATABASE_URL="$VBP_UI_DB_URL" VBP_BIND="127.0.0.1:$port" VBP_UI_DIR="$PWD/admin-ui/dist" \
      VBP_MAIL_DIR="$work/mail" VBP_PUBLIC_URL="http://127.0.0.1:$port/"
    for key in JWT_SECRET MASTER_KEY RECEIPT_KEY; do
      export "VBP_$key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
    done
    "$bin" demo --password "$VBP_DEMO_PASSWORD" > "$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; exit 1; }
    exec "$bin" serve > "$work/serve.log" 2>&1
  ) &
  VBP_UI_SERVER_PID=$!
  VBP_UI_WORK="$work"
  trap vbp_ui_server_stop EXIT
  export VBP_E2E_BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 600); do
    curl -sf "$VBP_E2E_BASE/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$VBP_UI_SERVER_PID" 2>/dev/null || { echo "vbp: the demo server stopped:" >&2; cat "$work"/*.log >&2; exit 1; }
    sleep 0.5
  done
  echo "vbp: the demo server did not become ready" >&2
  exit 1
}

vbp_ui_server_stop() {
  [ -n "${VBP_UI_SERVER_PID:-}" ] || return 0
  pkill -P "$VBP_UI_SERVER_PID" 2>/dev/null || true
  kill "$VBP_UI_SERVER_PID" 2>/dev/null || true
  wait "$VBP_UI_SERVER_PID" 2>/dev/null || true
  if command -v psql >/dev/null; then
    psql "${DATABASE_URL}" -qc "DROP DATABASE IF EXISTS vbp_ui_$$ WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "${VBP_UI_WORK:-/nonexistent}"
  VBP_UI_SERVER_PID=""
}

#!/usr/bin/env bash
# Several `vbp serve` processes behind HAProxy (Debian's package, installed when missing), on
# loopback, sharing one PostgreSQL (docs/operations.md, "Deployment").
#
#   scripts/cluster.sh start             start N servers and the balancer; prints the address
#   scripts/cluster.sh stop              stop them all (SIGTERM)
#   scripts/cluster.sh status            what runs, and HAProxy's view of each server
#   scripts/cluster.sh kill I            SIGKILL server I (1..N): the crash drill
#   scripts/cluster.sh restart I         start server I again (after kill)
#
#   DATABASE_URL               the database (default: the local server's vbp_cluster, made and
#                              migrated by the first server)
#   VBP_DATABASE_READ_URL      a streaming replica for the read-heavy routes (optional)
#   VBP_CLUSTER_DIR=.vbp/cluster   keys, logs, pid files, haproxy.cfg, mail
#   VBP_CLUSTER_SERVERS=3      how many `vbp serve`
#   VBP_CLUSTER_PORT=18090     the balancer's port; server I listens on PORT+I
#   VBP_BIN=target/debug/vbp   the binary (the benchmarks pass target/release/vbp)
#   VBP_WORKERS=1              HTTP worker threads per server
#   VBP_SMTP_URL               mail relay (default: .eml files in $VBP_CLUSTER_DIR/mail)
#   VBP_UI_DIR                 the built web UI (default admin-ui/dist)
#
# Every server runs the job worker and the audit sealer too: jobs are claimed with
# FOR UPDATE SKIP LOCKED under a lease, and the sealer takes an advisory lock, so any number
# of them may run. The keys (JWT secret, master key, receipt key) are made once in
# $VBP_CLUSTER_DIR and shared by every server: a token issued by one is accepted by all.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

dir="${VBP_CLUSTER_DIR:-$root/.vbp/cluster}"
n="${VBP_CLUSTER_SERVERS:-3}"
port="${VBP_CLUSTER_PORT:-18090}"
bin="${VBP_BIN:-$root/target/debug/vbp}"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
[[ "$n" =~ ^[1-9]$ ]] || { echo "cluster: VBP_CLUSTER_SERVERS must be 1..9" >&2; exit 2; }

ensure_haproxy() {
  command -v haproxy >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "cluster: installing Debian's haproxy" >&2
    # the package's own service is not wanted: policy-rc.d keeps it from starting
    local policy=/usr/sbin/policy-rc.d had_policy=""
    [ -e "$policy" ] && had_policy=1
    [ -n "$had_policy" ] || { printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null; } \
      || true
    [ -n "$had_policy" ] || rm -f "$policy"
  fi
  command -v haproxy >/dev/null 2>&1 || { echo "cluster: HAProxy is needed (apt-get install haproxy)" >&2; exit 1; }
}

server_port() { echo $((port + $1)); }
pid_of() { cat "$dir/serve-$1.pid" 2>/dev/null || true; }
# running, and not a zombie waiting for a parent that does not reap it
alive() {
  local p; p="$(pid_of "$1")"
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]
}

start_server() { # I
  local i="$1" p
  p="$(server_port "$i")"
  (
    export VBP_BIND="127.0.0.1:$p" VBP_WORKERS="${VBP_WORKERS:-1}" \
      VBP_PUBLIC_URL="${VBP_PUBLIC_URL:-http://127.0.0.1:$port/}" \
      VBP_JWT_SECRET_FILE="$dir/jwt-secret" VBP_MASTER_KEY_FILE="$dir/master-key" \
      VBP_RECEIPT_KEY_FILE="$dir/receipt-key" VBP_UI_DIR="${VBP_UI_DIR:-$root/admin-ui/dist}" \
      RUST_LOG="${RUST_LOG:-info}"
    if [ -z "${VBP_SMTP_URL:-}" ]; then export VBP_MAIL_DIR="$dir/mail"; fi
    exec "$bin" serve >> "$dir/serve-$i.log" 2>&1
  ) &
  echo $! > "$dir/serve-$i.pid"
}

wait_ready() { # I
  local i="$1"
  for _ in $(seq 1 600); do
    curl -fs --max-time 2 "http://127.0.0.1:$(server_port "$i")/readyz" >/dev/null 2>&1 && return 0
    alive "$i" || { echo "cluster: server $i stopped; its log:" >&2; tail -n 30 "$dir/serve-$i.log" >&2; return 1; }
    sleep 0.2
  done
  echo "cluster: server $i did not become ready" >&2
  return 1
}

haproxy_cfg() {
  cat <<EOF
# written by scripts/cluster.sh
global
    maxconn 8000
    pidfile $dir/haproxy.pid
    stats socket $dir/haproxy.sock mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    # a request is sent again to another server only when no byte of it reached the first
    # (a refused connection): never a POST the first server may have begun to process
    retries 3
    option redispatch
    retry-on conn-failure

frontend vbp
    bind 127.0.0.1:$port
    option forwardfor
    http-request set-header X-Forwarded-Proto http
    default_backend vbp

backend vbp
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fastinter 200ms fall 2 rise 2 maxconn 2000
EOF
  for i in $(seq 1 "$n"); do
    echo "    server s$i 127.0.0.1:$(server_port "$i") check"
  done
}

start() {
  ensure_haproxy
  [ -x "$bin" ] || { echo "cluster: $bin not built (cargo build --bin vbp)" >&2; exit 1; }
  if [ -z "${DATABASE_URL:-}" ]; then
    source scripts/postgres.sh
    vbp_ensure_postgres vbp_cluster
  fi
  export DATABASE_URL
  mkdir -p "$dir/mail"
  source scripts/keys.sh
  vbp_key_files "$dir"
  # one migration before the servers start (each would otherwise race to run it)
  RUST_LOG=warn "$bin" migrate >/dev/null
  for i in $(seq 1 "$n"); do alive "$i" || start_server "$i"; done
  for i in $(seq 1 "$n"); do wait_ready "$i"; done
  haproxy_cfg > "$dir/haproxy.cfg"
  haproxy -c -q -f "$dir/haproxy.cfg"
  if [ -s "$dir/haproxy.pid" ] && kill -0 "$(cat "$dir/haproxy.pid")" 2>/dev/null; then
    haproxy -D -f "$dir/haproxy.cfg" -sf "$(cat "$dir/haproxy.pid")"
  else
    haproxy -D -f "$dir/haproxy.cfg"
  fi
  for _ in $(seq 1 100); do
    curl -fs --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fs --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null || { echo "cluster: the balancer does not answer on $port" >&2; exit 1; }
  echo "cluster: $n servers behind HAProxy at http://127.0.0.1:$port/ (logs in $dir)"
}

stop() {
  if [ -s "$dir/haproxy.pid" ]; then
    kill "$(cat "$dir/haproxy.pid")" 2>/dev/null || true
    rm -f "$dir/haproxy.pid"
  fi
  for f in "$dir"/serve-*.pid; do
    [ -e "$f" ] || continue
    local p; p="$(cat "$f")"
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    rm -f "$f"
  done
}

status() {
  for i in $(seq 1 "$n"); do
    if alive "$i"; then echo "server $i: pid $(pid_of "$i"), port $(server_port "$i")"; else echo "server $i: down"; fi
  done
  if [ -S "$dir/haproxy.sock" ] && command -v socat >/dev/null; then
    echo "show servers state vbp" | socat - "UNIX-CONNECT:$dir/haproxy.sock" 2>/dev/null | tail -n +2 || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  kill)
    [[ "${2:-}" =~ ^[1-9]$ ]] || { echo "usage: cluster.sh kill I" >&2; exit 2; }
    p="$(pid_of "$2")"; [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
    ;;
  restart)
    [[ "${2:-}" =~ ^[1-9]$ ]] || { echo "usage: cluster.sh restart I" >&2; exit 2; }
    if [ -z "${DATABASE_URL:-}" ]; then source scripts/postgres.sh; vbp_ensure_postgres vbp_cluster; fi
    export DATABASE_URL
    # a server just killed may take a moment to be gone
    for _ in $(seq 1 300); do alive "$2" || break; sleep 0.1; done
    if alive "$2"; then
      echo "cluster: server $2 is running: $(ps -o pid=,stat=,etime=,args= -p "$(pid_of "$2")" 2>&1)" >&2
      exit 1
    fi
    start_server "$2"; wait_ready "$2"
    ;;
  *) sed -n '2,30p' "$0" >&2; exit 2 ;;
esac

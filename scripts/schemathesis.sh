#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI 3.1 document (/api/openapi.json) with
# schemathesis, with two checks only:
#   not_a_server_error        no 5xx, whatever the request
#   status_code_conformance   every status returned is documented for its operation
# Runs the vbp binary already built (scripts/test.sh builds it first; this script never
# builds) on a fresh database of its own, seeded with the demo, on a free loopback port,
# once as a supplier, once as an officer, then as the admin. Everything it starts or
# creates is stopped or dropped on exit. Exit 1, with schemathesis' report, on any failure.
#
#   VBP_BIN                          the binary (default target/debug/vbp)
#   VBP_SCHEMATHESIS_MAX_EXAMPLES    test cases per operation and phase (default 20)
#   VBP_SCHEMATHESIS_SEED            generation seed (default 1: CI runs are reproducible)
#   VBP_SCHEMATHESIS_ROLES           which passes, in order (default "supplier officer admin")
#   VBP_SCHEMATHESIS_REPORT_DIR      keep schemathesis' JUnit and JSON reports and the
#                                    server log there (default: a temporary folder, removed)
set -euo pipefail
cd "$(dirname "$0")/.."

# One exact version: 4.x reads OpenAPI 3.1 natively (3.x needed --experimental=openapi-3.1).
st_version=4.32.5
venv=.vbp/venv
bin="${VBP_BIN:-target/debug/vbp}"
max_examples="${VBP_SCHEMATHESIS_MAX_EXAMPLES:-20}"
seed="${VBP_SCHEMATHESIS_SEED:-1}"
roles="${VBP_SCHEMATHESIS_ROLES:-supplier officer admin}"

[ -x "$bin" ] || { echo "vbp: $bin is missing: build it first (cargo build --bin vbp)" >&2; exit 1; }

# schemathesis, pinned, in the test virtualenv of the checkout (scripts/test.sh makes it)
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$st_version')" 2>/dev/null; then
  if [ ! -x "$venv/bin/python" ]; then
    command -v python3 >/dev/null || { echo "vbp: python3 is needed for schemathesis (apt-get install python3 python3-venv)" >&2; exit 1; }
    python3 -m venv "$venv" || { echo "vbp: cannot create a virtualenv (apt-get install python3-venv)" >&2; exit 1; }
  fi
  echo "== installing schemathesis $st_version into $venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$st_version"
fi
py="$PWD/$venv/bin/python"
st="$PWD/$venv/bin/schemathesis"

source scripts/postgres.sh
vbp_ensure_postgres postgres

# a database of its own on the same server: postgres://...:port/vbp_schemathesis_<pid>
url="${DATABASE_URL%%\?*}"
query="${DATABASE_URL#"$url"}"
rest="${url#*://}"
if [[ "$rest" == */* ]]; then server="${url%/*}"; else server="$url"; fi
db="vbp_schemathesis_$$"
export DATABASE_URL="$server/$db$query"
psql_bin="$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1 || true)"

tmp="$(mktemp -d)"
report_dir="${VBP_SCHEMATHESIS_REPORT_DIR:-$tmp/reports}"
mkdir -p "$report_dir"
report_dir="$(cd "$report_dir" && pwd)"
server_pid=""
cleanup() {
  local rc=$?
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$psql_bin" ]; then
    "$psql_bin" "$server/postgres$query" -qX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 \
      || "$psql_bin" "$server/postgres$query" -qX -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 \
      || echo "vbp: could not drop the database $db" >&2
  else
    echo "vbp: no psql to drop the database $db with" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# throw-away keys and a mail folder; nothing of the checkout's .vbp/ is used
hex32() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
unset VBP_JWT_SECRET_FILE VBP_MASTER_KEY_FILE VBP_RECEIPT_KEY_FILE VBP_SMTP_URL
export VBP_JWT_SECRET="$(hex32)" VBP_MASTER_KEY="$(hex32)" VBP_RECEIPT_KEY="$(hex32)"
export VBP_MAIL_DIR="$tmp/mail"
mkdir -p "$VBP_MAIL_DIR"
# the fuzzer sends thousands of wrong logins, some for the demo accounts it then uses
export VBP_LOGIN_MAX_FAILURES_PER_ACCOUNT=1000000 VBP_LOGIN_MAX_FAILURES_PER_IP=1000000
export RUST_LOG="${RUST_LOG:-warn}" VBP_LOG_FORMAT=text
password="st-$(hex32 | cut -c1-24)"

echo "== schemathesis: seeding $db with the demo" >&2
"$bin" demo --password "$password" >"$tmp/demo.log" 2>&1 || { cat "$tmp/demo.log" >&2; exit 1; }

port="$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
VBP_BIND="127.0.0.1:$port" "$bin" serve >"$report_dir/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  kill -0 "$server_pid" 2>/dev/null || { cat "$report_dir/serve.log" >&2; echo "vbp: the server exited" >&2; exit 1; }
  "$py" -c "import urllib.request as u; u.urlopen('$base/readyz', timeout=2)" 2>/dev/null && break
  sleep 0.5
done
"$py" -c "import urllib.request as u; u.urlopen('$base/readyz', timeout=2)" 2>/dev/null \
  || { tail -n 50 "$report_dir/serve.log" >&2; echo "vbp: the server is not ready after 60 s" >&2; exit 1; }

login() { # email -> "token user_id"
  "$py" - "$base" "$1" "$password" <<'PY'
import json, sys, urllib.request
base, email, password = sys.argv[1:]
req = urllib.request.Request(base + "/api/v1/auth/login", method="POST",
                             data=json.dumps({"email": email, "password": password}).encode(),
                             headers={"content-type": "application/json"})
body = json.load(urllib.request.urlopen(req, timeout=30))
print(body["access_token"], body["user"]["id"])
PY
}

# Passes run in this order because the admin's pass suspends organisations, deactivates
# users and resets passwords at random: the other accounts must be done by then.
failed=0
summary=()
export SCHEMATHESIS_HOOKS="$PWD/tests/schemathesis/hooks.py"
for role in $roles; do
  creds="$(login "$role@vbp.demo")" || { echo "vbp: cannot log in as $role@vbp.demo" >&2; exit 1; }
  read -r token user_id <<<"$creds"
  # the hook keeps the pass from resetting the password of its own account (ends its session)
  export VBP_SCHEMATHESIS_PROTECTED_USERS="$user_id"
  echo "== schemathesis $st_version as $role@vbp.demo on $base" >&2
  start=$SECONDS
  # Excluded: POST /api/v1/auth/logout would end the session of the token every later
  # request carries (each then a 401, documented, so the rest of the pass tests nothing).
  # run from the temporary folder: schemathesis keeps a crash cache (.schemathesis/) and
  # hypothesis its own files (.hypothesis/) in the working directory
  if (cd "$tmp" && "$st" run "$base/api/openapi.json" \
      --header "Authorization: Bearer $token" \
      --checks not_a_server_error,status_code_conformance \
      --exclude-path /api/v1/auth/logout \
      --max-examples "$max_examples" \
      --continue-on-failure \
      --seed "$seed" \
      --generation-database none \
      --workers 1 \
      --request-timeout 30 \
      --no-color \
      --report junit,json --report-dir "$report_dir/$role" \
      >"$tmp/st-$role.log" 2>&1); then
    summary+=("$role: passed in $((SECONDS - start)) s")
  else
    failed=1
    cat "$tmp/st-$role.log"
    summary+=("$role: FAILED in $((SECONDS - start)) s")
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "== server errors logged:" >&2
  sed 's/\x1b\[[0-9;]*m//g' "$report_dir/serve.log" | grep -E ' (ERROR|WARN) ' | tail -n 40 >&2 || true
fi
echo "schemathesis: $(IFS=';'; echo "${summary[*]}" | sed 's/;/; /g')"
exit "$failed"

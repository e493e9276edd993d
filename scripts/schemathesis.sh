#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI 3.1 document (/api/openapi.json) with
# schemathesis, with two checks only:
#   not_a_server_error        no 5xx, whatever the request
#   status_code_conformance   every status returned is documented for its operation
# Runs the vbp binary already built (scripts/test.sh builds it first; this script never
# builds) on a fresh database of its own, seeded with the demo, on a free loopback port,
# once as a supplier (one with sealed bids), an officer, a hospital, an insurer, then the
# admin; half the ids it sends are the demo's real ones, so handlers are reached past their
# 404.
# Everything it starts or creates is stopped or dropped on exit. Exit 1, with
# schemathesis' report, on any failure; otherwise one summary line.
#
#   VBP_BIN                          the binary (default target/debug/vbp)
#   VBP_SCHEMATHESIS_MAX_EXAMPLES    generated test cases per operation (default 20)
#   VBP_SCHEMATHESIS_SEED            generation seed (default 1: CI runs are reproducible)
#   VBP_SCHEMATHESIS_ROLES           which passes, in order (default "supplier officer hospital
#                                    insurer admin")
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
roles="${VBP_SCHEMATHESIS_ROLES:-supplier officer hospital insurer admin}"

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
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ next to tests/schemathesis/*.py
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

http_get() { "$py" -c "import sys, urllib.request as u; sys.stdout.buffer.write(u.urlopen('$1', timeout=30).read())"; }
http_get "$base/api/openapi.json" >"$report_dir/openapi.json"

# the demo's real ids, bound to the parameters that take them, and the supplier with sealed
# bids in the round open for bids (tests/schemathesis/dictionaries.py)
supplier="$("$py" tests/schemathesis/dictionaries.py "$base" "$password" "$tmp/schemathesis.toml")" \
  || { echo "vbp: cannot collect the demo's ids" >&2; exit 1; }

# Passes run in this order because the admin's pass suspends organisations, deactivates
# users and resets passwords at random: the other accounts must be done by then.
failed=0
export SCHEMATHESIS_HOOKS="$PWD/tests/schemathesis/hooks.py"
for role in $roles; do
  email="$role@vbp.demo"
  [ "$role" = supplier ] && email="$supplier"
  creds="$(login "$email")" || { echo "vbp: cannot log in as $email" >&2; exit 1; }
  read -r token user_id <<<"$creds"
  # the hook keeps the pass from resetting the password of its own account (ends its session)
  export VBP_SCHEMATHESIS_PROTECTED_USERS="$user_id"
  echo "== schemathesis $st_version as $email on $base" >&2
  # Each pass works in a folder of its own under $tmp: schemathesis keeps a crash cache
  # (.schemathesis/) and hypothesis its files (.hypothesis/) in the working directory.
  # Excluded: POST /api/v1/auth/logout, which would end the session of the token every
  # later request carries (each then a documented 401: the rest of the pass would test
  # nothing). Nothing else needs excluding (see tests/schemathesis/hooks.py).
  # --workers 1: two workers are threads, and CPython 3.11 (before 3.11.8) fails at random
  #   with "SystemError: AST constructor recursion depth mismatch" when hypothesis parses
  #   sources in both at once (cpython#106905); one worker also keeps the order, so the
  #   seed reproduces the run.
  # --continue-on-failure: every distinct failure of an operation, not only its first.
  # --generation-database none: no examples replayed from earlier runs.
  mkdir -p "$tmp/$role"
  if (cd "$tmp/$role" && "$st" --config-file "$tmp/schemathesis.toml" run "$base/api/openapi.json" \
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
    :
  else
    failed=1
    cat "$tmp/st-$role.log"
  fi
done

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "vbp: the server died during the run" >&2
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "== what the server logged at WARN and above:" >&2
  sed 's/\x1b\[[0-9;]*m//g' "$report_dir/serve.log" | grep -E ' (ERROR|WARN) |panicked' | tail -n 40 >&2 || true
fi
# one line: test cases, failures and errors of every pass, from schemathesis' JSON reports
"$py" - "$report_dir" $roles <<'PY'
import glob, json, os, sys
parts, failures = [], 0
for role in sys.argv[2:]:
    reports = sorted(glob.glob(os.path.join(sys.argv[1], role, "json-*.json")))
    if not reports:
        parts.append(f"{role}: no report")
        failures += 1
        continue
    r = json.load(open(reports[-1]))
    bad = r["test_cases"]["unique_failures"] + sum(e.get("count", 1) for e in r["errors"])
    failures += bad
    parts.append(f'{role} {r["test_cases"]["generated"]} cases, {bad} failed, {r["running_time"]:.0f} s')
print(f"schemathesis: {failures} failures ({'; '.join(parts)})")
PY
exit "$failed"

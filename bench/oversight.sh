#!/usr/bin/env bash
# The oversight benchmark (docs/benchmarks.md, "Oversight"):
#
#   1. builds `vbp` (release),
#   2. makes a fresh database ($VBP_LOAD_DB, default vbp_load_oversight: dropped and
#      recreated), migrated, with the demo (two awarded rounds, Beijing's orders),
#   3. adds $VBP_LOAD_LATE confirmed orders (one line each, nothing shipped, confirmed 10
#      days ago) on the awarded round's contracts of every province, and $VBP_LOAD_REPORTS
#      hospital shortage reports, straight into PostgreSQL,
#   4. starts `vbp serve` (release) on 127.0.0.1 and times, through the API: the supply scan
#      (records every late order's problem and computes every warning), a second scan
#      (nothing new), the officers' warning list, a generic's price view and the public
#      price index (JSON and CSV).
#
#   VBP_LOAD_LATE=200000      late confirmed orders
#   VBP_LOAD_REPORTS=20000    shortage reports
#   VBP_LOAD_PORT=18082       port of the server under test (127.0.0.1 only)
#   VBP_LOAD_SKIP_BUILD=1     use the binary already built
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

db="${VBP_LOAD_DB:-vbp_load_oversight}"
port="${VBP_LOAD_PORT:-18082}"
late="${VBP_LOAD_LATE:-200000}"
reports="${VBP_LOAD_REPORTS:-20000}"

work="$root/.vbp/oversight-load"
source bench/lib.sh
vbp_bench_setup "$db" "$work"
sql() { psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -qAt "$@"; }

if [ -z "${VBP_LOAD_SKIP_BUILD:-}" ]; then
  echo "oversight: building release (vbp)..." >&2
  cargo build --release -p api --bin vbp --quiet
fi
vbp="$root/target/release/vbp"

echo "== machine"
echo "$(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); PostgreSQL $(psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version' postgres)"
echo "== setup: migrate, demo, $late late orders, $reports shortage reports"
"$vbp" migrate > /dev/null
password=load-bench-password-1
"$vbp" demo --password "$password" | tail -n 1
start=$(date +%s.%N)
sql <<SQL
-- a hospital in every province without one (the demo has Beijing's and Shanghai's)
INSERT INTO organisations (id, name, kind, province, status, created_at, updated_at)
  SELECT gen_random_uuid(), 'bench hospital ' || p.code, 'hospital', p.code, 'active', now(), now()
    FROM provinces p
   WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.kind = 'hospital' AND o.province = p.code);
-- every active contract with a hospital of its province, numbered from 0
CREATE TEMP TABLE h AS
  SELECT row_number() OVER (ORDER BY ct.id) - 1 AS n, ct.id AS contract_id, ct.province,
         ct.supplier_org_id, ct.unit_price, ct.product_code, hosp.id AS hospital
    FROM contracts ct
    JOIN LATERAL (SELECT o.id FROM organisations o WHERE o.kind = 'hospital' AND o.province = ct.province
                   ORDER BY o.id LIMIT 1) hosp ON true
   WHERE ct.status = 'active';
CREATE TEMP TABLE new_orders AS
  SELECT gen_random_uuid() AS id, h.*
    FROM generate_series(1, $late) g JOIN h ON h.n = g % (SELECT count(*) FROM h);
INSERT INTO orders (id, hospital_org_id, province, supplier_org_id, status, created_by, created_at, updated_at, decided_at)
  SELECT o.id, o.hospital, o.province, o.supplier_org_id, 'confirmed',
         (SELECT id FROM users LIMIT 1), now() - interval '11 days', now() - interval '10 days', now() - interval '10 days'
    FROM new_orders o;
INSERT INTO order_lines (id, order_id, province, line_no, contract_id, product_code, unit_price, quantity,
                         shipped, moved, accepted, refused)
  SELECT gen_random_uuid(), o.id, o.province, 1, o.contract_id, o.product_code, o.unit_price, 100, 0, 0, 0, 0
    FROM new_orders o;
INSERT INTO shortage_reports (id, hospital_org_id, province, contract_id, supplier_org_id, note, reported_by, reported_at)
  SELECT gen_random_uuid(), h.hospital, h.province, h.contract_id, h.supplier_org_id, 'bench',
         (SELECT id FROM users LIMIT 1), now()
    FROM generate_series(1, $reports) g JOIN h ON h.n = g % (SELECT count(*) FROM h);
ANALYZE;
SQL
echo "data: $(sql -c "SELECT count(*) FROM orders WHERE status = 'confirmed'") confirmed orders, $(sql -c 'SELECT count(*) FROM shortage_reports') shortage reports (unrecorded), $(sql -c "SELECT count(DISTINCT (province, generic_name)) FROM contracts c JOIN lots l ON l.id = c.lot_id WHERE c.status = 'active'") generic-province pairs; in $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)") s"
# the reports as a hospital's route records them (one problem each)
sql -c "INSERT INTO supply_problems (id, province, kind, generic_name, lot_id, contract_id, supplier_org_id,
          hospital_org_id, order_id, report_id, open_units, note, day)
        SELECT gen_random_uuid(), r.province, 'reported_shortage', l.generic_name, c.lot_id, c.id,
               r.supplier_org_id, r.hospital_org_id, NULL, r.id, 0, r.note, china_today()
          FROM shortage_reports r JOIN contracts c ON c.id = r.contract_id JOIN lots l ON l.id = c.lot_id
          WHERE r.note = 'bench'" > /dev/null

VBP_BIND="127.0.0.1:$port" VBP_WORKERS="${VBP_WORKERS:-2}" VBP_PUBLIC_URL="http://127.0.0.1:$port/" \
  RUST_LOG="${RUST_LOG:-warn}" "$vbp" serve > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
base="http://127.0.0.1:$port"
token=$(curl -fs "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"officer@vbp.demo\",\"password\":\"$password\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
# time one request: "label: N s, M bytes, status"
timed() {
  local label=$1; shift
  local out
  out=$(curl -s -o "$work/body" -w '%{time_total} %{size_download} %{http_code}' "$@")
  set -- $out
  echo "$label: $1 s, $2 bytes, HTTP $3"
}
echo "== through the API (release, 127.0.0.1)"
timed "supply scan (records the late orders, computes every warning)" -X POST -H "authorization: Bearer $token" "$base/api/v1/monitoring/supply-scan"
echo "  $(cat "$work/body")"
timed "supply scan again (nothing new)" -X POST -H "authorization: Bearer $token" "$base/api/v1/monitoring/supply-scan"
echo "  $(cat "$work/body")"
echo "problems recorded: $(sql -c 'SELECT count(*) FROM supply_problems'); warnings above none: $(sql -c "SELECT count(*) FROM supply_warnings WHERE level <> 'none'")"
timed "warning list, all provinces" -H "authorization: Bearer $token" "$base/api/v1/monitoring/warnings"
timed "warning list, Beijing" -H "authorization: Bearer $token" "$base/api/v1/monitoring/warnings?province=110000"
generic=$(sql -c "SELECT l.generic_name FROM lots l JOIN rounds r ON r.id = l.round_id WHERE r.status IN ('awarded','completed') GROUP BY 1 HAVING count(*) > 1 LIMIT 1")
g=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$generic")
timed "price view of $generic (two rounds)" -H "authorization: Bearer $token" "$base/api/v1/monitoring/prices?generic_name=$g"
timed "public price index, JSON" "$base/api/v1/price-index/$g"
timed "public price index, CSV" "$base/api/v1/price-index/$g?format=csv"

#!/usr/bin/env bash
# The settlement benchmark (docs/benchmarks.md, "Direct settlement"):
#
#   1. builds `vbp` (release),
#   2. makes a fresh database ($VBP_LOAD_DB, default vbp_load_settlement: dropped and
#      recreated), migrated, with the demo, and adds 1,000,002 accepted delivery lines in
#      Beijing (bench/settlement_data.sql: 100 suppliers, 1,000 hospitals),
#   3. starts `vbp serve` (release, VBP_WORKERS=2, mail to files) on 127.0.0.1,
#   4. once the demo's mail is sent, streams the CSV statement of a supplier with 9,093
#      lines, then twice that of one with 99,999, reporting the server's memory (peak and
#      current) before and after each,
#   5. $VBP_BENCH_RUNS times (default 3): the bare `INSERT ... SELECT` of the same rows into
#      a table without keys or indexes, and into one with the settlement lines' keys, then
#      the same lines settled through the API (`POST /api/v1/settlements/batches` as
#      Beijing's insurer: one batch, a payment order per supplier), then all emptied,
#   6. settles once more and pays the largest payment order.
#
#   VBP_BENCH_ORDERS=333334   orders of three lines (1,000,002 lines)
#   VBP_LOAD_PORT=18082       port of the server under test (127.0.0.1 only)
#   VBP_LOAD_SKIP_BUILD=1     use the binary already built
#   VBP_LOAD_VBP_BIN=path     the vbp binary to measure (default target/release/vbp)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

db="${VBP_LOAD_DB:-vbp_load_settlement}"
port="${VBP_LOAD_PORT:-18082}"
orders="${VBP_BENCH_ORDERS:-333334}"
runs="${VBP_BENCH_RUNS:-3}"

work="$root/.vbp/settlement-bench"
source bench/lib.sh
vbp_bench_setup "$db" "$work"
psql_db() { psql -h 127.0.0.1 -U postgres -X -q "$@" "$db"; }

if [ -z "${VBP_LOAD_SKIP_BUILD:-}" ]; then
  echo "settlement: building release (vbp)..." >&2
  cargo build --release -p api --bin vbp --quiet
fi
vbp="${VBP_LOAD_VBP_BIN:-$root/target/release/vbp}"

echo "== machine"
echo "$(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); PostgreSQL $(psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version' postgres), shared_buffers $(psql -h 127.0.0.1 -U postgres -Atc 'SHOW shared_buffers' postgres), synchronous_commit $(psql -h 127.0.0.1 -U postgres -Atc 'SHOW synchronous_commit' postgres)"
echo "== setup: migrate, demo, $orders orders of 3 accepted lines"
"$vbp" migrate > /dev/null
password=settle-bench-password-1
"$vbp" demo --password "$password" | tail -n 1
start=$(date +%s.%N)
psql_db -v orders="$orders" -f bench/settlement_data.sql
echo "data: $(psql_db -Atc "SELECT count(*) FROM delivery_lines dl JOIN deliveries d ON d.id = dl.delivery_id AND d.province = dl.province WHERE d.status = 'accepted' AND d.province = '110000'") accepted lines in Beijing, written in $(echo "$(date +%s.%N) - $start" | bc | cut -c1-6) s"

VBP_BIND="127.0.0.1:$port" VBP_WORKERS="${VBP_WORKERS:-2}" VBP_PUBLIC_URL="http://127.0.0.1:$port/" \
  RUST_LOG="${RUST_LOG:-warn}" "$vbp" serve > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
base="http://127.0.0.1:$port/api/v1"
token=$(curl -fs "$base/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"insurer@vbp.demo\",\"password\":\"$password\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

empty() {
  psql_db -c "TRUNCATE fund_entries, payments, settlement_lines, payment_orders, settlement_batches, bench_bare, bench_keyed" \
          -c "VACUUM ANALYZE settlement_lines" -c "CHECKPOINT"
}
# the bare statement's two targets: a table without keys or indexes, and one with the
# settlement lines' own (primary key, BRIN index, checks)
psql_db -c "CREATE TABLE bench_bare (LIKE settlement_lines)" -c "CREATE TABLE bench_keyed (LIKE settlement_lines INCLUDING ALL)"

echo "== statements: CSV streamed, the server's memory (kB: peak VmHWM, then VmRSS)"
mem() { awk '/VmHWM|VmRSS/ {printf "%s %s ", $1, $2}' "/proc/$server/status"; }
supplier() { psql_db -Atc "SELECT id FROM organisations WHERE name = 'Bench supplier $1'"; }
month=$(psql_db -Atc "SELECT to_char(china_today() - interval '1 month', 'YYYY-MM')")
# the demo's mail is sent first, so that the worker's memory is not counted as the statements'
for _ in $(seq 1 240); do
  [ "$(psql_db -Atc "SELECT count(*) FROM jobs WHERE status IN ('pending', 'running') AND run_at <= now()")" = 0 ] && break
  sleep 0.5
done
for n in 2 1 1; do
  org=$(supplier "$n")
  before=$(mem)
  out=$(curl -fs -o "$work/statement-$n.csv" -w '%{time_total} %{size_download}' \
    "$base/settlements/statements/suppliers/$org/$month?format=csv" -H "authorization: Bearer $token")
  rows=$(($(wc -l < "$work/statement-$n.csv") - 1))
  expected=$(psql_db -Atc "SELECT count(*) FROM deliveries d JOIN delivery_lines dl ON dl.delivery_id = d.id
    WHERE d.supplier_org_id = '$org' AND d.status = 'accepted' AND dl.accepted > 0
      AND to_char(d.accepted_on, 'YYYY-MM') = '$month'")
  printf 'supplier %s: %s lines (the database: %s), %s bytes in %s s; server before: %s; after: %s\n' \
    "$n" "$rows" "$expected" "${out#* }" "${out%% *}" "$before" "$(mem)"
done
empty

bare_sql() {
  echo "INSERT INTO $1
    SELECT dl.id, '00000000-0000-0000-0000-000000000000', d.supplier_org_id, d.hospital_org_id, d.province,
           dl.accepted, dl.unit_price, round(dl.accepted * dl.unit_price, 2), d.due_date
    FROM deliveries d
    JOIN delivery_lines dl ON dl.delivery_id = d.id AND dl.province = d.province
    WHERE d.status = 'accepted' AND dl.accepted > 0 AND d.province = '110000'"
}
timed() { psql_db -Atc '\timing on' -c "$1" | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p'; }

echo "== settle: the bare INSERT ... SELECT (no keys; the same keys), then the API, $runs times"
for run in $(seq 1 "$runs"); do
  bare=$(timed "$(bare_sql bench_bare)")
  psql_db -c "CHECKPOINT"
  keyed=$(timed "$(bare_sql bench_keyed)")
  psql_db -c "CHECKPOINT"
  bare_rows=$(psql_db -Atc "SELECT count(*) FROM bench_bare")
  api=$(curl -fs -o "$work/batch.json" -w '%{time_total}' "$base/settlements/batches" \
    -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{}')
  lines=$(grep -o '"line_count":[0-9]*' "$work/batch.json" | head -n 1 | cut -d: -f2)
  check=$(psql_db -Atc "SELECT count(*) = (SELECT count(DISTINCT delivery_line_id) FROM settlement_lines)
                                AND (SELECT sum(total) FROM settlement_batches) = sum(amount)
                                AND (SELECT sum(total) FROM payment_orders) = sum(amount)
                        FROM settlement_lines")
  orders_made=$(psql_db -Atc "SELECT count(*) FROM payment_orders")
  printf 'run %s: bare %s rows in %.2f s (with the keys %.2f s); API %s lines, %s payment orders in %.2f s (%.2fx bare, %.2fx keyed); totals reconcile: %s\n' \
    "$run" "$bare_rows" "$(echo "$bare / 1000" | bc -l)" "$(echo "$keyed / 1000" | bc -l)" "$lines" "$orders_made" "$api" \
    "$(echo "$api * 1000 / $bare" | bc -l)" "$(echo "$api * 1000 / $keyed" | bc -l)" "$check"
  empty
done

echo "== a payment of the largest payment order (its lines read through the BRIN index)"
curl -fs -o "$work/batch.json" "$base/settlements/batches" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{}'
read -r po total < <(psql_db -Atc "SELECT id, total FROM payment_orders ORDER BY line_count DESC LIMIT 1" | tr '|' ' ')
pay=$(curl -fs -o "$work/payment.json" -w '%{time_total}' "$base/settlements/payment-orders/$po/payments" \
  -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"bank_reference\":\"BENCH-$po\",\"amount\":\"$total\"}")
echo "paid $(psql_db -Atc "SELECT line_count FROM payment_orders WHERE id = '$po'") lines (CNY $total) in $pay s: $(cat "$work/payment.json" | head -c 300)"

#!/usr/bin/env bash
# The orders benchmark (docs/benchmarks.md, "Orders after the award"):
#
#   1. builds `vbp` and `vbp-orders-load` (release),
#   2. makes a fresh database ($VBP_LOAD_DB, default vbp_load_orders: dropped and
#      recreated), migrated, with the demo (its awarded round gives Beijing's contracts),
#   3. starts `vbp serve` (release, VBP_WORKERS=2, mail to files) on 127.0.0.1,
#   4. adds the hospitals and has each place its orders, each confirmed, shipped and
#      accepted through the API (four requests an order), then runs the same writes
#      straight into PostgreSQL (vbp-orders-load).
#
#   VBP_LOAD_HOSPITALS=20000   hospitals in Beijing (one user each)
#   VBP_LOAD_ORDERS=5          orders per hospital
#   VBP_LOAD_CONCURRENCY=64    orders in flight
#   VBP_LOAD_RAW_ORDERS=20000  orders written straight to PostgreSQL for comparison
#   VBP_LOAD_PORT=18081        port of the server under test (127.0.0.1 only)
#   VBP_LOAD_SKIP_BUILD=1      use the binaries already built
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

db="${VBP_LOAD_DB:-vbp_load_orders}"
port="${VBP_LOAD_PORT:-18081}"

work="$root/.vbp/orders-load"
source bench/lib.sh
vbp_bench_setup "$db" "$work"

if [ -z "${VBP_LOAD_SKIP_BUILD:-}" ]; then
  echo "orders_load: building release (vbp, vbp-orders-load)..." >&2
  cargo build --release -p api --bin vbp -p load --bin vbp-orders-load --quiet
fi
vbp="$root/target/release/vbp"

echo "== machine"
echo "$(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); PostgreSQL $(psql -h 127.0.0.1 -U postgres -Atc 'SHOW server_version' postgres), synchronous_commit $(psql -h 127.0.0.1 -U postgres -Atc 'SHOW synchronous_commit' postgres)"
echo "== setup: migrate, demo"
"$vbp" migrate > /dev/null
"$vbp" demo --password load-bench-password-1 | tail -n 2

VBP_BIND="127.0.0.1:$port" VBP_WORKERS="${VBP_WORKERS:-2}" VBP_PUBLIC_URL="http://127.0.0.1:$port/" \
  RUST_LOG="${RUST_LOG:-warn}" "$vbp" serve > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

echo "== load"
"$root/target/release/vbp-orders-load" --base "http://127.0.0.1:$port" --database-url "$DATABASE_URL" \
  --hospitals "${VBP_LOAD_HOSPITALS:-20000}" --orders "${VBP_LOAD_ORDERS:-5}" \
  --concurrency "${VBP_LOAD_CONCURRENCY:-64}" --raw-orders "${VBP_LOAD_RAW_ORDERS:-20000}"
echo "== after"
psql -h 127.0.0.1 -U postgres -Atc "SELECT 'orders ' || count(*) FROM orders; SELECT 'deliveries accepted ' || count(*) FROM deliveries WHERE status = 'accepted'" "$db"

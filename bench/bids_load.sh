#!/usr/bin/env bash
# The load benchmark of sealed-bid submission at a deadline (docs/benchmarks.md,
# "Bids at the deadline"):
#
#   1. builds `vbp` and `vbp-load` (release),
#   2. makes a fresh database ($VBP_LOAD_DB, default vbp_load: dropped and recreated) with
#      the demo, 2,000 supplier organisations and a catalog (vbp-load setup),
#   3. starts `vbp serve` (release, VBP_WORKERS=2, mail to files) on 127.0.0.1,
#   4. for each level (so many requests in flight, or so many bids a second): publishes a
#      round of 10 lots and has the 2,000 suppliers send their 20,000 bids in the last
#      minute before its deadline, then checks every receipt against the frozen register
#      (vbp-load run),
#   5. stops the server and runs pgbench with the same writes as one submission's
#      transaction, at 16 and 64 clients, for comparison.
#
#   VBP_LOAD_CONCURRENCY=64,128,256   closed-loop levels: requests in flight, one round per level
#   VBP_LOAD_RATES=2000               open-loop levels: bids a second on a fixed schedule (latency
#                                     from the scheduled time), one round per level; "" for none
#   VBP_LOAD_MAX_IN_FLIGHT=1000       most requests (connections) in flight in an open-loop level
#   VBP_LOAD_SUPPLIERS=2000           suppliers (each bids on every lot)
#   VBP_LOAD_PORT=18080               port of the server under test (127.0.0.1 only)
#   VBP_LOAD_DEADLINE_IN=75, VBP_LOAD_LEAD=60   deadline 75 s after the round is made; bids from 60 s before it
#   VBP_LOAD_PGBENCH_SECS=15          duration of each pgbench run
#   VBP_LOAD_SKIP_BUILD=1             use the binaries already built
#   VBP_LOAD_VBP_BIN=path             the vbp binary to measure (default target/release/vbp)
#   VBP_LOAD_SERVERS=1                1: one `vbp serve` (VBP_WORKERS=2); N > 1: N servers behind
#                                     HAProxy (scripts/cluster.sh, VBP_WORKERS=1 each), the load
#                                     sent to the balancer
#   RUST_LOG                          the server's log filter (default info: one line per request)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

db="${VBP_LOAD_DB:-vbp_load}"
case "$db" in vbp_load*) ;; *) echo "VBP_LOAD_DB must start with vbp_load (it is dropped)" >&2; exit 2 ;; esac
concurrency="${VBP_LOAD_CONCURRENCY-64,128,256}"
rates="${VBP_LOAD_RATES-2000}"
suppliers="${VBP_LOAD_SUPPLIERS:-2000}"
lots=10
port="${VBP_LOAD_PORT:-18080}"
pgbench_secs="${VBP_LOAD_PGBENCH_SECS:-15}"
pgbench="${PGBENCH:-$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -n 1)}"

# our own database on the local server, whatever DATABASE_URL says
unset DATABASE_URL
source scripts/postgres.sh
vbp_ensure_postgres "$db"
pg_host=127.0.0.1
pg_port="$(echo "$DATABASE_URL" | sed -E 's#.*:([0-9]+)/.*#\1#')"

work="$root/.vbp/load"
rm -rf "$work"
mkdir -p "$work/mail"
source scripts/keys.sh
vbp_key_files "$work"

if [ -z "${VBP_LOAD_SKIP_BUILD:-}" ]; then
  echo "bids_load: building release (vbp, vbp-load)..." >&2
  cargo build --release -p api --bin vbp -p load --bin vbp-load --quiet
fi
vbp="${VBP_LOAD_VBP_BIN:-$root/target/release/vbp}"
load="$root/target/release/vbp-load"

echo "== machine"
echo "$(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(free -g | awk '/Mem:/ {print $2 " GiB RAM"}')"
echo "PostgreSQL: $(psql -h $pg_host -p "$pg_port" -U postgres -Atc 'SHOW server_version' postgres), max_connections $(psql -h $pg_host -p "$pg_port" -U postgres -Atc 'SHOW max_connections' postgres), shared_buffers $(psql -h $pg_host -p "$pg_port" -U postgres -Atc 'SHOW shared_buffers' postgres), synchronous_commit $(psql -h $pg_host -p "$pg_port" -U postgres -Atc 'SHOW synchronous_commit' postgres)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== setup"
"$load" setup --vbp "$vbp" --database-url "$DATABASE_URL" --suppliers "$suppliers" --lots "$lots" --password load-bench-password-1

servers="${VBP_LOAD_SERVERS:-1}"
if [ "$servers" = 1 ]; then
  echo "== vbp serve on 127.0.0.1:$port (release, VBP_WORKERS=2, pool ${VBP_DB_POOL_SIZE:-default})"
  VBP_BIND="127.0.0.1:$port" VBP_WORKERS="${VBP_WORKERS:-2}" VBP_MAIL_DIR="$work/mail" \
    VBP_PUBLIC_URL="http://127.0.0.1:$port/" RUST_LOG="${RUST_LOG:-info}" \
    "$vbp" serve > "$work/serve.log" 2>&1 &
  server=$!
  stop_server() { if kill -0 "$server" 2>/dev/null; then kill "$server"; wait "$server" 2>/dev/null || true; fi; }
  trap stop_server EXIT
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.2
  done
else
  echo "== $servers vbp serve behind HAProxy on 127.0.0.1:$port (release, VBP_WORKERS=1 each, pool ${VBP_DB_POOL_SIZE:-default} each)"
  export VBP_CLUSTER_DIR="$work/cluster" VBP_CLUSTER_SERVERS="$servers" VBP_CLUSTER_PORT="$port" \
    VBP_BIN="$vbp" VBP_WORKERS="${VBP_WORKERS:-1}" RUST_LOG="${RUST_LOG:-info}"
  mkdir -p "$VBP_CLUSTER_DIR"
  for key in jwt-secret master-key receipt-key; do cp "$work/$key" "$VBP_CLUSTER_DIR/$key"; done
  stop_server() { bash scripts/cluster.sh stop; }
  trap stop_server EXIT
  bash scripts/cluster.sh start
  server="$(cat "$VBP_CLUSTER_DIR"/serve-*.pid | paste -sd,)"
fi

echo "== load: $suppliers suppliers x $lots lots, in flight: ${concurrency:-none}; offered rates: ${rates:-none}"
status=0
"$load" run --base "http://127.0.0.1:$port" --database-url "$DATABASE_URL" --suppliers "$suppliers" \
  --lots "$lots" --concurrency "$concurrency" --rate "$rates" --max-in-flight "${VBP_LOAD_MAX_IN_FLIGHT:-1000}" \
  --password load-bench-password-1 \
  --deadline-in "${VBP_LOAD_DEADLINE_IN:-75}" --lead "${VBP_LOAD_LEAD:-60}" \
  --out "$work/results.jsonl" --server-pid "$server" || status=$?
# how many bids each group-commit transaction wrote, over the whole run
# (in a cluster: one server's, whichever the balancer picks)
curl -fs "http://127.0.0.1:$port/metrics" | awk '
  /^vbp_bid_batch_size_sum/ {sum=$2} /^vbp_bid_batch_size_count/ {n=$2}
  /^vbp_bid_batch_size_bucket/ {print "  " $0}
  END {if (n > 0) printf "bids per transaction: %.1f on average (%d transactions)\n", sum / n, n}' || true
stop_server
trap - EXIT
sealed_bytes="$(psql -h $pg_host -p "$pg_port" -U postgres -Atc "SELECT round(avg(length(sealed))) FROM bids" "$db")"
payload_bytes="$(psql -h $pg_host -p "$pg_port" -U postgres -Atc "SELECT round(avg(pg_column_size(payload))) FROM jobs WHERE dedupe_key LIKE 'bid_receipt:%'" "$db")"
echo "stored per bid: sealed ${sealed_bytes} bytes; receipt mail job payload ${payload_bytes} bytes (jsonb)"
echo "receipt mails written by the job worker during the run: $(ls "$work/mail" "$work/cluster/mail" 2>/dev/null | grep -c eml)"

echo "== pgbench: the writes of one submission (bench/pgbench_bid.sql), ${pgbench_secs} s per run"
# a round of 200 lots for pgbench's own bids: every transaction a new (lot, supplier) pair,
# as in the load run (each supplier bids once per lot)
psql -q -v ON_ERROR_STOP=1 -h $pg_host -p "$pg_port" -U postgres "$db" <<'SQL'
INSERT INTO rounds (id, name, kind, status, preset, rules, bidding_deadline, key_mode, quorum,
                    public_key, published_at, ceilings_date, created_by)
SELECT '00000000-0000-7000-a000-000000000000', 'pgbench', 'drug', 'bidding_open', preset, rules,
       now() + interval '1 day', 'threshold', 2, public_key, now(), current_date, created_by
  FROM rounds WHERE public_key IS NOT NULL ORDER BY created_at LIMIT 1;
INSERT INTO lots (id, round_id, number, generic_name, dosage_form, representative_code)
SELECT ('00000000-0000-7000-a000-' || lpad(k::text, 12, '0'))::uuid,
       '00000000-0000-7000-a000-000000000000', k, '负载测试' || ((k - 1) % 10 + 1) || '号片', 'tablet',
       'XC10AAL' || lpad(((k - 1) % 10 + 1)::text, 3, '0') || 'A001020100000'
  FROM generate_series(1, 200) k;
CREATE SEQUENCE pgb_seq;
CREATE TABLE pgb_payload AS SELECT payload FROM jobs WHERE dedupe_key LIKE 'bid_receipt:%' LIMIT 1;
CHECKPOINT;
SQL
for clients in 16 64; do
  out="$("$pgbench" -h $pg_host -p "$pg_port" -U postgres -n -M prepared -f bench/pgbench_bid.sql \
          -c "$clients" -j 2 -T "$pgbench_secs" "$db" 2>&1)" || { echo "$out" >&2; exit 1; }
  tps="$(echo "$out" | sed -nE 's/^tps = ([0-9.]+).*without.*/\1/p')"
  lat="$(echo "$out" | sed -nE 's/^latency average = ([0-9.]+) ms/\1/p')"
  failed="$(echo "$out" | sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p')"
  echo "pgbench $clients clients: ${tps} tps, latency average ${lat} ms, failed ${failed:-0}"
  echo "{\"pgbench_clients\": $clients, \"tps\": $tps, \"latency_ms\": $lat, \"failed\": ${failed:-0}}" >> "$work/results.jsonl"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "results: $work/results.jsonl, server log: $work/serve.log"
exit "$status"

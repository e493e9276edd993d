#!/usr/bin/env bash
# The operations drills (docs/operations.md, "Drills"), run by the test command. Everything
# is real and local: a PostgreSQL cluster of the drill's own (archiving its WAL), a streaming
# replica made by pg_basebackup that applies the primary's changes 3 s late, two `vbp serve`
# behind HAProxy (scripts/cluster.sh), and the test SMTP server. Then:
#
#   1. crash during a bid rush: a round's suppliers bid through the balancer; when a quarter
#      of the bids are in, server 1 is killed (SIGKILL) and started again. Every receipt a
#      client holds must be in the frozen register with its commitment and every registered
#      bid must have reached its client (vbp-load --retries), each bid's receipt mail must
#      reach the SMTP server exactly once, the audit chain must verify and every stored bid
#      must match its commitment (vbp audit verify, vbp audit bids).
#   2. crash while a settlement batch is written: the batch of ~300,000 lines is asked of
#      server 2, which is killed while its transaction runs. No batch, line or payment order
#      may remain; asked again, the batch is whole (lines = accepted lines, sums agree).
#   3. read your writes: a catalog change read at once through the lagging replica: fresh
#      with the write's WAL position (header or cookie), stale without it.
#   4. point-in-time restore: a restore point is made, then a change after it; the base
#      backup taken at the start plus the WAL archive are restored to the point into a new
#      cluster, where the change is absent, `vbp audit verify` and `vbp audit bids` pass and
#      the counts are those at the restore point.
#
# Prints the time of each step. Stops everything it started, and removes its files unless
# VBP_DRILL_KEEP=1.
#
#   VBP_BIN=target/debug/vbp, VBP_LOAD_BIN=target/debug/vbp-load   the binaries (built before)
#   VBP_DRILL_SUPPLIERS=300, VBP_DRILL_ORDERS=100000                  sizes
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
vbp="${VBP_BIN:-$root/target/debug/vbp}"
load="${VBP_LOAD_BIN:-$root/target/debug/vbp-load}"
suppliers="${VBP_DRILL_SUPPLIERS:-300}"
orders="${VBP_DRILL_ORDERS:-100000}"
python="${VBP_TEST_PYTHON:-$root/.vbp/venv/bin/python}"
for b in "$vbp" "$load"; do [ -x "$b" ] || { echo "drills: $b not built (cargo build --workspace --bins)" >&2; exit 1; }; done
"$python" -c 'import aiosmtpd' 2>/dev/null || { echo "drills: $python has no aiosmtpd (scripts/test.sh installs it)" >&2; exit 1; }

source scripts/postgres.sh
source scripts/keys.sh
bindir="$(vbp_pg_bindir)"
[ -x "$bindir/initdb" ] || { echo "drills: PostgreSQL's server binaries are needed (apt-get install postgresql)" >&2; exit 1; }
vbp_pg_runas
run=("${VBP_PG_RUN[@]}")

work="$(mktemp -d /tmp/vbp-drills.XXXXXX)"
chmod 755 "$work"
mkdir -p "$work/archive" "$work/cluster"
[ ${#run[@]} -gt 0 ] && chown postgres "$work" "$work/archive"

free_port() {
  local p
  for p in $(seq "$1" $(($1 + 400))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}
# PostgreSQL's ports lie below the kernel's ephemeral range (ip_local_port_range, 32768-60999
# here): a port there that is free at the start can be a connection's local end minutes later
# (a CI run once found the restored cluster's 55402 taken by one)
pg_primary="$(free_port 25400)"
pg_replica="$(free_port $((pg_primary + 1)))"
pg_restored="$(free_port $((pg_replica + 1)))"
# the balancer and its two servers (balancer + 1, + 2) on three free ports in a row
balancer=19400
while ! { [ "$(free_port "$balancer")" = "$balancer" ] && [ "$(free_port $((balancer + 1)))" = $((balancer + 1)) ] \
          && [ "$(free_port $((balancer + 2)))" = $((balancer + 2)) ]; }; do
  balancer=$((balancer + 3))
  [ "$balancer" -lt 19800 ] || { echo "drills: no free ports" >&2; exit 1; }
done
smtp_port="$(free_port $((balancer + 10)))"

export VBP_CLUSTER_DIR="$work/cluster" VBP_CLUSTER_SERVERS=2 VBP_CLUSTER_PORT="$balancer" VBP_BIN="$vbp"
export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_primary/vbp_drill"
replica_url="postgres://postgres@127.0.0.1:$pg_replica/vbp_drill"
restored_url="postgres://postgres@127.0.0.1:$pg_restored/vbp_drill"
psql_at() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -p "$1" -At "${@:2}"; }
sql() { psql_at "$pg_primary" -d vbp_drill -c "$1"; }

pg_stop() { [ -f "$1/postmaster.pid" ] && "${run[@]}" "$bindir/pg_ctl" -D "$1" -m immediate stop >/dev/null 2>&1 || true; }
smtp_pid="" load_pid="" curl_pid=""
cleanup() {
  for p in $load_pid $curl_pid; do kill "$p" 2>/dev/null || true; done
  bash scripts/cluster.sh stop >/dev/null 2>&1 || true
  [ -n "$smtp_pid" ] && kill "$smtp_pid" 2>/dev/null || true
  for d in restored replica primary; do pg_stop "$work/$d"; done
  if [ -n "${VBP_DRILL_KEEP:-}" ]; then echo "drills: files kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "DRILL FAILED: $*" >&2; for f in "$work"/cluster/serve-*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2; done; exit 1; }
t0=0
tick() { t0=$(date +%s.%N); }
took() { awk -v now="$(date +%s.%N)" -v t0="$t0" 'BEGIN { printf "%.1f", now - t0 }'; }

pg_start() { # datadir port
  "${run[@]}" "$bindir/pg_ctl" -D "$1" -l "$1.log" -w -t 120 \
    -o "-p $2 -k $work -c listen_addresses=127.0.0.1" start >/dev/null || { tail -n 20 "$1.log" >&2; fail "PostgreSQL in $1 did not start"; }
}

echo "== drills: a primary archiving its WAL (port $pg_primary), in $work"
"${run[@]}" "$bindir/initdb" -D "$work/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
cat >> "$work/primary/postgresql.conf" <<EOF
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $work/archive/%f && cp %p $work/archive/%f'
max_wal_senders = 5
max_connections = 200
EOF
pg_start "$work/primary" "$pg_primary"
RUST_LOG=warn "$vbp" migrate >/dev/null

tick
"${run[@]}" "$bindir/pg_basebackup" -h 127.0.0.1 -p "$pg_primary" -U postgres -D "$work/base" -Fp -X stream -c fast
echo "base backup (empty platform, for the restore drill): $(took) s, $(du -sh "$work/base" | cut -f1)"

tick
"${run[@]}" "$bindir/pg_basebackup" -h 127.0.0.1 -p "$pg_primary" -U postgres -D "$work/replica" -Fp -X stream -c fast -R
cat >> "$work/replica/postgresql.auto.conf" <<EOF
recovery_min_apply_delay = '3s'
archive_mode = off
EOF
pg_start "$work/replica" "$pg_replica"
echo "replica made by pg_basebackup -R and streaming (applies 3 s late): $(took) s"
[ "$(psql_at "$pg_replica" -d postgres -c 'SELECT pg_is_in_recovery()')" = t ] || fail "the replica is not in recovery"

# keys shared by the servers and the load generator
vbp_key_files "$work/cluster"

tick
VBP_MAIL_DIR="$work/demo-mail" "$load" setup --vbp "$vbp" --database-url "$DATABASE_URL" --suppliers "$suppliers" --lots 2 --password drill-password-1 >/dev/null
psql_at "$pg_primary" -d vbp_drill -v orders="$orders" -f bench/settlement_data.sql >/dev/null
lines_accepted="$(sql "SELECT count(*) FROM delivery_lines dl JOIN deliveries d ON d.id = dl.delivery_id JOIN orders o ON o.id = d.order_id WHERE d.status = 'accepted' AND o.province = '110000'")"
echo "data: demo, $suppliers suppliers, $lines_accepted accepted delivery lines in Beijing: $(took) s"

"$python" tests/smtp_sink.py --port "$smtp_port" --out "$work/mail.jsonl" > "$work/smtp.log" 2>&1 &
smtp_pid=$!
for _ in $(seq 1 50); do grep -q READY "$work/smtp.log" 2>/dev/null && break; sleep 0.1; done
export VBP_SMTP_URL="smtp://127.0.0.1:$smtp_port" VBP_SMTP_TIMEOUT_SECS=20 VBP_JOB_LEASE_SECS=30 VBP_JOB_POLL_MS=100
export VBP_DATABASE_READ_URL="$replica_url"
bash scripts/cluster.sh start >/dev/null
echo "cluster: 2 servers behind HAProxy on $balancer, reads to the replica"
echo "mail waiting: $(sql "SELECT count(*) FROM jobs WHERE status <> 'done'") jobs ($(sql "SELECT string_agg(t || ' ' || n, ', ') FROM (SELECT payload->>'template' AS t, count(*) AS n FROM jobs WHERE status <> 'done' GROUP BY 1 ORDER BY 2 DESC LIMIT 4) x"))"

echo "== drill 1: SIGKILL during a bid rush"
round_before="$(sql "SELECT count(*) FROM rounds")"
started_at="$(sql "SELECT now()")"
"$load" run --base "http://127.0.0.1:$balancer" --database-url "$DATABASE_URL" --suppliers "$suppliers" \
  --lots 2 --concurrency 24 --rate "" --deadline-in 32 --lead 22 --retries 10 \
  --password drill-password-1 > "$work/load.log" 2>&1 &
load_pid=$!
want=$((suppliers * 2 / 4))
killed=""
for _ in $(seq 1 1200); do
  kill -0 "$load_pid" 2>/dev/null || break
  n="$(sql "SELECT count(*) FROM bids b JOIN rounds r ON r.id = b.round_id WHERE r.created_at > '$started_at'" 2>/dev/null || echo 0)"
  if [ "$n" -ge "$want" ]; then
    pid1="$(cat "$VBP_CLUSTER_DIR/serve-1.pid")"
    bash scripts/cluster.sh kill 1
    # the receipt mails the killed server had claimed and not recorded as sent: the only
    # ones that may go twice (accepted by the relay just before the kill)
    sql "COPY (SELECT substr(dedupe_key, 13) FROM jobs WHERE status = 'running' AND locked_by LIKE '%:$pid1:%'
               AND dedupe_key LIKE 'bid_receipt:%') TO STDOUT" > "$work/in-flight.txt"
    killed="$n"
    echo "server 1 killed (SIGKILL) with $n of $((suppliers * 2)) bids in"
    sleep 1
    tick; bash scripts/cluster.sh restart 1; echo "server 1 restarted, ready in $(took) s"
    break
  fi
  sleep 0.05
done
load_rc=0; wait "$load_pid" || load_rc=$?
sed -n '/^sent /,$p' "$work/load.log" | grep -E "^(sent|latency|  status|resent|register)" || cat "$work/load.log"
[ -n "$killed" ] || fail "the rush ended before server 1 could be killed"
[ "$load_rc" = 0 ] || fail "receipts and register disagree (vbp-load exit $load_rc)"
round_id="$(sql "SELECT id FROM rounds ORDER BY created_at DESC LIMIT 1")"
registered="$(sql "SELECT count(*) FROM bid_register WHERE round_id = '$round_id'")"
[ "$(sql "SELECT count(*) FROM rounds")" = $((round_before + 1)) ] || fail "not exactly one new round"
[ "$(sql "SELECT status FROM rounds WHERE id = '$round_id'")" = closed ] || fail "the round is not closed: $(sql "SELECT status FROM rounds WHERE id = '$round_id'")"
# every receipt mail sent, by any server (the killed one's jobs after their lease)
tick
for _ in $(seq 1 900); do
  pending="$(sql "SELECT count(*) FROM jobs j JOIN bid_register r ON j.dedupe_key = 'bid_receipt:' || r.bid_id WHERE r.round_id = '$round_id' AND j.status <> 'done'")"
  [ "$pending" = 0 ] && break
  sleep 0.2
done
[ "$pending" = 0 ] || fail "$pending receipt mails not sent after 180 s"
echo "receipt mails: none pending ($(took) s after the register check)"
sql "COPY (SELECT r.bid_id, j.message_id FROM bid_register r LEFT JOIN jobs j ON j.dedupe_key = 'bid_receipt:' || r.bid_id WHERE r.round_id = '$round_id') TO STDOUT WITH CSV" > "$work/receipts.csv"
"$python" - "$work/receipts.csv" "$work/mail.jsonl" "$work/in-flight.txt" <<'PY' || fail "receipt mails: one lost, or one sent twice that was not in flight in the killed server"
import csv, json, sys, collections
bids = list(csv.reader(open(sys.argv[1])))
in_flight = set(open(sys.argv[3]).read().split())
by_id, by_bid = collections.Counter(), collections.Counter()
for line in open(sys.argv[2], encoding="utf-8"):
    r = json.loads(line)
    if r.get("event") != "message" or "Bid receipt" not in (r.get("subject") or ""):
        continue
    by_id[r["message_id"]] += 1
    for b, _ in bids:
        if b in (r.get("text") or ""):
            by_bid[b] += 1
missing = [b for b, m in bids if not m or by_id[m] == 0]
twice = [b for b, m in bids if m and by_id[m] > 1]
# every copy of a bid's receipt carries the bid's one Message-ID
other_ids = [b for b, m in bids if m and by_bid[b] != by_id[m]]
unexplained = [b for b in twice if b not in in_flight]
print(f"receipt mails: {len(bids)} registered bids, {len(bids) - len(missing) - len(twice)} mailed exactly once, "
      f"{len(missing)} never, {len(twice)} twice (same Message-ID; {len(in_flight)} were in flight in the killed "
      f"server, {len(unexplained)} twice without being in flight), {len(other_ids)} with copies under another Message-ID")
sys.exit(1 if missing or unexplained or other_ids or not bids else 0)
PY
RUST_LOG=warn "$vbp" audit verify || fail "the audit chain does not verify"
RUST_LOG=warn "$vbp" audit bids || fail "stored bids do not match their commitments"
echo "drill 1 passed: $registered bids registered, each with its receipt and its receipt mail"

echo "== drill 2: SIGKILL while a settlement batch is written"
login() { # email -> token
  curl -fs -H 'content-type: application/json' -d "{\"email\":\"$1\",\"password\":\"drill-password-1\"}" \
    "http://127.0.0.1:$balancer/api/v1/auth/login" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
insurer="$(login insurer@vbp.demo)"
settled="SELECT (SELECT count(*) FROM settlement_batches) || ' batches, ' || (SELECT count(*) FROM settlement_lines) || ' lines, ' || (SELECT count(*) FROM payment_orders) || ' payment orders'"
before="$(sql "$settled")"
batches_before="$(sql "SELECT count(*) FROM settlement_batches")"
s2="http://127.0.0.1:$((balancer + 2))"
curl -s -o "$work/batch1.json" -w '%{http_code}' -H "authorization: Bearer $insurer" -H 'content-type: application/json' \
  -d '{}' "$s2/api/v1/settlements/batches" > "$work/batch1.status" 2>/dev/null &
curl_pid=$!
caught=""
for _ in $(seq 1 2000); do
  if [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%INSERT INTO settlement_lines%'")" != 0 ]; then
    bash scripts/cluster.sh kill 2; caught=1; break
  fi
  kill -0 "$curl_pid" 2>/dev/null || break
  sleep 0.02
done
wait "$curl_pid" 2>/dev/null || true
[ -n "$caught" ] || fail "the batch was written before server 2 could be killed (status $(cat "$work/batch1.status"))"
echo "server 2 killed while inserting the settlement lines; the client saw status $(cat "$work/batch1.status")"
for _ in $(seq 1 100); do
  # the backend ends the statement, finds its client gone and rolls back
  [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%INSERT INTO settlement_lines%' AND state <> 'idle'")" = 0 ] && break
  sleep 0.1
done
left="$(sql "$settled")"
echo "settled before: $before (the demo's); after the crash: $left"
[ "$left" = "$before" ] || fail "a half-written batch remains: $left"
bash scripts/cluster.sh restart 2
tick
status="$(curl -s -o "$work/batch2.json" -w '%{http_code}' -H "authorization: Bearer $insurer" -H 'content-type: application/json' \
  -d '{}' "http://127.0.0.1:$balancer/api/v1/settlements/batches")"
[ "$status" = 201 ] || fail "the batch asked again: status $status: $(head -c 300 "$work/batch2.json")"
echo "asked again through the balancer: 201 in $(took) s"
check="$(sql "SELECT b.line_count = (SELECT count(*) FROM settlement_lines l WHERE l.batch_id = b.id)
                 AND b.total = (SELECT sum(amount) FROM settlement_lines l WHERE l.batch_id = b.id)
                 AND b.total = (SELECT sum(total) FROM payment_orders p WHERE p.batch_id = b.id)
                 AND b.line_count >= $lines_accepted - 1 - (SELECT count(*) FROM settlement_lines WHERE batch_id <> b.id), b.line_count
            FROM settlement_batches b ORDER BY created_at DESC LIMIT 1")"
[ "$(sql "SELECT count(*) FROM settlement_batches")" = $((batches_before + 1)) ] || fail "not exactly one new batch"
echo "the batch: $check (whole and reconciled, of $lines_accepted accepted lines)"
[ "${check%%|*}" = t ] || fail "the batch is not whole: $check"
RUST_LOG=warn "$vbp" audit verify >/dev/null || fail "the audit chain does not verify after drill 2"
echo "drill 2 passed"

echo "== drill 3: read your own writes through a replica 3 s behind"
admin="$(login admin@vbp.demo)"
code="$(sql "SELECT code FROM catalog_items ORDER BY code LIMIT 1")"
curl -fs -H "authorization: Bearer $admin" "http://127.0.0.1:$balancer/api/v1/catalog/export.csv" > "$work/catalog.csv"
"$python" - "$work/catalog.csv" "$code" "$work/change.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig")))
head = rows[0]
row = next(r for r in rows[1:] if r[head.index("code")] == sys.argv[2])
m = head.index("manufacturer")
row[m] = "Drill Renamed Pharmaceutical Co., Ltd."
w = csv.writer(open(sys.argv[3], "w", encoding="utf-8", newline=""))
w.writerow(head); w.writerow(row)
PY
manufacturer() { "$python" -c 'import json,sys; print(json.load(sys.stdin)["manufacturer"])'; }
# read_item [curl args...]: the item's manufacturer; a failed read (not 200) is tried again
# twice, 0.3 s apart, then fails the drill with its status and body
read_item() {
  local status
  for attempt in 1 2 3; do
    status="$(curl -s -o "$work/item.json" -w '%{http_code}' -H "authorization: Bearer $admin" "$@" "$item")"
    if [ "$status" = 200 ]; then manufacturer < "$work/item.json"; return 0; fi
    echo "drill 3: a read answered $status (attempt $attempt): $(head -c 300 "$work/item.json")" >&2
    sleep 0.3
  done
  fail "the catalog item could not be read (status $status)"
}
status="$(curl -s -D "$work/import.headers" -o "$work/import.json" -w '%{http_code}' -c "$work/jar" \
  -H "authorization: Bearer $admin" -H 'content-type: text/csv' \
  --data-binary @"$work/change.csv" "http://127.0.0.1:$balancer/api/v1/catalog/imports")"
[ "$status" = 200 ] || fail "the catalog change: status $status: $(head -c 400 "$work/import.json")"
lsn="$(tr -d '\r' < "$work/import.headers" | sed -nE 's/^vbp-lsn: (.*)$/\1/Ip')"
[ -n "$lsn" ] || fail "the write's answer has no VBP-LSN header"
item="http://127.0.0.1:$balancer/api/v1/catalog/items/$code"
# the read without a position first, while the replica is surely behind (3 s)
stale="$(read_item)"
fresh_header="$(read_item -H "VBP-Min-LSN: $lsn")"
fresh_cookie="$(read_item -b "$work/jar")"
echo "write at $lsn; read at once: with VBP-Min-LSN '$fresh_header', with the cookie '$fresh_cookie', with neither '$stale'"
[ "$fresh_header" = "Drill Renamed Pharmaceutical Co., Ltd." ] || fail "a read with the write's position is stale"
[ "$fresh_cookie" = "Drill Renamed Pharmaceutical Co., Ltd." ] || fail "a read with the cookie is stale"
[ "$stale" != "Drill Renamed Pharmaceutical Co., Ltd." ] || fail "the replica is not behind: the drill proves nothing"
sleep 4
late="$(read_item)"
[ "$late" = "Drill Renamed Pharmaceutical Co., Ltd." ] || fail "the replica did not catch up in 4 s"
reads="$(curl -fs "http://127.0.0.1:$balancer/metrics" | grep '^vbp_db_reads_total' | tr '\n' ' ')"
echo "4 s later, without a position: '$late'; $reads"
echo "drill 3 passed"

echo "== drill 4: point-in-time restore"
bash scripts/cluster.sh stop
counts="SELECT (SELECT count(*) FROM bids) || ' bids, ' || (SELECT count(*) FROM bid_register) || ' registered, ' || (SELECT count(*) FROM audit_log) || ' audit entries, ' || (SELECT count(*) FROM settlement_lines) || ' settlement lines'"
at_point="$(sql "$counts")"
sql "SELECT pg_create_restore_point('vbp_drill')" >/dev/null
sql "CREATE TABLE after_the_point AS SELECT 1 AS x" >/dev/null
# the segment holding the restore point, archived once it is switched out
segment="$(sql "SELECT pg_walfile_name(pg_current_wal_lsn())")"
sql "SELECT pg_switch_wal()" >/dev/null
for _ in $(seq 1 150); do [ -f "$work/archive/$segment" ] && break; sleep 0.2; done
[ -f "$work/archive/$segment" ] || fail "WAL segment $segment was not archived"
echo "at the restore point: $at_point; WAL archive $(du -sh "$work/archive" | cut -f1) in $(ls "$work/archive" | wc -l) segments"
tick
cp -a "$work/base" "$work/restored"
cat >> "$work/restored/postgresql.auto.conf" <<EOF
restore_command = 'cp $work/archive/%f %p'
recovery_target_name = 'vbp_drill'
recovery_target_action = 'promote'
archive_mode = off
EOF
touch "$work/restored/recovery.signal"
[ ${#run[@]} -gt 0 ] && chown -R postgres "$work/restored"
pg_restored="$(free_port "$pg_restored")" # still free now?
restored_url="postgres://postgres@127.0.0.1:$pg_restored/vbp_drill"
pg_start "$work/restored" "$pg_restored"
for _ in $(seq 1 600); do
  [ "$(psql_at "$pg_restored" -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
  sleep 0.2
done
[ "$(psql_at "$pg_restored" -d postgres -c 'SELECT pg_is_in_recovery()')" = f ] || fail "the restored cluster did not reach the restore point"
echo "restored: base backup + WAL replayed to the restore point and promoted in $(took) s"
restored="$(psql_at "$pg_restored" -d vbp_drill -c "$counts")"
echo "on the restored copy: $restored"
[ "$restored" = "$at_point" ] || fail "the restored copy differs from the restore point"
[ "$(psql_at "$pg_restored" -d vbp_drill -c "SELECT to_regclass('after_the_point') IS NULL")" = t ] || fail "a change after the restore point was restored"
DATABASE_URL="$restored_url" RUST_LOG=warn "$vbp" audit verify || fail "the restored audit chain does not verify"
DATABASE_URL="$restored_url" RUST_LOG=warn "$vbp" audit bids || fail "restored bids do not match their commitments"
echo "drill 4 passed"
echo "drills: all passed"

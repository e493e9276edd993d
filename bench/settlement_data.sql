-- Synthetic accepted deliveries for the settlement benchmark (bench/settlement.sh), on
-- the demo's awarded round: 100 suppliers, each holding Beijing's three contracts of that
-- round (copies, status completed, so the active ones stay unique), 1,000 Beijing
-- hospitals, :orders orders of three lines each (one line per contract), every order
-- confirmed, shipped in one delivery and accepted whole last month. Supplier 1 has one
-- order in ten (100,000 lines of the 1,000,000): the statement benchmark reads it.
\set ON_ERROR_STOP on
BEGIN;
-- ids as the platform makes them (UUID v7: time-ordered, Uuid::now_v7): `ms` milliseconds
-- since the epoch, then a counter
CREATE FUNCTION pg_temp.v7(ms bigint, n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT (lpad(to_hex(ms), 12, '0') || '7' || lpad(to_hex(n % 4096), 3, '0') || '8'
            || lpad(to_hex(n), 15, '0'))::uuid $$;
CREATE TEMP TABLE bench_clock AS
SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint - 40::bigint * 86400000 AS ms;
CREATE TEMP TABLE bench_suppliers AS
SELECT g, gen_random_uuid() AS id FROM generate_series(1, 100) g;
INSERT INTO organisations (id, name, kind)
SELECT id, 'Bench supplier ' || g, 'supplier' FROM bench_suppliers;
CREATE TEMP TABLE bench_hospitals AS
SELECT g, gen_random_uuid() AS id FROM generate_series(1, 1000) g;
INSERT INTO organisations (id, name, kind, province)
SELECT id, '基准医院 Bench hospital ' || g, 'hospital', '110000' FROM bench_hospitals;
CREATE TEMP TABLE bench_contracts AS
SELECT s.g AS supplier_g, s.id AS supplier_org_id, gen_random_uuid() AS id,
       row_number() OVER (PARTITION BY s.g ORDER BY c.id) AS k, c.id AS model
FROM bench_suppliers s
CROSS JOIN (SELECT c.id FROM contracts c JOIN rounds r ON r.id = c.round_id
            WHERE c.province = '110000' AND c.status = 'active' AND r.status = 'awarded'
            ORDER BY c.id LIMIT 3) c;
INSERT INTO contracts (id, round_id, lot_id, province, supplier_org_id, bid_id, product_code, rank,
                       unit_price, annual_demand, agreed_volume, annual_amount, cycle_start, cycle_end, status, ended_at)
SELECT b.id, c.round_id, c.lot_id, c.province, b.supplier_org_id, c.bid_id, c.product_code, c.rank,
       c.unit_price, c.annual_demand, c.agreed_volume, c.annual_amount, c.cycle_start, c.cycle_end, 'completed', now()
FROM bench_contracts b JOIN contracts c ON c.id = b.model;
-- who placed, shipped and accepted (one demo user; the rows' owners are the synthetic orgs)
CREATE TEMP TABLE bench_user AS SELECT id FROM users WHERE email = 'hospital@vbp.demo';
CREATE TEMP TABLE bench_orders AS
SELECT n AS g, pg_temp.v7(c.ms + n * 3, n * 2) AS id, pg_temp.v7(c.ms + n * 3 + 1, n * 2 + 1) AS delivery_id,
       h.id AS hospital_org_id,
       CASE WHEN n % 10 = 0 THEN 1 ELSE 2 + n % 99 END AS supplier_g,
       (date_trunc('month', china_today()) - interval '1 month')::date + (n % 28) AS accepted_on
FROM generate_series(1, :orders) n JOIN bench_hospitals h ON h.g = 1 + n % 1000, bench_clock c;
ALTER TABLE bench_orders ADD COLUMN supplier_org_id uuid;
UPDATE bench_orders o SET supplier_org_id = s.id FROM bench_suppliers s WHERE s.g = o.supplier_g;
INSERT INTO orders (id, hospital_org_id, province, supplier_org_id, status, created_by, decided_at)
SELECT o.id, o.hospital_org_id, '110000', o.supplier_org_id, 'confirmed', u.id, now()
FROM bench_orders o, bench_user u;
CREATE TEMP TABLE bench_lines AS
SELECT o.id AS order_id, o.delivery_id, pg_temp.v7(t.ms + o.g * 3, o.g * 8 + c.k) AS id,
       pg_temp.v7(t.ms + o.g * 3 + 2, o.g * 8 + 4 + c.k) AS delivery_line_id,
       c.k AS line_no, c.id AS contract_id, 1 + (o.g * 7 + c.k * 13) % 997 AS quantity
FROM bench_orders o JOIN bench_contracts c ON c.supplier_g = o.supplier_g, bench_clock t;
INSERT INTO order_lines (id, order_id, province, line_no, contract_id, product_code, unit_price, quantity, shipped, accepted)
SELECT l.id, l.order_id, '110000', l.line_no, l.contract_id, c.product_code, c.unit_price, l.quantity, l.quantity, l.quantity
FROM bench_lines l JOIN contracts c ON c.id = l.contract_id;
INSERT INTO deliveries (id, order_id, province, hospital_org_id, supplier_org_id, shipped_by_org_id, shipped_by, batch_no,
                        expiry_date, invoice_no, status, shipped_at, accepted_at, accepted_by, accepted_on, due_date)
SELECT o.delivery_id, o.id, '110000', o.hospital_org_id, o.supplier_org_id, o.supplier_org_id, u.id, 'B' || o.g,
       o.accepted_on + 700, 'FP-' || o.g, 'accepted', o.accepted_on, o.accepted_on, u.id, o.accepted_on,
       o.accepted_on + 30
FROM bench_orders o, bench_user u;
INSERT INTO delivery_lines (id, delivery_id, order_line_id, province, contract_id, unit_price, quantity, accepted)
SELECT l.delivery_line_id, l.delivery_id, l.id, '110000', l.contract_id, c.unit_price, l.quantity, l.quantity
FROM bench_lines l JOIN contracts c ON c.id = l.contract_id;
COMMIT;
ANALYZE;

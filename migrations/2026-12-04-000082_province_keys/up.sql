-- Before Citus (docs/operations.md, "Past one database machine"): every table after the
-- award is keyed by province, so that a Citus cluster can distribute them all by that
-- column, co-located (a province's orders, deliveries, lines, trace codes, quotas, funds
-- and payments on one node, joined there), and so that PostgreSQL's partitioning by
-- province (settlement lines, and deliveries with their lines next) prunes to one
-- province. tests/integration/citus.rs checks the result against the layout.
--
-- What changes:
-- * the province is a column of every such table (copied from the parent it belongs to:
--   an order line's, a delivery's and a trace code's order, a quota's contract, a fund
--   entry's hospital fund, a payment's payment order);
-- * each primary key and unique rule includes it (a row's id is unique by itself, UUID v7
--   or a sequence, so the keys refuse nothing they did not refuse before: a hospital, a
--   contract, an order and a delivery line each belong to one province);
-- * a foreign key between two such tables joins by (id, province), so a child can never
--   sit in another province than its parent;
-- * what must be unique nationwide cannot be a distributed table's unique index: a bank
--   reference has been the local table bank_references' key from the start (the copies on
--   payments and prepayments go), and a trace code's nationwide claim moves to its own
--   table, trace_code_claims, keyed by the code alone (distributed by the code in a
--   cluster: a co-location group of its own, referencing nothing);
-- * a contract (a reference table, copied to every node) no longer points at the bid it
--   came from with a foreign key: bids stay on the coordinator, and Citus refuses a
--   reference table's key into a local one. The award writes a contract and reads its
--   bid in one transaction, and neither changes after it.

-- orders -------------------------------------------------------------------------------
ALTER TABLE orders DROP CONSTRAINT orders_moved_from_fkey;
ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_order_id_fkey;
ALTER TABLE orders DROP CONSTRAINT orders_pkey;
ALTER TABLE orders ADD PRIMARY KEY (id, province);
ALTER TABLE orders ADD CONSTRAINT orders_moved_from_fkey
    FOREIGN KEY (moved_from, province) REFERENCES orders (id, province);
DROP INDEX orders_idempotency_idx;
CREATE UNIQUE INDEX orders_idempotency_idx ON orders (hospital_org_id, province, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- order lines --------------------------------------------------------------------------
ALTER TABLE delivery_lines DROP CONSTRAINT delivery_lines_order_line_id_fkey;
ALTER TABLE order_lines ADD COLUMN province CHAR(6);
UPDATE order_lines l SET province = o.province FROM orders o WHERE o.id = l.order_id;
ALTER TABLE order_lines ALTER COLUMN province SET NOT NULL;
ALTER TABLE order_lines DROP CONSTRAINT order_lines_pkey;
ALTER TABLE order_lines ADD PRIMARY KEY (id, province);
ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_contract_id_key;
ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_id_contract_id_key UNIQUE (order_id, province, contract_id);
ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_line_no_key;
ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_id_line_no_key UNIQUE (order_id, province, line_no);
ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_id_fkey
    FOREIGN KEY (order_id, province) REFERENCES orders (id, province);

-- deliveries ---------------------------------------------------------------------------
ALTER TABLE delivery_lines DROP CONSTRAINT delivery_lines_delivery_id_fkey;
ALTER TABLE deliveries ADD COLUMN province CHAR(6);
UPDATE deliveries d SET province = o.province FROM orders o WHERE o.id = d.order_id;
ALTER TABLE deliveries ALTER COLUMN province SET NOT NULL;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_pkey;
ALTER TABLE deliveries ADD PRIMARY KEY (id, province);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_order_id_fkey
    FOREIGN KEY (order_id, province) REFERENCES orders (id, province);

-- delivery lines -----------------------------------------------------------------------
ALTER TABLE trace_codes DROP CONSTRAINT trace_codes_delivery_line_id_fkey;
ALTER TABLE overdue_lines DROP CONSTRAINT overdue_lines_delivery_line_id_fkey;
ALTER TABLE line_disputes DROP CONSTRAINT line_disputes_delivery_line_id_fkey;
ALTER TABLE delivery_lines ADD COLUMN province CHAR(6);
UPDATE delivery_lines l SET province = d.province FROM deliveries d WHERE d.id = l.delivery_id;
ALTER TABLE delivery_lines ALTER COLUMN province SET NOT NULL;
ALTER TABLE delivery_lines DROP CONSTRAINT delivery_lines_pkey;
ALTER TABLE delivery_lines ADD PRIMARY KEY (id, province);
ALTER TABLE delivery_lines DROP CONSTRAINT delivery_lines_delivery_id_order_line_id_key;
ALTER TABLE delivery_lines ADD CONSTRAINT delivery_lines_delivery_id_order_line_id_key
    UNIQUE (delivery_id, province, order_line_id);
ALTER TABLE delivery_lines ADD CONSTRAINT delivery_lines_delivery_id_fkey
    FOREIGN KEY (delivery_id, province) REFERENCES deliveries (id, province);
ALTER TABLE delivery_lines ADD CONSTRAINT delivery_lines_order_line_id_fkey
    FOREIGN KEY (order_line_id, province) REFERENCES order_lines (id, province);

-- trace codes: the line's copy by province, the nationwide claim by code -----------------
CREATE TABLE trace_code_claims (
    code     TEXT PRIMARY KEY CHECK (code ~ '^[0-9]{8,20}$'),
    province CHAR(6) NOT NULL REFERENCES provinces (code)
);
INSERT INTO trace_code_claims (code, province)
SELECT t.code, l.province FROM trace_codes t JOIN delivery_lines l ON l.id = t.delivery_line_id;
ALTER TABLE trace_codes ADD COLUMN province CHAR(6);
UPDATE trace_codes t SET province = l.province FROM delivery_lines l WHERE l.id = t.delivery_line_id;
ALTER TABLE trace_codes ALTER COLUMN province SET NOT NULL;
ALTER TABLE trace_codes DROP CONSTRAINT trace_codes_pkey;
ALTER TABLE trace_codes ADD PRIMARY KEY (code, province);
ALTER TABLE trace_codes ADD CONSTRAINT trace_codes_delivery_line_id_fkey
    FOREIGN KEY (delivery_line_id, province) REFERENCES delivery_lines (id, province);

-- overdue lines and disputes -----------------------------------------------------------
ALTER TABLE overdue_lines DROP CONSTRAINT overdue_lines_pkey;
ALTER TABLE overdue_lines ADD PRIMARY KEY (delivery_line_id, province);
ALTER TABLE overdue_lines ADD CONSTRAINT overdue_lines_delivery_line_id_fkey
    FOREIGN KEY (delivery_line_id, province) REFERENCES delivery_lines (id, province);
ALTER TABLE line_disputes DROP CONSTRAINT line_disputes_pkey;
ALTER TABLE line_disputes ADD PRIMARY KEY (id, province);
DROP INDEX line_disputes_open_idx;
CREATE UNIQUE INDEX line_disputes_open_idx ON line_disputes (delivery_line_id, province)
    WHERE resolved_at IS NULL;
ALTER TABLE line_disputes ADD CONSTRAINT line_disputes_delivery_line_id_fkey
    FOREIGN KEY (delivery_line_id, province) REFERENCES delivery_lines (id, province);

-- shortage reports and quotas ----------------------------------------------------------
ALTER TABLE shortage_reports DROP CONSTRAINT shortage_reports_pkey;
ALTER TABLE shortage_reports ADD PRIMARY KEY (id, province);
ALTER TABLE quotas ADD COLUMN province CHAR(6);
UPDATE quotas q SET province = c.province FROM contracts c WHERE c.id = q.contract_id;
ALTER TABLE quotas ALTER COLUMN province SET NOT NULL;
ALTER TABLE quotas ADD CONSTRAINT quotas_province_fkey FOREIGN KEY (province) REFERENCES provinces (code);
ALTER TABLE quotas DROP CONSTRAINT quotas_pkey;
ALTER TABLE quotas ADD PRIMARY KEY (contract_id, province, hospital_org_id);

-- settlement: batches, payment orders, payments ----------------------------------------
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_batch_id_fkey;
ALTER TABLE payments DROP CONSTRAINT payments_payment_order_id_fkey;
ALTER TABLE fund_entries DROP CONSTRAINT fund_entries_payment_id_fkey;
ALTER TABLE fund_entries DROP CONSTRAINT fund_entries_prepayment_id_fkey;
ALTER TABLE settlement_batches DROP CONSTRAINT settlement_batches_pkey;
ALTER TABLE settlement_batches ADD PRIMARY KEY (id, province);
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_pkey;
ALTER TABLE payment_orders ADD PRIMARY KEY (id, province);
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_batch_id_supplier_org_id_key;
ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_batch_id_supplier_org_id_key
    UNIQUE (batch_id, province, supplier_org_id);
ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_batch_id_fkey
    FOREIGN KEY (batch_id, province) REFERENCES settlement_batches (id, province);

ALTER TABLE payments ADD COLUMN province CHAR(6);
UPDATE payments p SET province = o.province FROM payment_orders o WHERE o.id = p.payment_order_id;
ALTER TABLE payments ALTER COLUMN province SET NOT NULL;
ALTER TABLE payments DROP CONSTRAINT payments_pkey;
ALTER TABLE payments ADD PRIMARY KEY (id, province);
ALTER TABLE payments DROP CONSTRAINT payments_payment_order_id_key;
ALTER TABLE payments ADD CONSTRAINT payments_payment_order_id_key UNIQUE (payment_order_id, province);
ALTER TABLE payments DROP CONSTRAINT payments_bank_reference_key;
CREATE INDEX payments_bank_reference_idx ON payments (bank_reference);
ALTER TABLE payments ADD CONSTRAINT payments_payment_order_id_fkey
    FOREIGN KEY (payment_order_id, province) REFERENCES payment_orders (id, province);

-- prepayments, funds and the ledger ----------------------------------------------------
ALTER TABLE prepayments DROP CONSTRAINT prepayments_pkey;
ALTER TABLE prepayments ADD PRIMARY KEY (id, province);
ALTER TABLE prepayments DROP CONSTRAINT prepayments_bank_reference_key;
CREATE INDEX prepayments_bank_reference_idx ON prepayments (bank_reference);
ALTER TABLE prepayments DROP CONSTRAINT prepayments_round_id_hospital_org_id_key;
ALTER TABLE prepayments ADD CONSTRAINT prepayments_round_id_hospital_org_id_key
    UNIQUE (round_id, hospital_org_id, province);
ALTER TABLE hospital_funds DROP CONSTRAINT hospital_funds_pkey;
ALTER TABLE hospital_funds ADD PRIMARY KEY (hospital_org_id, province);

ALTER TABLE fund_entries ADD COLUMN province CHAR(6);
UPDATE fund_entries e SET province = o.province FROM organisations o WHERE o.id = e.hospital_org_id;
ALTER TABLE fund_entries ALTER COLUMN province SET NOT NULL;
ALTER TABLE fund_entries ADD CONSTRAINT fund_entries_province_fkey FOREIGN KEY (province) REFERENCES provinces (code);
ALTER TABLE fund_entries DROP CONSTRAINT fund_entries_pkey;
ALTER TABLE fund_entries ADD PRIMARY KEY (id, province);
ALTER TABLE fund_entries ADD CONSTRAINT fund_entries_prepayment_id_fkey
    FOREIGN KEY (prepayment_id, province) REFERENCES prepayments (id, province);
ALTER TABLE fund_entries ADD CONSTRAINT fund_entries_payment_id_fkey
    FOREIGN KEY (payment_id, province) REFERENCES payments (id, province);

-- contracts: no key into the coordinator's bids ----------------------------------------
ALTER TABLE contracts DROP CONSTRAINT contracts_bid_id_fkey;
ALTER TABLE contracts DROP CONSTRAINT contracts_backup_bid_id_fkey;

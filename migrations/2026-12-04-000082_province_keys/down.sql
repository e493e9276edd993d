ALTER TABLE contracts ADD CONSTRAINT contracts_bid_id_fkey FOREIGN KEY (bid_id) REFERENCES bids (id);
ALTER TABLE contracts ADD CONSTRAINT contracts_backup_bid_id_fkey FOREIGN KEY (backup_bid_id) REFERENCES bids (id);

ALTER TABLE fund_entries DROP CONSTRAINT fund_entries_payment_id_fkey;
ALTER TABLE fund_entries DROP CONSTRAINT fund_entries_prepayment_id_fkey;
ALTER TABLE fund_entries DROP CONSTRAINT fund_entries_pkey;
ALTER TABLE fund_entries DROP COLUMN province;
ALTER TABLE fund_entries ADD PRIMARY KEY (id);
ALTER TABLE hospital_funds DROP CONSTRAINT hospital_funds_pkey;
ALTER TABLE hospital_funds ADD PRIMARY KEY (hospital_org_id);
ALTER TABLE prepayments DROP CONSTRAINT prepayments_round_id_hospital_org_id_key;
ALTER TABLE prepayments ADD CONSTRAINT prepayments_round_id_hospital_org_id_key UNIQUE (round_id, hospital_org_id);
DROP INDEX prepayments_bank_reference_idx;
ALTER TABLE prepayments ADD CONSTRAINT prepayments_bank_reference_key UNIQUE (bank_reference);
ALTER TABLE prepayments DROP CONSTRAINT prepayments_pkey;
ALTER TABLE prepayments ADD PRIMARY KEY (id);

ALTER TABLE payments DROP CONSTRAINT payments_payment_order_id_fkey;
DROP INDEX payments_bank_reference_idx;
ALTER TABLE payments ADD CONSTRAINT payments_bank_reference_key UNIQUE (bank_reference);
ALTER TABLE payments DROP CONSTRAINT payments_payment_order_id_key;
ALTER TABLE payments ADD CONSTRAINT payments_payment_order_id_key UNIQUE (payment_order_id);
ALTER TABLE payments DROP CONSTRAINT payments_pkey;
ALTER TABLE payments DROP COLUMN province;
ALTER TABLE payments ADD PRIMARY KEY (id);
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_batch_id_fkey;
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_batch_id_supplier_org_id_key;
ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_batch_id_supplier_org_id_key UNIQUE (batch_id, supplier_org_id);
ALTER TABLE payment_orders DROP CONSTRAINT payment_orders_pkey;
ALTER TABLE payment_orders ADD PRIMARY KEY (id);
ALTER TABLE settlement_batches DROP CONSTRAINT settlement_batches_pkey;
ALTER TABLE settlement_batches ADD PRIMARY KEY (id);
ALTER TABLE payment_orders ADD CONSTRAINT payment_orders_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES settlement_batches (id);
ALTER TABLE payments ADD CONSTRAINT payments_payment_order_id_fkey FOREIGN KEY (payment_order_id) REFERENCES payment_orders (id);
ALTER TABLE fund_entries ADD CONSTRAINT fund_entries_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES payments (id);
ALTER TABLE fund_entries ADD CONSTRAINT fund_entries_prepayment_id_fkey FOREIGN KEY (prepayment_id) REFERENCES prepayments (id);

ALTER TABLE quotas DROP CONSTRAINT quotas_pkey;
ALTER TABLE quotas DROP COLUMN province;
ALTER TABLE quotas ADD PRIMARY KEY (contract_id, hospital_org_id);
ALTER TABLE shortage_reports DROP CONSTRAINT shortage_reports_pkey;
ALTER TABLE shortage_reports ADD PRIMARY KEY (id);

ALTER TABLE line_disputes DROP CONSTRAINT line_disputes_delivery_line_id_fkey;
DROP INDEX line_disputes_open_idx;
CREATE UNIQUE INDEX line_disputes_open_idx ON line_disputes (delivery_line_id) WHERE resolved_at IS NULL;
ALTER TABLE line_disputes DROP CONSTRAINT line_disputes_pkey;
ALTER TABLE line_disputes ADD PRIMARY KEY (id);
ALTER TABLE overdue_lines DROP CONSTRAINT overdue_lines_delivery_line_id_fkey;
ALTER TABLE overdue_lines DROP CONSTRAINT overdue_lines_pkey;
ALTER TABLE overdue_lines ADD PRIMARY KEY (delivery_line_id);

ALTER TABLE trace_codes DROP CONSTRAINT trace_codes_delivery_line_id_fkey;
ALTER TABLE trace_codes DROP CONSTRAINT trace_codes_pkey;
ALTER TABLE trace_codes DROP COLUMN province;
ALTER TABLE trace_codes ADD PRIMARY KEY (code);
DROP TABLE trace_code_claims;

ALTER TABLE delivery_lines DROP CONSTRAINT delivery_lines_order_line_id_fkey;
ALTER TABLE delivery_lines DROP CONSTRAINT delivery_lines_delivery_id_fkey;
ALTER TABLE delivery_lines DROP CONSTRAINT delivery_lines_delivery_id_order_line_id_key;
ALTER TABLE delivery_lines DROP CONSTRAINT delivery_lines_pkey;
ALTER TABLE delivery_lines DROP COLUMN province;
ALTER TABLE delivery_lines ADD PRIMARY KEY (id);
ALTER TABLE delivery_lines ADD CONSTRAINT delivery_lines_delivery_id_order_line_id_key UNIQUE (delivery_id, order_line_id);

ALTER TABLE deliveries DROP CONSTRAINT deliveries_order_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_pkey;
ALTER TABLE deliveries DROP COLUMN province;
ALTER TABLE deliveries ADD PRIMARY KEY (id);

ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_fkey;
ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_line_no_key;
ALTER TABLE order_lines DROP CONSTRAINT order_lines_order_id_contract_id_key;
ALTER TABLE order_lines DROP CONSTRAINT order_lines_pkey;
ALTER TABLE order_lines DROP COLUMN province;
ALTER TABLE order_lines ADD PRIMARY KEY (id);
ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_id_contract_id_key UNIQUE (order_id, contract_id);
ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_id_line_no_key UNIQUE (order_id, line_no);

DROP INDEX orders_idempotency_idx;
CREATE UNIQUE INDEX orders_idempotency_idx ON orders (hospital_org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_moved_from_fkey;
ALTER TABLE orders DROP CONSTRAINT orders_pkey;
ALTER TABLE orders ADD PRIMARY KEY (id);
ALTER TABLE orders ADD CONSTRAINT orders_moved_from_fkey FOREIGN KEY (moved_from) REFERENCES orders (id);
ALTER TABLE order_lines ADD CONSTRAINT order_lines_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE delivery_lines ADD CONSTRAINT delivery_lines_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES deliveries (id);
ALTER TABLE delivery_lines ADD CONSTRAINT delivery_lines_order_line_id_fkey FOREIGN KEY (order_line_id) REFERENCES order_lines (id);
ALTER TABLE trace_codes ADD CONSTRAINT trace_codes_delivery_line_id_fkey FOREIGN KEY (delivery_line_id) REFERENCES delivery_lines (id);
ALTER TABLE overdue_lines ADD CONSTRAINT overdue_lines_delivery_line_id_fkey FOREIGN KEY (delivery_line_id) REFERENCES delivery_lines (id);
ALTER TABLE line_disputes ADD CONSTRAINT line_disputes_delivery_line_id_fkey FOREIGN KEY (delivery_line_id) REFERENCES delivery_lines (id);

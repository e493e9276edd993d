-- back to one table each (keys by province stay: 000082's)
ALTER TABLE trace_codes DROP CONSTRAINT trace_codes_delivery_line_id_fkey;
ALTER TABLE overdue_lines DROP CONSTRAINT overdue_lines_delivery_line_id_fkey;
ALTER TABLE line_disputes DROP CONSTRAINT line_disputes_delivery_line_id_fkey;

ALTER TABLE delivery_lines RENAME TO delivery_lines_partitioned;
ALTER TABLE deliveries RENAME TO deliveries_partitioned;
CREATE TABLE deliveries (LIKE deliveries_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
CREATE TABLE delivery_lines (LIKE delivery_lines_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO deliveries SELECT * FROM deliveries_partitioned;
INSERT INTO delivery_lines SELECT * FROM delivery_lines_partitioned;
DROP TABLE delivery_lines_partitioned;
DROP TABLE deliveries_partitioned;

ALTER TABLE deliveries ADD PRIMARY KEY (id, province);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_order_id_fkey FOREIGN KEY (order_id, province) REFERENCES orders (id, province);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_province_fkey FOREIGN KEY (province) REFERENCES provinces (code);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_hospital_org_id_fkey FOREIGN KEY (hospital_org_id) REFERENCES organisations (id);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_supplier_org_id_fkey FOREIGN KEY (supplier_org_id) REFERENCES organisations (id);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_shipped_by_org_id_fkey FOREIGN KEY (shipped_by_org_id) REFERENCES organisations (id);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_shipped_by_fkey FOREIGN KEY (shipped_by) REFERENCES users (id);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_accepted_by_fkey FOREIGN KEY (accepted_by) REFERENCES users (id);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_settings_id_fkey FOREIGN KEY (settings_id) REFERENCES settlement_settings (id);
CREATE INDEX deliveries_due_idx ON deliveries (due_date) WHERE status = 'accepted';
CREATE INDEX deliveries_hospital_accepted_idx ON deliveries (hospital_org_id, accepted_on, id) WHERE status = 'accepted';
CREATE INDEX deliveries_hospital_idx ON deliveries (hospital_org_id, shipped_at DESC);
CREATE INDEX deliveries_order_idx ON deliveries (order_id);
CREATE INDEX deliveries_supplier_accepted_idx ON deliveries (supplier_org_id, accepted_on, id) WHERE status = 'accepted';
CREATE INDEX deliveries_supplier_idx ON deliveries (supplier_org_id, shipped_at DESC);

ALTER TABLE delivery_lines ADD PRIMARY KEY (id, province);
ALTER TABLE delivery_lines ADD CONSTRAINT delivery_lines_delivery_id_order_line_id_key UNIQUE (delivery_id, province, order_line_id);
ALTER TABLE delivery_lines ADD CONSTRAINT delivery_lines_delivery_id_fkey FOREIGN KEY (delivery_id, province) REFERENCES deliveries (id, province);
ALTER TABLE delivery_lines ADD CONSTRAINT delivery_lines_order_line_id_fkey FOREIGN KEY (order_line_id, province) REFERENCES order_lines (id, province);
ALTER TABLE delivery_lines ADD CONSTRAINT delivery_lines_contract_id_fkey FOREIGN KEY (contract_id) REFERENCES contracts (id);
CREATE INDEX delivery_lines_contract_idx ON delivery_lines (contract_id);
CREATE INDEX delivery_lines_order_line_idx ON delivery_lines (order_line_id);

ALTER TABLE trace_codes ADD CONSTRAINT trace_codes_delivery_line_id_fkey
    FOREIGN KEY (delivery_line_id, province) REFERENCES delivery_lines (id, province);
ALTER TABLE overdue_lines ADD CONSTRAINT overdue_lines_delivery_line_id_fkey
    FOREIGN KEY (delivery_line_id, province) REFERENCES delivery_lines (id, province);
ALTER TABLE line_disputes ADD CONSTRAINT line_disputes_delivery_line_id_fkey
    FOREIGN KEY (delivery_line_id, province) REFERENCES delivery_lines (id, province);

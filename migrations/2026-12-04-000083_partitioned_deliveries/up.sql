-- Deliveries and their lines grow without bound (millions of lines a month in a national
-- round) and every statement that reads them is one province's or one party's: a
-- hospital's acceptance, a supplier's shipment, a settlement batch's join, a statement's
-- page, the overdue scan. Like the settlement lines (000080) they are partitioned by
-- province (LIST): one partition per province and a default one for a code added later.
-- Their keys include the province since 000082, as PostgreSQL requires of a partitioned
-- table's unique indexes; the foreign keys into them (trace codes, overdue lines,
-- disputes) and between them join by (id, province).
ALTER TABLE trace_codes DROP CONSTRAINT trace_codes_delivery_line_id_fkey;
ALTER TABLE overdue_lines DROP CONSTRAINT overdue_lines_delivery_line_id_fkey;
ALTER TABLE line_disputes DROP CONSTRAINT line_disputes_delivery_line_id_fkey;

ALTER TABLE delivery_lines RENAME TO delivery_lines_unpartitioned;
ALTER TABLE delivery_lines_unpartitioned RENAME CONSTRAINT delivery_lines_pkey TO delivery_lines_unpartitioned_pkey;
ALTER TABLE delivery_lines_unpartitioned RENAME CONSTRAINT delivery_lines_delivery_id_order_line_id_key
    TO delivery_lines_unpartitioned_delivery_order_line_key;
ALTER TABLE delivery_lines_unpartitioned DROP CONSTRAINT delivery_lines_delivery_id_fkey;
ALTER TABLE delivery_lines_unpartitioned DROP CONSTRAINT delivery_lines_order_line_id_fkey;
ALTER TABLE delivery_lines_unpartitioned DROP CONSTRAINT delivery_lines_contract_id_fkey;
ALTER INDEX delivery_lines_contract_idx RENAME TO delivery_lines_unpartitioned_contract_idx;
ALTER INDEX delivery_lines_order_line_idx RENAME TO delivery_lines_unpartitioned_order_line_idx;

ALTER TABLE deliveries RENAME TO deliveries_unpartitioned;
ALTER TABLE deliveries_unpartitioned RENAME CONSTRAINT deliveries_pkey TO deliveries_unpartitioned_pkey;
ALTER TABLE deliveries_unpartitioned DROP CONSTRAINT deliveries_order_id_fkey;
ALTER INDEX deliveries_due_idx RENAME TO deliveries_unpartitioned_due_idx;
ALTER INDEX deliveries_hospital_accepted_idx RENAME TO deliveries_unpartitioned_hospital_accepted_idx;
ALTER INDEX deliveries_hospital_idx RENAME TO deliveries_unpartitioned_hospital_idx;
ALTER INDEX deliveries_order_idx RENAME TO deliveries_unpartitioned_order_idx;
ALTER INDEX deliveries_supplier_accepted_idx RENAME TO deliveries_unpartitioned_supplier_accepted_idx;
ALTER INDEX deliveries_supplier_idx RENAME TO deliveries_unpartitioned_supplier_idx;
-- the old tables' check constraints keep their names until they are dropped below
ALTER TABLE deliveries_unpartitioned DROP CONSTRAINT deliveries_accepted;
ALTER TABLE delivery_lines_unpartitioned DROP CONSTRAINT delivery_lines_reason;

CREATE TABLE deliveries (
    id                UUID NOT NULL,
    order_id          UUID NOT NULL,
    province          CHAR(6) NOT NULL REFERENCES provinces (code),
    hospital_org_id   UUID NOT NULL REFERENCES organisations (id),
    supplier_org_id   UUID NOT NULL REFERENCES organisations (id),
    shipped_by_org_id UUID NOT NULL REFERENCES organisations (id),
    shipped_by        UUID NOT NULL REFERENCES users (id),
    batch_no          TEXT NOT NULL CHECK (char_length(batch_no) BETWEEN 1 AND 64),
    expiry_date       DATE NOT NULL,
    invoice_no        TEXT NOT NULL CHECK (char_length(invoice_no) BETWEEN 1 AND 64),
    status            TEXT NOT NULL DEFAULT 'shipped' CHECK (status IN ('shipped', 'accepted')),
    shipped_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    accepted_at       TIMESTAMPTZ,
    accepted_by       UUID REFERENCES users (id),
    accepted_on       DATE,
    due_date          DATE,
    settings_id       BIGINT REFERENCES settlement_settings (id),
    PRIMARY KEY (id, province),
    CONSTRAINT deliveries_order_id_fkey FOREIGN KEY (order_id, province) REFERENCES orders (id, province),
    CONSTRAINT deliveries_accepted CHECK ((status = 'accepted') = (accepted_at IS NOT NULL)
        AND (accepted_at IS NULL) = (accepted_by IS NULL)
        AND (accepted_at IS NULL) = (accepted_on IS NULL)
        AND (accepted_at IS NULL) = (due_date IS NULL))
) PARTITION BY LIST (province);
CREATE INDEX deliveries_due_idx ON deliveries (due_date) WHERE status = 'accepted';
CREATE INDEX deliveries_hospital_accepted_idx ON deliveries (hospital_org_id, accepted_on, id) WHERE status = 'accepted';
CREATE INDEX deliveries_hospital_idx ON deliveries (hospital_org_id, shipped_at DESC);
CREATE INDEX deliveries_order_idx ON deliveries (order_id);
CREATE INDEX deliveries_supplier_accepted_idx ON deliveries (supplier_org_id, accepted_on, id) WHERE status = 'accepted';
CREATE INDEX deliveries_supplier_idx ON deliveries (supplier_org_id, shipped_at DESC);

CREATE TABLE delivery_lines (
    id             UUID NOT NULL,
    delivery_id    UUID NOT NULL,
    order_line_id  UUID NOT NULL,
    province       CHAR(6) NOT NULL,
    contract_id    UUID NOT NULL REFERENCES contracts (id),
    unit_price     NUMERIC(12, 4) NOT NULL CHECK (unit_price > 0),
    quantity       BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 1000000000000),
    accepted       BIGINT,
    refusal_reason TEXT CHECK (char_length(refusal_reason) BETWEEN 1 AND 2000),
    PRIMARY KEY (id, province),
    CONSTRAINT delivery_lines_delivery_id_order_line_id_key UNIQUE (delivery_id, province, order_line_id),
    CONSTRAINT delivery_lines_delivery_id_fkey FOREIGN KEY (delivery_id, province) REFERENCES deliveries (id, province),
    CONSTRAINT delivery_lines_order_line_id_fkey FOREIGN KEY (order_line_id, province) REFERENCES order_lines (id, province),
    CONSTRAINT delivery_lines_check CHECK (accepted >= 0 AND accepted <= quantity),
    CONSTRAINT delivery_lines_reason CHECK ((accepted IS NULL AND refusal_reason IS NULL)
        OR (accepted = quantity AND refusal_reason IS NULL)
        OR (accepted < quantity AND refusal_reason IS NOT NULL))
) PARTITION BY LIST (province);
CREATE INDEX delivery_lines_contract_idx ON delivery_lines (contract_id);
CREATE INDEX delivery_lines_order_line_idx ON delivery_lines (order_line_id);

DO $$
DECLARE
    p TEXT;
BEGIN
    FOR p IN SELECT code FROM provinces ORDER BY code LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF deliveries FOR VALUES IN (%L)', 'deliveries_' || p, p);
        EXECUTE format('CREATE TABLE %I PARTITION OF delivery_lines FOR VALUES IN (%L)', 'delivery_lines_' || p, p);
    END LOOP;
END $$;
CREATE TABLE deliveries_default PARTITION OF deliveries DEFAULT;
CREATE TABLE delivery_lines_default PARTITION OF delivery_lines DEFAULT;

INSERT INTO deliveries (id, order_id, province, hospital_org_id, supplier_org_id, shipped_by_org_id,
                        shipped_by, batch_no, expiry_date, invoice_no, status, shipped_at, accepted_at,
                        accepted_by, accepted_on, due_date, settings_id)
SELECT id, order_id, province, hospital_org_id, supplier_org_id, shipped_by_org_id, shipped_by, batch_no,
       expiry_date, invoice_no, status, shipped_at, accepted_at, accepted_by, accepted_on, due_date, settings_id
FROM deliveries_unpartitioned;
INSERT INTO delivery_lines (id, delivery_id, order_line_id, province, contract_id, unit_price, quantity,
                            accepted, refusal_reason)
SELECT id, delivery_id, order_line_id, province, contract_id, unit_price, quantity, accepted, refusal_reason
FROM delivery_lines_unpartitioned;
DROP TABLE delivery_lines_unpartitioned;
DROP TABLE deliveries_unpartitioned;
-- the constraints the old tables held took their names while both existed: given back
DO $$
DECLARE
    r RECORD;
BEGIN
    FOR r IN SELECT conrelid::regclass::text AS tab, conname FROM pg_constraint c
             WHERE conrelid IN ('deliveries'::regclass, 'delivery_lines'::regclass)
               AND conparentid = 0 AND conname ~ '_(check|fkey)1$'
               AND NOT EXISTS (SELECT 1 FROM pg_constraint o
                               WHERE o.conrelid = c.conrelid
                                 AND o.conname = left(c.conname, length(c.conname) - 1)) LOOP
        EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', r.tab, r.conname,
                       left(r.conname, length(r.conname) - 1));
    END LOOP;
END $$;
ANALYZE deliveries;
ANALYZE delivery_lines;

ALTER TABLE trace_codes ADD CONSTRAINT trace_codes_delivery_line_id_fkey
    FOREIGN KEY (delivery_line_id, province) REFERENCES delivery_lines (id, province);
ALTER TABLE overdue_lines ADD CONSTRAINT overdue_lines_delivery_line_id_fkey
    FOREIGN KEY (delivery_line_id, province) REFERENCES delivery_lines (id, province);
ALTER TABLE line_disputes ADD CONSTRAINT line_disputes_delivery_line_id_fkey
    FOREIGN KEY (delivery_line_id, province) REFERENCES delivery_lines (id, province);

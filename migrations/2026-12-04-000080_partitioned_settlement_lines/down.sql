ALTER TABLE settlement_lines RENAME TO settlement_lines_partitioned;
ALTER INDEX settlement_lines_batch_idx RENAME TO settlement_lines_partitioned_batch_idx;
ALTER INDEX settlement_lines_pkey RENAME TO settlement_lines_partitioned_pkey;
CREATE TABLE settlement_lines (
    delivery_line_id UUID PRIMARY KEY,
    batch_id         UUID NOT NULL,
    supplier_org_id  UUID NOT NULL,
    hospital_org_id  UUID NOT NULL,
    province         CHAR(6) NOT NULL,
    quantity         BIGINT NOT NULL CHECK (quantity >= 1),
    unit_price       NUMERIC(12, 4) NOT NULL,
    amount           NUMERIC(28, 2) NOT NULL CHECK (amount >= 0),
    due_date         DATE NOT NULL
);
CREATE INDEX settlement_lines_batch_idx ON settlement_lines USING brin (batch_id);
INSERT INTO settlement_lines SELECT * FROM settlement_lines_partitioned;
DROP TABLE settlement_lines_partitioned;

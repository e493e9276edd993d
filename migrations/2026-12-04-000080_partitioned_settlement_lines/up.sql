-- Settlement lines grow without bound (every accepted delivery line, millions a month in a
-- national round) and every statement that reads them is one province's: a batch, a payment,
-- a statement's join, the overdue scan. They are partitioned by province (LIST): one
-- partition per province and a default one for a code added later, so that a province's
-- batch, its anti-join ("not settled yet") and its lookups touch one province's table and
-- index, a province's history can be detached and archived whole, and the layout is the
-- one a Citus cluster distributes by (docs/operations.md).
--
-- A primary key of a partitioned table must include the partition key: (delivery_line_id,
-- province). A delivery line belongs to one province (its order's), so "each line settled
-- once" still holds by the key. The delivery line leads, so that a lookup by line alone can
-- still use each partition's index; the platform's statements give the province too.
ALTER TABLE settlement_lines RENAME TO settlement_lines_unpartitioned;
ALTER INDEX settlement_lines_pkey RENAME TO settlement_lines_unpartitioned_pkey;
ALTER INDEX settlement_lines_batch_idx RENAME TO settlement_lines_unpartitioned_batch_idx;

CREATE TABLE settlement_lines (
    delivery_line_id UUID NOT NULL,
    batch_id         UUID NOT NULL,
    supplier_org_id  UUID NOT NULL,
    hospital_org_id  UUID NOT NULL,
    province         CHAR(6) NOT NULL,
    quantity         BIGINT NOT NULL CHECK (quantity >= 1),
    unit_price       NUMERIC(12, 4) NOT NULL,
    amount           NUMERIC(28, 2) NOT NULL CHECK (amount >= 0),
    due_date         DATE NOT NULL,
    PRIMARY KEY (delivery_line_id, province)
) PARTITION BY LIST (province);
-- a batch's lines are written by one statement into one partition: BRIN by batch, as before
CREATE INDEX settlement_lines_batch_idx ON settlement_lines USING brin (batch_id);

DO $$
DECLARE
    p TEXT;
BEGIN
    FOR p IN SELECT code FROM provinces ORDER BY code LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF settlement_lines FOR VALUES IN (%L)',
                       'settlement_lines_' || p, p);
    END LOOP;
END $$;
CREATE TABLE settlement_lines_default PARTITION OF settlement_lines DEFAULT;

INSERT INTO settlement_lines (delivery_line_id, batch_id, supplier_org_id, hospital_org_id,
                              province, quantity, unit_price, amount, due_date)
SELECT delivery_line_id, batch_id, supplier_org_id, hospital_org_id, province, quantity,
       unit_price, amount, due_date
FROM settlement_lines_unpartitioned;
DROP TABLE settlement_lines_unpartitioned;
ANALYZE settlement_lines;

DROP TABLE supplier_bars;
DROP TABLE supply_failures;
DROP TABLE contracts;
DROP TABLE revival_offers;
DROP TABLE round_evaluations;
ALTER TABLE lots DROP COLUMN previous_price;
ALTER TABLE rounds
    DROP CONSTRAINT rounds_awarded_were_evaluated,
    DROP COLUMN awarded_at,
    DROP COLUMN revival_deadline,
    DROP COLUMN evaluated_at,
    DROP COLUMN cycle_start;

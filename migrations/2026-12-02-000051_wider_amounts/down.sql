-- Fails, as it should, if an amount or a UCP no longer fits the narrower column.
ALTER TABLE revival_offers ALTER COLUMN offer_ucp TYPE NUMERIC(12, 4);
ALTER TABLE contracts ALTER COLUMN annual_amount TYPE NUMERIC(18, 2);

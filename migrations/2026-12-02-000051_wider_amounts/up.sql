-- A contract's annual amount is agreed volume x unit price: a demand of up to 10^12
-- minimum units (the bound of a demand line) at a price of up to 99,999,999.9999 (the
-- bound of a price) is up to 10^20 yuan, past NUMERIC(18,2): the award of such a round
-- failed at its insert. 26 digits hold every amount the inputs allow.
ALTER TABLE contracts ALTER COLUMN annual_amount TYPE NUMERIC(26, 2);
-- A revival offer's UCP is a price times a comparison ratio, which may exceed a price's
-- own bound.
ALTER TABLE revival_offers ALTER COLUMN offer_ucp TYPE NUMERIC(20, 4);

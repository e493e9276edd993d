-- bids.request_hash recognises a retried Idempotency-Key. It was an unkeyed SHA-256 of
-- the bid's fields, from which whoever holds the database could recover a sealed price by
-- trying every price below the ceiling. It is now an HMAC under a subkey of the master
-- key (kept out of the database). The old digests are erased: a retry of a request sent
-- before this migration is answered as a different bid (422), never with a leak.
UPDATE bids SET request_hash = NULL WHERE request_hash IS NOT NULL;
COMMENT ON COLUMN bids.request_hash IS
    'HMAC-SHA256 (hex) of the submitted request under a subkey of VBP_MASTER_KEY; never an unkeyed digest';

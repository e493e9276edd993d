DROP INDEX jobs_due_not_receipt_idx;
-- The erased unkeyed digests cannot be restored (and must not be: they leaked prices).
COMMENT ON COLUMN bids.request_hash IS NULL;

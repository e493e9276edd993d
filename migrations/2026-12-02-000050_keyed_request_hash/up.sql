-- bids.request_hash recognises a retried Idempotency-Key. It was an unkeyed SHA-256 of
-- the bid's fields, from which whoever holds the database could recover a sealed price by
-- trying every price below the ceiling. It is now an HMAC under a subkey of the master
-- key (kept out of the database). The old digests are erased: a retry of a request sent
-- before this migration is answered as a different bid (422), never with a leak.
UPDATE bids SET request_hash = NULL WHERE request_hash IS NOT NULL;
COMMENT ON COLUMN bids.request_hash IS
    'HMAC-SHA256 (hex) of the submitted request under a subkey of VBP_MASTER_KEY; never an unkeyed digest';

-- During a deadline rush the job worker holds back bid receipt mails and claims every
-- other due job from this index, which receipts never enter (so writing them costs it
-- nothing, and a backlog of receipts does not slow the claim).
CREATE INDEX jobs_due_not_receipt_idx ON jobs (run_at)
    WHERE status = 'pending' AND (kind <> 'email' OR payload->>'template' IS DISTINCT FROM 'bid_receipt');

-- The writes of one bid submission, as `submit` (api/src/routes/bids.rs) makes them in its
-- transaction: the round's shared advisory lock and the round row, the database clock,
-- ending a live bid of the same lot and supplier (none: every pair is new, as in the load
-- run), the sealed bid (~600-byte bytea), its audit entry (jsonb) and the receipt mail
-- job (a jsonb payload copied from a real receipt job). Run by bench/bids_load.sh against
-- the load database, with a round of 200 lots made for it.
BEGIN;
SELECT pg_advisory_xact_lock_shared(4242) AS locked, nextval('pgb_seq') AS n \gset
SELECT * FROM rounds WHERE id = '00000000-0000-7000-a000-000000000000';
SELECT clock_timestamp();
UPDATE bids SET status = 'replaced', ended_at = now()
 WHERE lot_id = ('00000000-0000-7000-a000-' || lpad((:n::bigint % 200 + 1)::text, 12, '0'))::uuid
   AND supplier_org_id = ('00000000-0000-7000-8000-' || lpad((:n::bigint / 200 % 2000 + 1)::text, 12, '0'))::uuid
   AND status = 'live'
RETURNING id;
INSERT INTO bids (id, round_id, lot_id, supplier_org_id, submitted_by, terms_version, sealed,
                  commitment, submitted_at, receipt_signature, idempotency_key, request_hash)
VALUES (gen_random_uuid(), '00000000-0000-7000-a000-000000000000',
        ('00000000-0000-7000-a000-' || lpad((:n::bigint % 200 + 1)::text, 12, '0'))::uuid,
        ('00000000-0000-7000-8000-' || lpad((:n::bigint / 200 % 2000 + 1)::text, 12, '0'))::uuid,
        ('00000000-0000-7000-9000-' || lpad((:n::bigint / 200 % 2000 + 1)::text, 12, '0'))::uuid,
        1, decode(repeat(md5(:n::bigint::text), 38), 'hex'), md5(:n::bigint::text) || md5((:n::bigint + 1)::text),
        clock_timestamp(), repeat('A', 86) || '==', 'pgbench-' || :n::bigint, md5(:n::bigint::text) || md5((:n::bigint + 2)::text))
RETURNING *;
INSERT INTO audit_log (actor_user_id, actor_role, action, entity_type, entity_id, details)
VALUES (('00000000-0000-7000-9000-' || lpad((:n::bigint / 200 % 2000 + 1)::text, 12, '0'))::uuid,
        'supplier', 'bid.submit', 'bid', lpad(:n::bigint::text, 36, '0'),
        jsonb_build_object('round', '00000000-0000-7000-a000-000000000000',
                           'lot', ('00000000-0000-7000-a000-' || lpad((:n::bigint % 200 + 1)::text, 12, '0')),
                           'supplier', ('00000000-0000-7000-8000-' || lpad((:n::bigint / 200 % 2000 + 1)::text, 12, '0')),
                           'commitment', md5(:n::bigint::text) || md5((:n::bigint + 1)::text),
                           'replaces', NULL, 'terms_version', 1));
INSERT INTO jobs (kind, payload, max_attempts, dedupe_key)
SELECT 'email', payload, 8, 'pgbench_receipt_' || :n::bigint FROM pgb_payload
ON CONFLICT DO NOTHING RETURNING id;
END;

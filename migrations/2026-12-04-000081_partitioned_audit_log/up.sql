-- The audit log grows with everything (a national round writes an entry per bid, order,
-- delivery and payment) and is never deleted from. It is partitioned by month of `at`
-- (RANGE), so that a month's entries lie in a table of their own: the newest month's
-- indexes stay small, and a closed year can be detached and archived whole after its
-- chain is verified (docs/operations.md, "Partitioning").
--
-- The keys of a partitioned table must hold the partition key: (id, at). Ids still come
-- from one sequence, so an id alone is still unique; the chain (audit_seal) names entries
-- by id. Partitions are made ahead by audit_log_ensure_partitions(months), which the
-- migration calls and `vbp serve`'s sealer calls at start and every few hours; the
-- default partition catches an entry of a month nobody prepared, so a write never fails
-- for want of a partition.
ALTER TABLE audit_log RENAME TO audit_log_unpartitioned;
ALTER INDEX audit_log_pkey RENAME TO audit_log_unpartitioned_pkey;
ALTER INDEX audit_log_txid_idx RENAME TO audit_log_unpartitioned_txid_idx;
ALTER INDEX audit_log_entity_idx RENAME TO audit_log_unpartitioned_entity_idx;
ALTER INDEX audit_log_actor_idx RENAME TO audit_log_unpartitioned_actor_idx;

CREATE TABLE audit_log (
    id            BIGINT NOT NULL DEFAULT nextval('audit_log_id_seq'),
    txid          BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_user_id UUID,
    actor_role    TEXT,
    action        TEXT NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    entity_type   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    details       JSONB NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
CREATE INDEX audit_log_txid_idx ON audit_log (txid, id);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id);
CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;

-- The log is append-only on every partition: UPDATE and DELETE by the row triggers on
-- the log, which every partition inherits; TRUNCATE by a statement trigger, which
-- partitions do not inherit, so each partition gets its own (audit_log_protect).
CREATE FUNCTION audit_log_protect(part REGCLASS) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()', part);
END
$$;

-- Makes the partitions of this month and the `ahead` months after it that are missing
-- (months in UTC, whatever the session's time zone); returns how many it made. A
-- partition is made apart and then attached, which locks the log only against other
-- schema changes, not against writes; it waits at most 500 ms for that lock (else it gives
-- up, and the next call tries again). A month whose entries already went to the default
-- partition is left there, and another server making the same month at the same moment
-- is not an error (a NOTICE says so).
CREATE FUNCTION audit_log_ensure_partitions(ahead INT) RETURNS INT LANGUAGE plpgsql
SET lock_timeout = '500ms' AS $$
DECLARE
    this_month DATE := date_trunc('month', now(), 'UTC')::date;
    m DATE := this_month;
    part TEXT;
    made INT := 0;
BEGIN
    WHILE m <= this_month + make_interval(months => ahead) LOOP
        part := 'audit_log_' || to_char(m, 'YYYYMM');
        IF to_regclass(part) IS NULL THEN
            BEGIN
                EXECUTE format('CREATE TABLE %I (LIKE audit_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
                PERFORM audit_log_protect(part::regclass);
                EXECUTE format('ALTER TABLE audit_log ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                               part, m::timestamp AT TIME ZONE 'UTC',
                               (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
                made := made + 1;
            EXCEPTION
                WHEN check_violation THEN
                    RAISE NOTICE 'audit_log: entries of % are in the default partition', to_char(m, 'YYYY-MM');
                WHEN duplicate_table OR unique_violation OR invalid_object_definition THEN
                    RAISE NOTICE 'audit_log: the partition of % is being made elsewhere', to_char(m, 'YYYY-MM');
                WHEN lock_not_available THEN
                    RAISE NOTICE 'audit_log: the partition of % waits for a quieter moment', to_char(m, 'YYYY-MM');
                    RETURN made;
            END;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN made;
END
$$;

-- the months the entries so far fall in (UTC), and three ahead
DO $$
DECLARE
    m DATE;
BEGIN
    FOR m IN SELECT DISTINCT date_trunc('month', at, 'UTC')::date FROM audit_log_unpartitioned LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
                       'audit_log_' || to_char(m, 'YYYYMM'), m::timestamp AT TIME ZONE 'UTC',
                       (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
        PERFORM audit_log_protect(('audit_log_' || to_char(m, 'YYYYMM'))::regclass);
    END LOOP;
END $$;
SELECT audit_log_protect('audit_log_default');
SELECT audit_log_ensure_partitions(3);

INSERT INTO audit_log SELECT id, txid, at, actor_user_id, actor_role, action, entity_type, entity_id, details
FROM audit_log_unpartitioned;
DROP TABLE audit_log_unpartitioned;
ANALYZE audit_log;

-- append-only, as before: row triggers are cloned onto every partition, made now or later
-- (TRUNCATE of a partition: audit_log_protect above)
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

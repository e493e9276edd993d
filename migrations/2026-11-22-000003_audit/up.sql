-- The audit log.
--
-- An entry is written in the same transaction as the change it records, with the id of
-- that transaction (txid). Entries are chained afterwards by a single sealer, in the order
-- of their transactions, once every transaction older than them has ended: see
-- docs/architecture.md. Both tables are append-only; the database refuses UPDATE, DELETE
-- and TRUNCATE on them.

CREATE TABLE audit_log (
    id            BIGSERIAL PRIMARY KEY,
    txid          BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_user_id UUID,
    actor_role    TEXT,
    action        TEXT NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    entity_type   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    details       JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_txid_idx ON audit_log (txid, id);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id);

CREATE TABLE audit_seal (
    seq       BIGINT PRIMARY KEY CHECK (seq >= 1),
    entry_id  BIGINT NOT NULL UNIQUE REFERENCES audit_log (id),
    prev_hash BYTEA NOT NULL CHECK (length(prev_hash) = 32),
    hash      BYTEA NOT NULL CHECK (length(hash) = 32),
    sealed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Refuses any change to an append-only table (the audit log here; later the bid register).
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_seal_append_only BEFORE UPDATE OR DELETE ON audit_seal
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_seal_no_truncate BEFORE TRUNCATE ON audit_seal
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

DROP FUNCTION audit_log_ensure_partitions(INT);
DROP FUNCTION audit_log_protect(REGCLASS);
ALTER TABLE audit_log RENAME TO audit_log_partitioned;
ALTER INDEX audit_log_pkey RENAME TO audit_log_partitioned_pkey;
ALTER INDEX audit_log_txid_idx RENAME TO audit_log_partitioned_txid_idx;
ALTER INDEX audit_log_entity_idx RENAME TO audit_log_partitioned_entity_idx;
ALTER INDEX audit_log_actor_idx RENAME TO audit_log_partitioned_actor_idx;
CREATE TABLE audit_log (
    id            BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id_seq'),
    txid          BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_user_id UUID,
    actor_role    TEXT,
    action        TEXT NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    entity_type   TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    details       JSONB NOT NULL DEFAULT '{}'::jsonb
);
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
CREATE INDEX audit_log_txid_idx ON audit_log (txid, id);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id);
INSERT INTO audit_log SELECT * FROM audit_log_partitioned;
DROP TABLE audit_log_partitioned;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

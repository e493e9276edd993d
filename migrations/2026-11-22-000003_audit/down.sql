DROP TABLE audit_seal;
DROP TABLE audit_log;
DROP FUNCTION refuse_change();

DROP TABLE audit_seal;
DROP TABLE audit_log;
DROP FUNCTION audit_refuse_change();

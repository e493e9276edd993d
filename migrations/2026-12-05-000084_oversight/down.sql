DROP TABLE complaint_attachments;
DROP TABLE complaints;
DROP TABLE supply_warnings;
DROP TABLE supply_problems;
UPDATE contracts SET status = 'active' WHERE status = 'suspended';
ALTER TABLE contracts DROP CONSTRAINT contracts_ended;
ALTER TABLE contracts ADD CONSTRAINT contracts_ended CHECK ((status = 'active') = (ended_at IS NULL));
ALTER TABLE contracts DROP CONSTRAINT contracts_status_check;
ALTER TABLE contracts ADD CONSTRAINT contracts_status_check
    CHECK (status IN ('active', 'failed', 'completed'));

DROP TABLE trace_codes;
DROP TABLE delivery_lines;
DROP TABLE deliveries;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE contract_distributors;
DROP TABLE quotas;
DROP TABLE hospital_demands;
DELETE FROM users WHERE role IN ('hospital', 'distributor');
DELETE FROM organisations WHERE kind IN ('hospital', 'distributor');
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN (
    'admin', 'procurement_officer', 'supplier', 'provincial_buyer', 'insurer', 'auditor'));
ALTER TABLE organisations DROP CONSTRAINT organisations_province_required;
ALTER TABLE organisations ADD CONSTRAINT organisations_province_required
    CHECK (kind NOT IN ('buyer', 'insurer') OR province IS NOT NULL);
ALTER TABLE organisations DROP CONSTRAINT organisations_kind_check;
ALTER TABLE organisations ADD CONSTRAINT organisations_kind_check CHECK (kind IN (
    'platform', 'procurement_office', 'supplier', 'buyer', 'insurer', 'supervision'));

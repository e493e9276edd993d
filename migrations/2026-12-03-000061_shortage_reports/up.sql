-- A hospital reports that it cannot get a contracted product (短缺): a supply problem
-- beside refusals and late shipments (DOMAIN.md, "Monitoring and early warning").
CREATE TABLE shortage_reports (
    id              UUID PRIMARY KEY,
    hospital_org_id UUID NOT NULL REFERENCES organisations (id),
    province        CHAR(6) NOT NULL REFERENCES provinces (code),
    contract_id     UUID NOT NULL REFERENCES contracts (id),
    supplier_org_id UUID NOT NULL REFERENCES organisations (id),
    note            TEXT NOT NULL CHECK (char_length(note) BETWEEN 1 AND 2000),
    reported_by     UUID NOT NULL REFERENCES users (id),
    reported_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX shortage_reports_province_idx ON shortage_reports (province, reported_at DESC);
CREATE INDEX shortage_reports_contract_idx ON shortage_reports (contract_id);

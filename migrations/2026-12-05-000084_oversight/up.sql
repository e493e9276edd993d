-- Oversight (DOMAIN.md, "Monitoring and early warning"; docs/rules.md 11a): supply
-- problems recorded once each, the warning level last told per generic and province,
-- complaints against published results with their attachments, and contracts suspended
-- by an upheld complaint.

-- A contract may be suspended (an upheld complaint on its lot): not orderable, not ended.
ALTER TABLE contracts DROP CONSTRAINT contracts_status_check;
ALTER TABLE contracts ADD CONSTRAINT contracts_status_check
    CHECK (status IN ('active', 'failed', 'completed', 'suspended'));
ALTER TABLE contracts DROP CONSTRAINT contracts_ended;
ALTER TABLE contracts ADD CONSTRAINT contracts_ended
    CHECK ((status IN ('active', 'suspended')) = (ended_at IS NULL));

-- One row per supply problem: an order refused (per contract of its lines), a confirmed
-- order's contract not wholly shipped within the round's delivery term (found by the
-- daily scan), or a hospital's shortage report. `day` is China's calendar day it arose.
CREATE TABLE supply_problems (
    id              UUID NOT NULL,
    province        CHAR(6) NOT NULL REFERENCES provinces (code),
    kind            TEXT NOT NULL CHECK (kind IN ('refused', 'not_shipped', 'reported_shortage')),
    generic_name    TEXT NOT NULL,
    lot_id          UUID NOT NULL REFERENCES lots (id),
    contract_id     UUID NOT NULL REFERENCES contracts (id),
    supplier_org_id UUID NOT NULL REFERENCES organisations (id),
    hospital_org_id UUID NOT NULL REFERENCES organisations (id),
    order_id        UUID,
    report_id       UUID,
    open_units      BIGINT NOT NULL CHECK (open_units >= 0),
    note            TEXT CHECK (char_length(note) <= 2000),
    day             DATE NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (id, province),
    FOREIGN KEY (order_id, province) REFERENCES orders (id, province),
    FOREIGN KEY (report_id, province) REFERENCES shortage_reports (id, province),
    CONSTRAINT supply_problems_source CHECK (
        (kind = 'reported_shortage' AND report_id IS NOT NULL AND order_id IS NULL)
        OR (kind <> 'reported_shortage' AND order_id IS NOT NULL AND report_id IS NULL))
);
CREATE UNIQUE INDEX supply_problems_order_idx
    ON supply_problems (order_id, contract_id, kind, province) WHERE order_id IS NOT NULL;
CREATE UNIQUE INDEX supply_problems_report_idx
    ON supply_problems (report_id, province) WHERE report_id IS NOT NULL;
CREATE INDEX supply_problems_generic_idx ON supply_problems (province, generic_name, day);
CREATE INDEX supply_problems_day_idx ON supply_problems (day);

-- The level last recorded (and told) per generic and province: a rise is told once.
CREATE TABLE supply_warnings (
    province        CHAR(6) NOT NULL REFERENCES provinces (code),
    generic_name    TEXT NOT NULL,
    level           TEXT NOT NULL CHECK (level IN ('none', 'watch', 'warning', 'alarm')),
    problems        INT NOT NULL CHECK (problems >= 0),
    changed_on      DATE NOT NULL,
    changed_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (generic_name, province)
);

-- 质疑投诉: a supplier's objection to a published result, lot by lot.
CREATE TABLE complaints (
    id                  UUID PRIMARY KEY,
    round_id            UUID NOT NULL REFERENCES rounds (id),
    lot_id              UUID NOT NULL REFERENCES lots (id),
    supplier_org_id     UUID NOT NULL REFERENCES organisations (id),
    status              TEXT NOT NULL DEFAULT 'submitted'
        CHECK (status IN ('submitted', 'under_review', 'upheld', 'dismissed', 'withdrawn')),
    grounds             TEXT NOT NULL CHECK (char_length(btrim(grounds)) BETWEEN 1 AND 5000),
    answer              TEXT CHECK (char_length(btrim(answer)) BETWEEN 1 AND 5000),
    -- contracts of the lot an upheld complaint suspended
    suspended_contracts INT NOT NULL DEFAULT 0 CHECK (suspended_contracts >= 0),
    submitted_by        UUID NOT NULL REFERENCES users (id),
    submitted_at        TIMESTAMPTZ NOT NULL,
    reviewed_by         UUID REFERENCES users (id),
    reviewed_at         TIMESTAMPTZ,
    closed_by           UUID REFERENCES users (id),
    closed_at           TIMESTAMPTZ,
    -- the suspension lifted once the review is done (the result stands or is corrected)
    resumed_by          UUID REFERENCES users (id),
    resumed_at          TIMESTAMPTZ,
    resume_note         TEXT CHECK (char_length(btrim(resume_note)) BETWEEN 1 AND 5000),
    CONSTRAINT complaints_answered CHECK ((status IN ('upheld', 'dismissed')) = (answer IS NOT NULL)),
    CONSTRAINT complaints_closed
        CHECK ((status IN ('submitted', 'under_review')) = (closed_at IS NULL AND closed_by IS NULL)),
    CONSTRAINT complaints_resumed CHECK (
        (resumed_at IS NULL) = (resumed_by IS NULL) AND (resumed_at IS NULL) = (resume_note IS NULL)
        AND (resumed_at IS NULL OR (status = 'upheld' AND suspended_contracts > 0)))
);
CREATE INDEX complaints_round_idx ON complaints (round_id, lot_id);
CREATE INDEX complaints_supplier_idx ON complaints (supplier_org_id, submitted_at DESC);
CREATE INDEX complaints_open_idx ON complaints (lot_id) WHERE status IN ('submitted', 'under_review');

-- Evidence for a complaint, kept with its SHA-256 (the content is what was hashed).
CREATE TABLE complaint_attachments (
    id              UUID PRIMARY KEY,
    complaint_id    UUID NOT NULL REFERENCES complaints (id),
    file_name       TEXT NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 200),
    content_type    TEXT NOT NULL CHECK (char_length(content_type) BETWEEN 1 AND 100),
    size            INT NOT NULL CHECK (size BETWEEN 1 AND 5242880),
    sha256          TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content         BYTEA NOT NULL,
    uploaded_by     UUID NOT NULL REFERENCES users (id),
    uploaded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT complaint_attachments_size CHECK (octet_length(content) = size)
);
CREATE INDEX complaint_attachments_complaint_idx ON complaint_attachments (complaint_id);

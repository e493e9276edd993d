-- Direct settlement by the insurance bureaus (issue 15; docs/rules.md, "Direct settlement"):
-- province settings kept by version, prepayments, the hospitals' fund ledger, settlement
-- batches with one payment order per supplier, payments by bank reference, overdue flags,
-- disputes and statement confirmations. Money is NUMERIC to the cent, computed in SQL by
-- round(quantity * unit_price, 2) (half away from zero: half-up for these positive amounts).

-- Settings of a province, one row per version; every figure stores the version it used.
CREATE TABLE settlement_settings (
    id               BIGSERIAL PRIMARY KEY,
    province         CHAR(6) NOT NULL REFERENCES provinces (code),
    prepayment_ratio NUMERIC(5, 4) NOT NULL CHECK (prepayment_ratio BETWEEN 0.3 AND 1),
    payment_days     INTEGER NOT NULL CHECK (payment_days BETWEEN 1 AND 365),
    behind_threshold NUMERIC(5, 4) NOT NULL CHECK (behind_threshold BETWEEN 0 AND 1),
    retention_share  NUMERIC(5, 4) NOT NULL CHECK (retention_share BETWEEN 0 AND 1),
    set_by           UUID REFERENCES users (id),
    set_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX settlement_settings_province_idx ON settlement_settings (province, id DESC);
-- The published defaults: 30 % prepaid, due 30 days after acceptance, behind below 80 %,
-- half of the savings retained; Henan and Sichuan prepay 50 %, Zhejiang pays in 29 days.
INSERT INTO settlement_settings (province, prepayment_ratio, payment_days, behind_threshold, retention_share)
SELECT code,
       CASE WHEN code IN ('410000', '510000') THEN 0.5 ELSE 0.3 END,
       CASE WHEN code = '330000' THEN 29 ELSE 30 END,
       0.8, 0.5
FROM provinces ORDER BY code;

-- The settings a delivery's due date came from.
ALTER TABLE deliveries ADD COLUMN settings_id BIGINT REFERENCES settlement_settings (id);

-- A prepayment of the province's insurer to a hospital for a round's contracts:
-- ratio x sum over its quotas of quota x unit price, to the cent; recorded once, paid.
CREATE TABLE prepayments (
    id               UUID PRIMARY KEY,
    round_id         UUID NOT NULL REFERENCES rounds (id),
    hospital_org_id  UUID NOT NULL REFERENCES organisations (id),
    province         CHAR(6) NOT NULL REFERENCES provinces (code),
    agreed_amount    NUMERIC(30, 4) NOT NULL CHECK (agreed_amount > 0),
    ratio            NUMERIC(5, 4) NOT NULL,
    amount           NUMERIC(28, 2) NOT NULL CHECK (amount > 0),
    settings_id      BIGINT NOT NULL REFERENCES settlement_settings (id),
    bank_reference   TEXT NOT NULL UNIQUE CHECK (char_length(bank_reference) BETWEEN 1 AND 64),
    paid_by          UUID NOT NULL REFERENCES users (id),
    paid_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (round_id, hospital_org_id)
);
CREATE INDEX prepayments_hospital_idx ON prepayments (hospital_org_id);
CREATE INDEX prepayments_province_idx ON prepayments (province);

-- A hospital's fund position: what was prepaid, what of it settlements used, and what was
-- deducted from its fund payments instead. Never more set off than prepaid.
CREATE TABLE hospital_funds (
    hospital_org_id UUID PRIMARY KEY REFERENCES organisations (id),
    province        CHAR(6) NOT NULL REFERENCES provinces (code),
    prepaid         NUMERIC(28, 2) NOT NULL DEFAULT 0 CHECK (prepaid >= 0),
    set_off         NUMERIC(28, 2) NOT NULL DEFAULT 0 CHECK (set_off >= 0),
    deducted        NUMERIC(28, 2) NOT NULL DEFAULT 0 CHECK (deducted >= 0),
    CONSTRAINT hospital_funds_balance CHECK (set_off <= prepaid)
);

-- Settlement batches of a province's insurer, and one payment order per supplier in each.
CREATE TABLE settlement_batches (
    id              UUID PRIMARY KEY,
    province        CHAR(6) NOT NULL REFERENCES provinces (code),
    due_by          DATE,
    supplier_org_id UUID REFERENCES organisations (id),
    total           NUMERIC(28, 2) NOT NULL CHECK (total >= 0),
    line_count      BIGINT NOT NULL CHECK (line_count >= 0),
    created_by      UUID NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX settlement_batches_province_idx ON settlement_batches (province, created_at DESC);

CREATE TABLE payment_orders (
    id              UUID PRIMARY KEY,
    batch_id        UUID NOT NULL REFERENCES settlement_batches (id),
    supplier_org_id UUID NOT NULL REFERENCES organisations (id),
    province        CHAR(6) NOT NULL REFERENCES provinces (code),
    total           NUMERIC(28, 2) NOT NULL CHECK (total >= 0),
    line_count      BIGINT NOT NULL CHECK (line_count >= 0),
    paid_at         TIMESTAMPTZ,
    UNIQUE (batch_id, supplier_org_id)
);
CREATE INDEX payment_orders_supplier_idx ON payment_orders (supplier_org_id);
CREATE INDEX payment_orders_province_idx ON payment_orders (province);

-- Every accepted delivery line is settled at most once: the primary key is the line.
-- The rows are written by one statement only (api settlement::batches::SETTLE_SQL), which
-- selects them from the accepted delivery lines and makes their payment orders from the
-- same rows; delivery lines are never deleted, and a payment order only when a dispute
-- has taken its last line out (a dispute deletes the disputed, unpaid line first).
-- So the references hold by construction and carry no foreign keys: a row-level foreign
-- key check costs as much as the insert itself, and a batch is a million rows
-- (docs/benchmarks.md, "Direct settlement"). The tests reconcile them.
CREATE TABLE settlement_lines (
    delivery_line_id UUID PRIMARY KEY,
    batch_id         UUID NOT NULL,
    supplier_org_id  UUID NOT NULL,
    hospital_org_id  UUID NOT NULL,
    province         CHAR(6) NOT NULL,
    quantity         BIGINT NOT NULL CHECK (quantity >= 1),
    unit_price       NUMERIC(12, 4) NOT NULL,
    amount           NUMERIC(28, 2) NOT NULL CHECK (amount >= 0),
    due_date         DATE NOT NULL
);
-- A payment reads its order's lines by batch: a batch's lines are written together, in
-- one statement, so they lie together on disk, and a BRIN index (a few pages, nearly free
-- to keep up to date) finds them; a B-tree here would add half the cost of the batch.
CREATE INDEX settlement_lines_batch_idx ON settlement_lines USING brin (batch_id);

-- A bank reference is one transfer: recorded once, by a prepayment or a payment.
CREATE TABLE bank_references (
    reference  TEXT PRIMARY KEY CHECK (char_length(reference) BETWEEN 1 AND 64),
    kind       TEXT NOT NULL CHECK (kind IN ('prepayment', 'payment')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A payment of one payment order, by its bank reference (the same reference is the same
-- payment).
CREATE TABLE payments (
    id               UUID PRIMARY KEY,
    payment_order_id UUID NOT NULL UNIQUE REFERENCES payment_orders (id),
    bank_reference   TEXT NOT NULL UNIQUE CHECK (char_length(bank_reference) BETWEEN 1 AND 64),
    amount           NUMERIC(28, 2) NOT NULL CHECK (amount > 0),
    paid_by          UUID NOT NULL REFERENCES users (id),
    paid_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The hospital's ledger: prepayments in, and each payment's part set off against the
-- prepayment or deducted from the fund payments.
CREATE TABLE fund_entries (
    id              BIGSERIAL PRIMARY KEY,
    hospital_org_id UUID NOT NULL REFERENCES organisations (id),
    kind            TEXT NOT NULL CHECK (kind IN ('prepayment', 'set_off', 'deduction')),
    amount          NUMERIC(28, 2) NOT NULL CHECK (amount > 0),
    prepayment_id   UUID REFERENCES prepayments (id),
    payment_id      UUID REFERENCES payments (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT fund_entries_source CHECK ((kind = 'prepayment') = (prepayment_id IS NOT NULL)
        AND (kind = 'prepayment') = (payment_id IS NULL))
);
CREATE INDEX fund_entries_hospital_idx ON fund_entries (hospital_org_id, id);

-- Accepted lines unpaid after their due date: flagged once (the key), told once.
CREATE TABLE overdue_lines (
    delivery_line_id UUID PRIMARY KEY REFERENCES delivery_lines (id),
    province         CHAR(6) NOT NULL,
    hospital_org_id  UUID NOT NULL,
    supplier_org_id  UUID NOT NULL,
    due_date         DATE NOT NULL,
    flagged_on       DATE NOT NULL
);
CREATE INDEX overdue_lines_province_idx ON overdue_lines (province);

-- A supplier's dispute of a line; open until the insurer resolves it, and held out of
-- payment meanwhile. At most one open dispute per line.
CREATE TABLE line_disputes (
    id               UUID PRIMARY KEY,
    delivery_line_id UUID NOT NULL REFERENCES delivery_lines (id),
    supplier_org_id  UUID NOT NULL REFERENCES organisations (id),
    province         CHAR(6) NOT NULL REFERENCES provinces (code),
    reason           TEXT NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 2000),
    raised_by        UUID NOT NULL REFERENCES users (id),
    raised_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolution       TEXT CHECK (char_length(resolution) BETWEEN 1 AND 2000),
    resolved_by      UUID REFERENCES users (id),
    resolved_at      TIMESTAMPTZ,
    CONSTRAINT line_disputes_resolved CHECK (
        (resolved_at IS NULL) = (resolution IS NULL) AND (resolved_at IS NULL) = (resolved_by IS NULL))
);
CREATE UNIQUE INDEX line_disputes_open_idx ON line_disputes (delivery_line_id) WHERE resolved_at IS NULL;
CREATE INDEX line_disputes_province_idx ON line_disputes (province, raised_at DESC);
CREATE INDEX line_disputes_supplier_idx ON line_disputes (supplier_org_id, raised_at DESC);

-- A supplier's confirmation of its monthly statement, with what it confirmed.
CREATE TABLE statement_confirmations (
    supplier_org_id UUID NOT NULL REFERENCES organisations (id),
    month           DATE NOT NULL CHECK (extract(day FROM month) = 1),
    total           NUMERIC(28, 2) NOT NULL,
    line_count      BIGINT NOT NULL,
    confirmed_by    UUID NOT NULL REFERENCES users (id),
    confirmed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (supplier_org_id, month)
);

-- Statements read a party's accepted deliveries in acceptance order (keyset pages); the
-- overdue scan and batches "due by" find them by due date.
CREATE INDEX deliveries_supplier_accepted_idx ON deliveries (supplier_org_id, accepted_on, id)
    WHERE status = 'accepted';
CREATE INDEX deliveries_hospital_accepted_idx ON deliveries (hospital_org_id, accepted_on, id)
    WHERE status = 'accepted';
CREATE INDEX deliveries_due_idx ON deliveries (due_date) WHERE status = 'accepted';

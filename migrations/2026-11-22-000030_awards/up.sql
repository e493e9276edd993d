-- Evaluation, revival, award, contracts, supply failures and supplier bars.
-- See docs/architecture.md ("Evaluation and award").

ALTER TABLE rounds
    -- first day of the supply cycle of the round's contracts, set at evaluation
    ADD COLUMN cycle_start DATE,
    ADD COLUMN evaluated_at TIMESTAMPTZ,
    -- the revival window (batch 10): candidates answer until then
    ADD COLUMN revival_deadline TIMESTAMPTZ,
    ADD COLUMN awarded_at TIMESTAMPTZ,
    ADD CONSTRAINT rounds_awarded_were_evaluated CHECK (awarded_at IS NULL OR evaluated_at IS NOT NULL);

-- The price before this round, per minimum unit of the representative specification
-- (last winning or listing price), for the "price drop against the previous price".
ALTER TABLE lots
    ADD COLUMN previous_price NUMERIC(12, 4) CHECK (previous_price IS NULL OR previous_price > 0);

-- The evaluation of a round as computed by bidding-core: every lot, every bid's UCP, rank
-- and reason, and the allocation the officers review. Replaced by each re-evaluation
-- until the award, then fixed (the award names the digest it approved).
CREATE TABLE round_evaluations (
    round_id     UUID PRIMARY KEY REFERENCES rounds (id),
    -- SHA-256 of `result` as stored; the award must name it
    digest       TEXT NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    result       JSONB NOT NULL,
    -- bidding-core's input, so the result can be recomputed and checked years later
    input        JSONB NOT NULL,
    evaluated_by UUID NOT NULL REFERENCES users (id),
    evaluated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Revival offers (batch 10): a valid non-winner may still win at the revival price.
CREATE TABLE revival_offers (
    round_id           UUID NOT NULL REFERENCES rounds (id),
    lot_id             UUID NOT NULL REFERENCES lots (id),
    supplier_org_id    UUID NOT NULL REFERENCES organisations (id),
    bid_id             UUID NOT NULL REFERENCES bids (id),
    -- the revival UCP, and what the supplier would be paid per unit of its own spec
    offer_ucp          NUMERIC(12, 4) NOT NULL,
    unit_price         NUMERIC(12, 4) NOT NULL,
    response           TEXT NOT NULL DEFAULT 'pending' CHECK (response IN ('pending', 'accepted', 'declined')),
    responded_by       UUID REFERENCES users (id),
    responded_at       TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (lot_id, supplier_org_id),
    CONSTRAINT revival_offers_answered CHECK ((response = 'pending') = (responded_at IS NULL))
);
CREATE INDEX revival_offers_round_idx ON revival_offers (round_id, supplier_org_id);

-- One contract per (lot, winner, province); a backup's takeover is a new contract that
-- `replaces` the failed one.
CREATE TABLE contracts (
    id                     UUID PRIMARY KEY,
    round_id               UUID NOT NULL REFERENCES rounds (id),
    lot_id                 UUID NOT NULL REFERENCES lots (id),
    province               CHAR(6) NOT NULL REFERENCES provinces (code),
    supplier_org_id        UUID NOT NULL REFERENCES organisations (id),
    bid_id                 UUID NOT NULL REFERENCES bids (id),
    product_code           TEXT NOT NULL REFERENCES catalog_items (code),
    rank                   INTEGER NOT NULL CHECK (rank >= 1),
    -- per minimum unit of the supplier's own specification
    unit_price             NUMERIC(12, 4) NOT NULL CHECK (unit_price > 0),
    annual_demand          BIGINT NOT NULL CHECK (annual_demand >= 0),
    agreed_volume          BIGINT NOT NULL CHECK (agreed_volume >= 0),
    annual_amount          NUMERIC(18, 2) NOT NULL CHECK (annual_amount >= 0),
    cycle_start            DATE NOT NULL,
    cycle_end              DATE NOT NULL CHECK (cycle_end >= cycle_start),
    backup_supplier_org_id UUID REFERENCES organisations (id),
    backup_bid_id          UUID REFERENCES bids (id),
    backup_unit_price      NUMERIC(12, 4),
    backup_rank            INTEGER CHECK (backup_rank IS NULL OR backup_rank >= 1),
    status                 TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'failed', 'completed')),
    replaces               UUID REFERENCES contracts (id),
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at               TIMESTAMPTZ,
    CONSTRAINT contracts_backup_complete CHECK (
        (backup_supplier_org_id IS NULL) = (backup_bid_id IS NULL)
        AND (backup_supplier_org_id IS NULL) = (backup_unit_price IS NULL)
        AND (backup_supplier_org_id IS NULL) = (backup_rank IS NULL)),
    CONSTRAINT contracts_backup_not_self CHECK (backup_supplier_org_id IS DISTINCT FROM supplier_org_id),
    CONSTRAINT contracts_ended CHECK ((status = 'active') = (ended_at IS NULL))
);
CREATE UNIQUE INDEX contracts_one_active_idx ON contracts (lot_id, province) WHERE status = 'active';
CREATE INDEX contracts_round_idx ON contracts (round_id, lot_id, province);
CREATE INDEX contracts_supplier_idx ON contracts (supplier_org_id);
CREATE INDEX contracts_province_idx ON contracts (province);

-- A winner that failed to supply a province; the backup took over.
CREATE TABLE supply_failures (
    id              UUID PRIMARY KEY,
    contract_id     UUID NOT NULL UNIQUE REFERENCES contracts (id),
    takeover_id     UUID NOT NULL UNIQUE REFERENCES contracts (id),
    reason          TEXT NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
    recorded_by     UUID NOT NULL REFERENCES users (id),
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Suppliers barred from rounds for a period (after failing to supply).
CREATE TABLE supplier_bars (
    id              UUID PRIMARY KEY,
    org_id          UUID NOT NULL REFERENCES organisations (id),
    barred_from     DATE NOT NULL,
    -- last barred day
    barred_until    DATE NOT NULL CHECK (barred_until >= barred_from),
    reason          TEXT NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
    failure_id      UUID REFERENCES supply_failures (id),
    created_by      UUID NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX supplier_bars_org_idx ON supplier_bars (org_id, barred_until);

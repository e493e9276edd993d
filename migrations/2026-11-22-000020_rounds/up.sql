-- Tender rounds, their lots, provincial demand, sealed bids, opening keys and the frozen
-- bid register. See docs/architecture.md ("Sealed bids") for the cryptography.

CREATE TABLE rounds (
    id               UUID PRIMARY KEY,
    name             TEXT NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind             TEXT NOT NULL CHECK (kind IN ('drug', 'consumable')),
    status           TEXT NOT NULL DEFAULT 'draft' CHECK (status IN (
        'draft', 'demand_collection', 'bidding_open', 'closed', 'opened', 'evaluated',
        'awarded', 'completed', 'cancelled')),
    preset           TEXT NOT NULL CHECK (preset IN ('pilot', 'batch7', 'batch10', 'batch11')),
    -- bidding_core::RoundRules as JSON: stored, so results can be recomputed years later
    rules            JSONB NOT NULL,
    bidding_deadline TIMESTAMPTZ NOT NULL,
    -- 'threshold': the private key is split k-of-n among custodians;
    -- 'master': kept wrapped under VBP_MASTER_KEY (quorum 1, weaker)
    key_mode         TEXT NOT NULL CHECK (key_mode IN ('threshold', 'master')),
    quorum           SMALLINT NOT NULL CHECK (quorum BETWEEN 1 AND 255),
    -- raised when a published round's terms change: bids of older versions are void
    terms_version    INTEGER NOT NULL DEFAULT 1 CHECK (terms_version >= 1),
    public_key       BYTEA CHECK (public_key IS NULL OR length(public_key) = 32),
    wrapped_key      BYTEA,
    published_at     TIMESTAMPTZ,
    -- the day whose catalog ceilings apply: the day of publication
    ceilings_date    DATE,
    closed_at        TIMESTAMPTZ,
    opened_at        TIMESTAMPTZ,
    cancelled_at     TIMESTAMPTZ,
    cancel_reason    TEXT CHECK (cancel_reason IS NULL OR length(btrim(cancel_reason)) BETWEEN 1 AND 2000),
    created_by       UUID NOT NULL REFERENCES users (id),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT rounds_published_have_a_key CHECK (
        status IN ('draft', 'demand_collection') OR public_key IS NOT NULL OR status = 'cancelled'),
    CONSTRAINT rounds_cancelled_have_a_reason CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL)),
    CONSTRAINT rounds_master_key_quorum CHECK (key_mode <> 'master' OR quorum = 1),
    CONSTRAINT rounds_master_key_wrapped CHECK (key_mode <> 'master' OR public_key IS NULL OR wrapped_key IS NOT NULL),
    CONSTRAINT rounds_threshold_key_not_kept CHECK (key_mode <> 'threshold' OR wrapped_key IS NULL)
);
CREATE INDEX rounds_status_idx ON rounds (status, bidding_deadline);

-- The officers who hold the opening-key shares of a round.
CREATE TABLE round_custodians (
    round_id         UUID NOT NULL REFERENCES rounds (id),
    user_id          UUID NOT NULL REFERENCES users (id),
    -- SHA-256 of the share, kept to recognise a forged share at the opening
    share_commitment TEXT CHECK (share_commitment IS NULL OR share_commitment ~ '^[0-9a-f]{64}$'),
    -- the share, under the master key, until its custodian fetches it; then erased
    share_wrapped    BYTEA,
    fetched_at       TIMESTAMPTZ,
    PRIMARY KEY (round_id, user_id),
    CONSTRAINT round_custodians_erased_once_fetched CHECK (fetched_at IS NULL OR share_wrapped IS NULL)
);

CREATE TABLE lots (
    id                    UUID PRIMARY KEY,
    round_id              UUID NOT NULL REFERENCES rounds (id),
    number                INTEGER NOT NULL CHECK (number >= 1),
    generic_name          TEXT NOT NULL,
    dosage_form           TEXT,
    -- the representative specification, a catalog item
    representative_code   TEXT NOT NULL REFERENCES catalog_items (code),
    special_antibacterial BOOLEAN NOT NULL DEFAULT false,
    -- the representative item's ceiling on the publication day (the lot's ceiling UCP)
    ceiling               NUMERIC(12, 4) CHECK (ceiling IS NULL OR ceiling >= 0),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (round_id, number),
    UNIQUE (round_id, id)
);

-- Annual demand per lot and province, reported by the province's buyer while collecting.
CREATE TABLE demands (
    round_id        UUID NOT NULL REFERENCES rounds (id),
    lot_id          UUID NOT NULL,
    province        CHAR(6) NOT NULL REFERENCES provinces (code),
    annual_quantity BIGINT NOT NULL CHECK (annual_quantity >= 0),
    reported_by     UUID NOT NULL REFERENCES users (id),
    reported_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (lot_id, province),
    FOREIGN KEY (round_id, lot_id) REFERENCES lots (round_id, id)
);
CREATE INDEX demands_round_idx ON demands (round_id, province);

-- Sealed bids. Before the opening a row holds no readable price: only the HPKE
-- ciphertext and its SHA-256 commitment. The revealed columns are filled at the opening.
CREATE TABLE bids (
    id                   UUID PRIMARY KEY,
    round_id             UUID NOT NULL REFERENCES rounds (id),
    lot_id               UUID NOT NULL,
    supplier_org_id      UUID NOT NULL REFERENCES organisations (id),
    submitted_by         UUID NOT NULL REFERENCES users (id),
    status               TEXT NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'replaced', 'withdrawn', 'invalidated')),
    terms_version        INTEGER NOT NULL,
    sealed               BYTEA NOT NULL,
    commitment           TEXT NOT NULL CHECK (commitment ~ '^[0-9a-f]{64}$'),
    -- the database's clock when the bid was accepted
    submitted_at         TIMESTAMPTZ NOT NULL,
    receipt_signature    TEXT NOT NULL,
    idempotency_key      TEXT CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200),
    request_hash         TEXT,
    ended_at             TIMESTAMPTZ,
    -- revealed at the opening
    product_code         TEXT,
    unit_price           NUMERIC(12, 4),
    annual_capacity      BIGINT,
    province_preferences JSONB,
    opened_at            TIMESTAMPTZ,
    FOREIGN KEY (round_id, lot_id) REFERENCES lots (round_id, id),
    CONSTRAINT bids_revealed_only_when_opened CHECK (opened_at IS NOT NULL OR (
        product_code IS NULL AND unit_price IS NULL AND annual_capacity IS NULL
        AND province_preferences IS NULL))
);
CREATE UNIQUE INDEX bids_one_live_per_lot_idx ON bids (lot_id, supplier_org_id) WHERE status = 'live';
CREATE UNIQUE INDEX bids_idempotency_idx ON bids (supplier_org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX bids_round_idx ON bids (round_id, status);
CREATE INDEX bids_supplier_idx ON bids (supplier_org_id, round_id);

-- The bid register, frozen when bidding closes: every bid that counts, with its
-- commitment and time, no price. Append-only.
CREATE TABLE bid_register (
    bid_id       UUID PRIMARY KEY REFERENCES bids (id),
    round_id     UUID NOT NULL REFERENCES rounds (id),
    lot_id       UUID NOT NULL,
    commitment   TEXT NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL,
    frozen_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX bid_register_round_idx ON bid_register (round_id, lot_id);

-- refuse_change() comes with the audit log's migration
CREATE TRIGGER bid_register_append_only BEFORE UPDATE OR DELETE ON bid_register
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER bid_register_no_truncate BEFORE TRUNCATE ON bid_register
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Shares presented for the opening, under the master key, until the quorum is reached.
CREATE TABLE opening_shares (
    round_id      UUID NOT NULL REFERENCES rounds (id),
    user_id       UUID NOT NULL REFERENCES users (id),
    share_wrapped BYTEA NOT NULL,
    presented_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, user_id)
);

-- After the award (issue 14): hospitals and distributors, demand by hospital, quotas,
-- the distributor a supplier names per contract, orders, deliveries with traceability
-- codes, and acceptance (docs/rules.md, "Hospitals, quotas and orders").

ALTER TABLE organisations DROP CONSTRAINT organisations_kind_check;
ALTER TABLE organisations ADD CONSTRAINT organisations_kind_check CHECK (kind IN (
    'platform', 'procurement_office', 'supplier', 'buyer', 'insurer', 'supervision',
    'hospital', 'distributor'));
ALTER TABLE organisations DROP CONSTRAINT organisations_province_required;
ALTER TABLE organisations ADD CONSTRAINT organisations_province_required
    CHECK (kind NOT IN ('buyer', 'insurer', 'hospital') OR province IS NOT NULL);
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN (
    'admin', 'procurement_officer', 'supplier', 'provincial_buyer', 'insurer', 'auditor',
    'hospital', 'distributor'));

-- A hospital's annual demand for a lot, reported during demand collection (by the
-- hospital or its province's centre). Where a province has any, its `demands` figure is
-- their sum, kept by the same transaction.
CREATE TABLE hospital_demands (
    lot_id          UUID NOT NULL REFERENCES lots (id),
    hospital_org_id UUID NOT NULL REFERENCES organisations (id),
    round_id        UUID NOT NULL REFERENCES rounds (id),
    province        CHAR(6) NOT NULL REFERENCES provinces (code),
    annual_quantity BIGINT NOT NULL CHECK (annual_quantity BETWEEN 0 AND 1000000000000),
    reported_by     UUID NOT NULL REFERENCES users (id),
    reported_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (lot_id, hospital_org_id)
);
CREATE INDEX hospital_demands_round_idx ON hospital_demands (round_id, province);

-- A hospital's share of a contract's agreed volume (largest remainder at the award; the
-- province's centre may move quota between its hospitals, the sum staying the contract's).
CREATE TABLE quotas (
    contract_id     UUID NOT NULL REFERENCES contracts (id),
    hospital_org_id UUID NOT NULL REFERENCES organisations (id),
    demand          BIGINT NOT NULL CHECK (demand >= 0),
    quantity        BIGINT NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (contract_id, hospital_org_id)
);
CREATE INDEX quotas_hospital_idx ON quotas (hospital_org_id);

-- The distributor a supplier names for a contract: at most one (two-invoice rule).
CREATE TABLE contract_distributors (
    contract_id        UUID PRIMARY KEY REFERENCES contracts (id),
    distributor_org_id UUID NOT NULL REFERENCES organisations (id),
    named_by           UUID NOT NULL REFERENCES users (id),
    named_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX contract_distributors_org_idx ON contract_distributors (distributor_org_id);

-- An order of a hospital to one supplier, against its province's contracts.
CREATE TABLE orders (
    id              UUID PRIMARY KEY,
    hospital_org_id UUID NOT NULL REFERENCES organisations (id),
    province        CHAR(6) NOT NULL REFERENCES provinces (code),
    supplier_org_id UUID NOT NULL REFERENCES organisations (id),
    status          TEXT NOT NULL DEFAULT 'submitted'
                    CHECK (status IN ('submitted', 'confirmed', 'refused', 'withdrawn')),
    refusal_reason  TEXT CHECK (char_length(refusal_reason) BETWEEN 1 AND 2000),
    note            TEXT CHECK (char_length(note) <= 2000),
    idempotency_key TEXT CHECK (char_length(idempotency_key) BETWEEN 1 AND 200),
    request_hash    TEXT,
    -- the order a failed contract's unshipped lines came from
    moved_from      UUID REFERENCES orders (id),
    created_by      UUID NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at      TIMESTAMPTZ,
    CONSTRAINT orders_refusal CHECK ((status = 'refused') = (refusal_reason IS NOT NULL)),
    CONSTRAINT orders_decided CHECK ((status IN ('confirmed', 'refused')) = (decided_at IS NOT NULL))
);
CREATE UNIQUE INDEX orders_idempotency_idx ON orders (hospital_org_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_hospital_idx ON orders (hospital_org_id, created_at DESC);
CREATE INDEX orders_supplier_idx ON orders (supplier_org_id, created_at DESC);
CREATE INDEX orders_province_idx ON orders (province, created_at DESC);

-- One product of an order, in minimum units. shipped + moved never exceeds the quantity;
-- accepted + refused never exceeds what was shipped.
CREATE TABLE order_lines (
    id           UUID PRIMARY KEY,
    order_id     UUID NOT NULL REFERENCES orders (id),
    line_no      INTEGER NOT NULL CHECK (line_no >= 1),
    contract_id  UUID NOT NULL REFERENCES contracts (id),
    product_code TEXT NOT NULL REFERENCES catalog_items (code),
    unit_price   NUMERIC(12, 4) NOT NULL CHECK (unit_price > 0),
    quantity     BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 1000000000000),
    packs        BIGINT CHECK (packs >= 1),
    shipped      BIGINT NOT NULL DEFAULT 0 CHECK (shipped >= 0),
    moved        BIGINT NOT NULL DEFAULT 0 CHECK (moved >= 0),
    accepted     BIGINT NOT NULL DEFAULT 0 CHECK (accepted >= 0),
    refused      BIGINT NOT NULL DEFAULT 0 CHECK (refused >= 0),
    UNIQUE (order_id, line_no),
    UNIQUE (order_id, contract_id),
    CONSTRAINT order_lines_open CHECK (shipped + moved <= quantity),
    CONSTRAINT order_lines_received CHECK (accepted + refused <= shipped)
);
CREATE INDEX order_lines_contract_idx ON order_lines (contract_id);

-- A shipment against a confirmed order, by the supplier or its named distributor.
CREATE TABLE deliveries (
    id                UUID PRIMARY KEY,
    order_id          UUID NOT NULL REFERENCES orders (id),
    hospital_org_id   UUID NOT NULL REFERENCES organisations (id),
    supplier_org_id   UUID NOT NULL REFERENCES organisations (id),
    shipped_by_org_id UUID NOT NULL REFERENCES organisations (id),
    shipped_by        UUID NOT NULL REFERENCES users (id),
    batch_no          TEXT NOT NULL CHECK (char_length(batch_no) BETWEEN 1 AND 64),
    expiry_date       DATE NOT NULL,
    invoice_no        TEXT NOT NULL CHECK (char_length(invoice_no) BETWEEN 1 AND 64),
    status            TEXT NOT NULL DEFAULT 'shipped' CHECK (status IN ('shipped', 'accepted')),
    shipped_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    accepted_at       TIMESTAMPTZ,
    accepted_by       UUID REFERENCES users (id),
    accepted_on       DATE,
    -- the payment clock: accepted_on + the province's payment days
    due_date          DATE,
    CONSTRAINT deliveries_accepted CHECK (
        (status = 'accepted') = (accepted_at IS NOT NULL)
        AND (accepted_at IS NULL) = (accepted_by IS NULL)
        AND (accepted_at IS NULL) = (accepted_on IS NULL)
        AND (accepted_at IS NULL) = (due_date IS NULL))
);
CREATE INDEX deliveries_order_idx ON deliveries (order_id);
CREATE INDEX deliveries_hospital_idx ON deliveries (hospital_org_id, shipped_at DESC);
CREATE INDEX deliveries_supplier_idx ON deliveries (supplier_org_id, shipped_at DESC);

CREATE TABLE delivery_lines (
    id             UUID PRIMARY KEY,
    delivery_id    UUID NOT NULL REFERENCES deliveries (id),
    order_line_id  UUID NOT NULL REFERENCES order_lines (id),
    contract_id    UUID NOT NULL REFERENCES contracts (id),
    unit_price     NUMERIC(12, 4) NOT NULL CHECK (unit_price > 0),
    quantity       BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 1000000000000),
    accepted       BIGINT CHECK (accepted BETWEEN 0 AND quantity),
    refusal_reason TEXT CHECK (char_length(refusal_reason) BETWEEN 1 AND 2000),
    UNIQUE (delivery_id, order_line_id),
    CONSTRAINT delivery_lines_reason CHECK (
        accepted IS NULL AND refusal_reason IS NULL
        OR accepted = quantity AND refusal_reason IS NULL
        OR accepted < quantity AND refusal_reason IS NOT NULL)
);
CREATE INDEX delivery_lines_contract_idx ON delivery_lines (contract_id);
CREATE INDEX delivery_lines_order_line_idx ON delivery_lines (order_line_id);

-- Traceability codes: one pack, one code, delivered once nationwide.
CREATE TABLE trace_codes (
    code             TEXT PRIMARY KEY CHECK (code ~ '^[0-9]{8,20}$'),
    kind             TEXT NOT NULL CHECK (kind IN ('drug', 'udi')),
    delivery_line_id UUID NOT NULL REFERENCES delivery_lines (id)
);
CREATE INDEX trace_codes_line_idx ON trace_codes (delivery_line_id);

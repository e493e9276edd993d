-- Organisations, users, login sessions and login throttling.

CREATE TABLE organisations (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind       TEXT NOT NULL CHECK (kind IN ('platform', 'procurement_office', 'supplier', 'buyer', 'insurer', 'supervision')),
    province   CHAR(6) REFERENCES provinces (code),
    status     TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- buyers and insurers act for exactly one province
    CONSTRAINT organisations_province_required CHECK (kind NOT IN ('buyer', 'insurer') OR province IS NOT NULL)
);
CREATE UNIQUE INDEX organisations_name_key ON organisations (lower(name));
CREATE INDEX organisations_kind_idx ON organisations (kind);

CREATE TABLE users (
    id             UUID PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%' AND length(email) <= 254),
    display_name   TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'procurement_officer', 'supplier', 'provincial_buyer', 'insurer', 'auditor')),
    org_id         UUID NOT NULL REFERENCES organisations (id),
    active         BOOLEAN NOT NULL DEFAULT true,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX users_org_idx ON users (org_id);

-- One row per issued access token (its jti). Logout revokes it; deactivating the
-- user or suspending the organisation makes every token of theirs fail the check.
CREATE TABLE sessions (
    jti        UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id),
    issued_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    client_ip  TEXT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Failed-login counters, per account ('account:<email>') and per client address ('ip:<addr>').
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    failures     INTEGER NOT NULL CHECK (failures >= 0)
);

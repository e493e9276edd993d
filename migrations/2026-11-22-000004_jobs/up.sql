-- The transactional outbox and job queue.
--
-- A job is inserted in the same transaction as the change that causes it, so it exists
-- exactly when the change committed. Workers in every `vbp serve` process claim due jobs
-- with FOR UPDATE SKIP LOCKED and hold them under a lease; a worker that dies leaves its
-- job to be reclaimed when the lease ends. See docs/architecture.md ("Jobs and mail").

CREATE TABLE jobs (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind ~ '^[a-z_]+$'),
    payload       JSONB NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    locked_by     TEXT,
    locked_until  TIMESTAMPTZ,
    last_error    TEXT,
    -- set once the side effect happened (e.g. the SMTP server accepted the message)
    message_id    TEXT,
    sent_at       TIMESTAMPTZ,
    -- an event that must cause at most one job (e.g. one reminder per round and supplier)
    dedupe_key    TEXT UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    CONSTRAINT jobs_running_is_locked CHECK (status <> 'running' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL))
);

-- what workers poll: due pending jobs, and running jobs whose lease ran out
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE status = 'pending';
CREATE INDEX jobs_lease_idx ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_status_idx ON jobs (status, id);

-- Canvass client schema, version 1: interviews, their answers, and the sync outbox.
-- Timestamps are INTEGER Unix milliseconds UTC. Ids are UUIDv7 text made on the device.

CREATE TABLE interviews (
    id                    TEXT PRIMARY KEY NOT NULL,
    questionnaire_id      TEXT NOT NULL,
    questionnaire_version TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN
                              ('created', 'in_progress', 'paused', 'completed', 'broken_off', 'rejected')),
    current_item          TEXT,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    completed_at          INTEGER
);

CREATE INDEX interviews_by_status ON interviews (status, updated_at);

-- Answers are clustered by interview (WITHOUT ROWID, keyed by interview then path),
-- so saves touch one B-tree region and exports read sequentially.
CREATE TABLE answers (
    interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    item_path    TEXT NOT NULL,
    value        TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (interview_id, item_path)
) WITHOUT ROWID;

-- Work that must reach the server. A row is written in the same transaction as
-- the change it carries, so a crash can never leave a change without its row.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    payload_hash    TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'acked', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER
);

CREATE INDEX outbox_pending ON outbox (state, created_at, id);

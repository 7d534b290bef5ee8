-- canvass-server SQLite schema, version 1: accounts, device tokens, received records, the changes feed.
-- Timestamps are INTEGER Unix milliseconds UTC; ids are the devices' UUIDv7 text.

CREATE TABLE users (
    name          TEXT PRIMARY KEY NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'interviewer')),
    team          TEXT,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL
);

-- Only the SHA-256 of a token is stored, so a copy of the database grants no access.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_name  TEXT NOT NULL REFERENCES users (name),
    device_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE INDEX tokens_by_user ON tokens (user_name);

-- Every record a device pushed, keyed by the device-made id: the idempotency key.
CREATE TABLE records (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    team         TEXT,
    received_at  INTEGER NOT NULL,
    batch_id     TEXT NOT NULL
);

CREATE INDEX records_by_team ON records (kind, team, received_at);

-- One row per received batch; `inserted` counts only rows this batch actually stored.
CREATE TABLE ingest_log (
    batch_id    TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    items       INTEGER NOT NULL,
    inserted    INTEGER NOT NULL,
    duplicates  INTEGER NOT NULL,
    conflicts   INTEGER NOT NULL,
    invalid     INTEGER NOT NULL
);

-- What devices pull: questionnaire versions, assignments, decisions, in publication order.
CREATE TABLE changes (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('questionnaire_version', 'assignment', 'decision')),
    team TEXT,
    body TEXT NOT NULL
);

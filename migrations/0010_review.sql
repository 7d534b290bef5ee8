-- Canvass client schema, version 10: the review desk.
-- `review_decisions` holds every supervisor's decision this device knows:
-- made here (origin 'local', written with its outbox row in one transaction)
-- or pulled from the server (origin 'server'). A pulled decision is applied to
-- this device's interview (a rejection reopens it) in the same transaction
-- that sets `applied_at`, so a crash neither loses nor repeats a reopen.
-- `review_records` keeps the payload of each interview a supervisor pulled for
-- review (its session log travels in it); those interviews sit in `interviews`
-- with origin 'server' and never enter the outbox.
-- `review_settings` holds the signed-in role and the per-study speeding
-- thresholds (seconds per question) the flags use.

CREATE TABLE review_decisions (
    id           TEXT PRIMARY KEY NOT NULL,
    interview_id TEXT NOT NULL,
    revision     INTEGER NOT NULL CHECK (revision >= 1),
    decision     TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    comment      TEXT,
    -- JSON array of the question paths the comment is about.
    paths        TEXT NOT NULL DEFAULT '[]',
    decided_by   TEXT,
    decided_at   INTEGER NOT NULL,
    origin       TEXT NOT NULL CHECK (origin IN ('local', 'server')),
    applied_at   INTEGER
);

CREATE INDEX review_decisions_by_interview ON review_decisions (interview_id, decided_at);

CREATE TABLE review_records (
    interview_id TEXT PRIMARY KEY NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    record_id    TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    team         TEXT,
    payload      TEXT NOT NULL,
    received_at  INTEGER NOT NULL
);

CREATE TABLE review_settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

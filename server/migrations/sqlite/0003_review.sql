-- canvass-server SQLite schema: supervisors' decisions on interviews, one row per decision id.
-- A decision is stored and published to the interviewer's team in one
-- transaction, so a resend (same id, same content) neither publishes twice nor
-- is lost between the two; `seq` is its place in the changes feed.

CREATE TABLE decisions (
    id           TEXT PRIMARY KEY NOT NULL,
    interview_id TEXT NOT NULL,
    revision     INTEGER,
    decision     TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    body         TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    decided_by   TEXT NOT NULL,
    team         TEXT,
    received_at  INTEGER NOT NULL,
    seq          INTEGER NOT NULL
);

CREATE INDEX decisions_by_interview ON decisions (interview_id, received_at);

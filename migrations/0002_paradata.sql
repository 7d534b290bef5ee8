-- Canvass client schema, version 2: the paradata (session log) of every interview.
-- Only a session's start reads the wall clock; every event stores a monotonic
-- offset from it, so changing the device clock cannot stretch or reorder events.

CREATE TABLE paradata_sessions (
    id             TEXT PRIMARY KEY NOT NULL,
    interview_id   TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    started_at_ms  INTEGER NOT NULL,
    tz_offset_min  INTEGER NOT NULL,
    mode           TEXT NOT NULL DEFAULT 'CAPI' CHECK (mode IN ('CAPI', 'CATI', 'CAWI')),
    device_id      TEXT,
    user_id        TEXT,
    app_version    TEXT NOT NULL,
    form_id        TEXT NOT NULL,
    form_version   TEXT NOT NULL
);

CREATE INDEX paradata_sessions_by_interview ON paradata_sessions (interview_id, started_at_ms);

-- One row per event, clustered by interview and ordered by seq (never by time).
-- A span (a question on screen) is inserted when it starts, with end_offset_ms
-- NULL, and closed when the interviewer leaves; a crash leaves it open and the
-- next session closes it at the last durable event with end_estimated = 1.
CREATE TABLE paradata_events (
    interview_id   TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    session_id     TEXT NOT NULL REFERENCES paradata_sessions (id),
    offset_ms      INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    node           TEXT,
    end_offset_ms  INTEGER,
    end_estimated  INTEGER NOT NULL DEFAULT 0 CHECK (end_estimated IN (0, 1)),
    old_value      TEXT,
    new_value      TEXT,
    extra          TEXT,
    PRIMARY KEY (interview_id, seq)
) WITHOUT ROWID;

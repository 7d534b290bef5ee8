CREATE INDEX interviews_by_status ON interviews (status, updated_at);
CREATE INDEX outbox_pending ON outbox (state, created_at, id);
CREATE INDEX paradata_sessions_by_interview ON paradata_sessions (interview_id, started_at_ms);
CREATE TABLE answers (
    interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    item_path    TEXT NOT NULL,
    value        TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (interview_id, item_path)
) WITHOUT ROWID;
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
CREATE TABLE questionnaires (
    id            TEXT NOT NULL,
    version       TEXT NOT NULL,
    title         TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    source        BLOB NOT NULL,
    source_sha256 TEXT NOT NULL,
    installed_at  INTEGER NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE TABLE received_assignments (
    id               TEXT PRIMARY KEY NOT NULL,
    questionnaire_id TEXT NOT NULL,
    assignee         TEXT,
    -- The assignment's JSON body (preloads, address, target...), as received.
    body             TEXT NOT NULL,
    received_at      INTEGER NOT NULL
);
CREATE TABLE received_decisions (
    interview_id TEXT NOT NULL,
    decided_at   INTEGER NOT NULL,
    decision     TEXT NOT NULL,
    comment      TEXT,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (interview_id, decided_at, decision)
);
CREATE TABLE received_questionnaires (
    questionnaire_id TEXT NOT NULL,
    version          TEXT NOT NULL,
    -- The form file as uploaded to the server; NULL when the server sent none.
    file_name        TEXT,
    source           BLOB,
    -- The server's JSON definition, as received.
    definition       TEXT NOT NULL,
    received_at      INTEGER NOT NULL,
    state            TEXT NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'installed', 'refused')),
    problem          TEXT,
    PRIMARY KEY (questionnaire_id, version)
);
CREATE TABLE sync_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'nothing_to_do', 'retry_later', 'unauthorized', 'failed')),
    batches     INTEGER NOT NULL,
    accepted    INTEGER NOT NULL,
    duplicate   INTEGER NOT NULL,
    conflict    INTEGER NOT NULL,
    invalid     INTEGER NOT NULL,
    deferred    INTEGER NOT NULL,
    bytes_sent  INTEGER NOT NULL,
    changes     INTEGER NOT NULL,
    error       TEXT
);
CREATE TABLE sync_settings (
    id             INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    device_id      TEXT NOT NULL,
    server_url     TEXT,
    user_name      TEXT,
    token          TEXT,
    changes_cursor TEXT
);

CREATE INDEX cati_appointments_by_case ON cati_appointments (study_id, case_id, state);
CREATE INDEX cati_appointments_due ON cati_appointments (state, starts_at);
CREATE INDEX cati_attempts_by_case ON cati_attempts (study_id, case_id, started_at);
CREATE INDEX cati_cases_queue ON cati_cases
    (status, study_id, timezone, priority DESC, last_call_at, id, next_allowed_at, appointment_at);
CREATE INDEX cati_events_by_case ON cati_events (study_id, case_id, seq);
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
CREATE TABLE cati_appointments (
    id          TEXT PRIMARY KEY NOT NULL,
    study_id    TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    -- Hard appointments belong to this interviewer; soft ones go to anyone once due.
    interviewer TEXT NOT NULL,
    hard        INTEGER NOT NULL CHECK (hard IN (0, 1)),
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'kept', 'cancelled')),
    created_at  INTEGER NOT NULL,
    FOREIGN KEY (study_id, case_id) REFERENCES cati_cases (study_id, id)
);
CREATE TABLE cati_attempts (
    id             TEXT PRIMARY KEY NOT NULL,
    study_id       TEXT NOT NULL,
    case_id        TEXT NOT NULL,
    phone_index    INTEGER NOT NULL,
    phone          TEXT NOT NULL,
    interviewer    TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER NOT NULL,
    outcome_code   TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    appointment_id TEXT,
    interview_id   TEXT,
    FOREIGN KEY (study_id, case_id) REFERENCES cati_cases (study_id, id)
);
CREATE TABLE cati_cases (
    study_id         TEXT NOT NULL,
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    -- IANA zone such as Europe/Kyiv; never an offset, so DST is right at selection time.
    timezone         TEXT NOT NULL,
    priority         INTEGER NOT NULL DEFAULT 50,
    -- JSON array of phone numbers in the order they are tried.
    phones           TEXT NOT NULL,
    -- JSON object of the sample's extra columns, readable in forms as ${case.NAME}.
    preload          TEXT NOT NULL,
    imported_at      INTEGER NOT NULL,
    -- Derived state (see above).
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'final')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_call_at     INTEGER,
    next_allowed_at  INTEGER NOT NULL DEFAULT 0,
    last_outcome     TEXT,
    final_code       TEXT,
    -- JSON: {"numbers": [{"dials": n, "dead": bool}, ...], "next_phone": n or null}.
    number_state     TEXT NOT NULL,
    appointment_at   INTEGER,
    -- The device this case is leased to (NULL: imported here, this device's own) and until when.
    lease_device     TEXT,
    lease_expires_at INTEGER,
    notes            TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (study_id, id)
) WITHOUT ROWID;
CREATE TABLE cati_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id    TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    interviewer TEXT NOT NULL,
    extra       TEXT NOT NULL
);
CREATE TABLE cati_interviews (
    interview_id TEXT PRIMARY KEY NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    study_id     TEXT NOT NULL,
    case_id      TEXT NOT NULL,
    FOREIGN KEY (study_id, case_id) REFERENCES cati_cases (study_id, id)
) WITHOUT ROWID;
CREATE TABLE cati_outcomes (
    study_id TEXT NOT NULL,
    code     TEXT NOT NULL,
    settings TEXT NOT NULL,
    PRIMARY KEY (study_id, code)
) WITHOUT ROWID;
CREATE TABLE cati_quotas (
    study_id         TEXT NOT NULL,
    name             TEXT NOT NULL,
    expression       TEXT NOT NULL,
    target           INTEGER NOT NULL CHECK (target >= 0),
    local_count      INTEGER NOT NULL DEFAULT 0,
    server_count     INTEGER,
    server_count_at  INTEGER,
    PRIMARY KEY (study_id, name)
) WITHOUT ROWID;
CREATE TABLE cati_rules (
    study_id TEXT PRIMARY KEY NOT NULL,
    settings TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE cati_zones (
    study_id TEXT NOT NULL,
    timezone TEXT NOT NULL,
    PRIMARY KEY (study_id, timezone)
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

CREATE INDEX assignment_interviews_by_assignment ON assignment_interviews (assignment_id, linked_at);
CREATE INDEX assignments_by_area ON assignments (area);
CREATE INDEX assignments_by_due ON assignments (due_date IS NULL, due_date, id);
CREATE INDEX assignments_by_status ON assignments (status, due_date IS NULL, due_date, id);
CREATE INDEX cati_appointments_by_case ON cati_appointments (study_id, case_id, state);
CREATE INDEX cati_appointments_due ON cati_appointments (state, starts_at);
CREATE INDEX cati_attempts_by_case ON cati_attempts (study_id, case_id, started_at);
CREATE INDEX cati_cases_queue ON cati_cases
    (status, study_id, timezone, priority DESC, last_call_at, id, next_allowed_at, appointment_at);
CREATE INDEX cati_events_by_case ON cati_events (study_id, case_id, seq);
CREATE INDEX cati_interviews_by_case ON cati_interviews (study_id, case_id);
CREATE INDEX consents_by_interview ON consents (interview_id, recorded_at);
CREATE INDEX interview_attachments_by_hash ON interview_attachments (hash);
CREATE INDEX interviews_by_status ON interviews (status, updated_at);
CREATE INDEX outbox_pending ON outbox (state, created_at, id);
CREATE INDEX paradata_sessions_by_interview ON paradata_sessions (interview_id, started_at_ms);
CREATE INDEX review_decisions_by_interview ON review_decisions (interview_id, decided_at);
CREATE INDEX visits_by_assignment ON visits (assignment_id, visited_at);
CREATE TABLE answers (
    interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    item_path    TEXT NOT NULL,
    value        TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (interview_id, item_path)
) WITHOUT ROWID;
CREATE TABLE assignment_events (
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    seq           INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    tz_offset_min INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    detail        TEXT,
    PRIMARY KEY (assignment_id, seq)
) WITHOUT ROWID;
CREATE TABLE assignment_interviews (
    interview_id  TEXT PRIMARY KEY NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    linked_at     INTEGER NOT NULL
);
CREATE TABLE assignments (
    id           TEXT PRIMARY KEY NOT NULL,
    study_id     TEXT NOT NULL,
    interviewer  TEXT NOT NULL,
    address      TEXT NOT NULL,
    area         TEXT NOT NULL DEFAULT '',
    target       INTEGER NOT NULL CHECK (target >= 1),
    due_date     TEXT,
    -- The preload columns as one JSON object of strings, in file order.
    preload      TEXT NOT NULL DEFAULT '{}',
    -- Lower-cased id, address, area and preload values: what dashboard search matches.
    search_text  TEXT NOT NULL,
    imported_at  INTEGER NOT NULL,
    -- Maintained by the triggers below; never written by the application.
    interviews    INTEGER NOT NULL DEFAULT 0,
    completed     INTEGER NOT NULL DEFAULT 0,
    visits        INTEGER NOT NULL DEFAULT 0,
    last_visit_at INTEGER,
    status        TEXT GENERATED ALWAYS AS (
                      CASE
                          WHEN completed >= target THEN 'done'
                          WHEN interviews > 0 THEN 'started'
                          WHEN visits > 0 THEN 'visited_no_contact'
                          ELSE 'new'
                      END) STORED
);
CREATE TABLE attachment_blobs (
    -- Lower-case hex SHA-256 of `data`.
    hash        TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64),
    size        INTEGER NOT NULL CHECK (size >= 0),
    data        BLOB NOT NULL,
    stored_at   INTEGER NOT NULL,
    uploaded_at INTEGER
, refused_at INTEGER);
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
CREATE TABLE cati_received (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('case_list', 'outcome_table')),
    study_id    TEXT NOT NULL,
    -- The change as the server sent it (JSON of canvass-protocol's CaseList or OutcomeTable).
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'imported', 'refused')),
    problem     TEXT
) WITHOUT ROWID;
CREATE TABLE cati_rules (
    study_id TEXT PRIMARY KEY NOT NULL,
    settings TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE cati_server_studies (
    study_id TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;
CREATE TABLE cati_zones (
    study_id TEXT NOT NULL,
    timezone TEXT NOT NULL,
    PRIMARY KEY (study_id, timezone)
) WITHOUT ROWID;
CREATE TABLE consents (
    id            TEXT PRIMARY KEY NOT NULL,
    interview_id  TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    given         INTEGER NOT NULL CHECK (given IN (0, 1)),
    statement     TEXT NOT NULL,
    recorded_at   INTEGER NOT NULL
);
CREATE TABLE interview_attachments (
    interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    item_path    TEXT NOT NULL,
    -- The answer's value: the file's name as the interviewer picked it.
    file_name    TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    hash         TEXT NOT NULL REFERENCES attachment_blobs (hash),
    attached_at  INTEGER NOT NULL,
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
, interviewer TEXT, revision INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1), origin TEXT NOT NULL DEFAULT 'device' CHECK (origin IN ('device', 'server')));
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
, problem TEXT);
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
CREATE TABLE respondent_locks (
    interview_id TEXT PRIMARY KEY NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    salt         TEXT NOT NULL,
    pin_hash     TEXT NOT NULL,
    locked_at    INTEGER NOT NULL
);
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
CREATE TABLE review_records (
    interview_id TEXT PRIMARY KEY NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    record_id    TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    team         TEXT,
    payload      TEXT NOT NULL,
    received_at  INTEGER NOT NULL
, server_received_at INTEGER);
CREATE TABLE review_settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
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
CREATE TABLE visits (
    id            TEXT PRIMARY KEY NOT NULL,
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    visited_at    INTEGER NOT NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('nobody_home', 'refused', 'address_not_found', 'other')),
    aapor_code    TEXT NOT NULL,
    revisit_at    INTEGER,
    note          TEXT
);
CREATE TRIGGER assignment_interview_linked AFTER INSERT ON assignment_interviews BEGIN
    UPDATE assignments SET
        interviews = (SELECT count(*) FROM assignment_interviews WHERE assignment_id = NEW.assignment_id),
        completed = (SELECT count(*) FROM assignment_interviews AS ai JOIN interviews AS i ON i.id = ai.interview_id
                     WHERE ai.assignment_id = NEW.assignment_id AND i.status = 'completed')
    WHERE id = NEW.assignment_id;
END;
CREATE TRIGGER assignment_interview_status AFTER UPDATE OF status ON interviews
WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE assignments SET
        completed = (SELECT count(*) FROM assignment_interviews AS ai JOIN interviews AS i ON i.id = ai.interview_id
                     WHERE ai.assignment_id = assignments.id AND i.status = 'completed')
    WHERE id = (SELECT assignment_id FROM assignment_interviews WHERE interview_id = NEW.id);
END;
CREATE TRIGGER assignment_interview_unlinked AFTER DELETE ON assignment_interviews BEGIN
    UPDATE assignments SET
        interviews = (SELECT count(*) FROM assignment_interviews WHERE assignment_id = OLD.assignment_id),
        completed = (SELECT count(*) FROM assignment_interviews AS ai JOIN interviews AS i ON i.id = ai.interview_id
                     WHERE ai.assignment_id = OLD.assignment_id AND i.status = 'completed')
    WHERE id = OLD.assignment_id;
END;
CREATE TRIGGER assignment_visit_added AFTER INSERT ON visits BEGIN
    UPDATE assignments SET
        visits = (SELECT count(*) FROM visits WHERE assignment_id = NEW.assignment_id),
        last_visit_at = (SELECT max(visited_at) FROM visits WHERE assignment_id = NEW.assignment_id)
    WHERE id = NEW.assignment_id;
END;
CREATE TRIGGER assignment_visit_removed AFTER DELETE ON visits BEGIN
    UPDATE assignments SET
        visits = (SELECT count(*) FROM visits WHERE assignment_id = OLD.assignment_id),
        last_visit_at = (SELECT max(visited_at) FROM visits WHERE assignment_id = OLD.assignment_id)
    WHERE id = OLD.assignment_id;
END;

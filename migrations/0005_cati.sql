-- Canvass client schema, version 5: telephone interviewing (CATI).
-- Cases (the sample), per-study outcome overrides, the append-only call history,
-- appointments, quota cells and the call-handling log. Every case row also holds
-- its derived scheduling state (attempt counts, last call, next allowed dial,
-- final code, pending appointment, lease), recomputed from its own history in
-- the same transaction as each recorded call, so choosing the next case reads
-- one index instead of replaying a million attempts.

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

-- The call queue per study and time zone: open cases by priority, then least
-- recently called (never-called first). The scheduler reads only zones whose
-- calling window is open now, so cases asleep in their night are never scanned.
-- The trailing columns let SQLite skip cases waiting for their redial time or an
-- appointment inside the index, without reading their rows.
CREATE INDEX cati_cases_queue ON cati_cases
    (status, study_id, timezone, priority DESC, last_call_at, id, next_allowed_at, appointment_at);

-- The (study, time zone) pairs that have cases, kept at import: a handful of rows.
CREATE TABLE cati_zones (
    study_id TEXT NOT NULL,
    timezone TEXT NOT NULL,
    PRIMARY KEY (study_id, timezone)
) WITHOUT ROWID;

-- Per-study outcome settings that override the built-in AAPOR table, one JSON row per code.
CREATE TABLE cati_outcomes (
    study_id TEXT NOT NULL,
    code     TEXT NOT NULL,
    settings TEXT NOT NULL,
    PRIMARY KEY (study_id, code)
) WITHOUT ROWID;

-- Per-study calling rules (windows per weekday, attempt limits) as JSON; absent: the defaults.
CREATE TABLE cati_rules (
    study_id TEXT PRIMARY KEY NOT NULL,
    settings TEXT NOT NULL
) WITHOUT ROWID;

-- One row per dial: append-only, never updated.
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

CREATE INDEX cati_attempts_by_case ON cati_attempts (study_id, case_id, started_at);

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

CREATE INDEX cati_appointments_due ON cati_appointments (state, starts_at);
CREATE INDEX cati_appointments_by_case ON cati_appointments (study_id, case_id, state);

-- Quota cells: an ODK expression over answers and ${case.NAME} preload values, with a target.
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

-- The call-handling session log (paradata of the call itself, outside any interview):
-- call_start, call_end and appointment events with the attempt id and disposition in extra.
CREATE TABLE cati_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id    TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    interviewer TEXT NOT NULL,
    extra       TEXT NOT NULL
);

CREATE INDEX cati_events_by_case ON cati_events (study_id, case_id, seq);

-- The case an interview was started for, written in the interview's own creating
-- transaction, so a resumed interview always finds its preload values again.
CREATE TABLE cati_interviews (
    interview_id TEXT PRIMARY KEY NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    study_id     TEXT NOT NULL,
    case_id      TEXT NOT NULL,
    FOREIGN KEY (study_id, case_id) REFERENCES cati_cases (study_id, id)
) WITHOUT ROWID;

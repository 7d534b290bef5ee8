-- canvass-server SQLite schema, version 2: telephone interviewing (CATI) on the server.
-- Case lists and outcome tables join the changes feed (two new kinds), and case
-- leases say which device may call a case of a server-managed study.

-- SQLite cannot alter a CHECK constraint, so the feed is rebuilt with the new
-- kinds; sequence numbers are copied, so every device's cursor stays valid.
CREATE TABLE changes_v2 (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('questionnaire_version', 'assignment', 'decision', 'case_list', 'outcome_table')),
    team TEXT,
    body TEXT NOT NULL
);
INSERT INTO changes_v2 (seq, kind, team, body) SELECT seq, kind, team, body FROM changes;
DROP TABLE changes;
ALTER TABLE changes_v2 RENAME TO changes;

-- One row per leased case: the device that may call it, until when, and whether
-- that device reported attempts on it not yet pushed (then it is never given to another).
CREATE TABLE cati_leases (
    study_id   TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    team       TEXT,
    device_id  TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    unsynced   INTEGER NOT NULL DEFAULT 0 CHECK (unsynced IN (0, 1)),
    PRIMARY KEY (study_id, case_id)
) WITHOUT ROWID;

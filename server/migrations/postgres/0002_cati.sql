-- canvass-server PostgreSQL schema, version 2: telephone interviewing (CATI) on the server.
-- Case lists and outcome tables join the changes feed (two new kinds), and case
-- leases say which device may call a case of a server-managed study.

ALTER TABLE changes DROP CONSTRAINT changes_kind_check;
ALTER TABLE changes ADD CONSTRAINT changes_kind_check
    CHECK (kind IN ('questionnaire_version', 'assignment', 'decision', 'case_list', 'outcome_table'));

-- One row per leased case: the device that may call it, until when, and whether
-- that device reported attempts on it not yet pushed (then it is never given to another).
CREATE TABLE cati_leases (
    study_id   TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    team       TEXT,
    device_id  TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    unsynced   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (study_id, case_id)
);

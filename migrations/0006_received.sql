-- Canvass client schema, version 6: what the server sends back through sync, kept as received.
-- Questionnaire versions are stored here first, in the same transaction that
-- advances the changes cursor, and then installed into `questionnaires` (state
-- `installed`) or refused with the importer's reason (state `refused`), so a
-- form that cannot be read is visible, never silently dropped. Assignments and
-- supervisors' decisions are kept for the CAPI and supervisor screens; a
-- re-published assignment replaces the earlier one with the same id.

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

PRAGMA user_version = 6;

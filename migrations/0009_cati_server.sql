-- Canvass client schema, version 9: CATI case lists and outcome tables from the server.
-- What the changes feed brought is kept first (idempotent by id), then imported
-- with the same row checks as a local import; a refused list stays here with its
-- problem, so the sync screen and the CLI can say why nothing was imported.
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

-- Studies whose cases came from the server: their cases are called only under a
-- lease this device holds from the server (the scheduler checks it).
CREATE TABLE cati_server_studies (
    study_id TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;

-- The call screen looks up a case's unfinished interview (a partial to resume) on every card.
CREATE INDEX cati_interviews_by_case ON cati_interviews (study_id, case_id);

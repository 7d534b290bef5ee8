-- Canvass client schema, version 4: installed questionnaire versions, kept as uploaded.
-- Every version stays installed, so a draft always continues on the version it
-- started on, whatever is installed later.

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

-- Canvass server schema (PostgreSQL): attachments (photos, recordings, files) of interviews, stored once per content.
-- A blob is keyed by the SHA-256 of its bytes, checked on upload. Which teams
-- may read a blob is a separate table: a hash known to one team tells another
-- team nothing (it is "missing" for them until one of their devices uploads it).
CREATE TABLE attachment_blobs (
    hash      TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64),
    size      BIGINT NOT NULL,
    data      BYTEA NOT NULL,
    stored_at BIGINT NOT NULL
);

CREATE TABLE attachment_teams (
    hash        TEXT NOT NULL REFERENCES attachment_blobs (hash),
    -- The uploader's team; '' for an account without one.
    team        TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    PRIMARY KEY (hash, team)
);

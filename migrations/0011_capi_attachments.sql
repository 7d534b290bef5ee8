-- Canvass client schema: CAPI attachments, the respondent-mode lock, and received assignments on the dashboard.
--
-- Attachments (photo, audio and file questions) are stored once per content:
-- `attachment_blobs` is keyed by the SHA-256 of the bytes, so the same photo
-- attached twice is stored once. `interview_attachments` says which file
-- answers which question; it is written in the same transaction as the
-- answer (whose value is the file name, as in ODK), so an answer shown as
-- saved always has its bytes. `uploaded_at` records when the server
-- confirmed it holds the blob, so a sync uploads only what it lacks.

CREATE TABLE attachment_blobs (
    -- Lower-case hex SHA-256 of `data`.
    hash        TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64),
    size        INTEGER NOT NULL CHECK (size >= 0),
    data        BLOB NOT NULL,
    stored_at   INTEGER NOT NULL,
    uploaded_at INTEGER
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

CREATE INDEX interview_attachments_by_hash ON interview_attachments (hash);

-- Respondent mode (the laptop handed to the respondent) survives a restart:
-- while a row is here the app reopens the interview locked. Only a salted
-- SHA-256 of the interviewer's PIN is kept, never the PIN.
CREATE TABLE respondent_locks (
    interview_id TEXT PRIMARY KEY NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    salt         TEXT NOT NULL,
    pin_hash     TEXT NOT NULL,
    locked_at    INTEGER NOT NULL
);

-- A received assignment that could not become a dashboard assignment keeps
-- the reason here (NULL when it was merged), so it is visible, never dropped.
ALTER TABLE received_assignments ADD COLUMN problem TEXT;

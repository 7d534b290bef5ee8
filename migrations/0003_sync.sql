-- Canvass client schema, version 3: what sync needs besides the outbox.
-- sync_settings holds one row: this device's id, the server it signed in to,
-- the bearer token (cleared when the server refuses it) and the changes cursor.

CREATE TABLE sync_settings (
    id             INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    device_id      TEXT NOT NULL,
    server_url     TEXT,
    user_name      TEXT,
    token          TEXT,
    changes_cursor TEXT
);

-- One row per sync pass, readable by people: what was sent, what came back, what went wrong.
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

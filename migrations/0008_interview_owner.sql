-- Canvass client schema, version 8: who an interview belongs to, its revision and where it came from.
-- A supervisor's device holds its team's interviews next to its own, and a
-- rejected interview comes back to be corrected as a new revision, so these
-- facts belong on the interview row that every export and dashboard reads.
-- `interviewer` is NULL for interviews made on this device by its signed-in
-- user (the sync settings name them), so existing rows need no back-fill.
-- `origin` is 'device' for interviews made here and 'server' for interviews a
-- supervisor pulled for review; pulled interviews never enter the outbox.

ALTER TABLE interviews ADD COLUMN interviewer TEXT;
ALTER TABLE interviews ADD COLUMN revision INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1);
ALTER TABLE interviews ADD COLUMN origin TEXT NOT NULL DEFAULT 'device' CHECK (origin IN ('device', 'server'));

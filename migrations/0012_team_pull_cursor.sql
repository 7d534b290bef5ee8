-- Canvass client schema: where a supervisor's device left off pulling its team's interviews.
--
-- `server_received_at` is the time the server says it received the record (its
-- own clock, Unix ms), unlike `received_at`, which is this device's. The newest
-- one held is the cursor of the next pull, which asks the server only for
-- records received since then (less an overlap for ingests still in flight),
-- instead of the whole team list at every sync. Rows pulled before this
-- migration have none; the next pull fills it in for the records it sees again.
ALTER TABLE review_records ADD COLUMN server_received_at INTEGER;

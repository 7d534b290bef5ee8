-- Canvass client schema: attachments the server refused as too large.
--
-- A file over the server's limit (its own, or a proxy's in front of it) would
-- otherwise be sent whole again at every sync pass, on the slow connections
-- field work has, and refused again each time. `refused_at` is when the
-- server last refused it (this device's clock, Unix ms; NULL when never): the
-- sync leaves such a file alone for a day, then tries once more, in case the
-- limit was raised. The file itself stays on the device either way.
ALTER TABLE attachment_blobs ADD COLUMN refused_at INTEGER;

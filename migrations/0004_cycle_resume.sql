-- placewatch schema 4 (SQLite): resumable poll cycles.
--
-- A poll cycle commits each page as it arrives. Until its last page is stored
-- the cycle is pending: `since_id` stays where the previous complete cycle
-- left it (X's polling rule), and these two columns say where to resume.
--
-- pending_newest_id: the first page's newest_id of the unfinished cycle; it
--   becomes since_id when the cycle completes. NULL when that page was empty.
-- pending_until_id:  the oldest post id read so far in the cycle; a resumed
--   cycle asks X for until_id = this (exclusive), with the same since_id (or
--   start_time, for a backfill). NULL when no cycle is pending.
--
-- Portable SQL: plain nullable columns.

ALTER TABLE cursors ADD COLUMN pending_newest_id INTEGER;
ALTER TABLE cursors ADD COLUMN pending_until_id INTEGER;

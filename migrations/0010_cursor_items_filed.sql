-- placewatch schema 10 (SQLite): how many items each monitor has filed.
--
-- The status page and `placewatch status` show, beside each monitor's posts
-- read, how many triage items it filed: the posts it was the first to find
-- (an item belongs to whichever monitor found its post first). Counted in
-- the transaction that stores the page (store::ingest), like posts_read.
--
-- items_filed: items created from this cursor's pages.
-- items_filed_since: when the count began, for a cursor written before this
--   schema (its earlier items were not attributed to a monitor): the
--   upgrade. NULL for a cursor that has counted from its first page (a
--   changed query starts a new cursor).
--
-- Portable SQL: plain columns with a default; the timestamp as the store
-- writes them ("2026-11-26T15:33:00.000Z").

ALTER TABLE cursors ADD COLUMN items_filed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cursors ADD COLUMN items_filed_since TEXT;
UPDATE cursors SET items_filed_since = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');

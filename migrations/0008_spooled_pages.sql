-- placewatch schema 8 (SQLite): pages spooled before they are stored.
--
-- The poller writes each page it reads from X to a spool file, numbered in
-- the order read, before it tags and commits it (see poller::spool), so a
-- crash (SIGKILL) between reading pages and committing them does not cost
-- a second read: the next run stores the spooled pages first.
--
-- spooled_through: the number of the last spooled page committed, set in
--   the same transaction as the page's posts. Spool files numbered above it
--   are what the next run stores before it asks X for more. 0: none yet.
--
-- Portable SQL: a plain column with a default.

ALTER TABLE cursors ADD COLUMN spooled_through INTEGER NOT NULL DEFAULT 0;

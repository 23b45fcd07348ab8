-- placewatch schema 7 (SQLite): the search indexes merge their segments in
-- bigger steps.
--
-- Every ingest commit adds one segment to the full-text index of each status
-- it files items in. FTS5's default 'automerge' of 4 merges a level as soon
-- as it holds 4 segments, so a backfill spent a noticeable part of the
-- writer's time re-merging recent segments. At 16 the same data is merged
-- about half as often (benches/ingest.rs: the writer's CPU per post fell
-- from 41-48 to 35-38 µs). Searches read a few more segments; the desk
-- bench keeps its search target (benches/desk.rs). The setting is stored in
-- each index's own config table.

INSERT INTO items_fts_new (items_fts_new, rank) VALUES ('automerge', 16);
INSERT INTO items_fts_in_progress (items_fts_in_progress, rank) VALUES ('automerge', 16);
INSERT INTO items_fts_replied (items_fts_replied, rank) VALUES ('automerge', 16);
INSERT INTO items_fts_referred (items_fts_referred, rank) VALUES ('automerge', 16);
INSERT INTO items_fts_dismissed (items_fts_dismissed, rank) VALUES ('automerge', 16);

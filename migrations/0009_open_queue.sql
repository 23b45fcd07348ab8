-- placewatch schema 9 (SQLite): the open queue, by priority then waiting.
--
-- The desk lands on the open items (new and in progress), most urgent first
-- and, within a priority, the post that has waited longest first. This
-- partial index holds exactly those items in that order, so the first page
-- is one short walk however many items are stored; the store's query names
-- the same expression and the same status list (store::plan::PRIORITY_RANK),
-- which is what lets SQLite use it. PostgreSQL accepts the same statement.

CREATE INDEX items_open_by_priority ON items (
    (CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END),
    post_id
) WHERE status IN ('new', 'in_progress');

-- placewatch schema 18 (SQLite): what the manager's report reads, derived once.
--
-- The report (store::reports) measures, for the items whose post was
-- created in a period, the first response (the first reply sent, on either
-- path, an item marked replied, or a referral) and the resolution (the first
-- time it was replied to, referred or dismissed), each from the post's time.
-- Scanning the audit log for every report would grow with history, so each
-- item's times are kept in `item_times`, one row per item:
--
-- - `posted_at`: the post's created_at (the item's own time when X gave
--   none), and its language, written with the item by store::ingest::derive
--   (migration 0005: new items' derived rows are written set-based, not by
--   a trigger), so the report reads no post;
-- - the first response and resolution: set by a trigger on the audit log
--   the first time an entry of those actions is appended for the item, and
--   never changed after (an undo or a reopening does not unsay them).
--   `first_response_by` is the officer: the reply's author for `reply.sent`
--   (whose actor is the outbox), else the entry's actor.
--
-- `place_reads` counts, per UTC month (as `usage` does) and place name, the
-- matched posts stored: each new item counts once for each of its places
-- (written by store::ingest::derive), and a merge that adds a place to an
-- item counts that place once (the trigger below), because the post was read
-- again by that place's query.
--
-- Both are backfilled from what is stored. Portable SQL apart from the
-- trigger bodies and json_each (a PostgreSQL schema writes them as trigger
-- functions and jsonb_array_elements_text).

CREATE TABLE item_times (
    item_id           INTEGER PRIMARY KEY REFERENCES items (id),
    posted_at         TEXT NOT NULL,
    lang              TEXT, -- the post's, which never changes
    first_response_at TEXT,
    first_response_by TEXT,
    resolved_at       TEXT
);
CREATE INDEX item_times_by_posted ON item_times (posted_at);

CREATE TABLE place_reads (
    month TEXT    NOT NULL, -- "2026-11", UTC
    place TEXT    NOT NULL,
    reads INTEGER NOT NULL,
    PRIMARY KEY (month, place)
);

CREATE TRIGGER item_times_from_audit AFTER INSERT ON audit
WHEN new.item_id IS NOT NULL AND new.action IN (
    'reply.sent', 'reply.sent_manually', 'item.marked_replied', 'item.referred', 'item.dismissed')
BEGIN
    -- Every expression reads the row as it was, so the response's time and
    -- officer are set together, once.
    UPDATE item_times SET
        first_response_at = CASE
            WHEN first_response_at IS NULL AND new.action <> 'item.dismissed' THEN new.at
            ELSE first_response_at END,
        first_response_by = CASE
            WHEN first_response_at IS NULL AND new.action = 'reply.sent' THEN coalesce(
                (SELECT officer FROM replies WHERE id = json_extract(new.state_after, '$.reply.id')),
                new.actor)
            WHEN first_response_at IS NULL AND new.action <> 'item.dismissed' THEN new.actor
            ELSE first_response_by END,
        resolved_at = coalesce(resolved_at, new.at)
    WHERE item_id = new.item_id;
END;

CREATE TRIGGER place_reads_on_merge AFTER UPDATE OF places ON items BEGIN
    INSERT INTO place_reads (month, place, reads)
        SELECT substr(new.updated_at, 1, 7), value, 1 FROM json_each(new.places)
        WHERE value NOT IN (SELECT value FROM json_each(old.places))
        ON CONFLICT (month, place) DO UPDATE SET reads = place_reads.reads + 1;
END;

-- The backfill.
INSERT INTO item_times (item_id, posted_at, lang)
    SELECT i.id, coalesce(p.created_at, i.created_at), p.lang
    FROM items i JOIN posts p ON p.id = i.post_id;

UPDATE item_times SET
    first_response_at = (
        SELECT a.at FROM audit a
        WHERE a.item_id = item_times.item_id AND a.action IN (
            'reply.sent', 'reply.sent_manually', 'item.marked_replied', 'item.referred')
        ORDER BY a.id LIMIT 1),
    first_response_by = (
        SELECT CASE WHEN a.action = 'reply.sent' THEN coalesce(
            (SELECT officer FROM replies WHERE id = json_extract(a.state_after, '$.reply.id')),
            a.actor) ELSE a.actor END
        FROM audit a
        WHERE a.item_id = item_times.item_id AND a.action IN (
            'reply.sent', 'reply.sent_manually', 'item.marked_replied', 'item.referred')
        ORDER BY a.id LIMIT 1),
    resolved_at = (
        SELECT a.at FROM audit a
        WHERE a.item_id = item_times.item_id AND a.action IN (
            'reply.sent', 'reply.sent_manually', 'item.marked_replied', 'item.referred',
            'item.dismissed')
        ORDER BY a.id LIMIT 1);

INSERT INTO place_reads (month, place, reads)
    SELECT substr(i.created_at, 1, 7), p.value, count(*)
    FROM items i, json_each(i.places) p
    WHERE true
    GROUP BY 1, 2
    ON CONFLICT (month, place) DO UPDATE SET reads = place_reads.reads + excluded.reads;

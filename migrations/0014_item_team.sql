-- placewatch schema 14 (SQLite): items assigned to a team.
--
-- items.team_id is the team an item is assigned to (NULL: none), beside its
-- owner (an officer). The domain's rules for the two (domain::triage::change):
-- assigning to an officer keeps the team; assigning to a team keeps the owner
-- only if she is a member of it; unassigning clears both.
--
-- The team filter follows the owner filter (0006): a partial index of the
-- assigned items, by team, status and post id, which `team_id = ?` uses; an
-- `item_counts` facet 'team' (the id as text) for the status tabs; and a
-- filter marker in the search documents, U+E006 followed by the team's id in
-- decimal, so a team filter with words (or with another filter, or "my
-- teams": several teams OR-ed) stays one full-text query. The stemmer leaves
-- a string of digits alone.
--
-- Nothing is rebuilt: every item has no team when this runs, so every
-- stored document and counter is already what the new view and trigger
-- would make. Only the view (for rebuilds) and the update trigger (which
-- now also fires on team_id) are replaced; new items' rows are written by
-- store::ingest::derive, which writes the same marker.

ALTER TABLE items ADD COLUMN team_id INTEGER REFERENCES teams (id);
CREATE INDEX items_by_team ON items (team_id, status, post_id DESC) WHERE team_id IS NOT NULL;

DROP VIEW item_documents;
CREATE VIEW item_documents AS
    SELECT p.id AS id, i.status AS status,
        p.text
        || coalesce((SELECT ' ' || group_concat(char(57345) || hex(value), ' ')
                     FROM json_each(i.places)), '')
        || coalesce((SELECT ' ' || group_concat(char(57346) || hex(value), ' ')
                     FROM json_each(i.tags)), '')
        || CASE WHEN i.owner IS NULL THEN '' ELSE ' ' || char(57347) || hex(i.owner) END
        || CASE WHEN i.team_id IS NULL THEN '' ELSE ' ' || char(57350) || i.team_id END
        || ' ' || char(57348) || i.priority
        || ' ' || char(57349) || i.reply_path AS document
    FROM items i JOIN posts p ON p.id = i.post_id;

DROP TRIGGER items_derive_update;
CREATE TRIGGER items_derive_update
AFTER UPDATE OF status, owner, team_id, priority, reply_path, places, tags ON items BEGIN
    DELETE FROM item_places
        WHERE item_id = new.id AND place NOT IN (SELECT value FROM json_each(new.places));
    INSERT INTO item_places (item_id, place, position, status, post_id)
        SELECT new.id, value, key, new.status, new.post_id FROM json_each(new.places) WHERE true
        ON CONFLICT (item_id, place)
        DO UPDATE SET position = excluded.position, status = excluded.status;
    DELETE FROM item_tags
        WHERE item_id = new.id AND tag NOT IN (SELECT value FROM json_each(new.tags));
    INSERT INTO item_tags (item_id, tag, position, status, post_id)
        SELECT new.id, value, key, new.status, new.post_id FROM json_each(new.tags) WHERE true
        ON CONFLICT (item_id, tag)
        DO UPDATE SET position = excluded.position, status = excluded.status;
    UPDATE item_counts SET n = n - 1 WHERE status = old.status AND (facet, value) IN (
            SELECT 'all', '' UNION ALL SELECT 'priority', old.priority
            UNION ALL SELECT 'reply_path', old.reply_path
            UNION ALL SELECT 'owner', old.owner WHERE old.owner IS NOT NULL
            UNION ALL SELECT 'team', CAST(old.team_id AS TEXT) WHERE old.team_id IS NOT NULL
            UNION ALL SELECT 'place', value FROM json_each(old.places)
            UNION ALL SELECT 'tag', value FROM json_each(old.tags));
    INSERT INTO item_counts (facet, value, status, n)
        SELECT facet, value, new.status, 1 FROM (
            SELECT 'all' AS facet, '' AS value UNION ALL SELECT 'priority', new.priority
            UNION ALL SELECT 'reply_path', new.reply_path
            UNION ALL SELECT 'owner', new.owner WHERE new.owner IS NOT NULL
            UNION ALL SELECT 'team', CAST(new.team_id AS TEXT) WHERE new.team_id IS NOT NULL
            UNION ALL SELECT 'place', value FROM json_each(new.places)
            UNION ALL SELECT 'tag', value FROM json_each(new.tags)
        ) WHERE true
        ON CONFLICT (facet, value, status) DO UPDATE SET n = n + 1;
    DELETE FROM items_fts_new WHERE rowid = old.post_id AND old.status = 'new';
    DELETE FROM items_fts_in_progress WHERE rowid = old.post_id AND old.status = 'in_progress';
    DELETE FROM items_fts_replied WHERE rowid = old.post_id AND old.status = 'replied';
    DELETE FROM items_fts_referred WHERE rowid = old.post_id AND old.status = 'referred';
    DELETE FROM items_fts_dismissed WHERE rowid = old.post_id AND old.status = 'dismissed';
    INSERT INTO items_fts_new (rowid, document)
        SELECT id, document FROM item_documents WHERE id = new.post_id AND new.status = 'new';
    INSERT INTO items_fts_in_progress (rowid, document)
        SELECT id, document FROM item_documents WHERE id = new.post_id AND new.status = 'in_progress';
    INSERT INTO items_fts_replied (rowid, document)
        SELECT id, document FROM item_documents WHERE id = new.post_id AND new.status = 'replied';
    INSERT INTO items_fts_referred (rowid, document)
        SELECT id, document FROM item_documents WHERE id = new.post_id AND new.status = 'referred';
    INSERT INTO items_fts_dismissed (rowid, document)
        SELECT id, document FROM item_documents WHERE id = new.post_id AND new.status = 'dismissed';
END;

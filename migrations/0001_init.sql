-- placewatch schema 1 (SQLite).
--
-- Portable SQL except where SQLite needs its own: the FTS5 tables, the
-- triggers that keep them and the inbox counters in step, and the RAISE(ABORT)
-- triggers that keep the audit log append-only. A PostgreSQL backend gets its
-- own migrations (tsvector + GIN, trigger functions); the tables and columns
-- stay the same.
--
-- X ids (posts, users, conversations) are snowflakes below 2^63 and are stored
-- as INTEGER (i64); the store converts them from u64 with a checked conversion.
-- Timestamps are RFC 3339 UTC text with millisecond precision
-- ("2026-11-26T15:33:00.000Z"), so they sort as text.

-- Accounts that wrote posts; the latest username and display name win.
CREATE TABLE authors (
    id         INTEGER PRIMARY KEY,
    username   TEXT NOT NULL,
    name       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Every post read from X: matched posts and their context (replied-to and
-- quoted posts). Stored once, byte-exact, never changed.
CREATE TABLE posts (
    id                  INTEGER PRIMARY KEY,
    text                TEXT    NOT NULL,
    author_id           INTEGER,
    created_at          TEXT,
    conversation_id     INTEGER,
    in_reply_to_user_id INTEGER,
    replied_to          INTEGER,
    quoted              INTEGER,
    is_retweet          BOOLEAN NOT NULL,
    lang                TEXT,
    reply_settings      TEXT,
    mentions            TEXT    NOT NULL, -- JSON array of usernames, as written
    raw                 TEXT    NOT NULL, -- the post's JSON exactly as X sent it
    stored_at           TEXT    NOT NULL
);
CREATE INDEX posts_by_conversation ON posts (conversation_id, id);
-- Posts are stored as read, byte-exact, and never change.
CREATE TRIGGER posts_are_immutable BEFORE UPDATE OF id, text, raw ON posts BEGIN
    SELECT RAISE(ABORT, 'posts are stored as read and never change');
END;

-- Triage items: at most one per post, whichever monitor found it first.
-- The row is the truth about an item; item_places, item_tags, item_counts
-- and the full-text indexes below are derived from it by triggers, so no
-- write path (this store's or a later one's) can leave them behind. Items are
-- never deleted: the append-only audit log refers to every one.
-- The inbox lists newest post first, so every filter index ends in post_id;
-- the filter indexes also hold the status, so "new items owned by sam" walks
-- one index range, and "everything owned by sam" merges five (store::plan).
CREATE TABLE items (
    id              INTEGER PRIMARY KEY,
    post_id         INTEGER NOT NULL UNIQUE REFERENCES posts (id),
    conversation_id INTEGER, -- copy of posts.conversation_id, for threads
    status          TEXT    NOT NULL
        CHECK (status IN ('new', 'in_progress', 'replied', 'referred', 'dismissed')),
    priority        TEXT    NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    owner           TEXT,
    reply_path      TEXT    NOT NULL CHECK (reply_path IN ('api', 'manual')),
    summoned        BOOLEAN NOT NULL,
    places          TEXT    NOT NULL, -- JSON array of place names, first seen first, no repeats
    tags            TEXT    NOT NULL, -- JSON array of tags, likewise
    rules           TEXT    NOT NULL, -- JSON array of matched rule names
    flags           TEXT    NOT NULL, -- JSON object: domain::triage::Flags
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);
CREATE INDEX items_by_status       ON items (status, post_id DESC);
CREATE INDEX items_by_conversation ON items (conversation_id, post_id DESC);
CREATE INDEX items_by_owner        ON items (owner, status, post_id DESC);
CREATE INDEX items_by_priority     ON items (priority, status, post_id DESC);
CREATE INDEX items_by_reply_path   ON items (reply_path, status, post_id DESC);

-- One row per place name and tag of an item, for filtering. Derived from
-- items.places, items.tags and items.status; status and post_id repeat the
-- item's so that a place or tag filter walks its own index newest first and
-- stops after one page.
CREATE TABLE item_places (
    item_id  INTEGER NOT NULL REFERENCES items (id),
    place    TEXT    NOT NULL,
    position INTEGER NOT NULL,
    status   TEXT    NOT NULL,
    post_id  INTEGER NOT NULL,
    PRIMARY KEY (item_id, place)
);
CREATE INDEX item_places_by_place ON item_places (place, status, post_id DESC);

CREATE TABLE item_tags (
    item_id  INTEGER NOT NULL REFERENCES items (id),
    tag      TEXT    NOT NULL,
    position INTEGER NOT NULL,
    status   TEXT    NOT NULL,
    post_id  INTEGER NOT NULL,
    PRIMARY KEY (item_id, tag)
);
CREATE INDEX item_tags_by_tag ON item_tags (tag, status, post_id DESC);

-- Items per status for each single inbox filter: facet 'all' (value ''), or
-- 'place', 'tag', 'owner', 'priority', 'reply_path' with the filter's value.
-- The inbox's status tabs then cost one indexed read however many items
-- there are.
CREATE TABLE item_counts (
    facet  TEXT    NOT NULL,
    value  TEXT    NOT NULL,
    status TEXT    NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (facet, value, status)
);

-- Full-text search over the posts of triage items (context posts are never
-- listed, so they are not indexed), one FTS5 index per item status: an item's
-- document sits in the index of its status and moves when the status
-- changes. The items per status of a search are then five index-only counts
-- that together read each match once, and a search within one status reads
-- only that status's index; a search over every status merges the five,
-- newest first (see store::plan).
--
-- A document is the post's text followed by one marker token per filter
-- value of the item: a private-use character (which the tokenizer keeps in a
-- token and the store strips from search words) and the value, hex-encoded
-- for names so that each is one token. U+E001 place, U+E002 tag, U+E003
-- owner, U+E004 priority, U+E005 reply path. "Words in Purley owned by sam"
-- is one FTS query, counted without a join.
--
-- Contentless with contentless_delete (SQLite 3.43+): the text lives once, in
-- posts, and a document is replaced by rowid whatever it held. To rebuild an
-- index: DELETE FROM items_fts_new; INSERT INTO items_fts_new (rowid,
-- document) SELECT id, document FROM item_documents WHERE status = 'new';
-- `remove_diacritics 2` folds accents ("cafe" finds "Café"), unicode61 folds case.
CREATE VIEW item_documents AS
    SELECT p.id AS id, i.status AS status,
        p.text
        || coalesce((SELECT ' ' || group_concat(char(57345) || hex(value), ' ')
                     FROM json_each(i.places)), '')
        || coalesce((SELECT ' ' || group_concat(char(57346) || hex(value), ' ')
                     FROM json_each(i.tags)), '')
        || CASE WHEN i.owner IS NULL THEN '' ELSE ' ' || char(57347) || hex(i.owner) END
        || ' ' || char(57348) || i.priority
        || ' ' || char(57349) || i.reply_path AS document
    FROM items i JOIN posts p ON p.id = i.post_id;
CREATE VIRTUAL TABLE items_fts_new USING fts5 (
    document, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE items_fts_in_progress USING fts5 (
    document, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE items_fts_replied USING fts5 (
    document, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE items_fts_referred USING fts5 (
    document, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE items_fts_dismissed USING fts5 (
    document, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER items_derive_insert AFTER INSERT ON items BEGIN
    INSERT INTO item_places (item_id, place, position, status, post_id)
        SELECT new.id, value, key, new.status, new.post_id FROM json_each(new.places) WHERE true
        ON CONFLICT (item_id, place) DO NOTHING;
    INSERT INTO item_tags (item_id, tag, position, status, post_id)
        SELECT new.id, value, key, new.status, new.post_id FROM json_each(new.tags) WHERE true
        ON CONFLICT (item_id, tag) DO NOTHING;
    INSERT INTO item_counts (facet, value, status, n)
        SELECT facet, value, new.status, 1 FROM (
            SELECT 'all' AS facet, '' AS value UNION ALL SELECT 'priority', new.priority
            UNION ALL SELECT 'reply_path', new.reply_path
            UNION ALL SELECT 'owner', new.owner WHERE new.owner IS NOT NULL
            UNION ALL SELECT 'place', value FROM json_each(new.places)
            UNION ALL SELECT 'tag', value FROM json_each(new.tags)
        ) WHERE true
        ON CONFLICT (facet, value, status) DO UPDATE SET n = n + 1;
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

CREATE TRIGGER items_derive_update
AFTER UPDATE OF status, owner, priority, reply_path, places, tags ON items BEGIN
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
            UNION ALL SELECT 'place', value FROM json_each(old.places)
            UNION ALL SELECT 'tag', value FROM json_each(old.tags));
    INSERT INTO item_counts (facet, value, status, n)
        SELECT facet, value, new.status, 1 FROM (
            SELECT 'all' AS facet, '' AS value UNION ALL SELECT 'priority', new.priority
            UNION ALL SELECT 'reply_path', new.reply_path
            UNION ALL SELECT 'owner', new.owner WHERE new.owner IS NOT NULL
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

-- Officers' notes on items, byte-exact.
CREATE TABLE notes (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES items (id),
    author     TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);
CREATE INDEX notes_by_item ON notes (item_id, id);

-- The audit log: who did what, when, with the state before and after (JSON).
-- Append-only: the triggers refuse every UPDATE and DELETE.
CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    item_id      INTEGER REFERENCES items (id),
    state_before TEXT,
    state_after  TEXT,
    detail       TEXT
);
CREATE INDEX audit_by_item ON audit (item_id, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- One row per monitor (a packed query): where its next poll starts.
CREATE TABLE cursors (
    monitor      TEXT PRIMARY KEY,
    query        TEXT    NOT NULL,
    since_id     INTEGER,
    last_poll_at TEXT,
    posts_read   INTEGER NOT NULL DEFAULT 0
);

-- Billable reads per calendar month (UTC) and kind.
CREATE TABLE usage (
    month TEXT    NOT NULL, -- "2026-11"
    kind  TEXT    NOT NULL CHECK (kind IN ('post_read', 'owned_read')),
    reads INTEGER NOT NULL,
    PRIMARY KEY (month, kind)
);

-- Operational events (errors, warnings) for `placewatch status`.
CREATE TABLE events (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    level   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    message TEXT NOT NULL
);

-- placewatch schema 1 (SQLite).
--
-- Portable SQL except where SQLite needs its own: the FTS5 table and its
-- triggers, and the RAISE(ABORT) triggers that keep the audit log append-only.
-- A PostgreSQL backend gets its own migrations (tsvector + GIN, a rule or
-- trigger function for the audit log); the tables and columns stay the same.
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

-- Full-text index over post text. External content: the text lives once, in
-- posts; the triggers below keep the index in step. `remove_diacritics 2`
-- folds accents ("cafe" finds "Café"), unicode61 folds case.
CREATE VIRTUAL TABLE posts_fts USING fts5 (
    text,
    content = 'posts',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF text ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO posts_fts (rowid, text) VALUES (new.id, new.text);
END;

-- Triage items: at most one per post, whichever monitor found it first.
-- The inbox lists newest post first, so every filter index ends in post_id.
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
    rules           TEXT    NOT NULL, -- JSON array of matched rule names
    flags           TEXT    NOT NULL, -- JSON object: domain::triage::Flags
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);
CREATE INDEX items_by_status       ON items (status, post_id DESC);
CREATE INDEX items_by_conversation ON items (conversation_id, post_id DESC);
CREATE INDEX items_by_owner        ON items (owner, post_id DESC);
CREATE INDEX items_by_priority     ON items (priority, post_id DESC);
CREATE INDEX items_by_reply_path   ON items (reply_path, post_id DESC);

-- Place names and tags of an item, one row each, in the order they were added.
-- post_id repeats items.post_id (which never changes) so that a place or tag
-- filter walks its own index newest first and stops after one page.
CREATE TABLE item_places (
    item_id  INTEGER NOT NULL REFERENCES items (id),
    place    TEXT    NOT NULL,
    position INTEGER NOT NULL,
    post_id  INTEGER NOT NULL,
    PRIMARY KEY (item_id, place)
);
CREATE INDEX item_places_by_place ON item_places (place, post_id DESC);

CREATE TABLE item_tags (
    item_id  INTEGER NOT NULL REFERENCES items (id),
    tag      TEXT    NOT NULL,
    position INTEGER NOT NULL,
    post_id  INTEGER NOT NULL,
    PRIMARY KEY (item_id, tag)
);
CREATE INDEX item_tags_by_tag ON item_tags (tag, post_id DESC);

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

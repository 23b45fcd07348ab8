-- placewatch schema 2 (SQLite): the reply outbox.
--
-- A reply is recorded (state 'sending', 'awaiting_approval', 'draft' or, for
-- a post only a person can answer, 'manual_pending') in the same transaction
-- as its item's change and audit entry, and only then sent. Portable SQL:
-- partial unique indexes exist in PostgreSQL too.
--
-- States: draft | awaiting_approval | sending | sent | failed | cancelled |
-- manual_pending (see domain::outbox). Paths: api (posted by placewatch) |
-- manual (posted by an officer on x.com and found in the council's timeline).

CREATE TABLE replies (
    id             INTEGER PRIMARY KEY,
    item_id        INTEGER NOT NULL REFERENCES items (id),
    -- The post answered: the item's post. The idempotency key.
    target_post_id INTEGER NOT NULL REFERENCES posts (id),
    text           TEXT    NOT NULL, -- byte-exact, as checked by ReplyText::parse
    template       TEXT,             -- the template's name, if one was used
    officer        TEXT    NOT NULL, -- who wrote it (and, for manual replies, who posts it)
    state          TEXT    NOT NULL CHECK (state IN ('draft', 'awaiting_approval', 'sending',
                                                     'sent', 'failed', 'cancelled', 'manual_pending')),
    path           TEXT    NOT NULL CHECK (path IN ('api', 'manual')),
    -- X's id of the reply once sent (through the API or found in the timeline).
    -- Unique: one post of the council's can never count for two replies.
    x_post_id      INTEGER UNIQUE,
    error          TEXT,             -- why it failed or moved to the manual path
    attempts       INTEGER NOT NULL DEFAULT 0, -- POSTs made (or about to be made)
    override_by    TEXT,             -- the administrator who allowed a second reply
    approved_by    TEXT,
    intent_url     TEXT,             -- X's web intent, for the manual path
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);

-- One live reply per target post: cancelled and failed replies make way for
-- another, and an administrator's override is outside the index.
CREATE UNIQUE INDEX replies_one_per_target ON replies (target_post_id)
    WHERE state NOT IN ('cancelled', 'failed') AND override_by IS NULL;
CREATE INDEX replies_by_state ON replies (state, id);
CREATE INDEX replies_by_item  ON replies (item_id, id);

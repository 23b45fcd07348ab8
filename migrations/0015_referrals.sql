-- placewatch schema 15: referrals, and the outbox their emails go through.
--
-- A referral hands an item to a team (a service team or a contractor) by
-- email. It is recorded in the same transaction as the item's move to
-- `referred`, and its email is sent after the commit by the daemon's
-- referral sender: `queued` → `sending` (committed before the SMTP
-- transaction begins) → `sent` with the server's reply, or back to `queued`
-- with `next_attempt_at` after a temporary failure, or `failed` with the
-- reason. A referral found `sending` at start-up was cut off mid-send: it is
-- sent again with the SAME Message-ID (fixed here at creation), by which the
-- team's mailbox drops the copy it may already hold.
--
-- The id is the reference officers and residents quote (PW-000123). The
-- team's name and addresses are copied as they were when the officer
-- referred: a team renamed or re-addressed later does not rewrite history.

CREATE TABLE referrals (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL REFERENCES items (id),
    team_id         INTEGER NOT NULL REFERENCES teams (id),
    team_name       TEXT    NOT NULL,
    recipients      TEXT    NOT NULL, -- JSON array of addresses
    reason          TEXT    NOT NULL,
    officer         TEXT    NOT NULL, -- username of the referring officer
    message_id      TEXT    NOT NULL UNIQUE,
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    server_reply    TEXT,
    created_at      TEXT    NOT NULL,
    sent_at         TEXT,
    updated_at      TEXT    NOT NULL
);

CREATE INDEX referrals_by_item ON referrals (item_id, id);
-- The sender's one query: what is due, oldest first.
CREATE INDEX referrals_due ON referrals (next_attempt_at, id)
    WHERE state IN ('queued', 'sending');

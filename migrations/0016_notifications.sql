-- placewatch schema 16: notifications, in the desk and by email.
--
-- One row per officer told of something: an item assigned to her or her
-- team, a reply of hers approved or rejected (with the reason), a reply
-- waiting for her approval, a referral that failed, a note that mentions
-- her. Written in the transaction of the change it tells of, so the two
-- commit together. `username` is the officer told, `actor` the officer
-- (or `placewatch`) whose action it was; never the same officer.
--
-- read_at: when she opened it or marked it read in the desk (NULL: unread).
-- emailed_at: when it went out by email, alone or in a digest (NULL: not
-- yet, or never: an officer without an address or with notify = 'none').
-- A crash between the send and this record sends again with the same
-- Message-ID, so a mail client shows it once.
--
-- Digests remembers, per officer, the last daily digest time dealt with
-- (the UTC instant of her digest_at that day), so a digest goes once a day.

CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    username   TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('assigned', 'reply_approved',
                   'reply_rejected', 'reply_awaiting_approval', 'referral_failed',
                   'mentioned')),
    item_id    INTEGER REFERENCES items (id),
    actor      TEXT    NOT NULL,
    summary    TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    read_at    TEXT,
    emailed_at TEXT
);

-- Her list, newest first.
CREATE INDEX notifications_by_user ON notifications (username, id);
-- The bell: her unread ones.
CREATE INDEX notifications_unread ON notifications (username, id) WHERE read_at IS NULL;
-- The mail task: unread ones not yet emailed.
CREATE INDEX notifications_to_email ON notifications (username, id)
    WHERE emailed_at IS NULL AND read_at IS NULL;

CREATE TABLE notification_digests (
    username TEXT PRIMARY KEY,
    last_due TEXT NOT NULL
);

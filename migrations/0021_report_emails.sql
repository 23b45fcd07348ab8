-- placewatch schema 21: the weekly report email, sent once a week.
--
-- One row per week reported (period_to, the week's last UK day), made when
-- the email falls due and before it is sent, so a crash mid-send sends the
-- same message again (the Message-ID is fixed here) and a week is never
-- reported twice. state: 'sending' until the server takes it ('sent', with
-- its reply) or gives up on it for good ('failed', with the reason);
-- temporary failures stay 'sending' with the next try's time.
CREATE TABLE report_emails (
    period_to       TEXT    PRIMARY KEY,
    period_from     TEXT    NOT NULL,
    due_at          TEXT    NOT NULL,
    recipients      TEXT    NOT NULL, -- JSON array of addresses, as first sent
    message_id      TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    server_reply    TEXT,
    sent_at         TEXT
);
CREATE INDEX report_emails_due ON report_emails (next_attempt_at) WHERE state = 'sending';

-- placewatch schema 17: messages to teams' chat channels, and spikes.
--
-- channel_messages is an outbox: a message is recorded (queued) in the
-- transaction that causes it (an assignment, a spike beginning) and sent
-- after commit by the channel sender, which retries temporary failures
-- with backoff (next_attempt_at) and marks refusals failed with the reason.
-- The payload is the JSON body to post, built when queued. The webhook's
-- URL is not stored: it is a secret, found at send time from the team's
-- *_webhook_env variable. Sent one at a time per (team, channel), oldest
-- first, hence the partial index.
CREATE TABLE channel_messages (
    id              INTEGER PRIMARY KEY,
    team_id         INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    channel         TEXT    NOT NULL CHECK (channel IN ('teams', 'slack')),
    about           TEXT    NOT NULL CHECK (about IN ('assignment', 'spike')),
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    created_at      TEXT    NOT NULL,
    sent_at         TEXT
);
CREATE INDEX channel_messages_queued ON channel_messages (team_id, channel, id)
    WHERE state = 'queued';
CREATE INDEX channel_messages_by_state ON channel_messages (state, id);

-- A spike of posts about a place or tag: begun (and alerted, once) when the
-- last hour's count reached the threshold, ended when it fell below it.
-- count is the last check's count of posts in the hour, usual the usual
-- level when it began, peak the highest count seen.
-- At most one open spike per place or tag.
CREATE TABLE spikes (
    id          INTEGER PRIMARY KEY,
    facet       TEXT    NOT NULL CHECK (facet IN ('place', 'tag')),
    value       TEXT    NOT NULL,
    headline    TEXT,
    started_at  TEXT    NOT NULL,
    count       INTEGER NOT NULL,
    usual       REAL    NOT NULL,
    peak        INTEGER NOT NULL,
    alerted_at  TEXT,
    ended_at    TEXT
);
CREATE UNIQUE INDEX spikes_open ON spikes (facet, value) WHERE ended_at IS NULL;
CREATE INDEX spikes_by_start ON spikes (started_at);

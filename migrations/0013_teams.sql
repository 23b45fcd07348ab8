-- placewatch schema 13: teams, and how officers hear of their work.
--
-- A team is a service team or an outside contractor that items are
-- assigned and referred to: its name (unique ignoring case), the addresses
-- referrals go to (a JSON array of strings), and the NAMES of the
-- environment variables holding its webhook URLs (secrets stay out of the
-- database too). Teams from [[teams]] in the config are seeded at start-up
-- with from_config set; teams made in the desk have it clear. A config team
-- taken out of the file is kept (it may have history) with from_config
-- cleared.
--
-- Members are officers' usernames, not ids: the config may name an officer
-- before she is added, so there is no foreign key to officers.
--
-- Portable SQL apart from COLLATE NOCASE, which a PostgreSQL schema writes
-- as a unique index on lower(name).

CREATE TABLE teams (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    emails            TEXT    NOT NULL DEFAULT '[]',
    from_config       BOOLEAN NOT NULL DEFAULT FALSE,
    teams_webhook_env TEXT,
    slack_webhook_env TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL
);

CREATE TABLE team_members (
    team_id  INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    username TEXT    NOT NULL,
    PRIMARY KEY (team_id, username)
);

CREATE INDEX team_members_by_username ON team_members (username);

-- How an officer hears of work for her: an email at once, a daily digest at
-- digest_at (HH:MM, UK time), or none (the desk's list only).
ALTER TABLE officers ADD COLUMN email TEXT;
ALTER TABLE officers ADD COLUMN notify TEXT NOT NULL DEFAULT 'immediately'
    CHECK (notify IN ('immediately', 'digest', 'none'));
ALTER TABLE officers ADD COLUMN digest_at TEXT NOT NULL DEFAULT '08:00';

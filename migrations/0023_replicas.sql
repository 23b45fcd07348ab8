-- placewatch schema 23: what replicas share (issue 18): the work lease and
-- the login throttle's attempts.
--
-- Every `placewatch run` serves the desk; the work that must happen once
-- (polling X, sending replies, referrals, notifications, channel messages,
-- the weekly report) is done by the one replica holding the lease named
-- 'work' (store::lease, replica). It is taken for a few seconds at a time
-- and renewed; a replica that dies stops renewing, and another takes over
-- when it expires. Times are the database's clock, in Unix milliseconds,
-- so replicas' clocks never need to agree.
--
-- replica is the holder's stable name (host and data directory): the same
-- replica restarted knows its spool of read pages is still in step with
-- the cursors. process names the process (pid), for people.
-- Portable SQL: the same file is migrations/postgres/0023 (with BIGINT).

CREATE TABLE leases (
    name        TEXT    PRIMARY KEY,
    replica     TEXT    NOT NULL,
    process     TEXT    NOT NULL,
    term        INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL,
    renewed_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

-- The login throttle (domain::login): each attempt at a password, counted
-- before it is checked, under its username's key and its address's
-- ('user:sam', 'ip:192.0.2.1'), at the database's clock in Unix
-- milliseconds; kept while they count (15 minutes). An address an officer
-- logged in from lately is slowed down rather than locked out.
CREATE TABLE login_attempts (
    id     INTEGER PRIMARY KEY,
    key    TEXT    NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_key ON login_attempts (key, at);

CREATE TABLE login_good_addresses (
    address TEXT    PRIMARY KEY,
    at      INTEGER NOT NULL
);

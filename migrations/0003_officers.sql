-- placewatch schema 3 (SQLite): the desk's officers and their sessions.
--
-- Passwords are argon2id PHC strings (never the password). A session's cookie
-- holds a random 256-bit token; the table keeps only its SHA-256, so a copy of
-- the database cannot be replayed as a login. Roles: viewer | officer |
-- approver | admin (see domain::officer).

CREATE TABLE officers (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL UNIQUE,
    display_name        TEXT    NOT NULL,
    role                TEXT    NOT NULL CHECK (role IN ('viewer', 'officer', 'approver', 'admin')),
    password_hash       TEXT    NOT NULL,
    disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at          TEXT    NOT NULL,
    password_changed_at TEXT    NOT NULL
);

CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY,        -- SHA-256 of the cookie's token
    officer_id   INTEGER NOT NULL REFERENCES officers (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,           -- the synchronizer token of this session's forms
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,           -- RFC 3339 UTC; an expired row is no session
    last_seen_at TEXT    NOT NULL
);

CREATE INDEX sessions_by_officer ON sessions (officer_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

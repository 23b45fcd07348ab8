-- placewatch schema 25: the council's X tokens, where replicas share them
-- (issue 18).
--
-- X rotates the council account's refresh token at every refresh and each
-- works once, so replicas that kept a token file each would strand one
-- another after a failover. On PostgreSQL the tokens therefore live here, one
-- row, read and replaced by whichever replica holds the work lease, and a
-- refresh is serialised across replicas by an advisory lock (x::auth's
-- token store). With SQLite, one machine holds the store and the tokens stay
-- in the data directory's token file (mode 0600); this table stays empty.
--
-- body is the token file's JSON: access and refresh tokens, their expiry,
-- scopes, the account and, when X refused the refresh token, why. It is a
-- secret: pg_dump copies of the store must be kept like the token file.
-- updated_at is the database's clock in Unix milliseconds.
-- Portable SQL: the same table is in migrations/0025 (INTEGER).

CREATE TABLE x_tokens (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    body        TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);

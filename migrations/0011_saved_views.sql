-- placewatch schema 11: saved views of the inbox.
--
-- A view is a named filter and order (the inbox's query string), an
-- officer's own or shared with everyone. Names are unique per officer.

CREATE TABLE saved_views (
    id         INTEGER PRIMARY KEY,
    owner      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    query      TEXT    NOT NULL,
    shared     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT    NOT NULL,
    UNIQUE (owner, name)
);

-- placewatch schema 24: presence shared by replicas (issue 18).
--
-- The desk shows who else has an item open or is replying to it ("Priya
-- Shah is replying"). Each open item's page reports its officer every few
-- seconds; the report is upserted here, keyed by item and officer, with
-- what she is doing and when, by the database's clock in Unix
-- milliseconds, so an officer on one replica sees a colleague on another
-- whatever their clocks read. A report counts for 20 seconds
-- (domain::presence::LAPSE); older rows are deleted as new reports arrive,
-- so the table stays the size of this minute. No foreign key to items: a
-- report names an item the page has open, and lapses on its own.
-- Portable SQL: the same table is in migrations/postgres/0024 (BIGINT).

CREATE TABLE presence (
    item_id    INTEGER NOT NULL,
    officer_id INTEGER NOT NULL REFERENCES officers (id) ON DELETE CASCADE,
    activity   TEXT    NOT NULL CHECK (activity IN ('viewing', 'replying')),
    at         INTEGER NOT NULL,
    PRIMARY KEY (item_id, officer_id)
);
CREATE INDEX presence_by_time ON presence (at);

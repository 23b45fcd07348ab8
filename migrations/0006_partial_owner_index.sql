-- placewatch schema 6 (SQLite): the owner filter index holds owned items only.
--
-- Items arrive without an owner unless a rule assigns one, and the inbox
-- filters by owner only with `owner = ?` (store::plan), which implies
-- `owner IS NOT NULL`, so SQLite uses the partial index for every owner
-- filter. Filing an unowned item then writes one index entry fewer.
-- (PostgreSQL has partial indexes too, with the same syntax.)

DROP INDEX items_by_owner;
CREATE INDEX items_by_owner ON items (owner, status, post_id DESC) WHERE owner IS NOT NULL;

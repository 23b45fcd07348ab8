-- placewatch schema 5 (SQLite): new items' derived rows written by the store.
--
-- items_derive_insert ran about ten statements per new item (place and tag
-- rows, counter upserts, five full-text inserts through item_documents),
-- which made it most of the cost of storing a poll cycle. The store now
-- writes the same rows set-based, in the transaction that inserts the items
-- (store::derive: multi-row inserts, one aggregated counter upsert, one
-- full-text insert per status), and builds each document exactly as the
-- item_documents view does. Every write path that inserts items must go
-- through it. items_derive_update stays: it keeps the derived rows of
-- changed items (the desk's transitions and assignments, merges).
--
-- A PostgreSQL backend would drop its insert trigger function likewise.

DROP TRIGGER items_derive_insert;
